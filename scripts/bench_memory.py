"""The site's memory over many 新旧対照表 pages: RSS of a real Datasette server (psutil).

    .venv/bin/python scripts/bench_memory.py                    # 500 pages on yakkan.db
    .venv/bin/python scripts/bench_memory.py --db /tmp/kb.db --pages 1000 --every 50
    .venv/bin/python scripts/bench_memory.py --warm 480    # every pair once first: caches full

Starts ``datasette`` as ``yakkan serve`` does, then asks for /-/yakkan/diff pages cycling through
every ordered pair of versions (both column orders), so nearly every page is computed, not
served from the site's 16-entry cache. Prints the server's RSS after the warm-up and every
--every pages, and a static file's latency while the diffs run (the event loop stays free when
the comparison runs in a worker thread).
"""

from __future__ import annotations

import argparse
import itertools
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path

import psutil
from bench_http import percentile, serve, timed_get

from versions.kb.build import DEFAULT_DB


def total_rss(server: psutil.Process) -> int:
    """The server's RSS and its children's (the 新旧対照表 worker process)."""
    return sum(p.memory_info().rss for p in [server, *server.children(recursive=True)])


def diff_urls(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    ids = [r[0] for r in conn.execute("select id from versions order by doc_id, ord")]
    q = urllib.parse.quote
    out = []
    for first in ("", "&old_first=1"):
        for old, new in itertools.permutations(ids, 2):
            out.append(f"/-/yakkan/diff?old={q(old)}&new={q(new)}{first}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument(
        "--warm", type=int, default=5, help="pages before measuring (480: every pair once)"
    )
    args = parser.parse_args()
    with serve(args.db) as (base, proc):
        server = psutil.Process(proc.pid)
        urls = diff_urls(args.db)
        for path in itertools.islice(itertools.cycle(urls), args.warm):  # tokenizer, caches
            timed_get(base, path)
        urls = urls[args.warm % len(urls) :] + urls[: args.warm % len(urls)]
        print(
            f"{args.db}: {len(urls)} distinct diff pages; RSS (server and its worker process) "
            f"after warm-up {total_rss(server) / 1e6:.0f} MB"
        )
        static: list[float] = []
        done = threading.Event()

        def poll_static() -> None:
            while not done.is_set():
                ms, status = timed_get(base, "/-/static/app.css")
                if status == 200:
                    static.append(ms)
                time.sleep(0.05)

        poller = threading.Thread(target=poll_static, daemon=True)
        poller.start()
        print(f"{'pages':>6} {'RSS MB':>7} {'s':>6}")
        started = time.perf_counter()
        errors: dict[int, list[str]] = {}
        for i, path in enumerate(itertools.islice(itertools.cycle(urls), args.pages), start=1):
            _, status = timed_get(base, path)
            if status != 200:
                errors.setdefault(status, []).append(path)
                if proc.poll() is not None:
                    print(f"the server exited ({proc.returncode}) at page {i}: {path}")
                    break
            if i % args.every == 0:
                rss = total_rss(server) / 1e6
                print(f"{i:6d} {rss:7.0f} {time.perf_counter() - started:6.0f}", flush=True)
        done.set()
        poller.join()
        for status, paths in errors.items():
            print(f"status {status}: {len(paths)} pages, e.g. {paths[0]}")
        print(
            f"static file while diffs ran: p50 {percentile(static, 50):.1f} ms, "
            f"p95 {percentile(static, 95):.1f} ms ({len(static)} requests)"
        )


if __name__ == "__main__":
    main()
