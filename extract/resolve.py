"""Resolve recognised citations against the clause tree of the same document.

Scope rules (what a careful reader does):
- Main provisions cite main articles. 前条/次条 move within the citing article's own scope (the
  main provisions or the one 附則 it sits in).
- Inside a 附則: 「第20条の改正規定」 is the main 第20条. Statutes write their 附則's own articles
  as 「附則第N条」, so where a document uses that form a bare 第N条 means the main provisions (and,
  in an amending act's 附則, the amending act itself: external). Otherwise (terms documents) a bare
  第N条 means the 附則's own article when it has one, else the main article.
- A statute's 附則 speaks of the main provisions as they stood when it was enacted, and an
  excerpted (抄) 附則 omits provisions: what cannot be found there is ``external``, not broken.
- 同条/同項/同号 repeat the unit named last in the same article.
- Captions: a cited caption that differs from the target's only in 送り仮名 (申込み/申し込み,
  取扱/取扱い: kana added or dropped right after a kanji) is the same caption: ok, with a
  message. Any other difference, kana-only ones included (「提供するあたり」 for
  「提供するにあたり」: a particle dropped), is ``caption_mismatch`` showing the difference,
  naming the unit that does carry the cited caption when there is one.
- Relative references outside any article (prose inside an appendix) are not checked.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from functools import lru_cache

from extract.citation import NUM, Citation, cited_int, position
from extract.model import Node, Reference, RefStatus
from extract.supplements import is_statute

_APPENDIX_PREFIX = {"別紙": "bessi", "別表": "beppyo", "別記": "bekki", "様式": "yoshiki"}
_SPACE_RE = re.compile(r"[\s\u3000]+")
_FW = str.maketrans("０１２３４５６７８９()", "0123456789（）")
_AMENDING_ACT = re.compile(r"(?:法律|政令|省令|府令)第")
_KANA = re.compile(r"[\u3041-\u309f]")
_KANJI = re.compile(r"[\u4e00-\u9fff々]")
_TABLE_HEADING = re.compile(r"(?:別[紙表記](\d+)の?)?表(\d+)(?:（([^（）]*)）)?")
_ENTRY_ENDS = ("とき", "場合", "こと", "もの")
# in a statute's 附則 these speak of the law as it stood when the 附則 was enacted: historical
_THEN = frozenset({"broken", "caption_mismatch", "out_of_range"})
_REL_COUNT = re.compile(rf"前({NUM})[条項号]")


@lru_cache(maxsize=4096)  # pure; captions repeat
def norm_caption(text: str) -> str:
    return _SPACE_RE.sub("", text).translate(_FW)


@dataclass
class _Hit:
    target: Node | None
    status: RefStatus
    message: str = ""
    members: list[Node] = field(default_factory=list)  # 前2項, 前各号 …: every unit named
    owner: Node | None = None  # the unit that carries the cited caption, when not the target


def _count(rel: str) -> int | None:
    """「前2項」→2, 「前各項」→None (all before)."""
    m = _REL_COUNT.fullmatch(rel)
    return cited_int(m.group(1)) if m else None


class Resolver:
    """Indexes one document's nodes; ``resolve`` is called in document order."""

    def __init__(self, nodes: list[Node]) -> None:
        # caches (the tree does not change): kids by (parent id, kind), positions in those
        # lists by identity, ancestors by (node id, kind), the first 附則 with articles
        self._kids_cache: dict[tuple[str, str], list[Node]] = {}
        self._pos_cache: dict[int, tuple[list[Node], dict[int, int]]] = {}
        self._anc_cache: dict[tuple[str, str], Node | None] = {}
        self._first: tuple[int, str] | None = None
        self._main_nums: tuple[set[int], int, int] | None = None
        self.by_id = {n.id: n for n in nodes}
        self.children: dict[str | None, list[Node]] = defaultdict(list)
        for n in nodes:
            self.children[n.parent].append(n)
        self.articles: dict[str, list[Node]] = defaultdict(list)
        self.art_index: dict[tuple[str, str], Node] = {}
        self.appendices: dict[str, list[Node]] = defaultdict(list)
        for n in nodes:
            if n.kind == "article" and n.num is not None:
                scope = self._scope(n)
                self.articles[scope].append(n)
                self.art_index.setdefault((scope, n.num), n)
            elif n.kind == "appendix":
                self.appendices[n.id.split("_")[0]].append(n)
        self.tables: dict[tuple[str, str], tuple[str | None, int]] = {}
        self.heading_lines: set[tuple[str, int]] = set()
        self._index_table_headings(nodes)
        squashed = (_SPACE_RE.sub("", n.text) for n in nodes if "附" in n.text)
        self.statute_style = any("附則第" in t for t in squashed)
        self.statute = is_statute(nodes)  # a 附則 headed by a law number
        self._last: dict[str, Node | str | None] = {}
        self._last_article: Node | None = None

    def _index_table_headings(self, nodes: list[Node]) -> None:
        """Lines such as 「別紙 3 表１（コース別料金表）」 inside an appendix head its tables."""
        for n in nodes:
            if "表" not in n.text or not n.segments:  # no segments: a tree read back from a DB
                continue
            appendix = self._ancestor(n, "appendix")
            if appendix is None:
                continue
            bounds = [seg[0] for seg in n.segments[1:]] + [len(n.text)]
            for seg, end in zip(n.segments, bounds, strict=True):
                piece = n.text[seg[0] : end]
                if "表" not in piece:
                    continue  # a heading names 表N
                m = _TABLE_HEADING.fullmatch(norm_caption(piece))
                if m and (m.group(1) is None or m.group(1) == appendix.num):
                    self.tables.setdefault((appendix.id, m.group(2)), (m.group(3), seg[1]))
                    self.heading_lines.add((n.id, seg[1]))

    # -- tree helpers -------------------------------------------------------------------------
    def _ancestor(self, node: Node | None, kind: str) -> Node | None:
        if node is None:
            return None
        key = (node.id, kind)
        if key in self._anc_cache and self.by_id.get(node.id) is node:
            return self._anc_cache[key]
        start = node
        while node is not None:
            if node.kind == kind:
                break
            node = self.by_id.get(node.parent) if node.parent else None
        if self.by_id.get(start.id) is start:  # only the document's own nodes are cached
            self._anc_cache[key] = node
        return node

    def _scope(self, node: Node) -> str:
        suppl = self._ancestor(node, "supplement")
        return suppl.id if suppl else ""

    def _kids(self, node: Node, kind: str) -> list[Node]:
        """Children of one kind (a cached list: callers must not change it)."""
        key = (node.id, kind)
        kids = self._kids_cache.get(key)
        if kids is None:
            kids = self._kids_cache[key] = [c for c in self.children[node.id] if c.kind == kind]
        return kids

    def _index(self, seq: list[Node], node: Node) -> int:
        """``_index`` in constant time for the lists this resolver keeps (kids, articles)."""
        if len(seq) < 8:
            return _index(seq, node)
        cached = self._pos_cache.get(id(seq))
        if cached is None or cached[0] is not seq:
            pos: dict[int, int] = {}
            for i, n in enumerate(seq):
                pos.setdefault(id(n), i)
            cached = self._pos_cache[id(seq)] = (seq, pos)  # seq kept alive: its id stays its own
        return cached[1].get(id(node), -1)

    def _child(self, node: Node, kind: str, num: str) -> Node | None:
        kids = self._kids(node, kind)
        hit = next((c for c in kids if c.num == num), None)
        if hit is None and num.isdigit() and any(c.num is None for c in kids):
            # Markdown bullets carry no number: the K-th one is 第K号
            k = int(num)
            return kids[k - 1] if 0 < k <= len(kids) else None
        return hit

    def _historical(self, cit: Citation, node: Node) -> bool:
        """A statute's 附則 speaks of the main provisions as they stood when it was enacted, and
        an excerpted (抄) 附則 leaves out some of its own provisions: neither can be checked
        against today's consolidated text. Its references to its own provisions can be."""
        scope = self._scope(node)
        if not (self.statute_style and scope):
            return False
        same = {cit.art_rel, cit.para_rel, cit.item_rel} & {"同条", "同項", "同号"}
        internal = not same and (cit.supplement or cit.art_rel is not None or not cit.art)
        return not internal or self._excerpted(scope)

    def _reading_table(self, row: Node) -> bool:
        """Rows of 「次の表の上欄に掲げる…規定中同表の中欄に掲げる字句は…読み替える」."""
        owner = self.by_id.get(row.parent or "")
        while owner is not None and owner.kind == "table_row":
            owner = self.by_id.get(owner.parent or "")
        return owner is not None and "上欄" in owner.text and "字句" in owner.text

    def is_table_heading(self, cit: Citation, node: Node) -> bool:
        return (node.id, position(node, cit.start)[0]) in self.heading_lines

    # -- entry point ---------------------------------------------------------------------------
    def resolve(self, cit: Citation, node: Node) -> Reference:
        article = self._ancestor(node, "article")
        if article is not self._last_article:
            self._last, self._last_article = {}, article
        line, col = position(node, cit.start)
        ref = Reference(node.id, cit.text, line, col, cit.kind, None, "ok")  # type: ignore[arg-type]
        typo = _typo(cit)
        if typo:  # 「全各項」: resolved as 前各項, then reported as a guess
            cit = _read_typo(cit, typo)
        hit = self._resolve(cit, node, article)
        if typo:
            hit = self._typo_hit(hit, next(iter(typo.values())))
        if node.kind == "table_row" and not cit.appendix and self._reading_table(node):
            hit = _Hit(None, "external", "a provision named in a 読替え table (of the law read)")
        if hit.status not in ("ok", "external") and self._historical(cit, node):
            hit = _Hit(hit.target, "external", f"in a 附則: {hit.message}; not checked against "
                       "the current text")  # fmt: skip
        ref.target = hit.target.id if hit.target else None
        ref.targets = [m.id for m in hit.members] or ([ref.target] if ref.target else [])
        ref.target_end = ref.targets[-1] if len(ref.targets) > 1 else None
        ref.status, ref.message = hit.status, hit.message
        ref.caption_owner = hit.owner.id if hit.owner is not None else None
        if hit.status == "external":
            ref.kind = "external"
        self._then(ref, node)
        return ref

    def _then(self, ref: Reference, node: Node | None) -> None:
        """A statute 附則's citation that today's text no longer has is ``historical``: the
        附則 speaks of the law as it stood when it was enacted (a note, never an error)."""
        if ref.status not in _THEN or not self.statute or node is None or not self._scope(node):
            return
        said = ref.message if _squash(ref.text) in _squash(ref.message) else (
            f"{_squash(ref.text)}: {ref.message}")  # fmt: skip
        ref.status = "historical"
        ref.message = (f"{said} (in a statute's 附則, which speaks of the law as it stood when "
                       "it was enacted; not checked against the current text)")  # fmt: skip

    @staticmethod
    def _typo_hit(hit: _Hit, printed: str) -> _Hit:
        meant = "前" + printed[1:]
        found = _members_label(hit.members) if hit.target is not None else hit.message
        return _Hit(hit.target, "ambiguous", f"「{printed}」 is not a reference form: probably "
                    f"「{meant}」 ({found})", hit.members)  # fmt: skip

    def extend_range(self, first: Reference, last: Reference) -> None:
        """「第1項から第3項まで」: ``first`` names every unit through ``last``'s, in order; a
        number missing in between (a deleted middle member) makes it broken."""
        if first.status != "ok" or last.status != "ok" or not first.target or not last.target:
            return
        a, b = self.by_id.get(first.target), self.by_id.get(last.target)
        if a is None or b is None or a is b:
            return
        units = self._range_pool(a, b)
        if units is None:  # 「第5条第2項から第7条まで」: units of different levels
            cover = self._cover(a, b)
            if cover:
                first.targets, first.target_end = [m.id for m in cover], b.id
            return
        i, j = self._index(units, a), self._index(units, b)
        if i < 0 or j <= i:
            return
        members = units[i : j + 1]
        first.targets, first.target_end = [m.id for m in members], b.id
        missing = _missing_numbers(members)
        if missing and self._excerpted(self._scope(a)) and self._scope(a):
            first.message = "an excerpted (抄) 附則: members left out are not checked"
        elif missing:
            unit = _UNIT.get(a.kind, "")
            gone = "、".join(f"第{k}{unit}" for k in missing)
            first.status = "broken"
            first.message = (f"the range {_squash(first.text)}から{_squash(last.text)}: {gone} "
                             "does not exist")  # fmt: skip
            self._then(first, self.by_id.get(first.source))

    def _cover(self, a: Node, b: Node) -> list[Node] | None:
        """What 「AからBまで」 covers when A and B are of different levels, in document order:
        A and what follows it in its article, the articles between, then B's article up to B."""
        art_a, art_b = self._article_of(a), self._article_of(b)
        if art_a is None or art_b is None or self._scope(art_a) != self._scope(art_b):
            return None
        arts = self.articles[self._scope(art_a)]
        i, j = self._index(arts, art_a), self._index(arts, art_b)
        if i < 0 or j <= i:
            return None
        head, node = ([] if a is not art_a else [a]), a
        while node is not art_a:  # a, its later siblings, then its parent's later siblings …
            sibs = self._kids(self.by_id[node.parent or ""], node.kind)
            k = self._index(sibs, node)
            head += sibs[k:] if node is a else sibs[k + 1 :]
            node = self.by_id[node.parent or ""]
        tail, node = ([] if b is not art_b else [b]), b
        while node is not art_b:  # … and in B's article, everything before B, then B
            sibs = self._kids(self.by_id[node.parent or ""], node.kind)
            k = self._index(sibs, node)
            tail = sibs[: k + 1 if node is b else k] + tail
            node = self.by_id[node.parent or ""]
        return head + arts[i + 1 : j] + tail

    def _article_of(self, node: Node) -> Node | None:
        return node if node.kind == "article" else self._ancestor(node, "article")

    def _range_pool(self, a: Node, b: Node) -> list[Node] | None:
        """The units a range runs through: a scope's articles, or one unit's children."""
        if a.kind != b.kind:
            return None
        if a.kind == "article":
            scope = self._scope(a)
            return self.articles[scope] if self._scope(b) == scope else None
        if a.parent != b.parent:
            return None
        if a.parent is None:  # top-level chapters
            return self._top(a.kind)
        return self._kids(self.by_id[a.parent], a.kind)

    def resolve_external(self, cit: Citation) -> tuple[str | None, RefStatus, str]:
        """Resolve a citation made by another document, in this document's main provisions."""
        if not cit.art:
            return None, "external", "the document as a whole (no article named)"
        local = replace(cit, external=None, supplement=False, amendment=True, art_rel=None)
        outside = Node("__citing__", "text", None, "", None, "", None, 0, 0)
        self._last, self._last_article = {}, None
        hit = self._resolve(local, outside, None)
        target = hit.target.id if hit.target else None
        return target, hit.status, hit.message or str(target)

    def _resolve(self, cit: Citation, node: Node, article: Node | None) -> _Hit:
        if cit.appendix:
            return self._appendix(cit)
        if cit.external:
            self._last = {"art": "external", "para": "external", "item": "external"}
            return _Hit(None, "external", f"{cit.external}: another law or document")
        if cit.section_rel:
            return self._relative_section(cit.section_rel, node)
        if cit.chapter or cit.chapter_rel:
            return self._chapter(cit, node)
        same = cit.art_rel or (None if cit.art else cit.para_rel or cit.item_rel)
        if same in ("同条", "同項", "同号"):
            level = {"同条": "art", "同項": "para", "同号": "item"}[same]
            if self._last.get(level) == "external":
                return _Hit(None, "external", f"{same} repeats a unit of another law")
        # 1. the article
        if cit.art or cit.art_rel:
            art_hit = self._article(cit, node, article)
            if art_hit.target is None:
                return art_hit
            art = art_hit.target
            self._last["art"] = art
        else:
            if article is None:
                return _Hit(None, "ok", f"{cit.text.strip()} outside any article: not checked")
            art, art_hit = article, _Hit(article, "ok")
        # 2. the paragraph
        para = None
        if cit.para or cit.para_rel:
            para_hit = self._paragraph(cit, node, art)
            if para_hit.target is None or para_hit.status != "ok":
                return para_hit
            para = para_hit.target
            self._last["para"] = para
        # 3. the item
        if cit.item or cit.item_rel:
            item_hit = self._item(cit, node, art, para)
            if item_hit.status != "ok" or item_hit.target is None:
                return item_hit
            self._last["item"] = item_hit.target
            if art_hit.status == "ok":
                return item_hit
            return replace(art_hit, target=item_hit.target, members=item_hit.members)
        if para is not None:
            members = para_hit.members
            if art_hit.status == "ok":
                return _Hit(para, "ok", members=members)
            return replace(art_hit, target=para, members=members)
        return art_hit

    # -- chapters ----------------------------------------------------------------------------
    def _chapter(self, cit: Citation, node: Node) -> _Hit:
        """本章 / この章 / 前章 / 次章 / 同章 / 第N章 (第M節): chapters among the citing one's
        siblings (chapters restart in each 編), or the top-level ones."""
        rel = cit.chapter_rel
        if rel == "同章":
            last = self._last.get("chapter")
            if not isinstance(last, Node):
                return _Hit(None, "ambiguous", "同章 with no chapter named before it")
            return self._section(cit, last)
        own = self._ancestor(node, "chapter")
        parent = own.parent if own is not None else _id(self._ancestor(node, "part"))
        pool = self._kids(self.by_id[parent], "chapter") if parent else self._top("chapter")
        if rel in ("本章", "この章", "前章", "次章"):
            if own is None and rel == "本章" and cit.section and self._top("section"):
                return self._section_of(cit.section, self._top("section"), "the document")
            if own is None:
                return _Hit(None, "broken", f"{rel} used outside any chapter")
            i = self._index(pool, own) + {"前章": -1, "次章": 1}.get(rel, 0)
            if not 0 <= i < len(pool):
                return _Hit(None, "out_of_range", f"{rel} in {_squash(own.label)}")
            return self._section(cit, pool[i])
        target = next((c for c in pool if c.num == cit.chapter), None)
        if target is None:
            have = f"第{pool[0].num}章–第{pool[-1].num}章" if pool else "no chapters"
            return _Hit(None, "broken", f"第{cit.chapter}章 does not exist (the document has "
                        f"{have})")  # fmt: skip
        return self._section(cit, target)

    def _relative_section(self, rel: str, node: Node) -> _Hit:
        """本節 / この節 / 前節 / 次節: among the sections of the citing one's chapter, or the
        document's top-level sections when it has 節 but no 章."""
        own = self._ancestor(node, "section")
        if own is None:
            return _Hit(None, "broken", f"{rel} used outside any section")
        parent = self.by_id.get(own.parent or "")
        pool = self._kids(parent, "section") if parent else self._top("section")
        i = self._index(pool, own) + {"前節": -1, "次節": 1}.get(rel, 0)
        if not 0 <= i < len(pool):
            return _Hit(None, "out_of_range", f"{rel} in {_squash(own.label)}")
        return _Hit(pool[i], "ok")

    def _section(self, cit: Citation, chapter: Node) -> _Hit:
        self._last["chapter"] = chapter
        if cit.section is None:
            return _Hit(chapter, "ok")
        return self._section_of(cit.section, self._kids(chapter, "section"), _squash(chapter.label))

    @staticmethod
    def _section_of(num: str, pool: list[Node], owner: str) -> _Hit:
        sec = next((c for c in pool if c.num == num), None)
        return _Hit(sec, "ok") if sec else _Hit(None, "broken", f"{owner} has no 第{num}節")

    def _top(self, kind: str) -> list[Node]:
        return [n for n in self.children[None] if n.kind == kind]

    # -- articles ----------------------------------------------------------------------------
    def _article(self, cit: Citation, node: Node, article: Node | None) -> _Hit:
        scope = self._scope(node)
        if cit.art_rel:
            return self._relative_article(cit.art_rel, scope, article)
        num = cit.art or ""
        label = article_label(num)
        if cit.supplement:
            target = self._supplement_article(scope, num)
            where = "附則"
            if target is None and self._excerpted(scope):
                return _Hit(
                    None, "external", f"附則{label} is left out of this excerpted (抄) 附則"
                )
        else:
            target, where = self._main_or_local(scope, num, cit.amendment)
            if target is None and where == "external":
                return _Hit(None, "external", f"{label} of the amending act")
        if target is None:
            return _Hit(None, "broken", f"{where}{label} does not exist{self._gap_note(num)}")
        return self._check_caption(target, cit.caption, label)

    def _main_or_local(self, scope: str, num: str, amendment: bool) -> tuple[Node | None, str]:
        if not scope or amendment:
            return self.art_index.get(("", num)), ""
        suppl = self.by_id[scope]
        if self.statute_style:
            head = f"{suppl.label}{suppl.caption or ''}{suppl.text[:60]}"
            if _AMENDING_ACT.search(_SPACE_RE.sub("", head)) and scope != self._first_suppl():
                return None, "external"
            return self.art_index.get(("", num)), ""
        local = self.art_index.get((scope, num))
        return (local, "") if local else (self.art_index.get(("", num)), "")

    def _excerpted(self, scope: str) -> bool:
        suppl = self.by_id.get(scope or self._first_suppl())
        if suppl is None:
            return False
        return "抄" in _SPACE_RE.sub("", f"{suppl.label}{suppl.caption or ''}{suppl.text[:80]}")

    def _first_suppl(self) -> str:
        # self.articles only grows (a defaultdict): recompute when a scope was added
        if self._first is None or self._first[0] != len(self.articles):
            self._first = (len(self.articles), next((s for s in self.articles if s), ""))
        return self._first[1]

    def _supplement_article(self, scope: str, num: str) -> Node | None:
        if scope:
            return self.art_index.get((scope, num))
        first = self._first_suppl()
        return self.art_index.get((first, num)) if first else None

    def _relative_article(self, rel: str, scope: str, article: Node | None) -> _Hit:
        if rel == "同条":
            last = self._last.get("art")
            if isinstance(last, Node):
                return _Hit(last, "ok")
            return _Hit(None, "ambiguous", "同条 with no article named before it")
        if article is None:
            return _Hit(None, "ok", f"{rel} outside any article: not checked")
        if rel in ("本条", "この条"):
            return _Hit(article, "ok")
        arts = self.articles[scope]
        i = self._index(arts, article)
        if i < 0:
            return _Hit(None, "ok", f"{rel} in an unnumbered article: not checked")
        if rel == "次条":
            if i + 1 < len(arts):
                return _Hit(arts[i + 1], "ok")
            return _Hit(None, "out_of_range", f"次条 in the last article ({article.label})")
        n = _count(rel) if rel != "前条" else 1
        if i == 0 or (n is not None and n > i):
            return _Hit(
                None, "out_of_range", f"{rel} in {article.label}: not enough articles before"
            )
        return _before(arts, i, n)

    def _gap_note(self, num: str) -> str:
        if not num.isdigit():
            return ""
        if self._main_nums is None:
            found = {int(a.num) for a in self.articles[""] if a.num and a.num.isdigit()}
            self._main_nums = (found, min(found, default=0), max(found, default=0))
        nums, lowest, highest = self._main_nums
        k = int(num)
        if nums and k not in nums and lowest < k < highest:
            return f" (the article numbering skips 第{k}条)"
        if nums and k > highest:
            return f": the document ends at 第{highest}条"
        return ""

    def _check_caption(self, target: Node, caption: str | None, label: str) -> _Hit:
        if caption is None or not target.caption:
            return _Hit(target, "ok")
        want, have = norm_caption(caption), norm_caption(target.caption)
        if want == have:
            return _Hit(target, "ok")
        msg = f"{label} is captioned 「{have}」, not 「{want}」"
        if _okurigana_variant(want, have):
            return _Hit(target, "ok", msg + " (a 送り仮名 variant)")
        msg += _kana_note(want, have)
        owner = self._captioned(target, want)
        if owner is not None:
            msg += f" (「{want}」 is {_short_label(owner)})"
        return _Hit(target, "caption_mismatch", msg, owner=owner)

    def _captioned(self, target: Node, caption: str) -> Node | None:
        pool = (
            self.appendices[target.id.split("_")[0]]
            if target.kind == "appendix"
            else self.articles[self._scope(target)]
        )
        return next((n for n in pool if n.caption and norm_caption(n.caption) == caption), None)

    # -- paragraphs and items -----------------------------------------------------------------
    def _paragraph(self, cit: Citation, node: Node, art: Node) -> _Hit:
        paras = self._kids(art, "paragraph")
        if cit.para:
            para = self._numbered_para(paras, cit.para) or self._child(art, "paragraph", cit.para)
            if para is None:
                ends = f": it ends at 第{paras[-1].num}項" if paras and paras[-1].num else ""
                return _Hit(None, "broken", f"{art.label} has no 第{cit.para}項{ends}")
            return _Hit(para, "ok")
        rel = cit.para_rel or ""
        if rel == "同項":
            last = self._last.get("para")
            return _Hit(last, "ok") if isinstance(last, Node) else _Hit(
                None, "ambiguous", "同項 with no paragraph named before it")  # fmt: skip
        own = self._ancestor(node, "paragraph")
        if own is None or self._index(paras, own) < 0:
            return _Hit(None, "broken", f"{rel} used outside a paragraph of {art.label}")
        i = self._index(paras, own)
        if rel in ("本項", "この項"):
            return _Hit(own, "ok")
        if rel == "次項":
            if i + 1 < len(paras):
                return _Hit(paras[i + 1], "ok")
            return _Hit(None, "out_of_range", f"次項 in the last paragraph of {art.label}")
        n = 1 if rel == "前項" else _count(rel)
        if i == 0 or (n is not None and n > i):
            return _Hit(None, "out_of_range", f"{rel} in 第{own.num}項 of {art.label}")
        return _before(paras, i, n)

    @staticmethod
    def _numbered_para(paras: list[Node], num: str) -> Node | None:
        """Where paragraph numbers repeat (a source layout the parser could not settle), trust
        the printed labels: 第M項 is the paragraph printed 「M.」, or the one before 「M+1.」."""
        if len({p.num for p in paras}) == len(paras) or not num.isdigit():
            return None
        printed = {p.label.strip().rstrip(".．"): i for i, p in enumerate(paras) if p.label}
        if num in printed:
            return paras[printed[num]]
        after = printed.get(str(int(num) + 1))
        return paras[after - 1] if after else None

    def _item(self, cit: Citation, node: Node, art: Node, para: Node | None) -> _Hit:
        rel = cit.item_rel or ""
        if rel == "同号":
            last = self._last.get("item")
            return _Hit(last, "ok") if isinstance(last, Node) else _Hit(
                None, "ambiguous", "同号 with no item named before it")  # fmt: skip
        own_item = self._ancestor(node, "item")
        numbered_sub = self._numbered_subitem(node)
        if numbered_sub is not None and rel and rel != "各号" and not (cit.para or cit.para_rel):
            return self._relative_among(rel, numbered_sub)
        if para is None:
            para = self._default_para(art, node, bool(cit.item))
        if para is None:
            return _Hit(None, "broken", f"{cit.text.strip()}: {art.label} has no items")
        items = self._kids(para, "item")
        if cit.item:
            item = self._child(para, "item", cit.item)
            if item is not None and cit.sub:
                sub = self._child(item, "subitem", cit.sub)
                if sub is None:
                    return _Hit(None, "broken", f"{cit.text.strip()}: the item has no {cit.sub}")
                return _Hit(sub, "ok")
            if item is None:
                where = art.label + (
                    f"第{para.num}項" if len(self._kids(art, "paragraph")) > 1 else ""
                )
                last = f": its items end at 第{items[-1].num}号" if items and items[-1].num else ""
                return _Hit(None, "broken", f"{where} has no 第{cit.item}号{last}")
            return _Hit(item, "ok")
        if rel == "各号":
            if items:
                return _Hit(items[0], "ok", members=items)
            if node.kind == "table_row" and not (cit.para or cit.para_rel):
                return _Hit(None, "ok", "各号 listed inside a table cell: not checked")
            return _Hit(None, "broken", f"各号: {art.label} 第{para.num}項 has no items")
        if own_item is None or self._index(items, own_item) < 0:
            prev = self._previous_items(para)
            if rel == "前各号" and prev:
                return _Hit(prev[0], "ok", members=prev)
            return _Hit(None, "broken", f"{rel} used outside a list of items")
        i = self._index(items, own_item)
        if rel in ("本号", "この号"):
            return _Hit(own_item, "ok")
        if rel == "次号":
            if i + 1 < len(items):
                return _Hit(items[i + 1], "ok")
            return _Hit(None, "out_of_range", "次号 in the last item")
        n = 1 if rel == "前号" else _count(rel)
        if i == 0 and rel == "前各号" and self._continued_list(para):
            paras = self._kids(art, "paragraph")
            prev = self._kids(paras[self._index(paras, para) - 1], "item")
            return _Hit(prev[0], "ok", "the list continues across a layout break", prev)
        if i == 0 or (n is not None and n > i):
            return _Hit(None, "out_of_range", f"{rel} in the first item of its list")
        return _before(items, i, n)

    def _numbered_subitem(self, node: Node) -> Node | None:
        """「⑤その他前各号に準ずる行為」: in a numbered sub-list (①②…), 号 are its entries.
        Statutes' イ/ロ sub-items are not 号, so only numbered sub-items count."""
        sub = node if node.kind == "subitem" else None
        return sub if sub is not None and sub.num and sub.num.isdigit() else None

    def _relative_among(self, rel: str, own: Node) -> _Hit:
        parent = self.by_id.get(own.parent or "")
        siblings = self._kids(parent, "subitem") if parent else [own]
        i = self._index(siblings, own)
        if rel in ("本号", "この号"):
            return _Hit(own, "ok")
        if rel == "次号":
            if i + 1 < len(siblings):
                return _Hit(siblings[i + 1], "ok")
            return _Hit(None, "out_of_range", "次号 in the last entry of its list")
        n = 1 if rel == "前号" else _count(rel)
        if i <= 0 or (n is not None and n > i):
            return _Hit(None, "out_of_range", f"{rel} in the first entry of its list")
        return _before(siblings, i, n)

    def _continued_list(self, para: Node) -> bool:
        """A 'paragraph' that is really one more entry of the list before it (「…とき。」)."""
        art = self.by_id.get(para.parent or "")
        if art is None:
            return False
        paras = self._kids(art, "paragraph")
        i = self._index(paras, para)
        entry = _SPACE_RE.sub("", para.text).rstrip("。")
        return i > 0 and bool(self._kids(paras[i - 1], "item")) and entry.endswith(_ENTRY_ENDS)

    def _default_para(self, art: Node, node: Node, absolute: bool) -> Node | None:
        """The paragraph a bare 第K号 / 各号 speaks of: the citing one, else the only one."""
        paras = self._kids(art, "paragraph")
        own = self._ancestor(node, "paragraph")
        if (
            own is not None
            and self._index(paras, own) >= 0
            and (self._kids(own, "item") or not absolute)
        ):
            return own
        with_items = [p for p in paras if self._kids(p, "item")]
        if len(with_items) == 1:
            return with_items[0]
        if own is not None and self._index(paras, own) >= 0:
            return own
        return paras[0] if paras else None

    def _previous_items(self, para: Node) -> list[Node]:
        """前各号 printed in a paragraph's own text after a list: the list just before it."""
        own = self._kids(para, "item")
        if own:
            return own
        art = self.by_id.get(para.parent or "")
        if art is None:
            return []
        paras = self._kids(art, "paragraph")
        i = self._index(paras, para)
        return self._kids(paras[i - 1], "item") if i > 0 else []

    # -- appendices ----------------------------------------------------------------------------
    def _appendix(self, cit: Citation) -> _Hit:
        kind = cit.appendix or ""
        pool = self.appendices[_APPENDIX_PREFIX[kind]]
        if cit.appendix_num is None:
            if len(pool) == 1:
                return _Hit(pool[0], "ok")
            if not pool:
                return _Hit(None, "broken", f"{kind}: the document has no {kind}")
            return _Hit(None, "ambiguous", f"{kind} without a number, and there are {len(pool)}")
        label = f"{kind}{cit.appendix_num}"
        target = next((a for a in pool if a.num == cit.appendix_num), None)
        if target is None:
            hit = self._appendix_section(cit, pool, label)
            owner = (
                self._captioned(pool[0], norm_caption(cit.caption))
                if pool and cit.caption
                else None
            )
            if owner is not None:
                hit.message += f"; 「{norm_caption(cit.caption or '')}」 is {_short_label(owner)}"
            return hit
        if cit.appendix_table:
            return self._table(target, cit.appendix_table, cit.caption, label)
        return self._check_caption(target, cit.caption, label)

    def _appendix_section(self, cit: Citation, pool: list[Node], label: str) -> _Hit:
        """「別記2.」 where the one 別記 is unnumbered and split into sections 1., 2. …"""
        have = _span(cit.appendix or "", [a.num for a in pool])
        unnumbered = [a for a in pool if a.num is None]
        if len(unnumbered) == 1 and len(pool) == 1:
            sections = [c for c in self.children[unnumbered[0].id] if c.num and c.num.isdigit()]
            hit = next((c for c in sections if c.num == cit.appendix_num), None)
            if hit is not None:
                return _Hit(hit, "ok")
            nums = ", ".join(f"{c.num}." for c in sections) or "no numbered sections"
            return _Hit(None, "broken", f"{label} does not exist: the one {cit.appendix} has "
                        f"sections {nums}")  # fmt: skip
        return _Hit(None, "broken", f"{label} does not exist (the document has {have})")

    def _table(self, appendix: Node, num: str, caption: str | None, label: str) -> _Hit:
        label = f"{label}の表{num}"
        stack = list(self.children[appendix.id])
        while stack:
            n = stack.pop(0)
            if n.kind == "table" and (n.num == num or f"表{num}" in norm_caption(n.label)):
                return self._check_caption(n, caption, label)
            stack.extend(self.children[n.id])
        heading = self.tables.get((appendix.id, num))
        if heading is None:
            return _Hit(None, "broken", f"{label} does not exist")
        have, line = heading
        want, have = norm_caption(caption or ""), norm_caption(have or "")
        if want and have and want != have:
            msg = f"{label} is headed 「{have}」 (line {line}), cited as 「{want}」"
            if _okurigana_variant(want, have):
                return _Hit(appendix, "ok", msg + " (a 送り仮名 variant)")
            return _Hit(appendix, "caption_mismatch", msg + _kana_note(want, have))
        return _Hit(appendix, "ok", f"{label} at line {line}")


