"""One version's word index in memory (versions/kb/version_index.py) on corpus/'s knowledge base:
the same clauses as the document's tag on the whole index, ranked by the version's own bm25,
bounded per process, and never served for another database file at the same path."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from versions.kb import find, search, version_index, word_tops

WORDS = ["料金", "解約", "個人情報", "第三者", "通知", "損害賠償"]


@pytest.fixture(scope="module")
def conn(kb: Path) -> sqlite3.Connection:
    return sqlite3.connect(kb, check_same_thread=False)


def docs(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("select id from documents order by id")]


@pytest.mark.parametrize("word", WORDS)
def test_same_clauses_as_the_documents_tag(conn: sqlite3.Connection, word: str) -> None:
    phrases = find._phrases([word])
    for doc in docs(conn):
        span = version_index.latest_rows(conn, doc)
        assert span is not None
        mine = version_index.scores(conn, word_tops.expression(phrases, ""), *span, 10_000)
        tag = search.filter_expression(latest=True, doc=doc)
        whole = conn.execute(
            "select rowid from nodes_words where nodes_words match ?",
            [word_tops.expression(phrases, tag)],
        ).fetchall()
        assert set(mine) == {r[0] for r in whole}


def test_ranked_by_the_versions_own_statistics(conn: sqlite3.Connection) -> None:
    """A word in every clause of a version weighs nothing there: FTS5's IDF floor (1e-6)."""
    doc = docs(conn)[0]
    span = version_index.latest_rows(conn, doc)
    assert span
    every = version_index.scores(conn, "tags : latest", *span, 10_000)
    assert len(every) == span[1] - span[0] + 1
    assert all(abs(rank) < 1e-3 for rank in every.values())


def test_kind_and_chapter_filters_are_in_the_index(conn: sqlite3.Connection) -> None:
    doc = "toreru-camera"
    one = find.find(conn, "料金", doc=doc, kind="paragraph", limit=1000)
    assert one.total and all(h.kind == "paragraph" for g in one.groups for h in g.matches)


def test_bounded_per_process(conn: sqlite3.Connection) -> None:
    for doc in docs(conn) * 2:
        span = version_index.latest_rows(conn, doc)
        assert span
        for lo in range(span[0], span[0] + 6):  # distinct ranges: distinct entries
            version_index.scores(conn, '"料金"', lo, span[1], 5)
    assert len(version_index._kept) <= version_index.KEEP


def test_another_file_at_the_same_path_is_not_served_stale(kb: Path, tmp_path: Path) -> None:
    path = tmp_path / "kb.db"
    shutil.copyfile(kb, path)
    with sqlite3.connect(path) as c:
        span = version_index.latest_rows(c, "toreru-camera")
        assert span and version_index.scores(c, '"料金"', *span, 1000)
    rebuilt = tmp_path / "rebuilt.db"  # a rebuild in which no clause says 料金 any more
    shutil.copyfile(kb, rebuilt)
    with sqlite3.connect(rebuilt) as c:
        c.execute(
            "update texts set caption = replace(caption, '料金', '代価'),"
            " text = replace(text, '料金', '代価')"
        )
        c.execute("delete from word_cache")
    rebuilt.replace(path)  # the build's atomic swap
    with sqlite3.connect(path) as c:
        assert version_index.scores(c, '"料金"', *span, 1000) == {}


def test_server_start_makes_every_documents_index(kb: Path, tmp_path: Path, monkeypatch) -> None:
    """After the site's startup no search within one document makes an index."""
    import asyncio

    from test_site import site

    path = tmp_path / "kb.db"
    shutil.copyfile(kb, path)
    ds = site(path)
    asyncio.run(ds.invoke_startup())
    with sqlite3.connect(path) as c:
        spans = [version_index.latest_rows(c, doc) for doc in docs(c)]
        keys = {(*version_index.identity(c), *span) for span in spans if span}

        def no_build(*args: object) -> None:
            raise AssertionError("an index made on a search after startup")

        monkeypatch.setattr(version_index, "build", no_build)
        assert keys and keys <= set(version_index._kept)
        found = [find.find(c, "料金", doc=doc, limit=5).total for doc in docs(c)]
        assert sum(found) > 0
