"""``yakkan build``: corpus/ → one SQLite knowledge base (sqlite-utils), atomic and incremental.

The build is a list of step functions (``STEPS``) run in order on a new database written beside
the target (a unique ``.yakkan.db.*.tmp``, under the lock ``yakkan.db.lock``); only when every
step has succeeded is it fsynced and moved over the old
database (``os.replace``). A failure removes the temporary file and leaves the old one untouched.

Incremental: a corpus fingerprint (schema, parser code, metadata, source hashes) equal to the one
recorded in the existing database makes the build a no-op. Otherwise each source is looked up in
the previous database's ``parse_cache`` (sha256 + format + parser version) and only new or
changed files are parsed; word tokens of unchanged texts are reused too.

Adding a step (other engineers): write ``def step(ctx: BuildContext) -> None`` in your own
module, and add one line to ``STEPS`` below. ``ctx.db`` is the new database; the previous one is
attached as schema ``prev`` when ``ctx.has_previous`` (e.g. ``select … from prev.embeddings``) so
expensive rows can be copied instead of recomputed; ``ctx.parsed`` maps every version id to its
ParsedDocument and ``ctx.changed`` holds the ids parsed afresh in this build.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import json
import lzma
import os
import sqlite3
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from extract.errors import InputError
from extract.model import (
    RESOLVED_STATUSES,
    Artefact,
    Definition,
    Diagnostic,
    Node,
    ParsedDocument,
    PartialEffective,
    Reference,
    Source,
    Supplement,
)
from versions.kb import (
    build_embeddings,
    build_facts,
    build_postings,
    build_tables,
    build_versions,
    schema,
    search,
    word_groups,
    word_tops,
)
from versions.kb.context import BuildBusy, BuildContext, BuildError, Progress
from versions.kb.executor import LocalExecutor
from versions.sources.corpus import (
    DEFAULT_CORPUS,
    CorpusError,
    DocumentEntry,
    VersionEntry,
    load_corpus,
)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / "yakkan.db"
T = TypeVar("T")


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


# --- fingerprints ------------------------------------------------------------------------------


def parser_files() -> list[Path]:
    """The parser's code: every module of extract/, its subpackages (the block rules) included,
    and the reader in front of it."""
    return [*sorted((ROOT / "extract").rglob("*.py")), ROOT / "versions" / "sources" / "files.py"]


def parser_version() -> str:
    """Hash of the parser's code: a parser change invalidates the parse cache."""
    h = hashlib.sha256()
    for path in parser_files():
        if path.is_file():
            h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def builder_version() -> str:
    """Hash of the build code (this module, schema, search, step modules)."""
    h = hashlib.sha256()
    for step in STEPS:
        module = importlib.import_module(step.__module__)
        if module.__file__:
            h.update(Path(module.__file__).read_bytes())
        algorithm = getattr(module, "algorithm_version", None)  # code a step reads elsewhere
        if callable(algorithm):
            h.update(str(algorithm()).encode())
    for mod in (schema, search):
        h.update(Path(str(mod.__file__)).read_bytes())
    return h.hexdigest()[:16]


def _sha256(path: Path) -> str:
    """The hash of a version file, read bounded (the size limit applies before reading)."""
    from versions.sources.files import read_bytes

    return hashlib.sha256(read_bytes(path)).hexdigest()


def fingerprint(documents: list[DocumentEntry], hashes: dict[str, str], parser: str) -> str:
    h = hashlib.sha256(f"{schema.SCHEMA_VERSION}:{parser}:{builder_version()}".encode())
    for doc in documents:
        h.update(doc.digest.encode())  # the document.toml bytes load_corpus read
        for v in doc.versions:
            h.update(f"{v.key}:{v.file.name}:{hashes[v.key]}".encode())
    return h.hexdigest()


def _previous_meta(db_path: Path) -> dict[str, str]:
    if not db_path.is_file():
        return {}
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            return dict(conn.execute("select key, value from build_meta").fetchall())
        finally:
            conn.close()
    except sqlite3.Error:
        return {}


# --- parse cache -------------------------------------------------------------------------------


def _cache_key(v: VersionEntry, sha: str, parser: str) -> str:
    return f"{sha}:{v.format or v.file.suffix}:{parser}"


