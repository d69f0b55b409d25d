"""Semantic and hybrid search over clauses: kNN with numpy over the vectors stored in the database.

Tables (written by versions/kb/build_embeddings.py):

    vectors         id, text_hash, vector (float32 blob, unit length): distinct passages once
    embedding_rows  key (nodes.key), doc_id, vector_id (vectors.id)
    embeddings      view: key, doc_id, text_hash, vector
    embedding_meta  model, dim, count (one row: the model the vectors were made with)
    clause_similar  key, similar_key, score, rank (top 5 per clause, other documents first)
    article_embedding_rows  key (version_id/article node id), doc_id, vector_id: articles

``semantic`` embeds the query with the model the vectors were built with and ranks clauses by
cosine similarity; ``hybrid`` fuses those scores with full-text (bm25) scores: each side's
scores min-max normalised over its candidates, then a weighted sum (``combine``).
The full-text side of ``hybrid`` is ``keyword_search``: the query's content words (SudachiPy,
as indexed in ``nodes_words``) ORed and ranked by bm25, so a question in the staff's own words
(「料金を払い忘れたらどうなる？」) still finds clauses sharing some of its words.
Results are ``versions.kb.search.Hit`` objects, like ``versions.kb.search.fulltext``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import unicodedata
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from extract.japanese import tokenize
from versions.kb import ann, embeddings, search, version_index, vocabulary, word_postings

RRF_K = 10  # reciprocal rank fusion constant for ``fuse`` (60 in Cormack et al.; 10 here)
VECTOR_WEIGHT = 2.0  # the semantic side counts twice the keyword side (scripts/bench_retrieval.py)
VOCAB_WEIGHT = 1.0  # clauses using the legal words for the customer's (thesaurus) count again
CANDIDATES = 100  # ranks taken from each side before fusion
_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞"}
_STOP = {"する", "なる", "ある", "いる", "できる", "れる", "られる", "こと", "もの", "どう", "よう"}
_STOP |= {
    "場合",
    "とき",
    "時",
    "なし",
    "ない",
    "いい",
    "良い",
    "です",
    "ます",
    "その",
    "この",
    "何",
    "どこ",
    "いつ",
}


@dataclass(frozen=True)
class Filters:
    """Which clauses a search may return: a document, a node kind (``supplement``: anywhere in
    a 附則), a chapter node id (chp_3; of every document unless ``doc``)."""

    doc: str | None = None
    kind: str | None = None
    chapter: str | None = None

    def keep(self, node_id: str, kind: str, chapter: str | None) -> bool:
        if self.kind == "supplement":
            if not node_id.startswith("suppl_"):
                return False
        elif self.kind and kind != self.kind:
            return False
        return not self.chapter or chapter == self.chapter

    @property
    def narrows(self) -> bool:
        """Whether the filter applies after the full-text ranking (kind, chapter)."""
        return bool(self.kind or self.chapter)


class NoVectors(Exception):
    """The database has no embeddings (built without the semantic backend)."""


def passage_text(caption: str | None, text: str | None, path: str | None = None) -> str:
    """What is embedded for a clause: its heading path (captions of its article and chapter)
    and caption, then its own text."""
    parts = [p for p in ((path or "").replace(" › ", " "), caption or "", text or "") if p]
    return " ".join(dict.fromkeys(parts))


# --- keywords (full-text side of hybrid) -------------------------------------------------------


def keywords(query: str) -> list[str]:
    """Content words of ``query`` in their indexed form (folded normalized forms), in order."""
    out: list[str] = []
    for mode in ("A", "C"):
        for t in tokenize(vocabulary.fold_query(query), mode):
            if t.pos not in _CONTENT_POS or t.part_of_speech[1:2] == ("非自立可能",):
                continue
            form = search.fold(unicodedata.normalize("NFKC", t.normalized_form)).lower()
            if form and form not in _STOP and form not in out:
                out.append(form)
    return out


def vocabulary_phrases(query: str) -> list[str]:
    """FTS5 phrases of the words the customer-vocabulary thesaurus adds for ``query``."""
    phrases: list[str] = []
    for word in vocabulary.thesaurus(query):
        for mode in (0, 1):
            tokens = search.words(word, mode)
            phrase = search._phrase(tokens) if tokens else ""
            if phrase and phrase not in phrases:
                phrases.append(phrase)
    return phrases


def keyword_phrases(query: str) -> list[str]:
    """FTS5 phrases for ``nodes_words``: the query's content words, and the words the
    customer-vocabulary thesaurus adds for it."""
    phrases = [search._phrase([w]) for w in keywords(query)]
    return phrases + [p for p in vocabulary_phrases(query) if p not in phrases]


def keyword_expression(query: str) -> str | None:
    """The phrases of ``keyword_phrases`` ORed; None if none."""
    return " OR ".join(keyword_phrases(query)) or None


# The document's tag in the MATCH, the latest versions in SQL: FTS5's bm25 reads the whole
# doclist of every phrase, and ``tags : latest`` is every latest clause (at 10,000 versions
# 「個人情報」 in a statute: 110 → 45 ms; 「料金を払い忘れたらどうなる？」 across documents:
# 257 → 168 ms; the same rows and ranks as with the tag).
KEYWORD_SQL = """
with top as (select rowid, rank from nodes_words where nodes_words match :expr)
select n.key, n.version_id, n.doc_id, n.node_id, n.kind, n.label, n.caption, n.text, n.path,
       n.chapter_id, n.article_id, top.rank
