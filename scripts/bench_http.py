"""Search and page latency over HTTP against a real Datasette server (p50/p95).

    .venv/bin/python scripts/scale_corpus.py /tmp/scaled --documents 200 --versions 5
    .venv/bin/yakkan build --corpus /tmp/scaled --db /tmp/scaled/yakkan.db
    .venv/bin/python scripts/bench_http.py --db /tmp/scaled/yakkan.db
    .venv/bin/python scripts/bench_http.py --concurrency 32 --rounds 40   # mixed pages, 32 clients
    .venv/bin/python scripts/bench_http.py --concurrency 32 --keep-alive  # connections reused
    .venv/bin/python scripts/bench_http.py --hostile                      # slow-function requests
    .venv/bin/python scripts/bench_http.py --questions                    # + customer questions

Starts the site as ``yakkan serve --workers N`` does (immutable, yakkan metadata/templates/plugins;
--workers, default one per core) on
a free port, warms up, then requests each kind of URL --rounds times, one request at a time;
with --concurrency N, every URL of every kind shuffled together and sent by N clients at once
(p50/p95 per kind under that load, and overall). --hostile times the requests that used to run
past the SQL time limit (long q to the SQL functions, canned hybrid_search, /-/yakkan/hybrid)
and a ``select 1`` sent while they run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import http.client
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from versions.cli.serve_cmd import default_workers, server_command
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
# customer questions (--questions): the search box sends them to hybrid search (none is from
# scripts/retrieval's held-out part)
QUESTIONS = [
    "規約の変更に納得できなくて解約する場合も解約金はかかる？",
    "料金を払い忘れたらどうなる？",
    "引っ越したら何をすればいい？",
    "個人情報は第三者に渡される？",
    "パスワードを忘れたらどうする？",
    "サービスが止まったら返金される？",
    "未成年でも申し込める？",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(db: Path, workers: int = 1) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The site on ``db`` as ``yakkan serve --workers N`` runs it (versions/cli/serve_cmd.py
    ``server_command``), on a free port, once it answers: (base URL, process); stopped on exit."""
    port = free_port()
    args, env = server_command(db.resolve(), "127.0.0.1", port, workers)
    proc = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a multi-GB file read cold takes a while
        while True:
            try:
                urllib.request.urlopen(base + "/-/yakkan", timeout=10).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"bench_http: the server on {db} did not start") from None
                time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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


def question_urls(db: Path, rng: random.Random, n: int) -> dict[str, list[str]]:
    """The search box with customer questions, across documents and within one."""
    docs = [r[0] for r in sqlite3.connect(db).execute("select id from documents")]
    q = urllib.parse.quote
    return {
        "question page": [f"/-/yakkan/search?q={q(rng.choice(QUESTIONS))}" for _ in range(n)],
        "question page, one document": [
            f"/-/yakkan/search?q={q(rng.choice(QUESTIONS))}&doc={rng.choice(docs)}"
            for _ in range(n)
        ],
    }


def legal_urls(db: Path, rng: random.Random, n: int) -> dict[str, list[str]]:
    """The versions-over-time pages: 新旧対照表 of consecutive versions, as-of, history; and a
    static file (what every page load also fetches)."""
    conn = sqlite3.connect(db)
    pairs = conn.execute(
        "select a.id, b.id from versions a join versions b on a.doc_id = b.doc_id "
        "and b.ord = a.ord + 1"
    ).fetchall()
    docs = conn.execute(
        "select doc_id, min(effective), max(effective) from versions "
        "where effective is not null group by doc_id"
    ).fetchall()
    articles = conn.execute(
        "select n.doc_id, n.label from nodes n join versions v on v.id = n.version_id "
        "and v.latest = 1 where n.kind = 'article' and n.label != '' order by random() limit ?",
        [n],
    ).fetchall()
    q = urllib.parse.quote
    out = {
        "static file": ["/-/static/app.css"] * n,
        "home": ["/-/yakkan"] * n,
    }
    if pairs:
        out["新旧対照表 (consecutive)"] = [
            f"/-/yakkan/diff?old={q(o)}&new={q(w)}"
            for o, w in (rng.choice(pairs) for _ in range(n))
        ]
    if docs:
        out["as-of page"] = [
            f"/-/yakkan/asof?doc={d}&date={rng.choice([lo, hi])}"
            for d, lo, hi in (rng.choice(docs) for _ in range(n))
        ]
    if articles:
        out["history page"] = [
            f"/-/yakkan/history?doc={d}&clause={q(label)}" for d, label in articles
        ]
    return out


def timed_get(base: str, path: str) -> tuple[float, int]:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=120) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, TimeoutError):  # refused, reset or timed out: no answer
        status = 0
    return (time.perf_counter() - start) * 1000, status


