"""Semantic search on the yakkan site: the /-/yakkan/hybrid page, canned queries and SQL functions.

Page:   /-/yakkan/hybrid?q=料金を払い忘れたらどうなる？&doc=&mode=hybrid|semantic
Canned: hybrid_search (full-text keywords + vectors, reciprocal rank fusion, in SQL) and
        similar_clauses (clause_similar of one clause), for every database with embeddings.
SQL:    yakkan_keywords(q[, doc])      FTS5 expression for nodes_words: q's content words ORed,
                                       latest versions (of doc when given)
        yakkan_nearest(q, doc, n)      JSON array of the keys of the n clauses nearest q (numpy)
        yakkan_cosine(vector, q, model) cosine similarity of a stored vector and q's embedding

Queries are embedded with the model the vectors were built with (embedding_meta.model); the
embedding backend is loaded once per process. See docs/semantic.md.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from datasette.utils.asgi import Response

from datasette import hookimpl  # type: ignore[attr-defined]
from versions.kb import embeddings, search, semantic
from versions.kb.sitedb import bounded_query, execute_limited, knowledge_base, time_limited

NO_MATCH = '""'
MAX_NEAREST = 1000  # yakkan_nearest's n: keys returned (the canned query asks for 100)
_lock = threading.Lock()
_queries: OrderedDict[tuple[str, str], np.ndarray | None] = OrderedDict()


def _query_vector(q: str, model: str) -> np.ndarray | None:
    """The embedding of ``q`` (None when the backend is missing), cached for recent queries."""
    key = (model, q)
    with _lock:
        if key in _queries:
            _queries.move_to_end(key)
            return _queries[key]
    try:
        vector: np.ndarray | None = embeddings.encode([q], model=model, query=True)[0]
    except embeddings.BackendMissing:
        vector = None
    with _lock:
        _queries[key] = vector
        while len(_queries) > 256:
            _queries.popitem(last=False)
    return vector


def _known_model(model: str) -> bool:
    return model in embeddings.BACKENDS or model == embeddings.model_name()


def yakkan_cosine(vector: bytes | None, q: str | None, model: str | None) -> float | None:
    # only the models yakkan knows: a model name from a URL must not fetch one from a hub
    if not vector or not q or not model or not _known_model(model):
        return None
    query = _query_vector(bounded_query(q), model)
    if query is None or len(vector) != 4 * len(query):
        return None
    return float(np.frombuffer(vector, dtype="<f4") @ query)


def yakkan_keywords(q: str | None, doc: str | None = None) -> str:
    words = semantic.keyword_expression(bounded_query(q))
    if words is None:
        return NO_MATCH
    where = search.filter_expression(latest=True, doc=doc or None)
    return "{caption text} : (" + words + ")" + (f" AND {where}" if where else "")


def nearest_keys(path: str | None) -> Any:
    """``yakkan_nearest(q, doc, n)`` for the database file ``path``: a JSON array of the keys of
    the ``n`` clauses nearest ``q`` (numpy over the cached vectors; [] without vectors)."""

    def yakkan_nearest(q: str | None, doc: str | None, n: int | None) -> str:
        if not q or not path:
            return "[]"
        try:
            index = semantic.load_index(path)
        except (semantic.NoVectors, sqlite3.Error):
            return "[]"
        vector = _query_vector(bounded_query(q), index.model)
        if vector is None:
            return "[]"
        count = max(0, min(int(n or 20), MAX_NEAREST))
        return json.dumps([k for k, _ in index.top(vector, doc or None, count)])

    return yakkan_nearest


@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    conn.create_function("yakkan_keywords", 1, yakkan_keywords)
    conn.create_function("yakkan_keywords", 2, yakkan_keywords)
    conn.create_function("yakkan_cosine", 3, yakkan_cosine)
    db = datasette.databases.get(database) if datasette else None
    path = getattr(db, "path", None) if db is not None and not db.is_memory else None
    conn.create_function("yakkan_nearest", 3, nearest_keys(path))


HYBRID_SQL = """
with words as (
  select rowid as seq, row_number() over (order by rank) as r
  from nodes_words where nodes_words match yakkan_keywords(:q, :doc) order by rank limit 100
), near as (
  select n.seq, j.key + 1 as r
  from json_each(yakkan_nearest(:q, :doc, 100)) j join nodes n on n.key = j.value
), fused as (
  select seq, sum(w / (10 + r)) as score
  from (select seq, r, 1.0 as w from words union all select seq, r, 2.0 from near) group by seq
)
select n.doc_id, n.path,
       substr(coalesce(nullif(n.text, ''), n.caption), 1, 160) as text,
       '/-/yakkan/clause/' || n.version_id || '/' || n.node_id as url,
       n.kind, n.key, round(fused.score, 4) as score
