"""Stored top lists for very frequent search terms: exact bm25 top-N without ranking every match.

FTS5's ``order by rank limit N`` computes bm25 for every row matching the expression before it
keeps the best N: ≈ 5 µs a row, so a word in most documents' latest clauses (利用, 契約者, 解約:
15,000–150,000 latest clauses at 10,000 versions) costs 0.1–1 s per search (issue 12). The
database is immutable, so the build runs those searches once: for every term whose expression
(across documents, latest versions) matches more than ``THRESHOLD`` clauses, ``word_tops`` keeps
the query's answer, its best ``TOP`` (rowid, rank) pairs, keyed by the FTS5 expression itself.
versions/kb/find.py reads that row instead of asking FTS5, so a stored answer is the same rows
and the same ranks by construction (tests/test_word_tops.py); any other expression (rarer
words, filters, one document) runs in FTS5 as before. Below the threshold nothing is stored:
corpus/'s words match at most a few hundred latest clauses, so its searches are unchanged.

The terms tried: every word of the index (``fts5vocab``) used in more than ``THRESHOLD`` rows of
any version, searched as typed, and every customer-vocabulary word's expansion (thesaurus
and synonym groups, versions/kb/word_groups.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from versions.kb import search, vocabulary, word_groups
from versions.kb.context import BuildContext

THRESHOLD = 2_000  # latest clauses matched above which a term's answer is stored (≈ 10 ms of bm25)
TOP = 500  # pairs stored: find.BOUND, the clauses ranked per term across documents
# the filter of a search across documents (find._scope: search.filter_expression, no headings)
LATEST = f"{search.filter_expression(latest=True)} {search.NO_HEADINGS}"
MATCH_SQL = "select rowid, rank from nodes_words where nodes_words match ? order by rank limit ?"
# The latest versions' best matches, the filter in SQL instead of in the MATCH: FTS5's bm25 weighs
# every phrase of the expression by reading its whole doclist, and ``tags : latest`` is every
# latest clause (at 10,000 versions 利用契約の解除: 143 ms with the tags, 42 ms without; same ranks)
LATEST_SQL = """
with m as (select rowid, rank from nodes_words where nodes_words match :expr)
select m.rowid, m.rank from m join node_rows n on n.seq = m.rowid
join versions v on v.id = n.version_id
where v.latest = 1 and {kinds} order by m.rank, m.rowid limit :cap
"""
NOT_HEADINGS = f"n.kind not in {search.HEADING_KINDS!r}"  # search.NO_HEADINGS, in SQL
COUNT_SQL = "select count(*) from nodes_words where nodes_words match ?"
CREATE = (
    "create table if not exists word_tops "
    "(expr text primary key, matches integer not null, top text not null)"
)


def phrases(strings: Iterable[str]) -> list[str]:
    """FTS5 phrases for ``strings``: each as the finest and the longest split."""
    out = {
        search._phrase(ws) for s in strings for ws in (search.words(s, 0), search.words(s, 1)) if ws
    }
    return sorted(out)


def expression(phrase_list: list[str], tags: str) -> str:
    """The FTS5 expression of one term: its phrases in caption or text, and the filter tags."""
    return "{caption text} : (" + " OR ".join(phrase_list) + ")" + (f" AND {tags}" if tags else "")


def latest_top(
    conn: sqlite3.Connection, content: str, kind: str | None = None, cap: int = TOP
) -> dict[int, float]:
    """rowid → rank of the best ``cap`` latest clauses matching ``content`` (an expression
    without filter tags): of ``kind``, or of any kind but chapter and section headings (the
    across-documents filter ``LATEST``, ``kind…`` tag)."""
    kinds = "n.kind = :kind" if kind else NOT_HEADINGS
    sql = LATEST_SQL.format(kinds=kinds)
    return dict(conn.execute(sql, {"expr": content, "kind": kind, "cap": cap}).fetchall())


def lookup(conn: sqlite3.Connection, expr: str) -> dict[int, float] | None:
    """The stored answer of ``order by rank limit TOP`` for ``expr``, or None (ask FTS5)."""
    try:
        row = conn.execute("select top from word_tops where expr = ?", [expr]).fetchone()
    except sqlite3.OperationalError:  # a database built before word_tops
        return None
    return {seq: rank for seq, rank in json.loads(row[0])} if row else None


def candidates(conn: sqlite3.Connection, threshold: int) -> list[str]:
    """Expressions worth trying (without the filter tags): frequent words of the index, and
    thesaurus expansions."""
    words = search.index_terms(conn, threshold)
    exprs = {expression(p, "") for w in words if (p := phrases([w]))}
    for entry in vocabulary.load():
        for say in entry.say:
            typed = vocabulary.fold_honorific(say)
            also = word_groups.customer_words(conn, say)
            for p in (phrases([typed]), phrases(also)):
                if p:
                    exprs.add(expression(p, ""))
    return sorted(exprs)


def fill(conn: sqlite3.Connection, threshold: int = THRESHOLD, top: int = TOP) -> int:
    """(Re)write ``word_tops`` for the terms matching more than ``threshold`` latest clauses;
    the number of terms stored."""
    conn.execute(CREATE)
    conn.execute("delete from word_tops")
    stored = 0
    for content in candidates(conn, threshold):
        expr = f"{content} AND {LATEST}"
        (matches,) = conn.execute(COUNT_SQL, [expr]).fetchone()
        if matches <= threshold:
            continue
        pairs = list(latest_top(conn, content, cap=top).items())
        conn.execute(
            "insert into word_tops (expr, matches, top) values (?, ?, ?)",
            [expr, matches, json.dumps([list(p) for p in pairs])],
        )
        stored += 1
    return stored


def step_word_tops(ctx: BuildContext) -> None:
    """The build step (versions.kb.build STEPS), after the word index."""
    ctx.stats.setdefault("meta", {})["word_tops"] = fill(ctx.db.conn)
