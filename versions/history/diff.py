"""Inline differences at the level of Japanese words, and the list of changes between versions.

``inline_diff`` compares two clause texts token by token (SudachiPy, split mode A, through
``extract.japanese.tokenize``). Texts are compared after NFKC and with whitespace removed, so a
PDF line break inside a word or 「第 20条」/「第20条」 spacing is never reported as a change; the
edits keep the original text of both sides, so rendering shows what was printed.

``compare`` aligns two ParsedDocuments (versions.history.align) and turns the alignment into the
changes a 新旧対照表 lists: every clause that is not unchanged, without the clauses implied by
an ancestor (the paragraphs of an added article are part of that article's change).
"""

from __future__ import annotations

import difflib
import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from extract.model import Node, ParsedDocument
from versions.history.align import STRUCTURAL, Alignment, Match, align

Op = Literal["equal", "insert", "delete", "replace"]


@dataclass
class Edit:
    op: Op
    old: str  # text on the old side ("" for insert)
    new: str  # text on the new side ("" for delete)

    def to_json(self) -> dict[str, str]:
        return {"op": self.op, "old": self.old, "new": self.new}


# --- inline diff ---------------------------------------------------------------------------


def _folded(text: str) -> tuple[str, list[int]]:
    """NFKC text without whitespace, and for each of its characters the index in ``text``."""
    chars: list[str] = []
    where: list[int] = []
    for i, c in enumerate(text):
        if c.isspace():
            continue
        for f in unicodedata.normalize("NFKC", c):
            if not f.isspace():
                chars.append(f)
                where.append(i)
    return "".join(chars), where


def _tokens(text: str) -> tuple[list[str], list[int]]:
    """Word tokens of the folded text, and the start of each in the original text."""
    folded, where = _folded(text)
    if not folded:
        return [], []
    try:
        from extract.japanese import tokenize

        spans = [(t.start, t.end) for t in tokenize(folded, "A")]
    except Exception:  # no dictionary: fall back to characters
        spans = [(i, i + 1) for i in range(len(folded))]
    words = [folded[a:b] for a, b in spans]
    starts = [where[a] for a, _ in spans]
    return words, starts


def inline_diff(old: str, new: str) -> list[Edit]:
    """Word-level edits turning ``old`` into ``new``; joining each side gives the input back."""
    if not old.strip() or not new.strip():  # nothing to line up: one insert or delete
        if not old.strip() and not new.strip():
            return [Edit("equal", old, new)] if old or new else []
        if not old.strip():
            return ([Edit("equal", old, "")] if old else []) + [Edit("insert", "", new)]
        return [Edit("delete", old, "")] + ([Edit("equal", "", new)] if new else [])
    ow, os_ = _tokens(old)
    nw, ns = _tokens(new)

    def cut(starts: list[int], text: str, i: int) -> int:
        if i == 0:
            return 0
        return starts[i] if i < len(starts) else len(text)

    matcher = difflib.SequenceMatcher(None, ow, nw, autojunk=False)
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in _slide(matcher.get_opcodes(), ow, nw):
        o = old[cut(os_, old, i1) : cut(os_, old, i2)]
        n = new[cut(ns, new, j1) : cut(ns, new, j2)]
        edits.append(Edit(cast(Op, tag), o, n))
    if not edits and (old or new):
        edits.append(Edit("equal" if old == new else "replace", old, new))
    return _tidy(edits)


Opcode = tuple[str, int, int, int, int]


def _slide(ops: Sequence[Opcode], ow: list[str], nw: list[str]) -> list[Opcode]:
    """Move pure insertions and deletions right while the text allows it.

    difflib may report 「大阪地方[裁判所又は大阪簡易]裁判所を」; the same edit read the way an
    amendment is written is 「大阪地方裁判所[又は大阪簡易裁判所]を」. Japanese attaches particles
    and conjunctions after what they join, so the rightmost equivalent position reads best.
    """
    out: list[list[Any]] = [["equal", 0, 0, 0, 0], *(list(op) for op in ops)]
    for k in range(1, len(out) - 1):
        op, prev, nxt = out[k], out[k - 1], out[k + 1]
        if op[0] not in ("insert", "delete") or nxt[0] != "equal" or prev[0] != "equal":
            continue
        while nxt[2] > nxt[1]:  # the following equal run is not empty
            moved = nw[op[3]] == nw[op[4]] if op[0] == "insert" else ow[op[1]] == ow[op[2]]
            if not moved:
                break
            for i in range(1, 5):
                op[i] += 1
            nxt[1], nxt[3] = nxt[1] + 1, nxt[3] + 1
            prev[2], prev[4] = prev[2] + 1, prev[4] + 1
    return [
        (str(t), int(a), int(b), int(c), int(d))
        for t, a, b, c, d in out
        if not (t == "equal" and a == b and c == d)
    ]


