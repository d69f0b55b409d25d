"""附則 headings: each opens a new supplement (suppl_1, suppl_2 …) with its own article numbers."""

from __future__ import annotations

from extract.blocks.state import BlockState, Line

KINDS = frozenset({"supplement"})


def supplement(state: BlockState, line: Line) -> bool:
    mk, ln = line.marker, line.raw
    state.flush_caption()
    state.close_article()
    state.appendix = None
    state.suppl_count += 1
    state.suppl_articles = []
    state.suppl_seen = set()
    node = state.new("supplement", f"suppl_{state.suppl_count}", mk, None, ln)
    state.supplement = node
    state.current = node
    state.append_text(node, ln, mk.start, False)
    return True
