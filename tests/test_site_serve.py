"""``yakkan serve``: builds when needed, then runs Datasette with the yakkan site (immutable)."""

from __future__ import annotations

import sqlite3
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
        main, ["serve", "--corpus", str(corpus), "--db", str(db), "--port", "8123"]
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