def _tidy(edits: list[Edit]) -> list[Edit]:
    """Absorb one-character equal runs between two changes (「の」 in the middle of a rewrite)."""
    out: list[Edit] = []
    i = 0
    while i < len(edits):
        e = edits[i]
        short = e.op == "equal" and len("".join(e.old.split())) <= 1
        if short and out and out[-1].op != "equal" and i + 1 < len(edits):
            nxt = edits[i + 1]
            prev = out.pop()
            out.append(Edit("replace", prev.old + e.old + nxt.old, prev.new + e.new + nxt.new))
            i += 2
            continue
        if out and out[-1].op != "equal" and e.op != "equal":
            prev = out.pop()
            out.append(Edit("replace", prev.old + e.old, prev.new + e.new))
        else:
            out.append(e)
        i += 1
    return [_retag(e) for e in out]


def _retag(e: Edit) -> Edit:
    if e.op == "equal":
        return e
    if not e.old:
        return Edit("insert", "", e.new)
    if not e.new:
        return Edit("delete", e.old, "")
    return Edit("replace", e.old, e.new)


# --- labels ------------------------------------------------------------------------------------


def _squash(text: str) -> str:
    return "".join(text.split())


def display_label(doc: ParsedDocument, node_id: str) -> str:
    """How legal names a clause: 第20条第2項, 第9条第2項第3号, 附則（…）第1項, 別紙4."""
    by_id = _index(doc)
    node = by_id.get(node_id)
    if node is None:
        return node_id
    chain: list[Node] = []
    cur: Node | None = node
    while cur is not None and cur.kind not in STRUCTURAL:
        chain.append(cur)
        cur = by_id.get(cur.parent) if cur.parent else None
    parts: list[str] = []
    for n in reversed(chain):
        parts.append(_unit_label(n, by_id))
    return "".join(p for p in parts if p) or node_id


def _unit_label(n: Node, by_id: dict[str, Node]) -> str:
    label = _squash(n.label)
    if n.kind == "paragraph":
        if not n.num:
            return ""
        only = f"{n.parent}__para_2" not in by_id
        return "" if only and n.num == "1" else f"第{n.num}項"
    if n.kind == "item" and n.num and n.num.isdigit():
        return f"第{n.num}号"
    if n.kind == "supplement":
        return f"{label or '附則'}（{_squash(n.caption or '')}）" if n.caption else label or "附則"
    return label or (n.num or "")


def heading(doc: ParsedDocument, node_id: str) -> str:
    """display_label plus the article's caption: 第20条（契約者による解約）第2項."""
    by_id = _index(doc)
    node = by_id.get(node_id)
    if node is None:
        return node_id
    label = display_label(doc, node_id)
    art = node
    while art.parent and art.kind not in ("article", "appendix") and art.parent in by_id:
        art = by_id[art.parent]
    if art.kind in ("article", "appendix") and art.caption:
        art_label = display_label(doc, art.id)
        if label.startswith(art_label):
            return f"{art_label}（{art.caption}）{label[len(art_label) :]}"
    return label


# Per-document lookups (node by id, children by parent), kept while the document lives: the
# entry is dropped when the document is freed (weakref.finalize), so ids are never reused
# stale and the caches hold nothing a caller has let go (the site computes 新旧対照表 for as
# many version pairs as visitors ask for).
_INDEX_CACHE: dict[int, tuple[int, dict[str, Node]]] = {}
_CHILDREN_CACHE: dict[int, tuple[int, dict[str, list[str]]]] = {}


def _per_document(cache: dict[int, tuple[int, Any]], doc: ParsedDocument, make: Any) -> Any:
    key = id(doc)
    cached = cache.get(key)
    if cached is None:
        weakref.finalize(doc, cache.pop, key, None)
    if cached is None or cached[0] != len(doc.nodes):  # nodes added since: index again
        cached = cache[key] = (len(doc.nodes), make(doc))
    return cached[1]


def _index(doc: ParsedDocument) -> dict[str, Node]:
    index: dict[str, Node] = _per_document(_INDEX_CACHE, doc, lambda d: {n.id: n for n in d.nodes})
    return index


# --- changes between two documents -------------------------------------------------------------


@dataclass
class Change:
    """One row of a 新旧対照表."""

    type: str
    old: str | None
    new: str | None
    old_ids: list[str]
    new_ids: list[str]
    level: int
    confidence: float
    similarity: float
    old_label: str | None
    new_label: str | None
    old_text: str
    new_text: str
    edits: list[Edit] = field(default_factory=list)
    after_unchanged: bool = False  # unchanged clauses lie between this row and the previous

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "old": self.old,
            "new": self.new,
            "old_ids": self.old_ids,
            "new_ids": self.new_ids,
            "level": self.level,
            "confidence": round(self.confidence, 3),
            "similarity": round(self.similarity, 3),
            "old_label": self.old_label,
            "new_label": self.new_label,
            "old_text": self.old_text,
            "new_text": self.new_text,
            "edits": [e.to_json() for e in self.edits],
        }


