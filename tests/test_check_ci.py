"""``yakkan check`` in CI: what to hide, errors first, SARIF suppressions, rule help, paths
relative to the repository root, and docs/check.md covering every kind of problem."""

from __future__ import annotations

import json
import re
import shutil
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from versions.check.problems import LEVELS, level_rank
from versions.check.rules import RULES
from versions.cli import main
from versions.sources.corpus import find_version, load_corpus

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "check.md"
TORERU = find_version("toreru-camera@2023-12-01").file
GITHUB = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),col=\d+,title=([^:]+)::")
TEXT = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):\d+: (?P<status>[\w-]+): ")
GH_LEVEL = {"error": "error", "warning": "warning", "notice": "info"}


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


@cache
def corpus_json(*args: str) -> dict:
    return json.loads(check("--corpus", *args, "-f", "json").stdout)


@cache
def corpus_sarif() -> dict:
    return json.loads(check("--corpus", "-f", "sarif").stdout)


def test_min_level_hides_the_notes_that_drown_errors() -> None:
    every = corpus_json()["problems"]
    notes = [p for p in every if p["level"] == "info"]
    assert notes and any(p["status"] == "unresolved-effective-date" for p in notes)
    result = check("--corpus", "--min-level", "warning", "-f", "github")
    lines = result.stdout.splitlines()
    assert all(GITHUB.match(line) for line in lines) and not any("::notice" in x for x in lines)
    assert len(lines) == len(every) - len(notes)
    assert f"{len(notes)} hidden" in result.stderr
    assert (
        corpus_json("--hide", "info")["summary"] == corpus_json("--min-level", "warning")["summary"]
    )
    only = corpus_json("--hide", "unresolved-effective-date,skipped-supplement-article-number")
    assert {p["status"] for p in only["problems"]} == {p["status"] for p in every} - {
        "unresolved-effective-date",
        "skipped-supplement-article-number",
    }
    assert only["summary"]["hidden"] == sum(
        p["status"] in ("unresolved-effective-date", "skipped-supplement-article-number")
        for p in every
    )


def test_hidden_problems_do_not_fail_the_check() -> None:
    errors = check(str(TORERU), "--hide", "error")
    assert errors.exit_code == 0, errors.stderr
    assert errors.stdout and ": broken: " not in errors.stdout  # the warnings are still there
    assert check(str(TORERU), "--hide", "error", "--fail-on", "warning").exit_code == 1
    assert check(str(TORERU), "--min-level", "error", "--fail-on", "warning").exit_code == 1
    assert check(str(TORERU), "--hide", "error,warning", "--fail-on", "warning").exit_code == 0


def test_unknown_hide_value_is_a_usage_error() -> None:
    result = check("--corpus", "--hide", "nonsense")
    assert result.exit_code == 2 and "nonsense" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_errors_come_first_then_file_and_line(fmt: str) -> None:
    result = check("--corpus", "-f", fmt)
    files = [v.file.resolve() for d in load_corpus() for v in d.versions]
    order = {f.relative_to(Path.cwd().resolve()).as_posix(): i for i, f in enumerate(files)}
    levels = {(p["path"], p["line"], p["status"]): p["level"] for p in corpus_json()["problems"]}
    keys = []
    for line in result.stdout.splitlines():
        if fmt == "text":
            m = TEXT.match(line)
            assert m, line
            level = levels[(m["file"], int(m["line"]), m["status"])]
            keys.append((-level_rank(level), order[m["file"]], int(m["line"])))
        else:
            g = GITHUB.match(line)
            assert g, line
            keys.append((-level_rank(GH_LEVEL[g[1]]), order[g[2]], int(g[3])))
    assert keys == sorted(keys) and len({k[0] for k in keys}) == len(LEVELS)


def test_json_and_sarif_list_problems_in_the_same_order() -> None:
    problems = corpus_json()["problems"]
    levels = [level_rank(p["level"]) for p in problems]
    assert levels == sorted(levels, reverse=True)
    results = corpus_sarif()["runs"][0]["results"]
    assert [r["partialFingerprints"]["yakkanFingerprint/v1"] for r in results] == [
        p["fingerprint"] for p in problems
    ]


def _with_new_defect(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of toreru with a baseline of today's problems, then one new broken reference."""
    copy = tmp_path / "toreru.txt"
    shutil.copy(TORERU, copy)
    baseline = tmp_path / "known.json"
    assert check(str(copy), "--write-baseline", str(baseline)).exit_code == 0
    marker = "西日本電信電話株式会社（以下「当社」といいます。）"
    lines = copy.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(marker))
    lines[at + 1 : at + 1] = ["", "（本サービスの詳細は別紙99に定めます。）", ""]
    copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return copy, baseline


