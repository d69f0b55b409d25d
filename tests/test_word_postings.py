"""Stored bm25 postings of frequent question words (versions/kb/word_postings.py) on corpus/:
the build stores the phrases past the real threshold, and with the threshold lowered so more
words qualify, a question's keyword side summed from them is FTS5's answer: same rows, same
ranks to the last bit, same order."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from semantic_helpers import filled_copy

from versions.kb import build_postings, find, search, semantic, version_index, word_postings

QUESTIONS = [
    "料金を払い忘れたらどうなる？",
    "個人情報は第三者に渡される？",
    "解約したら違約金はかかる？",
    "サービスが止まったら返金される？",
    "引っ越したら何をすればいい？",
    "未成年でも申し込める？",
]


@pytest.fixture(scope="module")
def stored(plain_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A copy of corpus/'s knowledge base with postings stored from 30 latest clauses on."""
    return filled_copy(
        plain_kb,
        tmp_path_factory.mktemp("word_postings"),
        lambda c: build_postings.fill(c, threshold=30),
    )


def fts5_answer(
    conn: sqlite3.Connection, query: str, limit: int, doc: str | None = None
) -> list[tuple[int, float]]:
    """FTS5's ranking of the question's keyword side (``doc``: ANDed with its tag)."""
    where = search.filter_expression(latest=False, doc=doc) if doc else ""
    expr = "{caption text} : (" + " OR ".join(semantic.keyword_phrases(query)) + ")"
    expr += f" AND {where}" if where else ""
    sql = semantic.KEYWORD_SQL.replace("select n.key,", "select n.seq, top.rank, n.key,")
    return [(r[0], r[1]) for r in conn.execute(sql, {"expr": expr, "limit": limit})]


def test_build_stores_the_candidates_past_the_threshold(plain_kb: Path) -> None:
    """Every candidate phrase matching more than THRESHOLD latest clauses is stored, no other."""
    conn = sqlite3.connect(plain_kb)
    rows = dict(conn.execute("select phrase, matches from word_postings").fetchall())
    assert 5 < len(rows) < 200 and '"情報"' in rows
    for phrase in build_postings.candidates(conn, word_postings.THRESHOLD):
        sql = word_postings.PHRASE_SQL
        matches = len(conn.execute(sql, {"expr": word_postings.expression(phrase)}).fetchall())
        assert (phrase in rows) == (matches > word_postings.THRESHOLD), phrase
        assert rows.get(phrase, matches) == matches
    meta = dict(conn.execute("select key, value from build_meta"))
    assert meta["word_postings"] == str(len(rows))


def test_stored_postings_are_each_phrase_ranked_alone(stored: tuple[Path, int]) -> None:
    db, count = stored
    assert count >= 10
    conn = sqlite3.connect(db)
    for phrase, matches in conn.execute("select phrase, matches from word_postings"):
        seqs, ranks = word_postings.postings(conn, phrase)
        rows = conn.execute(word_postings.PHRASE_SQL, {"expr": word_postings.expression(phrase)})
        assert dict(zip(seqs.tolist(), ranks.tolist(), strict=True)) == dict(rows.fetchall())
        assert matches == len(seqs) > 30
    assert word_postings.any_stored(conn, ['"料金"', '"個人情報"'])


@pytest.mark.parametrize("query", QUESTIONS)
def test_summed_shares_are_the_fts5_answer(stored: tuple[Path, int], query: str) -> None:
    conn = sqlite3.connect(stored[0])
    phrases = semantic.keyword_phrases(query)
    assert word_postings.any_stored(conn, phrases)
    for limit in (1, 20, 100, 2000):
        assert word_postings.ranked(conn, phrases, limit) == fts5_answer(conn, query, limit)


