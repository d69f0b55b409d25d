"""yakkan's Datasette plugin: search SQL functions, column descriptions and the /-/yakkan pages.

Loaded with ``--plugins-dir datasette/plugins`` (``yakkan serve`` does that). Pages:

    /-/yakkan                              home: documents and their versions
    /-/yakkan/doc/DOC                      outline of the latest version (tree with anchors)
    /-/yakkan/doc/DOC@DATE                 the version in force on DATE (or DOC@file-stem)
    /-/yakkan/clause/VERSION_ID/NODE_ID    a clause: text, references both ways, terms, events
    /-/yakkan/search?q=…&doc=…&kind=…      one box for words and questions (versions/kb/find.py)

Every value from documents goes through Jinja autoescape; only search snippets are markup, built
by ``versions.kb.search.marked_html`` which escapes first.
"""

from __future__ import annotations

import contextlib
import functools
import html
import itertools
import json
import re
import sqlite3
import sys
from typing import Any
from urllib.parse import unquote

from datasette.utils.asgi import Response
from markupsafe import Markup

from datasette import hookimpl  # type: ignore[attr-defined]
from versions.kb import document_list, schema, search, version_index
from versions.kb.sitedb import (
    MAX_LABEL,
    batched,
    bounded_query,
    bounded_text,
    execute_limited,
    knowledge_base,
    nodes_from_rows,
    relations,
    time_limited,
)

