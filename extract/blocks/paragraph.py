"""Paragraph numbers 「2 」: 項 of the open article; outside articles a number is an item."""

from __future__ import annotations

import re

from extract.blocks.item import try_item
from extract.blocks.lines import Marker
from extract.blocks.state import BlockState, Line

KINDS = frozenset({"paragraph"})
# a paragraph that announces a list: its 1, 2, 3 … are 号, not 項
_INTRO = re.compile(r"次の各号|次のいずれか|次に掲げる")
# …or ends by pointing at what follows: 「次の行為をしてはなりません。」「以下のとおりとします：」
_LEAD = re.compile(r"(?:次|以下|下記)の[^。]{0,40}[。：:]$")
_SPACES = re.compile(r"[\s\u3000]+")
LIST_STYLE = "listed-digit"  # 「1 」 read as an item


def paragraph(state: BlockState, line: Line) -> bool:
    mk, ln = line.marker, line.raw
    if state.appendix is not None or (state.article is None and state.supplement is None):
        if mk.weak:
            return False  # 「1 年コース」 in a flattened price table
        return _as_item(state, line, "digit")
    if ln.list_depth > 0 and ln.list_label:  # Markdown 「1.」 nested under 「2.」: a 号 of that 項
        return _as_item(state, line, "digit")
    if _announced_item(state, mk, ln.list_label is not None and ln.list_depth == 0):
        return _as_item(state, line, LIST_STYLE)
    last = state.last_para
    fits = mk.value == last + 1 or (last == 0 and mk.value == 1)
    if mk.weak and not (fits and line.ended):
        return False
    if not (fits or (line.ended and mk.value > last) or ln.list_depth >= 0):
        return False  # a wrapped number, or a numbered row of a flattened table
    state.open_paragraph(mk, ln)
    return True


def _as_item(state: BlockState, line: Line, style: str) -> bool:
    """The paragraph number of ``line`` read as an item (号) numbered in ``style``."""
    mk = line.marker
    return try_item(state, Marker("item", mk.num, mk.label, None, mk.start, style, mk.value), line)


def _announced_item(state: BlockState, mk: Marker, markdown_list: bool) -> bool:
    """「当社は、次のいずれかに該当する場合は…」 then 「1 …」「2 …」: entries of that paragraph's
    list (号), numbered like paragraphs. The list goes on while the numbers follow each other.
    A Markdown list starting at 1 under an unnumbered paragraph is that paragraph's list too:
    a 項 numbered 1 cannot follow 項 1."""
    para = state.paragraph
    if para is None or mk.weak:
        return False
    if state.items:
        top = state.items[0]
        return top.style == LIST_STYLE and mk.value == top.value + 1
    if mk.value != 1:
        return False
    return announces_list(para.text) or (markdown_list and not para.label)


def announces_list(text: str) -> bool:
    """「次の各号」「次のいずれか」 anywhere, or an ending that points at what follows."""
    text = _SPACES.sub("", text)
    return bool(_INTRO.search(text) or _LEAD.search(text))
