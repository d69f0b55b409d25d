"""Build step (clause facts): ``clause_facts`` rows from extract.facts for every version.

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

_COLUMNS = ("doc_id", "version_id", "node_id", "node_key", "kind", "value", "unit", "party",
            "party_role", "span_start", "span_end", "surface")  # fmt: skip


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
    cols = ", ".join(_COLUMNS)
    try:
        ctx.db.execute(
            f"insert into clause_facts ({cols}) select {cols} from prev.clause_facts "
            "where version_id = ?",
            [version_id],
        )
    except sqlite3.Error:
        return False
    return True


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
        for _, rows in zip(items, ctx.map(facts_task, jobs), strict=True):
            ctx.db["clause_facts"].insert_all(rows)  # type: ignore[union-attr]
    ctx.db["build_meta"].insert(  # type: ignore[union-attr]
        {"key": "facts_algorithm", "value": algo}, replace=True
    )
    ctx.stats.setdefault("facts", {})["computed"] = len(todo)
