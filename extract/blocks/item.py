"""Item markers (1) ① (ア) 一 イ ⅰ A. …: 号 under a paragraph, nested by numbering style."""

from __future__ import annotations

from extract.blocks.lines import Marker
from extract.blocks.state import BlockState, Line
from extract.numerals import AIUEO

KINDS = frozenset({"item"})


def item(state: BlockState, line: Line) -> bool:
    mk = line.marker
    if mk.style == "iroha" and any(lv.style == "aiueo" for lv in state.items):
        mk.style, mk.value = "aiueo", AIUEO.find(mk.num or "") + 1  # ア イ ウ, not イロハ
    return try_item(state, mk, line)


def try_item(state: BlockState, mk: Marker, line: Line) -> bool:
    """Open an item if it fits the numbering (or the line may start one) inside some unit."""
    if not (state.item_fits(mk) or line.ended or line.raw.list_depth >= 0):
        return False
    if state.article is None and state.appendix is None and state.supplement is None:
        return False
    state.flush_caption()
    state.open_item(mk, line.raw)
    return True
