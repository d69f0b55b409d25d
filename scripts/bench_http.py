"""Search and page latency over HTTP against a real Datasette server (p50/p95).

    .venv/bin/python scripts/scale_corpus.py /tmp/scaled --documents 200 --versions 5
    .venv/bin/yakkan build --corpus /tmp/scaled --db /tmp/scaled/yakkan.db
    .venv/bin/python scripts/bench_http.py --db /tmp/scaled/yakkan.db

Starts ``datasette`` (as ``yakkan serve`` does: immutable, yakkan metadata/templates/plugins) on
a free port, warms up, then requests each kind of URL --rounds times, one request at a time.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from versions.cli.serve_cmd import datasette_args
from versions.kb.build import DEFAULT_DB

QUERIES = [
    "解約",
    "料金",
    "利息",
    "申し込み",
    "料金 支払",
    "個人情報",
    "損害賠償",
    "利用契約の解除",
    "サービス",
    "契約者",
    "第三者",
    "通知",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def urls(db: Path, rng: random.Random, n: int) -> dict[str, list[str]]:
    conn = sqlite3.connect(db)
    name = db.stem
    docs = [r[0] for r in conn.execute("select id from documents")]
    clauses = conn.execute(
        "select version_id, node_id from nodes where kind = 'article' order by random() limit ?",
        [n],
    ).fetchall()
    versions = conn.execute(
        "select doc_id, effective from versions where effective is not null"
    ).fetchall()
    q = urllib.parse.quote
    out = {
        "search page": [f"/-/yakkan/search?q={q(rng.choice(QUERIES))}" for _ in range(n)],
        "search page, one document": [
            f"/-/yakkan/search?q={q(rng.choice(QUERIES))}&doc={rng.choice(docs)}" for _ in range(n)
        ],
        "search canned query (json)": [
            f"/{name}/search.json?_shape=array&doc=&q={q(rng.choice(QUERIES))}" for _ in range(n)
        ],
        "clause page": [f"/-/yakkan/clause/{v}/{c}" for v, c in clauses],
        "document outline": [f"/-/yakkan/doc/{rng.choice(docs)}" for _ in range(n)],
        "document as of a date": [
            f"/-/yakkan/doc/{d}@{e}" for d, e in rng.sample(versions, min(n, len(versions)))
        ],
        "clause as of (canned)": [
            f"/{name}/clause_asof.json?_shape=array&doc={v.split('@')[0]}&clause={c}&date=2030-01-01"
            for v, c in clauses
        ],
        "references to (canned)": [
            f"/{name}/references_to.json?_shape=array&version={v}&clause={c}" for v, c in clauses
        ],
    }
    return out


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "datasette", *datasette_args(args.db.resolve(), "127.0.0.1", port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/-/yakkan", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        rng = random.Random(7)
        plan = urls(args.db, rng, args.rounds)
        for paths in plan.values():  # warm-up: tokenizer, page cache
            for path in paths[:3]:
                urllib.request.urlopen(base + path, timeout=30).read()
        size = args.db.stat().st_size / 1e6
        conn = sqlite3.connect(args.db)
        nodes = conn.execute("select count(*) from nodes").fetchone()[0]
        versions = conn.execute("select count(*) from versions").fetchone()[0]
        print(
            f"{args.db}: {size:.0f} MB, {versions} versions, {nodes:,} nodes; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print(f"{'request':32} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for label, paths in plan.items():
            times = []
            for path in paths:
                start = time.perf_counter()
                with urllib.request.urlopen(base + path, timeout=30) as r:
                    r.read()
                    assert r.status == 200, path
                times.append((time.perf_counter() - start) * 1000)
            print(
                f"{label:32} {len(times):4d} {statistics.median(times):8.1f} "
                f"{percentile(times, 95):8.1f} {max(times):8.1f}"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
