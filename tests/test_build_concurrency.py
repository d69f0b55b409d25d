"""Concurrent and killed builds of one database: a lock, unique temp files, damage rebuilt."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from test_build import small_corpus

ROOT = Path(__file__).resolve().parents[1]
CLI = "import sys; from versions.cli import main; sys.argv[0] = 'yakkan'; main()"


def start(corpus: Path, db: Path, *args: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", CLI, "build", "--corpus", str(corpus), "--db", str(db), "-q"]
    return subprocess.Popen([*cmd, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def quick_check(db: Path) -> str:
    try:
        with sqlite3.connect(db) as conn:
            return str(conn.execute("pragma quick_check").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        return str(exc)


def test_second_build_killed_at_random_moments_never_damages_the_database(
    tmp_path: Path,
) -> None:
    corpus = small_corpus(tmp_path, ("vectant-closed-ip-smart",))
    db = tmp_path / "kb.db"
    rng = random.Random(14)
    for _ in range(6):
        first = start(corpus, db, "--force")
        second = start(corpus, db, "--force")
        time.sleep(rng.uniform(0.0, 2.0))
        second.send_signal(signal.SIGKILL)
        second.wait()
        _, err = first.communicate()
        assert first.returncode == 0, err.decode()
        assert quick_check(db) == "ok"
    done = start(corpus, db)
    assert done.wait() == 0
    assert quick_check(db) == "ok"
    assert not list(tmp_path.glob(".kb.db.*.tmp"))


def test_two_unkilled_builds_both_succeed(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path, ("vectant-closed-ip-smart",))
    db = tmp_path / "kb.db"
    builds = [start(corpus, db, "--force") for _ in range(3)]
    for b in builds:
        _, err = b.communicate()
        assert b.returncode == 0, err.decode()
    assert quick_check(db) == "ok"


def test_no_wait_names_the_other_build(tmp_path: Path) -> None:
    import fcntl

    corpus = small_corpus(tmp_path, ("vectant-closed-ip-smart",))
    db = tmp_path / "kb.db"
    with open(tmp_path / "kb.db.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.write("4242")
        lock.flush()
        build = start(corpus, db, "--no-wait")
        _, err = build.communicate()
    assert build.returncode == 1
    assert f"another build of {db} is running (pid 4242)" in err.decode()
    assert not db.exists()


def test_damaged_database_is_rebuilt_from_the_corpus(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path, ("vectant-closed-ip-smart",))
    db = tmp_path / "kb.db"
    assert start(corpus, db).wait() == 0
    data = bytearray(db.read_bytes())
    for page in range(2, len(data) // 4096, 3):  # keep the header, damage every third page
        data[page * 4096 : page * 4096 + 200] = b"\xff" * 200
    db.write_bytes(bytes(data))
    assert quick_check(db) != "ok"
    build = start(corpus, db)
    _, err = build.communicate()
    assert build.returncode == 0, err.decode()
    assert "damaged; rebuilding from the corpus" in err.decode()
    assert quick_check(db) == "ok"
