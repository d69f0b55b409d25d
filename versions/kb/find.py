"""The one search box: words go to full text, questions to hybrid search; results by article.

``find(db, query)`` decides the mode (``mode="auto"``): a query that reads as a question or a
sentence (「料金を払い忘れたらどうなる？」, 「解約したい」) goes to hybrid search (words + meaning)
when the knowledge base has embeddings and the backend is installed, else to keyword search
(its content words ORed); plain words (解約, 「第三者提供 同意」) go to full text, and a full-text
miss falls back to the question path. ``Result.mode`` says what ran and ``Result.other`` the
mode to offer instead. Every mode takes the same filters (document, kind, chapter) and returns
``ranking.Group``s, one per article, with the true count (``total``) and a page of them.

Full text here is article-wide: every term (with its customer-vocabulary words, see
versions/kb/vocabulary.py) must match somewhere in the article — its caption counts for every
clause under it, so 「第三者提供 同意」 finds 第二十七条（第三者提供の制限）, whose body says 同意.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from extract.japanese import tokenize
from versions.kb import (
    answer_type,
    embeddings,
    ranking,
    search,
    semantic,
    version_index,
    vocabulary,
    word_groups,
    word_tops,
)

SYNONYM_WEIGHT = 0.5  # a clause matched only through a thesaurus word counts half (bm25)
MATCH_CAP = 20_000  # clauses read per term (more than any document has)
BOUND = 500  # across documents: clauses ranked per term (bm25 top N); beyond it counts say "N+"
EXPAND_BELOW = 5  # a term matching fewer clauses as typed is searched with its vocabulary words
MODES = ("auto", "fulltext", "hybrid", "semantic", "keywords")
KINDS = ("article", "paragraph", "item", "subitem", "supplement", "appendix", "table_row")
LABELS = {
    "fulltext": "full text (every word)",
    "hybrid": "question (words + meaning)",
    "semantic": "meaning only",
    "keywords": "question (any of its words)",
}


@dataclass
class Result:
    query: str
    mode: str  # the mode that ran: fulltext, hybrid, semantic or keywords
    groups: list[ranking.Group]  # this page
    total: int  # articles found (every page)
    clauses: int  # clauses found (every page)
    offset: int
    limit: int
    other: str | None  # the mode to offer instead
    reason: str  # why this mode: "asked", "words", "question", "no full-text match"
    notice: str | None = None  # e.g. why semantic search is not available
    expansions: list[str] = field(default_factory=list)  # customer-vocabulary words searched
    by_doc: dict[str, int] = field(default_factory=dict)  # articles found per document
    capped: bool = False  # a term matched more clauses than the bound: counts are "at least"

    @property
    def label(self) -> str:
        return LABELS[self.mode]

    @property
    def total_label(self) -> str:
        """The article count as shown: 「500+」 when the candidate bound was hit."""
        return f"{self.total}+" if self.capped else str(self.total)

    @property
    def clauses_label(self) -> str:
        return f"{self.clauses}+" if self.capped else str(self.clauses)


# --- which mode --------------------------------------------------------------------------------

_SENTENCE_POS = {"助動詞"}
_SENTENCE_PARTICLES = {"接続助詞", "終助詞", "係助詞", "副助詞"}


def is_question(query: str) -> bool:
    """Whether ``query`` reads as a question or a sentence rather than search words.

    A question mark, an auxiliary verb (たら, たい, ます), a conjunctive/final particle, or a verb
    or adjective with a case particle (料金を払う) make a sentence; nouns joined by の do not.
    """
    q = unicodedata.normalize("NFKC", query or "").strip()
    if not q:
        return False
    if q.endswith("?") or "?" in q:
        return True
    tokens = tokenize(q, "C")
    pos = [t.part_of_speech[:2] for t in tokens]
    if any(p[0] in _SENTENCE_POS or (p[0] == "助詞" and p[1] in _SENTENCE_PARTICLES) for p in pos):
        return True
    case = sum(p[0] == "助詞" for p in pos)
    predicate = any(p[0] in ("動詞", "形容詞") for p in pos)
    return case >= 2 or (case >= 1 and predicate)


NO_VECTORS = "this knowledge base has no clause embeddings (docs/semantic.md)"


def semantic_problem(conn: sqlite3.Connection) -> str | None:
    """Why semantic search cannot run on ``conn`` (None when it can); loads the backend."""
    if not semantic.has_vectors(conn):
        return NO_VECTORS
    model = conn.execute("select model from embedding_meta").fetchone()
    return embeddings.missing_reason(model[0] if model else None)


# --- the search --------------------------------------------------------------------------------


def by_meaning(query: str, mode: str = "auto") -> bool:
    """Whether ``find`` may search ``query`` by meaning (so needs its embedding)."""
    return mode != "fulltext" and (mode != "auto" or is_question(query))


def prepare(db: Any, query: str, mode: str = "auto") -> None:
    """Load the embedding model and embed ``query`` when ``find`` would search it by meaning,
    so that ``find`` itself (run under the site's SQL time limit) only reads the cache."""
    if not by_meaning(query, mode):
        return
    conn, close = search._connection(db)
    try:
        if semantic_problem(conn) is None:
            (model,) = conn.execute("select model from embedding_meta").fetchone()
            semantic.query_vector(query, model)
    finally:
        if close:
            conn.close()


def find(
    db: Any,
    query: str,
    mode: str = "auto",
    *,
    doc: str | None = None,
    kind: str | None = None,
    chapter: str | None = None,
    limit: int = 10,
    offset: int = 0,
    all_versions: bool = False,
    model: str | None = None,
    strict: bool = False,
    bound: int | None = None,
) -> Result:
    """Search ``query`` in ``mode`` (auto: decided from the query); a page of articles.

    Full text across documents ranks the top ``bound`` clauses per term (bm25) and marks the
    result ``capped`` when a term has more (``bound`` defaults to BOUND); within one document
    (``doc``) counts are exact.

    Semantic modes fall back to keywords when the knowledge base has no embeddings or the
    backend is missing (``Result.notice`` says why); with ``strict``, a semantic mode asked
    for by name raises semantic.NoVectors instead.
    """
    conn, close = search._connection(db)
    try:
        # words need no model: whether vectors exist is enough to offer the question mode
        words = mode == "fulltext" or (mode == "auto" and not is_question(query))
        cheap = None if semantic.has_vectors(conn) else NO_VECTORS
        problem = cheap if words else semantic_problem(conn)
        mode, reason = _mode(query, mode, problem, strict)
        filters = {"doc": doc, "kind": kind, "chapter": chapter}
        capped = False
        if mode == "fulltext":
            cap = MATCH_CAP if doc else (bound or BOUND)
            groups, expanded, capped = words_search(
                conn, query, all_versions=all_versions, cap=cap, **filters
            )
            if not groups and reason == "words":
                problem = semantic_problem(conn)
                reason, mode = "no full-text match", "keywords" if problem else "hybrid"
        if mode != "fulltext":
            groups, expanded = question_search(conn, query, mode, model=model, **filters)
        ranking.ranked_scores(groups, query)
        if not kind:  # a bare heading shows its first clause (unless kinds are filtered)
            ranking.fill_text(conn, groups[offset : offset + limit])
    finally:
        if close:
            conn.close()
    return Result(
        query,
        mode,
        groups[offset : offset + limit],
        len(groups),
        sum(len(g.matches) for g in groups),
        offset,
        limit,
        "fulltext" if mode != "fulltext" else ("keywords" if problem else "hybrid"),
        reason,
        notice=f"semantic search is not available: {problem}"
        if problem and mode == "keywords"
        else None,
        expansions=expanded,
        by_doc=dict(Counter(g.doc_id for g in groups).most_common()),
        capped=capped and mode == "fulltext",
    )


def _mode(query: str, mode: str, problem: str | None, strict: bool) -> tuple[str, str]:
    """(the mode to run, why): auto reads the query; semantic modes need embeddings."""
    reason = "asked"
    if mode == "auto":
        reason = "question" if is_question(query) else "words"
        mode = "fulltext" if reason == "words" else "hybrid"
    if mode in ("hybrid", "semantic") and problem:
        if strict and reason == "asked":
            raise semantic.NoVectors(problem)
        mode = "keywords"
    return mode, reason


# --- full text, by article ---------------------------------------------------------------------

ROWS_SQL = """
select key, version_id, doc_id, node_id, kind, label, caption, text, path, chapter_id, article_id,
       0.0, seq
from nodes where seq in (select value from json_each(?))
"""
MATCH_SQL = "select rowid, rank from nodes_words where nodes_words match ? order by rank limit ?"


def _phrases(strings: list[str]) -> list[str]:
    return word_tops.phrases(strings)


@dataclass
class Scope:
    """Where full text looks: FTS5 tags, and a rowid (nodes.seq) range when one version."""

    tags: str
    rows: tuple[int, int] | None = None
    cap: int = MATCH_CAP
    every_version: bool = False  # a word row stands for its nodes in every version
    also: str = ""  # more content conditions, ANDed (the other terms of a conjunction)
    latest_sql: bool = False  # across documents, latest versions: filter in SQL (word_tops)
    kind: str | None = None  # the kind filter of latest_sql


def _scores(conn: sqlite3.Connection, phrases: list[str], scope: Scope) -> dict[int, float]:
    """rowid → bm25 rank (negative, lower is better) of clauses matching any of ``phrases``;
    the best ``scope.cap`` of them."""
    if not phrases:
        return {}
    content = word_tops.expression(phrases, scope.also)
    expr = f"{content} AND {scope.tags}" if scope.tags else content
    if scope.rows:  # one version: its own index, not bm25 over every version (issue 12)
        return version_index.scores(conn, expr, *scope.rows, scope.cap)
    if scope.cap == word_tops.TOP and not scope.every_version:  # stored by the build
        stored = word_tops.lookup(conn, expr)
        if stored is not None:
            return stored
    if scope.latest_sql:
        return word_tops.latest_top(conn, content, scope.kind, scope.cap)
    found = dict(conn.execute(MATCH_SQL, [expr, scope.cap]).fetchall())
    return _members(conn, found) if scope.every_version else found


MEMBERS_SQL = "select j.key, n.seq from json_each(?) j " + search.WORD_ROW_MEMBERS.format(
    rowid="cast(j.key as integer)"
)


def _members(conn: sqlite3.Connection, found: dict[int, float]) -> dict[int, float]:
    """Word rows → the nodes they stand for in every version, each with its row's rank."""
    pairs = conn.execute(MEMBERS_SQL, [json.dumps(found)]).fetchall()
    return {seq: found[int(rowid)] for rowid, seq in pairs}


def _scope(
    conn: sqlite3.Connection,
    doc: str | None,
    kind: str | None,
    chapter: str | None,
    all_versions: bool,
    cap: int,
) -> Scope:
    """The tags for the filters; one document's latest version by its rowid range instead."""
    rows = version_index.latest_rows(conn, doc) if doc and not all_versions else None
    if rows is None:
        tags = _tags(doc, kind, chapter, all_versions)
        if tags and not kind:  # the best ``cap`` should be provisions, not headings
            tags = f"{tags} {search.NO_HEADINGS}"
        kind_tag = kind if kind and kind != "supplement" else None
        # the tags are LATEST (+ kind): filter in SQL
        across = not doc and not chapter and not all_versions and kind != "supplement"
        return Scope(tags, None, cap, all_versions, latest_sql=across, kind=kind_tag)
    tags = search.filter_expression(
        latest=False, kind=kind if kind and kind != "supplement" else None
    )
    if chapter:  # the chapter tag needs the document's id, so keep both
        tags = _tags(doc, kind, chapter, all_versions)
    return Scope(tags, rows, cap)


def _keep(hit: search.Hit, kind: str | None, chapter: str | None) -> bool:
    """The kind and chapter filters; kind ``supplement`` means anywhere in a 附則."""
    if kind == "supplement" and not hit.node_id.startswith("suppl_"):
        return False
    if kind and kind != "supplement" and hit.kind != kind:
        return False
    return not chapter or hit.chapter_id == chapter


def _tags(doc: str | None, kind: str | None, chapter: str | None, all_versions: bool) -> str:
    return search.filter_expression(
        latest=not all_versions,
        doc=doc,
        kind=kind if kind and kind != "supplement" else None,
        chapter=chapter,
    )


def words_search(
    conn: sqlite3.Connection,
    query: str,
    *,
    doc: str | None = None,
    kind: str | None = None,
    chapter: str | None = None,
    all_versions: bool = False,
    cap: int = MATCH_CAP,
) -> tuple[list[ranking.Group], list[str], bool]:
    """Articles matching every term of ``query`` (a term: what was typed, honorific folded, or
    one of its customer-vocabulary words); (groups best first, the vocabulary words used,
    whether a term matched more than ``cap`` clauses so only its best ``cap`` were ranked)."""
    scope = _scope(conn, doc, kind, chapter, all_versions, cap)
    per_term: list[dict[int, float]] = []
    typed_phrases: list[list[str]] = []
    expanded: list[str] = []
    capped = False
    for term in search.terms(query):
        typed = vocabulary.fold_honorific(term)
        typed_phrases.append(_phrases([typed]))
        scores = _scores(conn, typed_phrases[-1], scope)
        # the customer's word stands in for the documents' words when they rarely use it
        # (キャンセル, 退会); a word they use (解約金, 保証) is searched as typed
        also = word_groups.customer_words(conn, term) if len(scores) < EXPAND_BELOW else []
        for rowid, rank in _scores(conn, _phrases(also), scope).items():
            scores.setdefault(rowid, rank * SYNONYM_WEIGHT)
        if not scores:
            return _substrings(conn, query, doc, kind, chapter, all_versions), also, False
        capped = capped or len(scores) >= cap
        per_term.append(scores)
        expanded += [w for w in also if w not in expanded]
    if not per_term:
        return [], [], False
    if capped and len(per_term) > 1:
        _add_conjunction(conn, per_term, typed_phrases, scope)
    rowids = set().union(*per_term)
    groups, expanded = _group_words(conn, query, per_term, rowids, expanded, kind, chapter)
    if len(per_term) == 1:
        groups = _definitions_first(conn, groups, vocabulary.fold_honorific(query))
    return groups, expanded, capped


def _add_conjunction(
    conn: sqlite3.Connection,
    per_term: list[dict[int, float]],
    typed_phrases: list[list[str]],
    scope: Scope,
) -> None:
    """Clauses holding every term, when a term's list was cut at the bound: the best ``cap``
    of each term need not meet (at 10,000 versions the best 500 of 料金 and of 支払 had no
    article in common, and 「料金 支払」 found nothing). Each term gets an equal share of the
    clause's rank for all of them, so the article's score is that rank."""
    terms = [p for p in typed_phrases if p]
    if len(terms) < 2:
        return
    first, *rest = terms
    others = " AND ".join(word_tops.expression(p, "") for p in rest)
    both = dataclasses.replace(scope, also=others)
    share = 1 / len(per_term)
    for rowid, rank in _scores(conn, first, both).items():
        for scores in per_term:
            scores.setdefault(rowid, rank * share)


def _definitions_first(
    conn: sqlite3.Connection, groups: list[ranking.Group], term: str
) -> list[ranking.Group]:
    """A query that is one defined term (要配慮個人情報, 契約者) shows the clause defining it
    first: the definitions step records where each term is defined."""
    keys = {h.key for g in groups[:200] for h in g.matches}
    if not keys or "definitions" not in _tables(conn):
        return groups
    versions = {k.split("/", 1)[0] for k in keys}  # by the (version_id, term) index
    marks, vmarks = ",".join("?" * len(keys)), ",".join("?" * len(versions))
    sql = (
        f"select node_key from definitions where version_id in ({vmarks}) and term = ?"
        f" and node_key in ({marks})"
    )
    defining = {r[0] for r in conn.execute(sql, [*versions, term, *keys])}
    first = []
    for g in groups:
        hit = next((h for h in g.matches if h.key in defining), None)
        if hit is not None:
            g.best = hit
            first.append(g)
    chosen = {id(g) for g in first}  # by identity: == compares every field (issue 12)
    return first + [g for g in groups if id(g) not in chosen]


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}


