"""The approximate vector index (versions/kb/ann.py): written by the build from a size on,
answering like brute force, and absent → brute force."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from semantic_helpers import build_kb, questions, require_vectors

from versions.kb import ann, embeddings, semantic

pytestmark = pytest.mark.skipif(not ann.available(), reason="hnswlib not installed")


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ann.ENV_MIN, "1")  # index the real corpus's few thousand vectors
        db = build_kb(tmp_path_factory.mktemp("ann") / "yakkan.db")
    require_vectors(db)
    return db


def test_build_stores_the_index_in_the_database(kb: Path) -> None:
    with sqlite3.connect(kb) as conn:
        parts = conn.execute(f"select count(*) from {ann.TABLE}").fetchone()[0]
        sql = "select count(distinct vector_id), count(*) from embedding_rows"
        distinct, keys = conn.execute(sql).fetchone()
    assert parts >= 1
    assert distinct < keys  # identical passages share one vector
    index = semantic.load_index(kb).ann
    assert index is not None
    assert index.get_current_count() == distinct  # clauses only: no article vectors


def test_approximate_answers_match_brute_force(kb: Path) -> None:
    index = semantic.load_index(kb)
    exact = semantic.VectorIndex(index.model, index.keys, index.doc_ids, index.matrix, index.rows)
    qs = [q["question"] for q in questions()]
    vectors = embeddings.encode(qs, model=index.model, query=True)
    found = total = 0
    for v in vectors:
        approx = [k for k, _ in index.top(v, None, 10)]
        truth = [k for k, _ in exact.top(v, None, 10)]
        assert len(approx) == 10
        found += len(set(approx) & set(truth))
        total += len(truth)
    assert found / total >= 0.9
    top = index.top(vectors[0], None, 10)
    assert [s for _, s in top] == sorted((s for _, s in top), reverse=True)


def test_document_filter_and_missing_index_use_brute_force(kb: Path, tmp_path: Path) -> None:
    index = semantic.load_index(kb)
    v = embeddings.encode(["解約の手続き"], model=index.model, query=True)[0]
    hits = index.top(v, "toreru-camera", 5)
    assert len(hits) == 5 and all(k.startswith("toreru-camera@") for k, _ in hits)
    copy = tmp_path / "copy.db"
    copy.write_bytes(kb.read_bytes())
    with sqlite3.connect(copy) as conn:
        conn.execute(f"drop table {ann.TABLE}")
    plain = semantic.load_index(copy)
    assert plain.ann is None
    assert [k for k, _ in plain.top(v, None, 3)] == [
        k
        for k, _ in semantic.VectorIndex(
            index.model, index.keys, index.doc_ids, index.matrix, index.rows
        ).top(v, None, 3)
    ]
