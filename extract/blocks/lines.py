"""What a line starts, before numbering context is considered (``classify`` → ``Marker``).

A heading (章/節/款/条/附則/別紙…), a paragraph or item marker, a standalone caption, a table
row, a subheading inside an appendix, or plain text. The block rules decide what to make of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from extract.numerals import (
    _FULLWIDTH,
    CIRCLED,
    IROHA,
    NUM_RE,
    ROMAN_SMALL,
    branch_number,
    split_branches,
    to_int,
)

SP = r"[ ]*"
# 「第3条（目的）」, or 「第3条【目的】」 as some terms print it
_CAPTION = (
    r"(?P<cap>[ ]*(?:\((?P<captext>[^()]*(?:\([^()]*\)[^()]*)*)\)"
    r"|【(?P<lentext>[^【】()]{1,40})】))?"
)
BRANCH = rf"(?P<branch>(?:{SP}の{SP}(?:{NUM_RE}))*)"
ARTICLE_RE = re.compile(rf"^第{SP}(?P<num>{NUM_RE}){SP}条{BRANCH}{_CAPTION}")
DIVISION_RE = re.compile(rf"^第{SP}(?P<num>{NUM_RE}){SP}(?P<unit>[編章節款目]){BRANCH}")
SUPPL_RE = re.compile(rf"^(?P<open>【{SP})?(?P<label>[附付]{SP}則)(?(open){SP}】){_CAPTION}")
APPENDIX_RE = re.compile(
    rf"^(?P<open>【)?{SP}(?P<label>(?P<word>別紙|別表|別記|様式){SP}(?:第{SP})?(?P<num>{NUM_RE})?"
    rf"{BRANCH}){_CAPTION}{SP}(?P<close>】)?"
)
CAPTION_LINE_RE = re.compile(r"^\((?P<captext>[^()]{1,40})\)$")
PARA_RE = re.compile(r"^(?P<num>[0-9]{1,3})(?:\.(?![0-9])[ ]*|[ ]+)(?=\S)")
ITEM_RES: list[tuple[str, re.Pattern[str]]] = [
    ("paren", re.compile(r"^\((?P<num>[0-9]{1,3})\)[ ]*")),
    ("half-paren", re.compile(r"^(?P<num>[0-9]{1,3})\)[ \u3000]+(?=\S)")),  # 「1) ギフト券」
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
_PREFIX = 96
_NOT_CAPTION = {"注", "注意", "参考", "例", "注1", "注2"}


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
def number(main: str, branch: str | None) -> str | None:
    return branch_number(main, split_branches(branch or ""))


# 「第五十五条から第六十三条まで　削除」, 「第三十八条から第八十四条まで削除」,
# 「第五条及び第六条　削除」 (matched at the end of the first article number)
_DELETED_RANGE_RE = re.compile(
    rf"{SP}(?P<conj>から|及び|、|・){SP}第{SP}(?P<num>{NUM_RE}){SP}条{BRANCH}{SP}(?:まで)?"
    rf"(?P<tail>{SP}削除。?)$"
)


def _deleted_range(first: str, m: re.Match[str]) -> tuple[str, ...]:
    """The numbers after ``first`` that a one-line 削除 of a range or pair names."""
    last = number(m.group("num"), m.group("branch"))
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
    num = number(m.group("num"), m.group("branch"))
    if (
        num is not None
        and not m.group("cap")
        and (deleted := _deleted_articles(text, folded, m, num))
    ):
        return deleted
    rest = folded[m.end() :]
    if num is None or (rest and rest[0] not in " \t") or not _rest_ok(rest):
        return None
    label_end = m.start("cap") if m.group("cap") else m.end()
    return Marker("article", num, text[:label_end].rstrip(), _caption(text, m),
                  _skip_blanks(text, m.end()))  # fmt: skip


def _caption(text: str, m: re.Match[str]) -> str | None:
    """The caption's text as printed, in （） or 【】; None without one."""
    group = "captext" if m.group("captext") is not None else "lentext"
    if m.group(group) is None:
        return None
    return text[m.start(group) : m.end(group)].strip()


def _skip_blanks(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\u3000":
        pos += 1
    return pos


def _division(text: str, folded: str) -> Marker | None:
    m = DIVISION_RE.match(folded)
    if not m:
        return None
    rest = folded[m.end() :].strip()
    # spacing decides 中: 「第二章　中央協議会」 is a caption, 「第二章中「…」を」 is "in 第二章"
    if len(rest) > 50 or "。" in rest or not _rest_ok(folded[m.end() :].rstrip()):
        return None
    if rest.startswith("("):
        return None
    num = number(m.group("num"), m.group("branch"))
    kind = {"編": "part", "章": "chapter", "節": "section", "款": "subsection", "目": "division"}
    if num is None or kind[m.group("unit")] not in ("part", "chapter", "section", "subsection"):
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
    label = text[m.start("label") : m.end("label")]  # 【附則】 without its brackets
    return Marker("supplement", None, label, _caption(text, m), _skip_blanks(text, m.end()))


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
    num = number(m.group("num"), m.group("branch")) if m.group("num") else None
    caption = _caption(text, m)
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


# 「三から五まで　削除」, 「三及び四　削除」: 号 deleted in one line
_DELETED_ITEMS_RE = re.compile(
    r"(?P<first>[一二三四五六七八九十百]+)(?P<conj>から|及び)(?P<last>[一二三四五六七八九十百]+)"
    r"(?:まで)?(?P<tail>[ ]*削除。?)$"
)


def _deleted_items(text: str, folded: str) -> Marker | None:
    m = _DELETED_ITEMS_RE.match(folded)
    first, last = (to_int(m["first"]), to_int(m["last"])) if m else (None, None)
    if m is None or first is None or last is None or last <= first:
        return None
    also = range(first + 1, last + 1) if m["conj"] == "から" else (last,)
    start = m.start("tail")
    label = text[:start].rstrip()
    return Marker("item", str(first), label, None, _skip_blanks(text, start), "kanji", first,
                  also=tuple(str(n) for n in also))  # fmt: skip


def _item(text: str, folded: str) -> Marker | None:
    deleted = _deleted_items(text, folded)
    if deleted is not None:
        return deleted
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
        return TEXT  # fast path: most lines are running text
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


TEXT = Marker("text")

# Headings by the first character of the folded line (their patterns start with it), in the
# order classify tries them.
_HEADINGS: dict[str, tuple[Callable[[str, str], Marker | None], ...]] = {
    "第": (_article, _division),
    "附": (_supplement,),
    "付": (_supplement,),
    "【": (_appendix, _supplement),
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
