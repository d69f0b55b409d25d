"""``yakkan serve``: build the knowledge base if needed, then serve it with Datasette."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import sqlite3
import sys
from pathlib import Path

import click

from versions.cli.build_cmd import describe, run_build
from versions.kb.build import DEFAULT_DB, ROOT, BuildBusy
from versions.sources.corpus import DEFAULT_CORPUS

SITE = ROOT / "datasette"
SNAPSHOTS = ".yakkan-serving"  # next to the database: one folder per running server (its pid)
SETTINGS = {"sql_time_limit_ms": 3000}  # Datasette settings of the site
MAX_WORKERS = 8


def default_workers() -> int:
    """Server processes by default: one per core (at most ``MAX_WORKERS``)."""
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def datasette_args(db: Path, host: str, port: int, immutable: bool = True) -> list[str]:
    """The ``datasette serve`` arguments for the yakkan site (metadata, templates, plugins)."""
    return [
        "serve",
        *(["-i", str(db)] if immutable else [str(db)]),
        "--metadata",
        str(SITE / "metadata.yml"),
        "--template-dir",
        str(SITE / "templates"),
        "--plugins-dir",
        str(SITE / "plugins"),
        "--static",
        f"yakkan-static:{SITE / 'static'}",
        "--host",
        host,
        "--port",
        str(port),
        *(x for name, value in SETTINGS.items() for x in ("--setting", name, str(value))),
    ]


def server_command(
    db: Path, host: str, port: int, workers: int = 1, immutable: bool = True
) -> tuple[list[str], dict[str, str]]:
    """What ``yakkan serve`` runs: the arguments after the Python interpreter, and the
    environment it adds. One worker (or a mutable database): ``datasette serve``; more:
    versions/cli/serve_app.py, uvicorn with ``workers`` processes over the immutable file,
    sharing one cookie-signing secret."""
    if workers <= 1 or not immutable:
        return ["-m", "datasette", *datasette_args(db, host, port, immutable)], {}
    from versions.cli.serve_app import CONFIG_ENV, SECRET_ENV

    config = {
        "db": str(db),
        "site": str(SITE),
        "host": host,
        "port": port,
        "workers": workers,
        "settings": SETTINGS,
    }
    env = {
        CONFIG_ENV: json.dumps(config),
        SECRET_ENV: os.environ.get(SECRET_ENV) or secrets.token_hex(32),
    }
    return ["-m", "versions.cli.serve_app"], env


@click.command()
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_DB,
    show_default="yakkan.db",
    help="Knowledge base to serve (built first when missing or out of date).",
)
@click.option(
    "--corpus",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_CORPUS,
    show_default="corpus/",
    help="Corpus to build from.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", "-p", type=int, default=8001, show_default=True)
@click.option("--no-build", is_flag=True, help="Serve the database as it is, without building.")
@click.option(
    "--mutable", is_flag=True, help="Open the database read-write (default: immutable, -i)."
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(1, MAX_WORKERS),
    default=default_workers,
    show_default="one per core",
    help="Server processes (immutable database only; --mutable serves with one).",
)
def serve(
    db: Path, corpus: Path, host: str, port: int, no_build: bool, mutable: bool, workers: int
) -> None:
    """Serve the knowledge base with Datasette (read-only), building it first if needed.

    Pages: /-/yakkan (documents), /-/yakkan/doc/DOC[@DATE], /-/yakkan/clause/VERSION/NODE,
    /-/yakkan/search; canned queries under /yakkan. A rebuild while serving does not change
    what is served (pages and the /yakkan.db download alike): restart to serve the new build.

    \b
    Examples:
        yakkan serve
        yakkan serve --port 8080 --host 0.0.0.0
        yakkan serve --db /tmp/kb.db --no-build
        yakkan serve --workers 4
    """
    if not no_build:
        try:  # another build running: serve the database it will replace, if there is one
            result = run_build(corpus, db, wait=0 if db.is_file() else None)
            click.echo(describe(result), err=True)
        except BuildBusy as exc:
            click.echo(f"yakkan serve: {exc}; serving the existing database", err=True)
    elif not db.is_file():
        click.echo(f"yakkan serve: {db}: no such database (run yakkan build)", err=True)
        raise SystemExit(1)
    problem = _not_a_knowledge_base(db)
    if problem:
        click.echo(f"yakkan serve: {db}: {problem}", err=True)
        raise SystemExit(1)
    served = db.resolve() if mutable else snapshot(db.resolve())
    args, env = server_command(served, host, port, workers, immutable=not mutable)
    processes = "" if "datasette" in args else f" ({workers} processes)"
    click.echo(f"Serving http://{host}:{port}/-/yakkan{processes}", err=True)
    sys.stdout.flush()
    os.environ.update(env)
    os.execv(sys.executable, [sys.executable, *args])


def _not_a_knowledge_base(db: Path) -> str | None:
    """Why Datasette would fail on ``db`` (one line instead of its traceback), or None."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            conn.execute("select 1 from nodes limit 1").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"not a yakkan knowledge base ({exc}); run yakkan build"
    return None


def snapshot(db: Path) -> Path:
    """A hard link to ``db`` that this server process serves (``SNAPSHOTS``/PID/NAME).

    A build replaces ``db`` by renaming a new file onto it. Datasette's open connections keep
    reading the old file, but a connection opened later and the database download open the
    path, and would read the new one: serving a link to the file as it was at start keeps
    every page and the download on one build until the server restarts. Where hard links are
    impossible, ``db`` itself (with a notice).
    """
    folder = db.parent / SNAPSHOTS
    _remove_stale(folder)
    target = folder / str(os.getpid()) / db.name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        os.link(db, target)
    except OSError as exc:
        click.echo(
            f"yakkan serve: {db}: cannot link it for serving ({exc.strerror}); after a rebuild "
            "the download may be newer than the pages until you restart",
            err=True,
        )
        return db
    return target


def _remove_stale(folder: Path) -> None:
    """Snapshots of servers that are no longer running (their old builds' disk space)."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name.isdigit() and not _running(int(entry.name)):
            shutil.rmtree(entry, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
