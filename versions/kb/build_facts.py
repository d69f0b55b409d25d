"""Build step (clause facts): ``clause_facts`` rows from extract.facts for every version, stored
by node seq (``fact_rows``; ``clause_facts`` is a view with the node keys).

Facts of a version whose source and facts code are unchanged are copied from the previous
database; the others are computed, one task per version on the build's executor (local or
Dask workers), each loading the spaCy pipeline once (cost: docs/facts.md).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import extract.facts
from extract.facts import document_facts, role
from extract.model import ParsedDocument

if TYPE_CHECKING:
    from versions.kb.context import BuildContext

_COLUMNS = ("kind", "value", "unit", "party", "party_role", "span_start", "span_end", "surface")
# the previous build's facts of a version, on this build's node seqs (they move when a document
# before it changed): matched by node key
_COPY = f"""insert into fact_rows (node_seq, {", ".join(_COLUMNS)})
select n.seq, {", ".join(f"f.{c}" for c in _COLUMNS)} from prev.fact_rows f
join prev.node_rows p on p.seq = f.node_seq join node_rows n on n.key = p.key
where p.version_id = ? order by f.id"""


def algorithm_version() -> str:
    """Hash of the facts code: a change recomputes every version's facts."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(Path(str(extract.facts.__file__)).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def fact_rows(doc_id: str, version_id: str, parsed: ParsedDocument) -> list[dict[str, Any]]:
    return [
        {
            "doc_id": doc_id,
            "version_id": version_id,
            "node_id": f.node,
            "node_key": f"{version_id}/{f.node}",
            "kind": f.kind,
            "value": f.value,
            "unit": f.unit,
            "party": f.party,
            "party_role": role(f.party),
            "span_start": f.start,
            "span_end": f.end,
            "surface": f.surface,
        }
        for f in document_facts(parsed)
    ]


def _copy_previous(ctx: BuildContext, version_id: str) -> bool:
    if version_id in ctx.changed:
        return False
    try:
        ctx.db.execute(_COPY, [version_id])
    except sqlite3.Error:
        return False
    return True


def _insert(ctx: BuildContext, version_id: str, rows: list[dict[str, Any]]) -> None:
    """fact_rows of one version: its facts with the node seq instead of the node's keys."""
    seqs = ctx.node_seqs(version_id)
    ctx.db.conn.executemany(
        f"insert into fact_rows (node_seq, {', '.join(_COLUMNS)}) "
        f"values ({', '.join('?' * (len(_COLUMNS) + 1))})",
        ([seqs[r["node_id"]], *(r[c] for c in _COLUMNS)] for r in rows),
    )


def facts_task(job: tuple[Any, str, str]) -> list[dict[str, Any]]:
    """One version's fact rows from its step_parse result: a task that may run on a worker."""
    (parsed, _), doc_id, version_id = job
    return fact_rows(doc_id, version_id, parsed)


def step_facts(ctx: BuildContext) -> None:
    """The build step (versions.kb.build STEPS): runs before step_versions, which frees the
    parses kept on the workers; the facts of each version are a task on the build's executor."""
    algo = algorithm_version()
    reuse = ctx.previous_meta("facts_algorithm") == algo  # the previous facts are still right
    todo = [v for v in ctx.versions() if not (reuse and _copy_previous(ctx, v.key))]
    jobs = [(ctx.parse_handles[v.key], v.doc_id, v.key) for v in todo]
    with ctx.progress(todo, "Facts") as items:
        for v, rows in zip(items, ctx.map(facts_task, jobs), strict=True):
            _insert(ctx, v.key, rows)
    ctx.db["build_meta"].insert(  # type: ignore[union-attr]
        {"key": "facts_algorithm", "value": algo}, replace=True
    )
    ctx.stats.setdefault("facts", {})["computed"] = len(todo)
