"""Report formats on awkward values: escaping, levels, baselined and below-threshold problems."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from versions.check.problems import CheckedDocument, Problem, fingerprint
from versions.check.reports import Report, render_github, render_junit, render_sarif, render_text


def problem(**kw: object) -> Problem:
    base: dict[str, object] = {
        "path": "terms, v2:final.txt",
        "document": "terms, v2:final.txt",
        "line": 12,
        "column": 3,
        "level": "error",
        "status": "broken",
        "message": "別紙11 does not exist\n(100% sure)",
        "source": "art_5__para_1",
        "text": "別紙11",
    }
    base.update(kw)
    p = Problem(**base)  # type: ignore[arg-type]
    p.fingerprint = fingerprint(p)
    return p


def report(*problems: Problem, fail_on: str = "error") -> Report:
    doc = CheckedDocument("terms, v2:final.txt", "terms, v2:final.txt", list(problems))
    return Report([doc], fail_on=fail_on)


def test_github_escapes_properties_and_data() -> None:
    (line,) = render_github(report(problem())).splitlines()
    assert line.startswith("::error file=terms%2C v2%3Afinal.txt,line=12,col=3,title=broken::")
    assert line.endswith("別紙11 does not exist%0A(100%25 sure)")


def test_github_names_a_file_outside_the_repository_by_its_path() -> None:
    from pathlib import Path

    r = report(problem())
    r.documents[0].uri = Path("/tmp/規約 v2.txt").as_uri()  # what check gives it: file:///…
    (line,) = render_github(r).splitlines()
    assert line.startswith("::error file=/tmp/規約 v2.txt,line=12,")


def test_text_is_one_line_per_problem() -> None:
    out = render_text(report(problem(), problem(line=40, status="ambiguous", level="warning")))
    assert out.splitlines() == [
        "terms, v2:final.txt:12:3: broken: 別紙11 does not exist (100% sure)",
        "terms, v2:final.txt:40:3: ambiguous: 別紙11 does not exist (100% sure)",
    ]


def test_levels_and_exit_codes() -> None:
    info = problem(level="info", status="unresolved-effective-date", kind="diagnostic", text="")
    assert report(info).exit_code == 0
    assert report(info, fail_on="info").exit_code == 1
    baselined = problem()
    baselined.baselined = True
    assert report(baselined).exit_code == 0
    sarif = json.loads(render_sarif(report(info, problem())))
    levels = {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}
    assert levels == {"unresolved-effective-date": "note", "broken": "error"}


def test_junit_outcomes() -> None:
    warning = problem(level="warning", status="ambiguous", line=20)
    known = problem(line=30)
    known.baselined = True
    root = ET.fromstring(render_junit(report(problem(), warning, known)))
    cases = root.findall(".//testcase")
    assert [bool(c.findall("failure")) for c in cases] == [True, False, False]
    assert [bool(c.findall("skipped")) for c in cases] == [False, True, True]
    assert root.get("failures") == "1" and root.get("skipped") == "2" and root.get("tests") == "3"


def test_fingerprint_ignores_position_and_spacing() -> None:
    a = problem(text="別紙 11", line=12, column=3)
    b = problem(text="別紙11", line=99, column=40)
    assert a.fingerprint == b.fingerprint
    assert problem(status="caption_mismatch").fingerprint != a.fingerprint
    assert problem(source="art_6__para_1").fingerprint != a.fingerprint


def test_errors_first_in_every_format() -> None:
    note = problem(level="info", status="unresolved-effective-date", kind="diagnostic", line=1)
    warning = problem(level="warning", status="ambiguous", line=5)
    error = problem(line=40)
    r = report(note, warning, error, fail_on="info")
    assert [p.level for p in r.problems] == ["error", "warning", "info"]
    assert [line.split(": ")[1] for line in render_text(r).splitlines()] == [
        "broken", "ambiguous", "unresolved-effective-date"
    ]  # fmt: skip
    assert [line[2:9] for line in render_github(r).splitlines()] == [
        "error f", "warning", "notice "
    ]  # fmt: skip
    cases = ET.fromstring(render_junit(r)).findall(".//testcase")
    assert [c.get("line") for c in cases] == ["40", "5", "1"]


def test_sarif_suppression_names_the_baseline_and_summary_counts_hidden() -> None:
    known = problem()
    known.baselined = True
    r = report(known, problem(line=50, text="別紙12"))
    r.baseline_used, r.baseline_name, r.hidden = True, "known.json", 3
    results = json.loads(render_sarif(r))["runs"][0]["results"]
    assert [("suppressions" in x, x["baselineState"]) for x in results] == [
        (True, "unchanged"), (False, "new")
    ]  # fmt: skip
    assert results[0]["suppressions"] == [
        {"kind": "external", "justification": "accepted in the baseline known.json"}
    ]
    assert r.summary() == (
        "1 problem (1 error) in 1 document; 1 known from the baseline; "
        "3 hidden by --min-level/--hide"
    )
