"""Cross-references in clause text: recognition (this module) and resolution (resolve.py).

Recognised references are ``extract.citation.Citation``s; resolve.py never imports this module.

Recognition works on a *normalised view* of each node's text: whitespace removed (PDF text
prints 「第 19条」 and breaks references across lines), full-width digits and brackets made
ASCII / full-width respectively. Every normalised character keeps its offset in ``Node.text``,
so a reference is reported at its printed text, line and column.

A reference is a *group* of adjacent components — 附則? 条 (caption)? 項? 号? — or an appendix
(別紙4, 別表第1, 別記2, 別紙3の表2). Groups joined by 及び/又は/、/から… inherit the higher
levels they omit from the group before (第14条第1項から第3項 → the second is 第14条第3項).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from extract.citation import NUM, Citation, cited_int, position
from extract.model import Diagnostic, Node, Reference
from extract.named import NAME_CHARS as _NAME_CHARS
from extract.named import NAME_CUT as _NAME_CUT
from extract.named import SELF_NAMES as _SELF_NAMES
from extract.named import named_documents
from extract.resolve import Resolver

_MAP = dict(zip("０１２３４５６７８９［］()", "0123456789[]（）", strict=True))
_NEEDS_MAP = re.compile("[０-９［］()]")
_SPACE_CHARS = " \t\r\n\u3000\u00a0"
_SPACE_RE = re.compile(f"[{_SPACE_CHARS}]")
_OPEN_Q = re.compile("[「『]")
_CLOSE_Q = re.compile("[」』]")
_RUN = re.compile(f"[^{_SPACE_CHARS}]+")

_ART = rf"第(?P<a>{NUM})条(?P<ab>(?:の{NUM})*)(?![件約例文理])"
# 全各項 / 全各号 / 全各条: 前各… mistyped (same reading); resolved as 前… and reported ambiguous
_ART_REL = rf"(?P<ar>前条|次条|本条|この条|同条|前各条|前{NUM}条|全各条)(?![件約例文理])"
_CAPTION = r"(?:（(?P<cap>[^（）第。、]{1,40})）)?"
_PARA = rf"(?:第(?P<p>{NUM})項|(?P<pr>前項|次項|本項|この項|同項|前各項|前{NUM}項|全各項))(?!目)"
_ITEM = rf"(?:第(?P<i>{NUM})号|(?P<ir>前号|次号|本号|この号|同号|前各号|各号|前{NUM}号|全各号))"
_SUB = r"(?P<sub>[イロハニホヘトチリヌルヲワカヨタレソツネナラム](?![ァ-ヶー]))?"
_SUPPL = r"(?P<s>附則)?"
# 「第8条3項」: a paragraph printed without 第, right after its article
_BARE_PARA = rf"(?:(?P<p2>{NUM})項(?!目))?"
_GROUP = re.compile(
    rf"{_SUPPL}(?:(?:{_ART}|{_ART_REL}){_CAPTION}{_BARE_PARA})?(?:{_PARA})?(?:{_ITEM}{_SUB})?"
)
_APPENDIX = re.compile(
    rf"(?P<k>別紙|別表|別記|様式)(?:第)?(?P<n>{NUM})?(?:の?表(?P<t>{NUM}))?"
    r"(?:（(?P<cap>[^（）第。、]{1,40})）)?"
)
# 本章 / 前章 / 次章 / この章 / 第N章 (第N章第M節)
_CHAPTER = (
    rf"(?:第(?P<cn>{NUM})章|(?P<cr>本章|前章|次章|この章|同章))(?:第(?P<cs>{NUM})節)?"
    rf"|第(?P<cs2>{NUM})節"  # 「第二章第三節及び第四節」: a section of the chapter named before
    r"|(?P<sr>本節|この節|前節|次節)"
)
# 「第3項乃至6項」: the end of a range printed without 第
_BARE = r"(?:(?<=乃至)|(?<=から)|(?<=ないし))(?P<bn>\d+)(?P<bu>[項号])(?![目機棟車館室線])"
_MASTER = re.compile(
    # where a reference can start (no empty matches elsewhere: こと, 本サービス, 次の …)
    r"(?=附則|第|前|次[条項号章節]|本[条項号章節]|この[条項号章節]|同[条項号章]|各号|全各|別[紙表記]|様式"
    r"|(?:(?<=乃至)|(?<=から)|(?<=ないし))\d)"
    rf"(?:(?P<grp>{_GROUP.pattern})|(?P<apx>{_APPENDIX.pattern.replace('?P<', '?P<x')})"
    rf"|(?P<chp>{_CHAPTER})|(?P<bare>{_BARE}))"
)
# A law name ends right before a group: 「電気通信事業法」「消費税法」「…約款」, optionally followed
# by a bracketed law number, closed or (as printed in one corpus document) left open.
_LAW_TAIL = re.compile(
    rf"(?P<name>(?:{_NAME_CHARS}|「[^「」]{{1,40}}」){{0,40}}?"
    r"(?:法律|法|政令|省令|府令|規則|条例|告示|条約|約款|規約|規程|細則))"
    rf"(?:（[^（）]*）|（[^（）]*第{NUM}号)?$"
)
_LAST_HARD = re.compile(r"[、。，『』（）\[\]・：:；;][^、。，『』（）\[\]・：:；;]*$")
_LAW_LAST = frozenset("律法令則例示約款程）号")  # the last character of a name (or bracket)
# 「法律第86号」「総務省令第15号」「西企営第41号」: a document/law number, never an item.
_ITEM_OK_BEFORE = frozenset("、。，「『（）」』 はのをにでがもとびへや及又並若")
_JOIN = re.compile(
    r"^(?:まで)?(?:及び|又は|並びに|若しくは|、|，|・|から|乃至|ないし|および|または|もしくは"
    r"|ならびに|,|（)$"
)
# the part of a clause a citation may name before a list goes on (本文, ただし書, 前段 …)
_SENTENCE_PART = re.compile(r"^(?:本文|ただし書|前段|後段|各号列記以外の部分|柱書き?)")
_MALFORMED = re.compile(
    rf"(?<![次及落])第(?!{NUM})[^、。「」（）第]{{0,2}}?[条項号](?![件約例文理目])"
)
_MALFORMED_HINT = re.compile(rf"第(?!{NUM})")  # what _MALFORMED needs, found by a fast scan
_TERM_TAILS = ("施行日", "施行後", "施行前", "改正後", "改正前", "公布日")
_CAPTION_NOT = re.compile(
    r"を除|に限|を含|以下|関係|において|という|をいう|規定によ|規定に基|を準用"
)


def _num(text: str | None) -> str | None:
    return None if text is None else str(cited_int(text))


def _branch(text: str) -> str:
    """「の二の三」→ "-2-3"."""
    return "".join(f"-{cited_int(p)}" for p in text.split("の") if p)


@dataclass
class _View:
    """Whitespace-free normalised text with a map back to offsets in the original.

    The map is kept per run of non-space characters (``starts[k]`` in the view is ``origin[k]``
    in the original), so building it costs one regex pass, not one step per character.
    """

    text: str
    starts: list[int] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)

    def orig(self, i: int) -> int:
        k = bisect_right(self.starts, i) - 1
        return self.origin[k] + i - self.starts[k]


def normalise(text: str) -> _View:
    if not _SPACE_RE.search(text):
        norm, starts, origin = text, [0], [0]
    else:  # one pass over the runs of non-space characters
        runs: list[str] = []
        starts, origin, pos = [], [], 0
        for m in _RUN.finditer(text):
            run = m.group()
            runs.append(run)
            starts.append(pos)
            origin.append(m.start())
            pos += len(run)
        norm = "".join(runs)
    if _NEEDS_MAP.search(norm):
        norm = _NEEDS_MAP.sub(lambda m: _MAP[m.group()], norm)
    return _View(norm, starts, origin)


def _law_before(view: str, start: int) -> tuple[str, bool] | None:
    """The law or document named immediately before offset ``start``, if any."""
    if not start or view[start - 1] not in _LAW_LAST:
        return None
    m = _LAW_TAIL.search(view, _law_floor(view, max(0, start - 80), start), start)
    if not m:
        return None
    # keep the name itself: 「第二条の規定による改正後の消費者契約法」→「消費者契約法」
    raw = m.group("name")
    name = _NAME_CUT.split(raw)[-1]
    historical = "改正前" in raw or name.startswith("旧")
    if name in _SELF_NAMES or name.endswith(tuple(_SELF_NAMES)) or not name:
        return None
    return name, historical


def _law_floor(view: str, lo: int, start: int) -> int:
    """Where a search for a law name ending at ``start`` can begin without missing a match.

    A name (unquoted) never crosses 、。（） and the like, so every start before the last such
    delimiter fails: skipping them is only faster. The name ends before the trailing bracket
    when the text ends with 」 or 号 (neither ends a name); inside 「」 nothing is skipped.
    """
    end = start
    if view[start - 1] in "）号":
        end = view.rfind("（", lo, start)
        if end < 0:
            return lo
    if "「" in view[lo:end] or "」" in view[lo:end]:
        return lo
    m = _LAST_HARD.search(view, lo, end)
    return m.start() + 1 if m else lo


_GROUP_NAMES = ("s", "a", "ab", "ar", "cap", "p", "p2", "pr", "i", "ir", "sub")


def _group_citation(m: re.Match[str], node: Node, view: _View, prev: Citation | None,
                    joined: bool) -> Citation | None:  # fmt: skip
    g_s, g_a, g_ab, g_ar, cap, g_p, g_p2, g_pr, g_i, g_ir, g_sub = m.group(*_GROUP_NAMES)
    s, e = m.start(), m.end()
    cit = Citation(node.id, view.orig(s), view.orig(e - 1) + 1, "")
    cit.supplement = bool(g_s)
    if g_a:
        cit.art = f"{cited_int(g_a)}{_branch(g_ab) if g_ab else ''}"
    cit.art_rel = g_ar
    if cap and not _CAPTION_NOT.search(cap):
        cit.caption = cap
    cit.para, cit.para_rel = _num(g_p or g_p2), g_pr
    cit.item, cit.item_rel = _num(g_i), g_ir
    cit.sub = g_sub if cit.item else None
    head_is_item = not (cit.art or cit.art_rel or cit.para or cit.para_rel)
    before = view.text[s - 1] if s else ""
    if head_is_item and cit.item and not joined and before and before not in _ITEM_OK_BEFORE:
        return None  # 「法律第86号」「西企営第41号」: a number, not an item
    bare = not (cit.art or cit.art_rel or cit.supplement)
    if bare and (cit.para or cit.item) and not cit.item_rel and _compound_term(view.text, e):
        return None
    if cit.item_rel == "各号" and view.text[max(0, s - 2) : s] == "当該":
        return None  # 「当該各号」 repeats the items just named
    if joined and prev is not None:
        _inherit(cit, prev)
    if not cit.inherited:
        law = _law_before(view.text, s)
        if law is not None:
            cit.external, cit.historical = law
        if cit.external == "同法" and prev is not None and prev.external:
            cit.external, cit.historical = prev.external, prev.historical  # 「同法第3条」
    tail = view.text[e : e + 6]
    cit.amendment = tail.startswith("の改正規定") or view.text[max(0, s - 3) : s] == "改正後"
    return cit


def _chapter_citation(m: re.Match[str], node: Node, view: _View, joined: Citation | None
                      ) -> Citation:  # fmt: skip
    """「本章」「第二章第三節」; 「行政不服審査法…第二十四条、第二章第三節」 is that law's."""
    cit = Citation(node.id, view.orig(m.start()), view.orig(m.end() - 1) + 1, "")
    cit.chapter, cit.chapter_rel = _num(m.group("cn")), m.group("cr")
    cit.section = _num(m.group("cs") or m.group("cs2"))
    cit.section_rel = m.group("sr")
    if m.group("cs2"):  # a section alone: of the chapter named before, else the citing one's
        chapter = joined if joined is not None and (joined.chapter or joined.chapter_rel) else None
        cit.chapter = chapter.chapter if chapter else None
        cit.chapter_rel = chapter.chapter_rel if chapter else "本章"
    law = _law_before(view.text, m.start()) if joined is None else None
    if joined is not None:
        cit.external, cit.historical = joined.external, joined.historical
    elif law is not None:
        cit.external, cit.historical = law
    return cit