from top join nodes n on n.seq = top.rowid join versions v on v.id = n.version_id
where v.latest = 1
order by top.rank, n.seq
limit :limit
"""


NODES_SQL = """
select n.key, n.version_id, n.doc_id, n.node_id, n.kind, n.label, n.caption, n.text, n.path,
       n.chapter_id, n.article_id, n.seq
from nodes n where n.seq in (select value from json_each(?))
"""


def _rows_by_rank(conn: sqlite3.Connection, ranked: list[tuple[int, float]]) -> list[Any]:
    """KEYWORD_SQL's rows for (seq, rank) pairs, in their order."""
    rank = dict(ranked)
    rows = conn.execute(NODES_SQL, [json.dumps(list(rank))]).fetchall()
    by_seq = {r[-1]: (*r[:-1], rank[r[-1]]) for r in rows}
    return [by_seq[seq] for seq, _ in ranked if seq in by_seq]


def keyword_search(
    db: Any,
    query: str,
    doc: str | None = None,
    limit: int = 20,
    filters: Filters | None = None,
    *,
    vocabulary_only: bool = False,
) -> list[search.Hit]:
    """Clauses sharing content words with ``query``, ranked by bm25 (latest versions);
    ``vocabulary_only``: sharing the words the thesaurus adds for it."""
    phrases = vocabulary_phrases(query) if vocabulary_only else keyword_phrases(query)
    if not phrases:
        return []
    f = filters or Filters(doc=doc)
    scope = doc or f.doc
    where = search.filter_expression(latest=False, doc=scope)
    expr = "{caption text} : (" + " OR ".join(phrases) + ")" + (f" AND {where}" if where else "")
    fetch = limit * 20 if f.narrows else limit
    conn, close = search._connection(db)
    try:
        # corpus-wide bm25 even within one document: the version's own statistics
        # (versions/kb/version_index.py) lowered the benchmark here (docs/semantic.md)
        span = version_index.latest_rows(conn, scope) if scope else None
        if (not where or span) and word_postings.any_stored(conn, phrases):  # at scale
            rows = _rows_by_rank(conn, word_postings.ranked(conn, phrases, fetch, span))
        else:
            rows = conn.execute(KEYWORD_SQL, {"expr": expr, "limit": fetch}).fetchall()
    finally:
        if close:
            conn.close()
    hits = [search._hit(row, query) for row in rows]
    return [h for h in hits if f.keep(h.node_id, h.kind, h.chapter_id)][:limit]


