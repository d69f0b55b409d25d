"""Sudachi synonym groups (versions/kb/word_groups.py) on corpus/'s knowledge base: a customer's
word the thesaurus does not list finds the documents' words sharing its group, and nothing
breaks on a database built before the table existed."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from versions.kb import find, vocabulary, word_groups


@pytest.fixture(scope="module")
def conn(plain_kb: Path) -> sqlite3.Connection:
    return sqlite3.connect(plain_kb)


def test_build_records_groups_of_the_documents_words(conn: sqlite3.Connection) -> None:
    rows = set(conn.execute("select group_id, word from word_groups"))
    words = {w for _, w in rows}
    assert {"解約", "料金", "代金", "削除"} <= words
    # every stored word is in the word index
    vocab = {r[0] for r in conn.execute("select words from word_cache")}
    assert all(any(w in text.split() for text in vocab) for w in ("解約", "代金"))
    (g,) = word_groups.word_ids("解約")
    assert g in word_groups.word_ids("キャンセル")


@pytest.mark.parametrize(
    ("word", "means"),
    [("値段", "料金"), ("キャンセル", "解約"), ("消す", "削除"), ("アドレス", "住所")],
)
def test_a_word_finds_the_documents_words_in_its_group(
    conn: sqlite3.Connection, word: str, means: str
) -> None:
    found = word_groups.synonyms(conn, word)
    assert means in found
    assert vocabulary.fold_honorific(word) not in found


def test_a_word_not_in_the_thesaurus_is_searched_by_its_group(conn: sqlite3.Connection) -> None:
    """値段 is in no clause and not in the thesaurus: the search reads 料金/代金 clauses."""
    assert not vocabulary.expansions("値段")
    groups, expanded, _ = find.words_search(conn, "値段")
    assert "料金" in expanded
    assert groups and all(
        any(w in (h.text or "") + (h.caption or "") for w in ("料金", "代金", "価格", "金額"))
        for g in groups[:10]
        for h in g.matches[:1]
    )


def test_broad_groups_are_left_out(plain_kb: Path, tmp_path: Path) -> None:
    copy = tmp_path / "kb.db"
    shutil.copyfile(plain_kb, copy)
    with sqlite3.connect(copy) as c:
        (g,) = word_groups.word_ids("解約")
        extra = [(g, f"語{i}") for i in range(word_groups.MAX_MEMBERS)]
        c.executemany("insert into word_groups values (?, ?)", extra)
        assert "解約" not in word_groups.synonyms(c, "キャンセル")


def test_a_database_without_the_table_searches_as_before(plain_kb: Path, tmp_path: Path) -> None:
    copy = tmp_path / "kb.db"
    shutil.copyfile(plain_kb, copy)
    with sqlite3.connect(copy) as c:
        c.execute("drop table word_groups")
        assert word_groups.synonyms(c, "値段") == []
        assert find.words_search(c, "料金")[0]
