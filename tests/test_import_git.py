"""yakkan import-git on real git repositories built in temporary folders."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import git
import pytest
from click.testing import CliRunner

from versions.cli import main
from versions.sources.corpus import load_document

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
VERSIONS = ["2021-03-01.txt", "2021-05-11.txt", "2023-12-01.txt"]


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A repository whose terms/kiyaku.txt went through three amendments (toreru-camera texts)."""
    root = tmp_path / "repo"
    r = git.Repo.init(root)
    (root / "terms").mkdir()
    for i, name in enumerate(VERSIONS):
        (root / "terms" / "kiyaku.txt").write_bytes((CORPUS / "toreru-camera" / name).read_bytes())
        r.index.add(["terms/kiyaku.txt"])
        actor = git.Actor("Legal Team", "legal@example.com")
        r.index.commit(f"改定 {i + 1}: {name}", author=actor, committer=actor)
    (root / "README").write_text("unrelated\n")
    r.index.add(["README"])
    r.index.commit("unrelated commit")
    return root


def test_import_writes_one_version_per_commit(repo: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    args = ["import-git", str(repo), "terms/kiyaku.txt", "--doc", "kiyaku", "--corpus", str(corpus)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    doc = load_document(corpus / "kiyaku")
    # effective dates come from the latest 附則 of each text, not from the commit date
    assert [v.effective for v in doc.versions] == ["2021-03-01", "2021-05-11", "2023-12-01"]
    raw = tomllib.loads((corpus / "kiyaku" / "document.toml").read_text(encoding="utf-8"))
    shas = [v["commit_sha"] for v in raw["versions"]]
    assert len(set(shas)) == 3 and all(len(s) == 40 for s in shas)
    assert raw["versions"][0]["commit_author"] == "Legal Team <legal@example.com>"
    assert raw["versions"][2]["commit_message"].startswith("改定 3")
    assert raw["versions"][0]["commit_date"][:4].isdigit()
    for v in doc.versions:
        assert v.file.read_bytes() == (CORPUS / "toreru-camera" / v.file.name).read_bytes()
    assert doc.title == "kiyaku"  # these texts print no title line: the id


def test_import_is_idempotent_and_adds_new_commits(repo: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    args = ["import-git", str(repo), "terms/kiyaku.txt", "--doc", "kiyaku", "--corpus", str(corpus)]
    CliRunner().invoke(main, args)
    before = (corpus / "kiyaku" / "document.toml").read_text(encoding="utf-8")
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0
    assert (corpus / "kiyaku" / "document.toml").read_text(encoding="utf-8") == before
    r = git.Repo(repo)
    new_text = (CORPUS / "toreru-camera" / "2024-10-01.txt").read_bytes()
    (repo / "terms" / "kiyaku.txt").write_bytes(new_text)
    r.index.add(["terms/kiyaku.txt"])
    r.index.commit("改定 4")
    third = CliRunner().invoke(main, args)
    assert third.exit_code == 0
    doc = load_document(corpus / "kiyaku")
    assert [v.effective for v in doc.versions][-1] == "2024-10-01"
    assert len(doc.versions) == 4


def test_not_a_repository(tmp_path: Path) -> None:
    args = ["import-git", str(tmp_path), "x.txt", "--doc", "x", "--corpus", str(tmp_path / "c")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "not a git repository" in result.output
    assert "Traceback" not in result.output


def test_build_keeps_commit_metadata_and_aligns(repo: Path, tmp_path: Path) -> None:
    import sqlite3

    from versions.kb.build import build

    corpus = tmp_path / "corpus"
    args = ["import-git", str(repo), "terms/kiyaku.txt", "--doc", "kiyaku", "--corpus", str(corpus)]
    assert CliRunner().invoke(main, args).exit_code == 0
    db = tmp_path / "k.db"
    build(corpus, db)
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "select id, commit_sha, commit_author from versions order by ord"
    ).fetchall()
    assert [r[0] for r in rows] == ["kiyaku@2021-03-01", "kiyaku@2021-05-11", "kiyaku@2023-12-01"]
    assert all(len(r[1]) == 40 and r[2] == "Legal Team <legal@example.com>" for r in rows)
    renumbered = conn.execute(
        "select old_node, new_node from clause_alignments where type = 'renumbered' "
        "and old_version = 'kiyaku@2021-05-11' and level = 0 order by old_node"
    ).fetchall()
    assert ("art_44", "art_45") in renumbered and ("art_51", "art_52") in renumbered


def test_json_output(repo: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    args = ["import-git", str(repo), "terms/kiyaku.txt", "--doc", "kiyaku", "--corpus", str(corpus)]
    first = CliRunner().invoke(main, [*args, "--format", "json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["doc"] == "kiyaku" and data["skipped"] == 0
    assert [Path(p).name for p in data["added"]] == VERSIONS
    again = json.loads(CliRunner().invoke(main, [*args, "-f", "json"]).stdout)
    assert again == {"doc": "kiyaku", "added": [], "skipped": 3}


HOSTILE = '直す \x1b[31m赤\x1b[0m\x07 "引用" back\\slash\ttab\r\n二行目\x7f\x0b\x0c end'


def test_control_characters_in_commit_messages_round_trip(repo: Path, tmp_path: Path) -> None:
    r = git.Repo(repo)
    path = repo / "terms" / "kiyaku.txt"
    path.write_bytes(path.read_bytes() + "\n追記です。\n".encode())
    r.index.add(["terms/kiyaku.txt"])
    r.index.commit(HOSTILE)
    corpus = tmp_path / "corpus"
    args = ["import-git", str(repo), "terms/kiyaku.txt", "--doc", "kiyaku", "--corpus", str(corpus)]
    assert CliRunner().invoke(main, args).exit_code == 0
    raw = tomllib.loads((corpus / "kiyaku" / "document.toml").read_text(encoding="utf-8"))
    assert raw["versions"][-1]["commit_message"] == r.head.commit.message.strip() == HOSTILE
    assert raw["versions"][-1]["label"] == HOSTILE.splitlines()[0]
    assert len(load_document(corpus / "kiyaku").versions) == 4
    again = CliRunner().invoke(main, args)  # reads its own document.toml back
    assert again.exit_code == 0, again.output
    built = CliRunner().invoke(
        main, ["build", "--corpus", str(corpus), "--db", str(tmp_path / "kb.db"), "-q"]
    )
    assert built.exit_code == 0, built.output


def test_doc_folder_that_is_a_file_is_an_error(repo: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kiyaku").write_text("not a folder")
    args = ["import-git", str(repo), "terms/kiyaku.txt", "--doc", "kiyaku", "--corpus", str(corpus)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and not isinstance(result.exception, OSError)
    assert f"yakkan: {corpus / 'kiyaku'}: exists and is not a folder" in result.stderr
    assert (corpus / "kiyaku").read_text() == "not a folder"


def test_two_versions_in_force_on_one_day_stop_the_import(repo: Path, tmp_path: Path) -> None:
    r = git.Repo(repo)
    path = repo / "terms" / "kiyaku.txt"
    for fix in ("誤字の訂正。", "もう一つの訂正。"):  # the same 附則, committed the same day
        path.write_bytes(path.read_bytes() + f"\n{fix}\n".encode())
        r.index.add(["terms/kiyaku.txt"])
        r.index.commit(fix)
    corpus = tmp_path / "corpus"
    args = ["import-git", str(repo), "terms/kiyaku.txt", "--doc", "kiyaku", "--corpus", str(corpus)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "would be a second version in force on" in result.stderr
    assert list((corpus / "kiyaku").iterdir()) == []  # nothing half-imported


@pytest.mark.parametrize("bad", ["../escape", "a/b", "x@y", ".."])
def test_doc_id_is_validated(repo: Path, tmp_path: Path, bad: str) -> None:
    args = ["import-git", str(repo), "terms/kiyaku.txt", "--doc", bad, "--corpus", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "is not a document id" in result.stderr
    assert not (tmp_path.parent / "escape").exists()


def test_a_huge_file_in_the_history_is_refused_by_its_size(repo: Path, tmp_path: Path) -> None:
    r = git.Repo(repo)
    (repo / "terms" / "kiyaku.txt").write_bytes(b"\0" * (21 * 1024 * 1024))
    r.index.add(["terms/kiyaku.txt"])
    r.index.commit("a 21 MB mistake")
    corpus = tmp_path / "corpus"
    args = ["import-git", str(repo), "terms/kiyaku.txt", "--doc", "kiyaku", "--corpus", str(corpus)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert (
        "terms/kiyaku.txt@" in result.stderr
        and "file too large (22,020,096 bytes)" in result.stderr
    )


def test_a_new_document_is_titled_as_its_latest_text_prints_it(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    r = git.Repo.init(root)
    gym = Path(__file__).parent / "fixtures" / "formats" / "gym-kaiin-kiyaku.txt"
    (root / "terms.txt").write_bytes(gym.read_bytes())
    r.index.add(["terms.txt"])
    r.index.commit("初版", author=git.Actor("Legal", "l@example.com"))
    corpus = tmp_path / "corpus"
    args = ["import-git", str(root), "terms.txt", "--doc", "gym", "--corpus", str(corpus)]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert load_document(corpus / "gym").title == "フィットネスクラブ会員規約"
