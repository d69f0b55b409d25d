#!/usr/bin/env python
"""Stress the build lock: two ``yakkan build --force`` of one database at once, the second
killed (SIGKILL) at a random moment, N times; then ``pragma quick_check`` on the database.

Reports how many first builds failed, how many times the database was damaged and how many
temporary files were left. The corpus is a copy of two real documents in a temporary folder.

    .venv/bin/python scripts/stress_builds.py
    .venv/bin/python scripts/stress_builds.py --trials 30 --max-delay 5 --seed 7
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = "import sys; from versions.cli import main; sys.argv[0] = 'yakkan'; main()"
DOCS = ("vectant-closed-ip-smart", "dokodemo-merec")


def copy_corpus(to: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from versions.sources.corpus import load_corpus

    for doc in load_corpus(ROOT / "corpus"):
        if doc.id in DOCS:
            v = doc.latest()
            (to / doc.id).mkdir(parents=True)
            shutil.copy(v.file, to / doc.id / v.file.name)
            (to / doc.id / "document.toml").write_text(
                f'[[versions]]\nfile = "{v.file.name}"\nformat = "{v.format or "text"}"\n',
                encoding="utf-8",
            )
    return to


def intact(db: Path) -> bool:
    try:
        with sqlite3.connect(db) as conn:
            return bool(conn.execute("pragma quick_check").fetchone()[0] == "ok")
    except sqlite3.DatabaseError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--max-delay", type=float, default=3.0, help="seconds before the kill")
    ap.add_argument("--seed", type=int, default=1412)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        corpus, db = copy_corpus(Path(tmp) / "corpus"), Path(tmp) / "kb.db"

        def start() -> subprocess.Popen[bytes]:
            cmd = [sys.executable, "-c", CLI, "build", "--corpus", str(corpus), "--db", str(db)]
            return subprocess.Popen(
                [*cmd, "-q", "--force"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )

        failed = damaged = 0
        for _ in range(args.trials):
            first, second = start(), start()
            time.sleep(rng.uniform(0, args.max_delay))
            second.send_signal(signal.SIGKILL)
            second.wait()
            first.communicate()
            failed += first.returncode != 0
            damaged += not intact(db)
        left = len(list(Path(tmp).glob(".kb.db.*.tmp")))
    print(
        f"{args.trials} trials (second build killed after 0–{args.max_delay:g} s): "
        f"first build failed {failed}, database damaged {damaged}, temporary files left {left}"
    )


if __name__ == "__main__":
    main()
