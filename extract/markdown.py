"""Markdown → the same cleaned source lines as plain text, read with markdown-it-py tokens.

Headings and list items come from the token stream (never from regular expressions); each
source line inside a block becomes one ``RawLine`` so wrapped lines and lazy continuations keep
their line and column. Markup characters (``#``, bullets) become ``blank_marker`` artefacts.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from extract.model import Artefact
from extract.normalize import RawLine, split_lines, strip_blanks

_MD = MarkdownIt("commonmark")
_CONTAINERS = {"bullet_list_open", "ordered_list_open"}


_TABLE_DELIMITER_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")


def looks_like_markdown(text: str) -> bool:
    """True when markdown-it reads Markdown in the first part of the text, whatever the file
    is called: ATX headings (two, or one with other markup), links, ``**strong**``, a pipe
    table. Numbered lines and ``- `` bullets alone are not evidence: plain text has them too.
    """
    head = split_lines(text)[:400]
    tokens = _MD.parse("\n".join(head))
    headings = sum(t.type == "heading_open" and t.markup.startswith("#") for t in tokens)
    inline = [c.type for t in tokens if t.type == "inline" for c in t.children or []]
    markup = inline.count("link_open") + inline.count("strong_open")
    tables = sum(bool(_TABLE_DELIMITER_RE.match(ln)) for ln in head)
    return headings >= 2 or (headings >= 1 and markup >= 1) or markup >= 3 or tables >= 1


def _find(source: list[str], start: int, stop: int, piece: str) -> tuple[int, int]:
    """(line index, column) of the first line in [start, stop) printing ``piece``, with inline
    markup (``**``, ``[…](url)``) between its characters; else (start, -1) so that the caller
    falls back to the printed line."""
    for idx in range(start, min(stop, len(source))):
        col = source[idx].find(piece)
        if col < 0:
            col = _spread(source[idx], piece)
        if col >= 0:
            return idx, col
    return start, -1


def _spread(line: str, piece: str, start: int = 0) -> int:
    """The first column from which ``piece`` is a subsequence of ``line``, else -1."""
    col = line.find(piece[:1], start)
    while col >= 0:
        if _consume(line, piece, col) is not None:
            return col
        col = line.find(piece[:1], col + 1)
    return -1


def _consume(line: str, piece: str, col: int) -> list[int] | None:
    """The columns of ``line`` (from ``col``) that print ``piece``, taken greedily."""
    taken, at = [], col
    for ch in piece:
        at = line.find(ch, at)
        if at < 0:
            return None
        taken.append(at)
        at += 1
    return taken


def _inline_text(tok: Token) -> str:
    """An inline token's text without its markup: emphasis marks, link brackets and URLs."""
    if not tok.children:
        return tok.content
    parts = []
    for child in tok.children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(_inline_text(child))
    return "".join(parts)


def markdown_lines(text: str, artefacts: list[Artefact]) -> list[RawLine]:
    """RawLines for every text-bearing line, with heading / list hints from the tokens."""
    source = split_lines(text)
    tokens = _MD.parse(text)
    out: list[RawLine] = []
    depth = -1
    pending_item: tuple[int, str | None] | None = None  # (depth, ordered label) awaiting text
    block = 0
    for i, tok in enumerate(tokens):
        if tok.type in _CONTAINERS:
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif tok.type == "list_item_open":
            ordered = tokens[i - 1].type == "ordered_list_open" or tok.info != ""
            label = f"{tok.info}{tok.markup}" if ordered and tok.info else None
            pending_item = (depth, label)
        elif tok.type in ("inline", "code_block", "fence", "html_block") and tok.map:
            block += 1
            heading = i > 0 and tokens[i - 1].type == "heading_open"
            first = True
            cursor = tok.map[0] + (1 if tok.type == "fence" else 0)
            content = _inline_text(tok) if tok.type == "inline" else tok.content
            for piece in content.split("\n"):
                stripped, _ = strip_blanks(piece)
                if not stripped:
                    continue
                line_idx, col = _find(source, cursor, tok.map[1], stripped)
                if line_idx >= len(source):
                    continue
                cursor = line_idx + 1
                if col < 0:  # content differs from the printed line: keep the printed line
                    stripped, col = strip_blanks(source[line_idx])
                    if not stripped:
                        continue
                ln = RawLine(stripped, line_idx + 1, col + 1, block, heading)
                ln.opens_top_block = first and depth < 0 and not heading
                if first and pending_item is not None and tok.type == "inline":
                    ln.list_depth, ln.list_label = pending_item
                    pending_item = None
                    if ln.list_label:  # keep "1." as printed: the structure reads it as 項
                        mcol = source[line_idx].rfind(ln.list_label, 0, col)
                        if mcol >= 0:
                            ln.text = f"{ln.list_label} {stripped}"
                            ln.col = mcol + 1
                first = False
                out.append(ln)
    _leftover_markup(source, out, artefacts)
    return out


def _leftover_markup(source: list[str], lines: list[RawLine], artefacts: list[Artefact]) -> None:
    """Whatever non-blank source text no RawLine covers (``#``, ``-``, ``>``, fences) is markup."""
    by_line: dict[int, list[RawLine]] = {}
    for ln in lines:
        by_line.setdefault(ln.line, []).append(ln)
    for no, raw in enumerate(source, start=1):
        rest = raw
        for ln in by_line.get(no, []):
            start = ln.col - 1
            if start >= 0 and rest[start : start + len(ln.text)] == ln.text:
                rest = rest[:start] + " " * len(ln.text) + rest[start + len(ln.text) :]
            elif start >= 0 and (cols := _consume(rest, ln.text, start)) is not None:
                chars = list(rest)  # the text with inline markup between its characters
                for c in cols:
                    chars[c] = " "
                rest = "".join(chars)
            else:
                rest = rest.replace(ln.text, " " * len(ln.text), 1)
        leftover = "".join(rest.split())
        if leftover:
            artefacts.append(Artefact("blank_marker", leftover, no))