def _from_json(data: dict[str, Any]) -> ParsedDocument:
    nodes = [Node(**{**n, "segments": [tuple(s) for s in n["segments"]]}) for n in data["nodes"]]
    supplements = [
        Supplement(
            **{**s, "partial_effective": [PartialEffective(**p) for p in s["partial_effective"]]}
        )
        for s in data["supplements"]
    ]
    return ParsedDocument(
        source=Source(**data["source"]),
        title=data["title"],
        nodes=nodes,
        supplements=supplements,
        references=[Reference(**r) for r in data["references"]],
        definitions=[Definition(**d) for d in data["definitions"]],
        diagnostics=[Diagnostic(**d) for d in data["diagnostics"]],
        artefacts=[Artefact(**a) for a in data["artefacts"]],
    )


def _cached(ctx: BuildContext, key: str) -> tuple[ParsedDocument, bytes] | None:
    if not ctx.has_previous:
        return None
    try:
        row = ctx.db.execute("select json from prev.parse_cache where key = ?", [key]).fetchone()
    except sqlite3.Error:  # a previous database from an older schema
        return None
    if row is None:
        return None
    return _from_json(json.loads(_unblob(row[0]))), row[0]


def stored_parses(db_path: Path, documents: Iterable[DocumentEntry]) -> dict[str, ParsedDocument]:
    """The parse of every corpus version as the built database holds it (its parse cache), by
    version id: what `yakkan build` reports on without parsing anything again."""
    wanted = {v.key: v for d in documents for v in d.versions}
    out: dict[str, ParsedDocument] = {}
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        rows = conn.execute("select id, sha256, parser_version from versions").fetchall()
        for vid, sha, parser in rows:
            if (v := wanted.get(vid)) is None:
                continue
            key = _cache_key(v, sha, parser)
            blob = conn.execute("select json from parse_cache where key = ?", [key]).fetchone()
            if blob:
                out[vid] = _from_json(json.loads(_unblob(blob[0])))
    return out


def _blob(parsed: ParsedDocument) -> bytes:
    """The parse-cache blob: xz-compressed JSON (same shape as ParsedDocument.to_json). Preset 2:
    20 % smaller than zlib for about 5 ms more per version (docs/scaling.md)."""
    return lzma.compress(json.dumps(parsed, default=vars, ensure_ascii=False).encode(), preset=2)


def _unblob(blob: bytes) -> bytes:
    """A parse-cache blob's JSON: xz, or zlib from a database of schema 7 or older."""
    return lzma.decompress(blob) if blob.startswith(b"\xfd7zXZ") else zlib.decompress(blob)


def parse_version(v: VersionEntry) -> ParsedDocument:
    """Parse one version file; InputError (file, line) for unusable input."""
    return parse_task((v.file, v.format))[0]


# --- steps -------------------------------------------------------------------------------------


def step_schema(ctx: BuildContext) -> None:
    schema.create_schema(ctx.db)


def step_documents(ctx: BuildContext) -> None:
    rows = []
    for doc in ctx.documents:
        rows.append(
            {
                "id": doc.id,
                "title": doc.title,
                "publisher": doc.publisher,
                "kind": doc.kind,
                "latest_version_id": doc.latest().key,
                "version_count": len(doc.versions),
                "meta": json.dumps(
                    {
                        k: v
                        for k, v in doc.meta.items()
                        if k not in ("id", "title", "publisher", "kind")
                    },
                    ensure_ascii=False,
                    default=str,
                ),
            }
        )
    ctx.db["documents"].insert_all(rows)  # type: ignore[union-attr]