from fused join nodes n on n.seq = fused.seq
order by fused.score desc, n.seq limit 20
"""

SIMILAR_SQL = """
select s.rank, s.score, n.doc_id, n.path,
       substr(coalesce(nullif(n.text, ''), n.caption), 1, 160) as text,
       '/-/yakkan/clause/' || n.version_id || '/' || n.node_id as url, n.key
from clause_similar s join nodes n on n.key = s.similar_key
where s.key = :key order by s.rank
"""

QUERIES = {
    "hybrid_search": {
        "title": "Hybrid search (full text + meaning)",
        "description": (
            "Questions in your own words (料金を払い忘れたらどうなる？): clauses sharing the "
            "question's words (bm25) and clauses nearest in meaning (embeddings), fused by "
            "reciprocal rank (meaning counts twice). Latest versions; leave doc empty for "
            "every document."
        ),
        "sql": HYBRID_SQL.strip(),
    },
    "similar_clauses": {
        "title": "Clauses most like a clause",
        "description": (
            "The 5 clauses nearest in meaning to clause key (nodes.key, e.g. "
            "toreru-camera@2024-10-01/art_32__para_1), other documents first."
        ),
        "sql": SIMILAR_SQL.strip(),
    },
}


@hookimpl
def canned_queries(datasette: Any, database: str) -> Any:
    async def inner() -> dict[str, Any] | None:
        db = datasette.databases.get(database)
        if database == "_internal" or db is None:
            return None
        tables = {*await db.table_names(), *await db.view_names()}  # embeddings: a view
        if not {"embeddings", "embedding_meta", "clause_similar"} <= tables:
            return None
        return QUERIES

    return inner


# --- the page ----------------------------------------------------------------------------------


async def hybrid_page(datasette: Any, request: Any) -> Response:
    db = await knowledge_base(datasette, request)
    q = bounded_query(request.args.get("q")).strip()
    doc = request.args.get("doc") or None
    mode = "semantic" if request.args.get("mode") == "semantic" else "hybrid"
    hits: list[search.Hit] = []
    problem = None if db else "No knowledge base is served here; run `yakkan build`."
    if db is not None and q:
        find = semantic.semantic if mode == "semantic" else semantic.hybrid

        def run(conn: Any) -> list[search.Hit]:
            return find(conn, q, doc=doc, limit=20)

        try:
            hits = await execute_limited(datasette, db, run)
        except (semantic.NoVectors, embeddings.BackendMissing) as exc:
            problem = str(exc)
    documents = (
        list((await db.execute("select id, title from documents order by id")).rows) if db else []
    )
    html = await datasette.render_template(
        "yakkan_semantic.html",
        {
            "q": q,
            "doc": doc,
            "mode": mode,
            "documents": documents,
            "hits": hits,
            "problem": problem,
            "searched": bool(q),
        },
        request=request,
    )
    return Response.html(html, status=200 if db else 404)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/yakkan/hybrid$", time_limited(hybrid_page, _too_slow))]


async def _too_slow(datasette: Any, request: Any, message: str) -> Response:
    html = await datasette.render_template(
        "yakkan_error.html",
        {"message": f"This search is taking too long ({message}). Try again in a moment."},
        request=request,
    )
    return Response.html(html, status=503, headers={"Retry-After": "5"})