# --- the vector index --------------------------------------------------------------------------


@dataclass
class VectorIndex:
    model: str
    keys: list[str]
    doc_ids: np.ndarray  # one doc id per key
    matrix: np.ndarray  # (m, dim) float32, unit rows: the distinct vectors
    rows: np.ndarray | None = None  # matrix row of each key (None: key i is row i)
    kinds: list[str] | None = None  # node kind per key (for Filters)
    chapters: list[str | None] | None = None  # chapter id per key
    ann: Any = None  # a stored approximate index (versions/kb/ann.py) keyed by vector_ids
    vector_ids: np.ndarray | None = None  # vectors.id of each matrix row
    articles: dict[str, int] = field(default_factory=dict)  # article key -> its matrix row

    def article_cosines(self, vector: np.ndarray, keys: list[str]) -> dict[str, float]:
        """Cosine of ``vector`` to each of the articles ``keys`` that has a vector."""
        found = [k for k in keys if k in self.articles]
        if not found:
            return {}
        with _one_blas_thread():
            scores = self.matrix[[self.articles[k] for k in found]] @ vector.astype(np.float32)
        return {k: float(s) for k, s in zip(found, scores, strict=True)}

    def allowed(self, doc: str | None, filters: Filters | None) -> np.ndarray | None:
        """Key numbers a document / Filters allow (None: every key)."""
        doc = doc or (filters.doc if filters else None)
        picked = self._doc_keys(doc) if doc else None
        if filters and filters.narrows:
            candidates = picked if picked is not None else np.arange(len(self.keys))
            kinds, chapters = self.kinds, self.chapters
            keep = [
                filters.keep(
                    self.keys[i].partition("/")[2],
                    kinds[i] if kinds else "",
                    chapters[i] if chapters else None,
                )
                for i in candidates.tolist()
            ]
            picked = candidates[np.array(keep, dtype=bool)] if keep else candidates
        return picked

    def _doc_keys(self, doc: str) -> np.ndarray:
        """Key numbers of one document: its run of keys (keys are in seq order, so a document's
        latest version is one run), else a comparison with every key (971,479 at 10,000
        versions: 7 ms)."""
        span = self._doc_spans.get(doc)
        return np.arange(*span) if span else np.flatnonzero(self.doc_ids == doc)

    @cached_property
    def _doc_spans(self) -> dict[str, tuple[int, int]]:
        """doc → (first, end) key numbers, for the documents whose keys are one run."""
        ids = self.doc_ids
        if not len(ids):
            return {}
        cuts = (np.flatnonzero(ids[1:] != ids[:-1]) + 1).tolist()
        spans: dict[str, tuple[int, int]] = {}
        split: set[str] = set()
        for lo, hi in zip([0, *cuts], [*cuts, len(ids)], strict=True):
            doc = str(ids[lo])
            if doc in spans:
                split.add(doc)
            spans[doc] = (lo, hi)
        return {d: span for d, span in spans.items() if d not in split}

    def top(
        self,
        vector: np.ndarray,
        doc: str | None = None,
        limit: int = 20,
        filters: Filters | None = None,
    ) -> list[tuple[str, float]]:
        """(key, cosine) of the ``limit`` keys nearest ``vector`` (optionally one document's,
        or those ``filters`` allow); keys with equal scores in key (document) order. Unfiltered,
        the stored approximate index answers when there is one."""
        picked = self.allowed(doc, filters)
        if picked is None and self.ann is not None and self.rows is not None:
            return self._top_ann(vector, limit)
        if picked is not None and not len(picked):
            return []
        with _one_blas_thread():
            scores = self.matrix[: self._clause_rows] @ vector.astype(np.float32)
        if picked is None and self.rows is not None:
            return self._top_by_vector(scores, limit)
        if self.rows is not None:
            scores = scores[self.rows]
        if picked is not None:
            scores = scores[picked]
        k = min(limit, len(scores))
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.lexsort((best, -scores[best]))]
        index = best if picked is None else picked[best]
        return [(self.keys[i], float(scores[j])) for i, j in zip(index, best, strict=True)]

    def _top_by_vector(self, scores: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """``top`` over every key from the distinct vectors' ``scores``: the best vectors that
        have keys (every one at least as good as the ``limit``-th of them, so at least
        ``limit`` keys and every key tied with the last) expanded to their keys, ordered as
        ``top`` orders them. At 10,000 versions 971,479 keys share 6,365 vectors: 9 ms of
        argpartition over the keys, < 1 ms this way; with distinct vectors it is the same work."""
        by_row, starts, live = self._keys_by_row
        good = scores[live]
        m = min(limit, len(good))
        if m <= 0:
            return []
        kth = np.partition(-good, m - 1)[m - 1]
        rows = live[np.flatnonzero(-good <= kth)]
        index = np.concatenate([by_row[starts[r] : starts[r + 1]] for r in rows.tolist()])
        assert self.rows is not None
        mine = scores[self.rows[index]]
        index = index[np.lexsort((index, -mine))][:limit]
        return [(self.keys[i], float(scores[self.rows[i]])) for i in index.tolist()]

    @cached_property
    def _keys_by_row(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(key numbers grouped by matrix row, in key order; each row's start in them; the
        clause rows that have keys)."""
        assert self.rows is not None
        by_row = np.argsort(self.rows, kind="stable")
        starts = np.searchsorted(self.rows[by_row], np.arange(len(self.matrix) + 1))
        live = np.flatnonzero(np.diff(starts)[: self._clause_rows] > 0)
        return by_row, starts, live

    @cached_property
    def _clause_rows(self) -> int:
        """How many leading matrix rows clauses use: the build numbers their vectors first,
        so articles' own vectors (read by ``article_cosines``) stay out of the clause kNN."""
        return len(self.matrix) if self.rows is None else int(self.rows.max(initial=-1)) + 1

    @cached_property
    def _groups(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(key indices grouped by matrix row in key order, group starts, row of a vector id)."""
        assert self.rows is not None and self.vector_ids is not None
        by_row, starts, _ = self._keys_by_row
        row_of = np.full(int(self.vector_ids.max(initial=0)) + 1, -1, dtype=np.int64)
        row_of[self.vector_ids] = np.arange(len(self.vector_ids))
        return by_row, starts, row_of

    def _top_ann(self, vector: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """The approximate index's nearest vectors, each expanded to its keys in key order."""
        by_row, starts, row_of = self._groups
        ids, scores = ann.search(self.ann, vector, max(limit, 10))
        out: list[tuple[str, float]] = []
        for vid, score in zip(ids, scores, strict=True):
            row = row_of[vid] if 0 <= vid < len(row_of) else -1
            if row < 0:
                continue
            out += [(self.keys[i], float(score)) for i in by_row[starts[row] : starts[row + 1]]]
            if len(out) >= limit:
                break
        return out[:limit]


@lru_cache(maxsize=1)
def _blas() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def _one_blas_thread() -> Any:
    """Matrix × vector on one BLAS thread: OpenBLAS threads spinning on a busy server made it
    50× slower (scripts/bench_embed.py); threadpoolctl is in the [semantic] extra."""
    controller = _blas()
    return controller.limit(limits=1, user_api="blas") if controller else nullcontext()


_cache: dict[tuple[str, float], VectorIndex] = {}
_lock = threading.Lock()


def _db_file(conn: sqlite3.Connection) -> str:
    rows = conn.execute("pragma database_list").fetchall()
    return next((r[2] for r in rows if r[1] == "main"), "") or ""


def has_vectors(conn: sqlite3.Connection) -> bool:
    found = conn.execute(
        "select count(*) from sqlite_master where name in ('embeddings', 'embedding_meta')"
    ).fetchone()[0]
    return bool(
        found == 2 and conn.execute("select exists(select 1 from embeddings)").fetchone()[0]
    )


def load_index(db: Any) -> VectorIndex:
    """The vectors of the latest versions, cached per database file and modification time."""
    conn, close = search._connection(db)
    try:
        name = _db_file(conn)
        stamp = Path(name).stat().st_mtime if name and Path(name).exists() else -1.0
        with _lock:
            cached = _cache.get((name, stamp)) if name else None
        if cached is not None:
            return cached
        if not has_vectors(conn):
            raise NoVectors(
                "this knowledge base has no clause embeddings: run `yakkan build` with the "
                "semantic backend installed (docs/semantic.md)"
            )
        index = _read_index(conn)
        if name:
            with _lock:
                _cache.clear()
                _cache[(name, stamp)] = index
        return index
    finally:
        if close:
            conn.close()


def _read_index(conn: sqlite3.Connection) -> VectorIndex:
    model, dim = conn.execute("select model, dim from embedding_meta").fetchone()
    ids, blobs = [], []
    for vid, blob in conn.execute("select id, vector from vectors order by id"):
        ids.append(vid)
        blobs.append(blob)
    matrix = embeddings.from_blobs(blobs, int(dim))
    rows = conn.execute(
        "select e.key, e.doc_id, e.vector_id, n.kind, n.chapter_id from embedding_rows e "
        "join node_rows n on n.key = e.key join versions v on v.id = n.version_id "
        "where v.latest = 1 order by n.seq"
    ).fetchall()
    position = np.zeros(max(ids, default=0) + 1, dtype=np.int64)
    position[np.array(ids, dtype=np.int64)] = np.arange(len(ids))
    articles = {}
    if conn.execute("select 1 from sqlite_master where name = 'article_embedding_rows'").fetchone():
        sql = "select key, vector_id from article_embedding_rows"
        articles = {key: int(position[vid]) for key, vid in conn.execute(sql)}
    return VectorIndex(
        str(model),
        [r[0] for r in rows],
        np.array([r[1] for r in rows]),
        matrix,
        position[np.array([r[2] for r in rows], dtype=np.int64)],
        [r[3] for r in rows],
        [r[4] for r in rows],
        ann.load(conn),
        np.array(ids, dtype=np.int64),
        articles,
    )


def _hits(
    conn: sqlite3.Connection, ranked: list[tuple[str, float]], words: str
) -> list[search.Hit]:
    """Hits for ``ranked`` (key, score), in order; ``words`` are highlighted in snippets."""
    if not ranked:
        return []
    marks = ",".join("?" * len(ranked))
    rows = conn.execute(
        "select key, version_id, doc_id, node_id, kind, label, caption, text, path, chapter_id, "
        f"article_id, 0.0 from nodes where key in ({marks})",
        [k for k, _ in ranked],
    ).fetchall()
    by_key = {r[0]: r for r in rows}
    out = []
    for key, score in ranked:
        if key in by_key:
            hit = search._hit(by_key[key], words)
            hit.score = score
            out.append(hit)
    return out


def semantic(
    db: Any,
    query: str,
    doc: str | None = None,
    limit: int = 20,
    model: str | None = None,
    filters: Filters | None = None,
) -> list[search.Hit]:
    """Clauses nearest ``query`` in meaning (score = cosine similarity, higher is closer).

    The query is embedded with the model the stored vectors were made with (``model`` only
    overrides it when given). Raises NoVectors or embeddings.BackendMissing.
    """
    if not (query or "").strip():
        return []
    conn, close = search._connection(db)
    try:
        index = load_index(conn)
        vector = query_vector(query, model or index.model)
        return _hits(conn, index.top(vector, doc, limit, filters), _highlight(query))
    finally:
        if close:
            conn.close()


@lru_cache(maxsize=256)
def query_vector(query: str, model: str) -> np.ndarray:
    """The embedding of ``query`` by ``model``, cached for the 256 most recent queries (a page
    can embed its question before its SQL time limit starts: versions/kb/find.py ``prepare``)."""
    vector: np.ndarray = embeddings.encode([query], model=model, query=True)[0]
    return vector


def article_similarity(
    db: Any, query: str, keys: list[str], model: str | None = None
) -> dict[str, float]:
    """Cosine of ``query`` to each of the articles ``keys`` (version_id/article node id) that
    has an article vector ({} for a knowledge base built without them)."""
    conn, close = search._connection(db)
    try:
        index = load_index(conn)
        if not index.articles:
            return {}
        return index.article_cosines(query_vector(query, model or index.model), keys)
    finally:
        if close:
            conn.close()


def fuse(
    rankings: list[list[str]], weights: list[float] | None = None, k: int = RRF_K
) -> list[tuple[str, float]]:
    """Weighted reciprocal rank fusion: score(key) = sum of weight / (k + rank), rank from 1."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def combine(
    scored: list[list[tuple[str, float]]], weights: list[float] | None = None
) -> list[tuple[str, float]]:
    """Score fusion: each list's scores (higher is better) min-max normalised over the list
    (its best 1, its last 0; all 1 when they are equal), times its weight, summed per key.

    Unlike ranks, the scores keep how much better one candidate is: two paragraphs of one
    article with nearly equal cosines stay nearly equal instead of ranks 1 and 5 apart
    (docs/semantic.md, "How it works")."""
    out: dict[str, float] = {}
    for items, weight in zip(scored, weights or [1.0] * len(scored), strict=True):
        if not items:
            continue
        values = [v for _, v in items]
        lo, hi = min(values), max(values)
        span = hi - lo
        for key, value in items:
            share = (value - lo) / span if span > 0 else 1.0
            out[key] = out.get(key, 0.0) + weight * share
    return sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))


def keywords_only(
    db: Any, query: str, doc: str | None = None, limit: int = 20, filters: Filters | None = None
) -> list[search.Hit]:
    """Hybrid's word side alone (no embeddings): keywords and thesaurus words, fused."""
    return _fused(db, query, doc, limit, filters, vectors=False)


def _fused(
    db: Any,
    query: str,
    doc: str | None,
    limit: int,
    filters: Filters | None,
    model: str | None = None,
    vectors: bool = True,
) -> list[search.Hit]:
    """Keyword (bm25), semantic (cosine, when ``vectors``) and thesaurus-word (bm25) scores
    fused by ``combine``; bm25 ranks are negative (lower is better), so they count negated."""
    conn, close = search._connection(db)
    try:
        words = keyword_search(conn, query, doc, CANDIDATES, filters)
        scored = [[(h.key, -h.score) for h in words]]
        weights = [1.0]
        if vectors:
            near = semantic(conn, query, doc, CANDIDATES, model, filters)
            scored.append([(h.key, h.score) for h in near])
            weights.append(VECTOR_WEIGHT)
        named = keyword_search(conn, query, doc, CANDIDATES, filters, vocabulary_only=True)
        scored.append([(h.key, -h.score) for h in named])
        weights.append(VOCAB_WEIGHT)
        return _hits(conn, combine(scored, weights)[:limit], _highlight(query))
    finally:
        if close:
            conn.close()


def _highlight(query: str) -> str:
    """What snippets mark: the query's content words and its customer-vocabulary words."""
    words = [w for w in keywords(query) if len(w) > 1]  # a lone 払 would mark 支払 everywhere
    return " ".join(dict.fromkeys([*words, *vocabulary.thesaurus(query)]))


def hybrid(
    db: Any,
    query: str,
    doc: str | None = None,
    limit: int = 20,
    model: str | None = None,
    filters: Filters | None = None,
) -> list[search.Hit]:
    """Keyword (bm25) and semantic (cosine) scores fused by ``combine``; score = the fused
    score (0 to 4: the weights' sum)."""
    return _fused(db, query, doc, limit, filters, model)
