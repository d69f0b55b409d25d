"""The 新旧対照表 as data: one row per article, built from the clause alignment.

The anchor is the table Japanese ministries and companies publish. Its unit is the article
(条, and likewise each 附則, 別紙, 前文): every top-level unit that changed in any way gets one
row holding the article on both sides — its heading as printed (number underlined when it
changed, caption with the changed words underlined), then the paragraphs and items that
changed, each with its printed number (２, 三, イ), and （略） where unchanged text is left out.
Chapter, section and sub-section rows appear only when that heading itself is new, deleted or
re-worded (renumbered or re-captioned), and hold the heading alone. A changed 目次 is a row.

A *unit* is one node of the clause tree (extract.model.Node): its printed label, its caption
and its own text (``node.text.strip()``). Every unit of both versions is accounted for exactly
once, on its own side: shown in one row (``Block.node``, its caption and text reproduced
exactly, changed words underlined), left out inside a row under a （略） (``Block.omitted``),
or left out with its whole unchanged article (``Table.left_out_old`` / ``left_out_new``).
Units are left out only when their counterpart's caption and text are the same, so each
column plus the units left out gives its version's text back (tests/test_taiyo_properties.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from extract.model import Node, ParsedDocument
from versions.history.align import STRUCTURAL, Alignment, Match, fold
from versions.history.diff import inline_diff

Segment = tuple[str, bool]  # (text, underlined)
OMITTED = "（略）"
ADDED_MARK, DELETED_MARK = "（新設）", "（削除）"
TOC_LABEL = "目次"
RowKind = Literal["article", "heading", "toc"]
State = Literal["same", "relabelled", "changed"]


@dataclass
class Block:
    """One printed line of a cell: a unit (label, caption, text) or a （略） line.

    ``node`` is the unit shown (None for a bare （略） line or the 目次). ``text_omitted`` means
    the unit's own text is left out (its label is printed, e.g. ``５　（略）``); ``omitted``
    lists every unit this block's （略） stands for (the block's own unit included).
    """

    node: str | None
    depth: int  # 0 article heading, 1 paragraph, 2 item, …
    label: list[Segment] = field(default_factory=list)
    caption: list[Segment] = field(default_factory=list)
    text: list[Segment] = field(default_factory=list)
    text_omitted: bool = False
    omitted: list[str] = field(default_factory=list)
    ellipsis: bool = False  # some text is left out here: print （略）

    def plain(self, part: str = "text") -> str:
        return "".join(t for t, _ in getattr(self, part))

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "depth": self.depth,
            "label": self.plain("label"),
            "caption": self.plain("caption"),
            "text": [[t, u] for t, u in self.text],
            "caption_segments": [[t, u] for t, u in self.caption],
            "label_changed": any(u for _, u in self.label),
            "omitted": self.omitted,
            "text_omitted": self.text_omitted,
            "ellipsis": self.ellipsis,
        }


@dataclass
class Side:
    """One column of a row: its blocks, or a mark （新設）/（削除） when the side has none."""

    blocks: list[Block] = field(default_factory=list)
    mark: str = ""

    def units(self) -> list[str]:
        """Units whose text this side shows."""
        return [b.node for b in self.blocks if b.node and not b.text_omitted]

    def omitted(self) -> list[str]:
        return [i for b in self.blocks for i in b.omitted]

    def to_json(self) -> dict[str, Any]:
        return {"mark": self.mark, "blocks": [b.to_json() for b in self.blocks]}


@dataclass
class Row:
    kind: RowKind
    change: str  # the top-level match type: modified, renumbered, added, deleted, …
    old: Side
    new: Side
    title: str  # the heading as printed, for lists and links: 第四十五条, 第一節　総則, 目次
    old_ids: list[str] = field(default_factory=list)  # the top-level units of the row
    new_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "change": self.change,
            "title": self.title,
            "old_ids": self.old_ids,
            "new_ids": self.new_ids,
            "old": self.old.to_json(),
            "new": self.new.to_json(),
        }


@dataclass
class Table:
    old: ParsedDocument
    new: ParsedDocument
    rows: list[Row]
    left_out_old: list[str]  # units of top-level units that are unchanged (in no row)
    left_out_new: list[str]

    def stats(self) -> dict[str, int]:
        """Rows, units shown per side, and the units shown more than once (must be 0)."""
        old_shown = [u for r in self.rows for u in r.old.units()]
        new_shown = [u for r in self.rows for u in r.new.units()]
        return {
            "rows": len(self.rows),
            "article_rows": sum(r.kind == "article" for r in self.rows),
            "heading_rows": sum(r.kind == "heading" for r in self.rows),
            "changed_old_units": len(set(old_shown)),
            "changed_new_units": len(set(new_shown)),
            "repeated": len(old_shown) - len(set(old_shown)) + len(new_shown) - len(set(new_shown)),
        }

    def to_json(self) -> dict[str, Any]:
        return {"stats": self.stats(), "rows": [r.to_json() for r in self.rows]}


# --- the tree ------------------------------------------------------------------------------------


class _Tree:
    """Index of one version: nodes by id, children, depth below the top-level unit."""

    def __init__(self, doc: ParsedDocument):
        self.doc = doc
        self.by_id = {n.id: n for n in doc.nodes}
        self.children: dict[str, list[str]] = {}
        for n in doc.nodes:
            if n.parent:
                self.children.setdefault(n.parent, []).append(n.id)
        self.depth: dict[str, int] = {}
        for n in doc.nodes:
            parent = self.by_id.get(n.parent) if n.parent else None
            top = parent is None or parent.kind in STRUCTURAL or n.kind in STRUCTURAL
            self.depth[n.id] = 0 if top else self.depth[parent.id] + 1  # type: ignore[union-attr]

    def subtree(self, node_id: str) -> list[str]:
        """The node and everything under it, in document order."""
        out: list[str] = []
        stack = [node_id]
        while stack:
            nid = stack.pop()
            out.append(nid)
            kids = [] if self.by_id[nid].kind in STRUCTURAL else self.children.get(nid, [])
            stack.extend(reversed(kids))
        return out


def own(n: Node) -> str:
    return n.text.strip()


def _same_label(a: Node | None, b: Node | None) -> bool:
    return a is not None and b is not None and fold(a.label) == fold(b.label)


# --- segments of one match -----------------------------------------------------------------------


def _cut(stream: list[Segment], lengths: list[int]) -> list[list[Segment]]:
    """Cut a segment stream into pieces of ``lengths`` chars, one separator char between."""
    out: list[list[Segment]] = []
    pos = 0  # position in the stream's text
    bounds = []
    for n in lengths:
        bounds.append((pos, pos + n))
        pos += n + 1
    for start, end in bounds:
        piece: list[Segment] = []
        at = 0
        for text, under in stream:
            a, b = max(start, at), min(end, at + len(text))
            if a < b:
                piece.append((text[a - at : b - at], under))
            at += len(text)
        out.append(_merge(piece))
    return out


def _merge(segs: Iterable[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for text, under in segs:
        if not text:
            continue
        if out and out[-1][1] == under:
            out[-1] = (out[-1][0] + text, under)
        else:
            out.append((text, under))
    return out


def diff_texts(old: list[str], new: list[str]) -> tuple[list[list[Segment]], list[list[Segment]]]:
    """Segments of each old and each new text, the words changed between them underlined."""
    old_all, new_all = "\n".join(old), "\n".join(new)
    if fold(old_all) == fold(new_all):
        return [_merge([(t, False)]) for t in old], [_merge([(t, False)]) for t in new]
    if not fold(old_all) or not fold(new_all):
        return [_merge([(t, True)]) for t in old], [_merge([(t, True)]) for t in new]
    edits = inline_diff(old_all, new_all)
    old_stream = [(e.old, e.op != "equal") for e in edits if e.old]
    new_stream = [(e.new, e.op != "equal") for e in edits if e.new]
    return _cut(old_stream, [len(t) for t in old]), _cut(new_stream, [len(t) for t in new])


@dataclass
class _Shown:
    """What one unit prints: label, caption and text segments, and its state."""

    state: State
    label: list[Segment]
    caption: list[Segment]
    text: list[Segment]


class _Units:
    """The printed form of every unit of both versions, computed once per match."""

    def __init__(self, al: Alignment, old: _Tree, new: _Tree):
        self.al, self.old, self.new = al, old, new
        self.shown_old: dict[str, _Shown] = {}
        self.shown_new: dict[str, _Shown] = {}
        for m in al.matches:
            self._match(m)

    def _match(self, m: Match) -> None:
        olds = [self.old.by_id[i] for i in m.old_ids]
        news = [self.new.by_id[i] for i in m.new_ids]
        primary_old = self.old.by_id.get(m.old or "")
        primary_new = self.new.by_id.get(m.new or "")
        text_same = m.type in ("unchanged", "modified", "renumbered") and not m.text_changed
        # a unit that moved to another article is shown opposite its counterpart (_old_rows),
        # so its changed words are underlined as for any other pair
        o_text, n_text = diff_texts([own(n) for n in olds], [own(n) for n in news])
        for nodes, texts, other, target, old_side in (
            (olds, o_text, primary_new, self.shown_old, True),
            (news, n_text, primary_old, self.shown_new, False),
        ):
            for n, text in zip(nodes, texts, strict=True):
                relabelled = not _same_label(n, other)
                state: State = "changed"
                if text_same:
                    state = "relabelled" if relabelled else "same"
                label = _merge([(n.label.strip(), relabelled)])
                caption = _caption(n, other, old_side)
                target[n.id] = _Shown(state, label, caption, text)


def _caption(n: Node, other: Node | None, old_side: bool) -> list[Segment]:
    """The unit's caption, the words changed from its counterpart's caption underlined."""
    mine, theirs = n.caption or "", (other.caption if other else "") or ""
    if fold(mine) == fold(theirs):
        return _merge([(mine, False)])
    if not fold(theirs):
        return _merge([(mine, True)])
    old, new = (mine, theirs) if old_side else (theirs, mine)
    o, nw = diff_texts([old], [new])
    return o[0] if old_side else nw[0]


# --- rows ----------------------------------------------------------------------------------------


class _SideBuilder:
    """The blocks of one column for some top-level units (an article, its split pieces, …)."""

    def __init__(self, tree: _Tree, shown: dict[str, _Shown]):
        self.tree, self.shown = tree, shown
        self.dirty: dict[str, bool] = {}  # some unit below is not the same
        for n in reversed(tree.doc.nodes):
            below = self.dirty.get(n.id, False)
            if n.parent:
                mine = below or shown[n.id].state != "same"
                self.dirty[n.parent] = self.dirty.get(n.parent, False) or mine

    def blocks(self, tops: list[str], keep: set[str] | None = None) -> list[Block]:
        """Blocks of ``tops``; with ``keep``, only those units (a foreign top: its heading)."""
        out: list[Block] = []
        for top in tops:
            open_block: Block | None = None  # the （略） block omitted units join
            open_root: str | None = None  # …when they lie under this unit (None: any unit)
            for nid in self.tree.subtree(top):
                s, depth = self.shown[nid], self.tree.depth[nid]
                if keep is not None and nid not in keep:
                    if nid == top:  # the article its units came from, for context only
                        out.append(Block(nid, depth, s.label, s.caption, [], True))
                    continue
                if s.state == "changed":
                    out.append(Block(nid, depth, s.label, s.caption, s.text))
                    open_block = None
                elif nid == top or s.state == "relabelled" or self.dirty.get(nid):
                    # printed for its number (or its changed items): 「５　（略）」
                    open_block = Block(nid, depth, s.label, s.caption, [], True, [nid])
                    open_root = nid
                    out.append(open_block)
                elif open_block is not None and (open_root is None or self._under(nid, open_root)):
                    open_block.omitted.append(nid)
                else:
                    open_block, open_root = Block(None, depth, omitted=[nid]), None
                    out.append(open_block)
        return out

    def _under(self, nid: str, root: str) -> bool:
        n = self.tree.by_id[nid]
        while n.parent:
            if n.parent == root:
                return True
            n = self.tree.by_id[n.parent]
        return False

    def ellipsis(self, block: Block) -> bool:
        """True when the block leaves out printed text (then it shows （略））."""
        units = [self.tree.by_id[i] for i in block.omitted]
        return any(own(n) or (n.caption and n.id != block.node) for n in units)


def _title(n: Node) -> str:
    label = n.label.strip()
    if n.kind in STRUCTURAL:
        return f"{label}　{n.caption}" if n.caption else label
    return f"{label}（{n.caption}）" if n.caption else label or n.kind


def _toc_text(doc: ParsedDocument) -> str:
    return "\n".join(a.text for a in doc.artefacts if a.kind == "toc")


def _toc_row(old: ParsedDocument, new: ParsedDocument) -> Row | None:
    """The 目次 as one row when it changed (the TOC is not part of the clause tree)."""
    a, b = _toc_text(old), _toc_text(new)
    if fold(a) == fold(b):
        return None
    (o,), (n,) = diff_texts([a], [b])
    old_side = Side([Block(None, 0, text=o)] if a else [], "" if a else ADDED_MARK)
    new_side = Side([Block(None, 0, text=n)] if b else [], "" if b else DELETED_MARK)
    return Row("toc", "modified", old_side, new_side, TOC_LABEL)


def _tops(tree: _Tree) -> dict[str, str]:
    """The top-level unit (article, 附則, 別紙, heading) each node lies in."""
    top: dict[str, str] = {}
    for n in tree.doc.nodes:  # document order: a parent before its children
        top[n.id] = n.id if tree.depth[n.id] == 0 or not n.parent else top[n.parent]
    return top


def _old_rows(al: Alignment, old: _Tree, new: _Tree, tops: list[Match]) -> dict[str, int]:
    """The row (index into ``tops``) each old unit is shown in.

    A unit goes to the row of its counterpart's article, so a paragraph that moved to
    another article (2015 第二条第1項 → 2025 第二条, while the rest of 第二条 became 第十六条)
    stands opposite its counterpart; a unit without one stays with its parent.
    """
    row_of_old = {t: i for i, m in enumerate(tops) for t in m.old_ids}
    row_of_new = {t: i for i, m in enumerate(tops) for t in m.new_ids}
    new_top = _tops(new)
    out: dict[str, int] = {}
    for n in old.doc.nodes:
        if old.depth[n.id] == 0 or not n.parent:
            out[n.id] = row_of_old.get(n.id, -1)
            continue
        twin = al.old_to_new.get(n.id)
        row = row_of_new.get(new_top[twin], -1) if twin in new_top else -1
        out[n.id] = row if row >= 0 else out[n.parent]
    return out


@dataclass
class _Builder:
    al: Alignment
    old: _Tree
    new: _Tree
    units: _Units
    old_sides: _SideBuilder
    new_sides: _SideBuilder
    tops: list[Match]
    old_top: dict[str, str]
    by_row: dict[int, list[str]]  # the old units of each row, in document order

    @classmethod
    def of(cls, al: Alignment) -> _Builder:
        old, new = _Tree(al.old), _Tree(al.new)
        units = _Units(al, old, new)
        tops = [m for m in al.matches if m.level == 0]
        by_row: dict[int, list[str]] = {}
        for unit, index in _old_rows(al, old, new, tops).items():
            by_row.setdefault(index, []).append(unit)
        return cls(
            al,
            old,
            new,
            units,
            _SideBuilder(old, units.shown_old),
            _SideBuilder(new, units.shown_new),
            tops,
            _tops(old),
            by_row,
        )

    def old_units(self, index: int) -> list[str]:
        """The old units shown in row ``index``, in document order."""
        return self.by_row.get(index, [])

    def row(self, index: int) -> Row | None:
        """The row of one top-level match, None when every unit in it is the same."""
        m = self.tops[index]
        old_units = self.old_units(index)
        new_units = [i for t in m.new_ids for i in self.new.subtree(t)]
        states = [self.units.shown_old[i].state for i in old_units]
        states += [self.units.shown_new[i].state for i in new_units]
        if all(s == "same" for s in states):
            return None
        first = self.new.by_id.get(m.new or "") or self.old.by_id[m.old or ""]
        structural = first.kind in STRUCTURAL
        if structural:
            old_side = self._side(m.old_ids, self.old_sides, True, ADDED_MARK)
        else:
            old_side = self._old_side(m, old_units)
        new_side = self._side(m.new_ids, self.new_sides, structural, DELETED_MARK)
        change = "modified" if m.type == "unchanged" else m.type
        kind: RowKind = "heading" if structural else "article"
        return Row(kind, change, old_side, new_side, _title(first), m.old_ids, m.new_ids)

    def _old_side(self, m: Match, units: list[str]) -> Side:
        """The old column: the row's own articles, and units that moved in from others."""
        keep = set(units)
        tops = list(dict.fromkeys([*m.old_ids, *(self.old_top[u] for u in units)]))
        if not tops:
            return Side([], ADDED_MARK)
        order = {n.id: k for k, n in enumerate(self.old.doc.nodes)}
        tops.sort(key=order.__getitem__)
        blocks = self.old_sides.blocks(tops, keep)
        opposite = self.new.by_id.get(m.new or "")
        for b in blocks:
            b.ellipsis = bool(b.omitted) and self.old_sides.ellipsis(b)
            if b.node in tops and b.node not in m.old_ids:  # heading of a foreign article
                n = self.old.by_id[b.node]
                b.label = _merge([(n.label.strip(), not _same_label(n, opposite))])
                b.caption = _caption(n, opposite, True)
        return Side(blocks)

    def _side(self, tops: list[str], sides: _SideBuilder, structural: bool, mark: str) -> Side:
        if not tops:
            return Side([], mark)
        if structural:  # the heading alone: 第一節　総則
            shown = sides.shown
            return Side(
                [Block(t, 0, shown[t].label, shown[t].caption, shown[t].text) for t in tops]
            )
        blocks = sides.blocks(tops)
        for b in blocks:
            b.ellipsis = bool(b.omitted) and sides.ellipsis(b)
        return Side(blocks)


def build(al: Alignment) -> Table:
    """The 新旧対照表 of an alignment: the 目次 row if it changed, then one row per change."""
    b = _Builder.of(al)
    rows: list[Row] = []
    toc = _toc_row(al.old, al.new)
    if toc:
        rows.append(toc)
    left_old: list[str] = []
    left_new: list[str] = []
    for index, m in enumerate(b.tops):
        row = b.row(index)
        if row is None:
            left_old += b.old_units(index)
            left_new += [i for t in m.new_ids for i in b.new.subtree(t)]
        else:
            rows.append(row)
    return Table(al.old, al.new, rows, left_old, left_new)