def _kana_edits(want: str, have: str) -> list[tuple[str, str, str]] | None:
    """(cited, actual, char before) per difference when the captions differ only in kana."""
    if _KANA.sub("", want) != _KANA.sub("", have):
        return None
    edits = []
    for _op, i1, i2, j1, j2 in SequenceMatcher(None, want, have, autojunk=False).get_opcodes():
        if _op != "equal":
            before = have[j1 - 1] if j1 else ""
            edits.append((want[i1:i2], have[j1:j2], before))
    return edits


def _okurigana_variant(want: str, have: str) -> bool:
    """申込み/申し込み, 取扱/取扱い: only kana added or dropped, each right after a kanji."""
    edits = _kana_edits(want, have) or []
    return bool(edits) and all(
        not (a and b) and _KANJI.fullmatch(before or "x") is not None for a, b, before in edits
    )


def _kana_note(want: str, have: str) -> str:
    """「 (cited without 「に」 after 「る」)」 for a kana-only misquotation, else ""."""
    edits = _kana_edits(want, have)
    if not edits:
        return ""
    parts = []
    for a, b, before in edits:
        if not a:
            parts.append(f"「{b}」 missing after 「{before}」" if before else f"「{b}」 missing")
        elif not b:
            parts.append(f"「{a}」 added")
        else:
            parts.append(f"「{a}」 for 「{b}」")
    return " (differs only in kana: " + ", ".join(parts) + ")"


