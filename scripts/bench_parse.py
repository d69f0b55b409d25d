#!/usr/bin/env python
"""Benchmark the parser: every version of every corpus document, parsed N times on one core.

Reports the median wall time of one pass over the whole corpus, throughput (MB/s of source
bytes), the slowest document, and peak memory: Python allocations during one pass (tracemalloc)
and the process's peak resident set size. Files are read before timing starts, so only
``parse_bytes`` (decode, normalise, structure, references, …) is measured.

    .venv/bin/python scripts/bench_parse.py
    .venv/bin/python scripts/bench_parse.py --repeat 9 --format json
    .venv/bin/python scripts/bench_parse.py --profile 15   # where the time goes
    .venv/bin/python scripts/bench_parse.py --stress 5000  # scaling on synthetic worst cases
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
from versions.sources.corpus import DEFAULT_CORPUS, load_corpus
from versions.sources.files import guess_format

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


def timed_passes(sources: list[Source], repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds per pass (CPU time is robust when the machine is busy)."""
    wall, cpu = [], []
    for _ in range(repeat):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        parse_all(sources)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


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


# Synthetic worst cases: n units of one phenomenon. Parsing should scale linearly in n.
STRESS = {
    "distinct articles": lambda n: "".join(
        f"第{i}条（見出し{i}） 本文です。\n" for i in range(1, n + 1)
    ),
    "repeated article": lambda n: "第1条 本文です。\n" * n,
    "items": lambda n: (
        "第1条 次のとおり。\n" + "".join(f"({i % 999 + 1}) 項目\n" for i in range(n))
    ),
    "wrapped lines": lambda n: "第1条 " + "これは長い文の途中で改行された\n" * n,
    "page numbers": lambda n: "".join(f"- {i % 999} -\n本文です\n" for i in range(n)),
    "references": lambda n: (
        "第1条 " + "第2条及び第3条の規定により、" * n + "\n第2条 本文\n第3条 本文\n"
    ),
    "one long line": lambda n: "あ" * (20 * n),
}


def stress(n: int) -> None:
    """Time each worst case at n and 2n units: a ratio near 2 is linear, near 4 quadratic."""
    print(f"stress (n = {n} and {2 * n}; ratio ≈ 2 linear, ≈ 4 quadratic):")
    for name, make in STRESS.items():
        times = []
        for size in (n, 2 * n):
            data = make(size).encode()
            start = time.perf_counter()
            parse_bytes(data, path=name, fmt="text")
            times.append(time.perf_counter() - start)
        mb = len(make(2 * n).encode()) / 1e6
        print(
            f"  {name:20} {times[0]:7.3f} s → {times[1]:7.3f} s ({mb:.2f} MB)  "
            f"ratio {times[1] / times[0]:4.1f}"
        )


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
    parser.add_argument("--stress", type=int, metavar="N", help="time worst cases of N units")
    args = parser.parse_args()
    if args.stress:
        pin_one_core()
        stress(args.stress)
        return

    core = pin_one_core()
    sources = load_sources(args.corpus)
    total_bytes = sum(len(s.data) for s in sources)
    nodes = parse_all(sources)  # warm-up: imports, compiled regular expressions
    times, cpu_times = timed_passes(sources, args.repeat)
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
        "cpu_seconds_median": round(statistics.median(cpu_times), 4),
        "load_average": round(os.getloadavg()[0], 2),
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
    print(
        f"CPU time, median: {result['cpu_seconds_median']:.3f} s "
        f"(load average {result['load_average']}: wall time suffers when the machine is busy)"
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
