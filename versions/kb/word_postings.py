"""Complete bm25 postings of frequent words: a question's keyword side across documents, exact,
without FTS5 ranking every match of every word.

A question's keyword side (semantic.keyword_search) ORs ten or more words, and FTS5's
``order by rank`` computes bm25 for every latest clause matching any of them: at 10,000
versions 「個人情報は第三者に渡される？」 matched about 400,000 clauses, 1.1 s (issue 12).

bm25 of an OR is the sum over its phrases of each phrase's own bm25 (its IDF, its frequency in
the row, the row's length). So each phrase ranked alone gives exactly its share, and the shares
summed in phrase order are the OR's rank to the last bit. The database is immutable: the build
ranks each frequent phrase alone once and keeps every latest clause's share (``word_postings``);
a question sums the stored shares with numpy and asks FTS5 only for its rare phrases. Same
rows, same ranks, same order (rank, then seq) as the FTS5 query (tests/test_word_postings.py).
Nothing is stored at or below ``THRESHOLD`` latest clauses (a rarer phrase costs FTS5 a few ms;
at 10,000 versions a phrase of 1,000–2,000 cost 10–35 ms cold): corpus/ stores 39 phrases
(240 KB); /tmp/s10k 3,445 (208 MB, 4% of the file: 2,000 stored 1,014 in 188 MB).
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np

from versions.kb import sitedb, version_index, word_tops

THRESHOLD = 250  # latest clauses matched above which a phrase's postings are stored
# rarer phrases' postings read from FTS5, per process: at most THRESHOLD latest clauses each
_RARE: sitedb.LRU[tuple[np.ndarray, np.ndarray]] = sitedb.LRU(256)
CREATE = (
    "create table if not exists word_postings "
    "(phrase text primary key, matches integer not null, seqs blob not null, ranks blob not null)"
)
# every latest clause matching one phrase, with its rank (semantic.KEYWORD_SQL's rows)
PHRASE_SQL = """
with m as (select rowid, rank from nodes_words where nodes_words match :expr)
select m.rowid, m.rank from m join node_rows n on n.seq = m.rowid
join versions v on v.id = n.version_id where v.latest = 1
"""

# one version's rows matching one phrase (the latest version's nodes have seqs lo…hi, and a
# word row's rowid is the seq of its latest node)
RANGE_SQL = (
    "select rowid, rank from nodes_words where nodes_words match :expr"
    " and rowid between :lo and :hi"
)


def expression(phrase: str) -> str:
    """One phrase in the caption or text (the colset of semantic.keyword_search)."""
    return word_tops.expression([phrase], "")


def postings(
    conn: sqlite3.Connection, phrase: str, span: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(seqs, ranks) of the latest clauses matching ``phrase``: stored, else from FTS5 (kept
    per process: a question asks for its words up to three times). ``span``: only seqs lo…hi
    (one version), read from FTS5 by rowid range when not stored."""
    stored = _stored(conn, phrase)
    if stored is not None:
        if span is None:
            return stored
        inside = (stored[0] >= span[0]) & (stored[0] <= span[1])
        return stored[0][inside], stored[1][inside]
    if span is not None:  # the version's own rows: rowid = seq, no join, nothing to keep
        found = conn.execute(RANGE_SQL, {"expr": expression(phrase), "lo": span[0], "hi": span[1]})
        return _arrays(found.fetchall())
    key = (*version_index.identity(conn), phrase)
    kept = _RARE.get(key)
    if kept is None:
        rows = conn.execute(PHRASE_SQL, {"expr": expression(phrase)}).fetchall()
        kept = _RARE.put(key, _arrays(rows))
    return kept


def _arrays(rows: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    seqs = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    ranks = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
    return seqs, ranks


def _stored(conn: sqlite3.Connection, phrase: str) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        row = conn.execute(
            "select seqs, ranks from word_postings where phrase = ?", [phrase]
        ).fetchone()
    except sqlite3.OperationalError:  # a database built before word_postings
        return None
    if row is None:
        return None
    return np.frombuffer(row[0], dtype="<u4"), np.frombuffer(row[1], dtype="<f8")


def any_stored(conn: sqlite3.Connection, phrases: list[str]) -> bool:
    """Whether some phrase has stored postings (else the OR is cheap in FTS5)."""
    try:
        sql = "select 1 from word_postings where phrase in (select value from json_each(?))"
        return conn.execute(sql, [json.dumps(phrases)]).fetchone() is not None
    except sqlite3.OperationalError:
        return False


def ranked(
    conn: sqlite3.Connection,
    phrases: list[str],
    limit: int,
    span: tuple[int, int] | None = None,
) -> list[tuple[int, float]]:
    """(seq, rank) of the best ``limit`` latest clauses matching any of ``phrases``: the
    answer of FTS5's ``match 'p1 OR p2 …' order by rank, seq limit N``. ``span``: only the
    seqs lo…hi (one document's latest version, ``version_index.latest_rows``), the answer with
    ``AND tags : doc…`` added (a filter phrase in the weight-0 column adds 0 to bm25)."""
    parts = [postings(conn, p, span) for p in phrases]
    seqs = np.concatenate([s for s, _ in parts]) if parts else np.empty(0, np.int64)
    if not len(seqs):
        return []
    ranks = np.concatenate([r for _, r in parts])
    rows, where = _distinct(seqs)
    total = np.bincount(where, weights=ranks, minlength=len(rows))  # in phrase order, from 0.0
    if len(rows) > limit:  # the best ``limit`` and every row tied with the last of them
        cut = np.partition(total, limit - 1)[limit - 1]
        keep = total <= cut
        rows, total = rows[keep], total[keep]
    order = np.lexsort((rows, total))[:limit]
    return [(int(rows[i]), float(total[i])) for i in order]


def _distinct(seqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(seqs, return_inverse=True)``, 3× faster here: ``seqs`` is one sorted run per
    phrase, which a stable sort (timsort) merges (710,000 postings: 54 → 19 ms)."""
    order = np.argsort(seqs, kind="stable")
    ordered = seqs[order]
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    where = np.empty(len(ordered), dtype=np.intp)
    where[order] = np.cumsum(first) - 1
    return ordered[first], where


def fill(conn: sqlite3.Connection, phrases: list[str], threshold: int = THRESHOLD) -> int:
    """(Re)write ``word_postings`` for those of ``phrases`` matching more than ``threshold``
    latest clauses; the number stored."""
    conn.execute(CREATE)
    conn.execute("delete from word_postings")
    stored = 0
    for phrase in phrases:
        rows = conn.execute(PHRASE_SQL, {"expr": expression(phrase)}).fetchall()
        if len(rows) <= threshold:
            continue
        seqs = np.array([r[0] for r in rows], dtype="<u4")
        ranks = np.array([r[1] for r in rows], dtype="<f8")
        conn.execute(
            "insert into word_postings values (?, ?, ?, ?)",
            [phrase, len(rows), seqs.tobytes(), ranks.tobytes()],
        )
        stored += 1
    return stored