def server_cpu(proc: subprocess.Popen[bytes]) -> float | None:
    """CPU seconds used so far by the server and its worker processes (None without psutil)."""
    try:
        import psutil
    except ImportError:
        return None
    root = psutil.Process(proc.pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


_local = threading.local()


def kept_get(base: str, path: str) -> tuple[float, int]:
    """``timed_get`` over this thread's kept-alive connection (as browsers and load balancers
    reuse theirs): no TCP connect per request; reconnects once when the server closed it."""
    start = time.perf_counter()
    for attempt in (1, 2):
        conn = getattr(_local, "conn", None)
        if conn is None:
            parts = urllib.parse.urlsplit(base)
            host = parts.hostname or "127.0.0.1"
            conn = _local.conn = http.client.HTTPConnection(host, parts.port, timeout=120)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return (time.perf_counter() - start) * 1000, response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            _local.conn = None
            if attempt == 2:
                return (time.perf_counter() - start) * 1000, 0
    raise AssertionError("unreachable")


def concurrent_run(
    base: str,
    plan: dict[str, list[str]],
    clients: int,
    rng: random.Random,
    proc: subprocess.Popen[bytes],
    keep_alive: bool = False,
) -> None:
    """Every URL of the plan, shuffled, sent by ``clients`` threads at once; with the CPU
    seconds the client threads and the server used (they share the machine's cores)."""
    work = [(label, path) for label, paths in plan.items() for path in paths]
    rng.shuffle(work)
    times: dict[str, list[float]] = {label: [] for label in plan}
    errors: dict[str, int] = {}
    server_before, client_before = server_cpu(proc), time.process_time()
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        get = kept_get if keep_alive else timed_get
        results = pool.map(lambda item: (item[0], *get(base, item[1])), work)
        for label, ms, status in results:
            times[label].append(ms)
            if status != 200:
                errors[label] = errors.get(label, 0) + 1
    wall = time.perf_counter() - started
    client, server_after = time.process_time() - client_before, server_cpu(proc)
    how = "kept-alive connections" if keep_alive else "a connection per request"
    print(
        f"concurrency {clients}, {how}: {len(work)} requests in {wall:.1f} s "
        f"({len(work) / wall:.0f}/s)"
    )
    if server_before is not None and server_after is not None:
        server = server_after - server_before
        print(
            f"CPU: server {server:.1f} s ({server * 1000 / len(work):.1f} ms a request), "
            f"client {client:.1f} s, of {wall * (os.cpu_count() or 1):.1f} core-seconds"
        )
    # distinct URLs: how often a page could come from the page cache (the rest repeat)
    distinct = {label: len(set(paths)) for label, paths in plan.items()}
    distinct["all"] = len({path for _, path in work})
    print(
        f"{'request':32} {'n':>4} {'urls':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'errors':>6}"
    )
    everything = [t for ts in times.values() for t in ts]
    for label, ts in [*times.items(), ("all", everything)]:
        print(
            f"{label:32} {len(ts):4d} {distinct[label]:4d} {statistics.median(ts):8.1f} "
            f"{percentile(ts, 95):8.1f} {max(ts):8.1f} "
            f"{errors.get(label, 0) if label != 'all' else sum(errors.values()):6d}"
        )


def hostile_run(base: str, name: str) -> None:
    """Requests that used to run 6–18 s past the 3 s SQL time limit, three at once, and a
    ``select 1`` sent while they run."""
    q = urllib.parse.quote("料金を払い忘れたらどうなる？" * 300)
    long_text = urllib.parse.quote("replace(hex(zeroblob(200000)), '00', '解約')")
    urls = {
        "yakkan_words(400k chars)": f"/{name}.json?sql=select+yakkan_words({long_text})",
        "yakkan_snippet(text, long q)": (
            f"/{name}.json?sql=select+yakkan_snippet(text,:q)+from+nodes&q={q}"
        ),
        "canned hybrid_search, long q": f"/{name}/hybrid_search.json?doc=&q={q}",
        "/-/yakkan/hybrid, long q": f"/-/yakkan/hybrid?q={q}",
        "/-/yakkan/search, long q": f"/-/yakkan/search?q={q}",
    }
    print(f"{'hostile request':32} {'ms':>8} {'status':>6}   select 1 meanwhile (ms)")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for label, path in urls.items():
            slow = [pool.submit(timed_get, base, path) for _ in range(3)]
            time.sleep(0.2)
            probe, _ = timed_get(base, f"/{name}.json?sql=select+1")
            ms, status = max(f.result() for f in slow)
            print(f"{label:32} {ms:8.0f} {status:6d}   {probe:8.0f}")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=0, help="clients at once (mixed)")
    parser.add_argument("--hostile", action="store_true", help="time slow-function requests")
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="with --concurrency: each client reuses one connection (as browsers do)",
    )
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="server processes (yakkan serve)"
    )
    parser.add_argument(
        "--questions", action="store_true", help="also customer questions in the search box"
    )
    args = parser.parse_args()
    with serve(args.db, args.workers) as (base, proc):
        rng = random.Random(7)
        plan = urls(args.db, rng, args.rounds)
        if args.concurrency or args.hostile:
            plan.update(legal_urls(args.db, rng, args.rounds))
        if args.questions:
            plan.update(question_urls(args.db, rng, args.rounds))
        for paths in plan.values():  # warm-up: tokenizer, page cache
            for path in paths[:3]:
                timed_get(base, path)
        size = args.db.stat().st_size / 1e6
        conn = sqlite3.connect(args.db)
        nodes = conn.execute("select count(*) from nodes").fetchone()[0]
        versions = conn.execute("select count(*) from versions").fetchone()[0]
        print(
            f"{args.db}: {size:.0f} MB, {versions} versions, {nodes:,} nodes; "
            f"{args.workers} server processes; load average {os.getloadavg()[0]:.1f}"
        )
        if args.hostile:
            hostile_run(base, args.db.stem)
            return
        if args.concurrency:
            concurrent_run(base, plan, args.concurrency, rng, proc, args.keep_alive)
            return
        print(f"{'request':32} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>6}")
        for label, paths in plan.items():
            times, errors = [], 0
            for path in paths:  # an error (503: past the SQL time limit) is counted and timed
                ms, status = timed_get(base, path)
                times.append(ms)
                errors += status != 200
            print(
                f"{label:32} {len(times):4d} {statistics.median(times):8.1f} "
                f"{percentile(times, 95):8.1f} {max(times):8.1f} {errors:6d}"
            )


if __name__ == "__main__":
    main()
