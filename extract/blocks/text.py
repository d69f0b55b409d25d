"""Plain text (the last rule, takes every line): continues the current unit or starts one."""

from __future__ import annotations

from extract.blocks.state import BlockState, Line

_SHORT_PREVIOUS = 18  # a shorter unterminated line is a heading, not a line wrapped at the margin


def text(state: BlockState, line: Line) -> bool:
    # a short previous line is a table cell or heading, not a wrapped sentence
    state.add_text(line.raw, line.ended or len(state.last_text) < _SHORT_PREVIOUS)
    return True
