"""yakkan versions-over-time pages for Datasette (新旧対照表, as-of, clause history).

    /-/yakkan/diff?old=VERSION_ID&new=VERSION_ID[&old_first=1]   新旧対照表 between any two versions
    /-/yakkan/asof?doc=DOC&date=YYYY-MM-DD[&clause=NODE_ID]      the text in force on a date
    /-/yakkan/history?doc=DOC&clause=NODE_ID[&version=VERSION_ID] a clause across versions

The diff page rebuilds both versions' clause trees from the ``nodes`` table and runs the same
alignment and diff as ``yakkan diff``; the other pages read ``clause_validity``,
``clause_alignments`` and ``clause_changes`` (versions/kb/build_versions.py). Everything from
documents is escaped (Jinja autoescape; the table HTML comes from versions.history.taiyo,
which escapes).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from datasette.utils.asgi import Response
from markupsafe import Markup
from markupsafe import escape as markupsafe_escape

from datasette import hookimpl  # type: ignore[attr-defined]
from versions.kb import document_list
from versions.kb.sitedb import (
    LRU,
    MAX_LABEL,
    batched,
    knowledge_base,
    parsed_from_rows,
    time_limited,
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^[A-Za-z0-9._@-]+$")
# Bounded caches keyed by (database file, its mtime, version ids): 新旧対照表 comparisons with
# their rendered parts, and clause trees rebuilt from nodes rows (as-of, history pages).
_TABLES: LRU[dict[str, Any]] = LRU(8)
_TREES: LRU[Any] = LRU(32)
_LABELS: LRU[dict[str, str]] = LRU(32)  # printed headings of a tree's nodes (as-of page)
_PENDING: dict[tuple[str, ...], asyncio.Future[dict[str, Any]]] = {}


def _mtime(path: str | None) -> float:
    import os

    try:
        return os.stat(path).st_mtime if path else 0.0
    except OSError:
        return 0.0


async def _rows(db: Any, sql: str, params: Any = None) -> list[dict[str, Any]]:
    result = await db.execute(sql, params or {})
    return [dict(r) for r in result.rows]


async def _page(
    datasette: Any, request: Any, template: str, ctx: dict[str, Any], status: int = 200
) -> Response:
    html = await datasette.render_template(f"yakkan_versions/{template}", ctx, request=request)
    return Response.html(html, status=status)


async def _error(datasette: Any, request: Any, message: str, status: int = 400) -> Response:
    return await _page(datasette, request, "error.html", {"message": message}, status)


async def _versions(db: Any) -> list[dict[str, Any]]:
    return await _rows(
        db,
        "select v.id, v.doc_id, v.effective, v.constructed, d.title from versions v "
        "join documents d on d.id = v.doc_id order by v.doc_id, v.ord",
    )


def _stamp(db: Any) -> tuple[str, str]:
    return (str(db.path), str(_mtime(db.path)))


async def _load(db: Any, version_id: str) -> Any:
    """The clause tree of a version (nodes only), or None; cached (``_TREES``)."""
    key = (*_stamp(db), version_id)
    cached = _TREES.get(key)
    if cached is not None:
        return cached
    found = await _rows(db, "select * from versions where id = :id", {"id": version_id})
    if not found:
        return None
    rows = await _rows(
        db,
        "select node_id, kind, num, label, caption, text, parent_id, line, end_line "
        "from nodes where version_id = :id order by ord",
        {"id": version_id},
    )
    return _TREES.put(key, parsed_from_rows(rows, found[0]))


async def diff_page(datasette: Any, request: Any) -> Response:
    db = await knowledge_base(datasette, request)
    if db is None:
        return await _error(datasette, request, "No yakkan knowledge base is loaded.", 404)
    old_id, new_id = request.args.get("old", ""), request.args.get("new", "")
    old_first = request.args.get("old_first") in ("1", "on", "true")
    versions = await _versions(db)
    ctx: dict[str, Any] = {
        "versions": versions,
        "old": old_id,
        "new": new_id,
        "old_first": old_first,
    }
    if not old_id or not new_id:
        return await _page(datasette, request, "diff.html", ctx)
    if not (_ID.match(old_id) and _ID.match(new_id)):
        return await _error(datasette, request, "Version ids look like doc@2024-10-01.")
    by_id = {v["id"]: v for v in versions}
    old_v, new_v = by_id.get(old_id) or {}, by_id.get(new_id) or {}
    if _reversed(old_v, new_v):  # the same document, OLD newer than NEW: compare it the right way
        ctx["swapped"] = f"{old_id} is newer than {new_id}: showing {new_id} as 改正前."
        old_id, new_id, old_v, new_v = new_id, old_id, new_v, old_v
        ctx.update(old=old_id, new=new_id)
    ctx["doc_title"] = new_v.get("title") if old_v.get("doc_id") == new_v.get("doc_id") else ""
    missing = [v for v in (old_id, new_id) if v not in by_id]
    if missing:
        return await _error(datasette, request, f"No version {missing[0]}.", 404)
    key = (*_stamp(db), old_id, new_id, str(old_first))
    table = _TABLES.get(key) or await _stored_table(db, key, old_first)
    if table is None:
        old, new = await _load(db, old_id), await _load(db, new_id)
        dates = (new_v.get("effective") or "", old_v.get("effective") or "")
        table = await _table(key, old, new, old_id, new_id, old_first, dates)
    ctx.update(table)
    return await _page(datasette, request, "diff.html", ctx)


async def _stored_table(db: Any, key: tuple[str, ...], old_first: bool) -> dict[str, Any] | None:
    """The page parts the build made for a pair of consecutive versions (diff_tables,
    versions/kb/build_tables.py), or None: another pair, or a database built without them."""
    from versions.kb import build_tables

    if "diff_tables" not in await db.table_names():
        return None
    old_id, new_id = key[2], key[3]
    rows = await _rows(
        db,
        "select parts from diff_tables where id = :id",
        {"id": f"{old_id}|{new_id}|{int(old_first)}"},
    )
    if not rows:
        return None
    parts = await asyncio.to_thread(build_tables.unpack, rows[0]["parts"])
    return _TABLES.put(key, {**parts, "table": Markup(parts["table"])})


async def _table(
    key: tuple[str, ...],
    old: Any,
    new: Any,
    old_id: str,
    new_id: str,
    old_first: bool,
    dates: tuple[str, str],
) -> dict[str, Any]:
    """The 新旧対照表 parts of a page, computed in a worker process (versions/kb/sitediff.py:
    alignment and word diffs take seconds on a statute, never on the event loop nor holding the
    server's GIL), once for concurrent requests of the same pair."""
    from versions.kb import sitediff

    pending = _PENDING.get(key)
    if pending is None:

        async def run() -> dict[str, Any]:
            try:
                parts = await sitediff.compute(old, new, old_id, new_id, old_first, dates)
                return _TABLES.put(key, {**parts, "table": Markup(parts["table"])})
            finally:
                _PENDING.pop(key, None)

        pending = _PENDING[key] = asyncio.ensure_future(run())
    # shielded: a request that times out leaves the work to finish and fill the cache
    return await asyncio.shield(pending)


def _reversed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Two versions of one document whose OLD took effect after NEW."""
    same_doc = old.get("doc_id") and old.get("doc_id") == new.get("doc_id")
    return bool(same_doc and (old.get("effective") or "") > (new.get("effective") or ""))


async def asof_page(datasette: Any, request: Any) -> Response:
    db = await knowledge_base(datasette, request)
    if db is None:
        return await _error(datasette, request, "No yakkan knowledge base is loaded.", 404)
    doc, date = request.args.get("doc", ""), request.args.get("date", "")
    clause = request.args.get("clause", "").strip()[:MAX_LABEL]
    if doc and date and not (_DATE.match(date) and _ID.match(doc)):
        return await _error(datasette, request, "Use doc=DOC&date=YYYY-MM-DD[&clause=第20条].")
    # its queries, the clause order and the rows' HTML in one SQL thread (sitedb.batched): a
    # statute in force on a date is thousands of rows, 60% of the page's CPU in the template
    found = await batched(datasette, db, lambda b: _asof_context(b, doc, date, clause))
    if isinstance(found, str):
        return await _error(datasette, request, found, 404)
    ctx, status = found
    return await _page(datasette, request, "asof.html", ctx, status)


async def _asof_context(
    db: Any, doc: str, date: str, clause: str
) -> tuple[dict[str, Any], int] | str:
    """The as-of page's context and status, or why there is none (a 404 message)."""
    docs = await db.execute_fn(document_list.read)
    ctx: dict[str, Any] = {"doc_options": Markup(docs.options_html(doc)), "doc": doc}
    ctx |= {"date": date, "clause": clause}
    if not doc or not date:
        return ctx, 200
    versions = await _rows(
        db, "select * from versions where doc_id = :doc order by ord", {"doc": doc}
    )
    dated = [v for v in versions if v["effective"]]
    if not dated:
        return f"No document {doc}."
    ctx["first"] = dated[0]["effective"]
    if date < ctx["first"]:
        ctx["before_first"] = True
        return ctx, 200
    version = [v for v in dated if v["effective"] <= date][-1]
    ctx["uncertain"], newer = await _uncertain(db, date, version, versions)
    # every amendment is known in force before the newer version's listed date: the newer text
    when = newer["effective"] if newer else date
    version = newer or version
    ctx["version"] = version
    parsed = await _load(db, version["id"])
    node_id = ""
    if clause:
        from extract.references import clause_id

        node_id = clause_id(parsed.nodes, clause) or ""
        if not node_id:
            ctx["no_clause"] = True
            return ctx, 404
    rows = await _rows(
        db,
        """select n.version_id, n.node_id, n.kind, n.label, n.caption, n.text, n.depth,
                  c.valid_from, c.valid_to, c.pending
           from clause_validity c join nodes n on n.key = c.key
           where c.doc_id = :doc and c.valid_from <= :date
             and (c.valid_to is null or c.valid_to > :date)
             and (:clause = '' or n.node_id = :clause
                  or substr(n.node_id, 1, length(:clause) + 2) = :clause || '__')""",
        {"doc": doc, "date": when, "clause": node_id},
    )
    ctx["rows"] = await _document_order(db, rows, version["id"], parsed)
    ctx["rows_html"] = asof_rows_html(ctx["rows"], version["id"])
    return ctx, 200


def asof_rows_html(rows: list[dict[str, Any]], version_id: str) -> Markup:
    """The as-of page's rows, as its template printed them (every value escaped as Jinja's
    autoescape does), built in Python: the async template took ~1 µs per value."""
    esc = markupsafe_escape
    out = []
    for r in rows:
        nid = esc(r["node_id"])
        vid = esc(r["version_id"])
        pending = (
            f'<span class="pending">[text of {vid}, in force until {esc(r["valid_to"])}]</span>'
            if r["version_id"] != version_id
            else ""
        )
        out.append(
            f'\n  <p class="clause-text" id="{nid}" style="margin-left: {esc(r["depth"] * 1.2)}em">'
            f'<a href="/-/yakkan/clause/{vid}/{nid}" title="{nid}">{esc(r["display"])}</a> '
            f"{esc(r['text'])}\n  {pending}</p>\n"
        )
    return Markup("".join(out))


async def _document_order(
    db: Any, rows: list[dict[str, Any]], version_id: str, parsed: Any
) -> list[dict[str, Any]]:
    """Rows in the order of the version in force; an older text still in force (a provision a
    附則 dates later) takes the place of its successor; every row gets its printed label."""
    from versions.history.diff import heading

    place = {n.id: i for i, n in enumerate(parsed.nodes)}
    docs = {version_id: parsed}
    successor: dict[tuple[str, str], str] = {}
    for old in {r["version_id"] for r in rows} - {version_id}:
        docs[old] = await _load(db, old)
        for a in await _rows(
            db,
            "select old_node, new_node from clause_alignments where old_version = :o "
            "and new_version = :n and old_node is not null and new_node is not null",
            {"o": old, "n": version_id},
        ):
            successor[(old, a["old_node"])] = a["new_node"]
    seen: set[str] = set()
    out = []
    stamp = _stamp(db)  # once, not a stat() per row (a statute in force: 2,000 rows)
    for r in rows:
        own = r["version_id"] == version_id
        target = r["node_id"] if own else successor.get((r["version_id"], r["node_id"]))
        if not own and r["node_id"] in seen:
            continue
        seen.add(r["node_id"])
        r["place"] = place.get(target or "", len(place))
        labels = _LABELS.get((*stamp, r["version_id"]))
        if labels is None:
            labels = _LABELS.put((*stamp, r["version_id"]), {})
        label = labels.get(r["node_id"])
        if label is None:  # a pure function of the (immutable) tree: kept with it
            label = labels[r["node_id"]] = heading(docs[r["version_id"]], r["node_id"])
        own_label = " ".join(x for x in (r["label"], r["caption"]) if x) or r["node_id"]
        r["display"] = label if label != r["node_id"] else own_label
        out.append(r)
    return sorted(out, key=lambda r: (r["place"], r["version_id"] == version_id))


async def _uncertain(
    db: Any, date: str, version: dict[str, Any], versions: list[dict[str, Any]]
) -> tuple[Any, dict[str, Any] | None]:
    """Why the text on ``date`` is not known (versions.history.asof.uncertainty), or None; and
    the newer version when its amendments are all known to be in force by ``date``."""
    from types import SimpleNamespace

    from versions.history.asof import new_amendments, supplements_from_rows, uncertainty

    later = [v for v in versions if v["ord"] > version["ord"]]
    if not later:
        return None, None
    newer = later[0]
    sups = {
        vid: supplements_from_rows(
            await _rows(
                db, "select * from amendments where version_id = :v order by line", {"v": vid}
            )
        )
        for vid in (version["id"], newer["id"])
    }
    amendments = new_amendments(sups[version["id"]], sups[newer["id"]])
    older = SimpleNamespace(key=version["id"], effective=version["effective"])
    found, switched = uncertainty(
        date, older, SimpleNamespace(key=newer["id"], effective=newer["effective"]), amendments
    )
    return found, newer if switched else None


async def history_page(datasette: Any, request: Any) -> Response:
    db = await knowledge_base(datasette, request)
    if db is None:
        return await _error(datasette, request, "No yakkan knowledge base is loaded.", 404)
    doc, clause = request.args.get("doc", ""), request.args.get("clause", "")[:MAX_LABEL]
    version = request.args.get("version", "")
    docs = await db.execute_fn(document_list.read)
    ctx: dict[str, Any] = {"doc_options": Markup(docs.options_html(doc)), "doc": doc}
    ctx |= {"clause": clause, "version": version}
    if not doc or not clause:
        return await _page(datasette, request, "history.html", ctx)
    if not (_ID.match(doc) and (not version or _ID.match(version))):
        return await _error(datasette, request, "Use doc=DOC&clause=第20条[&version=DOC@DATE].")
    versions = await _rows(
        db,
        "select id, effective, constructed from versions where doc_id = :doc order by ord",
        {"doc": doc},
    )
    if not versions:
        return await _error(datasette, request, f"No document {doc}.", 404)
    ids = [v["id"] for v in versions]
    steps = await batched(datasette, db, lambda b: _history_steps(b, ids, version, clause))
    if steps is None:
        return await _error(datasette, request, f"No clause {clause} in {doc}.", 404)
    ctx["steps"] = steps
    return await _page(datasette, request, "history.html", ctx)


async def _history_steps(
    db: Any, ids: list[str], version: str, clause: str
) -> list[dict[str, Any]] | None:
    """The clause in every version (``_timeline``), or None where no version has it; its
    queries run in one SQL thread (sitedb.batched)."""
    start, node_id = await _clause_in(db, [version] if version in ids else ids[::-1], clause)
    if start is None or node_id is None:
        return None
    return await _timeline(db, ids, ids.index(start), node_id)


async def _clause_in(db: Any, versions: list[str], clause: str) -> tuple[str | None, str | None]:
    """The first of ``versions`` that has ``clause`` (a node id or a label as printed, 第20条)
    and its node id there (extract.references.clause_id, as in the CLI)."""
    from extract.references import clause_id

    for vid in versions:
        parsed = await _load(db, vid)
        node_id = clause_id(parsed.nodes, clause) if parsed is not None else None
        if node_id:
            return vid, node_id
    return None, None


async def _timeline(db: Any, ids: list[str], start: int, clause: str) -> list[dict[str, Any]]:
    node: dict[int, str | None] = {start: clause}
    for i in range(start, 0, -1):
        node[i - 1] = await _follow(db, ids[i - 1], ids[i], node[i], backwards=True)
    for i in range(start, len(ids) - 1):
        node[i + 1] = await _follow(db, ids[i], ids[i + 1], node[i], backwards=False)
    steps = []
    for i, vid in enumerate(ids):
        nid = node.get(i)
        step: dict[str, Any] = {"version": vid, "node": nid, "type": None, "edits": []}
        if nid:
            found = await _rows(
                db, "select label, caption, path from nodes where key = :k", {"k": f"{vid}/{nid}"}
            )
            step.update(found[0] if found else {})
        if i > 0:
            step.update(await _change(db, ids[i - 1], vid, node.get(i - 1), nid))
        steps.append(step)
    return steps


async def _follow(db: Any, old: str, new: str, nid: str | None, backwards: bool) -> str | None:
    if nid is None:
        return None
    col, other = ("new_node", "old_node") if backwards else ("old_node", "new_node")
    like_col = "new_nodes" if backwards else "old_nodes"
    rows = await _rows(
        db,
        f"select {other} as other, type from clause_alignments where old_version = :old "
        f"and new_version = :new and ({col} = :nid or {like_col} like :pat)",
        {"old": old, "new": new, "nid": nid, "pat": f'%"{nid}"%'},
    )
    for r in rows:
        if r["other"] and r["type"] != ("added" if backwards else "deleted"):
            return str(r["other"])
    return None


async def _change(
    db: Any, old: str, new: str, old_id: str | None, new_id: str | None
) -> dict[str, Any]:
    if new_id is None and old_id is None:
        return {"type": "absent"}
    align = await _rows(
        db,
        "select type from clause_alignments where old_version = :old and new_version = :new "
        "and (new_node = :n or (:n is null and old_node = :o))",
        {"old": old, "new": new, "n": new_id, "o": old_id},
    )
    kind = align[0]["type"] if align else ("deleted" if new_id is None else "added")
    changes = await _rows(
        db,
        "select type, edits from clause_changes where old_version = :old and new_version = :new "
        "and (new_node = :n or old_node = :o "
        "or substr(new_node, 1, length(:n) + 2) = :n || '__')",
        {"old": old, "new": new, "n": new_id, "o": old_id},
    )
    edits = [e for c in changes for e in json.loads(c["edits"] or "[]") if e["op"] != "equal"]
    if kind == "unchanged" and changes:
        kind = "modified"
    return {"type": kind, "edits": edits[:40]}


# Canned queries of this plugin (kept here, not in metadata.yml, so the site's own query tests
# stay with their owner); they read the tables of versions/kb/build_versions.py.
CANNED_QUERIES: dict[str, dict[str, str]] = {
    "version_changes": {
        "title": "新旧対照表 rows between two versions",
        "description": (
            "The changed clauses between consecutive versions old and new (ids such as "
            "toreru-camera@2023-12-01), with type, labels, texts and word-level edits (JSON). "
            "The formatted table is at /-/yakkan/diff?old=…&new=…."
        ),
        "sql": """select ord, type, old_label, new_label, old_text, new_text, edits,
       round(confidence, 2) as confidence,
       '/-/yakkan/diff?old=' || old_version || '&new=' || new_version as table_url
from clause_changes where old_version = :old and new_version = :new order by ord""",
    },
    "clause_in_force": {
        "title": "A clause in force on a date (per-clause 附則 dates honoured)",
        "description": (
            "The text of clause (node id as numbered at that time, e.g. art_20) of document doc "
            "on date (YYYY-MM-DD), from clause_validity: a provision a 附則 gives a later date "
            "keeps its previous text until then."
        ),
        "sql": """select c.version_id, c.valid_from, c.valid_to, c.pending, n.node_id, n.label,
       n.caption, n.text, '/-/yakkan/clause/' || n.version_id || '/' || n.node_id as url
from clause_validity c join nodes n on n.key = c.key
where c.doc_id = :doc and c.valid_from <= :date
  and (c.valid_to is null or c.valid_to > :date)
  and (n.node_id = :clause or substr(n.node_id, 1, length(:clause) + 2) = :clause || '__')
order by n.ord""",
    },
    "clause_lineage": {
        "title": "A clause across versions, following renumbering",
        "description": (
            "Starting from clause (node id) in version (e.g. kojin-joho-hogo-ho@2025-06-01 and "
            "art_17), the same clause in every other version through the clause alignments."
        ),
        # alignment_rows and alignment_unchanged, not the clause_alignments view: SQLite would
        # materialise the whole view for a join (versions/kb/build_versions.py ALIGNMENTS_VIEW)
        "sql": """with recursive back(version_id, node_id) as (
  select :version, :clause
  union all
  select a.old_version, a.old_node from back b join alignment_rows a
    on a.new_key = b.version_id || '/' || b.node_id
  where a.old_node is not null
  union all
  select o.version_id, o.node_id from back b
    join node_rows n on n.key = b.version_id || '/' || b.node_id
    join alignment_unchanged u on u.new_seq = n.seq join node_rows o on o.seq = u.old_seq
), fwd(version_id, node_id) as (
  select :version, :clause
  union all
  select a.new_version, a.new_node from fwd f join alignment_rows a
    on a.old_key = f.version_id || '/' || f.node_id
  where a.new_node is not null and a.type != 'deleted'
  union all
  select n.version_id, n.node_id from fwd f
    join node_rows o on o.key = f.version_id || '/' || f.node_id
    join alignment_unchanged u on u.old_seq = o.seq join node_rows n on n.seq = u.new_seq
), steps as (select * from back union select * from fwd)
select v.effective, s.version_id, s.node_id, n.label, n.caption,
       coalesce((select a.type from alignment_rows a
                 where a.new_key = s.version_id || '/' || s.node_id),
                (select 'unchanged' from alignment_unchanged u
                 where u.new_seq = n.seq)) as change_from_previous,
       '/-/yakkan/clause/' || s.version_id || '/' || s.node_id as url
from steps s join versions v on v.id = s.version_id
left join nodes n on n.key = s.version_id || '/' || s.node_id
order by v.ord""",
    },
}


@hookimpl
def canned_queries(datasette: Any, database: str) -> dict[str, Any] | None:
    """The versions-over-time queries, for the database holding the knowledge base."""
    if database == "_internal":
        return None
    return dict(CANNED_QUERIES)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/yakkan/diff$", time_limited(diff_page, _error)),
        (r"^/-/yakkan/asof$", time_limited(asof_page, _error)),
        (r"^/-/yakkan/history$", time_limited(history_page, _error)),
    ]
