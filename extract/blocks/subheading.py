"""【…】 alone on a line inside an appendix: a numbered section of the appendix (an item)."""

from __future__ import annotations

from extract.blocks.lines import Marker
from extract.blocks.state import BlockState, Line

KINDS = frozenset({"subheading"})


def subheading(state: BlockState, line: Line) -> bool:
    if state.appendix is None:
        return False
    value = next((lv.value + 1 for lv in state.items if lv.style == "subheading"), 1)
    state.flush_caption()
    state.open_item(Marker("item", str(value), "", None, 0, "subheading", value), line.raw)
    return True