_UNIT = {"article": "条", "paragraph": "項", "item": "号"}


def _id(node: Node | None) -> str | None:
    return node.id if node is not None else None


def _typo(cit: Citation) -> dict[str, str]:
    """{field: printed} for a 全各… printed where 前各… is meant."""
    if not any(r and r[0] == "全" for r in (cit.art_rel, cit.para_rel, cit.item_rel)):
        return {}
    fields = {"art_rel": cit.art_rel, "para_rel": cit.para_rel, "item_rel": cit.item_rel}
    return {k: v for k, v in fields.items() if v and v.startswith("全")}


def _read_typo(cit: Citation, typo: dict[str, str]) -> Citation:
    fixed = {k: "前" + v[1:] for k, v in typo.items()}
    return replace(cit, art_rel=fixed.get("art_rel", cit.art_rel),
                   para_rel=fixed.get("para_rel", cit.para_rel),
                   item_rel=fixed.get("item_rel", cit.item_rel))  # fmt: skip


def _members_label(members: list[Node]) -> str:
    """「第1項–第4項」, 「第2号」: the units a reference names."""
    labels = [f"第{m.num}{_UNIT.get(m.kind, '')}" if m.num else _squash(m.label) for m in members]
    return f"{labels[0]}–{labels[-1]}" if len(labels) > 1 else (labels[0] if labels else "")


