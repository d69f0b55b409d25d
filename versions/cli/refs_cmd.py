"""``yakkan refs --to ID``: who cites a clause (impact analysis before an amendment)."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NoReturn

import click

from extract.errors import InputError
from extract.model import Node, ParsedDocument, Reference
from extract.references import clause_id
from versions.check.run import resolve_cross_document
from versions.cli.check_cmd import Target, corpus_latest, read_cached, shown_path
from versions.sources.corpus import (
    DEFAULT_CORPUS,
    CorpusError,
    find_version,
    is_document,
    load_corpus,
)
from versions.sources.files import spec_path

EXIT_BAD_INPUT = 2


@dataclass
class Citation:
    document: str  # doc id (or path) of the citing document
    path: str
    line: int
    column: int
    source: str  # citing node id
    source_article: str | None  # 「第20条（解約）」: the article the citing node belongs to
    text: str  # as printed
    target: str  # the cited node: ID itself or one of its descendants
    status: str
    cross_document: bool
    inside: bool  # the citation sits inside the cited clause itself (前項 within 第19条)
    by_caption: bool = False  # the number points elsewhere, the printed caption is ID's
    targets: list[str] = field(default_factory=list)  # every unit named (前2項: both), in order


@dataclass
class Loaded:
    key: str  # doc id, or the path for files outside the corpus
    path: str
    doc: ParsedDocument


@click.command("refs")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="ID",
    help="The clause cited: a label as printed (第19条, 第十九条第2項) or a node id (art_19).",
)
@click.option(
    "--doc",
    "doc_spec",
    metavar="DOC[@DATE]|PATH",
    help="The document ID belongs to (default: every corpus document that has ID).",
)
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CORPUS,
    show_default="the repository's corpus/",
    help="Corpus folder for DOC names and cross-document citations.",
)
@click.option(  # the first spelling, kept working
    "--corpus-dir",
    "corpus_dir_alias",
    type=click.Path(file_okay=False, path_type=Path),
    hidden=True,
)
@click.option(
    "--format",
    "-f",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def refs(
    target: str, doc_spec: str | None, corpus_dir: Path, corpus_dir_alias: Path | None, output: str
) -> None:
    """List every citation of clause ID and of its paragraphs and items.

    Citations of ID's descendants count (--to art_19 also lists citations of art_19__para_2),
    so do ranges that cover ID (前2項 in 第9条第3項 cites art_9__para_1 and art_9__para_2;
    第1項から第3項まで cites 第2項 too), and citations from other corpus documents that name
    this one. Each line reads FILE:LINE:COL: SOURCE cites TARGET as 「TEXT」 [STATUS].

    \b
    Examples:
        yakkan refs --to art_19 --doc toreru-camera
        yakkan refs --to art_9__para_2 --doc toreru-camera   # finds 前2項 in 第9条第3項
        yakkan refs --to 第20条 --doc toreru-camera
        yakkan refs --to art_27 --doc kojin-joho-hogo-ho@2015-12-01 --format json
        yakkan refs --to bessi_4 --doc corpus/dokodemo-merec/2023-09-19.txt
        yakkan refs --to art_2        # every corpus document that has an art_2
        yakkan refs --to art_19 --corpus my-corpus --format json
    """
    corpus_dir = corpus_dir_alias or corpus_dir
    try:
        targets, others = _load(doc_spec, corpus_dir)
    except (InputError, CorpusError) as exc:
        _fail(str(exc))
    results = []
    for t in targets:  # 第20条 / 第二十条 name art_20 in each document that has one
        node_id = clause_id(t.doc.nodes, target)
        if node_id:
            results.append((t, citations(t, others, node_id), node_id))
    if not results:
        where = targets[0].path if len(targets) == 1 else "any corpus document"
        _fail(f"{where}: no clause {target!r} (ids look like art_19, art_19__para_2, bessi_4)")
    if output == "json":
        data = [_json(t, nid, cites) for t, cites, nid in results]
        click.echo(json.dumps(data[0] if doc_spec else data, ensure_ascii=False, indent=2))
        return
    for t, cites, nid in results:
        click.echo("\n".join(_text(t, nid, cites)))


def _fail(message: str) -> NoReturn:
    click.echo(f"yakkan: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


# --- loading ---------------------------------------------------------------------------------


def _load(spec: str | None, corpus_dir: Path) -> tuple[list[Loaded], list[Loaded]]:
    """(documents ID may belong to, every other document that may cite them)."""
    # a missing folder, a broken document.toml or an unreadable document is named, not skipped:
    # its citations would silently be missing from the answer
    for entry in load_corpus(corpus_dir):
        read_cached(entry.latest().file, entry.latest().format)
    latest, titles = corpus_latest(corpus_dir)
    corpus = [Loaded(k, shown_path(_latest_file(corpus_dir, k)), d) for k, d in latest.items()]
    if spec is None:
        resolve_cross_document([(c.key, c.doc) for c in corpus], latest, titles)
        return corpus, corpus
    t = _target(spec, corpus_dir)
    key = t.doc_id or t.shown
    doc = next((c.doc for c in corpus if c.key == key and _same(c.path, t.shown)), None)
    if doc is None:
        doc = read_cached(t.path, t.fmt)
    loaded = Loaded(key, t.shown, doc)
    others = [c for c in corpus if c.key != key]
    resolve_cross_document([(c.key, c.doc) for c in [loaded, *others]], latest, titles)
    return [loaded], [loaded, *others]


def _same(a: str, b: str) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def _latest_file(corpus_dir: Path, doc_id: str) -> Path:
    return find_version(doc_id, corpus_dir).file


def _target(spec: str, corpus_dir: Path) -> Target:
    path = spec_path(spec)
    if path.exists():
        owner = _corpus_owner(path, corpus_dir)
        return Target(path, shown_path(path), owner[1] if owner else None,
                      owner[0] if owner else None)  # fmt: skip
    doc_id = spec.partition("@")[0]
    if not is_document(corpus_dir, doc_id):
        raise InputError(spec, "no such file or corpus document")
    v = find_version(spec, corpus_dir)
    return Target(v.file, shown_path(v.file), v.format, v.doc_id)


def _corpus_owner(path: Path, corpus_dir: Path) -> tuple[str, str | None] | None:
    """(doc id, declared format) when ``path`` is a version file of a corpus document."""
    try:
        entries = load_corpus(corpus_dir)
    except CorpusError:
        return None
    resolved = path.resolve()
    for entry in entries:
        for v in entry.versions:
            if v.file.resolve() == resolved:
                return entry.id, v.format
    return None


# --- finding citations -------------------------------------------------------------------------


def covers(target: str, node_id: str | None) -> bool:
    """``node_id`` is ``target`` or one of its descendants (art_19 covers art_19__para_2)."""
    return node_id is not None and (node_id == target or node_id.startswith(target + "__"))


def citations(cited: Loaded, documents: list[Loaded], target: str) -> list[Citation]:
    """Citations of ``target`` and its descendants, and — so that an amendment does not miss
    them — citations whose number points elsewhere but whose caption is ``target``'s."""
    node = cited.doc.node(target)
    caption = node.caption if node is not None else None
    out: list[Citation] = []
    for d in documents:
        same = d.key == cited.key
        for ref in d.doc.references:
            if same and ref.target_document not in (None, cited.key):
                continue
            if not same and ref.target_document != cited.key:
                continue
            if covers(target, ref.target) or any(covers(target, t) for t in ref.targets):
                out.append(_citation(d, ref, target, cross=not same))
            elif caption and ref.status == "caption_mismatch" and printed_caption(ref) == caption:
                c = _citation(d, ref, target, cross=not same)
                c.by_caption, c.inside = True, False
                out.append(c)
    out.sort(key=lambda c: (c.cross_document, c.document, c.line, c.column))
    return out


