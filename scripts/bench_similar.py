"""Time the build's "similar clauses" (clause_similar) as the corpus grows by repetition.

    .venv/bin/python scripts/bench_similar.py --db yakkan.db --copies 10 50 300 --changed 0.05

The keys are the real latest clauses of ``--db`` repeated in ``copies`` documents each (as
scripts/scale_corpus.py repeats the real documents), with ``--changed`` of each copy's keys given
a vector of their own (a real one plus noise: an amended clause). Reports, per size, the time of
``build_embeddings.nearest_distinct`` (what the build runs: O(distinct²)) and, up to
``--exact-max`` keys, of ``nearest`` over every key (O(keys²)) and whether both agree.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from versions.kb import build_embeddings, semantic


def scaled(
    index: semantic.VectorIndex, copies: int, changed: float, rng: np.random.Generator
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(doc ids, distinct vectors, row of each key) for ``copies`` copies of every key."""
    base = index.rows if index.rows is not None else np.arange(len(index.keys))
    docs: list[str] = []
    rows: list[np.ndarray] = []
    extra: list[np.ndarray] = []
    m = len(index.matrix)
    for copy in range(copies):
        own = base.copy()
        moved = np.flatnonzero(rng.random(len(own)) < (changed if copy else 0.0))
        noisy = index.matrix[own[moved]] + rng.normal(0, 0.02, (len(moved), index.matrix.shape[1]))
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        own[moved] = m + sum(len(e) for e in extra) + np.arange(len(moved))
        extra.append(noisy.astype(np.float32))
        rows.append(own)
        docs += [f"{d}#{copy}" for d in index.doc_ids]
    matrix = np.vstack([index.matrix, *extra]).astype(np.float32)
    return docs, matrix, np.concatenate(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=Path("yakkan.db"))
    ap.add_argument("--copies", type=int, nargs="+", default=[10, 50, 300])
    ap.add_argument("--changed", type=float, default=0.05)
    ap.add_argument("--exact-max", type=int, default=40_000)
    args = ap.parse_args()
    index = semantic.load_index(args.db)
    rng = np.random.default_rng(0)
    print(f"{args.db}: {len(index.keys):,} keys, {len(index.matrix):,} distinct vectors")
    print(f"load average {os.getloadavg()[0]:.1f}")
    for copies in args.copies:
        docs, matrix, rows = scaled(index, copies, args.changed, rng)
        started = time.perf_counter()
        got = build_embeddings.nearest_distinct(docs, matrix, rows)
        distinct_s = time.perf_counter() - started
        line = (
            f"{copies:4d} copies: {len(rows):>9,} keys, {len(np.unique(rows)):>7,} distinct; "
            f"nearest_distinct {distinct_s:7.1f} s"
        )
        if len(rows) <= args.exact_max:
            started = time.perf_counter()
            want = build_embeddings.nearest(docs, matrix[rows])
            exact_s = time.perf_counter() - started
            same = sum(
                np.allclose([s for _, s in g], [s for _, s in w], atol=1e-5)
                for g, w in zip(got, want, strict=True)
            )
            line += f"; nearest (every key) {exact_s:7.1f} s; same scores {same / len(got):.4f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
