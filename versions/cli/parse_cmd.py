"""``yakkan parse PATH``: one document version → its clause tree as JSON, lines, or an outline."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import click

from extract.errors import InputError
from extract.model import Node, ParsedDocument
from versions.cli.options import corpus_option
from versions.sources.corpus import DEFAULT_CORPUS, CorpusError, find_version, is_document
from versions.sources.files import FORMATS, read_document, read_stream, spec_path

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
PREVIEW = 48  # characters of node text shown by the text and tree formats
INDENT = "  "


@click.command("parse")
@click.argument("path", metavar="PATH")
@click.option(
    "--format",
    "-f",
    "output",
    type=click.Choice(["tree", "text", "json"]),
    default="tree",
    show_default=True,
    help="tree: readable outline; text: one tab-separated line per node; json: the full contract.",
)
@click.option(
    "--input-format",
    type=click.Choice(["auto", *FORMATS]),
    default="auto",
    show_default=True,
    help="How to read PATH; auto uses the corpus metadata or the file suffix (.md = markdown).",
)
@corpus_option("Corpus folder for DOC and DOC@DATE.")
def parse(path: str, output: str, input_format: str, corpus: Path) -> None:
    """Parse one document version into its clause tree.

    PATH is a file (UTF-8, Shift_JIS/CP932 or EUC-JP; plain text or Markdown), - for
    standard input, or a corpus version: DOC for the latest version, DOC@DATE for the
    version in force on DATE.
    The JSON output is documented in docs/parse-json.md.

    \b
    Examples:
        yakkan parse corpus/toreru-camera/2023-12-01.txt
        yakkan parse kojin-joho-hogo-ho@2016-01-01 --format text
        yakkan parse shohisha-keiyaku-ho --format json > keiyaku.json
        yakkan parse my-terms@2025-04-01 --corpus ~/terms-corpus -f tree
        pdftotext -layout terms.pdf - | yakkan parse -

    Unusable input (missing, empty, binary, undecodable or over 20 MB) exits with status 2.
    """
    fmt = None if input_format == "auto" else input_format
    doc = _load(path, fmt, corpus)
    if output == "json":
        click.echo(json.dumps(doc.to_json(), ensure_ascii=False, indent=2))
    else:
        lines = text_lines(doc) if output == "text" else tree_lines(doc)
        click.echo("\n".join(lines))


def _load(spec: str, fmt: str | None, corpus: Path = DEFAULT_CORPUS) -> ParsedDocument:
    """Parse a file or corpus spec; bad input → one line on stderr and exit 2."""
    try:
        if spec == "-":
            from extract.parse import parse_bytes

            return parse_bytes(read_stream(sys.stdin.buffer), path="<stdin>", fmt=fmt)
        path, declared = _resolve(spec, corpus)
        return read_document(path, fmt or declared)
    except (InputError, CorpusError) as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except Exception as exc:  # a parser bug must not print a traceback at users
        if os.environ.get("YAKKAN_DEBUG"):
            raise
        detail = f"{type(exc).__name__}: {exc}"
        _fail(
            f"{spec}: internal error while parsing ({detail}); set YAKKAN_DEBUG=1 and report it",
            EXIT_INTERNAL,
        )


def _resolve(spec: str, corpus: Path = DEFAULT_CORPUS) -> tuple[Path, str | None]:
    """A path that exists (or looks like one) is a file; otherwise try ``DOC`` / ``DOC@DATE``."""
    path = spec_path(spec)
    doc_id = spec.partition("@")[0]
    if path.exists() or not doc_id or "/" in doc_id or os.sep in doc_id:
        return path, None
    if not is_document(corpus, doc_id):
        raise InputError(spec, "no such file or corpus document")
    version = find_version(spec, corpus)
    return version.file, version.format


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"yakkan: {message}", err=True)
    sys.exit(code)


# --- text: one line per node ------------------------------------------------------------------


def text_lines(doc: ParsedDocument) -> Iterator[str]:
    """``id<TAB>label<TAB>caption<TAB>text…`` per node, in document order."""
    for node in doc.nodes:
        yield "\t".join((node.id, node.label, node.caption or "", preview(node.text)))


# --- tree: an outline for people ---------------------------------------------------------------


def tree_lines(doc: ParsedDocument) -> Iterator[str]:
    source = doc.source
    yield doc.title or "(untitled)"
    yield f"{source.path} · {source.format} · {source.encoding} · {len(doc.nodes)} nodes"
    yield ""
    for node, depth in _with_depth(doc.nodes):
        yield f"{INDENT * depth}{_heading(node)}"
    yield from _diagnostic_lines(doc)


def _diagnostic_lines(doc: ParsedDocument) -> Iterator[str]:
    """Warnings and errors in full; info notes only counted (they are in the JSON)."""
    shown = [d for d in doc.diagnostics if d.level != "info"]
    notes = len(doc.diagnostics) - len(shown)
    if shown:
        yield ""
        yield f"{len(shown)} warnings and errors:"
        for d in shown:
            yield f"{INDENT}line {d.line}: {d.level}: {d.code}: {d.message}"
    if notes:
        yield ""
        yield f"{notes} info notes (see --format json)"


def _with_depth(nodes: list[Node]) -> Iterator[tuple[Node, int]]:
    depth: dict[str, int] = {}
    for node in nodes:
        level = depth.get(node.parent, -1) + 1 if node.parent else 0
        depth[node.id] = level
        yield node, level


def _heading(node: Node) -> str:
    label = node.label or _KIND_NAMES.get(node.kind, "")
    if not node.caption:
        caption = ""
    elif node.kind in ("part", "chapter", "section", "subsection"):
        caption = f" {node.caption}"  # 第1章 総則: division captions are printed without brackets
    else:
        caption = f"（{node.caption}）"
    head = f"{label}{caption}"
    text = preview(node.text)
    headings = ("part", "chapter", "section", "subsection", "supplement", "appendix")
    if node.kind in headings and not text:
        return head
    return f"{head} {text}".strip() if head else text


_KIND_NAMES = {"preamble": "前文", "supplement": "附則", "table": "表"}


def preview(text: str, width: int = PREVIEW) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