@pytest.mark.parametrize("query", QUESTIONS)
def test_question_search_does_not_change(
    plain_kb: Path, stored: tuple[Path, int], query: str
) -> None:
    def keys(db: Path) -> list[tuple[str, float]]:
        return [(h.key, h.score) for h in semantic.keyword_search(db, query, limit=100)]

    assert keys(stored[0]) == keys(plain_kb)
    r1 = find.find(stored[0], query, mode="keywords")
    r2 = find.find(plain_kb, query, mode="keywords")
    assert [(g.key, g.best.key) for g in r1.groups] == [(g.key, g.best.key) for g in r2.groups]


def boosted_copy(db: Path, name: str, doc: str | None = None) -> tuple[Path, str]:
    """A copy of ``db`` in which the weakest stored match of 料金 (in ``doc``'s latest version)
    becomes by far the best; (the copy, that clause's key)."""
    copy = db.with_name(name)
    shutil.copyfile(db, copy)
    with sqlite3.connect(copy) as conn:
        lo, hi = (version_index.latest_rows(conn, doc) or (0, 0)) if doc else (0, 2**32)
        seqs, ranks = word_postings.postings(conn, '"料金"')
        inside = np.flatnonzero((seqs >= lo) & (seqs <= hi))
        last = int(inside[np.argmax(ranks[inside])])
        boosted = ranks.copy()
        boosted[last] = -1000.0
        conn.execute(
            "update word_postings set ranks = ? where phrase = ?",
            [boosted.astype("<f8").tobytes(), '"料金"'],
        )
        (key,) = conn.execute("select key from nodes where seq = ?", [int(seqs[last])]).fetchone()
    return copy, key


def test_stored_postings_are_read(stored: tuple[Path, int]) -> None:
    """The search reads the stored shares: an altered one shows in the answer."""
    copy, key = boosted_copy(stored[0], "altered.db")
    best = semantic.keyword_search(copy, "料金を払い忘れたらどうなる？", limit=1)[0]
    assert best.key == key


@pytest.mark.parametrize("query", QUESTIONS)
def test_within_one_document_the_shares_are_the_fts5_answer(
    stored: tuple[Path, int], query: str
) -> None:
    """A question within one document sums the stored shares of its latest version's seqs:
    FTS5's answer with the document's tag ANDed (which adds 0 to bm25), to the last bit."""
    conn = sqlite3.connect(stored[0])
    phrases = semantic.keyword_phrases(query)
    docs = [r[0] for r in conn.execute("select id from documents order by id")]
    for doc in docs:
        span = version_index.latest_rows(conn, doc)
        assert span is not None
        for limit in (1, 20, 500):
            mine = word_postings.ranked(conn, phrases, limit, span)
            assert mine == fts5_answer(conn, query, limit, doc), (doc, limit)


@pytest.mark.parametrize("query", QUESTIONS[:3])
def test_question_search_within_a_document_does_not_change(
    plain_kb: Path, stored: tuple[Path, int], query: str
) -> None:
    def keys(db: Path, doc: str) -> list[tuple[str, float]]:
        return [(h.key, h.score) for h in semantic.keyword_search(db, query, doc=doc, limit=100)]

    for doc in ("toreru-camera", "kojin-joho-hogo-ho", "shohisha-keiyaku-ho"):
        assert keys(stored[0], doc) == keys(plain_kb, doc), doc


def test_stored_postings_are_read_within_a_document(stored: tuple[Path, int]) -> None:
    """Within one document too, the search reads the stored shares (not FTS5)."""
    copy, key = boosted_copy(stored[0], "altered-doc.db", "toreru-camera")
    best = semantic.keyword_search(
        copy, "料金を払い忘れたらどうなる？", doc="toreru-camera", limit=1
    )
    assert best[0].key == key


def test_distinct_seqs_are_numpys_unique() -> None:
    rng = np.random.default_rng(7)
    runs = [np.sort(rng.choice(5000, size=n, replace=False)) for n in (1, 300, 2000, 4999)]
    seqs = np.concatenate(runs)
    rows, where = word_postings._distinct(seqs)
    want_rows, want_where = np.unique(seqs, return_inverse=True)
    assert np.array_equal(rows, want_rows) and np.array_equal(where, want_where)