def _substrings(
    conn: sqlite3.Connection,
    query: str,
    doc: str | None,
    kind: str | None,
    chapter: str | None,
    all_versions: bool,
) -> list[ranking.Group]:
    """Articles where the query is printed as a substring cut across words (trigram index)."""
    hits = search.fulltext(
        conn,
        vocabulary.fold_query(query),
        doc=doc,
        chapter=chapter,
        kind=kind if kind != "supplement" else None,
        limit=MATCH_CAP // 20,
        all_versions=all_versions,
    )
    matches = [ranking.Match(h, -h.score) for h in hits if _keep(h, kind, chapter)]
    return ranking.group_articles(conn, matches, query)


def _group_words(
    conn: sqlite3.Connection,
    query: str,
    per_term: list[dict[int, float]],
    rowids: set[int],
    expanded: list[str],
    kind: str | None,
    chapter: str | None,
) -> tuple[list[ranking.Group], list[str]]:
    """Matching clauses folded per article; an article must match every term."""
    highlight = " ".join([vocabulary.fold_query(query), *expanded])
    matches = []
    for row in conn.execute(ROWS_SQL, [json.dumps(sorted(rowids))]).fetchall():
        hit = search._hit(row[:12], highlight)
        if not _keep(hit, kind, chapter):
            continue
        hit.seq = seq = row[12]
        found = [i for i, s in enumerate(per_term) if seq in s]
        score = -sum(per_term[i][seq] for i in found)
        matches.append(ranking.Match(hit, score, frozenset(found)))
    groups = ranking.group_articles(conn, matches, query, need=len(per_term))
    for g in groups:  # an article's score: each term's best clause in it
        g.score = _article_score(g, per_term)
    ranking.order(groups, query)
    return groups, expanded


