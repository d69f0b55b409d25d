"""Search in process, per query: find() time, clauses matched, and whether word_tops answered.

    .venv/bin/python scripts/bench_find.py --db /tmp/scaled-10k.db --rounds 5

The queries are scripts/bench_http.py's. Each query runs --rounds times on one connection (the
first round warms the page cache and the tokenizer); the table shows the median and the worst
of the others, the per-term latest-clause counts FTS5 reports, and which terms word_tops answered
(versions/kb/word_tops.py). Run once without the table (``--no-tops``: the search as before).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import time
from pathlib import Path
from unittest import mock

from scripts.bench_http import QUERIES
from versions.kb import find, search, vocabulary, word_tops


def term_counts(conn: sqlite3.Connection, query: str) -> list[str]:
    out = []
    for term in search.terms(query):
        typed = vocabulary.fold_honorific(term)
        expr = word_tops.expression(find._phrases([typed]), word_tops.LATEST)
        stored = word_tops.lookup(conn, expr) is not None
        (n,) = conn.execute(word_tops.COUNT_SQL, [expr]).fetchone()
        out.append(f"{term}:{n}{'*' if stored else ''}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-tops", action="store_true", help="ignore word_tops (as before)")
    args = parser.parse_args()
    conn = sqlite3.connect(f"file:{args.db}?immutable=1", uri=True)
    patch = mock.patch.object(word_tops, "lookup", lambda c, e: None) if args.no_tops else None
    if patch:
        patch.start()
    print(f"{args.db}: load average {os.getloadavg()[0]:.1f}; no_tops={args.no_tops}")
    head = f"{'query':16} {'p50 ms':>8} {'max ms':>8} {'articles':>9}"
    print(f"{head}  terms (latest clauses, * stored)")
    every = []
    for q in QUERIES:
        times = []
        result = None
        for _ in range(args.rounds):
            start = time.perf_counter()
            result = find.find(conn, q, mode="fulltext")
            times.append((time.perf_counter() - start) * 1000)
        rest = times[1:] or times
        every += rest
        assert result is not None
        total = f"{result.total}{'+' if result.capped else ''}"
        counts = " ".join(term_counts(conn, q))
        print(f"{q:16} {statistics.median(rest):8.1f} {max(rest):8.1f} {total:>9}  {counts}")
    every.sort()
    p95 = every[min(len(every) - 1, round(0.95 * (len(every) - 1)))]
    print(f"{'all':16} {statistics.median(every):8.1f} {p95:8.1f} (p50, p95)")
    if patch:
        patch.stop()


if __name__ == "__main__":
    main()
