"""Plain text (the last rule, takes every line): continues the current unit or starts one."""

from __future__ import annotations

from extract.blocks.lines import Marker
from extract.blocks.state import BlockState, Line

_SHORT_PREVIOUS = 18  # a shorter unterminated line is a heading, not a line wrapped at the margin


def text(state: BlockState, line: Line) -> bool:
    if _after_list(state, line):  # Markdown: a paragraph after the list is the next 項
        state.flush_caption()
        state.open_paragraph(Marker("paragraph", None, "", None, 0, "digit", 0), line.raw)
        return True
    # a short previous line is a table cell or heading, not a wrapped sentence
    state.add_text(line.raw, line.ended or len(state.last_text) < _SHORT_PREVIOUS)
    return True


def _after_list(state: BlockState, line: Line) -> bool:
    """A Markdown paragraph outside every list, after 号 of an article or 附則: not their text."""
    owner = state.article or state.supplement
    return (
        line.raw.opens_top_block
        and bool(state.items)
        and owner is not None
        and (state.appendix is None)
    )
