"""The text in force on a date: pick the version, honour per-clause effective dates from 附則.

A version takes effect on its ``effective`` date, but a 附則 may give one provision a later date
(「第20条の改正規定は2021年5月17日から実施します」). Between the two dates that provision still
reads as in the previous version: ``as_of`` takes it from there (through the clause alignment,
so a renumbered provision is still found).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extract.model import Node, ParsedDocument
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
class AsOfResult:
    doc: DocumentEntry
    date: str
    version: VersionEntry
    clauses: list[ClauseState]
    pending: dict[str, str] = field(default_factory=dict)  # node id -> later effective date


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


def as_of(doc: DocumentEntry, date: str, clause: str | None = None) -> AsOfResult:
    """The version in force on ``date`` and each clause's text as it stood (or one clause)."""
    version = version_on(doc, date)
    parsed = parse_entry(version)
    dates = clause_effective_dates(parsed.supplements)
    pending = {t: d for t, d in dates.items() if d > date}
    nodes = parsed.nodes
    if clause is not None:
        node_id = resolve_clause(parsed, clause)
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
    return AsOfResult(doc, date, version, states, pending)


def _previous(doc: DocumentEntry, version: VersionEntry) -> VersionEntry | None:
    i = doc.versions.index(version)
    return doc.versions[i - 1] if i > 0 else None


def resolve_clause(parsed: ParsedDocument, clause: str) -> str:
    """A node id (art_20__para_2) or a printed label (第20条, 第20条第2項) → node id."""
    if parsed.node(clause):
        return clause
    from versions.history.diff import display_label

    want = "".join(clause.split())
    for n in parsed.nodes:
        if display_label(parsed, n.id) == want:
            return n.id
    raise CorpusError(f"{parsed.source.path}: no clause {clause!r} (use an id such as art_20)")
