"""The build on a real Dask cluster (``yakkan build --workers/--scheduler``): the same rows as a
local build, a killed worker does not fail it, a lost scheduler fails it cleanly."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from versions.kb import build as kb
from versions.kb.context import BuildError
from versions.sources.corpus import DEFAULT_CORPUS

distributed = pytest.importorskip("distributed")
# a hung cluster must fail the suite, not stall CI
pytestmark = pytest.mark.timeout(180)
from versions.kb.executor import IN_FLIGHT, DaskExecutor  # noqa: E402

# Two documents with several versions each: parse tasks and alignment tasks both run remotely.
DOCS = ("toreru-camera", "shohisha-keiyaku-ho")
# Columns that record when or how fast, not what: they differ between any two builds.
VOLATILE = {"build_meta": "value", "embedding_meta": "seconds"}


def corpus_copy(root: Path) -> Path:
    corpus = root / "corpus"
    for doc in DOCS:
        shutil.copytree(DEFAULT_CORPUS / doc, corpus / doc)
    return corpus


def rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, volatile columns blanked."""
    conn = sqlite3.connect(db)
    tables = [
        r[0]
        for r in conn.execute(
            "select name from sqlite_master where type = 'table' "
            "and name not like 'sqlite_%' and name not like '%fts%'"
        )
    ]
    out = {}
    for t in tables:
        cols = [c[1] for c in conn.execute(f"pragma table_info([{t}])")]
        skip = VOLATILE.get(t)
        picked = ", ".join(f"[{c}]" for c in cols if c != skip)
        out[t] = sorted(conn.execute(f"select {picked} from [{t}]").fetchall(), key=repr)
    conn.close()
    return out


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    c = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    yield c
    c.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy for every build here: paths are part of the rows (parse_cache, versions.file)."""
    return corpus_copy(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def local_db(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("local") / "kb.db"
    kb.build(corpus, db)
    return db


def test_distributed_build_equals_local_row_for_row(
    cluster: Any, corpus: Path, local_db: Path, tmp_path: Path
) -> None:
    executor = DaskExecutor(cluster.scheduler_address)
    try:
        assert executor.workers == 2
        db = tmp_path / "kb.db"
        result = kb.build(corpus, db, executor=executor)
    finally:
        executor.close()
    assert result.summary["parsed"] == result.summary["versions"] == 7
    expected, got = rows(local_db), rows(db)
    assert set(got) == set(expected)
    for table in expected:
        assert got[table] == expected[table], table


def _double(x: int) -> int:
    return 2 * x


def test_tasks_are_taken_from_their_inputs_as_results_are_read(cluster: Any) -> None:
    # the 新旧対照表 step's inputs (two clause trees a pair) were made all at once: 10 GB at
    # 10,000 versions; the executor now takes them as tasks finish
    taken: list[int] = []

    def inputs() -> Iterator[int]:
        for i in range(200):
            taken.append(i)
            yield i

    executor = DaskExecutor(cluster.scheduler_address)
    try:
        results = executor.map(_double, inputs())
        assert next(results) == 0
        assert len(taken) <= IN_FLIGHT * 2 + 1  # 2 workers
        assert list(results) == [2 * i for i in range(1, 200)]
        assert len(executor.handles([])) == 200  # every result stays reachable for later steps
    finally:
        executor.close()


def test_results_are_read_without_distributeds_timed_wait(
    cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """distributed's ``Future.result(timeout=…)`` can lose a finished result in a race
    (``UnboundLocalError: … 'result'`` from distributed.utils.sync; it failed a 200-version
    build's 新旧対照表 step): the executor waits on a done-callback and never calls it."""
    real = distributed.Future.result

    def racy(self: Any, timeout: float | None = None) -> Any:
        if timeout is not None:
            raise UnboundLocalError("cannot access local variable 'result'")
        return real(self)

    monkeypatch.setattr(distributed.Future, "result", racy)
    executor = DaskExecutor(cluster.scheduler_address)
    try:
        assert list(executor.map(_double, range(40))) == [2 * i for i in range(40)]
    finally:
        executor.close()


def _kill_one_worker_after_first(cluster: Any, killed: list[int]) -> Any:
    """A progress callback that SIGKILLs a worker process once the first version is in."""

    @contextlib.contextmanager
    def progress(items: Any, label: str) -> Iterator[Any]:
        def gen() -> Iterator[Any]:
            for i, item in enumerate(items):
                yield item
                if label == "Parsing" and i == 0 and not killed:
                    nanny = next(iter(cluster.workers.values()))
                    pid = nanny.process.process.pid
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

        yield gen()

    return progress


def test_killed_worker_does_not_fail_the_build(
    corpus: Path, local_db: Path, tmp_path: Path
) -> None:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        executor = DaskExecutor(cluster.scheduler_address)
        killed: list[int] = []
        db = tmp_path / "kb.db"
        try:
            kb.build(
                corpus,
                db,
                progress=_kill_one_worker_after_first(cluster, killed),
                executor=executor,
            )
        finally:
            executor.close()
    assert killed, "no worker was killed"
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)  # really gone
    assert rows(db) == rows(local_db)  # its results were computed again elsewhere


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dask(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_lost_scheduler_fails_cleanly_and_keeps_the_old_database(
    corpus: Path, local_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "kb.db"
    shutil.copy(local_db, db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    edited = corpus_copy(tmp_path)  # one version changed: it must be parsed on the cluster
    target = edited / "toreru-camera" / "2023-12-01.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\n追加の一文です。\n", encoding="utf-8")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _dask(
        "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
        "--dashboard-address", ":0",
    )  # fmt: skip
    worker = _dask("distributed.cli.dask_worker", address, "--nthreads", "1", "--no-dashboard")
    try:
        executor = None
        for _ in range(60):  # wait for the worker to register
            with contextlib.suppress(BuildError):
                executor = executor or DaskExecutor(address)
            if executor and executor.workers:
                break
            time.sleep(0.5)
        assert executor and executor.workers == 1

        @contextlib.contextmanager
        def kill_scheduler(items: Any, label: str) -> Iterator[Any]:
            if label == "Parsing":
                scheduler.send_signal(signal.SIGKILL)
                scheduler.wait()
                # tasks submitted once the client knows (it is reconnecting) were never
                # cancelled on its close: the build waited for them forever
                for _ in range(100):
                    if executor.client.status != "running":
                        break
                    time.sleep(0.1)
            yield items

        with pytest.raises(BuildError, match="Dask scheduler"):
            kb.build(edited, db, progress=kill_scheduler, executor=executor)
        executor.close()
    finally:
        for p in (worker, scheduler):
            p.kill()
            p.wait()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not [p for p in tmp_path.glob("kb.db.*") if p.suffix != ".lock"]  # no temp file left
