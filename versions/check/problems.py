"""What `yakkan check` reports: problems collected from parsed documents, with severity levels.

A problem is either a reference that does not resolve cleanly (``broken``, ``caption_mismatch``,
``ambiguous``, ``out_of_range``, ``stale``) or a diagnostic of the parser or the 附則 reader
(its ``code`` is the problem's ``status``, its level is kept). ``ok`` and ``external``
references are not problems; ``historical`` ones (decided by the resolver: a statute 附則
citing the law as it stood then) are notes.

Each problem carries a *fingerprint* that survives line shifts (document, citing node, reference
text without whitespace, status), so a baseline accepted today still matches after unrelated
edits move the text around (see versions/check/baseline.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from extract.model import Diagnostic, Level, ParsedDocument, Reference
from versions.check.rules import RULES

if TYPE_CHECKING:
    from versions.history.align import Alignment

LEVELS: tuple[Level, ...] = ("info", "warning", "error")
STATUS_LEVEL: dict[str, Level] = {
    "broken": "error",  # no such article / paragraph / appendix
    # 「第44条（利用に係る契約者の義務）」 where that caption is 第45条's: which clause is meant
    # cannot be told. A caption no other unit carries (a misquotation of the target's own,
    # 「提供するあたり」 for 「提供するにあたり」) is a warning: see reference_level
    "caption_mismatch": "error",
    "stale": "error",  # target renumbered or deleted by an amendment, citing text not updated
    "ambiguous": "warning",  # e.g. a bare 別紙 when there are several
    "out_of_range": "warning",  # 前各号 in the first item
    # a statute 附則 citing the law as it stood when it was enacted (decided by the resolver)
    "historical": "info",
}
NOT_PROBLEMS = frozenset({"ok", "external"})
STATUS_HELP: dict[str, str] = {c: r.summary for c, r in RULES.items() if r.kind == "reference"}
_WS = re.compile(r"\s+")
_LINE_NUMBERS = re.compile(r"\b(?:line|lines|行)\s*\d+(?:\s*[-–,]\s*\d+)*", re.IGNORECASE)


@dataclass
class Problem:
    path: str  # the file as shown to the user
    document: str  # the document key used in fingerprints (the same path, normally)
    line: int
    column: int
    level: Level
    status: str  # reference status, or the diagnostic code
    message: str
    source: str | None = None  # citing node id (references) or the diagnostic's node
    text: str = ""  # the reference as printed; "" for diagnostics
    kind: str = "reference"  # "reference" or "diagnostic"
    target: str | None = None
    target_document: str | None = None
    fingerprint: str = ""
    baselined: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckedDocument:
    """One input: its problems, or why it could not be read (``error``: exit status 2)."""

    path: str
    document: str
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None
    uri: str | None = None  # the file relative to the repository root (github, sarif output)


def level_rank(level: str) -> int:
    return LEVELS.index(level)  # type: ignore[arg-type,unused-ignore]


def at_or_above(level: str, threshold: str) -> bool:
    return level_rank(level) >= level_rank(threshold)


def squash(text: str) -> str:
    return _WS.sub("", text)


def fingerprint(p: Problem) -> str:
    """A stable id: independent of line and column, and of whitespace in the reference text."""
    if p.kind == "reference":
        parts = [p.document, p.source or "", squash(p.text), p.status]
    else:
        message = _WS.sub(" ", _LINE_NUMBERS.sub("line N", p.message)).strip()
        parts = [p.document, p.source or "", p.status, message]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def reference_level(ref: Reference) -> Level:
    """The status's level; a caption_mismatch whose caption no other unit carries (the target
    is right, its caption misquoted) is only a warning."""
    if ref.status == "caption_mismatch" and ref.caption_owner is None:
        return "warning"
    return STATUS_LEVEL.get(ref.status, "warning")


def reference_problem(ref: Reference, path: str, document: str) -> Problem | None:
    if ref.status in NOT_PROBLEMS:
        return None
    level = reference_level(ref)
    message = ref.message or f"{squash(ref.text)}: {STATUS_HELP.get(ref.status, ref.status)}"
    return Problem(
        path=path,
        document=document,
        line=ref.line,
        column=max(1, ref.column),
        level=level,
        status=ref.status,
        message=message,
        source=ref.source,
        text=ref.text,
        target=ref.target,
        target_document=ref.target_document,
    )


def diagnostic_problem(diag: Diagnostic, path: str, document: str) -> Problem:
    level: Level = diag.level if diag.level in LEVELS else "warning"
    return Problem(
        path=path,
        document=document,
        line=max(1, diag.line),
        column=1,
        level=level,
        status=diag.code,
        message=diag.message,
        source=diag.node,
        kind="diagnostic",
    )


def stale_problems(
    old: ParsedDocument,
    new: ParsedDocument,
    path: str,
    document: str,
    since: str,
    alignment: Alignment | None = None,
) -> list[Problem]:
    """References of ``new`` left on ``old``'s numbering by an amendment (versions.history.stale).

    Only citations whose own clause the amendment did not touch count: when the citing text
    was edited, its numbers were revisited (statutes renumber and update every citation at
    once), and the same words may rightly cite a different clause now. Citations inside a 附則
    never count: a 附則 speaks of the numbering in force when it was enacted. ``alignment``:
    old → new as already made (a build's stored one), else aligned here.
    """
    from versions.history.align import align
    from versions.history.stale import find_stale_references

    alignment = alignment or align(old, new)
    out: list[Problem] = []
    for s in find_stale_references(old, new, alignment):
        if s.new_target == s.old_target or s.source.startswith("suppl_"):
            continue  # the cited clause did not move, or a 附則 cites its own era's numbering
        old_id = alignment.new_to_old.get(s.source)
        before, after = old.node(old_id) if old_id else None, new.node(s.source)
        if before is None or after is None or squash(before.text) != squash(after.text):
            continue
        message = f"{s.message} (amended since {since})"
        out.append(Problem(path, document, s.line, max(1, s.column), "error", "stale", message,
                           s.source, s.text, target=s.cited_now))  # fmt: skip
    return out


def collect_problems(
    doc: ParsedDocument,
    path: str,
    document: str | None = None,
    stale: Iterable[Problem] = (),
) -> list[Problem]:
    """Every problem of one parsed document, sorted by position, fingerprints filled in.

    ``stale`` problems (see ``stale_problems``) replace the reference problem reported at the
    same place, keeping its message: the amendment explains the broken or mismatched citation.
    """
    key = document or path
    found: list[Problem] = []
    late = {(p.source, p.line, p.column): p for p in stale}
    for ref in doc.references:
        p = reference_problem(ref, path, key)
        spot = (ref.source, ref.line, max(1, ref.column))
        if spot in late:
            s = late.pop(spot)
            if p is not None:
                s.message = f"{s.message}; {p.message}"
            p = s
        if p is not None:
            found.append(p)
    found.extend(late.values())
    found.extend(diagnostic_problem(d, path, key) for d in doc.diagnostics)
    found.sort(key=lambda p: (p.line, p.column, p.kind, p.status))
    for p in found:
        p.fingerprint = fingerprint(p)
    return found


def counts(problems: Iterable[Problem], attr: str) -> dict[str, int]:
    """How many problems per ``status`` or ``level``, most frequent first."""
    out: dict[str, int] = {}
    for p in problems:
        value = str(getattr(p, attr))
        out[value] = out.get(value, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def level_counts(problems: Iterable[Problem]) -> dict[str, int]:
    """How many problems at each level, every level present, errors first."""
    out: dict[str, int] = dict.fromkeys(reversed(LEVELS), 0)
    for p in problems:
        out[p.level] += 1
    return out


def shown_first(problems: Iterable[Problem], order: dict[str, int]) -> list[Problem]:
    """Errors first, then warnings, then notes; within a level by file (``order``: the path's
    place among the inputs) and position."""
    return sorted(
        problems, key=lambda p: (-level_rank(p.level), order.get(p.path, 0), p.line, p.column)
    )


def hidden(p: Problem, min_level: str, hide: Iterable[str]) -> bool:
    """Whether the user chose not to see ``p``: below ``min_level``, or its level or kind
    (status) is in ``hide``."""
    return not at_or_above(p.level, min_level) or p.level in hide or p.status in hide


def failing(problems: Iterable[Problem], fail_on: str) -> list[Problem]:
    """Problems that make the check fail: new (not baselined) and at or above ``fail_on``."""
    return [p for p in problems if not p.baselined and at_or_above(p.level, fail_on)]