def _bare_end(m: re.Match[str], node: Node, view: _View, prev: Citation | None, gap: str
              ) -> Citation | None:  # fmt: skip
    """「第3項乃至6項」: 6項 ends the range the reference before opened, and takes its article."""
    if prev is None or gap not in ("から", "乃至", "ないし") or prev.appendix:
        return None
    cit = Citation(node.id, view.orig(m.start()), view.orig(m.end() - 1) + 1, "")
    if m.group("bu") == "項":
        cit.para = m.group("bn")
    else:
        cit.item = m.group("bn")
    cit.range_end = True
    _inherit(cit, prev)
    return cit


def _level(c: Citation) -> int:
    if c.art or c.art_rel or c.supplement:
        return 0
    if c.para or c.para_rel:
        return 1
    return 2


def _inherit(cit: Citation, prev: Citation) -> None:
    """「第14条第1項から第3項」: the second group takes 第14条 from the first."""
    lvl, plvl = _level(cit), _level(prev)
    if lvl == 0:
        # 「民法第九十六条及び第九十七条」: a list of articles of the same law
        if cit.art:
            cit.external, cit.historical = prev.external, prev.historical
        return
    if lvl <= plvl or (cit.para_rel if lvl == 1 else cit.item_rel):
        return  # 「…及び前項」: a relative unit stands on its own
    cit.inherited = True
    cit.external, cit.supplement = prev.external, prev.supplement
    cit.historical = prev.historical
    cit.art, cit.art_rel = prev.art, prev.art_rel
    if lvl == 2:
        cit.para, cit.para_rel = prev.para, prev.para_rel


