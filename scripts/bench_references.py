"""Benchmark: cross-references over the whole corpus (every version of every document).

Prints the median of N runs for (a) reference extraction + resolution alone, on nodes parsed
once, and (b) the full pipeline parse_bytes() (which includes references and 附則 events),
plus reference counts by kind and status.

    .venv/bin/python scripts/bench_references.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extract.parse import parse_bytes
from extract.references import extract_references
from versions.sources.corpus import load_corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    files = [
        (v.file.read_bytes(), str(v.file), "markdown" if v.file.suffix == ".md" else "text")
        for d in load_corpus()
        for v in d.versions
    ]
    size = sum(len(data) for data, _, _ in files)
    docs = [parse_bytes(*f) for f in files]

    # CPU time of this process: stable when other jobs share the machine
    refs_times, parse_times = [], []
    for _ in range(args.runs):
        t = time.process_time()
        for doc in docs:
            extract_references(doc.nodes)
        refs_times.append(time.process_time() - t)
        t = time.process_time()
        for f in files:
            parse_bytes(*f)
        parse_times.append(time.process_time() - t)

    counts = Counter((r.kind, r.status) for doc in docs for r in doc.references)
    total = sum(counts.values())
    refs_s, parse_s = statistics.median(refs_times), statistics.median(parse_times)
    print(f"corpus: {len(files)} versions, {size / 1e6:.2f} MB, {total} references")
    print(f"references only: {refs_s * 1000:.0f} ms CPU, median of {args.runs} "
          f"({total / refs_s:,.0f} references/s)")  # fmt: skip
    print(f"full parse_bytes (with references): {parse_s * 1000:.0f} ms CPU, median "
          f"({size / 1e6 / parse_s:.2f} MB/s)")  # fmt: skip
    for (kind, status), n in sorted(counts.items()):
        print(f"  {kind:9} {status:16} {n}")


if __name__ == "__main__":
    main()