def step_parse(ctx: BuildContext) -> None:
    """Parse (or take from the parse cache) every version and insert its rows; the parses
    run on the build's executor (a Dask cluster with ``--workers``/``--scheduler``).

    A fresh parse is keyed by the hash of the bytes it parsed (``source.sha256``), not by the
    hash taken when the build started: a file edited in between is recorded as it was parsed,
    and the fingerprint follows (``step_meta``), so the next build sees the difference."""
    versions = ctx.versions()
    keys = [_cache_key(v, ctx.hashes[v.key], ctx.parser) for v in versions]
    cached = [_cached(ctx, key) for key in keys]
    todo = [v for v, c in zip(versions, cached, strict=True) if c is None]
    results: list[tuple[ParsedDocument, bytes]] = []
    fresh = iter(ctx.map(parse_task, [(v.file, v.format) for v in todo]))
    with ctx.progress(versions, "Parsing") as bar:
        for v, key, hit in zip(bar, keys, cached, strict=True):
            if hit is None:
                ctx.changed.add(v.key)
                results.append(next(fresh))
                parsed, blob = results[-1]
                ctx.hashes[v.key] = parsed.source.sha256
                key = _cache_key(v, parsed.source.sha256, ctx.parser)
            else:
                parsed, blob = hit
                ctx.parse_handles[v.key] = hit
            ctx.db.execute("insert or replace into parse_cache values (?, ?)", [key, blob])
            ctx.parsed[v.key] = parsed
            _insert_version(ctx, v, parsed)
    fresh_handles = ctx.executor.handles(results)
    ctx.parse_handles.update((v.key, h) for v, h in zip(todo, fresh_handles, strict=True))


def parse_task(job: tuple[Path, str | None]) -> tuple[ParsedDocument, bytes]:
    """One version file → (its parse, the parse-cache blob): a task that may run on a worker."""
    path, fmt = job
    from versions.sources.files import read_document

    try:
        parsed = read_document(path, fmt)
    except InputError:
        raise
    except Exception as exc:  # a parser bug must still name the file
        raise BuildError(f"{path}: the parser failed: {exc!r}") from exc
    return parsed, _blob(parsed)


def _insert_version(ctx: BuildContext, v: VersionEntry, p: ParsedDocument) -> None:
    doc = next(d for d in ctx.documents if d.id == v.doc_id)
    vid = v.key
    ctx.db["versions"].insert(  # type: ignore[union-attr]
        {
            "id": vid,
            "doc_id": v.doc_id,
            "ord": doc.versions.index(v),
            "latest": int(doc.latest() == v),
            "effective": v.effective,
            "label": v.label,
            "title": p.title,
            "file": _relative(v.file, ctx.corpus),
            "sha256": ctx.hashes[vid],
            "encoding": p.source.encoding,
            "format": p.source.format,
            "toc": "\n".join(a.text for a in p.artefacts if a.kind == "toc") or None,
            "constructed": int(v.constructed),
            "origin": v.origin,
            "parser_version": ctx.parser,
            "commit_sha": getattr(v, "commit_sha", None),
            "commit_date": getattr(v, "commit_date", None),
            "commit_author": getattr(v, "commit_author", None),
            "commit_message": getattr(v, "commit_message", None),
        }
    )
    _insert_rows(ctx.db, "node_rows", _node_rows(ctx, vid, p.nodes))
    _insert_events(ctx, vid, v, p)


def _node_rows(ctx: BuildContext, vid: str, nodes: list[Node]) -> Iterator[dict[str, Any]]:
    by_id = {n.id: n for n in nodes}
    depth: dict[str, int] = {}
    chapter: dict[str, str | None] = {}
    article: dict[str, str] = {}
    path: dict[str, str] = {}
    for i, n in enumerate(nodes):
        parent = by_id.get(n.parent) if n.parent else None
        depth[n.id] = depth[parent.id] + 1 if parent else 0
        chapter[n.id] = n.id if n.kind == "chapter" else (chapter[parent.id] if parent else None)
        if (
            n.kind == "article"
            or parent is None
            or parent.kind in ("part", "chapter", "section", "subsection")
        ):
            article[n.id] = n.id
        else:
            article[n.id] = article[parent.id]
        path[n.id] = (path[parent.id] + " › " if parent else "") + heading(n)
        ctx.seq += 1
        yield {
            "seq": ctx.seq,
            "version_id": vid,
            "node_id": n.id,
            "kind": n.kind,
            "num": n.num,
            "label": n.label,
            "parent_id": n.parent,
            "ord": i,
            "depth": depth[n.id],
            "line": n.line,
            "end_line": n.end_line,
            "chapter_id": chapter[n.id],
            "article_id": article[n.id],
            "path_id": _path_id(ctx, path[n.id]),
            "text_id": _text_id(ctx, n.caption, n.text),
        }


