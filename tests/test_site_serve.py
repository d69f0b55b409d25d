"""``yakkan serve``: builds when needed, then runs Datasette with the yakkan site (immutable)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from versions.cli import main, serve_cmd


def test_serve_builds_then_runs_datasette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(serve_cmd.os, "execv", lambda exe, args: calls.append(args))
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    db = tmp_path / "yakkan.db"
    result = CliRunner().invoke(
        main,
        ["serve", "--corpus", str(corpus), "--db", str(db), "--port", "8123", "--workers", "1"],
    )
    assert result.exit_code == 0, result.output
    assert db.is_file()
    count = sqlite3.connect(db).execute("select count(*) from documents").fetchone()[0]
    assert count == len(list(corpus.glob("*/document.toml")))
    (args,) = calls
    assert args[1:4] == ["-m", "datasette", "serve"]
    served = Path(args[args.index("-i") + 1])  # a link to the build it started with
    assert served.name == db.name and served.samefile(db) and served != db.resolve()
    assert args[args.index("--port") + 1] == "8123"
    assert args[args.index("--host") + 1] == "127.0.0.1"
    for flag, path in [
        ("--metadata", "datasette/metadata.yml"),
        ("--template-dir", "datasette/templates"),
        ("--plugins-dir", "datasette/plugins"),
    ]:
        assert args[args.index(flag) + 1].endswith(path)
        assert Path(args[args.index(flag) + 1]).exists()


def test_serve_without_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--no-build", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no such database" in result.stderr and "yakkan build" in result.stderr


def test_datasette_directory_is_not_a_package() -> None:
    site = Path(serve_cmd.SITE)
    assert not (site / "__init__.py").exists()
    assert not (site / "plugins" / "__init__.py").exists()


def test_serve_a_file_that_is_not_a_knowledge_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --no-build on a non-database used to end in Datasette's full-screen traceback.
    calls: list[list[str]] = []
    monkeypatch.setattr(serve_cmd.os, "execv", lambda exe, args: calls.append(args))
    readme = Path(__file__).resolve().parent.parent / "README.md"
    notes = tmp_path / "notes.txt"
    notes.write_bytes(readme.read_bytes())
    result = CliRunner().invoke(main, ["serve", "--no-build", "--db", str(notes)])
    assert result.exit_code == 1 and not calls
    assert result.stderr.startswith(f"yakkan serve: {notes}: not a yakkan knowledge base")
    assert notes.read_bytes() == readme.read_bytes()


def test_serve_with_workers_runs_that_many_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(serve_cmd.os, "execv", lambda exe, args: calls.append(args))
    monkeypatch.delenv(serve_app_env := "YAKKAN_SERVE_CONFIG", raising=False)
    db = tmp_path / "kb.db"
    sqlite3.connect(db).execute("create table nodes (id)").connection.close()
    result = CliRunner().invoke(main, ["serve", "--no-build", "--db", str(db), "-w", "3"])
    assert result.exit_code == 0, result.output
    (args,) = calls
    assert args[1:3] == ["-m", "versions.cli.serve_app"]
    config = json.loads(os.environ[serve_app_env])
    assert config["workers"] == 3 and Path(config["db"]).samefile(db)
    assert os.environ["DATASETTE_SECRET"]  # one secret: cookies signed by any worker hold
    assert "(3 processes)" in result.stderr
    calls.clear()
    result = CliRunner().invoke(main, ["serve", "--no-build", "--db", str(db), "--mutable"])
    assert calls[0][1:4] == ["-m", "datasette", "serve"]  # a mutable database: one process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(p) for p in found]


def test_serve_workers_answer(kb: Path, tmp_path: Path) -> None:
    # The real thing: two uvicorn workers over the snapshot link, the pages and health answer.
    db = tmp_path / "yakkan.db"
    shutil.copy(kb, db)
    port = _free_port()
    cmd = [sys.executable, "-m", "versions.cli", "serve", "--no-build", "--db", str(db)]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        health = None
        for _ in range(600):
            try:
                with urllib.request.urlopen(base + "/-/yakkan/health", timeout=5) as r:
                    health = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.1)
        assert health is not None and health["status"] == "ok"
        assert (db.parent / ".yakkan-serving" / str(proc.pid) / db.name).samefile(db)
        workers = [c for c in _children(proc.pid) if "spawn" in _cmdline(c)]
        assert len(workers) >= 2
        with urllib.request.urlopen(base + "/-/yakkan/doc/toreru-camera", timeout=30) as r:
            assert r.status == 200 and 'class="outline"' in r.read().decode()
        with urllib.request.urlopen(base + "/-/databases.json", timeout=30) as r:
            assert str(tmp_path) not in r.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert all(not Path(f"/proc/{c}").exists() for c in workers)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
