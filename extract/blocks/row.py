"""Tab-separated table rows: ``table_row`` children of the deepest open unit."""

from __future__ import annotations

from extract.blocks.lines import Marker
from extract.blocks.state import BlockState, Line

KINDS = frozenset({"row"})


def row(state: BlockState, line: Line) -> bool:
    ln = line.raw
    parent = state.container() or state.article or state.current
    if parent is None:
        parent = state.preamble(ln)
    k = state.rows.get(parent.id, 0) + 1
    state.rows[parent.id] = k
    node = state.new("table_row", f"{parent.id}__row_{k}", Marker("row"), parent, ln)
    state.append_text(node, ln, 0, False)
    # rows do not take wrapped text: keep the container current
    state.current = parent
    return True
