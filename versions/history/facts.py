"""Fact changes between two versions: per aligned clause, the periods, amounts, rates, dates
and modalities (extract.facts) that differ — 「10日前まで → 30日前まで」, 「年14.5% → 年14.6%」.

Each clause is compared on its own text with its counterpart (every old and new unit of a
match, so split and merged clauses compare as wholes). Facts equal in kind, value and unit
(modality: kind and party) are the same fact; of the rest, the old and new facts of one kind
pair up in text order (``changed``) and the leftovers are ``removed`` or ``added``. A modality
whose party is read on one side only (the sentence was reworded around it) is no change.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from extract.facts import MODALITIES, Fact, text_facts
from extract.model import ParsedDocument
from versions.history.align import Alignment, Match
from versions.history.table import Table

ChangeOp = Literal["changed", "added", "removed"]
KIND_JA = {
    "period": "期間", "deadline": "期限", "amount": "金額", "rate": "割合", "date": "日付",
    "obligation": "義務", "prohibition": "禁止", "permission": "権利", "disclaimer": "免責",
}  # fmt: skip


@dataclass(frozen=True)
class FactChange:
    op: ChangeOp
    kind: str  # the fact kind (the new one when a modality changed kind)
    old: Fact | None
    new: Fact | None

    def text(self) -> str:
        """「期間 10日前まで → 30日前まで」, 「金額 （なし） → 1,100円」."""
        kind = KIND_JA.get(self.kind, self.kind)
        return f"{kind} {_shown(self.old)} → {_shown(self.new)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "kind": self.kind,
            "text": self.text(),
            "old": self.old.to_json() if self.old else None,
            "new": self.new.to_json() if self.new else None,
        }


def _shown(f: Fact | None) -> str:
    if f is None:
        return "（なし）"
    text = "".join(f.surface.split())
    if f.kind in MODALITIES:
        text = f"{KIND_JA[f.kind]}「{text}」" + (f"（{f.party}）" if f.party else "")
    return text


def _key(f: Fact) -> tuple[str, ...]:
    if f.kind in MODALITIES:
        return ("modality", f.kind, f.party)
    return (f.kind, f.value, f.unit)


def _group(f: Fact) -> str:
    return "modality" if f.kind in MODALITIES else f.kind


class _Version:
    """One side of an alignment: nodes by id and the defined terms (for parties)."""

    def __init__(self, doc: ParsedDocument):
        self.by_id = {n.id: n for n in doc.nodes}
        self.terms = tuple(d.term for d in doc.definitions)

    def facts(self, ids: list[str]) -> list[Fact]:
        out: list[Fact] = []
        for nid in ids:
            n = self.by_id.get(nid)
            if n is not None:
                out += text_facts(n.id, n.text, self.terms)
        return out


def compare(old: list[Fact], new: list[Fact]) -> list[FactChange]:
    """The changes from the facts ``old`` to the facts ``new`` (of one clause)."""
    same = Counter(map(_key, old)) & Counter(map(_key, new))
    left = _without(old, same)
    right = _without(new, same)
    out: list[FactChange] = []
    for group in dict.fromkeys(_group(f) for f in left + right):
        a = [f for f in left if _group(f) == group]
        b = [f for f in right if _group(f) == group]
        out += [_change(o, n) for o, n in _pairs(a, b) if not _party_unsaid(o, n)]
    return out


def _party_unsaid(o: Fact | None, n: Fact | None) -> bool:
    """One modality, its party read on one side only: the reading differs, not the duty."""
    same = bool(o and n and o.kind == n.kind and o.kind in MODALITIES)
    return same and not (o.party and n.party)  # type: ignore[union-attr]


def _pairs(a: list[Fact], b: list[Fact]) -> list[tuple[Fact | None, Fact | None]]:
    """Old and new facts of one kind paired: same value (its unit changed) first, then same
    unit (its value changed), then in text order."""
    pairs: list[tuple[Fact | None, Fact | None]] = []
    rest = list(b)
    unpaired = list(a)
    for same in (lambda x, y: x.value == y.value, lambda x, y: x.unit == y.unit):
        for o in list(unpaired):
            n = next((x for x in rest if x.kind == o.kind and same(x, o)), None)
            if n is not None:
                rest.remove(n)
                unpaired.remove(o)
                pairs.append((o, n))
    for i in range(max(len(unpaired), len(rest))):
        pairs.append(
            (unpaired[i] if i < len(unpaired) else None, rest[i] if i < len(rest) else None)
        )
    return sorted(pairs, key=lambda p: (p[1] or p[0]).start)  # type: ignore[union-attr]


def _change(o: Fact | None, n: Fact | None) -> FactChange:
    op: ChangeOp = "changed" if o and n else "removed" if o else "added"
    return FactChange(op, (n or o).kind, o, n)  # type: ignore[union-attr]


def _without(facts: list[Fact], same: Counter[tuple[str, ...]]) -> list[Fact]:
    left = Counter(same)
    out = []
    for f in facts:
        k = _key(f)
        if left[k]:
            left[k] -= 1
        else:
            out.append(f)
    return out


def _changed(m: Match) -> bool:
    return bool(m.old_ids and m.new_ids and (m.text_changed or m.type == "moved"))


def fact_changes(al: Alignment) -> list[FactChange]:
    """Every fact change of an alignment, clause by clause (added / deleted clauses: none)."""
    old, new = _Version(al.old), _Version(al.new)
    return [
        c
        for m in al.matches
        if _changed(m)
        for c in compare(old.facts(m.old_ids), new.facts(m.new_ids))
    ]


def by_row(table: Table, changes: list[FactChange]) -> list[list[FactChange]]:
    """The changes of each row of a 新旧対照表 (a change belongs to the row showing its clause)."""
    out: list[list[FactChange]] = []
    for row in table.rows:
        old, new = set(row.old.units()), set(row.new.units())
        out.append(
            [c for c in changes if (c.new and c.new.node in new) or (c.old and c.old.node in old)]
        )
    return out


def note(changes: list[FactChange]) -> str:
    """The note a row prints: 「※ 事実の変更: 期間 10日前まで → 30日前まで」."""
    return "※ 事実の変更: " + "、".join(c.text() for c in changes) if changes else ""


def clause_facts(doc: ParsedDocument, node_id: str) -> list[Fact]:
    """The facts of a clause and everything under it (ids below it start with ``node_id__``)."""
    v = _Version(doc)
    return v.facts([n.id for n in doc.nodes if n.id == node_id or n.id.startswith(node_id + "__")])


def describe(f: Fact) -> str:
    """「期間 10日前まで (P10D before)」, 「義務「いただきます」（契約者）」."""
    if f.kind in MODALITIES:
        return _shown(f)
    norm = " ".join(x for x in (f.value, f.unit) if x)
    return f"{KIND_JA.get(f.kind, f.kind)} {_shown(f)} ({norm})"