def _appendix_citation(m: re.Match[str], node: Node, view: _View) -> Citation | None:
    s, e = m.start(), m.end()
    kind, num = m.group("xk"), m.group("xn")
    tail = view.text[e : e + 3]
    if num is None:
        if kind in ("様式", "別記"):
            return None
        # 「本規約（別紙を含みます。）」: the appendices in general, not one of them
        if tail.startswith(("を含", "含")) or view.text[max(0, s - 4) : s].endswith(
            ("規約（", "約款（")
        ):
            return None
    cit = Citation(node.id, view.orig(s), view.orig(e - 1) + 1, "")
    cit.appendix, cit.appendix_num = kind, _num(num)
    cit.appendix_table = _num(m.group("xt"))
    cap = m.group("xcap")
    if cap and not _CAPTION_NOT.search(cap):
        cit.caption = cap
    return cit


class _Quotes:
    """Whether an offset lies inside 「」 or 『』 (counted with two sorted position lists)."""

    def __init__(self, text: str) -> None:
        self.opens = [m.start() for m in _OPEN_Q.finditer(text)]
        self.closes = [m.start() for m in _CLOSE_Q.finditer(text)]

    def inside(self, pos: int) -> bool:
        return bisect_right(self.opens, pos) > bisect_right(self.closes, pos)


