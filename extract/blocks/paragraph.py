"""Paragraph numbers 「2 」: 項 of the open article; outside articles a number is an item."""

from __future__ import annotations

from extract.blocks.item import try_item
from extract.blocks.lines import Marker
from extract.blocks.state import BlockState, Line

KINDS = frozenset({"paragraph"})


def paragraph(state: BlockState, line: Line) -> bool:
    mk, ln = line.marker, line.raw
    if state.appendix is not None or (state.article is None and state.supplement is None):
        if mk.weak:
            return False  # 「1 年コース」 in a flattened price table
        as_item = Marker("item", mk.num, mk.label, None, mk.start, "digit", mk.value)
        return try_item(state, as_item, line)
    if ln.list_depth > 0 and ln.list_label:  # Markdown 「1.」 nested under 「2.」: a 号 of that 項
        as_item = Marker("item", mk.num, mk.label, None, mk.start, "digit", mk.value)
        return try_item(state, as_item, line)
    last = state.last_para
    fits = mk.value == last + 1 or (last == 0 and mk.value == 1)
    if mk.weak and not (fits and line.ended):
        return False
    if not (fits or (line.ended and mk.value > last) or ln.list_depth >= 0):
        return False  # a wrapped number, or a numbered row of a flattened table
    state.open_paragraph(mk, ln)
    return True
