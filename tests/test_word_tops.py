"""Stored top lists of very frequent terms (versions/kb/word_tops.py) on corpus/: the build
stores only particles at the real threshold, and a search reading stored answers (threshold
lowered so corpus/'s common words qualify) returns exactly what FTS5 returns without them."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from semantic_helpers import filled_copy

from versions.kb import find, word_tops

QUERIES = ["契約", "当社", "利用", "料金", "サービス", "料金 支払", "キャンセル", "個人情報 第三者"]


def summary(db: Path, query: str) -> tuple[object, ...]:
    r = find.find(db, query, mode="fulltext", limit=50)
    groups = [(g.key, g.score, g.best.key, sorted(h.key for h in g.matches)) for g in r.groups]
    return groups, r.total, r.clauses, r.capped, r.expansions


@pytest.fixture(scope="module")
def stored(plain_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A copy of corpus/'s knowledge base with answers stored from 30 latest clauses on."""
    return filled_copy(
        plain_kb, tmp_path_factory.mktemp("word_tops"), lambda c: word_tops.fill(c, threshold=30)
    )


def test_build_stores_only_words_past_the_threshold(plain_kb: Path) -> None:
    """corpus/ has 7 documents: only particles (の, に, 為) match 2,000+ latest clauses."""
    conn = sqlite3.connect(plain_kb)
    rows = conn.execute("select expr, matches from word_tops").fetchall()
    assert rows and len(rows) < 10
    assert all(m > word_tops.THRESHOLD for _, m in rows)
    assert word_tops.expression(find._phrases(["契約"]), word_tops.LATEST) not in dict(rows)
    meta = dict(conn.execute("select key, value from build_meta"))
    assert meta["word_tops"] == str(len(rows))


def test_stored_answer_is_the_fts5_answer(stored: tuple[Path, int]) -> None:
    db, count = stored
    assert count >= 10  # corpus/'s common words (契約, 当社, 利用 …) match 30+ latest clauses
    conn = sqlite3.connect(db)
    rows = conn.execute("select expr, matches from word_tops").fetchall()
    assert len(rows) == count
    for expr, matches in rows:
        assert matches > 30
        assert matches == conn.execute(word_tops.COUNT_SQL, [expr]).fetchone()[0]
        live = conn.execute(word_tops.MATCH_SQL, [expr, word_tops.TOP]).fetchall()
        assert word_tops.lookup(conn, expr) == dict(live)
    exprs = {r[0] for r in rows}
    latest = word_tops.LATEST
    assert word_tops.expression(find._phrases(["契約"]), latest) in exprs
    assert word_tops.expression(['"個人 情報"', '"個人情報"'], latest) in exprs


def test_search_reads_stored_answers_and_results_do_not_change(
    plain_kb: Path, stored: tuple[Path, int]
) -> None:
    db, _ = stored
    for query in QUERIES:
        assert summary(db, query) == summary(plain_kb, query), query


def test_stored_answer_is_used(stored: tuple[Path, int]) -> None:
    """A stored row is what the search reads: an altered answer shows in the results."""
    db, _ = stored
    copy = db.with_name("altered.db")
    shutil.copyfile(db, copy)
    expr = word_tops.expression(find._phrases(["契約"]), word_tops.LATEST)
    with sqlite3.connect(copy) as conn:  # keep its 50 best clauses only
        (top,) = conn.execute("select top from word_tops where expr = ?", [expr]).fetchone()
        best = json.loads(top)[:50]
        conn.execute("update word_tops set top = ? where expr = ?", [json.dumps(best), expr])
    altered = find.find(copy, "契約", mode="fulltext", limit=50)
    matched = {h.seq for g in altered.groups for h in g.matches}
    assert matched and matched <= {seq for seq, _ in best}  # (chapter headings are no result)
    assert find.find(db, "契約", mode="fulltext").clauses > 50


@pytest.mark.parametrize("kind", [None, "paragraph", "item"])
def test_the_latest_filter_in_sql_ranks_as_the_filter_tags_do(plain_kb: Path, kind: str) -> None:
    """latest_top (filter in SQL, cheaper bm25) returns the rows and ranks the MATCH with the
    filter tags returns: every term of QUERIES, headings left out unless a kind is asked for."""
    conn = sqlite3.connect(plain_kb)
    tags = f"tags : kind{kind}" if kind else word_tops.LATEST
    if kind:
        tags = f"tags : latest AND {tags}"
    matched = 0
    for query in QUERIES:
        for term in query.split():
            content = word_tops.expression(find._phrases([term]), "")
            live = conn.execute(word_tops.MATCH_SQL, [f"{content} AND {tags}", 5000]).fetchall()
            assert word_tops.latest_top(conn, content, kind, 5000) == dict(live), (term, kind)
            matched += len(live)
    assert matched > 100