def _compound_term(view: str, end: int) -> bool:
    """「第二号施行日」: a bare 第K号 glued to 施行日/改正… is a defined term, not a reference
    (「第2項所定の」「第1号該当者」 stay references)."""
    return view.startswith(_TERM_TAILS, end)


def find_citations(node: Node, view: _View | None = None) -> list[Citation]:
    """Every reference printed in ``node.text``, in order.

    Inside 「」 (defined terms, 読替え) only appendix references are kept: a quoted 「前各項」
    speaks of the provision being read differently, not of this one. Brackets after a reference
    refine it (「第十三条（第一項及び第五項第二号を除く。）」): the inner 項/号 belong to 第十三条.
    """
    text = node.text
    if not _may_cite(text):
        return []
    view = view or normalise(text)
    quoted = _Quotes(view.text) if "「" in view.text or "『" in view.text else None
    out = _unit_citations(node, view, quoted) if _UNIT_CUE.search(view.text) else []
    return _with_named(out, node, view, quoted)


def _unit_citations(node: Node, view: _View, quoted: _Quotes | None) -> list[Citation]:
    """The references naming a unit (条, 項, 号, 章, 節, 別紙 …), in order."""
    text = node.text
    out: list[Citation] = []
    prev: Citation | None = None
    owners: list[Citation | None] = []  # the reference each open bracket refines
    prev_end = -1
    for m in _MASTER.finditer(view.text):
        if m.start() == m.end():
            continue
        cit: Citation | None
        if m.group("chp") or m.group("bare"):  # chapters and sections, 「乃至6項」
            if quoted is not None and quoted.inside(m.start()):
                continue
            gap = view.text[prev_end : m.start()] if prev_end >= 0 else ""
            prev_end = m.end()
            if m.group("chp"):
                prev, joined, rng = _walk_gap(gap, prev, owners)
                cit = _chapter_citation(m, node, view, prev if joined else None)
                cit.range_end = rng  # 「第六章から第八章まで」
            else:
                cit = _bare_end(m, node, view, prev, gap)
        elif m.group("grp"):
            if not any(m.group("a", "ar", "p", "pr", "i", "ir")):
                continue
            if quoted is not None and quoted.inside(m.start()):
                continue
            gap = view.text[prev_end : m.start()] if prev_end >= 0 else ""
            prev, joined, rng = _walk_gap(gap, prev, owners)
            prev_end = m.end()
            cit = _group_citation(m, node, view, prev, joined)
            if cit is not None and not joined and owners and owners[-1] is not None:
                _inherit(cit, owners[-1])  # a bare 第M項 inside 「第N条（…）」
            if cit is not None:
                cit.range_end = rng
        else:
            cit = _appendix_citation(m, node, view)
        if cit is None:
            continue
        cit.text = text[cit.start : cit.end]
        out.append(cit)
        if not cit.appendix:
            prev = cit
    return out


