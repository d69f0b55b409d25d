"""The text in force on a date: pick the version, honour per-clause effective dates from 附則.

A version takes effect on its ``effective`` date, but a 附則 may give one provision a later date
(「第20条の改正規定は2021年5月17日から実施します」). Between the two dates that provision still
reads as in the previous version: ``as_of`` takes it from there (through the clause alignment,
so a renumbered provision is still found).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date as _date
from datetime import timedelta
from typing import Any, Protocol

from extract.model import Node, ParsedDocument, Supplement
from extract.supplements import clause_effective_dates, effective_date_of
from versions.history.align import Alignment, align
from versions.sources.corpus import CorpusError, DocumentEntry, VersionEntry
from versions.sources.loaded import parse_entry


class BeforeFirstVersion(CorpusError):
    """The date is before the first known version of the document."""


# --- as of a date ------------------------------------------------------------------------------


@dataclass
class ClauseState:
    node: Node
    from_version: str  # version whose text is shown
    pending: str | None = None  # the later date this clause's amendment takes effect


@dataclass
class Uncertain:
    """The date falls where the text is not known: amendments between two versions whose
    effective dates are unresolved (「政令で定める日」) or differ from one another."""

    reason: str
    window: tuple[str, str]  # [from, to): from ``to`` on the newer version is certainly in force
    older: str  # version keys
    newer: str

    def to_json(self) -> dict[str, object]:
        return {"reason": self.reason, "window": list(self.window), "older": self.older,
                "newer": self.newer}  # fmt: skip


@dataclass
class AsOfResult:
    doc: DocumentEntry
    date: str
    version: VersionEntry
    clauses: list[ClauseState]
    pending: dict[str, str] = field(default_factory=dict)  # node id -> later effective date
    uncertain: Uncertain | None = None
    renumbered: str | None = None  # the asked clause's number in force on the date, and since when


def effective_of(v: VersionEntry) -> str | None:
    """document.toml's effective date, else the latest 附則 date in the text."""
    return v.effective or effective_date_of(parse_entry(v).supplements)


def version_on(doc: DocumentEntry, date: str) -> VersionEntry:
    dated = [(d, v) for v in doc.versions if (d := effective_of(v))]
    if not dated:
        raise BeforeFirstVersion(
            f'{doc.id}: no version has an effective date (give effective = "YYYY-MM-DD" in '
            f"{doc.folder / 'document.toml'}, or the text needs a 附則 with one)"
        )
    in_force = [v for d, v in sorted(dated, key=lambda x: x[0]) if d <= date]
    if not in_force:
        first = min(d for d, _ in dated)
        raise BeforeFirstVersion(
            f"{doc.id}: no version in force on {date}; the first known version took effect on "
            f"{first}"
        )
    return in_force[-1]


def _covers(target: str, node_id: str) -> bool:
    return node_id == target or node_id.startswith(target + "__")


_ALIGNED: dict[tuple[str, str, str, str], Alignment] = {}


def alignment_between(old: VersionEntry, new: VersionEntry) -> Alignment:
    """align() of two corpus versions, cached per process."""
    key = (old.key, new.key, str(old.file), str(new.file))
    if key not in _ALIGNED:
        _ALIGNED[key] = align(parse_entry(old), parse_entry(new))
    return _ALIGNED[key]


def amendment_key(s: Supplement) -> str:
    """One amending 附則 across versions: its law number and date (the heading may gain 抄)."""
    if s.number and s.enacted:
        return f"{s.enacted}/{''.join(s.number.split())}"
    return "".join(s.heading.split()).removesuffix("抄")


def supplements_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Supplement]:
    """Supplements from rows of the knowledge base's ``amendments`` table."""
    return [
        Supplement(
            r["suppl_id"],
            r["heading"],
            r["enacted"],
            r["number"],
            r["effective"],
            line=r["line"] or 0,
            effective_text=r["effective_text"],
            effective_by=r["effective_by"],
        )
        for r in rows
    ]


def new_amendments(older: list[Supplement], newer: list[Supplement]) -> list[Supplement]:
    """The 附則 of ``newer`` that ``older`` does not have: the amendments between them."""
    seen = {amendment_key(s) for s in older}
    return [s for s in newer if amendment_key(s) not in seen]


def switch_window(
    older_effective: str, newer_effective: str, amendments: list[Supplement]
) -> tuple[str, str] | None:
    """[from, to): before ``from`` the older text is in force, from ``to`` the newer one.

    Each amendment takes effect on its date; an unresolved one somewhere between its promulgation
    (or the day after the older version) and its last possible day (or the newer version).
    None when there are no amendments to date the change (the newer version's date is used).
    """
    if not amendments:
        return None
    floor = (_date.fromisoformat(older_effective) + timedelta(days=1)).isoformat()
    earliest, latest = [], []
    for s in amendments:
        lo = s.effective or max(floor, s.enacted or floor)
        hi = s.effective or min(s.effective_by or newer_effective, newer_effective)
        earliest.append(min(max(lo, floor), newer_effective))
        latest.append(min(max(hi, floor), newer_effective))
    return min(earliest), max(latest)


class Dated(Protocol):
    """A version as the corpus (VersionEntry) or the knowledge base (a versions row) has it."""

    @property
    def key(self) -> str: ...
    @property
    def effective(self) -> str | None: ...


