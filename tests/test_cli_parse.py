"""``yakkan parse``: output formats on real corpus documents; bad input → exit 2, no traceback."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from versions.cli import main
from versions.sources.corpus import VersionEntry, find_version, load_corpus

pytest.importorskip("extract.parse")

TOP_KEYS = {"source", "title", "nodes", "supplements", "references", "definitions",
            "diagnostics", "artefacts"}  # fmt: skip
NODE_KEYS = {"id", "kind", "num", "label", "caption", "text", "parent", "line", "end_line",
             "segments"}  # fmt: skip
VERSIONS = [v for doc in load_corpus() for v in doc.versions]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["parse", *args])


@pytest.mark.parametrize("version", VERSIONS, ids=[v.key for v in VERSIONS])
def test_json_contract_on_every_corpus_version(version: VersionEntry) -> None:
    result = run(str(version.file), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc.keys() >= TOP_KEYS
    data = version.file.read_bytes()
    assert doc["source"] == {
        "path": str(version.file),
        "sha256": hashlib.sha256(data).hexdigest(),
        "encoding": "utf-8",
        "format": "markdown" if version.format == "markdown" else "text",
    }
    assert doc["nodes"], "every corpus document has nodes"
    ids = [n["id"] for n in doc["nodes"]]
    assert len(ids) == len(set(ids))
    for node in doc["nodes"]:
        assert node.keys() >= NODE_KEYS
        assert node["id"].isascii()
        assert node["parent"] is None or node["parent"] in ids
    assert "\\u" not in result.stdout, "JSON keeps Japanese readable (ensure_ascii=False)"


def test_corpus_spec_resolves_to_version_in_force() -> None:
    result = run("kojin-joho-hogo-ho@2016-01-01", "--format", "json")
    assert result.exit_code == 0, result.output
    expected = find_version("kojin-joho-hogo-ho@2016-01-01").file
    assert expected.name == "2015-12-01.txt"
    assert json.loads(result.stdout)["source"]["path"] == str(expected)


def test_tree_is_an_indented_outline() -> None:
    path = find_version("toreru-camera").file
    doc = json.loads(run(str(path), "--format", "json").stdout)
    result = run(str(path), "--format", "tree")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == (doc["title"] or "(untitled)")
    assert "utf-8" in lines[1] and str(path) in lines[1]
    body = lines[3 : 3 + len(doc["nodes"])]
    assert len(body) == len(doc["nodes"])
    depth = {}
    for node, line in zip(doc["nodes"], body, strict=True):
        indent = (len(line) - len(line.lstrip(" "))) // 2
        depth[node["id"]] = indent
        if node["parent"]:
            assert indent == depth[node["parent"]] + 1, line
        label = node["label"] or ""
        assert line.strip().startswith(label), (label, line)
    art = next(n for n in doc["nodes"] if n["kind"] == "article" and n["caption"])
    assert any(f"{art['label']}（{art['caption']}）" in line for line in body)


def test_text_is_one_line_per_node() -> None:
    path = find_version("shohisha-keiyaku-ho").file
    doc = json.loads(run(str(path), "--format", "json").stdout)
    lines = run(str(path), "--format", "text").stdout.splitlines()
    assert len(lines) == len(doc["nodes"])
    for node, line in zip(doc["nodes"], lines, strict=True):
        cols = line.split("\t")
        assert cols[:3] == [node["id"], node["label"], node["caption"] or ""]


def test_cp932_file_reports_its_encoding(tmp_path: Path) -> None:
    text = find_version("shohisha-keiyaku-ho").file.read_text(encoding="utf-8")
    path = tmp_path / "sjis.txt"
    path.write_bytes(text.encode("cp932"))
    result = run(str(path), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["source"]["encoding"] == "cp932"


def test_prose_without_articles_is_one_node(tmp_path: Path) -> None:
    path = tmp_path / "prose.txt"
    path.write_text("この文書には条文がありません。\nただの説明文が続きます。\n", encoding="utf-8")
    result = run(str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["nodes"]) == 1


def _bad_inputs(tmp: Path) -> dict[str, tuple[str, str]]:
    """name → (PATH argument, words the message must contain)."""
    (tmp / "empty.txt").write_bytes(b"")
    (tmp / "binary.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp / "undecodable.txt").write_bytes("第1条（目的）\n".encode() + b"\xff\xfe\x80 \xfd\n")
    with (tmp / "huge.txt").open("wb") as handle:  # sparse: 50 MB without writing 50 MB
        handle.truncate(50 * 1024 * 1024)
    (tmp / "folder").mkdir()
    return {
        "empty": (str(tmp / "empty.txt"), "empty"),
        "binary": (str(tmp / "binary.png"), "binary"),
        "undecodable": (str(tmp / "undecodable.txt"), "cannot decode"),
        "huge": (str(tmp / "huge.txt"), "too large"),
        "directory": (str(tmp / "folder"), "directory"),
        "missing": (str(tmp / "missing.txt"), "no such file"),
        "unknown corpus document": ("no-such-document", "no such file or corpus document"),
        "date before first version": ("kojin-joho-hogo-ho@1990-01-01", "before the first"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "empty",
        "binary",
        "undecodable",
        "huge",
        "directory",
        "missing",
        "unknown corpus document",
        "date before first version",
    ],
)
@pytest.mark.parametrize("output", ["tree", "json"])
def test_bad_input_exits_2_with_one_line(tmp_path: Path, case: str, output: str) -> None:
    arg, words = _bad_inputs(tmp_path)[case]
    result = run(arg, "--format", output)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"yakkan: {arg}")
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("第1条 本文", encoding="utf-8")
    path.chmod(0)
    result = run(str(path))
    assert result.exit_code == 2
    assert "permission denied" in result.stderr


def test_help_has_examples() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "--format" in result.stdout


def test_standard_input_in_euc_jp() -> None:
    text = find_version("shohisha-keiyaku-ho").file.read_text(encoding="utf-8")
    result = CliRunner().invoke(
        main, ["parse", "-", "--format", "json"], input=text.encode("euc_jp")
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["source"]["path"] == "<stdin>" and doc["source"]["encoding"] == "euc-jp"
    expected = json.loads(
        run(str(find_version("shohisha-keiyaku-ho").file), "--format", "json").stdout
    )
    assert [n["id"] for n in doc["nodes"]] == [n["id"] for n in expected["nodes"]]


def test_parser_bug_is_a_message_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import extract.parse

    def broken(data: bytes, path: str = "", fmt: str | None = None) -> None:
        raise IndexError("string index out of range")

    monkeypatch.setattr(extract.parse, "parse_bytes", broken)
    monkeypatch.delenv("YAKKAN_DEBUG", raising=False)
    path = tmp_path / "doc.txt"
    path.write_text("第1条 本文", encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"yakkan: {path}: internal error")
    assert "IndexError" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("spec", ["toreru-camera@2023-13-45", "toreru-camera@xyz",
                                  "toreru-camera@20231201"])  # fmt: skip
def test_malformed_date_in_spec_is_refused(spec: str) -> None:
    # It used to be compared as a string and silently picked some version.
    result = run(spec)
    assert result.exit_code == 2
    assert "is not a date (use YYYY-MM-DD)" in result.stderr and spec in result.stderr
    assert "Traceback" not in result.output


def test_undated_version_by_file_stem() -> None:
    published = find_version("itkeeper-remote-network@published")
    assert published.file.name == "published.txt"
    result = run("itkeeper-remote-network@2020-01-01")
    assert result.exit_code == 2
    assert "no dated version; use itkeeper-remote-network@published" in result.stderr


def test_doc_from_another_corpus_folder(tmp_path: Path) -> None:
    # parse only knew the repository's corpus/, unlike diff/asof/history (--corpus DIRECTORY).
    version = find_version("dokodemo-merec@2023-09-19")
    folder = tmp_path / "my-terms"
    folder.mkdir()
    (folder / "v1.txt").write_bytes(version.file.read_bytes())
    (folder / "document.toml").write_text(
        '[[versions]]\nfile = "v1.txt"\neffective = 2024-04-01\n', encoding="utf-8"
    )
    ours = run("my-terms@2024-05-01", "--corpus", str(tmp_path), "-f", "json")
    assert ours.exit_code == 0, ours.output
    theirs = run(str(version.file), "--format", "json")
    assert json.loads(ours.stdout)["nodes"] == json.loads(theirs.stdout)["nodes"]
    assert run("my-terms").exit_code == 2  # not in the default corpus
