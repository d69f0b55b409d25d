"""``yakkan check`` on real corpus documents: findings, exit codes and every output format."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from versions.check.problems import LEVELS, at_or_above
from versions.cli import main
from versions.sources.corpus import find_version, load_corpus

pytest.importorskip("extract.parse")

TORERU = find_version("toreru-camera@2023-12-01").file
ITKEEPER = find_version("itkeeper-remote-network").file
TEXT_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<status>[\w-]+): (?P<msg>.+)$"
)
GITHUB_LINE = re.compile(
    r"^::(?P<level>error|warning|notice) file=(?P<file>[^,]+),line=(?P<line>\d+),"
    r"col=(?P<col>\d+),title=(?P<title>[^:]+)::(?P<msg>.+)$"
)


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


@cache
def check_json(*args: str) -> dict:
    result = check(*args, "--format", "json")
    return json.loads(result.stdout)


def rel(path: Path) -> str:
    return path.resolve().relative_to(Path.cwd().resolve()).as_posix()


def printed(path: Path, line: int) -> str:
    return "".join(path.read_text(encoding="utf-8").splitlines()[line - 1].split())


# --- findings verified by reading the document --------------------------------------------------


def test_toreru_findings_in_text_format() -> None:
    result = check(str(TORERU), "--no-stale")  # stale references: see test_check_stale.py
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    parsed = [TEXT_LINE.match(line) for line in lines]
    assert lines and all(parsed), lines
    found = {(int(m["line"]), m["status"]) for m in parsed if m}
    # 「第44条（利用に係る契約者の義務）」: 第44条 is 電子データの取り扱い, the caption is 第45条's
    for line in (593, 1276):
        assert (line, "caption_mismatch") in found
        assert "第44条（利用に係る契約者の義務）" in printed(TORERU, line)
    # 「別紙11（当社が別に定めることとする事項）」: the document ends at 別紙10
    assert (837, "broken") in found
    assert "別紙11" in printed(TORERU, 837)
    message = next(m["msg"] for m in parsed if m and int(m["line"]) == 837)
    assert "別紙11" in message
    assert all(m["file"] == rel(TORERU) for m in parsed if m)
    assert "problems" in result.stderr  # the summary goes to stderr


def test_cross_document_reference_is_not_a_problem() -> None:
    # 「個人情報の保護に関する法律第27条第5項第１号」 resolves in the corpus statute
    problems = check_json(str(TORERU))["problems"]
    assert not [p for p in problems if p["source"] == "art_43__para_7" and "27" in p["text"]]


# --- exit codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fail_on", LEVELS)
def test_exit_code_follows_fail_on(fail_on: str) -> None:
    for path in (TORERU, ITKEEPER):
        data = check_json(str(path))
        levels = {p["level"] for p in data["problems"]}
        expected = 1 if any(at_or_above(lvl, fail_on) for lvl in levels) else 0
        assert check(str(path), "--fail-on", fail_on).exit_code == expected


def test_warnings_fail_only_when_asked() -> None:
    data = check_json(str(ITKEEPER))
    assert {p["status"] for p in data["problems"]} == {"ambiguous"}  # bare 別紙, two of them
    assert check(str(ITKEEPER)).exit_code == 0
    assert check(str(ITKEEPER), "--fail-on", "warning").exit_code == 1


def test_clean_document_exits_0_and_prints_nothing(tmp_path: Path) -> None:
    # 第1条 of a real document on its own: nothing to complain about
    text = TORERU.read_text(encoding="utf-8").splitlines()
    end = next(i for i, line in enumerate(text) if line.startswith("第 2条"))
    clean = tmp_path / "first-article.txt"
    clean.write_text("\n".join(text[:end]) + "\n", encoding="utf-8")
    result = check(str(clean), "--fail-on", "info")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    junit = ET.fromstring(check(str(clean), "--format", "junit").stdout)
    cases = junit.findall("./testsuite/testcase")
    assert len(cases) == 1 and not list(cases[0])


def test_unusable_input_exits_2(tmp_path: Path) -> None:
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    for bad in (tmp_path / "missing.txt", binary, empty, tmp_path):
        result = check(str(bad))
        assert result.exit_code == 2, (bad, result.output)
        assert "Traceback" not in result.output
        assert str(bad.name) in result.stderr
    # a good file next to a bad one: its problems are still reported, the exit is 2
    mixed = check(str(TORERU), str(tmp_path / "missing.txt"))
    assert mixed.exit_code == 2
    assert "caption_mismatch" in mixed.stdout


def test_corpus_document_names_and_usage_errors() -> None:
    by_name = check("toreru-camera@2023-12-01", "--format", "json")
    assert json.loads(by_name.stdout)["documents"][0]["path"] == rel(TORERU)
    assert check().exit_code == 2  # neither PATH nor --corpus: a usage error
    assert check("no-such-document").exit_code == 2


def test_corpus_run_covers_every_version() -> None:
    result = check("--corpus", "--format", "json")
    data = json.loads(result.stdout)
    versions = [v for doc in load_corpus() for v in doc.versions]
    assert [d["path"] for d in data["documents"]] == [rel(v.file) for v in versions]
    assert result.exit_code == data["exit_code"] == (1 if data["summary"]["failing"] else 0)
    assert "Checking" in result.stderr  # the progress bar writes to stderr only


# --- formats --------------------------------------------------------------------------------------


def test_json_format() -> None:
    data = check_json(str(TORERU), str(ITKEEPER))
    problems = data["problems"]
    assert (
        data["summary"]["problems"]
        == len(problems)
        == sum(d["problems"] for d in data["documents"])
    )
    assert sum(data["summary"]["by_status"].values()) == len(problems)
    for p in problems:
        assert p["level"] in LEVELS and p["line"] >= 1 and p["column"] >= 1
        assert re.fullmatch(r"[0-9a-f]{20}", p["fingerprint"])
    kinds = {p["kind"] for p in problems}
    assert kinds == {"reference", "diagnostic"}  # 附則/parser diagnostics are included


def test_github_annotations() -> None:
    result = check(str(TORERU), "--format", "github")
    lines = result.stdout.splitlines()
    problems = check_json(str(TORERU))["problems"]
    assert len(lines) == len(problems)
    level = {"error": "error", "warning": "warning", "info": "notice"}
    for line, p in zip(lines, problems, strict=True):
        m = GITHUB_LINE.match(line)
        assert m, line
        assert (m["file"], int(m["line"]), int(m["col"])) == (p["path"], p["line"], p["column"])
        assert m["level"] == level[p["level"]] and m["title"] == p["status"]


def test_sarif_structure() -> None:
    sarif = json.loads(check(str(TORERU), str(ITKEEPER), "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0" and "sarif" in sarif["$schema"]
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "yakkan" and driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and {"caption_mismatch", "broken", "ambiguous"} <= set(ids)
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
    results = run["results"]
    assert len(results) == len(check_json(str(TORERU), str(ITKEEPER))["problems"])
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note") and res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] in (rel(TORERU), rel(ITKEEPER))
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        assert res["partialFingerprints"]
    assert run["invocations"][0]["executionSuccessful"] is True


def test_junit_xml() -> None:
    result = check(str(TORERU), str(ITKEEPER), "--format", "junit")
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [rel(TORERU), rel(ITKEEPER)]
    data = check_json(str(TORERU), str(ITKEEPER))
    failing = [p for p in data["problems"] if p["level"] == "error"]
    assert int(root.get("failures", "-1")) == len(failing) == len(root.findall(".//failure"))
    assert int(root.get("tests", "-1")) == len(root.findall(".//testcase"))
    for suite in suites:
        assert int(suite.get("tests", "-1")) == len(suite.findall("testcase"))
    # itkeeper has warnings only: present as skipped testcases, not failures
    assert not suites[1].findall(".//failure") and suites[1].findall(".//skipped")


def test_junit_and_sarif_report_unusable_input(tmp_path: Path) -> None:
    missing = str(tmp_path / "gone.txt")
    junit = ET.fromstring(check(missing, "--format", "junit").stdout)
    assert junit.findall(".//error") and junit.get("errors") == "1"
    sarif = json.loads(check(missing, "--format", "sarif").stdout)
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "gone.txt" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_copy_outside_the_working_directory(tmp_path: Path) -> None:
    copy = tmp_path / "toreru.txt"
    shutil.copy(TORERU, copy)
    result = check(str(copy))
    assert result.exit_code == 1
    assert all(line.startswith(f"{copy}:") for line in result.stdout.splitlines())


def test_short_format_option_like_the_other_commands() -> None:
    short, long = check(str(TORERU), "-f", "json"), check(str(TORERU), "--format", "json")
    assert short.exit_code == long.exit_code == 1
    assert json.loads(short.stdout) == json.loads(long.stdout)


def test_a_version_named_twice_is_checked_once() -> None:
    # `check --corpus toreru-camera` checked toreru-camera's latest version twice and
    # reported each of its problems twice.
    whole = json.loads(check("--corpus", "-f", "json").stdout)
    both = json.loads(check("--corpus", "toreru-camera", "-f", "json").stdout)
    assert both["summary"] == whole["summary"]
    assert len(both["documents"]) == len(whole["documents"])
    same = json.loads(
        check("toreru-camera", str(find_version("toreru-camera").file), "-f", "json").stdout
    )
    assert len(same["documents"]) == 1


def test_caption_mismatch_level_says_whether_the_target_is_in_doubt() -> None:
    # 第24条（利用料金の支払義務）: that caption is 第25条's — which clause is meant? error.
    # 別紙4（…提供するあたり…）, 別紙3表2（解約精算金）: the target's own caption misquoted.
    dokodemo = find_version("dokodemo-merec@2023-09-19").file
    found = {(p["line"], p["status"]): p["level"] for p in check_json(str(dokodemo))["problems"]}
    assert found == {
        (623, "caption_mismatch"): "error",
        (801, "caption_mismatch"): "warning",
        (1375, "caption_mismatch"): "warning",
    }
    assert check(str(dokodemo)).exit_code == 1
    assert check(str(dokodemo), "--fail-on", "error").exit_code == 1