def uncertainty(
    date: str, older: Dated, newer: Dated, amendments: list[Supplement]
) -> tuple[Uncertain | None, bool]:
    """(why the text on ``date`` is not known, whether the newer text is certainly in force)."""
    oe, ne = older.effective or "", newer.effective or ""
    window = switch_window(oe, ne, amendments) if oe and ne else None
    if window is None or not (oe <= date < ne):
        return None, False
    start, end = window
    if date < start:
        return None, False
    if date >= end:
        return None, True
    unknown = [s for s in amendments if s.effective is None and (s.enacted or "") <= date]
    in_force = [s for s in amendments if s.effective and s.effective <= date]
    later = [s for s in amendments if s.effective and s.effective > date]
    parts = [f"between {older.key} and {newer.key} the text changed by {len(amendments)} 附則"]
    if unknown:
        printed = "、".join(f"「{s.effective_text or '?'}」" for s in unknown[:3])
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        parts.append(f"{len(unknown)} take effect on a date yakkan cannot know ({printed}{more})")
    if in_force and (later or unknown):
        parts.append(f"{len(in_force)} were in force on {date}, {len(later)} not yet")
    reason = "; ".join(parts) + f": the text of {older.key} is shown, it may no longer apply"
    return Uncertain(reason, (start, end), older.key, newer.key), False


def as_of(doc: DocumentEntry, date: str, clause: str | None = None) -> AsOfResult:
    """The version in force on ``date`` and each clause's text as it stood (or one clause)."""
    version = version_on(doc, date)
    uncertain = None
    newer = _next(doc, version)
    if newer is not None:
        amendments = new_amendments(
            parse_entry(version).supplements, parse_entry(newer).supplements
        )
        uncertain, switched = uncertainty(date, version, newer, amendments)
        if switched:  # every amendment is in force before the newer version's listed date
            version = newer
    parsed = parse_entry(version)
    dates = clause_effective_dates(parsed.supplements)
    pending = {t: d for t, d in dates.items() if d > date}
    nodes = parsed.nodes
    renumbered = None
    if clause is not None:
        node_id, renumbered = _clause_in(doc, version, parsed, clause)
        nodes = [n for n in nodes if _covers(node_id, n.id)]
    states: list[ClauseState] = []
    previous = _previous(doc, version)
    for n in nodes:
        target = next((t for t in pending if _covers(t, n.id)), None)
        if target is None or previous is None:
            states.append(ClauseState(n, version.key, pending.get(target) if target else None))
            continue
        al = alignment_between(previous, version)
        old_id = al.new_to_old.get(n.id)
        old_node = al.old.node(old_id) if old_id else None
        if old_node is None:  # the clause is new in this version: not yet in force
            continue
        states.append(ClauseState(old_node, previous.key, pending[target]))
    return AsOfResult(doc, date, version, states, pending, uncertain, renumbered)


def _clause_in(
    doc: DocumentEntry, version: VersionEntry, parsed: ParsedDocument, clause: str
) -> tuple[str, str | None]:
    """The node of ``clause`` in ``version``; a number it had in an earlier version is followed
    through the alignments to the clause it became (with a note saying so)."""
    try:
        return resolve_clause(parsed, clause), None
    except CorpusError:
        earlier = list(doc.versions[: doc.versions.index(version)])
        for i in range(len(earlier) - 1, -1, -1):
            try:
                node_id = resolve_clause(parse_entry(earlier[i]), clause)
            except CorpusError:
                continue
            return _followed(doc, [*earlier[i:], version], node_id, clause)
        raise


def _followed(
    doc: DocumentEntry, chain: list[VersionEntry], node_id: str, clause: str
) -> tuple[str, str]:
    """``node_id`` of ``chain[0]`` carried version by version to the last one."""
    current, since = node_id, chain[-1].key
    for old, new in itertools.pairwise(chain):
        moved = alignment_between(old, new).old_to_new.get(current)
        if moved is None:
            raise CorpusError(f"{doc.id}: {clause} ({current}) was deleted in {new.key}") from None
        if moved != current:
            current, since = moved, new.key
    from versions.history.diff import display_label

    label = display_label(parse_entry(chain[-1]), current)
    return current, f"{clause} ({node_id}) is {label} ({current}) since {since}"


def _next(doc: DocumentEntry, version: VersionEntry) -> VersionEntry | None:
    i = doc.versions.index(version)
    return doc.versions[i + 1] if i + 1 < len(doc.versions) else None


def _previous(doc: DocumentEntry, version: VersionEntry) -> VersionEntry | None:
    i = doc.versions.index(version)
    return doc.versions[i - 1] if i > 0 else None


def resolve_clause(parsed: ParsedDocument, clause: str) -> str:
    """A node id (art_20__para_2) or a label as printed (第20条, 第二十条第2項) → node id."""
    from extract.references import clause_id
    from versions.history.diff import display_label

    found = clause_id(parsed.nodes, clause)
    if found:
        return found
    want = "".join(clause.split())  # labels the citation reader does not know (章, 節)
    for n in parsed.nodes:
        if display_label(parsed, n.id) == want:
            return n.id
    raise CorpusError(
        f"{parsed.source.path}: no clause {clause!r} (use a label such as 第20条 or 第20条第2項, "
        "or an id such as art_20)"
    )