_CAPTION = re.compile(r"[（(]([^（）()]+)[）)]")


def printed_caption(ref: Reference) -> str | None:
    """「第44条（利用に係る契約者の義務）」 → 利用に係る契約者の義務."""
    m = _CAPTION.search("".join(ref.text.split()))
    return m.group(1) if m else None


def _citation(d: Loaded, ref: Reference, target: str, cross: bool) -> Citation:
    return Citation(
        document=d.key,
        path=d.path,
        line=ref.line,
        column=ref.column,
        source=ref.source,
        source_article=_article_label(d.doc, ref.source),
        text=" ".join(ref.text.split()),
        target=ref.target or "",
        status=ref.status,
        targets=list(ref.targets),
        cross_document=cross,
        inside=not cross and covers(target, ref.source),
    )


def _article_label(doc: ParsedDocument, node_id: str) -> str | None:
    node: Node | None = doc.node(node_id)
    while node is not None and node.kind not in ("article", "appendix", "supplement"):
        node = doc.node(node.parent) if node.parent else None
    if node is None:
        return None
    label = "".join(node.label.split()) or node.id
    return f"{label}（{node.caption}）" if node.caption else label


# --- output ------------------------------------------------------------------------------------


def _describe(doc: ParsedDocument, target: str) -> str:
    node = doc.node(target)
    if node is None:
        return target
    label = "".join(node.label.split())
    caption = f"（{node.caption}）" if node.caption else ""
    return f"{target} {label}{caption}".strip()


def _text(t: Loaded, target: str, cites: list[Citation]) -> list[str]:
    sources = {(c.document, c.source) for c in cites}
    head = f"{t.path}: {_describe(t.doc, target)} is cited {len(cites)} time(s)"
    lines = [head + (f" from {len(sources)} clause(s)" if cites else "")]
    for c in cites:
        where = f"{c.source} {c.source_article}" if c.source_article else c.source
        cited = f"{c.targets[0]}–{c.targets[-1]}" if len(c.targets) > 1 else c.target
        lines.append(f"{c.path}:{c.line}:{c.column}: {where} cites {cited} as 「{c.text}」 "
                     f"[{c.status}]{_note(c)}")  # fmt: skip
    return lines


def _note(c: Citation) -> str:
    if c.by_caption:
        return " (by its caption; the number points elsewhere)"
    if c.cross_document:
        return " (other document)"
    return " (inside the clause)" if c.inside else ""


def _json(t: Loaded, target: str, cites: list[Citation]) -> dict[str, object]:
    node = t.doc.node(target)
    return {
        "document": t.key,
        "path": t.path,
        "target": target,
        "label": node.label if node else None,
        "caption": node.caption if node else None,
        "count": len(cites),
        "citations": [asdict(c) for c in cites],
    }
