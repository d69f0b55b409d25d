"""Build step (versions over time): clause alignments, changes and validity periods.

For every pair of consecutive versions of a document this writes

- ``clause_alignments`` (a view): every match of versions.history.align (unchanged included), with
  type and confidence, keyed on nodes.key of both sides; stored as ``alignment_rows`` (the
  matches that are not unchanged) and ``alignment_unchanged`` (two node seqs per unchanged clause);
- ``clause_changes``: the rows of the 新旧対照表 (versions.history.diff), with the word-level edits;
- ``clause_validity``: for every node of every version, the dates its text was in force
  (``valid_from`` honours per-clause 附則 dates; ``valid_to`` is when the next text took over),
  which makes "a clause as of a date" one indexed query (a view over ``validity_rows``, keyed
  by node seq);

and copies git commit metadata (import-git) from document.toml into ``versions``.
Alignments of version pairs whose sources did not change are copied from the previous database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extract.model import ParsedDocument
from extract.supplements import clause_effective_dates
from versions.history import align as align_mod
from versions.history import diff as diff_mod
from versions.history.align import Alignment, Match, align
from versions.history.diff import Change, changes_of

Parse = tuple[ParsedDocument, bytes]  # a step_parse result: the parse and its cache blob

if TYPE_CHECKING:
    from versions.kb.context import BuildContext
    from versions.sources.corpus import DocumentEntry, VersionEntry

_ALIGNMENT_COLUMNS: dict[str, tuple[type, str]] = {
    "id": (int, "Row id (negative for unchanged clauses: -alignment_unchanged.old_seq)."),
    "doc_id": (str, "The document (documents.id)."),
    "old_version": (str, "Older version (versions.id)."),
    "new_version": (str, "Newer version (versions.id)."),
    "type": (str, "unchanged, modified, renumbered, moved, added, deleted, split, merged."),
    "old_node": (str, "node_id in the older version (null when added)."),
    "new_node": (str, "node_id in the newer version (null when deleted)."),
    "old_key": (str, "nodes.key in the older version."),
    "new_key": (str, "nodes.key in the newer version."),
    "old_nodes": (str, "Every old node_id (JSON list; several when merged)."),
    "new_nodes": (str, "Every new node_id (JSON list; several when split)."),
    "confidence": (float, "How sure the aligner is, 0–1."),
    "similarity": (float, "Character 3-gram Jaccard similarity of the texts."),
    "level": (int, "0 for 章/条/附則/別紙, 1 for their 項, 2 for 号 …"),
}
_VALIDITY_DATES: dict[str, tuple[type, str]] = {
    "valid_from": (str, "ISO date the text took effect (null: unknown)."),
    "valid_to": (str, "ISO date the next text took over (null: still in force)."),
    "pending": (int, "1 when a 附則 gave this node a later date than its version."),
}

# An unchanged clause (99 % of the matches) is two node seqs: its keys, versions, node ids and
# document are read from node_rows through the view, so only what differs is stored.
ALIGNMENTS_VIEW = (
    "create view clause_alignments as select "
    + ", ".join(_ALIGNMENT_COLUMNS)
    + " from alignment_rows union all select -u.old_seq, o.doc_id, o.version_id, n.version_id,"
    " 'unchanged', o.node_id, n.node_id, o.key, n.key, json_array(o.node_id),"
    " json_array(n.node_id), coalesce(u.confidence, 1.0), coalesce(u.similarity, 1.0), u.level"
    " from alignment_unchanged u join node_rows o on o.seq = u.old_seq"
    " join node_rows n on n.seq = u.new_seq"
)
# One table with rowid lookups (as the nodes view): the view stays flattenable on the right of
# a LEFT JOIN, and key, doc_id and node_id filters use node_rows' indexes.
VALIDITY_VIEW = (
    "create view clause_validity as select r.key, r.doc_id, r.version_id, r.node_id, "
    + ", ".join(
        f"(select w.{c} from validity_rows w where w.seq = r.seq) as {c}" for c in _VALIDITY_DATES
    )
    + " from node_rows r"  # every node has its validity row (_validity)
)

TABLES: dict[str, dict[str, Any]] = {
    "clause_alignments": {
        "description": "Clause alignment between consecutive versions (versions.history.align); "
        "a view: alignment_rows and the unchanged clauses of alignment_unchanged.",
        "columns": _ALIGNMENT_COLUMNS,
        "view": ALIGNMENTS_VIEW,
    },
    "alignment_rows": {
        "description": "The stored alignments that are not unchanged (read clause_alignments).",
        "columns": _ALIGNMENT_COLUMNS,
        "indexes": [("old_key",), ("new_key",), ("old_version", "new_version")],
    },
    "alignment_unchanged": {
        "description": "Unchanged clauses between consecutive versions, as node seqs (read "
        "clause_alignments).",
        "columns": {
            "old_seq": (int, "The clause in the older version (node_rows.seq)."),
            "new_seq": (int, "The clause in the newer version (node_rows.seq)."),
            "confidence": (float, "How sure the aligner is, 0–1; null: 1."),
            "similarity": (float, "3-gram Jaccard similarity of the texts; null: 1."),
            "level": (int, "0 for 章/条/附則/別紙, 1 for their 項, 2 for 号 …"),
        },
        "indexes": [("new_seq",)],
    },
    "clause_changes": {
        "description": "Rows of the 新旧対照表 between consecutive versions (unchanged omitted).",
        "columns": {
            "id": (int, "Row id."),
            "doc_id": (str, "The document (documents.id)."),
            "old_version": (str, "Older version (versions.id)."),
            "new_version": (str, "Newer version (versions.id)."),
            "ord": (int, "Row order in the table."),
            "type": (str, "modified, renumbered, moved, added, deleted, split, merged."),
            "old_node": (str, "node_id in the older version."),
            "new_node": (str, "node_id in the newer version."),
            "old_key": (str, "nodes.key in the older version."),
            "new_key": (str, "nodes.key in the newer version."),
            "old_label": (str, "Label as legal writes it: 第20条（契約者による解約）第2項."),
            "new_label": (str, "Label in the newer version."),
            "old_text": (str, "Text before the amendment."),
            "new_text": (str, "Text after the amendment."),
            "edits": (str, "Word-level edits, JSON list of {op, old, new}."),
            "confidence": (float, "Alignment confidence, 0–1."),
        },
        "indexes": [
            ("old_key",),
            ("new_key",),
            ("doc_id", "old_version", "new_version"),
            ("old_version", "new_version"),  # the clause page: changes of a version pair
        ],
    },
    "clause_validity": {
        "description": "When each node's text was in force (per-clause 附則 dates honoured); a "
        "view: node_rows with their validity_rows.",
        "columns": {
            "key": (str, "nodes.key."),
            "doc_id": (str, "The document (documents.id)."),
            "version_id": (str, "The version (versions.id)."),
            "node_id": (str, "node_id in that version."),
            **_VALIDITY_DATES,
        },
        "view": VALIDITY_VIEW,
    },
    "validity_rows": {
        "description": "The stored validity of each node, by node seq (read clause_validity).",
        "columns": {"seq": (int, "The node (node_rows.seq)."), **_VALIDITY_DATES},
        "indexes": [],
    },
}


def algorithm_version() -> str:
    h = hashlib.sha256()
    for mod in (align_mod, diff_mod):
        h.update(Path(str(mod.__file__)).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def create_tables(db: Any) -> None:
    for name, spec in TABLES.items():
        if "view" in spec:
            continue
        pk = next(iter(spec["columns"]))
        db[name].create({c: t for c, (t, _) in spec["columns"].items()}, pk=pk, if_not_exists=True)
        for cols in spec["indexes"]:
            db[name].create_index(list(cols), if_not_exists=True)
    for name, spec in TABLES.items():
        if "view" in spec and name not in db.view_names():
            db.execute(spec["view"])


def step_versions(ctx: BuildContext) -> None:
    """The build step (versions.kb.build STEPS)."""
    db = ctx.db
    create_tables(db)
    _commit_metadata(ctx)
    algo = algorithm_version()
    pairs = [
        (d, d.versions[i], d.versions[i + 1])
        for d in ctx.documents
        for i in range(len(d.versions) - 1)
    ]
    reuse = ctx.previous_meta("versions_algorithm") == algo  # the previous alignments hold
    todo = [p for p in pairs if not (reuse and _copy_previous(ctx, p[1], p[2]))]
    jobs = [(ctx.parse_handles[old.key], ctx.parse_handles[new.key]) for _, old, new in todo]
    with ctx.progress(todo, "Aligning") as items:
        for (doc, old, new), (al, changes) in zip(items, ctx.map(align_task, jobs), strict=True):
            _insert_pair(ctx, doc, old, new, al, changes)
    ctx.parse_handles.clear()  # frees the parses kept on the workers
    for doc in ctx.documents:
        _validity(ctx, doc)
    db["build_meta"].insert(  # type: ignore[union-attr]
        {"key": "versions_algorithm", "value": algo}, replace=True
    )
    ctx.stats.setdefault("versions", {})["pairs"] = len(pairs)


_COPY_UNCHANGED = """insert into alignment_unchanged
(old_seq, new_seq, confidence, similarity, level)
select o.seq, n.seq, u.confidence, u.similarity, u.level from prev.node_rows po
join prev.alignment_unchanged u on u.old_seq = po.seq
join prev.node_rows pn on pn.seq = u.new_seq
join node_rows o on o.key = po.key join node_rows n on n.key = pn.key
where po.version_id = ? and pn.version_id = ?"""


def _copy_previous(ctx: BuildContext, old: VersionEntry, new: VersionEntry) -> bool:
    """Copy the alignment of an unchanged version pair from the previous database (its node
    seqs may differ in this build: unchanged clauses are matched by key)."""
    if old.key in ctx.changed or new.key in ctx.changed:
        return False
    ctx.db.execute("savepoint copy_pair")  # all or nothing: a failed copy is recomputed
    try:
        for table in ("alignment_rows", "clause_changes"):
            cols = ", ".join(c for c in TABLES[table]["columns"] if c != "id")
            ctx.db.execute(
                f"insert into [{table}] ({cols}) select {cols} from prev.[{table}] "
                "where old_version = ? and new_version = ?",
                [old.key, new.key],
            )
        ctx.db.execute(_COPY_UNCHANGED, [old.key, new.key])
    except sqlite3.Error:
        ctx.db.execute("rollback to copy_pair")
        return False
    finally:
        ctx.db.execute("release copy_pair")
    return True


def align_task(pair: tuple[Parse, Parse]) -> tuple[Alignment, list[Change]]:
    """Align two parsed versions (step_parse results) and list their changes: a task that may
    run on a worker, which then gets the parses from the workers that made them."""
    (old, _), (new, _) = pair
    al = align(old, new)
    return al, changes_of(al)


def _insert_pair(
    ctx: BuildContext,
    doc: DocumentEntry,
    old: VersionEntry,
    new: VersionEntry,
    al: Alignment,
    changes: list[Change],
) -> None:
    base = {"doc_id": doc.id, "old_version": old.key, "new_version": new.key}

    def key(vid: str, nid: str | None) -> str | None:
        return f"{vid}/{nid}" if nid else None

    ctx.db["alignment_rows"].insert_all(  # type: ignore[union-attr]
        (
            {
                **base,
                "type": m.type,
                "old_node": m.old,
                "new_node": m.new,
                "old_key": key(old.key, m.old),
                "new_key": key(new.key, m.new),
                "old_nodes": json.dumps(m.old_ids),
                "new_nodes": json.dumps(m.new_ids),
                "confidence": round(m.confidence, 4),
                "similarity": round(m.similarity, 4),
                "level": m.level,
            }
            for m in al.matches
            if m.type != "unchanged"
        ),
        batch_size=1000,
    )
    _insert_unchanged(ctx, old.key, new.key, [m for m in al.matches if m.type == "unchanged"])
    ctx.db["clause_changes"].insert_all(  # type: ignore[union-attr]
        (
            {
                **base,
                "ord": i,
                "type": c.type,
                "old_node": c.old,
                "new_node": c.new,
                "old_key": key(old.key, c.old),
                "new_key": key(new.key, c.new),
                "old_label": c.old_label,
                "new_label": c.new_label,
                "old_text": c.old_text,
                "new_text": c.new_text,
                "edits": json.dumps([e.to_json() for e in c.edits], ensure_ascii=False),
                "confidence": round(c.confidence, 4),
            }
            for i, c in enumerate(changes)
        ),
        batch_size=500,
    )


def _insert_unchanged(ctx: BuildContext, old: str, new: str, matches: list[Match]) -> None:
    """The unchanged matches as node seqs; a confidence or similarity of 1 is stored as null."""
    old_seq, new_seq = ctx.node_seqs(old), ctx.node_seqs(new)

    def unless_one(x: float) -> float | None:
        return None if round(x, 4) == 1.0 else round(x, 4)

    rows = [
        (
            old_seq[str(m.old)],
            new_seq[str(m.new)],
            unless_one(m.confidence),
            unless_one(m.similarity),
            m.level,
        )
        for m in matches
    ]
    with ctx.db.conn:
        ctx.db.conn.executemany(
            "insert into alignment_unchanged (old_seq, new_seq, confidence, similarity, level) "
            "values (?, ?, ?, ?, ?)",
            rows,
        )


def _validity(ctx: BuildContext, doc: DocumentEntry) -> None:
    """valid_from / valid_to of every node, from version dates, 附則 dates and alignments."""
    versions = list(doc.versions)
    start: list[dict[str, str | None]] = []
    for v in versions:
        parsed = ctx.parsed[v.key]
        dates = clause_effective_dates(parsed.supplements)
        out: dict[str, str | None] = {}
        for n in parsed.nodes:
            own = next(
                (d for t, d in dates.items() if n.id == t or n.id.startswith(t + "__")), None
            )
            out[n.id] = max(filter(None, [v.effective, own]), default=None)
        start.append(out)
    seqs = {v.key: ctx.node_seqs(v.key) for v in versions}
    rows = []
    for i, v in enumerate(versions):
        nxt = _successors(ctx, versions[i], versions[i + 1]) if i + 1 < len(versions) else None
        for node_id, valid_from in start[i].items():
            valid_to = None
            if nxt is not None:
                succ = nxt.get(node_id)
                valid_to = start[i + 1].get(succ) if succ else versions[i + 1].effective
            rows.append(
                {
                    "seq": seqs[v.key][node_id],
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                    "pending": int(bool(valid_from and v.effective and valid_from > v.effective)),
                }
            )
    ctx.db["validity_rows"].insert_all(  # type: ignore[union-attr]
        rows, batch_size=2000, replace=True
    )


def _successors(ctx: BuildContext, old: VersionEntry, new: VersionEntry) -> dict[str, str]:
    rows = ctx.db.execute(
        "select old_nodes, new_node from clause_alignments "
        "where old_version = ? and new_version = ? and new_node is not null "
        "and type != 'deleted'",
        [old.key, new.key],
    ).fetchall()
    out: dict[str, str] = {}
    for old_nodes, new_node in rows:
        for o in json.loads(old_nodes):
            out[o] = new_node
    return out


def _commit_metadata(ctx: BuildContext) -> None:
    """commit_* fields of import-git versions (document.toml) into the versions table."""
    for doc in ctx.documents:
        with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
            data = tomllib.loads((doc.folder / "document.toml").read_text(encoding="utf-8"))
            for raw in data.get("versions") or []:
                if not isinstance(raw, dict) or not raw.get("commit_sha"):
                    continue
                vid = next((v.key for v in doc.versions if v.file.name == raw.get("file")), None)
                if vid is None:
                    continue
                ctx.db["versions"].update(  # type: ignore[union-attr]
                    vid,
                    {
                        k: str(raw.get(k) or "") or None
                        for k in ("commit_sha", "commit_date", "commit_author", "commit_message")
                    },
                )