KINDS = (
    "article",
    "paragraph",
    "item",
    "subitem",
    "chapter",
    "supplement",
    "appendix",
    "table_row",
)
NO_DATABASE = "No yakkan knowledge base is loaded (or you may not view it)."
DAMAGED = (
    "The knowledge base's search index is damaged ({}). Rebuild it with "
    "`yakkan build --force`, then restart the site."
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- SQL functions -----------------------------------------------------------------------------


# Every argument is bounded (versions/kb/sitedb.py): SQLite's time limit can only stop a query
# between two calls, so no single call may run long.


def _match(q: str | None) -> str:
    return search.match_expression(bounded_query(q)) or search.NO_MATCH


def _match_latest(q: str | None, doc: str | None, kind: str | None = None) -> str:
    """Words of ``q`` in the latest versions (of ``doc``, of ``kind`` when given)."""
    words = search.match_expression(bounded_query(q))
    if not words:
        return search.NO_MATCH
    filters = search.filter_expression(latest=True, doc=doc or None, kind=kind or None)
    return f"({words}) AND {filters}"


def _trigram(q: str | None) -> str:
    return search.trigram_expression(bounded_query(q)) or search.NO_MATCH


def _snippet(text: str | None, q: str | None) -> str:
    return search.snippet(bounded_text(text), bounded_query(q), 80)


def _words(text: str | None) -> str:
    return search.index_words(bounded_text(text))


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.create_function("yakkan_match", 1, _match, deterministic=True)
    conn.create_function("yakkan_match", 2, _match_latest, deterministic=True)
    conn.create_function("yakkan_match", 3, _match_latest, deterministic=True)
    conn.create_function("yakkan_trigram", 1, _trigram, deterministic=True)
    conn.create_function("yakkan_snippet", 2, _snippet, deterministic=True)
    conn.create_function("yakkan_words", 1, _words, deterministic=True)


def _warm_indexes(conn: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        version_index.warm(conn)


@hookimpl
def startup(datasette: Any) -> Any:
    """Before the first request: the one-document search indexes (version_index.warm), so no
    search under load waits for one (≈ 20–40 ms each, 32 at most)."""

    async def warm() -> None:
        for name, db in list(datasette.databases.items()):
            if name != "_internal" and not db.is_memory:
                await db.execute_fn(_warm_indexes)

    return warm


@hookimpl
def render_cell(value: Any) -> Any:
    """Cells holding search-match markers (from yakkan_snippet) render with <mark>, escaped."""
    if isinstance(value, str) and search.MARK_OPEN in value:
        return Markup(search.marked_html(value))
    return None


@hookimpl
def get_metadata(datasette: Any, database: str | None) -> dict[str, Any]:
    """Column descriptions from versions/kb/schema.py for every database holding the schema."""
    names = [database] if database else [n for n in datasette.databases if n != "_internal"]
    tables = _table_descriptions()
    return {"databases": {n: {"tables": tables} for n in names}}


@functools.cache
def _table_descriptions() -> dict[str, Any]:
    """Every table's description (the code's, so made once: Datasette asks on every page)."""
    return {**_step_tables(), **schema.datasette_tables()}


def _step_tables() -> dict[str, Any]:
    """Descriptions of the tables other build steps add (their module's ``TABLES`` dict)."""
    from versions.kb import build

    out: dict[str, Any] = {}
    for step in build.STEPS:
        tables = getattr(sys.modules.get(step.__module__), "TABLES", None)
        if not isinstance(tables, dict):
            continue
        for name, spec in tables.items():
            with contextlib.suppress(AttributeError, TypeError, ValueError, IndexError):
                columns = {
                    c: (d[1] if isinstance(d, tuple) else str(d))
                    for c, d in spec["columns"].items()
                }
                out[name] = {"description": spec.get("description", ""), "columns": columns}
    return out


@hookimpl
def canned_queries(datasette: Any, database: str) -> dict[str, Any] | None:
    """The canned queries of metadata.yml (written for database ``yakkan``) for any other name."""
    if database in ("yakkan", "_internal"):
        return None
    local = getattr(datasette, "_metadata_local", None) or {}
    queries = local.get("databases", {}).get("yakkan", {}).get("queries")
    return dict(queries) if queries else None


# --- helpers -----------------------------------------------------------------------------------


async def _rows(db: Any, sql: str, params: dict[str, Any] | list[Any] | None = None) -> list[Any]:
    return list((await db.execute(sql, params or {})).rows)


async def _one(db: Any, sql: str, params: dict[str, Any] | list[Any] | None = None) -> Any:
    rows = await _rows(db, sql, params)
    return rows[0] if rows else None


async def _render(
    datasette: Any, request: Any, template: str, ctx: dict[str, Any], status: int = 200
) -> Response:
    html = await datasette.render_template(template, ctx, request=request)
    return Response.html(html, status=status)


async def _error(datasette: Any, request: Any, message: str, status: int) -> Response:
    heading = "Not found" if status < 500 else "The site cannot answer"
    ctx = {"message": message, "heading": heading}
    return await _render(datasette, request, "yakkan_error.html", ctx, status)


async def _not_found(datasette: Any, request: Any, message: str) -> Response:
    return await _error(datasette, request, message, 404)


def _subtree_sql(where: str) -> str:
    """Nodes of one version: a node and its descendants (by parent links)."""
    return f"""
    with recursive sub(node_id) as (
      select node_id from nodes where key = :v || '/' || :n
      union all
      select c.node_id from nodes c join sub on c.parent_id = sub.node_id where c.version_id = :v
    )
    select * from nodes where key in (select :v || '/' || node_id from sub) {where}
    order by ord"""


# --- pages -------------------------------------------------------------------------------------


async def home(datasette: Any, request: Any) -> Response:
    db = await knowledge_base(datasette, request)
    if db is None:
        return await _not_found(datasette, request, NO_DATABASE)
    documents = await _rows(db, "select * from documents order by kind desc, id")
    versions = await _rows(db, "select * from versions order by doc_id, ord")
    by_doc: dict[str, list[Any]] = {}
    for v in versions:
        by_doc.setdefault(v["doc_id"], []).append(v)
    return await _render(
        datasette,
        request,
        "yakkan_home.html",
        {
            "documents": documents,
            "doc_options": Markup((await db.execute_fn(document_list.read)).options),
            "versions": by_doc,
            "database": db.name,
        },
    )


async def resolve_version(db: Any, spec: str) -> tuple[Any, str | None]:
    """The version row for DOC, DOC@DATE (in force on DATE) or DOC@version-stem; or an error."""
    doc_id, _, when = spec.partition("@")
    doc = await _one(db, "select * from documents where id = ?", [doc_id])
    if doc is None:
        return None, f"No document {doc_id!r}."
    if not when:
        return await _one(
            db, "select * from versions where id = ?", [doc["latest_version_id"]]
        ), None
    exact = await _one(db, "select * from versions where id = ?", [spec])
    if exact is not None:
        return exact, None
    if not _DATE.match(when):
        return None, f"{when!r} is neither a date (YYYY-MM-DD) nor a version of {doc_id}."
    row = await _one(
        db,
        "select * from versions where doc_id = ? and effective <= ? "
        "order by effective desc limit 1",
        [doc_id, when],
    )
    if row is None:
        first = await _one(db, "select min(effective) from versions where doc_id = ?", [doc_id])
        return None, f"{when} is before the first version of {doc_id} ({first[0]})."
    return row, None


async def document(datasette: Any, request: Any) -> Response:
    db = await knowledge_base(datasette, request)
    if db is None:
        return await _not_found(datasette, request, NO_DATABASE)
    spec = request.url_vars["spec"]
    # its queries in one SQL thread, and a statute's outline (thousands of nodes) built there
    found = await batched(datasette, db, lambda b: _document_context(b, spec))
    if isinstance(found, str):
        return await _not_found(datasette, request, found)
    return await _render(datasette, request, "yakkan_doc.html", found)


async def _document_context(db: Any, spec: str) -> dict[str, Any] | str:
    """What the outline page of DOC[@DATE] shows, or why there is none."""
    version, error = await resolve_version(db, spec)
    if error:
        return error
    vid = version["id"]
    doc = await _one(db, "select * from documents where id = ?", [version["doc_id"]])
    nodes = await _rows(
        db,
        "select node_id, kind, num, label, caption, text, depth, parent_id from nodes "
        "where version_id = ? order by ord",
        [vid],
    )
    targets = await _rows(
        db, "select target, effective from amendment_targets where version_id = ?", [vid]
    )
    own_dates = {t["target"]: t["effective"] for t in targets}
    if "clause_validity" in await relations(db):  # per-clause dates from versions over time
        pending = await _rows(
            db,
            "select node_id, valid_from from clause_validity "
            "where key between ? and ? and pending = 1",  # key range: the primary key index
            [vid + "/", vid + "/\U0010ffff"],
        )
        own_dates.update({r["node_id"]: r["valid_from"] for r in pending})
    _, _, asof = spec.partition("@")
    asof = asof if _DATE.match(asof) else ""
    earlier = await _earlier_texts(db, vid, asof) if asof else {}
    others = await _rows(db, "select * from versions where doc_id = ? order by ord", [doc["id"]])
    amendments = await _rows(
        db, "select * from amendments where version_id = ? order by line", [vid]
    )
    return {
        "doc": doc,
        "version": version,
        "outline": outline_html(vid, nodes, own_dates, earlier, asof),
        "versions": others,
        "amendments": amendments,
        "asof": asof or None,
        "database": db.name,
    }


_HEADINGS = ("part", "chapter", "section", "subsection")


async def _earlier_texts(db: Any, vid: str, asof: str) -> dict[str, Any]:
    """Provisions of version ``vid`` a 附則 puts in force after ``asof``: the text in force on
    ``asof`` instead (from clause_validity, written by the versions-over-time step)."""
    if "clause_validity" not in await relations(db):
        return {}
    rows = await _rows(
        db,
        """select p.node_id, p.valid_from, o.version_id as old_version, n.text as old_text
           from clause_validity p
           left join clause_validity o on o.doc_id = p.doc_id and o.node_id = p.node_id
             and o.valid_from <= :asof and (o.valid_to is null or o.valid_to > :asof)
           left join nodes n on n.key = o.key
           where p.key between :lo and :hi and p.pending = 1 and p.valid_from > :asof""",
        {"asof": asof, "lo": vid + "/", "hi": vid + "/\U0010ffff"},
    )
    return {r["node_id"]: r for r in rows}


def outline_html(
    version_id: str,
    nodes: list[Any],
    own_dates: dict[str, str],
    earlier: dict[str, Any] | None = None,
    asof: str = "",
) -> Markup:
    """The clause tree as a list with anchors; every value from the document is escaped.

    Built in Python rather than in the (async) template: a statute has thousands of nodes.
    """
    esc = html.escape
    out = ['<ul class="outline">']
    for n in nodes:
        nid = esc(n["node_id"])
        caption = n["caption"]
        if caption:
            caption = f" {caption}" if n["kind"] in _HEADINGS else f"（{caption}）"
        date = own_dates.get(n["node_id"])
        # badges and notes on the top node of a provision only, not on each of its parts
        inherited = date is not None and own_dates.get(n["parent_id"] or "") == date
        if inherited:
            date = None
        out.append(
            f'<li id="{nid}" class="{esc(n["kind"])}" style="margin-left: {n["depth"] * 1.4}em">'
            f'<a class="label" href="/-/yakkan/clause/{esc(version_id)}/{nid}" title="{nid}">'
            f"{esc(n['label'] or n['num'] or '•')}</a>"
            + (f'<span class="caption">{esc(caption)}</span>' if caption else "")
            + (
                f' <span class="badge" title="this provision has its own effective date">'
                f"effective {esc(date)}</span>"
                if date
                else ""
            )
            + _outline_text(n, (earlier or {}).get(n["node_id"]), asof, note=not inherited)
            + f' <a class="muted" href="#{nid}" aria-label="anchor">¶</a></li>'
        )
    out.append("</ul>")
    return Markup("\n".join(out))


def _outline_text(n: Any, earlier: Any, asof: str, note: bool = True) -> str:
    """The node's text; for a provision not yet in force on ``asof``, the text then in force."""
    esc = html.escape
    if earlier is None:
        return f' <span class="text">{esc(n["text"])}</span>' if n["text"] else ""
    pending = f"not yet in force on {asof}: this text takes effect on {earlier['valid_from']}"
    if earlier["old_version"]:
        text = f' <span class="text asof-text">{esc(earlier["old_text"] or "")}</span>'
        if note:
            text += (
                f' <span class="muted asof-note">(in force on {esc(asof)}: the text of '
                f"{esc(earlier['old_version'])}; {esc(pending)})</span>"
            )
        return text
    text = f' <span class="text pending"><s>{esc(n["text"] or "")}</s></span>'
    return text + (f" ({esc(pending)})" if note else "")


async def clause(datasette: Any, request: Any) -> Response:
    db = await knowledge_base(datasette, request)
    if db is None:
        return await _not_found(datasette, request, NO_DATABASE)
    vid, nid = request.url_vars["version"], unquote(request.url_vars["node"])
    # about 60 queries: all in one SQL thread (sitedb.batched), not one wait for a thread each
    found = await batched(datasette, db, lambda b: _clause_context(b, vid, nid))
    if isinstance(found, dict):
        return await _render(datasette, request, "yakkan_clause.html", found)
    if found:  # /-/yakkan/clause/VERSION/第20条 → the clause's own address
        return Response.redirect(f"/-/yakkan/clause/{vid}/{found}")
    return await _not_found(datasette, request, f"No clause {nid!r} in version {vid!r}.")


async def _clause_context(db: Any, vid: str, nid: str) -> dict[str, Any] | str | None:
    """What the clause page shows; or the node id of a clause named by its label (第20条),
    or None for no such clause."""
    node = await _one(db, "select * from nodes where key = ? || '/' || ?", [vid, nid])
    if node is None:
        return await _clause_by_label(db, vid, nid)
    version = await _one(db, "select * from versions where id = ?", [vid])
    doc = await _one(db, "select * from documents where id = ?", [node["doc_id"]])
    params = {"v": vid, "n": nid}
    subtree = await _rows(db, _subtree_sql(""), params)
    keys = [r["key"] for r in subtree]
    marks = ",".join("?" * len(keys))
    refs_from = await _rows(
        db,
        f"""select r.*, t.label as target_label, t.caption as target_caption, t.path as target_path,
                   e.key as end_key, e.path as end_path
            from [references] r left join nodes t on t.key = r.target_key
            left join nodes e on e.key = r.version_id || '/' || r.target_end
              and r.target_document is null
            where r.source_key in ({marks}) order by r.line, r.column""",
        keys,
    )
    # by id from the target keys, sorted here: an ORDER BY on a column of nodes, or an OR of
    # the two lookups, would make SQLite materialise the whole references view (a union)
    refs_to = await _rows(
        db,
        f"""select r.*, s.label as source_label, s.caption as source_caption, s.path as source_path,
                   s.ord as source_ord
            from [references] r join nodes s on s.key = r.source_key
            where r.id in (select id from [references] where target_key in ({marks})
                           union select reference_id from reference_targets
                           where target_key in ({marks}))
              and r.source_key not in ({marks})""",
        keys + keys + keys,
    )
    refs_to.sort(key=lambda r: r["source_ord"])
    terms = await _rows(
        db,
        f"""select distinct d.term, d.definition, d.node_key, d.kind from definition_uses u
            join definitions d on d.id = u.definition_id where u.node_key in ({marks})
            order by d.term""",
        keys,
    )
    facts: list[dict[str, Any]] = []
    if "clause_facts" in await relations(db):  # clause facts (docs/facts.md)
        facts = await _rows(
            db,
            f"""select f.*, n.label as node_label from clause_facts f
                join nodes n on n.key = f.node_key
                where f.node_key in ({marks}) order by n.ord, f.span_start""",
            keys,
        )
    ancestors = (node["path"] or "").split(" › ")
    events = await _rows(
        db,
        """select a.*, t.target, t.effective as target_effective from amendment_targets t
           join amendments a on a.key = t.amendment_key
           where t.version_id = :v and (t.target = :n or t.target = :art or t.target = :chp)
           order by t.effective""",
        {**params, "art": node["article_id"], "chp": node["chapter_id"]},
    )
    history = await _history(db, node)
    changes = await _changes(db, keys)
    validity = None
    if "clause_validity" in await relations(db):
        validity = await _one(db, "select * from clause_validity where key = ?", [node["key"]])
    since = await _text_since(db, node, validity)
    events = await _clause_events(db, history, events)
    previous = _previous_step(history, vid)
    similar = await _similar(db, node["key"])
    return {
        "node": node,
        "doc": doc,
        "version": version,
        "subtree": subtree,
        "refs_from": refs_from,
        "refs_to": refs_to,
        "terms": terms,
        "facts": facts,
        "events": events,
        "history": history,
        "similar": similar,
        "changes": changes,
        "validity": validity,
        "since": since,
        "previous": previous,
        "anchor": await _diff_anchor(db, node),
        "ancestors": ancestors,
        "database": db.name,
    }


async def _history(db: Any, node: Any) -> list[dict[str, Any]]:
    """The clause in every version of its document: followed through clause_alignments
    (renumbering, moves) when the versions step made them, else by node id."""
    rows = await _rows(
        db, "select id, effective from versions where doc_id = ? order by ord", [node["doc_id"]]
    )
    found: dict[str, dict[str, Any]] = {}
    if "clause_alignments" in await relations(db):
        for column, other in (("new_key", "old_key"), ("old_key", "new_key")):
            key = node["key"]
            for _ in range(len(rows)):
                step = await _one(
                    db,
                    f"select {other} as k, type from clause_alignments "
                    f"where {column} = ? and {other} is not null limit 1",
                    [key],
                )
                if step is None:
                    break
                key = step["k"]
                version, _, nid = key.partition("/")
                found[version] = {"node_id": nid, "type": step["type"]}
    else:
        same = await _rows(
            db,
            "select version_id, node_id from nodes where doc_id = ? and node_id = ?",
            [node["doc_id"], node["node_id"]],
        )
        found = {r["version_id"]: {"node_id": r["node_id"], "type": None} for r in same}
    found[node["version_id"]] = {"node_id": node["node_id"], "type": None}
    return [
        {
            "version_id": v["id"],
            "effective": v["effective"],
            **found.get(v["id"], {"node_id": None}),
        }
        for v in rows
    ]


_SUBTREE = "(%s = :n or substr(%s, 1, length(:n) + 2) = :n || '__')"


async def _changed(db: Any, old: str, new: str, old_id: str | None, new_id: str | None) -> bool:
    """Whether the 新旧対照表 old → new has a row for the clause or anything inside it."""
    for column, nid in (("new_node", new_id), ("old_node", old_id)):
        if nid and await _one(
            db,
            "select 1 from clause_changes where old_version = :o and new_version = :v and "
            + _SUBTREE % (column, column)
            + " limit 1",
            {"o": old, "v": new, "n": nid},
        ):
            return True
    return False


async def _clause_by_label(db: Any, vid: str, label: str) -> str | None:
    """The node id a label as printed (第20条, 第二十条第2項) names in version ``vid``."""
    from extract.references import clause_id

    if len(label) > MAX_LABEL:  # no clause is labelled so; and 5,000 digits are not a number
        return None
    rows = await _rows(
        db,
        "select node_id, kind, num, label, caption, parent_id from nodes "
        "where version_id = ? order by ord",
        [vid],
    )
    nodes = nodes_from_rows(rows)
    return clause_id(nodes, label) if nodes else None


async def _text_since(db: Any, node: Any, validity: Any) -> str | None:
    """The date this clause's text took effect: back through the versions while unchanged."""
    since = validity["valid_from"] if validity else None
    tables = await relations(db)
    if since is None or "clause_alignments" not in tables or "clause_changes" not in tables:
        return since
    key, nid = node["key"], node["node_id"]
    while True:
        step = await _one(
            db,
            "select old_key, old_node, old_version, new_version, type from clause_alignments "
            "where new_key = ? and old_key is not null limit 1",
            [key],
        )
        if step is None or step["type"] != "unchanged":
            return since
        if await _changed(db, step["old_version"], step["new_version"], step["old_node"], nid):
            return since
        older = await _one(db, "select valid_from from clause_validity where key = ?", [step[0]])
        if older is None or not older["valid_from"]:
            return since
        since, key, nid = older["valid_from"], step["old_key"], step["old_node"]


async def _clause_events(
    db: Any, history: list[dict[str, Any]], targets: list[Any]
) -> list[dict[str, Any]]:
    """The 附則 that concern the clause, oldest first: those naming it (amendment_targets) and
    those that came with each version in which its text changed."""
    from versions.history.asof import new_amendments, supplements_from_rows

    named = {e["heading"] for e in targets}  # their own date says more than the version's
    out = [
        {
            "heading": e["heading"],
            "effective": e["target_effective"],
            "target": e["target"],
            "version": e["version_id"],
            "effective_text": None,
        }
        for e in targets
    ]
    sql = "select * from amendments where version_id = ? order by line"
    for prev, cur in itertools.pairwise(history):
        if not cur["node_id"] or not (
            prev["node_id"] is None
            or await _changed(
                db, prev["version_id"], cur["version_id"], prev["node_id"], cur["node_id"]
            )
        ):
            continue
        older = supplements_from_rows(await _rows(db, sql, [prev["version_id"]]))
        newer = supplements_from_rows(await _rows(db, sql, [cur["version_id"]]))
        out += [
            {
                "heading": s.heading,
                "effective": s.effective,
                "target": None,
                "version": cur["version_id"],
                "effective_text": s.effective_text,
            }
            for s in new_amendments(older, newer)
            if s.heading not in named
        ]
    return sorted(out, key=lambda e: e["effective"] or e["version"].partition("@")[2])


def _previous_step(history: list[dict[str, Any]], vid: str) -> dict[str, Any] | None:
    """The clause in the version before ``vid`` (for 「compare with the previous version」)."""
    ids = [h["version_id"] for h in history]
    i = ids.index(vid) if vid in ids else 0
    return history[i - 1] if i > 0 and history[i - 1]["node_id"] else None


async def _diff_anchor(db: Any, node: Any) -> str:
    """Fragment that lands on the clause's row of the 新旧対照表: the article's id, and a text
    fragment (:~:text=, followed by browsers) with the article's heading as the table prints it."""
    from urllib.parse import quote

    article = node["article_id"] or node["node_id"]
    row = await _one(
        db,
        "select label, caption from nodes where key = ? || '/' || ?",
        [node["version_id"], article],
    )
    if row is None or not row["label"]:
        return article
    text = row["label"] + (
        f"（{row['caption']}）" if row["caption"] else ""
    )  # as the table prints it
    return f"{article}:~:text={quote(text)}"


async def _changes(db: Any, keys: list[str]) -> list[dict[str, Any]]:
    """新旧対照表 rows (clause_changes) that concern these nodes, with their word-level edits."""
    if not keys or "clause_changes" not in await relations(db):
        return []
    marks = ",".join("?" * len(keys))
    rows = await _rows(
        db,
        f"""select * from clause_changes where new_key in ({marks}) or old_key in ({marks})
            order by new_version, ord""",
        keys + keys,
    )
    out = []
    for r in rows:
        try:
            edits = json.loads(r["edits"] or "[]")
        except ValueError:
            edits = []
        out.append({**dict(r), "edits": edits})
    return out


async def _similar(db: Any, key: str) -> list[Any]:
    """Rows of ``clause_similar`` (key, similar_key, score), when the semantic step made it."""
    if "clause_similar" not in await relations(db):
        return []
    cols = set(await db.table_columns("clause_similar"))
    other = next((c for c in ("similar_key", "other_key", "neighbor_key") if c in cols), None)
    if other is None or "key" not in cols:
        return []
    score = "s.score" if "score" in cols else "null"
    return await _rows(
        db,
        f"""select n.*, {score} as score from clause_similar s join nodes n on n.key = s.{other}
            where s.key = ? order by {score} desc limit 10""",
        [key],
    )


PAGE_SIZE = 20
SEARCH_MODES = ("fulltext", "hybrid", "semantic", "keywords")


# the chapters of a document's latest version, for the search form's chapter filter
CHAPTERS_SQL = """select n.node_id, n.label, n.caption from nodes n
join documents d on n.version_id = d.latest_version_id
where d.id = ? and n.kind = 'chapter' order by n.ord"""


async def search_page(datasette: Any, request: Any) -> Response:
    """One search box (versions/kb/find.py): words → full text, a question → hybrid; results
    by article, true counts, ?page= paging; ?mode= forces a mode, the page offers the other."""
    from urllib.parse import urlencode

    from versions.kb import find

    db = await knowledge_base(datasette, request)
    if db is None:
        return await _not_found(datasette, request, NO_DATABASE)
    args = request.args
    q = bounded_query(args.get("q")).strip()
    doc = args.get("doc") or None
    kind = args.get("kind") or None
    chapter = args.get("chapter") or None
    every = bool(args.get("all"))
    mode = args.get("mode") if args.get("mode") in SEARCH_MODES else "auto"
    page = int(args.get("page")) if (args.get("page") or "").isdigit() else 1
    page = min(max(page, 1), 10_000)

    def run(
        conn: Any,
    ) -> tuple[find.Result | None, dict[str, Markup], document_list.DocumentList, list[Any]]:
        """The search and the form's lists in one SQL thread: each hop to a thread waits its
        turn under load (the one-document page made four)."""
        found = None
        if q:
            found = find.find(
                conn,
                q,
                mode,
                doc=doc,
                kind=kind,
                chapter=chapter,
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
                all_versions=every,
            )
        # snippets tokenize clause texts: here, not on the event loop
        marked = {g.best.key: Markup(g.best.snippet_html) for g in found.groups} if found else {}
        chapters = conn.execute(CHAPTERS_SQL, [doc]).fetchall() if doc else []
        return found, marked, document_list.read(conn), chapters

    try:
        if q and find.by_meaning(q, mode):  # the question's embedding first, outside the limit
            await db.execute_fn(lambda conn: find.prepare(conn, q, mode))
        result, snippets, documents, chapters = await execute_limited(datasette, db, run)
    except sqlite3.DatabaseError as exc:  # a damaged index: say so, not "nothing found"
        return await _error(datasette, request, DAMAGED.format(exc), 500)
    titles = documents.titles
    params = {"q": q, "doc": doc, "kind": kind, "chapter": chapter, "all": "1" if every else None}

    def url(**changes: Any) -> str:
        merged = {**params, **changes}
        return "/-/yakkan/search?" + urlencode({k: v for k, v in merged.items() if v})

    results = []
    pages: dict[str, str] = {}
    if result is not None:
        results = [
            {
                "group": g,
                "hit": g.best,
                "snippet": snippets.get(g.best.key) or Markup(g.best.snippet_html),
                "title": titles.get(g.doc_id, g.doc_id),
            }
            for g in result.groups
        ]
        forced = {"mode": mode} if mode != "auto" else {}
        if page > 1:
            pages["previous"] = url(page=page - 1, **forced)
        if result.offset + len(result.groups) < result.total:
            pages["next"] = url(page=page + 1, **forced)
    return await _render(
        datasette,
        request,
        "yakkan_search.html",
        {
            "q": q,
            "doc": doc,
            "kind": kind,
            "chapter": chapter,
            "all": every,
            "kinds": find.KINDS,
            "chapters": chapters,
            "doc_options": Markup(documents.options_html(doc)),
            "titles": titles,
            "result": result,
            "results": results,
            "pages": pages,
            "page": page,
            "other_url": url(mode=result.other) if result and result.other else None,
            "doc_urls": {d: url(doc=d, chapter=None) for d in (result.by_doc if result else {})},
            "database": db.name,
        },
    )


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/yakkan/?$", time_limited(home, _error)),
        (r"^/-/yakkan/doc/(?P<spec>[A-Za-z0-9._@-]+)$", time_limited(document, _error)),
        (
            r"^/-/yakkan/clause/(?P<version>[A-Za-z0-9._@-]+)/(?P<node>[^/]+)$",
            time_limited(clause, _error),
        ),
        (r"^/-/yakkan/search$", time_limited(search_page, _error)),
    ]
