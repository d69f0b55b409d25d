"""Item markers (1) ① (ア) 一 イ ⅰ A. …: 号 under a paragraph, nested by numbering style."""

from __future__ import annotations

from extract.blocks.lines import Marker
from extract.blocks.state import BlockState, Line
from extract.numerals import AIUEO, CIRCLED

KINDS = frozenset({"item"})


def item(state: BlockState, line: Line) -> bool:
    mk = line.marker
    if _circled_paragraph(state, mk):  # ① ② numbering an article's paragraphs
        num = Marker("paragraph", str(mk.value), mk.label, None, mk.start, "circled", mk.value)
        state.open_paragraph(num, line.raw)
        return True
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


def _circled_paragraph(state: BlockState, mk: Marker) -> bool:
    """「① 当社は…」 as an article's first line, and ② ③ … after it: its 項, as some terms
    number them. Under a lead paragraph (「次の場合：」) ① is an item as usual."""
    if mk.style != "circled" or state.article is None or state.appendix is not None:
        return False
    para = state.paragraph
    if para is None:
        return mk.value == 1 and state.para_count == 0
    return bool(para.label) and para.label[0] in CIRCLED and mk.value == state.last_para + 1
