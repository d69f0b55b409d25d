"""A caption alone on its line 「（目的）」: held for the article or paragraph that follows."""

from __future__ import annotations

from extract.blocks.state import BlockState, Line

KINDS = frozenset({"caption"})


def caption(state: BlockState, line: Line) -> bool:
    state.flush_caption()
    state.pending_caption = (line.marker.caption or "", line.raw)
    return True
