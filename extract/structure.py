"""Cleaned source lines → clause tree (flat ``Node`` list in document order).

Every line is first classified (``extract.blocks.lines.classify``), then offered to the block
rules in ``RULES`` order (one module per block kind in ``extract/blocks/``, in the manner of
markdown-it's block rules); the first rule that takes the line grows the tree. A marker is only
accepted when it fits the numbering so far or the previous line ended a sentence; otherwise the
line is a wrapped continuation (「第30条（…）の規定…」 at the start of a line is text).
"""

from __future__ import annotations

import re

from extract.blocks import (
    appendix,
    article,
    bullet,
    caption,
    definition_table,
    division,
    item,
    paragraph,
    row,
    subheading,
    supplement,
)
from extract.blocks import (
    text as plain_text,
)
from extract.blocks.lines import BRANCH, NUM_RE, SP, classify, number
from extract.blocks.ruler import Rule, Ruler
from extract.model import Diagnostic, Node
from extract.normalize import RawLine
from extract.numerals import fold

__all__ = ["RULES", "build", "check_toc", "classify"]  # classify: what a line starts

# Tried in this order; a rule is offered only the lines whose marker kind it names (None: all).
# Paragraphs, items and rows never end a sentence; headings and captions do when bare.
RULES: tuple[Rule, ...] = (
    Rule("definition_table", definition_table.definition_table, definition_table.KINDS, "always"),
    Rule("division", division.division, division.KINDS),
    Rule("article", article.article, article.KINDS),
    Rule("supplement", supplement.supplement, supplement.KINDS),
    Rule("appendix", appendix.appendix, appendix.KINDS),
    Rule("caption", caption.caption, caption.KINDS),
    Rule("row", row.row, row.KINDS, "never"),
    Rule("paragraph", paragraph.paragraph, paragraph.KINDS, "never"),
    Rule("item", item.item, item.KINDS, "never"),
    Rule("subheading", subheading.subheading, subheading.KINDS),
    Rule("bullet", bullet.bullet, None, "never"),
    Rule("text", plain_text.text, None, "never"),
)

_RULER = Ruler(RULES)


def build(lines: list[RawLine], ruler: Ruler | None = None) -> tuple[list[Node], list[Diagnostic]]:
    """The clause tree for cleaned lines (see ``extract.normalize.clean``)."""
    return (ruler or _RULER).build(lines)


_TOC_ARTICLE = re.compile(
    rf"^第{SP}(?P<num>{NUM_RE}){SP}条{BRANCH}{SP}(?:\((?P<cap>[^()]*(?:\([^()]*\)[^()]*)*)\))?"
)


def check_toc(nodes: list[Node], toc: list[tuple[str, int]]) -> list[Diagnostic]:
    """Articles listed in a table of contents (text, line) that the body lacks or captions
    differently, and body articles the contents leave out."""
    listed: dict[str, tuple[str | None, int]] = {}
    for text, line in toc:
        m = _TOC_ARTICLE.match(fold(text))
        num = number(m.group("num"), m.group("branch")) if m else None
        if m and num:
            cap = m.group("cap")
            listed[num] = (cap.strip() if cap else None, line)
    if not listed:
        return []
    body = {n.num: n for n in nodes if n.kind == "article" and n.id.startswith("art_") and n.num}
    out = []
    for num, (cap, line) in listed.items():
        node = body.get(num)
        if node is None:
            msg = f"the contents list article {num} but the body has none"
            out.append(Diagnostic("warning", "toc-article-missing", msg, line))
        elif cap and node.caption and _squash(cap) != _squash(node.caption):
            msg = f"article {num}: contents say 「{cap}」, body says 「{node.caption}」"
            out.append(Diagnostic("info", "toc-caption-mismatch", msg, line, node.id))
    for num, node in body.items():
        if num not in listed:
            msg = f"article {num} is not in the table of contents"
            out.append(Diagnostic("info", "toc-article-absent", msg, node.line, node.id))
    return out


def _squash(text: str) -> str:
    return fold(text).replace(" ", "")
