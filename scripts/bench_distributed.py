"""Build throughput in this process, and on a local Dask cluster of 1 and 2 workers.

Generates a scaled corpus (scripts/scale_corpus.py: real texts, amended versions), then builds
it from scratch with each executor and prints wall time, versions per second and the Dask
overhead per task (1 worker vs in-process, divided by the tasks run). Embeddings are off by
default (YAKKAN_EMBED_MODEL=none) so parse and alignment are measured; ``--embed`` keeps them.

    .venv/bin/python scripts/bench_distributed.py --documents 40 --versions 5
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from scale_corpus import generate  # noqa: E402

from versions.kb import build as kb  # noqa: E402
from versions.kb.executor import DaskExecutor, LocalExecutor  # noqa: E402


def timed_build(corpus: Path, db: Path, executor: object) -> tuple[float, dict]:
    started = time.perf_counter()
    result = kb.build(corpus, db, force=True, executor=executor)
    return time.perf_counter() - started, result.summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--embed", action="store_true", help="keep embeddings on")
    args = parser.parse_args()
    if not args.embed:
        os.environ["YAKKAN_EMBED_MODEL"] = "none"
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        files = generate(corpus, args.documents, args.versions)
        mb = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file()) / 1e6
        pairs = args.documents * (args.versions - 1)
        tasks = files + pairs
        print(f"corpus: {args.documents} documents, {files} versions, {mb:.1f} MB; {tasks} tasks")
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        runs: dict[str, float] = {}
        for label, make in [
            ("in-process", LocalExecutor),
            ("dask, 1 worker", lambda: DaskExecutor(workers=1)),
            ("dask, 2 workers", lambda: DaskExecutor(workers=2)),
        ]:
            executor = make()
            try:
                seconds, summary = timed_build(corpus, Path(tmp) / f"{len(runs)}.db", executor)
            finally:
                executor.close()
            runs[label] = seconds
            print(
                f"{label:16} {seconds:7.1f} s  {files / seconds:6.1f} versions/s  "
                f"({summary['nodes']:,} clauses; load {os.getloadavg()[0]:.2f})"
            )
        overhead = (runs["dask, 1 worker"] - runs["in-process"]) / tasks * 1000
        speedup = runs["dask, 1 worker"] / runs["dask, 2 workers"]
        print(f"speed-up 2 vs 1 worker: {speedup:.2f}x; Dask overhead per task: {overhead:.1f} ms")


if __name__ == "__main__":
    main()
