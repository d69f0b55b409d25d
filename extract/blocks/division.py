"""編 / 章 / 節 / 款 headings: a division nests under the ones above it and closes the article.

編 (民法's 第一編 総則) is the level above 章; chapters restart in each 編 (part_2__chp_1)."""

from __future__ import annotations

from extract.blocks.state import BlockState, Line
from extract.model import NodeKind
from extract.numerals import to_int

KINDS = frozenset({"part", "chapter", "section", "subsection"})
_ORDER = ["part", "chapter", "section", "subsection"]
_PREFIX = {"part": "part", "chapter": "chp", "section": "sec", "subsection": "subsec"}


def division(state: BlockState, line: Line) -> bool:
    """A division heading, where the numbering or the previous line allows one."""
    mk = line.marker
    expected = to_int((mk.num or "0").split("-")[0]) == state.last_division.get(mk.kind, 0) + 1
    if state.appendix is not None or not (line.ended or expected or state.article is None):
        return False
    state.flush_caption()
    level = _ORDER.index(mk.kind)
    parent = None
    for k in _ORDER[:level]:
        parent = state.division.get(k) or parent
    prefix = _PREFIX[mk.kind]
    wanted = f"{parent.id}__{prefix}_{mk.num}" if parent else f"{prefix}_{mk.num}"
    kind: NodeKind = mk.kind  # type: ignore[assignment]
    node = state.new(kind, wanted, mk, parent, line.raw)
    state.division[mk.kind] = node
    state.last_division[mk.kind] = to_int((mk.num or "0").split("-")[0]) or 0
    for k in _ORDER[level + 1 :]:
        state.division[k] = None
        state.last_division[k] = 0
    state.close_article()
    state.supplement = state.appendix = None
    state.current = node
    return True
