"""別紙 / 別表 / 別記 / 様式 headings: an appendix at top level, once per label."""

from __future__ import annotations

from extract.blocks.state import BlockState, Line

KINDS = frozenset({"appendix"})
PREFIX = {"別紙": "bessi", "別表": "beppyo", "別記": "bekki", "様式": "yoshiki"}


def appendix(state: BlockState, line: Line) -> bool:
    """A new appendix; a label seen before (「別紙1」 cited at a line start) is not one."""
    mk, ln = line.marker, line.raw
    key = f"{mk.unit}{mk.num}"
    if key in state.appendix_seen and mk.num is not None:
        return False
    state.flush_caption()
    state.close_article()
    state.supplement = None
    prefix = PREFIX[mk.unit]
    state.appendix_count[prefix] = state.appendix_count.get(prefix, 0) + 1
    ident = mk.num or str(state.appendix_count[prefix])
    state.appendix_seen.add(key)
    node = state.new("appendix", f"{prefix}_{ident}", mk, None, ln)
    state.appendix = node
    state.current = node
    state.append_text(node, ln, mk.start, False)
    return True
