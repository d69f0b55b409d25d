"""Output formats of `yakkan check`: text, json, github, sarif, junit. Pure: results in, str out.

- text: ``file:line:col: status: message`` per new problem (the compiler convention editors read).
- json: every problem (baselined ones flagged), per-document results and counts.
- github: workflow commands (``::error file=…,line=…,col=…,title=…::message``) that GitHub
  Actions turns into annotations on the pull request.
- sarif: SARIF 2.1.0 for code scanning: one rule per status, results with partial fingerprints
  and, with a baseline, ``baselineState`` new / unchanged.
- junit: JUnit XML for CI dashboards: a testsuite per document, a testcase per problem (failed
  when it fails the check, skipped when baselined or below --fail-on), one passing testcase for a
  clean document, an errored one for unusable input.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from versions.check.problems import (
    CheckedDocument,
    Problem,
    at_or_above,
    counts,
    level_counts,
    shown_first,
)
from versions.check.rules import rule

FORMATS = ("text", "json", "github", "sarif", "junit")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/yakkan/yakkan"
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
_LEVEL_WORD = {"error": "error", "warning": "warning", "info": "note"}
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


@dataclass
class Report:
    documents: list[CheckedDocument]
    fail_on: str = "error"
    baseline_used: bool = False
    baseline_name: str | None = None  # the baseline file, named in SARIF suppressions
    hidden: int = 0  # problems left out by --min-level / --hide
    root_uri: str | None = None  # file:///…/ of the repository root (SARIF SRCROOT)

    @property
    def problems(self) -> list[Problem]:
        """Every problem reported, errors first (see ``shown_first``)."""
        order = {d.path: i for i, d in enumerate(self.documents)}
        return shown_first((p for d in self.documents for p in d.problems), order)

    def uri(self, path: str) -> str:
        """``path`` relative to the repository root (what GitHub expects), when known."""
        return next((d.uri for d in self.documents if d.path == path and d.uri), path)

    @property
    def new(self) -> list[Problem]:
        return [p for p in self.problems if not p.baselined]

    def fails(self, p: Problem) -> bool:
        return not p.baselined and at_or_above(p.level, self.fail_on)

    @property
    def unusable(self) -> list[CheckedDocument]:
        return [d for d in self.documents if d.error]

    @property
    def exit_code(self) -> int:
        if self.unusable:
            return 2
        return 1 if any(self.fails(p) for p in self.problems) else 0

    def summary(self) -> str:
        new = self.new
        parts = [f"{len(new)} problem{'s' if len(new) != 1 else ''}"]
        by_level = [_plural(n, _LEVEL_WORD[lvl]) for lvl, n in level_counts(new).items() if n]
        if by_level:
            parts.append("(" + ", ".join(by_level) + ")")
        parts.append(f"in {len(self.documents)} document{'s' if len(self.documents) != 1 else ''}")
        text = " ".join(parts)
        baselined = len(self.problems) - len(new)
        if self.baseline_used:
            text += f"; {baselined} known from the baseline"
        if self.hidden:
            text += f"; {self.hidden} hidden by --min-level/--hide"
        if self.unusable:
            text += f"; {len(self.unusable)} unusable input(s)"
        return text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _tool_version() -> str:
    try:
        return metadata.version("yakkan")
    except metadata.PackageNotFoundError:
        return "0"


# --- text and json -----------------------------------------------------------------------------


def one_line(text: str) -> str:
    return " ".join(text.split())


def text_line(p: Problem) -> str:
    return f"{p.path}:{p.line}:{p.column}: {p.status}: {one_line(p.message)}"


def render_text(report: Report) -> str:
    return "".join(text_line(p) + "\n" for p in report.new)


def render_json(report: Report) -> str:
    data: dict[str, Any] = {
        "tool": "yakkan check",
        "fail_on": report.fail_on,
        "exit_code": report.exit_code,
        "summary": {
            "documents": len(report.documents),
            "problems": len(report.problems),
            "new": len(report.new),
            "baselined": len(report.problems) - len(report.new),
            "failing": sum(report.fails(p) for p in report.problems),
            "hidden": report.hidden,
            "by_status": counts(report.problems, "status"),
            "by_level": counts(report.problems, "level"),
        },
        "documents": [
            {
                "path": d.path,
                "document": d.document,
                "error": d.error,
                "problems": len(d.problems),
                "by_status": counts(d.problems, "status"),
            }
            for d in report.documents
        ],
        "problems": [p.to_json() for p in report.problems],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --- GitHub workflow commands --------------------------------------------------------------------


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


def _gh_file(report: Report, path: str) -> str:
    """The repository path GitHub annotates; a file outside the repository by its own path
    (GitHub cannot place it; a file:// URI there only reads worse)."""
    from urllib.parse import unquote

    uri = report.uri(path)
    return _gh_prop(unquote(uri.removeprefix("file://")) if uri.startswith("file:///") else uri)


def render_github(report: Report) -> str:
    lines = []
    for d in report.unusable:
        lines.append(f"::error file={_gh_file(report, d.path)},title=yakkan%3A unusable input::"
                     f"{_gh_data(d.error or '')}")  # fmt: skip
    for p in report.new:
        where = f"file={_gh_file(report, p.path)},line={p.line},col={p.column}"
        props = f"{where},title={_gh_prop(p.status)}"
        lines.append(f"::{_GITHUB_LEVEL[p.level]} {props}::{_gh_data(p.message)}")
    return "".join(line + "\n" for line in lines)


# --- SARIF 2.1.0 -----------------------------------------------------------------------------


def _rules(problems: list[Problem]) -> list[dict[str, Any]]:
    seen: dict[str, Problem] = {}
    for p in problems:
        seen.setdefault(p.status, p)
    rules = []
    for status, first in sorted(seen.items()):
        r = rule(status)
        more = f"What it means, an example and how to fix it: {r.help_uri}"
        rules.append(
            {
                "id": status,
                "name": "".join(w.capitalize() for w in status.replace("-", "_").split("_")),
                "shortDescription": {"text": f"{first.kind}: {status}"},
                "fullDescription": {"text": r.summary},
                "help": {
                    "text": f"{r.summary} {more}",
                    "markdown": f"{r.summary}\n\n[What it means, an example and how to fix it]"
                    f"({r.help_uri})",
                },
                "helpUri": r.help_uri,
                "defaultConfiguration": {"level": _SARIF_LEVEL[first.level]},
                "properties": {"tags": [first.kind]},
            }
        )
    return rules


def _artifact(report: Report, path: str) -> dict[str, Any]:
    uri = report.uri(path).replace("\\", "/")
    if uri.startswith("file:") or uri.startswith("/"):
        return {"uri": uri}
    return {"uri": uri, "uriBaseId": "SRCROOT"}


def _sarif_result(p: Problem, rule_index: int, report: Report) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": p.status,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[p.level],
        "message": {"text": p.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(report, p.path),
                    "region": {"startLine": p.line, "startColumn": p.column},
                },
                "logicalLocations": [{"name": p.source, "kind": "member"}] if p.source else [],
            }
        ],
        "partialFingerprints": {"yakkanFingerprint/v1": p.fingerprint},
    }
    if report.baseline_used:
        result["baselineState"] = "unchanged" if p.baselined else "new"
    if p.baselined:  # GitHub code scanning hides suppressed results
        where = f" {report.baseline_name}" if report.baseline_name else ""
        result["suppressions"] = [
            {"kind": "external", "justification": f"accepted in the baseline{where}"}
        ]
    return result