def _squash(text: str) -> str:
    return _SPACE_RE.sub("", text)


def _missing_numbers(members: list[Node]) -> list[int]:
    """Numbers between the first and last member that no member carries (1, 3 → [2])."""
    heads = [m.num.split("-")[0] for m in members if m.num]
    if len(heads) != len(members) or not all(h.isdigit() for h in heads):
        return []
    have = {int(h) for h in heads}
    return [k for k in range(int(heads[0]), int(heads[-1]) + 1) if k not in have]


def _before(units: list[Node], i: int, n: int | None) -> _Hit:
    """前項 / 前2項 / 前各項 at position ``i``: the ``n`` units before it (all when ``n`` is None),
    the first as the target and every one as a member."""
    members = units[i - (n or i) : i]
    return _Hit(members[0], "ok", members=members)


def _index(seq: list[Node], node: Node) -> int:
    """Position of ``node`` in ``seq`` by identity (dataclass equality compares every field)."""
    return next((i for i, n in enumerate(seq) if n is node), -1)


def _span(kind: str, nums: list[str | None]) -> str:
    """「別紙1–別紙10」 for a consecutive run, else a list; 「no 別紙」 when there are none."""
    if not nums:
        return f"no {kind}"
    ints = sorted(int(n) for n in nums if n and n.isdigit())
    if (
        len(ints) == len(nums)
        and ints == list(range(ints[0], ints[0] + len(ints)))
        and len(ints) > 2
    ):
        return f"{kind}{ints[0]}–{kind}{ints[-1]}"
    return ", ".join(f"{kind}{n or ''}" for n in nums)


def _short_label(node: Node) -> str:
    """「第45条」, 「別紙8」: how a message names a node."""
    if node.kind == "article" and node.num:
        return article_label(node.num)
    kind = next((k for k, v in _APPENDIX_PREFIX.items() if node.id.startswith(v + "_")), "")
    return f"{kind}{node.num}" if kind and node.num else _SPACE_RE.sub("", node.label)


@lru_cache(maxsize=4096)  # pure; article numbers repeat
def article_label(num: str) -> str:
    """ "27-2" → 「第27条の2」."""
    head, *branches = num.split("-")
    return f"第{head}条" + "".join(f"の{b}" for b in branches)