@dataclass
class Comparison:
    old: ParsedDocument
    new: ParsedDocument
    alignment: Alignment
    changes: list[Change]

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.type] = out.get(c.type, 0) + 1
        return out


def subtree_text(doc: ParsedDocument, node_id: str) -> str:
    """A clause with everything under it, one line per node, labels included."""
    children = _children(doc)
    by_id = _index(doc)
    lines: list[str] = []
    stack = [node_id]
    while stack:
        n = by_id.get(stack.pop())
        if n is None:
            continue
        head = _squash(n.label)
        if n.caption and n.kind not in ("paragraph", "item"):
            head += f"（{n.caption}）"
        line = " ".join(x for x in (head, n.text.strip()) if x)
        if line:
            lines.append(line)
        stack.extend(reversed(children.get(n.id, [])))
    return "\n".join(lines)


def _kids(doc: ParsedDocument) -> dict[str, list[str]]:
    kids: dict[str, list[str]] = {}
    for n in doc.nodes:
        if n.parent:
            kids.setdefault(n.parent, []).append(n.id)
    return kids


def _children(doc: ParsedDocument) -> dict[str, list[str]]:
    children: dict[str, list[str]] = _per_document(_CHILDREN_CACHE, doc, _kids)
    return children


def own_text(doc: ParsedDocument, node_id: str) -> str:
    n = _index(doc).get(node_id)
    if n is None:
        return ""
    if n.kind in ("article", "appendix", "supplement") or n.kind in STRUCTURAL:
        return n.text.strip()  # the caption is part of the label (第20条（契約者による解約）)
    return n.text.strip()


def _implied(m: Match, al: Alignment) -> bool:
    """True when an ancestor's change already covers this one (added / deleted subtree)."""
    for side_ids, doc, kinds in (
        (m.new_ids, al.new, ("added",)),
        (m.old_ids, al.old, ("deleted",)),
    ):
        by_id = _index(doc)
        for nid in side_ids[:1]:
            cur = by_id.get(nid)
            parent = by_id.get(cur.parent) if cur and cur.parent else None
            while parent is not None and parent.kind not in STRUCTURAL:
                pm = al.for_new(parent.id) if doc is al.new else al.for_old(parent.id)
                if pm is not None and pm.type in kinds:
                    return True
                if pm is not None and pm.type == "deleted" and doc is al.old:
                    return True
                parent = by_id.get(parent.parent) if parent.parent else None
    return False


def _change(m: Match, al: Alignment) -> Change:
    old, new = al.old, al.new
    whole = m.type in ("added", "deleted")
    text = subtree_text if whole else own_text
    old_text = "\n".join(text(old, i) for i in m.old_ids)
    new_text = "\n".join(text(new, i) for i in m.new_ids)
    if m.type == "deleted" and m.new:  # 削除 placeholder
        new_text = own_text(new, m.new) or "削除"
    edits = inline_diff(old_text, new_text) if old_text != new_text else []
    return Change(
        type=m.type,
        old=m.old,
        new=m.new,
        old_ids=list(m.old_ids),
        new_ids=list(m.new_ids),
        level=m.level,
        confidence=m.confidence,
        similarity=m.similarity,
        old_label=_labels(old, m.old_ids) or None,
        new_label=_labels(new, m.new_ids) or None,
        old_text=old_text,
        new_text=new_text,
        edits=edits,
    )


def _labels(doc: ParsedDocument, ids: list[str]) -> str:
    """heading of the first clause, display labels of the others: 第20条（…）第2項、第20条第3項."""
    if not ids:
        return ""
    return "、".join([heading(doc, ids[0]), *(display_label(doc, i) for i in ids[1:])])


def changes_of(al: Alignment) -> list[Change]:
    """The rows of a 新旧対照表: every non-unchanged match not implied by an ancestor."""
    out: list[Change] = []
    gap = False
    for m in al.matches:
        if m.type == "unchanged":
            gap = True
            continue
        if m.type == "modified" and not m.text_changed:
            continue  # only descendants changed; they have their own rows
        if _implied(m, al):
            continue
        change = _change(m, al)
        change.after_unchanged = gap
        gap = False
        out.append(change)
    return out


def compare(old: ParsedDocument, new: ParsedDocument) -> Comparison:
    al = align(old, new)
    return Comparison(old, new, al, changes_of(al))