def render_sarif(report: Report) -> str:
    problems = report.problems
    rules = _rules(problems)
    index = {r["id"]: i for i, r in enumerate(rules)}
    notifications = [
        {
            "level": "error",
            "message": {"text": d.error},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(report, d.path)}}],
        }
        for d in report.unusable
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "yakkan",
                "version": _tool_version(),
                "informationUri": INFO_URI,
                "rules": rules,
            }
        },
        "invocations": [
            {
                "executionSuccessful": not report.unusable,
                "toolExecutionNotifications": notifications,
            }
        ],
        "columnKind": "unicodeCodePoints",  # columns count characters, as the text format does
        "results": [_sarif_result(p, index[p.status], report) for p in problems],
    }
    if report.root_uri:
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": report.root_uri}}
    sarif = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(sarif, ensure_ascii=False, indent=2) + "\n"


# --- JUnit XML --------------------------------------------------------------------------------


def _testcase(suite: ET.Element, d: CheckedDocument, p: Problem, report: Report) -> str:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=d.document,
        name=one_line(f"{p.line}:{p.column} {p.status} {p.text or p.source or ''}"),
        file=p.path,
        line=str(p.line),
    )
    detail = f"{p.path}:{p.line}:{p.column}: {p.status}: {p.message}"
    if report.fails(p):
        fail = ET.SubElement(case, "failure", type=p.status, message=p.message)
        fail.text = detail
        return "failure"
    why = "baselined" if p.baselined else f"{p.level}: below --fail-on {report.fail_on}"
    ET.SubElement(case, "skipped", message=f"{why}: {p.message}")
    return "skipped"


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", name="yakkan check")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for d in report.documents:
        suite = ET.SubElement(root, "testsuite", name=d.path)
        tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if d.error:
            case = ET.SubElement(suite, "testcase", classname=d.document, name="read document")
            ET.SubElement(case, "error", type="unusable-input", message=d.error).text = d.error
            tally["errors"] += 1
        for p in shown_first(d.problems, {}):
            outcome = _testcase(suite, d, p, report)
            tally["failures" if outcome == "failure" else "skipped"] += 1
        if not d.error and not d.problems:
            ET.SubElement(suite, "testcase", classname=d.document, name="no problems")
        tally["tests"] = max(1, len(d.problems) + (1 if d.error else 0))
        for key, value in tally.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "sarif": render_sarif,
    "junit": render_junit,
}


def render(report: Report, fmt: str) -> str:
    return RENDERERS[fmt](report)
