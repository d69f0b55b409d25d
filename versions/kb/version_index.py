"""One version's word index in memory: search within one document without corpus-wide bm25.

FTS5's bm25 weighs each phrase by its IDF over the whole index, and computes it on every query
by reading the phrase's every match: a search within one document at 10,000 versions read
"個人 情報" across 4.9M rows, 150–350 ms, to rank 11 clauses (issue 12), though matching them
takes 0.8 ms. Here a document's latest version gets its own FTS5 table in memory, the same
columns, weights and tokens (word_cache) as nodes_words, made on first use (≈ 10 ms for 350
clauses) and kept in a small LRU per process: a search in it costs about a millisecond. Its bm25
statistics are the version's own: a word is weighed by how rare it is in this document, which
is what ranking within one document needs (docs/semantic.md measures it on the benchmark).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import OrderedDict

from versions.kb import schema, search

KEEP = 32  # versions kept per process (≈ 0.2–1 MB each)
_lock = threading.Lock()
_kept: OrderedDict[tuple[object, ...], sqlite3.Connection] = OrderedDict()

ROWS_SQL = """
select n.seq, n.caption, n.text, n.version_id, n.doc_id, n.kind, n.chapter_id
from nodes n where n.seq between ? and ? order by n.seq
"""
MATCH_SQL = "select rowid, rank from w where w match ? order by rank limit ?"


def identity(conn: sqlite3.Connection) -> tuple[object, ...]:
    """The database file as it is now: a rebuild swapped in at the same path is another one."""
    path = next((r[2] for r in conn.execute("pragma database_list") if r[1] == "main"), "")
    try:
        st = os.stat(path)
    except OSError:
        return (path, id(conn))  # in memory, or gone: this connection only
    return (path, st.st_ino, st.st_mtime_ns)


def build(conn: sqlite3.Connection, lo: int, hi: int) -> sqlite3.Connection:
    """An in-memory FTS5 table ``w`` of the nodes with seqs lo…hi (one version), rowid = seq.
    Each text is hashed once and each (kind, chapter)'s tags made once: a 1,165-node statute
    spent a third of its 30 ms there."""
    rows = conn.execute(ROWS_SQL, [lo, hi]).fetchall()
    hashes = {t: search.text_key(t) for r in rows for t in (r[1], r[2]) if t}
    words = dict(
        conn.execute(
            "select hash, words from word_cache where hash in (select value from json_each(?))",
            [json.dumps(list(set(hashes.values())))],
        ).fetchall()
    )
    tags: dict[tuple[str, str, str, str | None], str] = {}

    def indexed(text: str | None) -> str:
        return (words.get(hashes[text]) or search.index_words(text)) if text else ""

    def tagged(vid: str, doc: str, kind: str, chp: str | None) -> str:
        key = (vid, doc, kind, chp)
        if key not in tags:
            tags[key] = search.node_tags(
                latest=True, doc_id=doc, version_id=vid, kind=kind, chapter_id=chp
            )
        return tags[key]

    mem = sqlite3.connect(":memory:", check_same_thread=False)
    for sql in schema.word_index_sql("w"):
        mem.execute(sql)
    mem.executemany(
        "insert into w(rowid, caption, text, tags) values (?, ?, ?, ?)",
        [
            (seq, indexed(caption), indexed(text), tagged(vid, doc, kind, chp))
            for seq, caption, text, vid, doc, kind, chp in rows
        ],
    )
    return mem


def latest_rows(conn: sqlite3.Connection, doc: str) -> tuple[int, int] | None:
    """The seq range of ``doc``'s latest version when its seqs are contiguous (they are as
    built), else None (search the whole index with the document's tag)."""
    row = conn.execute(
        "select min(n.seq), max(n.seq), count(*) from documents d"
        " join node_rows n on n.version_id = d.latest_version_id where d.id = ?",
        [doc],
    ).fetchone()
    if not row or row[2] == 0 or row[1] - row[0] + 1 != row[2]:
        return None
    return row[0], row[1]


def scores(conn: sqlite3.Connection, expr: str, lo: int, hi: int, cap: int) -> dict[int, float]:
    """seq → bm25 rank (lower is better) of the version's clauses matching ``expr``, ranked by
    the version's own statistics; its best ``cap``."""
    key = _index(conn, lo, hi)
    with _lock:  # a kept connection may be closed by an eviction: query it under the lock
        mem = _kept.get(key) or _made(key, build(conn, lo, hi))
        return dict(mem.execute(MATCH_SQL, [expr, cap]).fetchall())


def _index(conn: sqlite3.Connection, lo: int, hi: int) -> tuple[object, ...]:
    """The key of the version's index, made first if no process thread has it. It is made
    outside the lock, so searches in other documents go on meanwhile."""
    key = (*identity(conn), lo, hi)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return key
    mem = build(conn, lo, hi)
    with _lock:
        if key in _kept:  # another thread made it meanwhile
            mem.close()
        else:
            _made(key, mem)
    return key


def _made(key: tuple[object, ...], mem: sqlite3.Connection) -> sqlite3.Connection:
    """Keep ``mem`` (the caller holds the lock), evicting the least recently used."""
    _kept[key] = mem
    while len(_kept) > KEEP:
        _kept.popitem(last=False)[1].close()
    return mem


def warm(conn: sqlite3.Connection, limit: int = KEEP) -> int:
    """Make the indexes of up to ``limit`` documents' latest versions (at server start, so no
    search pays for one); how many were made."""
    docs = [r[0] for r in conn.execute("select id from documents order by id limit ?", [limit])]
    made = 0
    for doc in docs:
        rows = latest_rows(conn, doc)
        if rows is not None:
            _index(conn, *rows)
            made += 1
    return made