def _with_named(out: list[Citation], node: Node, view: _View, quoted: _Quotes | None
                ) -> list[Citation]:  # fmt: skip
    """Add the laws and documents named without an article (「消費税法（昭和63年法律第108号）」)."""
    named = []
    for s, e, name in named_documents(view.text):
        if quoted is not None and view.text[s] != "「" and quoted.inside(s):
            continue  # a defined term or quoted text
        start, end = view.orig(s), view.orig(e - 1) + 1
        if any(c.start < end and start < c.end for c in out):
            continue
        cit = Citation(node.id, start, end, node.text[start:end], external=name)
        named.append(cit)
    return sorted(out + named, key=lambda c: c.start) if named else out


def _walk_gap(
    gap: str, prev: Citation | None, owners: list[Citation | None]
) -> tuple[Citation | None, bool, bool]:
    """Follow brackets in the text between two references; say whether the second is joined."""
    if prev is None:
        return None, False, False
    tail = gap
    for i, ch in enumerate(gap):
        if ch == "（":
            owners.append(prev if i == 0 else None)
            tail = gap[i + 1 :]
        elif ch == "）":
            if owners:
                prev = owners.pop()
            tail = gap[i + 1 :]
    if gap.endswith("（"):
        return prev, True, False
    tail = _SENTENCE_PART.sub("", tail, count=1)  # 「第二十二条第二項本文及び第三項」
    joined = bool(_JOIN.match(tail)) if tail else gap == ""
    return prev, joined, joined and tail.removeprefix("まで") in ("から", "乃至", "ないし")


_UNIT_CUE = re.compile("[第条項号別章節様]")  # every reference to a unit holds one of these
# what a reference, a named law or document (消費税法, 「…規約」, …に関する規則) must contain
_MAY_CITE = re.compile("[第条項号別章法令節]|全各|規[約程則]|約款|ポリシー|ガイドライン|利用条件")


def _may_cite(text: str) -> bool:
    return bool(text) and _MAY_CITE.search(text) is not None


def malformed(node: Node, view: _View | None = None) -> list[Diagnostic]:
    """Reference-like text that names no number: 「第条」, 「第Ｘ条」."""
    if "第" not in node.text:
        return []
    view = view or normalise(node.text)
    if not _MALFORMED_HINT.search(view.text):
        return []  # every 第 is followed by a number
    out = []
    for m in _MALFORMED.finditer(view.text):
        start, end = view.orig(m.start()), view.orig(m.end() - 1) + 1
        line, col = position(node, start)
        printed = node.text[start:end]
        out.append(Diagnostic("warning", "malformed-reference",
                              f"{line}:{col}: 「{printed}」 looks like a reference but has no "
                              "number", line, node.id))  # fmt: skip
    return out


def extract_references(nodes: list[Node]) -> tuple[list[Reference], list[Diagnostic]]:
    """Find and resolve every reference in ``nodes`` (document order).

    Diagnostics are only for reference-like text that cannot be read (「第条」); broken or
    mismatched references are returned as references with their status, for ``yakkan check``.
    """
    resolver = Resolver(nodes)
    refs: list[Reference] = []
    diags: list[Diagnostic] = []
    for node in nodes:
        if not _may_cite(node.text):
            continue  # nothing _MAY_CITE looks for: neither a reference nor a malformed one
        view = normalise(node.text)  # once per node, shared by both scans
        diags.extend(malformed(node, view))
        start: Reference | None = None  # the reference before, which a range end closes
        for cit in find_citations(node, view):
            if cit.appendix_table and resolver.is_table_heading(cit, node):
                continue
            ref = resolver.resolve(cit, node)
            if cit.range_end and start is not None:
                resolver.extend_range(start, ref)  # 「第1項から第3項まで」
            refs.append(ref)
            start = None if cit.appendix else ref
    return refs, diags


def clause_id(nodes: list[Node], label: str) -> str | None:
    """The node a printed label names (第20条, 第二十条, 第12条の2, 第二十七条第一項第二号,
    附則第1条, 別紙4), read and resolved as a reference from nowhere; a node id is itself."""
    if any(n.id == label for n in nodes):
        return label
    text = "".join(label.split())
    query = Node("__label__", "paragraph", None, "", None, text, None, 0, 0)
    found = find_citations(query)
    if len(found) != 1 or found[0].start != 0 or found[0].end != len(text):
        return None
    ref = Resolver(nodes).resolve(found[0], query)
    return ref.target if ref.status in ("ok", "caption_mismatch") else None
