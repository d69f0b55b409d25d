"""``yakkan build``: the knowledge base of the real corpus, atomic and incremental builds."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from versions.cli import main
from versions.kb import build as kb
from versions.kb import schema
from versions.sources.corpus import DEFAULT_CORPUS, load_corpus
from versions.sources.files import read_document


@pytest.fixture(scope="session")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.getbasetemp() / "kb" / "yakkan.db"
    path.parent.mkdir(exist_ok=True)
    kb.build(DEFAULT_CORPUS, path)
    return path


def small_corpus(
    root: Path, ids: tuple[str, ...] = ("toreru-camera", "vectant-closed-ip-smart")
) -> Path:
    """A copy of some real corpus documents (their latest version only) in ``root``."""
    corpus = root / "corpus"
    for doc in load_corpus(DEFAULT_CORPUS):
        if doc.id not in ids:
            continue
        v = doc.latest()
        folder = corpus / doc.id
        folder.mkdir(parents=True)
        shutil.copy(v.file, folder / v.file.name)
        (folder / "document.toml").write_text(
            f'id = "{doc.id}"\ntitle = "{doc.id}"\nkind = "terms"\n\n[[versions]]\n'
            f'file = "{v.file.name}"\neffective = "{v.effective}"\nformat = "{v.format}"\n',
            encoding="utf-8",
        )
    return corpus


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_corpus_version_is_in_the_database(real_db: Path) -> None:
    conn = sqlite3.connect(real_db)
    docs = load_corpus(DEFAULT_CORPUS)
    assert {r[0] for r in conn.execute("select id from documents")} == {d.id for d in docs}
    keys = {v.key for d in docs for v in d.versions}
    assert {r[0] for r in conn.execute("select id from versions")} == keys
    latest = {r[0] for r in conn.execute("select id from versions where latest = 1")}
    assert latest == {d.latest().key for d in docs}


def test_nodes_match_the_parser(real_db: Path) -> None:
    conn = sqlite3.connect(real_db)
    v = next(d for d in load_corpus(DEFAULT_CORPUS) if d.id == "toreru-camera").latest()
    parsed = read_document(v.file, v.format)
    rows = conn.execute(
        "select node_id, kind, label, caption, text, parent_id, line from nodes "
        "where version_id = ? order by ord",
        [v.key],
    ).fetchall()
    expected = [(n.id, n.kind, n.label, n.caption, n.text, n.parent, n.line) for n in parsed.nodes]
    assert rows == expected
    refs = conn.execute("select count(*) from [references] where version_id = ?", [v.key])
    assert refs.fetchone()[0] == len(parsed.references)
    amendments = conn.execute("select suppl_id from amendments where version_id = ?", [v.key])
    assert [r[0] for r in amendments] == [s.id for s in parsed.supplements]


def test_derived_node_columns(real_db: Path) -> None:
    conn = sqlite3.connect(real_db)
    conn.row_factory = sqlite3.Row
    row = conn.execute(
        "select * from nodes where doc_id = 'toreru-camera' and kind = 'paragraph' "
        "and parent_id like 'art_%' and chapter_id is not null limit 1"
    ).fetchone()
    parent = conn.execute(
        "select * from nodes where version_id = ? and node_id = ?",
        [row["version_id"], row["parent_id"]],
    ).fetchone()
    assert row["article_id"] == parent["node_id"]
    assert row["depth"] == parent["depth"] + 1
    assert row["path"].startswith(parent["path"] + " › ")
    assert row["key"] == f"{row['version_id']}/{row['node_id']}"


def test_schema_integrity_and_descriptions(real_db: Path) -> None:
    conn = sqlite3.connect(real_db)
    assert conn.execute("pragma foreign_key_check").fetchall() == []
    described = schema.datasette_tables()
    for table in schema.TABLES:
        columns = [r[1] for r in conn.execute(f"pragma table_xinfo([{table.name}])")]
        assert columns == list(described[table.name]["columns"])  # type: ignore[arg-type]
        assert all(described[table.name]["columns"].values())  # type: ignore[attr-defined]


def test_cli_json_summary(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path)
    db = tmp_path / "kb.db"
    result = CliRunner().invoke(
        main, ["build", "--corpus", str(corpus), "--db", str(db), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["documents"] == 2 and out["versions"] == 2 and out["parsed"] == 2
    assert out["articles"] > 50 and out["nodes"] > out["articles"]
    assert not (tmp_path / "kb.db.tmp").exists()
    again = CliRunner().invoke(
        main, ["build", "--corpus", str(corpus), "--db", str(db), "-f", "json"]
    )
    assert json.loads(again.stdout)["parsed"] == 0  # -f like the other commands; a no-op now


def test_build_counts_what_check_reports(tmp_path: Path) -> None:
    # one source of truth: the build summary's problem counts are `yakkan check --corpus`'s
    corpus = small_corpus(tmp_path, ("toreru-camera", "dokodemo-merec"))
    db = tmp_path / "kb.db"
    built = CliRunner().invoke(
        main, ["build", "--corpus", str(corpus), "--db", str(db), "-f", "json"]
    )
    assert built.exit_code == 0, built.output
    checked = CliRunner().invoke(
        main, ["check", "--corpus", "--corpus-dir", str(corpus), "-f", "json"]
    )
    summary = json.loads(checked.stdout)["summary"]
    counts = json.loads(built.stdout)["check"]
    assert counts == {lvl: summary["by_level"].get(lvl, 0) for lvl in ("error", "warning", "info")}
    assert counts["error"] > 0 and counts["warning"] > 0
    assert json.loads(built.stdout)["problems"] == summary["problems"]
    text = CliRunner().invoke(main, ["build", "--corpus", str(corpus), "--db", str(db)]).stdout
    assert f"{summary['problems']} problems ({counts['error']} errors" in text


def test_noop_rebuild_parses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = small_corpus(tmp_path)
    db = tmp_path / "kb.db"
    first = kb.build(corpus, db)
    assert first.summary["parsed"] == 2
    calls: list[str] = []
    real = kb.parse_task
    monkeypatch.setattr(kb, "parse_task", lambda job: calls.append(job[0].name) or real(job))
    before = digest(db)
    again = kb.build(corpus, db)
    assert again.up_to_date and calls == [] and digest(db) == before
    forced = kb.build(corpus, db, force=True)  # rebuilt from the parse cache
    assert not forced.up_to_date and calls == [] and forced.summary["reused"] == 2
    assert forced.summary["nodes"] == first.summary["nodes"]


def test_changed_file_is_the_only_one_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = small_corpus(tmp_path)
    db = tmp_path / "kb.db"
    kb.build(corpus, db)
    calls: list[str] = []
    real = kb.parse_task
    monkeypatch.setattr(kb, "parse_task", lambda job: calls.append(job[0].name) or real(job))
    target = next((corpus / "vectant-closed-ip-smart").glob("*.md"))
    target.write_text(target.read_text(encoding="utf-8") + "\n追加の一文です。\n", encoding="utf-8")
    result = kb.build(corpus, db)
    assert calls == [target.name]
    assert result.summary["parsed"] == 1 and result.summary["reused"] == 1
    conn = sqlite3.connect(db)
    assert (
        conn.execute("select count(*) from nodes where text like '%追加の一文%'").fetchone()[0] == 1
    )


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "empty"),
        (b"\x00\x01\x02\xff\xfe" * 200, "binary"),
    ],
)
def test_broken_document_leaves_previous_db(tmp_path: Path, content: bytes, expected: str) -> None:
    corpus = small_corpus(tmp_path)
    db = tmp_path / "kb.db"
    kb.build(corpus, db)
    before = digest(db)
    broken = corpus / "broken-doc"
    broken.mkdir()
    (broken / "2024-01-01.txt").write_bytes(content)
    (broken / "document.toml").write_text(
        'title = "壊れた規約"\n\n[[versions]]\nfile = "2024-01-01.txt"\neffective = "2024-01-01"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["build", "--corpus", str(corpus), "--db", str(db), "-q"])
    assert result.exit_code == 1
    assert "broken-doc/2024-01-01.txt" in result.stderr
    assert expected in result.stderr.lower()
    assert "Traceback" not in result.output
    assert digest(db) == before
    assert not (tmp_path / "kb.db.tmp").exists()


def test_bad_metadata_names_the_file(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path)
    (corpus / "toreru-camera" / "document.toml").write_text("title = [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", "--corpus", str(corpus), "--db", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 1
    assert "toreru-camera/document.toml" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_steps_are_a_list_of_functions() -> None:
    # Other engineers add their build step to this list (docs/database.md).
    assert kb.STEPS[0] is kb.step_schema and kb.STEPS[-1] is kb.step_meta
    assert all(callable(s) for s in kb.STEPS)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('effective = "someday"', "effective: 'someday' is not a date (use YYYY-MM-DD)"),
        ('constructed = "no"', "constructed must be true or false, not 'no'"),
    ],
)
def test_bad_version_values_are_refused(tmp_path: Path, line: str, expected: str) -> None:
    # A non-date effective was accepted (string-compared later); "no" made a version constructed.
    corpus = small_corpus(tmp_path, ("toreru-camera",))
    db = tmp_path / "kb.db"
    assert (
        CliRunner().invoke(main, ["build", "--corpus", str(corpus), "--db", str(db)]).exit_code == 0
    )
    before = digest(db)
    toml = corpus / "toreru-camera" / "document.toml"
    text = toml.read_text(encoding="utf-8")
    key = line.partition(" =")[0]
    kept = [x for x in text.splitlines() if not x.startswith(f"{key} =")]
    toml.write_text("\n".join([*kept, line]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--corpus", str(corpus), "--db", str(db)])
    assert result.exit_code == 1
    name = next(p.name for p in toml.parent.iterdir() if p.suffix == ".txt")
    assert f"{toml}: {name}: {expected}" in result.stderr
    assert digest(db) == before


def test_db_path_that_is_not_a_database_is_not_replaced(tmp_path: Path) -> None:
    # `yakkan build --db README.md` used to replace the file with a fresh knowledge base.
    corpus = small_corpus(tmp_path, ("toreru-camera",))
    notes = tmp_path / "notes.md"
    shutil.copy(DEFAULT_CORPUS.parent / "README.md", notes)
    before = digest(notes)
    for cmd in ("build", "serve"):
        result = CliRunner().invoke(main, [cmd, "--corpus", str(corpus), "--db", str(notes)])
        assert result.exit_code == 1
        assert f"{notes}: not an SQLite database; refusing to replace it" in result.stderr
        assert digest(notes) == before
