"""用語の定義 tables and inline definitions (placeholder interface)."""

from __future__ import annotations

from extract.model import Definition, Node


def extract_definitions(nodes: list[Node]) -> list[Definition]:
    """Every defined term with the node that defines it and the nodes that use it."""
    return []