def _article_score(g: ranking.Group, per_term: list[dict[int, float]]) -> float:
    """Per term: its best clause of the article, plus the article's caption when that matches
    too (an article about the term ranks above one that mentions it)."""
    heading = [h.seq for h in g.matches if h.node_id == g.node_id and h.seq is not None]
    body = [h.seq for h in g.matches if h.node_id != g.node_id and h.seq is not None]
    total = 0.0
    for s in per_term:
        total += min((s[q] for q in body if q in s), default=0.0)
        total += min((s[q] for q in heading if q in s), default=0.0)
    return -total


# --- questions: hybrid, semantic or keywords, by article ---------------------------------------


def question_search(
    conn: sqlite3.Connection,
    query: str,
    mode: str,
    *,
    doc: str | None = None,
    kind: str | None = None,
    chapter: str | None = None,
    model: str | None = None,
) -> tuple[list[ranking.Group], list[str]]:
    """Clauses ranked by ``mode`` (hybrid, semantic, keywords), folded per article."""
    filters = semantic.Filters(doc=doc, kind=kind, chapter=chapter)
    limit = 2 * semantic.CANDIDATES
    if mode == "keywords":
        hits = semantic.keywords_only(conn, query, doc, limit, filters)
    else:
        find = semantic.semantic if mode == "semantic" else semantic.hybrid
        hits = find(conn, query, doc=doc, limit=limit, model=model, filters=filters)
    matches = [ranking.Match(h, h.score) for h in hits]
    groups, added = ranking.group_articles(conn, matches, query), vocabulary.thesaurus(query)
    if mode != "keywords":
        keys = [g.key for g in groups]
        ranking.favour_meaning(groups, semantic.article_similarity(conn, query, keys, model))
    asked = answer_type.main_clause(query)
    if asked != query and semantic.keywords(asked):
        found = semantic.keyword_search(conn, asked, doc, semantic.CANDIDATES, filters)
        ranking.favour_asked(groups, found)
    ranking.favour_captions(groups, [*semantic.keywords(query), *added], query)
    return groups, added
