"""A clause's timeline across the versions of a document, following renumbering.

Consecutive versions are aligned (versions.history.align); the clause is followed backwards and
forwards from the version where its id is looked up, so 個人情報保護法 第十五条 (2015) is the
same clause as 第十七条 (2025). Each step records how the clause changed and the 附則 that came
with the version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from extract.model import ParsedDocument
from extract.supplements import clause_effective_dates
from versions.history.asof import alignment_between, resolve_clause
from versions.history.diff import Edit, heading, inline_diff, subtree_text
from versions.sources.corpus import CorpusError, DocumentEntry, VersionEntry, check_date
from versions.sources.loaded import parse_entry


@dataclass
class Step:
    version: VersionEntry
    node_id: str | None  # None: the clause does not exist in this version
    label: str | None
    text: str
    change: str  # added, unchanged, modified, renumbered, moved, split, merged, deleted, absent
    edits: list[Edit] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # 附則 new in this version
    clause_effective: str | None = None  # a later date for this clause from a 附則

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version.key,
            "effective": self.version.effective,
            "constructed": self.version.constructed,
            "node": self.node_id,
            "label": self.label,
            "change": self.change,
            "clause_effective": self.clause_effective,
            "text": self.text,
            "edits": [e.to_json() for e in self.edits],
            "events": self.events,
        }


def _new_events(prev: VersionEntry | None, cur: VersionEntry) -> list[dict[str, Any]]:
    """The 附則 of ``cur`` that ``prev`` did not have: the amendment that made this version."""
    seen = set()
    if prev is not None:
        seen = {("".join(s.heading.split()), s.effective) for s in parse_entry(prev).supplements}
    out = []
    for s in parse_entry(cur).supplements:
        if ("".join(s.heading.split()), s.effective) not in seen:
            out.append(
                {
                    "suppl": s.id,
                    "heading": s.heading,
                    "enacted": s.enacted,
                    "effective": s.effective,
                    "number": s.number,
                    "partial_effective": [
                        {"target": p.target, "effective": p.effective} for p in s.partial_effective
                    ],
                }
            )
    return out


def _covering_date(dates: dict[str, str], node_id: str) -> str | None:
    for target, date in dates.items():
        if node_id == target or node_id.startswith(target + "__"):
            return date
    return None


def clause_history(doc: DocumentEntry, clause: str, at: str | None = None) -> list[Step]:
    """The clause's timeline, oldest first. ``clause`` is an id or label in version ``at``.

    ``at`` is a version key (DOC@DATE) or a date; by default the newest version holding the id.
    """
    versions = list(doc.versions)
    start = _start_version(doc, clause, at)
    parsed = parse_entry(versions[start])
    ids: dict[int, str | None] = {start: resolve_clause(parsed, clause)}
    for i in range(start, 0, -1):  # backwards
        cur = ids[i]
        al = alignment_between(versions[i - 1], versions[i])
        ids[i - 1] = al.new_to_old.get(cur) if cur else None
    for i in range(start, len(versions) - 1):  # forwards
        cur = ids[i]
        al = alignment_between(versions[i], versions[i + 1])
        ids[i + 1] = al.old_to_new.get(cur) if cur else None
    return [_step(versions, i, ids) for i in range(len(versions))]


def _start_version(doc: DocumentEntry, clause: str, at: str | None) -> int:
    versions = list(doc.versions)
    if at:
        exact = next((i for i, v in enumerate(versions) if at == v.key), None)
        if exact is not None:
            return exact
        day = check_date(at.partition("@")[2] if "@" in at else at, at)
        for i in range(len(versions) - 1, -1, -1):
            v = versions[i]
            if v.effective and v.effective <= day:
                return i
        raise CorpusError(f"{doc.id}: no version at {at}")
    for i in range(len(versions) - 1, -1, -1):
        try:
            resolve_clause(parse_entry(versions[i]), clause)
            return i
        except CorpusError:
            continue
    raise CorpusError(f"{doc.id}: no version has a clause {clause!r}")


def _step(versions: list[VersionEntry], i: int, ids: dict[int, str | None]) -> Step:
    v = versions[i]
    nid = ids.get(i)
    parsed = parse_entry(v)
    prev = versions[i - 1] if i > 0 else None
    events = _new_events(prev, v)
    if nid is None:
        change = "deleted" if i > 0 and ids.get(i - 1) else "absent"
        return Step(v, None, None, "", change, events=events if change == "deleted" else [])
    text = subtree_text(parsed, nid)
    label = heading(parsed, nid)
    dates = clause_effective_dates(parsed.supplements)
    own_date = _covering_date(dates, nid)
    if own_date and v.effective and own_date <= v.effective:
        own_date = None  # an older 附則's date for it, past when this version took effect
    if prev is None or ids.get(i - 1) is None:
        return Step(v, nid, label, text, "added" if prev else "first", [], events, own_date)
    al = alignment_between(prev, v)
    old_id = ids[i - 1]
    old_text = _body(al.old, old_id) if old_id else ""
    body = _body(parsed, nid)
    match = al.for_new(nid)
    change = match.type if match else "unchanged"
    if change == "unchanged" and _fold(old_text) != _fold(body):
        change = "modified"  # changes below the clause (its paragraphs or items)
    if change == "unchanged" and old_id != nid:
        change = "renumbered"
    edits = inline_diff(old_text, body) if _fold(old_text) != _fold(body) else []
    if change == "unchanged":
        events = []
    return Step(v, nid, label, text, change, edits, events, own_date)


def _body(doc: ParsedDocument, node_id: str) -> str:
    """The clause's words without its own label (renumbering alone is not a text change)."""
    text = subtree_text(doc, node_id)
    node = doc.node(node_id)
    first, _, rest = text.partition("\n")
    label = "".join((node.label if node else "").split())
    if label and first.startswith(label):
        first = first[len(label) :].lstrip()
    return (first + "\n" + rest).strip()


def _fold(text: str) -> str:
    return "".join(text.split())