def _text_id(ctx: BuildContext, caption: str | None, text: str | None) -> int:
    """The texts row of (caption, text), inserted the first time it is seen in this build."""
    found = ctx.texts.get((caption, text))
    if found is None:
        found = ctx.texts[(caption, text)] = len(ctx.texts) + 1
        ctx.db.conn.execute("insert into texts values (?, ?, ?)", [found, caption, text])
    return found


def _path_id(ctx: BuildContext, path: str) -> int:
    """The paths row of a heading path, inserted the first time it is seen in this build."""
    found = ctx.paths.get(path)
    if found is None:
        found = ctx.paths[path] = len(ctx.paths) + 1
        ctx.db.conn.execute("insert into paths values (?, ?)", [found, path])
    return found


def heading(n: Node) -> str:
    """How a node is named in a heading path: 第12条（支払）, 第3章 利用料金, 2, （１）."""
    label = n.label or n.num or n.id
    if not n.caption:
        return label
    if n.kind in ("article", "appendix", "table"):
        return f"{label}（{n.caption}）"
    return f"{label} {n.caption}"


def _insert_events(ctx: BuildContext, vid: str, v: VersionEntry, p: ParsedDocument) -> None:
    db, doc_id = ctx.db, v.doc_id
    amendments, targets = [], []
    for s in p.supplements:
        key = f"{vid}/{s.id}"
        amendments.append(
            {
                "key": key,
                "version_id": vid,
                "doc_id": doc_id,
                "suppl_id": s.id,
                "heading": s.heading,
                "enacted": s.enacted,
                "number": s.number,
                "effective": s.effective,
                "transitional": int(s.transitional),
                "transitional_text": s.transitional_text,
                "line": s.line,
                "effective_text": s.effective_text,
                "effective_by": s.effective_by,
            }
        )
        targets += [
            {"amendment_key": key, "version_id": vid, "target": t.target, "effective": t.effective}
            for t in s.partial_effective
        ]
    _insert_rows(db, "amendments", amendments)
    _insert_rows(db, "amendment_targets", targets)
    seqs = ctx.node_seqs(vid)
    _insert_references(db, vid, seqs, p.references, _relative(v.file, ctx.corpus))
    for d in p.definitions:
        row = {
            "version_id": vid,
            "doc_id": doc_id,
            "term": d.term,
            "definition": d.definition,
            "node_id": d.node,
            "node_key": f"{vid}/{d.node}",
            "line": d.line,
            "kind": d.kind,
        }
        def_id = _insert_rows(db, "definitions", [row])
        uses = [
            {"definition_id": def_id, "node_seq": seqs[u]}
            for u in dict.fromkeys(d.uses)
            if u in seqs
        ]
        _insert_rows(db, "definition_use_rows", uses)
    file = _relative(v.file, ctx.corpus)
    diagnostics = [
        {
            "version_id": vid,
            "doc_id": doc_id,
            "file": file,
            "level": g.level,
            "code": g.code,
            "message": g.message,
            "line": g.line,
            "node_id": g.node,
        }
        for g in p.diagnostics
    ]
    _insert_rows(db, "diagnostics", diagnostics)


def _insert_references(
    db: sqlite_utils.Database, vid: str, seqs: dict[str, int], refs: list[Reference], file: str
) -> None:
    """reference_rows with explicit ids, and one reference_target_rows row per member, by node
    seq (the references and reference_targets views show their keys).

    A target in this version that is a node is its seq; any other target keeps its node id
    (and its key when that names no node). Another document's targets are linked to its
    latest version after every version is in (``step_link_references``). ``seqs``: node_id →
    node_rows.seq of the version."""
    first = db.conn.execute("select coalesce(max(id), 0) + 1 from reference_rows").fetchone()[0]
    rows, members = [], []
    for i, r in enumerate(refs):
        if r.source not in seqs:  # the parser cites from its own nodes
            raise BuildError(f"{file}:{r.line}: reference {r.text!r} from unknown node {r.source}")
        ref_id = first + i
        rows.append({"id": ref_id, **_reference_row(seqs, vid, r)})
        members += [
            {"reference_id": ref_id, "ord": k, **_target(seqs, vid, t, r.target_document)}
            for k, t in enumerate(r.targets)
        ]
    _insert_rows(db, "reference_rows", rows)
    _insert_rows(db, "reference_target_rows", members)


