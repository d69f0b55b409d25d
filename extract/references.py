"""Cross-references in clause text, resolved against the tree (placeholder interface)."""

from __future__ import annotations

from extract.model import Diagnostic, Node, Reference


def extract_references(nodes: list[Node]) -> tuple[list[Reference], list[Diagnostic]]:
    """Find and resolve every reference in ``nodes`` (document order)."""
    return [], []
