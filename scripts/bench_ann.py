"""Brute-force kNN vs approximate indexes (usearch, hnswlib, sqlite-vec) at a scaled size.

    .venv/bin/python scripts/bench_ann.py --seeds ~/.cache/yakkan/embeddings.sqlite --n 100000

The vectors are made from real clause embeddings (the ``vectors`` table of a knowledge base or
of the embedding cache): each synthetic vector is a real one plus Gaussian noise, renormalised,
so the set has the clusters real clauses have (near-duplicates, one topic in many documents).
Queries are other noisy copies. Reports build time, query time (one query at a time, one
thread) and recall@10 against exact brute force, for each library that is installed
(hnswlib is what yakkan uses, versions/kb/ann.py; usearch and sqlite-vec for comparison).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

K = 10


def seeds(path: Path) -> np.ndarray:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        blobs = [r[0] for r in conn.execute("select vector from vectors")]
    return np.stack([np.frombuffer(b, dtype="<f4") for b in blobs])


def synthetic(base: np.ndarray, n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    picks = base[rng.integers(0, len(base), n)]
    out = picks + rng.normal(0, noise, picks.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32)


def exact(matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
    scores = matrix @ q
    best = np.argpartition(-scores, K - 1)[:K]
    return best[np.argsort(-scores[best])]


def timed(fn: Callable[[np.ndarray], Any], queries: np.ndarray) -> tuple[list[Any], float, float]:
    out, times = [], []
    for q in queries:
        t = time.perf_counter()
        out.append(fn(q))
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return out, statistics.median(times), times[int(0.95 * (len(times) - 1))]


def recall(found: list[Any], truth: list[np.ndarray]) -> float:
    hits = sum(len(set(map(int, f)) & set(map(int, t))) for f, t in zip(found, truth, strict=True))
    return hits / (K * len(truth))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, required=True, help="SQLite file with vectors")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--noise", type=float, default=0.02, help="per-dimension noise")
    parser.add_argument(
        "--only", nargs="*", default=["hnswlib", "usearch", "sqlite-vec"], help="libraries"
    )
    args = parser.parse_args()
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    rng = np.random.default_rng(1)
    base = seeds(args.seeds)
    matrix = synthetic(base, args.n, args.noise, rng)
    queries = synthetic(base, args.queries, args.noise, rng)
    dim = matrix.shape[1]
    print(f"{args.n:,} vectors × {dim} from {len(base):,} real ones; {args.queries} queries")
    truth, p50, p95 = timed(lambda q: exact(matrix, q), queries)
    print(f"brute force (numpy): p50 {p50:.1f} ms, p95 {p95:.1f} ms")

    try:
        if "usearch" not in args.only:
            raise ImportError
        from usearch.index import Index

        index = Index(ndim=dim, metric="ip", dtype="f16", connectivity=16)
        t = time.perf_counter()
        index.add(np.arange(args.n), matrix)
        built = time.perf_counter() - t
        found, p50, p95 = timed(lambda q: index.search(q, K).keys, queries)
        print(
            f"usearch M=16 f16: build {built:.1f} s, p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
            f"recall@10 {recall(found, truth):.3f}"
        )
    except ImportError:
        print("usearch: not installed or not asked")

    try:
        if "hnswlib" not in args.only:
            raise ImportError
        import hnswlib

        h = hnswlib.Index(space="ip", dim=dim)
        h.init_index(max_elements=args.n, ef_construction=128, M=16)
        t = time.perf_counter()
        h.add_items(matrix, np.arange(args.n))  # all cores, as the build does
        built = time.perf_counter() - t
        h.set_num_threads(1)
        for ef in (64, 128):
            h.set_ef(ef)
            found, p50, p95 = timed(lambda q: h.knn_query(q, K)[0][0], queries)
            print(
                f"hnswlib M=16 ef={ef}: build {built:.1f} s, p50 {p50:.2f} ms, "
                f"p95 {p95:.2f} ms, recall@10 {recall(found, truth):.3f}"
            )
    except ImportError:
        print("hnswlib: not installed or not asked")

    try:
        if "sqlite-vec" not in args.only:
            raise ImportError
        import sqlite_vec

        conn = sqlite3.connect(":memory:")
        if not hasattr(conn, "enable_load_extension"):
            raise ImportError("this Python's sqlite3 cannot load extensions")
        conn.enable_load_extension(True)
        sqlite_vec.load(conn)
        conn.execute(f"create virtual table v using vec0(e float[{dim}] distance_metric=cosine)")
        t = time.perf_counter()
        rows = ((i, m.tobytes()) for i, m in enumerate(matrix))
        conn.executemany("insert into v(rowid, e) values (?, ?)", rows)
        built = time.perf_counter() - t
        sql = "select rowid from v where e match ? and k = ?"
        found, p50, p95 = timed(
            lambda q: [r[0] for r in conn.execute(sql, [q.tobytes(), K])], queries[:50]
        )
        print(
            f"sqlite-vec (exact scan): insert {built:.1f} s, p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
            f"recall@10 {recall(found, truth[:50]):.3f}"
        )
    except ImportError as exc:
        print(f"sqlite-vec: not installed or not asked {exc}")


if __name__ == "__main__":
    main()
