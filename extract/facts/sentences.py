"""Sentences of a clause: cut after 。 outside brackets, with their offsets in the clause."""

from __future__ import annotations

_OPEN, _CLOSE = "（(「『【", "）)」』】"


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; 。 inside （…） or 「…」 does not end a sentence."""
    out: list[tuple[int, int]] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch == "。" and depth == 0:
            out.append((start, i + 1))
            start = i + 1
    if text[start:].strip():
        out.append((start, len(text)))
    return [(s, e) for s, e in out if text[s:e].strip()]


def asides(text: str) -> list[tuple[int, int]]:
    """(start, end) of sentences inside brackets: 「（…保証するものではありません。）」.

    Only a bracket whose content ends with 。 is a sentence; its own inner brackets stay in it.
    """
    out: list[tuple[int, int]] = []
    opened: list[int] = []
    for i, ch in enumerate(text):
        if ch in _OPEN:
            opened.append(i)
        elif ch in _CLOSE and opened:
            start = opened.pop()
            if i > start + 1 and text[i - 1] == "。":
                out.append((start + 1, i))
    return sorted(out)
