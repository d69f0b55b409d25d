"""Approximate nearest neighbours (hnswlib HNSW) over the distinct vectors, stored in the database.

Brute force (one matrix × vector product) costs ≈ 0.12 ms per 1,000 vectors on one idle core and
passes the 20 ms budget per query at ≈ 150,000 distinct vectors; an HNSW graph answers in about
1 ms with recall@10 ≈ 0.99 (scripts/bench_ann.py, docs/scaling.md). hnswlib rather than usearch:
importing onnxruntime (the default embedding model) after usearch crashes the process.

The build writes an index only from ``min_vectors()`` distinct vectors on, into the table
``vector_index`` (the serialised index in parts, so it is swapped in atomically with the database
and copied with it to replicas); its keys are ``vectors.id``. Without the table, or without
hnswlib installed, search falls back to brute force.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

TABLE = "vector_index"
PART = 64 * 2**20  # bytes per row: SQLite blobs stay far below their 1 GB limit
ENV_MIN = "YAKKAN_ANN_MIN"
DEFAULT_MIN = 100_000  # distinct vectors from which the build writes an index
CONNECTIVITY = 16
EXPANSION_ADD, EXPANSION_SEARCH = 128, 64


def min_vectors() -> int:
    try:
        return int(os.environ.get(ENV_MIN, DEFAULT_MIN))
    except ValueError:
        return DEFAULT_MIN


def available() -> bool:
    try:
        import hnswlib  # noqa: F401
    except ImportError:
        return False
    return True


def build(matrix: np.ndarray, ids: np.ndarray) -> bytes:
    """The serialised HNSW index of ``matrix`` rows (unit vectors) keyed by ``ids``."""
    import hnswlib

    index = hnswlib.Index(space="ip", dim=matrix.shape[1])
    index.init_index(max_elements=len(matrix), ef_construction=EXPANSION_ADD, M=CONNECTIVITY)
    index.add_items(matrix, ids.astype(np.int64))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.hnsw"
        index.save_index(str(path))
        return path.read_bytes()


def write(conn: sqlite3.Connection, blob: bytes) -> None:
    conn.execute(f"create table if not exists {TABLE} (part integer primary key, data blob)")
    conn.executemany(
        f"insert into {TABLE} values (?, ?)",
        ((i, blob[start : start + PART]) for i, start in enumerate(range(0, len(blob), PART))),
    )


def load(conn: sqlite3.Connection) -> Any | None:
    """The stored index, or None (no table, or hnswlib not installed)."""
    if not available():
        return None
    try:
        dim = conn.execute("select dim from embedding_meta").fetchone()[0]
        parts = conn.execute(f"select data from {TABLE} order by part").fetchall()
    except (sqlite3.Error, TypeError):
        return None
    if not parts:
        return None
    import hnswlib

    index = hnswlib.Index(space="ip", dim=int(dim))
    with tempfile.TemporaryDirectory() as tmp:  # hnswlib loads from a file only
        path = Path(tmp) / "index.hnsw"
        with path.open("wb") as f:
            for (part,) in parts:
                f.write(part)
        index.load_index(str(path))
    index.set_ef(EXPANSION_SEARCH)
    index.set_num_threads(1)
    return index


def search(index: Any, vector: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(vectors.id, cosine) of the ``count`` nearest vectors (fewer when the index is smaller),
    nearest first."""
    count = min(count, index.get_current_count())
    if count <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    labels, distances = index.knn_query(vector.astype(np.float32), k=count)
    return labels[0].astype(np.int64), 1.0 - distances[0]
