"""document.toml is validated in one place (versions/sources/corpus.py), so every command refuses
the same hostile or malformed metadata with the same one line: version files outside their
document folder, bad ids, wrong types, unknown formats, duplicates, FIFOs, huge files."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_build import small_corpus

from versions.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOC = "vectant-closed-ip-smart"
FILE = "2017-07-17.md"
SECRET = "社外秘の文書です。"


def corpus_with(tmp_path: Path, versions: str, head: str = "") -> Path:
    """A one-document corpus (a real document) whose document.toml ends with ``versions``."""
    corpus = small_corpus(tmp_path, (DOC,))
    (tmp_path / "secret.txt").write_text(f"秘密\n\n第1条（目的）\n{SECRET}\n", encoding="utf-8")
    toml = corpus / DOC / "document.toml"
    toml.write_text(f'{head or f"id = {DOC!r}"}\ntitle = "t"\n{versions}\n', encoding="utf-8")
    return corpus


def commands(corpus: Path, db: Path) -> dict[str, list[str]]:
    c = str(corpus)
    return {
        "build": ["build", "--corpus", c, "--db", str(db), "-q"],
        "parse": ["parse", DOC, "--corpus", c, "-f", "json"],
        "check": ["check", "--corpus", "--corpus-dir", c],
        "refs": ["refs", "--to", "第1条", "--corpus", c],
        "asof": ["asof", DOC, "2024-01-01", "--corpus", c],
        "diff": ["diff", DOC, DOC, "--corpus", c],
        "history": ["history", DOC, "第1条", "--corpus", c],
    }


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def assert_refused_everywhere(tmp_path: Path, corpus: Path, *needles: str) -> None:
    """Every command exits non-zero with the message, no traceback, nothing published."""
    db = tmp_path / "kb.db"
    toml = str(corpus / DOC / "document.toml")
    for name, args in commands(corpus, db).items():
        code, err = run(args)
        assert code != 0, name
        first = err.splitlines()[0]
        assert toml in first and all(n in first for n in needles), (name, err)
        assert "Traceback" not in err, (name, err)
    assert not db.exists()


VALID = f'[[versions]]\nfile = "{FILE}"\neffective = "2017-07-17"\n'


@pytest.mark.parametrize(
    "name",
    ["../../secret.txt", "../../../../../../etc/passwd", "sub/../../../secret.txt"],
)
def test_a_version_file_outside_the_document_folder_is_refused(tmp_path: Path, name: str) -> None:
    corpus = corpus_with(tmp_path, f'[[versions]]\nfile = "{name}"\n')
    assert_refused_everywhere(tmp_path, corpus, repr(name), "must be a path inside")


def test_an_absolute_version_path_is_refused(tmp_path: Path) -> None:
    secret = str(tmp_path / "secret.txt")
    corpus = corpus_with(tmp_path, f"[[versions]]\nfile = {secret!r}\n")
    assert_refused_everywhere(tmp_path, corpus, repr(secret), "must be a path inside")


def test_a_symlink_out_of_the_corpus_is_refused(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, '[[versions]]\nfile = "2020-01-01.txt"\n')
    (corpus / DOC / "2020-01-01.txt").symlink_to(tmp_path / "secret.txt")
    assert_refused_everywhere(tmp_path, corpus, "'2020-01-01.txt'", "leads outside")


def test_a_document_folder_symlinked_out_of_the_corpus_is_refused(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, VALID)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_bytes((tmp_path / "secret.txt").read_bytes())
    (outside / "document.toml").write_text('[[versions]]\nfile = "secret.txt"\n', encoding="utf-8")
    (corpus / "evil").symlink_to(outside)
    code, err = run(["build", "--corpus", str(corpus), "--db", str(tmp_path / "kb.db"), "-q"])
    assert code == 1 and "evil/document.toml: the document folder leads outside" in err


def test_a_document_toml_symlinked_out_of_its_folder_is_refused(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, VALID)
    toml = corpus / DOC / "document.toml"
    outside = tmp_path / "elsewhere.toml"
    outside.write_text(f'id = {DOC!r}\ntitle = "{SECRET}"\n{VALID}', encoding="utf-8")
    toml.unlink()
    toml.symlink_to(outside)
    assert_refused_everywhere(tmp_path, corpus, "leads outside")


def test_a_symlink_inside_the_document_folder_is_read(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, '[[versions]]\nfile = "latest.md"\neffective = "2017-07-17"\n')
    (corpus / DOC / "latest.md").symlink_to(FILE)
    db = tmp_path / "kb.db"
    code, err = run(commands(corpus, db)["build"])
    assert code == 0, err
    with sqlite3.connect(db) as conn:
        assert conn.execute("select file from versions").fetchone()[0] == f"{DOC}/latest.md"


def test_nothing_outside_the_corpus_reaches_the_database(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, VALID)
    db = tmp_path / "kb.db"
    assert run(commands(corpus, db)["build"])[0] == 0
    before = db.read_bytes()
    toml = corpus / DOC / "document.toml"
    toml.write_text(toml.read_text() + '\n[[versions]]\nfile = "../../secret.txt"\n')
    assert run(commands(corpus, db)["build"])[0] == 1
    assert db.read_bytes() == before and SECRET.encode() not in before


@pytest.mark.parametrize("bad", ["../other", "a/b", "doc@2024", "規約", "..", ".hidden", "a b"])
def test_document_ids_are_validated(tmp_path: Path, bad: str) -> None:
    corpus = corpus_with(tmp_path, VALID, head=f"id = {bad!r}")
    code, err = run(commands(corpus, tmp_path / "kb.db")["build"])
    assert code == 1
    assert f"document.toml: id: {bad!r} is not a document id" in err.splitlines()[0]


def test_a_spec_cannot_name_a_folder_outside_the_corpus(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, VALID)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "document.toml").write_text(VALID)
    code, err = run(["asof", "../outside", "2024-01-01", "--corpus", str(corpus)])
    assert code != 0 and "'../outside' is not a document id" in err


def test_duplicate_document_ids_are_named(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, VALID)
    twin = corpus / "twin"
    twin.mkdir()
    (twin / FILE).write_bytes((corpus / DOC / FILE).read_bytes())
    (twin / "document.toml").write_text(f"id = {DOC!r}\n{VALID}", encoding="utf-8")
    code, err = run(commands(corpus, tmp_path / "kb.db")["build"])
    assert code == 1 and "IntegrityError" not in err
    twin_toml, ours = twin / "document.toml", corpus / DOC / "document.toml"
    assert f"{ours}: duplicate document id {DOC!r} (also in {twin_toml})" in err


def test_duplicate_versions_are_named(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, VALID + VALID.replace(FILE, "copy.md"))
    (corpus / DOC / "copy.md").write_bytes((corpus / DOC / FILE).read_bytes())
    msg = f"duplicate version {DOC}@2017-07-17: '{FILE}' and 'copy.md'"
    assert_refused_everywhere(tmp_path, corpus, msg)
    (corpus / DOC / "document.toml").write_text(
        VALID + VALID.replace('"2017-07-17"', '"2018-01-01"')
    )
    code, err = run(commands(corpus, tmp_path / "kb.db")["build"])
    assert code == 1 and f"version file '{FILE}' is listed twice" in err


@pytest.mark.parametrize(
    "versions, needle",
    [
        ("versions = [1, 2]", "versions entry 1 must be a table"),
        ('versions = ["a.md"]', "versions entry 1 must be a table"),
        ("versions = 3", "no [[versions]] listed"),
        (VALID + "label = 3\n", "label must be a string"),
        (f"[[versions]]\nfile = {FILE!r}\nconstructed = 'yes'\n", "constructed must be true"),
        (f"[[versions]]\nfile = {FILE!r}\nformat = 'pdf'\n", "unknown format 'pdf'"),
        (f"[[versions]]\nfile = {FILE!r}\neffective = false\n", "effective must be a date"),
        (f"[[versions]]\nfile = {FILE!r}\neffective = ''\n", "effective must be a date"),
        (f"[[versions]]\nfile = {FILE!r}\neffective = 20240101\n", "effective must be a date"),
        (f"[[versions]]\nfile = {FILE!r}\neffective = '2024-02-30'\n", "is not a date"),
        ("title = 3\n" + VALID, "title must be a string"),
        ('[[versions]]\nfile = "a\\u0000b.md"\n', "holds a control character"),
    ],
)
def test_schema_errors_are_one_line_in_every_command(
    tmp_path: Path, versions: str, needle: str
) -> None:
    corpus = corpus_with(tmp_path, versions)
    if versions.startswith("title"):
        toml = corpus / DOC / "document.toml"
        toml.write_text(toml.read_text().replace('title = "t"\n', ""))
    assert_refused_everywhere(tmp_path, corpus, needle)


def test_a_toml_date_literal_is_an_effective_date(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, f"[[versions]]\nfile = {FILE!r}\neffective = 2017-07-17\n")
    code, err = run(commands(corpus, tmp_path / "kb.db")["asof"])
    assert code == 0, err


# --- non-regular and huge files: refused, never waited on or read whole ---------------------


def cli(*args: str, limit_memory: bool = False) -> subprocess.CompletedProcess[str]:
    """The real command in a subprocess: a hang fails the test (timeout) instead of blocking."""
    code = "import sys; from versions.cli import main; sys.argv[0] = 'yakkan'; main()"

    def cap() -> None:  # 1.5 GB of address space: reading a 3 GB file whole would fail
        resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024,) * 2)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap if limit_memory else None,
    )


def fifo_commands(corpus: Path, db: Path) -> list[list[str]]:
    c = str(corpus)
    return [
        ["build", "--corpus", c, "--db", str(db), "-q"],
        ["check", "--corpus", "--corpus-dir", c],
        ["refs", "--to", "第1条", "--corpus", c],
        ["parse", DOC, "--corpus", c],
        ["asof", DOC, "2024-01-01", "--corpus", c],
    ]


def test_a_fifo_as_document_toml_is_refused(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, VALID)
    toml = corpus / DOC / "document.toml"
    toml.unlink()
    os.mkfifo(toml)
    for args in fifo_commands(corpus, tmp_path / "kb.db"):
        done = cli(*args)
        assert done.returncode != 0, args
        assert f"{toml}: cannot read document metadata: not a regular file" in done.stderr


def test_a_fifo_as_version_file_is_refused(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, '[[versions]]\nfile = "pipe.txt"\n')
    os.mkfifo(corpus / DOC / "pipe.txt")
    for args in fifo_commands(corpus, tmp_path / "kb.db"):
        done = cli(*args)
        assert done.returncode != 0, args
        assert "version file 'pipe.txt' is not a regular file" in done.stderr, args


def test_a_fifo_as_baseline_is_refused(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, VALID)
    fifo = tmp_path / "baseline.json"
    os.mkfifo(fifo)
    for option in ("--baseline", "--write-baseline"):
        done = cli("check", "--corpus", "--corpus-dir", str(corpus), option, str(fifo))
        assert done.returncode == 2
        assert f"{fifo}: cannot" in done.stderr and "not a regular file" in done.stderr


def test_a_huge_version_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, '[[versions]]\nfile = "huge.txt"\n')
    with open(corpus / DOC / "huge.txt", "wb") as f:  # sparse: 3 GB that take no disk
        f.truncate(3 * 1024**3)
    done = cli("build", "--corpus", str(corpus), "--db", str(tmp_path / "kb.db"), "-q",
               limit_memory=True)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "huge.txt: file too large (3072.0 MB; the limit is 20.0 MB)" in done.stderr
    assert "MemoryError" not in done.stderr


def test_a_fifo_as_database_or_as_a_file_argument_is_refused(tmp_path: Path) -> None:
    corpus = corpus_with(tmp_path, VALID)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    done = cli("build", "--corpus", str(corpus), "--db", str(fifo), "-q")
    assert (
        done.returncode == 1
        and f"{fifo}: not a regular file; refusing to replace it" in done.stderr
    )
    for args in (["diff", str(fifo), str(corpus / DOC / FILE)], ["parse", str(fifo)]):
        done = cli(*args)
        assert done.returncode == 2 and f"yakkan: {fifo}: not a regular file" in done.stderr, args


@pytest.mark.parametrize("spec", ["a\x00b", "x" * 300, "toreru-camera@" + "9" * 5000])
def test_a_name_the_system_cannot_look_up_is_one_line(spec: str) -> None:
    for args in (
        ["parse", spec],
        ["check", spec],
        ["diff", spec, "toreru-camera"],
        ["refs", "--to", "第1条", "--doc", spec],
        ["asof", spec, "2024-01-01"],
        ["history", spec, "第1条"],
    ):
        code, err = run(args)
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, (args[0], err)
        assert "NUL byte" in err or "too long" in err or "not a document id" in err, (args, err)


def test_a_fifo_as_diff_output_is_refused(tmp_path: Path) -> None:
    # `diff -o FIFO` opened the FIFO for writing and waited for a reader forever.
    fifo = tmp_path / "out.html"
    os.mkfifo(fifo)
    done = cli("diff", "toreru-camera@2023-12-01", "toreru-camera@2024-10-01", "-o", str(fifo))
    assert done.returncode == 2
    assert f"yakkan: {fifo}: cannot write: not a regular file" in done.stderr
    out = tmp_path / "table.html"
    done = cli("diff", "toreru-camera@2023-12-01", "toreru-camera@2024-10-01", "-o", str(out))
    assert done.returncode == 0 and "改正後" in out.read_text(encoding="utf-8")


def test_a_document_is_found_by_its_id_whatever_its_folder_is_called(tmp_path: Path) -> None:
    """document.toml's ``id`` names the document (the folder name is only its default): every
    command finds it by that id (asof read the folder of that name and failed with a traceback)."""
    law = Path(__file__).parent / "fixtures" / "statutes" / "enacted-with-later-articles.txt"
    folder = tmp_path / "corpus" / "law"
    folder.mkdir(parents=True)
    text = law.read_text(encoding="utf-8")
    (folder / "2024-01-01.txt").write_text(text, encoding="utf-8")
    (folder / "2024-06-01.txt").write_text(text.replace("三十万円", "五十万円"), encoding="utf-8")
    (folder / "document.toml").write_text(
        'id = "mihon-ho"\ntitle = "見本保護法"\nkind = "statute"\n'
        '[[versions]]\nfile = "2024-01-01.txt"\neffective = "2024-01-01"\n'
        '[[versions]]\nfile = "2024-06-01.txt"\neffective = "2024-06-01"\n',
        encoding="utf-8",
    )
    corpus = str(tmp_path / "corpus")
    runs = {
        "asof": ["asof", "mihon-ho", "2024-02-01", "--corpus", corpus, "--clause", "第四条"],
        "parse": ["parse", "mihon-ho@2024-01-01", "--corpus", corpus, "-f", "text"],
        "diff": ["diff", "mihon-ho@2024-01-01", "mihon-ho", "--corpus", corpus],
        "check": ["check", "mihon-ho", "--corpus-dir", corpus],
    }
    out = {name: CliRunner().invoke(main, args) for name, args in runs.items()}
    assert {name: r.exit_code for name, r in out.items()} == dict.fromkeys(runs, 0), {
        name: r.output[-300:] for name, r in out.items()
    }
    assert "三十万円以下の罰金" in out["asof"].output
    assert "art_3-2" in out["parse"].output
    assert "<u>五十万</u>円" in out["diff"].output
