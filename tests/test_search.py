"""Japanese full-text search over the knowledge base built from the real corpus."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from versions.kb import search


@pytest.fixture()
def conn(kb: Path) -> sqlite3.Connection:
    c = sqlite3.connect(kb)
    c.row_factory = sqlite3.Row
    return c


def latest_nodes(conn: sqlite3.Connection, where: str, *params: object) -> set[str]:
    sql = (
        "select n.key from nodes n join versions v on v.id = n.version_id and v.latest = 1 "
        f"where {where}"
    )
    return {r[0] for r in conn.execute(sql, params)}


def test_two_character_word_finds_every_captioned_article(
    kb: Path, conn: sqlite3.Connection
) -> None:
    # 解約 is two characters: the trigram index alone could not find it.
    expected = latest_nodes(conn, "n.doc_id = 'toreru-camera' and n.caption like '%解約%'")
    assert expected, "toreru-camera has articles captioned with 解約"
    hits = search.fulltext(kb, "解約", doc="toreru-camera", limit=200)
    assert expected <= {h.key for h in hits}
    assert all(h.doc_id == "toreru-camera" for h in hits)
    assert "解約" in (hits[0].caption or "") + hits[0].text


@pytest.mark.parametrize("word", ["料金", "利息", "解約"])
def test_short_words_rank_real_clauses(kb: Path, word: str) -> None:
    hits = search.fulltext(kb, word, limit=10)
    assert hits
    assert all(word in (h.caption or "") + h.text for h in hits[:5])


def test_spelling_variants_are_folded(kb: Path, conn: sqlite3.Connection) -> None:
    # Clauses printed 申込 (never 申し込み) are found by a query written 申し込み, and vice versa.
    printed_short = latest_nodes(
        conn, "n.text like '%申込%' and n.text not like '%申し込%' and n.text not like '%申込み%'"
    )
    assert printed_short
    for query in ("申し込み", "申込み", "申込"):
        keys = {h.key for h in search.fulltext(kb, query, limit=2000)}
        assert printed_short & keys, query
    hit = next(h for h in search.fulltext(kb, "申し込み", limit=2000) if h.key in printed_short)
    assert "<mark>申込" in hit.snippet_html  # highlighted as printed


def test_full_and_half_width_fold(kb: Path) -> None:
    full = [h.key for h in search.fulltext(kb, "サービス", limit=30)]
    half = [h.key for h in search.fulltext(kb, "ｻｰﾋﾞｽ", limit=30)]
    assert full and full == half


def test_phrase_and_substring(kb: Path, conn: sqlite3.Connection) -> None:
    row = conn.execute(
        "select key, text from nodes where length(text) > 40 and doc_id = 'gigaraku-wifi-ap' "
        "and kind = 'paragraph' order by seq limit 1"
    ).fetchone()
    # A substring cut across word boundaries: only the trigram index can find it.
    piece = row["text"][7:13]
    hits = search.fulltext(kb, piece, doc="gigaraku-wifi-ap", limit=500, all_versions=True)
    assert row["key"] in {h.key for h in hits}


def test_terms_are_anded(kb: Path) -> None:
    hits = search.fulltext(kb, "料金 支払", limit=20)
    assert hits
    for h in hits:
        text = (h.caption or "") + h.text
        assert "料金" in text and "支払" in text


def test_filters(kb: Path, conn: sqlite3.Connection) -> None:
    hits = search.fulltext(kb, "契約", kind="article", limit=50)
    assert hits and {h.kind for h in hits} == {"article"}
    chapter = conn.execute(
        "select chapter_id from nodes where doc_id = 'toreru-camera' and caption like '%解約%' "
        "and chapter_id is not null limit 1"
    ).fetchone()[0]
    hits = search.fulltext(kb, "解約", doc="toreru-camera", chapter=chapter, limit=50)
    assert hits and {h.chapter_id for h in hits} == {chapter}


def test_latest_versions_by_default(kb: Path) -> None:
    latest = search.fulltext(kb, "個人情報", doc="kojin-joho-hogo-ho", limit=500)
    every = search.fulltext(kb, "個人情報", doc="kojin-joho-hogo-ho", limit=5000, all_versions=True)
    assert len({h.version_id for h in latest}) == 1
    assert len({h.version_id for h in every}) > 1


def test_empty_and_symbol_queries() -> None:
    assert search.match_expression("") is None
    assert search.match_expression("、。") is None
    assert search.trigram_expression("解約") is None  # two characters: words only


def test_snippet_escapes_document_text() -> None:
    text = "契約者は<script>alert(1)</script>解約できます"
    html = search.marked_html(search.snippet(text, "解約", width=200))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>解約</mark>" in html


def test_chapter_filter_without_document(kb: Path, conn: sqlite3.Connection) -> None:
    hits = search.fulltext(kb, "料金", chapter="chp_6", limit=30)
    assert hits and {h.chapter_id for h in hits} == {"chp_6"}
    assert len({h.doc_id for h in hits}) > 1  # every document's 第6章


def test_filter_tokens_are_not_searchable(kb: Path) -> None:
    # The tags column (latest, kind…, doc…) is for filters only.
    assert search.fulltext(kb, "latest") == []
    assert search.fulltext(kb, "kindarticle") == []


def test_a_clause_carried_unchanged_is_indexed_once(kb: Path, conn: sqlite3.Connection) -> None:
    """One word row per clause carried unchanged (schema 9), yet a search of an old version, or
    of every version, still returns that version's own node of it."""
    rows = conn.execute("select count(*) from nodes_words_docsize").fetchone()[0]
    groups = conn.execute(
        "select count(*) from (select distinct doc_id, node_id, text_id, kind, chapter_id"
        " from nodes)"
    ).fetchone()[0]
    assert rows == groups < conn.execute("select count(*) from nodes").fetchone()[0]
    doc = "kojin-joho-hogo-ho"
    ids = [
        r[0] for r in conn.execute("select id from versions where doc_id = ? order by ord", [doc])
    ]
    first = ids[0]
    latest_id = conn.execute("select latest_version_id from documents where id = ?", [doc])
    latest_id = latest_id.fetchone()[0]
    old = search.fulltext(kb, "個人情報", version=first, limit=5000)
    new = search.fulltext(kb, "個人情報", version=latest_id, limit=5000)
    assert old and {h.version_id for h in old} == {first}
    shared = {h.node_id for h in old} & {h.node_id for h in new}
    assert shared  # clauses in both versions: one word row, a node in each
    every = search.fulltext(kb, "個人情報", doc=doc, limit=5000, all_versions=True)
    assert {h.key for h in old} <= {h.key for h in every}


def test_fine_words_from_one_tokenization_equal_tokenizing_in_mode_a(
    conn: sqlite3.Connection,
) -> None:
    """Both split modes come from one SudachiPy run (C units split by the lexicon): on every text
    of the corpus and the statutes, the A units equal those of tokenizing in mode A itself."""
    tokenizer, skip = search._sudachi(0)
    texts = [t for r in conn.execute("select caption, text from texts") for t in r if t]
    assert len(texts) > 3000
    for text in texts:
        direct = [
            (search._form(m.normalized_form()), offset + m.begin(), offset + m.end())
            for offset, piece in search.chunks(text)
            for m in tokenizer.tokenize(piece)
            if m.part_of_speech_id() not in skip
        ]
        assert search._both_modes(text)[0] == direct, text[:80]
