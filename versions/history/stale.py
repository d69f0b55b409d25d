"""Stale references after an amendment: the cited clause was renumbered or deleted, the citing
text was not updated.

A reference in the new version is stale when the same words cite from the same (aligned) clause
in the old version, the old target has moved to another number (or is gone), and the new text
still uses the old number. Example: toreru-camera 第47条第1号 「第44条（利用に係る契約者の義務）」
after 第44条（電子データの取り扱い） was inserted and 利用に係る契約者の義務 became 第45条.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from extract.model import ParsedDocument, Reference
from versions.history.align import Alignment, align

STALE_KINDS = ("absolute", "appendix")
_EVERY = re.compile(r"各[条項号]$")  # 第十四条第二項各号: every unit there is, not numbers


@dataclass
class StaleReference:
    source: str  # node id of the citing clause in the new version
    text: str  # the reference as printed
    line: int
    column: int
    old_target: str  # what it pointed to in the old version
    new_target: str | None  # where that clause is now (None: deleted)
    cited_now: str | None  # what the printed number resolves to in the new version
    reason: str  # "renumbered" or "deleted"
    message: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def _key(text: str) -> str:
    return "".join(text.split())


def find_stale_references(
    old: ParsedDocument, new: ParsedDocument, alignment: Alignment | None = None
) -> list[StaleReference]:
    """References in ``new`` still citing ``old``'s numbering for a renumbered/deleted target."""
    al = alignment or align(old, new)
    old_refs: dict[tuple[str, str], Reference] = {}
    for r in old.references:
        if r.kind in STALE_KINDS and r.target and not r.target_document:
            old_refs.setdefault((r.source, _key(r.text)), r)
    out: list[StaleReference] = []
    for r in new.references:
        if r.kind not in STALE_KINDS or r.target_document:
            continue
        old_source = al.new_to_old.get(r.source)
        before = old_refs.get((old_source, _key(r.text))) if old_source else None
        if before is None or before.target is None:
            continue
        stale = _first_stale_member(before, r, al, old)
        if stale is not None:
            out.append(stale)
    return out


def _members(r: Reference) -> list[str]:
    return r.targets or ([r.target] if r.target else [])


def _first_stale_member(
    before: Reference, r: Reference, al: Alignment, old_doc: ParsedDocument
) -> StaleReference | None:
    """The first member of ``before`` (every unit of 「第2条から第5条まで」) that the amendment
    moved out of what ``r`` names now, or deleted. 「第十四条第二項各号」 names the items as
    they are, whatever their numbers: an item deleted from it leaves it right."""
    now = set(_members(r))
    whole = _EVERY.search(_key(r.text)) is not None  # 各号: the list as it stands now
    members = [before.target] if whole and before.target else _members(before)
    ranged = len(members) > 1
    for old in members:
        moved_to = al.old_to_new.get(old)
        match = al.for_old(old)
        if match is not None and match.type == "deleted":
            moved_to = None
        if moved_to is not None and moved_to in now:
            continue  # still names the same clause
        reason = "deleted" if moved_to is None else "renumbered"
        message = _message(r, _name(old_doc, old) if ranged else old, moved_to, ranged)
        return StaleReference(r.source, r.text, r.line, r.column, old, moved_to, r.target,
                              reason, message)  # fmt: skip
    return None


def _name(doc: ParsedDocument, node_id: str) -> str:
    """「第3条（保証金） (art_3)」 for a range member; a single target keeps its id."""
    node = doc.node(node_id)
    if node is None or not node.label:
        return node_id
    caption = f"（{node.caption}）" if node.caption else ""
    return f"{''.join(node.label.split())}{caption} ({node_id})"


def _message(r: Reference, old: str, moved_to: str | None, ranged: bool) -> str:
    if ranged:  # 「第2条から第5条まで」: one member moved away or gone
        gone = "was deleted" if moved_to is None else f"is now {moved_to}, outside the range"
        return (
            f"{r.text}: the range it opens names {old}, which {gone}; the reference was not updated"
        )
    if moved_to is None:
        return f"{r.text}: the cited clause ({old}) was deleted"
    now = f" and now points at {r.target}" if r.target else ""
    return f"{r.text}: the cited clause {old} is now {moved_to}; the reference was not updated{now}"