def _target(
    seqs: dict[str, int], vid: str, target: str | None, other: str | None
) -> dict[str, Any]:
    """target_seq, target, target_key of a stored reference or member (see _insert_references)."""
    seq = seqs.get(target) if target and not other else None
    if seq is not None:
        return {"target_seq": seq, "target": None, "target_key": None}
    key = f"{vid}/{target}" if target and not other else None
    return {"target_seq": None, "target": target, "target_key": key}


def _reference_row(seqs: dict[str, int], vid: str, r: Reference) -> dict[str, Any]:
    targets = json.dumps(r.targets, ensure_ascii=False)
    return {
        "source_seq": seqs[r.source],
        "text": r.text,
        "line": r.line,
        "column": r.column,
        "kind": r.kind,
        **_target(seqs, vid, r.target, r.target_document),
        "status": r.status,
        "message": r.message,
        "target_document": r.target_document,
        # the view shows null as [target] ([] without one)
        "targets": None
        if targets == json.dumps([r.target] if r.target else [], ensure_ascii=False)
        else targets,
        "target_end": r.target_end,
    }


def _insert_rows(
    db: sqlite_utils.Database, table: str, rows: Iterable[dict[str, Any]]
) -> int | None:
    """Plain executemany (sqlite-utils' per-value checks cost more than the insert itself).

    Returns the rowid of the last row inserted.
    """
    rows = list(rows)
    if not rows:
        return None
    columns = list(rows[0])
    sql = (
        f"insert into [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
        f"values ({', '.join('?' * len(columns))})"
    )
    if len(rows) == 1:
        return db.conn.execute(sql, [rows[0][c] for c in columns]).lastrowid
    cursor = db.conn.executemany(sql, [[r[c] for c in columns] for r in rows])
    return cursor.lastrowid


def step_link_references(ctx: BuildContext) -> None:
    """Cross-document references point at the latest version of the cited document: its node's
    seq, or the key when that version has no such node."""
    latest = "(select d.latest_version_id from documents d where d.id = {doc})"
    for table, doc in (
        ("reference_rows", "reference_rows.target_document"),
        (
            "reference_target_rows",
            "(select r.target_document from reference_rows r "
            "where r.id = reference_target_rows.reference_id)",
        ),
    ):
        key = f"{latest.format(doc=doc)} || '/' || {table}.target"
        ctx.db.execute(
            f"""update [{table}] set
                 target_seq = (select n.seq from node_rows n where n.key = {key}),
                 target_key = {key}
               where target is not null and target_seq is null and target_key is null
                 and {doc} is not null"""
        )
        ctx.db.execute(
            f"update [{table}] set target = null, target_key = null where target_seq is not null"
        )


def step_search_index(ctx: BuildContext) -> None:
    """Word tokens for every node (cached by text across builds), then both FTS indexes."""
    cache: dict[str, str] = {}
    if ctx.has_previous:
        with contextlib.suppress(sqlite3.Error):
            cache.update(ctx.db.execute("select hash, words from prev.word_cache").fetchall())
    new: dict[str, str] = {}

    def words(text: str | None) -> str:
        if not text:
            return ""
        h = search.text_key(text)
        hit = cache.get(h)
        if hit is None:
            hit = cache[h] = search.index_words(text)
        new[h] = hit
        return hit

    texts = {i: (c, t) for i, c, t in ctx.db.execute("select id, caption, text from texts")}
    nodes = ctx.db.execute(search.WORD_NODES_SQL.format(where="")).fetchall()
    rows = search.word_rows(search.IndexedNode(*n) for n in nodes)
    with ctx.progress(rows, "Indexing") as items:
        for batch in _batches(items, 2000):
            ctx.db.conn.executemany(
                f"insert into [{schema.FTS_WORDS}](rowid, caption, text, tags) values (?, ?, ?, ?)",
                [
                    (rowid, words(texts[tid][0]), words(texts[tid][1]), tags)
                    for rowid, tid, tags in batch
                ],
            )
    ctx.db["word_cache"].insert_all(  # type: ignore[union-attr]
        ({"hash": h, "words": w} for h, w in new.items()), batch_size=5000
    )
    for sql in schema.FTS_REBUILD:
        ctx.db.execute(sql)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def step_meta(ctx: BuildContext) -> None:
    meta = ctx.stats.setdefault("meta", {})
    meta["fingerprint"] = fingerprint(ctx.documents, ctx.hashes, ctx.parser)  # as parsed
    ctx.db["build_meta"].insert_all(  # type: ignore[union-attr]
        [{"key": k, "value": str(v)} for k, v in ctx.stats.get("meta", {}).items()], replace=True
    )


