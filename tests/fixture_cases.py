"""Markdown-it style fixture files: cases of a title line, input, ".", expected outline, "."."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from extract.model import Node


def node_outline(nodes: Iterable[Node]) -> list[str]:
    """``id num=… label=… cap=… text=…`` per node (fields when set; ``⏎`` for a newline)."""
    out = []
    for n in nodes:
        parts = [n.id]
        if n.num:
            parts.append(f"num={n.num}")
        if n.label:
            parts.append(f"label={n.label}")
        if n.caption:
            parts.append(f"cap={n.caption}")
        if n.text:
            parts.append("text=" + n.text.replace("\n", "⏎"))
        out.append(" ".join(parts))
    return out


def read_cases(path: Path) -> list[tuple[str, str, list[str]]]:
    """(title, input text, expected outline lines) per case; ``#`` lines are comments."""
    lines = path.read_text(encoding="utf-8").split("\n")
    cases, i = [], 0
    while i < len(lines):
        if not lines[i].strip() or lines[i].startswith("#"):
            i += 1
            continue
        title = lines[i]
        i += 1
        start = i
        while lines[i] != ".":
            i += 1
        text = "\n".join(lines[start:i]) + "\n"
        i += 1
        start = i
        while lines[i] != ".":
            i += 1
        cases.append((title, text, lines[start:i]))
        i += 1
    return cases
