"""附則 blocks → amendment events (placeholder interface; filled by the amendments work)."""

from __future__ import annotations

from extract.model import Diagnostic, Node, Supplement


def extract_supplements(nodes: list[Node]) -> tuple[list[Supplement], list[Diagnostic]]:
    """Read every ``supplement`` node (and its children) as an amendment event."""
    return [], []