# The build, in order. Other engineers: add your step on its own line (see the module docstring).
STEPS: list[Callable[[BuildContext], None]] = [
    step_schema,
    step_documents,
    step_parse,
    step_link_references,
    step_search_index,
    word_groups.step_word_groups,  # Sudachi synonym groups of the indexed words (issue 10)
    word_tops.step_word_tops,  # stored top lists of very frequent search terms (issue 12)
    build_postings.step_word_postings,  # a question's frequent words, ranked (issue 12)
    build_facts.step_facts,  # clause facts: modality, periods, amounts (H15)
    build_versions.step_versions,  # versions over time (H6)
    build_tables.step_tables,  # 新旧対照表 of consecutive versions, for the site (issue 14)
    build_embeddings.step_embeddings,  # semantic search (H7)
    step_meta,
]


# --- the build -------------------------------------------------------------------------------


@dataclass
class BuildResult:
    db: Path
    up_to_date: bool
    seconds: float
    summary: dict[str, Any]


def summary(db: sqlite_utils.Database) -> dict[str, Any]:
    def one(sql: str) -> int:
        return int(db.execute(sql).fetchone()[0])

    return {
        "documents": one("select count(*) from documents"),
        "versions": one("select count(*) from versions"),
        "nodes": one("select count(*) from nodes"),
        "articles": one("select count(*) from nodes where kind = 'article'"),
        "references": one("select count(*) from [references]"),
        "broken_references": one(
            "select count(*) from [references] where status not in "
            f"({', '.join(repr(s) for s in RESOLVED_STATUSES)})"
        ),
        "amendments": one("select count(*) from amendments"),
        "definitions": one("select count(*) from definitions"),
        "diagnostics": {
            level: one(f"select count(*) from diagnostics where level = '{level}'")
            for level in ("error", "warning", "info")
        },
    }


def build(
    corpus: Path = DEFAULT_CORPUS,
    db_path: Path = DEFAULT_DB,
    *,
    force: bool = False,
    progress: Progress | None = None,
    executor: Any = None,
    wait: float | None = None,
) -> BuildResult:
    """Build ``db_path`` from ``corpus``; BuildError / InputError / CorpusError on failure.

    ``executor`` (versions.kb.executor) runs the parse, alignment and embedding tasks, e.g. on
    a Dask cluster; this process stays the only writer of the database. Builds of one database
    exclude each other (``build_lock``); ``wait`` seconds (None: for ever) for another one."""
    started = time.perf_counter()
    corpus, db_path = corpus.resolve(), db_path.resolve()
    documents = load_corpus(corpus)
    if not documents:
        raise CorpusError(f"{corpus}: no documents (expected <doc-id>/document.toml folders)")
    hashes = {v.key: _sha256(v.file) for d in documents for v in d.versions}
    parser = parser_version()  # once per build: the parser's code may change while we run
    fp = fingerprint(documents, hashes, parser)
    if not db_path.parent.is_dir():
        raise BuildError(f"{db_path}: folder {db_path.parent} does not exist")
    _check_replaceable(db_path)
    with build_lock(db_path, wait):
        previous = _previous_meta(db_path)
        if not force and previous.get("fingerprint") == fp and _intact(db_path):
            with contextlib.closing(sqlite_utils.Database(db_path)) as db:
                result = summary(db)
            return BuildResult(
                db_path, True, time.perf_counter() - started, {**result, "parsed": 0}
            )
        ctx = BuildContext(corpus, sqlite_utils.Database(memory=True), documents, hashes, parser)
        if progress:
            ctx.progress = progress
        ctx.executor = executor or LocalExecutor()
        result = _build_into(ctx, db_path, previous, fp)
    result.update(parsed=len(ctx.changed), reused=len(hashes) - len(ctx.changed))
    return BuildResult(db_path, False, time.perf_counter() - started, result)


