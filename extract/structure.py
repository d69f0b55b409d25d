"""Cleaned source lines → clause tree (flat ``Node`` list in document order).

Every line is first classified (``classify``): a heading (章/節/款/条/附則/別紙…), a
paragraph or item marker, a standalone caption, a table row, or plain text. A marker is only
accepted when it fits the numbering so far or the previous line ended a sentence; otherwise the
line is a wrapped continuation (「第30条（…）の規定…」 at the start of a line is text).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from extract.model import Diagnostic, Node, NodeKind
from extract.normalize import BLANKS, RawLine
from extract.numerals import (
    _FULLWIDTH,
    AIUEO,
    CIRCLED,
    IROHA,
    NUM_RE,
    ROMAN_SMALL,
    branch_number,
    fold,
    num_key,
    split_branches,
    to_int,
)

SP = r"[ ]*"
_CAPTION = r"(?P<cap>[ ]*\((?P<captext>[^()]*(?:\([^()]*\)[^()]*)*)\))?"
_BRANCH = rf"(?P<branch>(?:{SP}の{SP}(?:{NUM_RE}))*)"
ARTICLE_RE = re.compile(rf"^第{SP}(?P<num>{NUM_RE}){SP}条{_BRANCH}{_CAPTION}")
DIVISION_RE = re.compile(rf"^第{SP}(?P<num>{NUM_RE}){SP}(?P<unit>[編章節款目]){_BRANCH}")
SUPPL_RE = re.compile(rf"^(?P<label>[附付]{SP}則){_CAPTION}")
APPENDIX_RE = re.compile(
    rf"^(?P<open>【)?{SP}(?P<label>(?P<word>別紙|別表|別記|様式){SP}(?:第{SP})?(?P<num>{NUM_RE})?"
    rf"{_BRANCH}){_CAPTION}{SP}(?P<close>】)?"
)
CAPTION_LINE_RE = re.compile(r"^\((?P<captext>[^()]{1,40})\)$")
PARA_RE = re.compile(r"^(?P<num>[0-9]{1,3})(?:\.(?![0-9])[ ]*|[ ]+)(?=\S)")
ITEM_RES: list[tuple[str, re.Pattern[str]]] = [
    ("paren", re.compile(r"^\((?P<num>[0-9]{1,3})\)[ ]*")),
    ("circled", re.compile(rf"^(?P<num>[{CIRCLED}])[ ]*")),
    ("paren-kana", re.compile(r"^\((?P<num>[ア-ン])\)[ ]*")),
    ("paren-roman", re.compile(r"^\((?P<num>[ivx]{1,4})\)[ ]*")),
    ("paren-alpha", re.compile(r"^\((?P<num>[a-z])\)[ ]*")),
    ("kanji", re.compile(r"^(?P<num>[一二三四五六七八九十百]+)(?:[ ]+|\t)(?=\S)")),
    ("kana", re.compile(r"^(?P<num>[ア-ン])[ ]+(?=\S)")),
    ("roman", re.compile(rf"^(?P<num>[{ROMAN_SMALL}])[ .]*(?=\S)")),
    ("alpha", re.compile(r"^(?P<num>[A-Z])\.[ ]*(?=\S)")),
]
_PARTICLE = re.compile(
    r"^(?:の|に|を|は|が|へ|と|で|や|及び|又は|並びに|若しくは|から|まで|により|において|中|各号|"
    r"、|。|,|\)|」|）|等|以外|以降|以下|以上|ただし)"
)
_UNIT = re.compile(
    r"^(?:か月|ヶ月|カ月|営業日|GB|MB|Mb|Gb|kb|bit|%|[年月日時分秒円件台個回倍歳つ](?![人本野額]))"
)
_TERMINATORS = "。．.：:）)」』】"
_SUBHEADING = re.compile(r"^【[^【】]{1,60}】$")  # 【Ⅱ．UTM プラン】 inside an appendix
_MARKER_START = set(
    "第附付別様【(（0123456789０１２３４５６７８９一二三四五六七八九十百"
    + CIRCLED
    + ROMAN_SMALL
    + "ABCDEFGHIJKLMNOPQRSTUVWXYZＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
)
_KANA_ITEM = re.compile(r"^[ア-ン][ \u3000]")
_INNER_BLANKS = BLANKS.replace("\t", "")
_PREFIX = 96
_SHORT_LINE = 16
_SHORT_PREVIOUS = 18  # a shorter unterminated line is a heading, not a line wrapped at the margin
_NOT_CAPTION = {"注", "注意", "参考", "例", "注1", "注2"}


_DEF_HEADER = re.compile(r"^用 *語( +)用 *語 *の *意 *味$")
_LEAVE_TABLE = ("chapter", "section", "subsection", "article", "supplement", "appendix")
_HIRAGANA_BUT_NO = re.compile(r"[ぁ-ねは-ゟ]")
_CONT_START = "・(（※-" + CIRCLED + "0123456789０１２３４５６７８９"


def _definition_split(text: str) -> tuple[int, int] | None:
    """(end of term, start of meaning) at the first space, or None for a single cell."""
    m = re.search(r"[ \u3000]+", text)
    return (m.start(), m.end()) if m else None


def _term_wraps(row: Node, text: str) -> bool:
    """A one-line row whose "meaning" is a short fragment, followed by a short fragment with no
    space: the term cell wrapped (「フレッツ 光ネクスト/クロ」 + 「ス/ライト」)."""
    if len(row.segments) != 2 or row.segments[0][1] != row.segments[1][1]:
        return False
    meaning = row.text.split("\t", 1)[1]
    punct = set("、。「」()（）")
    return len(meaning) <= 12 and not punct & set(meaning) and _fragment(text)


def _fragment(text: str) -> bool:
    """A short piece of a table cell: no space, no punctuation."""
    return len(text) <= 10 and " " not in text and not set("、。「」()（）") & set(text)


def _starts_definition(text: str, previous: str) -> str | None:
    """Does this line of a flattened 用語の定義 table start a new term: "term" (alone on
    its line, the meaning follows), "split" (term and meaning) or None (continuation)."""
    if text[0] in _CONT_START:
        return None
    punct = set("、。「」()（）")
    if len(text) <= 12 and not punct & set(text) and "\t" in previous and terminated(previous):
        return "term"
    split = _definition_split(text)
    if split is None:
        return None
    term = text[: split[0]]
    ok = len(term) <= 16 and not punct & set(term) and not _HIRAGANA_BUT_NO.search(term)
    return "split" if ok else None


@dataclass
class Marker:
    kind: str  # chapter … article paragraph item supplement appendix caption row text
    num: str | None = None
    label: str = ""
    caption: str | None = None
    start: int = 0  # offset in the line where the node's own text starts
    style: str = ""  # item numbering style
    value: int = 0  # position in the style's sequence
    unit: str = ""  # 章 節 款 …; appendix word
    weak: bool = False  # a paragraph number followed by a unit (年, 月, 円 …)
    also: tuple[str, ...] = ()  # 「第五十五条から第六十三条まで　削除」: the other numbers deleted


def _rest_ok(rest: str) -> bool:
    """Text after a heading must not continue a sentence (「…の規定」「に定める」)."""
    body = rest.lstrip(" ")
    if body.startswith("中") and body != rest and body[1:2] not in _IN_ARTICLE_NEXT:
        return True  # 「第四条　中学主任は」 is a sentence; 「第四条中「…」を」 is 「in 第四条」
    return not _PARTICLE.match(body)


_IN_ARTICLE_NEXT = ("", "「", "第", "、", "（", "(", "の", "各")


@lru_cache(maxsize=4096)  # pure, and a document repeats its numbers
def _num(main: str, branch: str | None) -> str | None:
    return branch_number(main, split_branches(branch or ""))


# 「第五十五条から第六十三条まで　削除」, 「第三十八条から第八十四条まで削除」,
# 「第五条及び第六条　削除」 (matched at the end of the first article number)
_DELETED_RANGE_RE = re.compile(
    rf"{SP}(?P<conj>から|及び|、|・){SP}第{SP}(?P<num>{NUM_RE}){SP}条{_BRANCH}{SP}(?:まで)?"
    rf"(?P<tail>{SP}削除。?)$"
)


def _deleted_range(first: str, m: re.Match[str]) -> tuple[str, ...]:
    """The numbers after ``first`` that a one-line 削除 of a range or pair names."""
    last = _num(m.group("num"), m.group("branch"))
    if last is None:
        return ()
    if m.group("conj") != "から":
        return (last,)
    a, b = first.split("-"), last.split("-")
    if len(a) == len(b) == 1 and int(a[0]) < int(b[0]):  # 第五十五条から第六十三条まで
        return tuple(str(n) for n in range(int(a[0]) + 1, int(b[0]) + 1))
    if len(a) == len(b) == 2 and a[0] == b[0] and int(a[1]) < int(b[1]):  # 第十条の二から第十条の五
        return tuple(f"{a[0]}-{n}" for n in range(int(a[1]) + 1, int(b[1]) + 1))
    return (last,)


def _deleted_articles(text: str, folded: str, m: re.Match[str], num: str) -> Marker | None:
    rng = _DELETED_RANGE_RE.match(folded, m.end())
    if rng is None:
        return None
    start = rng.start("tail")
    return Marker(
        "article", num, text[:start].rstrip(), None, _skip_blanks(text, start),
        also=_deleted_range(num, rng),
    )  # fmt: skip


def _article(text: str, folded: str) -> Marker | None:
    m = ARTICLE_RE.match(folded)
    if not m:
        return None
    num = _num(m.group("num"), m.group("branch"))
    if (
        num is not None
        and not m.group("cap")
        and (deleted := _deleted_articles(text, folded, m, num))
    ):
        return deleted
    rest = folded[m.end() :]
    if num is None or (rest and rest[0] not in " \t") or not _rest_ok(rest):
        return None
    cap = m.group("captext")
    label_end = m.start("cap") if m.group("cap") else m.end()
    return Marker(
        "article",
        num,
        text[:label_end].rstrip(),
        text[m.start("captext") : m.end("captext")].strip() if cap is not None else None,
        _skip_blanks(text, m.end()),
    )


def _skip_blanks(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\u3000":
        pos += 1
    return pos


def _division(text: str, folded: str) -> Marker | None:
    m = DIVISION_RE.match(folded)
    if not m:
        return None
    rest = folded[m.end() :].strip()
    if len(rest) > 50 or "。" in rest or not _rest_ok(rest) or rest.startswith("("):
        return None
    num = _num(m.group("num"), m.group("branch"))
    kind = {"編": "part", "章": "chapter", "節": "section", "款": "subsection", "目": "division"}
    if num is None or kind[m.group("unit")] not in ("chapter", "section", "subsection"):
        return None
    start = _skip_blanks(text, m.end())
    caption = text[start:].strip() or None
    return Marker(
        kind[m.group("unit")], num, text[: m.end()], caption, len(text), unit=m.group("unit")
    )


def _supplement(text: str, folded: str) -> Marker | None:
    m = SUPPL_RE.match(folded)
    if not m:
        return None
    rest = folded[m.end() :].strip()
    if len(rest) > 12 or "。" in rest or not _rest_ok(rest) or rest.startswith("第"):
        return None
    cap = m.group("captext")
    return Marker(
        "supplement",
        None,
        text[: m.end("label")],
        text[m.start("captext") : m.end("captext")].strip() if cap is not None else None,
        _skip_blanks(text, m.end()),
    )


def _appendix(text: str, folded: str) -> Marker | None:
    m = APPENDIX_RE.match(folded)
    if not m:
        return None
    rest = folded[m.end() :].strip()
    bracketed = bool(m.group("open"))
    if not bracketed:
        bad = ("規定", "定め", "記載", "参照", "掲げ", "。", "、")
        if len(rest) > 40 or any(b in rest for b in bad) or not _rest_ok(rest):
            return None
    num = _num(m.group("num"), m.group("branch")) if m.group("num") else None
    cap = m.group("captext")
    caption = text[m.start("captext") : m.end("captext")].strip() if cap is not None else None
    start = _skip_blanks(text, m.end())
    if caption is None and not bracketed and rest and len(rest) <= 40:
        caption, start = text[start:].strip(), len(text)  # 「別紙１ 本サービス提供内容」
    return Marker(
        "appendix",
        num,
        text[m.start("label") : m.end("label")].strip(),
        caption,
        start,
        unit=m.group("word"),
    )


def _item(text: str, folded: str) -> Marker | None:
    for style, rx in ITEM_RES:
        m = rx.match(folded)
        if not m:
            continue
        raw = m.group("num")
        value, num = _item_value(style, raw)
        if value is None:
            continue
        rest = folded[m.end() :]
        if style in ("kanji", "kana") and not _rest_ok(rest):
            continue
        if style == "kana" and raw == "ア":
            style, value = "aiueo", 1
        elif style == "kana":
            style = "iroha"
        return Marker("item", num, text[: m.end()].rstrip(), None, m.end(), style, value)
    return None


@lru_cache(maxsize=4096)  # pure, and a document repeats its numbers
def _item_value(style: str, raw: str) -> tuple[int | None, str]:
    if style in ("kana", "paren-kana"):
        pos = IROHA.find(raw)
        return (pos + 1 if pos >= 0 else None), raw
    if style in ("paren-alpha", "alpha"):
        return ord(raw.lower()) - ord("a") + 1, raw
    if style == "paren-roman":
        romans = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"]
        v = romans.index(raw) + 1 if raw in romans else None
        return v, str(v)
    v = to_int(raw)
    return v, str(v)


def classify(text: str) -> Marker:
    """What a line starts, before numbering context is considered."""
    if text[0] not in _MARKER_START and "\t" not in text and not _KANA_ITEM.match(text):
        return _TEXT  # fast path: most lines are running text
    folded = _fold(text[:_PREFIX]) + text[_PREFIX:]  # markers live at the start of a line
    if "\t" in text.strip(" \u3000"):
        return Marker("row", start=0)
    for fn in _HEADINGS.get(folded[0], ()):  # only the kinds that can start with this char
        mk = fn(text, folded)
        if mk is not None:
            return mk
    m = CAPTION_LINE_RE.match(folded)
    if m and to_int(m.group("captext")) is None and m.group("captext").strip() not in _NOT_CAPTION:
        return Marker("caption", caption=text[1:-1].strip(), start=len(text))
    m = PARA_RE.match(folded)
    if m:
        return Marker(
            "paragraph",
            str(int(m.group("num"))),
            text[: m.end()].rstrip(),
            None,
            m.end(),
            "digit",
            int(m.group("num")),
            weak=bool(_UNIT.match(folded[m.end() :])),  # 「2 年に」: a number of years?
        )
    mk = _item(text, folded)
    if mk is not None:
        return mk
    if _SUBHEADING.match(text):
        return Marker("subheading")
    return Marker("text")


_TEXT = Marker("text")
_num_key = lru_cache(maxsize=4096)(num_key)  # pure; article numbers repeat in checks

# Headings by the first character of the folded line (their patterns start with it), in the
# order classify tries them.
_HEADINGS: dict[str, tuple[Callable[[str, str], Marker | None], ...]] = {
    "第": (_article, _division),
    "附": (_supplement,),
    "付": (_supplement,),
    "【": (_appendix,),
    "別": (_appendix,),
    "様": (_appendix,),
}

# ``numerals.fold`` as a substitution of only the characters it changes: str.translate looks
# every character of Japanese text up in its table, and was a quarter of the tree's time.
_FOLDED = _FULLWIDTH
_FOLDABLE = re.compile("[" + "".join(re.escape(c) for c in sorted(_FOLDED)) + "]")


def _fold(text: str) -> str:
    """The same as ``numerals.fold``, faster on text with few full-width ASCII characters."""
    return _FOLDABLE.sub(_fold_one, text)


def _fold_one(m: re.Match[str]) -> str:
    return _FOLDED[m.group()]


def terminated(text: str) -> bool:
    text = text.rstrip()
    return bool(text) and text[-1] in _TERMINATORS


def _ascii_join(a: str, b: str) -> str:
    return " " if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() else ""


@dataclass
class _Level:
    style: str
    value: int
    node: Node
    count: int = 0  # children created under this item


@dataclass
class Builder:
    """Turns classified lines into nodes; holds the numbering context."""

    nodes: list[Node] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    division: dict[str, Node | None] = field(
        default_factory=lambda: {"chapter": None, "section": None, "subsection": None}
    )
    article: Node | None = None
    paragraph: Node | None = None
    items: list[_Level] = field(default_factory=list)
    supplement: Node | None = None
    appendix: Node | None = None
    current: Node | None = None  # node receiving plain text
    last_text: str = ""  # text of the previous line
    last_strong: bool = True  # previous line was a heading / marker with nothing after
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
    last_block: int | None = None
    children: dict[str, int] = field(default_factory=dict)  # items created under each node
    last_division: dict[str, int] = field(default_factory=dict)
    deftable: Node | None = None  # paragraph holding a space-separated 用語の定義 table
    defrow: Node | None = None

    # ------------------------------------------------------------------ helpers
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

    # ------------------------------------------------------------------ headings
    def open_division(self, mk: Marker, ln: RawLine) -> None:
        order = ["chapter", "section", "subsection"]
        level = order.index(mk.kind)
        parent = None
        for k in order[:level]:
            parent = self.division[k] or parent
        prefix = {"chapter": "chp", "section": "sec", "subsection": "subsec"}[mk.kind]
        wanted = f"{parent.id}__{prefix}_{mk.num}" if parent else f"{prefix}_{mk.num}"
        kind: NodeKind = mk.kind  # type: ignore[assignment]
        node = self.new(kind, wanted, mk, parent, ln)
        self.division[mk.kind] = node
        self.last_division[mk.kind] = to_int((mk.num or "0").split("-")[0]) or 0
        for k in order[level + 1 :]:
            self.division[k] = None
            self.last_division[k] = 0
        self.close_article()
        self.supplement = self.appendix = None
        self.current = node

    def close_article(self) -> None:
        self.article = self.paragraph = None
        self.items = []
        self.para_count = self.last_para = 0

    def division_parent(self) -> Node | None:
        return self.division["subsection"] or self.division["section"] or self.division["chapter"]

    def open_article(self, mk: Marker, ln: RawLine) -> None:
        self.close_article()
        assert mk.num is not None
        if self.supplement is not None:
            self.check_sequence(
                self.suppl_articles, self.suppl_seen, mk.num, ln, "supplement article"
            )
            self.suppl_articles.append(mk.num)
            self.suppl_seen.add(mk.num)
            parent: Node | None = self.supplement
            wanted = f"{self.supplement.id}__art_{mk.num}"
        else:
            self.check_sequence(self.main_articles, self.main_seen, mk.num, ln, "article")
            self.main_articles.append(mk.num)
            self.main_seen.add(mk.num)
            parent = self.division_parent()
            wanted = f"art_{mk.num}"
        if self.pending_caption and mk.caption is None:
            mk.caption = self.pending_caption[0]
            self.pending_caption = None
        self.article = self.new("article", wanted, mk, parent, ln)
        self.current = self.article
        rest = ln.text[mk.start :].strip()
        if rest in ("削除", "削除。"):
            self.append_text(self.article, ln, mk.start, False)
        elif rest:
            self.open_paragraph(Marker("paragraph", "1", "", None, mk.start, "digit", 1), ln)
        for num in mk.also:  # each number of a range deleted in one line is an article: 削除
            self.open_article(Marker("article", num, "", None, len(ln.text)), ln)

    def check_sequence(
        self, seen: list[str], seen_set: set[str], num: str, ln: RawLine, what: str
    ) -> None:
        if not seen:
            if _num_key(num) != (1,) and what != "article":
                self.diag("info", "first-number", f"{what} numbering starts at {num}", ln.line)
            return
        last = _num_key(seen[-1])
        cur = _num_key(num)
        if num in seen_set:
            self.diag(
                "warning",
                f"repeated-{what.replace(' ', '-')}-number",
                f"{what} {num} appears twice",
                ln.line,
            )
        elif cur < last:
            self.diag(
                "warning",
                f"{what.replace(' ', '-')}-out-of-order",
                f"{what} {num} follows {seen[-1]}",
                ln.line,
            )
        elif cur[0] > last[0] + 1:
            missing = ", ".join(str(n) for n in range(last[0] + 1, cur[0]))
            excerpt = self.supplement is not None and "抄" in self.supplement.text
            self.diag(
                "info" if excerpt else "warning",  # an excerpted (抄) 附則 leaves articles out
                f"skipped-{what.replace(' ', '-')}-number",
                f"{what} number(s) {missing} missing between {seen[-1]} and {num}"
                + (" (excerpt: 抄)" if excerpt else ""),
                ln.line,
            )

    def expected_article(self, num: str) -> bool:
        seen = self.suppl_articles if self.supplement is not None else self.main_articles
        cur = _num_key(num)
        if not seen:
            return cur[0] <= 1 or self.supplement is None
        last = _num_key(seen[-1])
        if cur == (last[0] + 1,):
            return True
        if cur[0] == last[0] and len(cur) >= 2 and cur > last:  # 27 → 27-2, 27-2 → 27-3
            return cur[1] == (last[1] + 1 if len(last) >= 2 else 2)
        return False

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
            self.text(ln, False)
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
        self.items.append(_Level(mk.style, mk.value, node))
        self.current = node
        self.append_text(node, ln, mk.start, False)

    def check_item_order(self, previous: _Level, mk: Marker, ln: RawLine) -> None:
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

    # ------------------------------------------------------------------ dispatch
    def feed(self, ln: RawLine) -> None:
        strong = (
            ln.heading
            or ln.list_depth >= 0
            or (ln.block is not None and ln.block != self.last_block)
        )
        self.last_block = ln.block
        ended = strong or self.last_strong or terminated(self.last_text)
        mk = classify(ln.text)
        if self.deftable is not None:
            if mk.kind in _LEAVE_TABLE and self.dispatch(mk, ln, True):
                self.deftable = self.defrow = None
            else:
                self.definition_row(ln)
            self.last_text, self.last_strong = ln.text, False
            return
        if self.article is not None and ln.text[0] == "用" and _DEF_HEADER.match(fold(ln.text)):
            self.start_definition_table(ln)
            self.last_text, self.last_strong = ln.text, True
            return
        handled = self.dispatch(mk, ln, ended)
        if not handled:
            if ln.list_depth >= 0 and self.list_item(ln):
                pass
            else:
                # a short previous line is a table cell or heading, not a wrapped sentence
                self.text(ln, ended or len(self.last_text) < _SHORT_PREVIOUS)
        self.last_text = ln.text
        self.last_strong = (
            handled
            and mk.kind not in ("paragraph", "item", "row")
            and (ln.text[mk.start :].strip() in ("", "削除"))
        )

    def dispatch(self, mk: Marker, ln: RawLine, ended: bool) -> bool:
        kind = mk.kind
        if kind == "text":
            return False
        if kind == "row":
            self.row(ln)
            return True
        if kind in ("chapter", "section", "subsection"):
            expected = (
                to_int((mk.num or "0").split("-")[0]) == self.last_division.get(mk.kind, 0) + 1
            )
            if self.appendix is not None or not (ended or expected or self.article is None):
                return False
            self.flush_caption()
            self.open_division(mk, ln)
            return True
        if kind == "article":
            assert mk.num is not None
            if self.appendix is not None:
                return False
            if not (self.expected_article(mk.num) or ended):
                return False
            self.open_article(mk, ln)
            return True
        if kind == "supplement":
            self.flush_caption()
            self.open_supplement(mk, ln)
            return True
        if kind == "appendix":
            key = f"{mk.unit}{mk.num}"
            if key in self.appendix_seen and mk.num is not None:
                return False
            self.flush_caption()
            self.open_appendix(mk, ln)
            return True
        if kind == "caption":
            self.flush_caption()
            self.pending_caption = (mk.caption or "", ln)
            return True
        if kind == "paragraph":
            if self.appendix is not None or (self.article is None and self.supplement is None):
                if mk.weak:
                    return False  # 「1 年コース」 in a flattened price table
                return self.try_item(
                    Marker("item", mk.num, mk.label, None, mk.start, "digit", mk.value), ln, ended
                )
            fits = mk.value == self.last_para + 1 or (self.last_para == 0 and mk.value == 1)
            if mk.weak and not (fits and ended):
                return False
            if not (fits or (ended and mk.value > self.last_para) or ln.list_depth >= 0):
                return False  # a wrapped number, or a numbered row of a flattened table
            self.open_paragraph(mk, ln)
            return True
        if kind == "item":
            if mk.style == "iroha" and any(lv.style == "aiueo" for lv in self.items):
                mk.style, mk.value = "aiueo", AIUEO.find(mk.num or "") + 1  # ア イ ウ, not イロハ
            return self.try_item(mk, ln, ended)
        if kind == "subheading":
            if self.appendix is None:
                return False
            value = next((lv.value + 1 for lv in self.items if lv.style == "subheading"), 1)
            self.flush_caption()
            self.open_item(Marker("item", str(value), "", None, 0, "subheading", value), ln)
            return True
        return False

    def try_item(self, mk: Marker, ln: RawLine, ended: bool) -> bool:
        if not (self.item_fits(mk) or ended or ln.list_depth >= 0):
            return False
        if self.article is None and self.appendix is None and self.supplement is None:
            return False
        self.flush_caption()
        self.open_item(mk, ln)
        return True

    def list_item(self, ln: RawLine) -> bool:
        """A Markdown / "- " bullet with no number of its own: 項 at depth 0, else 号."""
        depth = ln.list_depth
        bullets = [lv for lv in self.items if lv.style.startswith("bullet")]
        if depth == 0 and bullets and not terminated(ln.text):
            depth = int(bullets[-1].style[6:])  # an item-like line (「…とき」) after 号 bullets
        if (
            depth == 0
            and (self.article is not None or self.supplement is not None)
            and self.appendix is None
        ):
            self.open_paragraph(Marker("paragraph", None, "", None, 0, "digit", 0), ln)
            return True
        style = f"bullet{depth}"
        value = 1
        for lv in reversed(self.items):
            if lv.style == style:
                value = lv.value + 1
                break
        mk = Marker("item", None, "", None, 0, style, value)
        if self.article is None and self.appendix is None and self.supplement is None:
            return False
        self.open_item(mk, ln)
        return True

    def start_definition_table(self, ln: RawLine) -> None:
        """「用語 用語の意味」: the rows below are term / meaning pairs split at the first space."""
        parent = self.paragraph or self.article
        assert parent is not None
        self.deftable = parent
        self.defrow = None
        self.definition_row(ln, force=True)

    def definition_row(self, ln: RawLine, force: bool = False) -> None:
        text = ln.text
        row = self.defrow
        if row is not None and not force and "\t" not in row.text:
            if _fragment(text):  # the term goes on: 「ＳＩＭ または」「ＳＩＭカード」
                self.append_text(row, ln, 0, False, sep="")
                return
            row.text += "\t"  # a term-only row: this line starts its meaning
            self.append_text(row, ln, 0, False, sep="")
            return
        if row is not None and not force and _term_wraps(row, text):
            row.text = row.text.replace(
                "\t", " ", 1
            )  # 「フレッツ 光ネクスト/クロ」「ス」: one term
            self.append_text(row, ln, 0, False, sep="")
            return
        starts = "split" if force or row is None else _starts_definition(text, row.text)
        if starts is None and row is not None:
            self.append_text(row, ln, 0, text[0] in _CONT_START)
            return
        parent = self.deftable
        assert parent is not None
        k = self.rows.get(parent.id, 0) + 1
        self.rows[parent.id] = k
        row = self.new("table_row", f"{parent.id}__row_{k}", Marker("row"), parent, ln)
        self.defrow = row
        header = _DEF_HEADER.match(fold(text))
        split = header.span(1) if header else _definition_split(text)
        if split is None or starts == "term":
            self.append_text(row, ln, 0, False)
            return
        self.append_text(row, RawLine(text[: split[0]], ln.line, ln.col), 0, False)
        row.text += "\t"
        self.append_text(row, ln, split[1], False, sep="")

    def open_supplement(self, mk: Marker, ln: RawLine) -> None:
        self.close_article()
        self.appendix = None
        self.suppl_count += 1
        self.suppl_articles = []
        self.suppl_seen = set()
        node = self.new("supplement", f"suppl_{self.suppl_count}", mk, None, ln)
        self.supplement = node
        self.current = node
        self.append_text(node, ln, mk.start, False)

    def open_appendix(self, mk: Marker, ln: RawLine) -> None:
        self.close_article()
        self.supplement = None
        prefix = {"別紙": "bessi", "別表": "beppyo", "別記": "bekki", "様式": "yoshiki"}[mk.unit]
        self.appendix_count[prefix] = self.appendix_count.get(prefix, 0) + 1
        ident = mk.num or str(self.appendix_count[prefix])
        self.appendix_seen.add(f"{mk.unit}{mk.num}")
        node = self.new("appendix", f"{prefix}_{ident}", mk, None, ln)
        self.appendix = node
        self.current = node
        self.append_text(node, ln, mk.start, False)

    def row(self, ln: RawLine) -> None:
        parent = self.container() or self.article or self.current
        if parent is None:
            parent = self.preamble(ln)
        k = self.rows.get(parent.id, 0) + 1
        self.rows[parent.id] = k
        node = self.new("table_row", f"{parent.id}__row_{k}", Marker("row"), parent, ln)
        self.append_text(node, ln, 0, False)
        # rows do not take wrapped text: keep the container current
        self.current = parent

    def preamble(self, ln: RawLine) -> Node:
        node = self.new("preamble", "preamble", Marker("preamble"), None, ln)
        self.current = node
        return node

    def flush_caption(self) -> None:
        if self.pending_caption is not None:
            _caption, ln = self.pending_caption
            self.pending_caption = None
            self.text(ln, True)

    def text(self, ln: RawLine, ended: bool) -> None:
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


def build(lines: list[RawLine]) -> tuple[list[Node], list[Diagnostic]]:
    """The clause tree for cleaned lines (see ``extract.normalize.clean``)."""
    b = Builder()
    for ln in lines:
        b.feed(ln)
    b.finish()
    return b.nodes, b.diagnostics


_TOC_ARTICLE = re.compile(
    rf"^第{SP}(?P<num>{NUM_RE}){SP}条{_BRANCH}{SP}(?:\((?P<cap>[^()]*(?:\([^()]*\)[^()]*)*)\))?"
)


def check_toc(nodes: list[Node], toc: list[tuple[str, int]]) -> list[Diagnostic]:
    """Articles listed in a table of contents (text, line) that the body lacks or captions
    differently, and body articles the contents leave out."""
    listed: dict[str, tuple[str | None, int]] = {}
    for text, line in toc:
        m = _TOC_ARTICLE.match(fold(text))
        num = _num(m.group("num"), m.group("branch")) if m else None
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
