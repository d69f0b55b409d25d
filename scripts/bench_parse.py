#!/usr/bin/env python
"""Benchmark the parser: every version of every corpus document, parsed N times on one core.

Reports the median wall time of one pass over the whole corpus, throughput (MB/s of source
bytes), the slowest document, and peak memory: Python allocations during one pass (tracemalloc)
and the process's peak resident set size. Files are read before timing starts, so only
``parse_bytes`` (decode, normalise, structure, references, …) is measured.

    .venv/bin/python scripts/bench_parse.py
    .venv/bin/python scripts/bench_parse.py --repeat 9 --format json
    .venv/bin/python scripts/bench_parse.py --profile 15   # where the time goes
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import resource
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extract.parse import parse_bytes
from versions.corpus import DEFAULT_CORPUS, load_corpus
from versions.sources import guess_format

TARGET_SECONDS = 0.3
TARGET_MB = 200


@dataclass
class Source:
    key: str
    path: str
    fmt: str
    data: bytes


def load_sources(root: Path) -> list[Source]:
    return [
        Source(v.key, str(v.file), guess_format(v.file, v.format), v.file.read_bytes())
        for doc in load_corpus(root)
        for v in doc.versions
    ]


def parse_all(sources: list[Source]) -> int:
    nodes = 0
    for s in sources:
        nodes += len(parse_bytes(s.data, path=s.path, fmt=s.fmt).nodes)
    return nodes


def timed_passes(sources: list[Source], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        parse_all(sources)
        times.append(time.perf_counter() - start)
    return times


def per_document(sources: list[Source], repeat: int) -> dict[str, float]:
    out = {}
    for s in sources:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            parse_bytes(s.data, path=s.path, fmt=s.fmt)
            runs.append(time.perf_counter() - start)
        out[s.key] = statistics.median(runs)
    return out


def traced_peak(sources: list[Source]) -> int:
    tracemalloc.start()
    parse_all(sources)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


# Pipeline stages: (module file, function) as called from extract/parse.py.
STAGES = {
    "decode": ("decode.py", "decode"),
    "normalise (text)": ("normalize.py", "source_lines"),
    "normalise (markdown)": ("markdown.py", "markdown_lines"),
    "clean (page numbers, toc, title)": ("normalize.py", "clean"),
    "structure": ("structure.py", "build"),
    "supplements": ("supplements.py", "extract_supplements"),
    "references": ("references.py", "extract_references"),
    "definitions": ("definitions.py", "extract_definitions"),
}


def stage_shares(sources: list[Source]) -> tuple[dict[str, float], cProfile.Profile]:
    """Share of parse_bytes time per pipeline stage (from a profiled pass, so only ratios)."""
    profiler = cProfile.Profile()
    profiler.runcall(parse_all, sources)
    raw = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    cumulative = {(Path(f).name, fn): ct for (f, _, fn), (_, _, _, ct, _) in raw.items()}
    total = cumulative.get(("parse.py", "parse_bytes"), 0.0) or 1.0
    shares = {name: cumulative[key] / total for name, key in STAGES.items() if key in cumulative}
    return shares, profiler


def pin_one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed passes (default 5)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--profile", type=int, metavar="N", help="print the top N functions")
    args = parser.parse_args()

    core = pin_one_core()
    sources = load_sources(args.corpus)
    total_bytes = sum(len(s.data) for s in sources)
    nodes = parse_all(sources)  # warm-up: imports, compiled regular expressions
    times = timed_passes(sources, args.repeat)
    docs = per_document(sources, 3)
    peak_traced = traced_peak(sources)
    shares, profiler = stage_shares(sources)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    median = statistics.median(times)
    slowest = max(docs, key=lambda k: docs[k])
    result = {
        "documents": len({s.key.split("@")[0] for s in sources}),
        "versions": len(sources),
        "bytes": total_bytes,
        "nodes": nodes,
        "repeat": args.repeat,
        "cpu": core,
        "python": sys.version.split()[0],
        "seconds_median": round(median, 4),
        "seconds_min": round(min(times), 4),
        "seconds_max": round(max(times), 4),
        "mb_per_second": round(total_bytes / 1e6 / median, 2),
        "slowest_version": slowest,
        "slowest_seconds": round(docs[slowest], 4),
        "stage_seconds": {k: round(v * median, 4) for k, v in shares.items()},
        "peak_traced_mb": round(peak_traced / 1e6, 1),
        "peak_rss_mb": round(rss_kib / 1024, 1),
        "target_seconds": TARGET_SECONDS,
        "target_mb": TARGET_MB,
        "meets_targets": median < TARGET_SECONDS and rss_kib / 1024 < TARGET_MB,
    }
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(
        f"corpus: {result['documents']} documents, {len(sources)} versions, "
        f"{total_bytes / 1e6:.2f} MB, {nodes} nodes ({core})"
    )
    print(
        f"whole corpus, median of {args.repeat}: {median:.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}; target < {TARGET_SECONDS} s)"
    )
    print(f"throughput: {result['mb_per_second']} MB/s")
    print(f"slowest version: {slowest} {docs[slowest] * 1000:.1f} ms")
    print("stages (share of the median, from a profiled pass):")
    for name, share in shares.items():
        print(f"  {name:34} {share * median * 1000:7.1f} ms  {share:6.1%}")
    print(
        f"peak memory: {result['peak_traced_mb']} MB Python allocations during one pass, "
        f"{result['peak_rss_mb']} MB peak RSS (target < {TARGET_MB} MB)"
    )
    print("targets met" if result["meets_targets"] else "TARGETS MISSED")
    if args.profile:
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(r"extract/", args.profile)


if __name__ == "__main__":
    main()
