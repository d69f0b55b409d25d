"""Grow a built knowledge base N times by copying its documents under new ids (serving benchmarks).

    .venv/bin/python scripts/replicate_kb.py /tmp/scaled-1k.db /tmp/scaled-10k.db --times 10
    .venv/bin/python scripts/replicate_kb.py /tmp/scaled-200.db /tmp/scaled-10k.db --times 50

Building 10,000 versions takes hours on a shared 2-core machine; the site's per-request work
depends on the database's shape (rows, index depths, full-text postings), which a copy of every
row under new document ids reproduces: document X becomes X, Xr1, Xr2 … with every key, version
id, row id and nodes.seq renamed, ``texts`` shared (identical texts are stored once anyway) and
the word index filled for the new nodes from ``word_cache``, and ``word_tops`` computed again
for the grown index. Replica r is committed before r+1 starts, so an interrupted run leaves a
consistent, smaller database (without ``word_tops`` until the end).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sqlite3
import time
from pathlib import Path

from versions.kb import search, word_tops

# table -> (columns holding document ids, version ids or node keys; integer id columns to shift)
# (stored tables only: the views nodes, clause_alignments, clause_validity, definition_uses,
# references, reference_targets and clause_facts follow them)
# node_rows.seq and the columns that hold one
SEQS = ("seq", "old_seq", "new_seq", "node_seq", "source_seq", "target_seq")
RENAME = {
    "documents": (["id", "latest_version_id"], []),
    "versions": (["id", "doc_id"], []),
    "node_rows": (["version_id"], ["seq"]),  # key and doc_id are generated from version_id
    "amendments": (["key", "version_id", "doc_id"], []),
    "amendment_targets": (["amendment_key", "version_id"], ["id"]),
    "reference_rows": (["target_key", "target_document"], ["id", "source_seq", "target_seq"]),
    "reference_target_rows": (["target_key"], ["id", "reference_id", "target_seq"]),
    "definitions": (["version_id", "doc_id", "node_key"], ["id"]),
    "definition_use_rows": ([], ["id", "definition_id", "node_seq"]),
    "diagnostics": (["version_id", "doc_id"], ["id"]),
    "fact_rows": ([], ["id", "node_seq"]),
    "alignment_rows": (["doc_id", "old_version", "new_version", "old_key", "new_key"], ["id"]),
    "alignment_unchanged": ([], ["old_seq", "new_seq"]),
    "clause_changes": (["doc_id", "old_version", "new_version", "old_key", "new_key"], ["id"]),
    "validity_rows": ([], ["seq"]),
}


# integer columns holding another table's id: shifted as that table's
FOREIGN = {"definition_id": "definitions.id", "reference_id": "reference_rows.id"}


def renamed(value: str | None, suffix: str) -> str | None:
    """``DOC`` → ``DOCsuffix``; ``DOC@…`` (versions, keys) → ``DOCsuffix@…``."""
    if value is None:
        return None
    doc, at, rest = value.partition("@")
    return f"{doc}{suffix}{at}{rest}"


def copy_table(conn: sqlite3.Connection, table: str, suffix: str, shifts: dict[str, int]) -> None:
    names, ints = RENAME[table]
    cols = [r[1] for r in conn.execute(f"pragma table_info([{table}])")]
    exprs = []
    for c in cols:
        if c in names:
            exprs.append(f"rk([{c}], :suffix)")
        elif c in ints:
            shift = shifts["seq"] if c in SEQS else shifts.get(f"{table}.{c}", 0)
            if c in FOREIGN:
                shift = shifts[FOREIGN[c]]
            exprs.append(f"[{c}] + {shift}")
        else:
            exprs.append(f"[{c}]")
    conn.execute(
        f"insert into [{table}] ({', '.join(f'[{c}]' for c in cols)}) "
        f"select {', '.join(exprs)} from [{table}] where rowid <= :last",
        {"suffix": suffix, "last": shifts[f"{table}.rowid"]},
    )


def index_words(conn: sqlite3.Connection, seq_from: int) -> None:
    """nodes_words rows for the nodes from ``seq_from`` on (tokens from word_cache)."""
    cache = dict(conn.execute("select hash, words from word_cache"))

    def words(text: str | None) -> str:
        if not text:
            return ""
        h = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
        return cache.get(h) or search.index_words(text)

    texts = {
        i: (words(c), words(t)) for i, c, t in conn.execute("select id, caption, text from texts")
    }
    nodes = conn.execute(search.WORD_NODES_SQL.format(where="where n.seq >= ?"), [seq_from])
    rows = search.word_rows(search.IndexedNode(*n) for n in nodes)
    conn.executemany(
        "insert into nodes_words(rowid, caption, text, tags) values (?, ?, ?, ?)",
        ((rowid, *texts[tid], tags) for rowid, tid, tags in rows),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--times", type=int, default=10, help="copies in all (1 = the source)")
    args = parser.parse_args()
    shutil.copyfile(args.source, args.out)
    conn = sqlite3.connect(args.out)
    conn.create_function("rk", 2, renamed, deterministic=True)
    conn.execute("pragma journal_mode = off")
    conn.execute("pragma synchronous = off")
    tables = [
        t
        for t in RENAME
        if conn.execute(
            "select 1 from sqlite_master where type = 'table' and name = ?", [t]
        ).fetchone()
    ]
    base = {
        f"{t}.rowid": conn.execute(f"select max(rowid) from [{t}]").fetchone()[0] or 0
        for t in tables
    }
    for t in tables:
        for c in RENAME[t][1]:
            base[f"{t}.{c}"] = conn.execute(f"select max([{c}]) from [{t}]").fetchone()[0] or 0
    for r in range(1, args.times):
        started = time.perf_counter()
        shifts = {**base, "seq": base["node_rows.seq"] * r}
        for t in tables:
            for c in RENAME[t][1]:
                shifts[f"{t}.{c}"] = base[f"{t}.{c}"] * r
        for key in FOREIGN.values():
            shifts[key] = base.get(key, 0) * r
        with conn:
            for t in tables:
                copy_table(conn, t, f"r{r}", shifts)
            index_words(conn, shifts["seq"] + 1)
        versions = conn.execute("select count(*) from versions").fetchone()[0]
        print(f"copy {r}: {versions} versions, {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    with conn:  # the frequent terms' answers, for the grown index (versions/kb/word_tops.py)
        stored = word_tops.fill(conn)
    print(f"word_tops: {stored} terms, {time.perf_counter() - started:.0f} s", flush=True)
    conn.execute("analyze")
    conn.close()


if __name__ == "__main__":
    main()
