"""Build step: the 新旧対照表 of every pair of consecutive versions, made once at build time.

A statute's first 新旧対照表 takes seconds of CPU (alignment, word diffs, rendering); on the
site, every server process made its own. The pages of consecutive versions (the ones the site
links to) are stored here, in both column orders, zlib-compressed JSON of exactly what the
site's worker would compute (versions/kb/sitediff.py ``table_parts`` on the clause trees
rebuilt from ``nodes``), so the page only looks them up; any other pair is still computed by
the site's worker process. About 85 KB per column order for the 7-document corpus
(docs/performance.md).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from pathlib import Path
from typing import Any

from versions.kb import sitedb, sitediff
from versions.kb.context import BuildContext

TABLES: dict[str, dict[str, Any]] = {
    "diff_tables": {
        "description": "新旧対照表 pages of consecutive versions, made at build time (the site "
        "reads them; other pairs are computed when asked for)",
        "columns": {
            "id": ("text", "OLD|NEW|old_first (0: 改正後 on the left, as printed; 1: 改正前)"),
            "old_version": ("text", "versions.id, the older"),
            "new_version": ("text", "versions.id, the newer"),
            "old_first": ("integer", "1 when the 改正前 column comes first"),
            "parts": ("blob", "zlib-compressed JSON: articles, table (HTML), summary, changes"),
        },
    }
}
_TREE_COLUMNS = "node_id, kind, num, label, caption, text, parent_id, line, end_line"
Job = tuple[Any, Any, str, str, tuple[str, str]]


def algorithm_version() -> str:
    """Hash of the code the stored pages come from (an old one is recomputed)."""
    from versions.history import align, diff, taiyo

    h = hashlib.sha256()
    for mod in (align, diff, taiyo, sitedb, sitediff):
        h.update(Path(str(mod.__file__)).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def pack(parts: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(parts, ensure_ascii=False).encode("utf-8"), 6)


def unpack(blob: bytes) -> dict[str, Any]:
    parts: dict[str, Any] = json.loads(zlib.decompress(blob).decode("utf-8"))
    return parts


def tables_task(job: Job) -> list[bytes]:
    """Both column orders of one pair's page (one comparison): [old_first=0, old_first=1]."""
    from versions.history.diff import compare

    old, new, old_id, new_id, dates = job
    cmp = compare(old, new)
    return [pack(sitediff.parts_of(cmp, old_id, new_id, first, dates)) for first in (False, True)]


def tree(db: sqlite3.Connection, version_id: str) -> Any:
    """The clause tree the site rebuilds for ``version_id`` (nodes only)."""
    cur = db.execute("select * from versions where id = ?", [version_id])
    names = [d[0] for d in cur.description]
    version = dict(zip(names, cur.fetchone(), strict=True))
    cur = db.execute(
        f"select {_TREE_COLUMNS} from nodes where version_id = ? order by ord", [version_id]
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return sitedb.parsed_from_rows(rows, version)


def step_tables(ctx: BuildContext) -> None:
    """The build step (versions.kb.build STEPS)."""
    db = ctx.db
    spec = TABLES["diff_tables"]
    db["diff_tables"].create(  # type: ignore[union-attr]
        {c: t for c, (t, _) in spec["columns"].items()}, pk="id", if_not_exists=True
    )
    algo = algorithm_version()
    reuse = ctx.previous_meta("diff_tables_algorithm") == algo
    pairs = [
        (d.versions[i], d.versions[i + 1])
        for d in ctx.documents
        for i in range(len(d.versions) - 1)
    ]
    todo = [p for p in pairs if not (reuse and _copy_previous(ctx, *p))]
    conn = db.conn
    effective = dict(conn.execute("select id, coalesce(effective, '') from versions").fetchall())
    jobs = (  # made as the tasks are taken: 16,000 clause trees at once were 10 GB
        (tree(conn, o.key), tree(conn, n.key), o.key, n.key, (effective[n.key], effective[o.key]))
        for o, n in todo
    )
    with ctx.progress(todo, "新旧対照表") as items:
        for (old, new), blobs in zip(items, ctx.map(tables_task, jobs), strict=True):
            rows = (
                {
                    "id": f"{old.key}|{new.key}|{first}",
                    "old_version": old.key,
                    "new_version": new.key,
                    "old_first": first,
                    "parts": blob,
                }
                for first, blob in enumerate(blobs)
            )
            db["diff_tables"].insert_all(rows, replace=True)  # type: ignore[union-attr]
    db["build_meta"].insert(  # type: ignore[union-attr]
        {"key": "diff_tables_algorithm", "value": algo}, replace=True
    )
    ctx.stats.setdefault("versions", {})["tables"] = len(pairs)


def _copy_previous(ctx: BuildContext, old: Any, new: Any) -> bool:
    if old.key in ctx.changed or new.key in ctx.changed:
        return False
    try:
        found = ctx.db.execute(
            "insert into diff_tables select * from prev.diff_tables "
            "where old_version = ? and new_version = ?",
            [old.key, new.key],
        ).rowcount
    except sqlite3.Error:
        return False
    return bool(found == 2)
