"""Baselines for ``yakkan check``: accept today's problems, fail only on new ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from versions.check.baseline import BaselineError, read_baseline
from versions.cli import main
from versions.sources.corpus import find_version

pytest.importorskip("extract.parse")

TORERU = find_version("toreru-camera@2023-12-01").file


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "toreru.txt"
    shutil.copy(TORERU, target)
    return target


def insert_after(path: Path, marker: str, new_lines: list[str]) -> None:
    """Insert lines after the first line starting with ``marker`` (shifts everything below)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(marker))
    lines[at + 1 : at + 1] = new_lines
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_round_trip(copy: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    before = check(str(copy), "--format", "json")
    problems = json.loads(before.stdout)["problems"]
    assert before.exit_code == 1 and problems

    written = check(str(copy), "--write-baseline", str(baseline))
    assert written.exit_code == 0, written.output
    data = json.loads(baseline.read_text(encoding="utf-8"))
    assert len(data["problems"]) == len(problems)
    assert sum(read_baseline(baseline).values()) == len(problems)

    again = check(str(copy), "--baseline", str(baseline), "--fail-on", "info")
    assert again.exit_code == 0, again.output
    assert again.stdout == ""  # known problems are not printed
    assert f"{len(problems)} known from the baseline" in again.stderr


def test_only_the_new_problem_fails(copy: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert check(str(copy), "--write-baseline", str(baseline)).exit_code == 0
    # an amendment adds a sentence citing an appendix that does not exist; every line
    # below it moves down, so known problems change line numbers but not fingerprints
    insert_after(copy, "西日本電信電話株式会社（以下「当社」といいます。）", [
        "", "（本サービスの詳細は別紙99に定めます。）", "",
    ])  # fmt: skip
    result = check(str(copy), "--baseline", str(baseline))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1, lines
    assert ": broken: " in lines[0] and "別紙99" in lines[0]
    line_no = int(lines[0].split(":")[1])
    assert "別紙99" in copy.read_text(encoding="utf-8").splitlines()[line_no - 1]

    data = json.loads(check(str(copy), "--baseline", str(baseline), "--format", "json").stdout)
    new = [p for p in data["problems"] if not p["baselined"]]
    assert [p["text"] for p in new] == ["別紙99"]
    assert data["summary"]["baselined"] == len(data["problems"]) - 1

    sarif = json.loads(check(str(copy), "--baseline", str(baseline), "--format", "sarif").stdout)
    states = [r["baselineState"] for r in sarif["runs"][0]["results"]]
    assert states.count("new") == 1 and states.count("unchanged") == len(states) - 1


def test_a_fixed_problem_does_not_fail(copy: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert check(str(copy), "--write-baseline", str(baseline)).exit_code == 0
    text = copy.read_text(encoding="utf-8").replace("別紙11（", "別紙8（")  # the fix
    copy.write_text(text, encoding="utf-8")
    assert check(str(copy), "--baseline", str(baseline)).exit_code == 0


def test_repeated_problem_counts(copy: Path, tmp_path: Path) -> None:
    # the baseline accepts 第44条（利用に係る契約者の義務） as often as it was printed, no more
    baseline = tmp_path / "baseline.json"
    assert check(str(copy), "--write-baseline", str(baseline)).exit_code == 0
    old = "第44条（利用に係る契約者の義務）の規定に違反したとき。"
    text = copy.read_text(encoding="utf-8")
    assert text.count(old) == 1
    new_text = "第44条（利用に係る契約者の義務）の規定（第44条（利用に係る契約者の義務）"
    copy.write_text(text.replace(old, new_text + "を含みます。）に違反したとき。"), "utf-8")
    result = check(str(copy), "--baseline", str(baseline), "--format", "json")
    new = [p for p in json.loads(result.stdout)["problems"] if not p["baselined"]]
    assert result.exit_code == 1
    assert [(p["status"], "".join(p["text"].split())) for p in new] == [
        ("caption_mismatch", "第44条（利用に係る契約者の義務）")
    ]


@pytest.mark.parametrize(
    "content", ["not json", '{"tool": "something else"}', '{"tool": "yakkan check"}',
                '{"tool": "yakkan check", "problems": [{"status": "broken"}]}'],
)  # fmt: skip
def test_bad_baseline_file(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "baseline.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=r"baseline\.json"):
        read_baseline(bad)
    result = check(str(TORERU), "--baseline", str(bad))
    assert result.exit_code == 2 and "baseline.json" in result.stderr
    assert "Traceback" not in result.output


def test_missing_baseline_file(tmp_path: Path) -> None:
    result = check(str(TORERU), "--baseline", str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "not found" in result.stderr


def test_corpus_baseline_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fingerprints used the path as shown (relative to the cwd), so a baseline written in one
    # directory accepted nothing in another; corpus versions are keyed by DOC@DATE now.
    baseline = tmp_path / "baseline.json"
    monkeypatch.chdir(tmp_path)
    written = check("toreru-camera@2023-12-01", "--write-baseline", str(baseline))
    assert written.exit_code == 0, written.output
    entries = json.loads(baseline.read_text(encoding="utf-8"))["problems"]
    assert entries and {e["document"] for e in entries} == {"toreru-camera@2023-12-01"}
    monkeypatch.chdir(TORERU.parent.parent.parent)
    for spec in ("toreru-camera@2023-12-01", str(TORERU.relative_to(Path.cwd()))):
        result = check(spec, "--baseline", str(baseline))
        assert result.exit_code == 0, result.output
        assert f"{len(entries)} known from the baseline" in result.stderr
