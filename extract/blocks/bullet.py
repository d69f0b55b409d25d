"""Markdown / 「- 」 bullets with no number of their own: 項 at depth 0, else 号 by depth."""

from __future__ import annotations

from extract.blocks.lines import Marker, terminated
from extract.blocks.paragraph import announces_list
from extract.blocks.state import BlockState, Line

LISTED = "bullet0"  # depth-0 bullets under a paragraph announcing them: its 号


def bullet(state: BlockState, line: Line) -> bool:
    ln = line.raw
    depth = ln.list_depth
    if depth < 0:
        return False
    if depth == 0 and _listed(state):
        return _open(state, line, LISTED)
    bullets = [lv for lv in state.items if lv.style.startswith("bullet")]
    if depth == 0 and bullets and not terminated(ln.text):
        depth = int(bullets[-1].style[6:])  # an item-like line (「…とき」) after 号 bullets
    if (
        depth == 0
        and (state.article is not None or state.supplement is not None)
        and state.appendix is None
    ):
        state.open_paragraph(Marker("paragraph", None, "", None, 0, "digit", 0), ln)
        return True
    return _open(state, line, f"bullet{depth}")


def _listed(state: BlockState) -> bool:
    """A depth-0 bullet is an item when the list it continues is one, or when the open
    paragraph is unnumbered and ends announcing a list (「次のとおりとします。」)."""
    if state.items:
        return state.items[0].style == LISTED
    para = state.paragraph
    return para is not None and not para.label and announces_list(para.text)


def _open(state: BlockState, line: Line, style: str) -> bool:
    ln = line.raw
    value = 1
    for lv in reversed(state.items):
        if lv.style == style:
            value = lv.value + 1
            break
    mk = Marker("item", None, "", None, 0, style, value)
    if state.article is None and state.appendix is None and state.supplement is None:
        return False
    state.open_item(mk, ln)
    return True
