"""What the block rules share: the open nodes, the numbering so far, and how a unit is added.

``BlockState`` plays the part of markdown-it's StateBlock: rules read it to decide whether a
line starts their kind of block, then call its ``open_*`` / ``add_text`` methods to grow the
tree. Opening a paragraph or an item is here, not in one rule, because several rules do it
(an article's first sentence is its paragraph 1; a marker with no paragraph opens one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from extract.blocks.lines import Marker, terminated
from extract.model import Diagnostic, Node, NodeKind
from extract.normalize import BLANKS, RawLine
from extract.numerals import int_to_kanji

_INNER_BLANKS = BLANKS.replace("\t", "")
_SHORT_LINE = 16


@dataclass(slots=True)
class Line:
    """One cleaned line as the rules see it."""

    raw: RawLine
    marker: Marker  # what ``classify`` says it starts
    ended: bool  # the previous line ended a sentence or a unit: a marker here is trusted


class Rules(Protocol):
    """The ruler, as a rule that hands a line on sees it (``extract.blocks.ruler.Ruler``)."""

    def take(self, state: BlockState, line: Line, markers_only: bool = False) -> bool: ...


@dataclass
class Level:
    """One open item in the item stack."""

    style: str
    value: int
    node: Node
    count: int = 0  # children created under this item


@dataclass
class BlockState:
    """The tree so far and the numbering context; one per document."""

    rules: Rules
    nodes: list[Node] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    division: dict[str, Node | None] = field(
        default_factory=lambda: {"part": None, "chapter": None, "section": None, "subsection": None}
    )
    article: Node | None = None
    paragraph: Node | None = None
    items: list[Level] = field(default_factory=list)
    supplement: Node | None = None
    appendix: Node | None = None
    current: Node | None = None  # node receiving plain text
    last_text: str = ""  # text of the previous line
    last_strong: bool = True  # previous line was a heading / marker with nothing after
    last_block: int | None = None
    pending_caption: tuple[str, RawLine] | None = None
    main_articles: list[str] = field(default_factory=list)
    suppl_articles: list[str] = field(default_factory=list)
    main_seen: set[str] = field(default_factory=set)  # main_articles as a set
    suppl_seen: set[str] = field(default_factory=set)  # suppl_articles as a set
    next_dup: dict[str, int] = field(default_factory=dict)  # id → next __dup_k to try
    para_count: int = 0  # paragraphs in the current article / supplement
    last_para: int = 0  # last paragraph number
    rows: dict[str, int] = field(default_factory=dict)
    appendix_seen: set[str] = field(default_factory=set)
    appendix_count: dict[str, int] = field(default_factory=dict)
    suppl_count: int = 0
    children: dict[str, int] = field(default_factory=dict)  # items created under each node
    last_division: dict[str, int] = field(default_factory=dict)
    deftable: Node | None = None  # paragraph holding a space-separated 用語の定義 table
    # the rule of an open block that takes the following lines first (the definition table)
    holder: Callable[[BlockState, Line], bool] | None = None
    defrow: Node | None = None

    # ------------------------------------------------------------------ nodes and text
    def new(
        self, kind: NodeKind, wanted: str, mk: Marker, parent: Node | None, ln: RawLine
    ) -> Node:
        node_id = wanted
        if node_id in self.ids:
            k = self.next_dup.get(wanted, 2)  # resume where the last probe stopped: linear
            while f"{wanted}__dup_{k}" in self.ids:
                k += 1
            self.next_dup[wanted] = k + 1
            node_id = f"{wanted}__dup_{k}"
            self.diag("warning", "duplicate-id", f"{wanted} appears again", ln.line, node_id)
        self.ids.add(node_id)
        node = Node(
            node_id,
            kind,
            mk.num,
            mk.label,
            mk.caption,
            "",
            parent.id if parent else None,
            ln.line,
            ln.line,
        )
        self.nodes.append(node)
        return node

    def diag(self, level: str, code: str, message: str, line: int, node: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(level, code, message, line, node))  # type: ignore[arg-type]

    def append_text(
        self, node: Node, ln: RawLine, start: int, new_unit: bool, sep: str | None = None
    ) -> None:
        piece = ln.text[start:].strip(_INNER_BLANKS)
        if not piece:
            return
        col = ln.col + start + (len(ln.text[start:]) - len(ln.text[start:].lstrip(_INNER_BLANKS)))
        # Taken out of the node, ``text`` is the only reference to the string, so += can grow
        # it in place (appending to the attribute copies the whole text: quadratic).
        text, node.text = node.text, ""
        if text:
            if sep is None:
                heading = (
                    node.kind in ("item", "subitem")
                    and len(node.segments) == 1
                    and len(text) < _SHORT_LINE
                )
                broken = new_unit or terminated(text) or bool(heading)
                sep = "\n" if broken else _ascii_join(text, piece)
            text += sep
        node.segments.append((len(text), ln.line, col))
        text += piece
        node.text = text
        node.end_line = max(node.end_line, ln.line)

    def container(self) -> Node | None:
        """Deepest open node that can hold paragraphs' children (items, rows)."""
        if self.items:
            return self.items[-1].node
        if self.paragraph is not None:
            return self.paragraph
        return self.appendix or self.supplement

    def close_article(self) -> None:
        self.article = self.paragraph = None
        self.items = []
        self.para_count = self.last_para = 0

    def preamble(self, ln: RawLine) -> Node:
        node = self.new("preamble", "preamble", Marker("preamble"), None, ln)
        self.current = node
        return node

    def flush_caption(self) -> None:
        """A caption line that no article or paragraph took is text after all."""
        if self.pending_caption is not None:
            _caption, ln = self.pending_caption
            self.pending_caption = None
            self.add_text(ln, True)

    def add_text(self, ln: RawLine, ended: bool) -> None:
        """Plain text: continues the current node, or starts the paragraph it implies."""
        self.flush_caption()
        node = self.current
        if node is None:
            node = self.preamble(ln)
        elif node.kind == "article" and not node.text:
            self.open_paragraph(Marker("paragraph", None, "", None, 0, "digit", 0), ln)
            return
        elif node.kind in ("chapter", "section", "subsection"):
            self.diag(
                "warning",
                "text-outside-article",
                f"text under {node.id} before any article",
                ln.line,
                node.id,
            )
        elif node.kind == "supplement" and ln.line > node.line:
            self.open_paragraph(Marker("paragraph", None, "", None, 0, "digit", 0), ln)
            return
        self.append_text(node, ln, 0, ended)

    def finish(self) -> None:
        self.flush_caption()
        by_id = {n.id: n for n in self.nodes}
        for node in reversed(self.nodes):
            if node.parent and node.parent in by_id:
                parent = by_id[node.parent]
                parent.end_line = max(parent.end_line, node.end_line)

    # ------------------------------------------------------------------ paragraphs and items
    def open_paragraph(self, mk: Marker, ln: RawLine) -> None:
        owner = self.article or self.supplement
        if owner is None:  # paragraph marker with no article: treat as an item of the container
            self.open_item(Marker("item", mk.num, mk.label, None, mk.start, "digit", mk.value), ln)
            return
        self.items = []
        self.para_count += 1
        num = mk.num if mk.num else str(self.para_count)
        if mk.value and mk.value != self.last_para + 1:
            self.diag(
                "warning",
                "paragraph-out-of-order",
                f"paragraph {mk.value} follows {self.last_para} in {owner.id}",
                ln.line,
            )
        self.last_para = mk.value or self.para_count
        mk.num = num
        if self.pending_caption and mk.caption is None:
            mk.caption = self.pending_caption[0]
            self.pending_caption = None
        self.paragraph = self.new("paragraph", f"{owner.id}__para_{num}", mk, owner, ln)
        self.current = self.paragraph
        self.append_text(self.paragraph, ln, mk.start, False)

    def item_parent(self, ln: RawLine) -> Node | None:
        if self.items:
            return self.items[-1].node
        if self.paragraph is None and self.article is not None:
            self.open_paragraph(Marker("paragraph", None, "", None, len(ln.text), "digit", 0), ln)
        return self.paragraph or self.appendix or self.supplement

    def open_item(self, mk: Marker, ln: RawLine) -> None:
        level = self.item_level(mk)
        if level is not None:
            self.check_item_order(self.items[level], mk, ln)
            del self.items[level:]
        elif (
            (self.items or self.paragraph is not None)
            and mk.value not in (0, 1)
            and not mk.style.startswith(("bullet", "subheading"))
        ):
            self.diag("info", "item-numbering-starts-late",
                      f"item list starts at {mk.label or mk.num}", ln.line)  # fmt: skip
        parent = self.item_parent(ln)
        if parent is None:
            self.add_text(ln, False)
            return
        in_item = bool(self.items)
        ordinal = self.children.get(parent.id, 0) + 1
        self.children[parent.id] = ordinal
        if in_item:
            kind: NodeKind = "subitem"
            wanted = f"{parent.id}__sub_{ordinal}"
        else:
            kind = "item"
            ident = mk.num if mk.num and mk.num.isascii() and mk.num.isdigit() else str(ordinal)
            wanted = f"{parent.id}__item_{ident}"
        node = self.new(kind, wanted, mk, parent, ln)
        self.items.append(Level(mk.style, mk.value, node))
        self.current = node
        self.append_text(node, ln, mk.start, False)
        for num in mk.also:  # each 号 of a range deleted in one line: 削除
            label = int_to_kanji(int(num))  # 「二から四まで　削除」: 三, 四 as printed in a list
            self.open_item(Marker("item", num, label, None, len(ln.text), mk.style, int(num)), ln)

    def check_item_order(self, previous: Level, mk: Marker, ln: RawLine) -> None:
        if mk.value != previous.value + 1 and not mk.style.startswith("bullet"):
            was = previous.node.label or previous.node.num
            self.diag("warning", "item-out-of-order",
                      f"item {mk.label or mk.num} follows {was} in {previous.node.parent}",
                      ln.line)  # fmt: skip

    def item_level(self, mk: Marker) -> int | None:
        """Index in the item stack where this marker becomes a sibling, or None to nest."""
        for i in range(len(self.items) - 1, -1, -1):
            if self.items[i].style == mk.style:
                expected = self.items[i].value + 1
                if mk.value == expected or mk.value != 1:
                    return i
                return None  # a new run starting at 1 under a deeper level
        top = self.items[-1] if self.items else None
        if top and top.style.startswith("bullet") and mk.value == top.value + 1:
            return len(self.items) - 1  # "(12)" continuing a list of 11 unnumbered bullets
        return None

    def item_fits(self, mk: Marker) -> bool:
        for lv in reversed(self.items):
            if lv.style == mk.style:
                return mk.value == lv.value + 1 or mk.value == 1
        return mk.value == 1


def _ascii_join(a: str, b: str) -> str:
    return " " if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() else ""
