"""Stale references after an amendment: the cited clause was renumbered or deleted, the citing
text was not updated.

A reference in the new version is stale when the same words cite from the same (aligned) clause
in the old version, the old target has moved to another number (or is gone), and the new text
still uses the old number. Example: toreru-camera 第47条第1号 「第44条（利用に係る契約者の義務）」
after 第44条（電子データの取り扱い） was inserted and 利用に係る契約者の義務 became 第45条.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from extract.model import ParsedDocument, Reference
from versions.history.align import Alignment, align

STALE_KINDS = ("absolute", "appendix")


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
        moved_to = al.old_to_new.get(before.target)
        match = al.for_old(before.target)
        if match is not None and match.type == "deleted":
            moved_to = None
        if moved_to is not None and moved_to == r.target:
            continue  # still points at the same clause
        if moved_to is None:
            reason, msg = "deleted", f"{r.text}: the cited clause ({before.target}) was deleted"
        elif r.target == before.target or r.target is None or r.target != moved_to:
            reason = "renumbered"
            msg = (
                f"{r.text}: the cited clause {before.target} is now {moved_to}; "
                f"the reference was not updated"
                + (f" and now points at {r.target}" if r.target else "")
            )
        else:
            continue
        out.append(
            StaleReference(
                r.source, r.text, r.line, r.column, before.target, moved_to, r.target, reason, msg
            )
        )
    return out
