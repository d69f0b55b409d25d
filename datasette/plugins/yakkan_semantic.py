"""Semantic search on the yakkan site: the /-/yakkan/hybrid page, canned queries and SQL functions.

Page:   /-/yakkan/hybrid?q=…&mode=hybrid|semantic redirects to the search box in that mode
        (/-/yakkan/search, datasette/plugins/yakkan_site.py).
Canned: hybrid_search (the search box's hybrid ranking, by article) and similar_clauses
        (clause_similar of one clause), for every database with embeddings.
SQL:    yakkan_search(q, doc, mode, n[, kind])  JSON [[key, score], …]: the best clause of
                                       each of the first n articles the search box finds (mode
                                       auto, fulltext, hybrid, semantic); the canned queries
                                       search and hybrid_search read it
        yakkan_keywords(q[, doc])      FTS5 expression for nodes_words: q's content words ORed,
                                       latest versions (of doc when given)
        yakkan_nearest(q, doc, n)      JSON array of the keys of the n clauses nearest q (numpy)
        yakkan_cosine(vector, q, model) cosine similarity of a stored vector and q's embedding

Queries are embedded with the model the vectors were built with (embedding_meta.model); the
embedding backend is loaded once per process. See docs/semantic.md.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from datasette.utils.asgi import Response

from datasette import hookimpl  # type: ignore[attr-defined]
from versions.kb import embeddings, find, search, semantic
from versions.kb.sitedb import bounded_query, relations

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


def search_keys(path: str | None) -> Any:
    """``yakkan_search(q, doc, mode, n)`` for the database file ``path``: a JSON array of
    [key, score] of the best clause of each of the first ``n`` articles that the search box
    (versions/kb/find.py, ``mode`` auto/fulltext/hybrid/semantic) finds, in its order."""

    def yakkan_search(
        q: str | None,
        doc: str | None,
        mode: str | None,
        n: int | None,
        kind: str | None = None,
    ) -> str:
        q = bounded_query(q)
        if not q or not path:
            return "[]"
        chosen = mode if mode in find.MODES else "auto"
        try:
            result = find.find(
                path, q, chosen, doc=doc or None, kind=kind or None, limit=int(n or 20)
            )
        except (semantic.NoVectors, embeddings.BackendMissing, sqlite3.Error):
            return "[]"
        return json.dumps([[g.best.key, g.score] for g in result.groups])

    return yakkan_search


@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    conn.create_function("yakkan_keywords", 1, yakkan_keywords)
    conn.create_function("yakkan_keywords", 2, yakkan_keywords)
    conn.create_function("yakkan_cosine", 3, yakkan_cosine)
    db = datasette.databases.get(database) if datasette else None
    path = getattr(db, "path", None) if db is not None and not db.is_memory else None
    conn.create_function("yakkan_nearest", 3, nearest_keys(path))
    conn.create_function("yakkan_search", 4, search_keys(path))
    conn.create_function("yakkan_search", 5, search_keys(path))


HYBRID_SQL = """
select n.doc_id, n.path,
       substr(coalesce(nullif(n.text, ''), n.caption), 1, 160) as text,
       '/-/yakkan/clause/' || n.version_id || '/' || n.node_id as url,
       n.kind, n.key, round(json_extract(j.value, '$[1]'), 4) as score
from json_each(yakkan_search(:q, :doc, 'hybrid', 20)) j
join nodes n on n.key = json_extract(j.value, '$[0]')
order by j.key
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
            "Questions in your own words (料金を払い忘れたらどうなる？), ranked as the search "
            "page ranks them: clauses sharing the question's words and its customer-vocabulary "
            "words (bm25) and clauses nearest in meaning (embeddings), their scores fused; "
            "the best clause of each article, main provisions before 附則. Latest versions; "
            "leave doc empty for every document."
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


def _warm(conn: sqlite3.Connection) -> None:
    """Load the embedding backend and run one query through it, and read the vector index,
    when ``conn`` has vectors: at 10,000 versions reading the index's 971,479 keys takes
    seconds, which the first question in each worker process waited for (a 503 past the limit)."""
    try:
        if semantic.has_vectors(conn) and find.semantic_problem(conn) is None:
            (model,) = conn.execute("select model from embedding_meta").fetchone()
            embeddings.encode(["解約"], model=model, query=True)
            semantic.load_index(conn)
            _settle()
    except sqlite3.Error:
        pass


def _settle() -> None:
    """Leave the loaded index out of the cyclic garbage collector's full passes (``gc.freeze``):
    at 10,000 versions its per-key lists hold 971,479 entries, and walking them made a random
    question 70–90 ms slower whenever a full collection ran (issue 12)."""
    gc.collect()
    gc.freeze()


@hookimpl
def startup(datasette: Any) -> Any:
    """Before the first request: load the embedding model (seconds on a busy machine), so the
    first question is not cut short by the page and SQL time limits (sitedb.time_limited)."""

    async def warm() -> None:
        for name, db in list(datasette.databases.items()):
            if name != "_internal" and not db.is_memory:
                await db.execute_fn(_warm)

    return warm


@hookimpl
def canned_queries(datasette: Any, database: str) -> Any:
    async def inner() -> dict[str, Any] | None:
        db = datasette.databases.get(database)
        if database == "_internal" or db is None:
            return None
        # embeddings is a view; kept on an immutable database (sitedb.relations): Datasette
        # asks for the canned queries ~9 times per request, two SQL round trips each
        tables = set(await relations(db))
        if not {"embeddings", "embedding_meta", "clause_similar"} <= tables:
            return None
        return QUERIES

    return inner


# --- the page ----------------------------------------------------------------------------------


async def hybrid_page(datasette: Any, request: Any) -> Response:
    """The former hybrid page: the one search box (/-/yakkan/search) in hybrid or semantic
    mode, with the same query and document."""
    from urllib.parse import urlencode

    mode = "semantic" if request.args.get("mode") == "semantic" else "hybrid"
    q, doc = bounded_query(request.args.get("q")), request.args.get("doc") or ""
    args = {"q": q, "doc": doc, "mode": mode}
    return Response.redirect("/-/yakkan/search?" + urlencode({k: v for k, v in args.items() if v}))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/yakkan/hybrid$", hybrid_page)]  # a redirect: nothing to time-limit