def _build_into(
    ctx: BuildContext, db_path: Path, previous: dict[str, str], fp: str
) -> dict[str, Any]:
    """Run the steps on a unique temporary file beside ``db_path``, fsync it, swap it in."""
    if db_path.is_file() and db_path.stat().st_size and not _intact(db_path):
        print(f"yakkan build: {db_path} is damaged; rebuilding from the corpus", file=sys.stderr)
        previous = {}
    fd, name = tempfile.mkstemp(prefix=f".{db_path.name}.", suffix=".tmp", dir=db_path.parent)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, db_path.stat().st_mode & 0o777 if db_path.exists() else 0o644)
    ctx.db = sqlite_utils.Database(tmp)
    try:
        _run(ctx, db_path, previous, fp)
        result = summary(ctx.db)
        ctx.db.conn.commit()
        ctx.db.close()
        _fsync(tmp)
        os.replace(tmp, db_path)
        _fsync(db_path.parent)
    except BaseException:
        ctx.db.close()
        tmp.unlink(missing_ok=True)
        raise
    return result


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _intact(db_path: Path) -> bool:
    """``pragma quick_check`` passes on the existing database."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
            return conn.execute("pragma quick_check").fetchone()[0] == "ok"
    except sqlite3.Error:
        return False


@contextlib.contextmanager
def build_lock(db_path: Path, wait: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``X.lock`` beside the database ``X`` for one build.

    Waits ``wait`` seconds (None: until the other build ends, with a message); then BuildBusy
    naming the other build's pid. Temporary files of killed builds are removed once locked."""
    lock = db_path.with_name(db_path.name + ".lock")
    with open(lock, "a+") as handle:
        if not _try_lock(handle):
            pid = _holder(lock)
            if wait == 0:
                raise BuildBusy(f"another build of {db_path} is running (pid {pid})")
            print(
                f"yakkan build: waiting for another build of {db_path} (pid {pid})", file=sys.stderr
            )
            deadline = None if wait is None else time.monotonic() + wait
            while not _try_lock(handle):
                if deadline is not None and time.monotonic() > deadline:
                    raise BuildBusy(f"another build of {db_path} is running (pid {pid})")
                time.sleep(0.1)
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        for stale in db_path.parent.glob(f".{db_path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _try_lock(handle: Any) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _holder(lock: Path) -> str:
    with contextlib.suppress(OSError):
        return lock.read_text().strip() or "?"
    return "?"


def _run(ctx: BuildContext, db_path: Path, previous: dict[str, str], fp: str) -> None:
    db = ctx.db
    db.execute("pragma journal_mode = off")
    db.execute("pragma synchronous = off")
    if previous:
        db.execute("attach database ? as prev", [str(db_path)])
        ctx.has_previous = True
    ctx.stats["meta"] = {
        "schema_version": schema.SCHEMA_VERSION,
        "parser_version": ctx.parser,
        "fingerprint": fp,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "corpus": str(ctx.corpus),
    }
    with db.conn:
        for step in STEPS:
            try:
                step(ctx)
            except (BuildError, InputError, CorpusError):
                raise
            except Exception as exc:  # a bug in a step: one message, no traceback for users
                raise BuildError(f"build step {step.__name__} failed: {exc!r}") from exc
    if ctx.has_previous:
        db.execute("detach database prev")
    db.execute("analyze")


def _check_replaceable(db_path: Path) -> None:
    """Refuse to replace anything but an SQLite file (``--db README.md`` must not destroy it)."""
    if db_path.is_dir():
        raise BuildError(f"{db_path}: is a directory, not a database file")
    if db_path.exists() and not db_path.is_file():  # a FIFO would block the read for ever
        raise BuildError(f"{db_path}: not a regular file; refusing to replace it")
    try:
        with db_path.open("rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BuildError(f"{db_path}: cannot read: {exc.strerror or exc}") from None
    if head and head != b"SQLite format 3\x00":
        raise BuildError(f"{db_path}: not an SQLite database; refusing to replace it")