def test_sarif_suppresses_what_the_baseline_accepts(tmp_path: Path) -> None:
    copy, baseline = _with_new_defect(tmp_path)
    out = check(str(copy), "--baseline", str(baseline), "-f", "sarif", "--root", str(tmp_path))
    assert out.exit_code == 1
    (run,) = json.loads(out.stdout)["runs"]
    new = [r for r in run["results"] if "suppressions" not in r]
    assert len(new) == 1 and "別紙99" in new[0]["message"]["text"]
    assert new[0]["baselineState"] == "new"
    known = [r for r in run["results"] if "suppressions" in r]
    assert len(known) == len(run["results"]) - 1 >= 5
    for r in known:
        assert r["baselineState"] == "unchanged"
        (s,) = r["suppressions"]
        assert s["kind"] == "external" and "known.json" in s["justification"]


def test_every_rule_has_help_and_a_link_into_the_docs() -> None:
    anchors = doc_anchors()
    rules = corpus_sarif()["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) >= 10
    for r in rules:
        assert r["help"]["text"] and r["help"]["markdown"]
        page, _, anchor = r["helpUri"].partition("#")
        assert page.startswith("https://") and page.endswith("docs/check.md")
        assert anchor == r["id"] and anchor in anchors
        assert r["helpUri"] in r["help"]["markdown"]


def test_paths_are_relative_to_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT / "corpus")  # inside the repository, below its top level
    text = check("toreru-camera/2023-12-01.txt", "--no-stale")
    assert text.stdout.startswith("toreru-camera/2023-12-01.txt:")  # text: as typed
    gh = check("toreru-camera/2023-12-01.txt", "--no-stale", "-f", "github")
    assert gh.stdout.startswith("::error file=corpus/toreru-camera/2023-12-01.txt,")
    sarif = json.loads(check("toreru-camera/2023-12-01.txt", "-f", "sarif").stdout)
    (run,) = sarif["runs"]
    loc = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "corpus/toreru-camera/2023-12-01.txt", "uriBaseId": "SRCROOT"}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == ROOT.as_uri() + "/"
    copy = tmp_path / "sub" / "terms.txt"
    copy.parent.mkdir()
    shutil.copy(TORERU, copy)
    rooted = json.loads(check(str(copy), "-f", "sarif", "--root", str(tmp_path)).stdout)
    loc = rooted["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "sub/terms.txt"
    outside = json.loads(check(str(copy), "-f", "sarif", "--root", str(ROOT)).stdout)
    loc = outside["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": copy.resolve().as_uri()}


# --- docs/check.md and the catalogue of rules --------------------------------------------------


def doc_anchors() -> set[str]:
    """GitHub's anchors of the headings in docs/check.md (lower case, punctuation dropped)."""
    out = set()
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


def _codes_in_extract() -> set[str]:
    """Diagnostic codes written in extract/: literal ones and the article-numbering family."""
    found = set()
    for path in (ROOT / "extract").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"\"(?:info|warning|error)\",\s*\"([a-z]+(?:-[a-z]+)+)\"", text))
    for what in ("article", "supplement-article"):
        found |= {f"repeated-{what}-number", f"{what}-out-of-order", f"skipped-{what}-number"}
    return found


def test_the_catalogue_covers_every_diagnostic_and_status() -> None:
    from typing import get_args

    from extract.model import RefStatus

    statuses = set(get_args(RefStatus)) - {"ok", "external"}
    assert statuses | {"stale"} <= {c for c, r in RULES.items() if r.kind == "reference"}
    codes = _codes_in_extract()
    assert {"unresolved-effective-date", "toc-article-missing", "malformed-reference"} <= codes
    assert codes <= set(RULES), codes - set(RULES)
    seen = {p["status"] for p in corpus_json()["problems"]}
    assert seen <= set(RULES)


def test_docs_explain_every_rule_with_an_example_and_a_fix() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert doc_anchors() >= set(RULES)
    sections = re.split(r"^#+ ", text, flags=re.MULTILINE)
    for code in RULES:
        (section,) = [s for s in sections if s.startswith(f"`{code}`")]
        assert "Example" in section and "Fix" in section, code
    for recipe in ("--format github", "github/codeql-action/upload-sarif", "--baseline",
                   "--min-level"):  # fmt: skip
        assert recipe in text
    assert "docs/check.md" in (ROOT / "README.md").read_text(encoding="utf-8")
