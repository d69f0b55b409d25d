"""Benchmark ``yakkan build``: full build, no-op rebuild, rebuild after one change, DB size.

    .venv/bin/python scripts/bench_build.py                    # the real corpus
    .venv/bin/python scripts/bench_build.py --corpus /tmp/scaled --runs 1

Prints one line per measurement (median of --runs) and the database size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from versions.kb.build import build
from versions.sources.corpus import DEFAULT_CORPUS, load_corpus


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (the machine may be shared)."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(args.corpus, corpus)
        db = Path(tmp) / "yakkan.db"

        def fresh() -> None:
            db.unlink(missing_ok=True)
            build(corpus, db)

        full = timed(fresh, args.runs)
        result = build(corpus, db)
        noop = timed(lambda: build(corpus, db), max(args.runs, 5))
        cached = timed(lambda: build(corpus, db, force=True), args.runs)
        one = next(v for d in load_corpus(corpus) for v in d.versions)

        def one_change() -> None:
            one.file.write_bytes(one.file.read_bytes() + "\n追記。\n".encode())
            build(corpus, db)

        changed = timed(one_change, args.runs)
        s = result.summary
        size = db.stat().st_size
        source = sum(v.file.stat().st_size for d in load_corpus(corpus) for v in d.versions)
    print(
        f"corpus: {args.corpus} ({s['documents']} documents, {s['versions']} versions, "
        f"{source / 1e6:.1f} MB, {s['nodes']:,} nodes, {s['references']:,} references)"
    )
    print(f"{'':26}{'wall s':>9}{'CPU s':>9}")
    for label, (wall, cpu) in [
        ("full build", full),
        ("no-op rebuild", noop),
        ("forced rebuild (caches)", cached),
        ("rebuild after one change", changed),
    ]:
        print(f"{label:26}{wall:9.3f}{cpu:9.3f}")
    print(f"database size: {size / 1e6:.1f} MB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
