"""``yakkan refs --to ID``: who cites a clause, its children, and from other documents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from versions.cli import main
from versions.sources.corpus import find_version
from versions.sources.files import read_document

pytest.importorskip("extract.parse")

TORERU = "toreru-camera@2023-12-01"
LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<source>\S+) .* cites (?P<target>\S+)"
    r" as 「(?P<text>.*)」 \[(?P<status>\w+)\]"
)


def refs(*args: str) -> Result:
    return CliRunner().invoke(main, ["refs", *args])


def printed(path: Path, line: int) -> str:
    return "".join(path.read_text(encoding="utf-8").splitlines()[line - 1].split())


def test_article_cited_in_the_same_document() -> None:
    # 第2条第3項・第4項: 「第 19条及び第 20条に従い」 — printed with a space, found anyway
    result = refs("--to", "art_19", "--doc", TORERU)
    assert result.exit_code == 0, result.output
    head, *lines = result.stdout.splitlines()
    assert "art_19" in head and "契約者による一部解約" in head
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    sources = {m["source"] for m in matches if m}
    assert {"art_2__para_3", "art_2__para_4"} <= sources
    path = find_version(TORERU).file
    for m in matches:
        assert m is not None
        assert "".join(m["text"].split()) in printed(path, int(m["line"]))


def test_children_are_included_and_json_matches_the_parse() -> None:
    result = refs("--to", "art_19", "--doc", TORERU, "--format", "json")
    data = json.loads(result.stdout)
    assert data["target"] == "art_19" and data["count"] == len(data["citations"])
    v = find_version(TORERU)
    doc = read_document(v.file, v.format)
    cited = {n.id for n in doc.nodes if n.id == "art_19" or n.id.startswith("art_19__")}
    expected = {(r.source, r.line, r.column) for r in doc.references if r.target in cited}
    got = {(c["source"], c["line"], c["column"]) for c in data["citations"]}
    assert got == expected
    targets = {c["target"] for c in data["citations"]}
    assert "art_19" in targets and any(t.startswith("art_19__") for t in targets)
    inside = [c for c in data["citations"] if c["inside"]]
    assert inside and all(c["source"].startswith("art_19__") for c in inside)


def test_narrower_target_lists_fewer() -> None:
    whole = json.loads(refs("--to", "art_19", "--doc", TORERU, "--format", "json").stdout)
    para = json.loads(refs("--to", "art_19__para_1", "--doc", TORERU, "--format", "json").stdout)
    assert 0 < para["count"] < whole["count"]
    assert all(c["target"].startswith("art_19__para_1") for c in para["citations"])


def test_cross_document_citation() -> None:
    # とれ～る 第43条第7項 cites 「個人情報の保護に関する法律…第27条第5項第１号」
    data = json.loads(
        refs("--to", "art_27", "--doc", "kojin-joho-hogo-ho", "--format", "json").stdout
    )
    cross = [c for c in data["citations"] if c["cross_document"]]
    assert cross, data["count"]
    assert {c["document"] for c in cross} == {"toreru-camera"}
    assert all(c["target"].startswith("art_27__para_5") for c in cross)
    same = [c for c in data["citations"] if not c["cross_document"]]
    assert len(same) > 10  # 第二十七条 is cited throughout the statute


def test_doc_given_as_a_path() -> None:
    path = find_version(TORERU).file
    by_path = json.loads(refs("--to", "art_19", "--doc", str(path), "--format", "json").stdout)
    by_name = json.loads(refs("--to", "art_19", "--doc", TORERU, "--format", "json").stdout)
    assert by_path["citations"] == by_name["citations"]


def test_without_doc_every_document_with_the_clause() -> None:
    result = refs("--to", "art_3", "--format", "json")
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) >= 5
    assert len({d["document"] for d in data}) == len(data)


def test_unknown_clause_or_document(tmp_path: Path) -> None:
    for args in (["--to", "art_999", "--doc", TORERU],
                 ["--to", "art_1", "--doc", "no-such-doc"],
                 ["--to", "art_1", "--doc", str(tmp_path / "missing.txt")]):  # fmt: skip
        result = refs(*args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and result.stderr.startswith("yakkan: ")


def test_citation_by_caption_when_the_number_is_wrong() -> None:
    # 「第44条（利用に係る契約者の義務）」 is printed twice; 利用に係る契約者の義務 is 第45条:
    # an amendment of 第45条 must see them, flagged as cited by caption only
    data = json.loads(refs("--to", "art_45", "--doc", TORERU, "--format", "json").stdout)
    assert data["caption"] == "利用に係る契約者の義務"
    by_caption = [c for c in data["citations"] if c["by_caption"]]
    assert {c["line"] for c in by_caption} == {593, 1276}
    assert all(c["target"] == "art_44" and c["status"] == "caption_mismatch" for c in by_caption)
    numbered = json.loads(refs("--to", "art_44", "--doc", TORERU, "--format", "json").stdout)
    assert {593, 1276} <= {c["line"] for c in numbered["citations"] if not c["by_caption"]}


def test_corrupt_document_toml_is_named(tmp_path: Path) -> None:
    # Without --doc a broken document.toml used to be skipped: "any corpus document: no clause".
    corpus = tmp_path / "corpus"
    folder = corpus / "toreru-camera"
    folder.mkdir(parents=True)
    version = find_version(TORERU)
    (folder / version.file.name).write_bytes(version.file.read_bytes())
    toml = folder / "document.toml"
    toml.write_text('id = "toreru-camera"\ntitle = "x\n', encoding="utf-8")
    for flag in ("--corpus", "--corpus-dir"):  # --corpus-dir: the first spelling, still accepted
        result = refs("--to", "art_19", flag, str(corpus))
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"yakkan: {toml}: cannot read document metadata")
        assert "line 2" in result.stderr and "Traceback" not in result.output
    toml.write_text(f'id = "toreru-camera"\n[[versions]]\nfile = "{version.file.name}"\n')
    ok = refs("--to", "art_19", "--corpus", str(corpus), "-f", "json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)[0]["path"].endswith(version.file.name)


@pytest.mark.parametrize("content, reason", [(b"", "empty"), (b"\x00\xff" * 500, "binary")])
def test_an_unreadable_document_is_reported_not_skipped(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    # Its citations of 第19条 would be missing from the answer without a word.
    corpus = tmp_path / "corpus"
    for doc, data in (("toreru-camera", None), ("broken", content)):
        folder = corpus / doc
        folder.mkdir(parents=True)
        version = find_version(TORERU)
        (folder / "v.txt").write_bytes(version.file.read_bytes() if data is None else data)
        (folder / "document.toml").write_text('[[versions]]\nfile = "v.txt"\n', encoding="utf-8")
    for args in (["--doc", "toreru-camera"], []):
        result = refs("--to", "art_19", "--corpus", str(corpus), *args)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"yakkan: {corpus / 'broken' / 'v.txt'}: ")
        assert reason in result.stderr and "Traceback" not in result.output


def test_a_range_that_covers_the_clause_cites_it() -> None:
    # 第9条第3項 「前 2項の規定により」 names 第1項 and 第2項: --to 第2項 finds it
    result = refs("--to", "art_9__para_2", "--doc", TORERU, "--format", "json")
    assert result.exit_code == 0, result.output
    cites = json.loads(result.stdout)["citations"]
    ranged = next(c for c in cites if "".join(c["text"].split()) == "前2項")
    assert (ranged["line"], ranged["source"]) == (271, "art_9__para_3")
    assert ranged["targets"] == ["art_9__para_1", "art_9__para_2"]
    text = refs("--to", "art_9__para_2", "--doc", TORERU).stdout
    assert "cites art_9__para_1–art_9__para_2 as 「前 2項」" in text
