"""Laws and documents named without an article: 「消費税法（昭和63年法律第108号）」,
「個人情報の保護に関する法律」, 「公職選挙法」, 「「ＢＰ ＳＩＭ（…）利用規約」」.

references.py turns each into an ``external`` citation; one followed by the article it cites
(「消費税法第57条の４」) is left to the article's citation, which carries the name. Works on the
normalised (whitespace-free) view of a node's text and returns spans in that view.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from extract.citation import NUM

# 「第二条の規定による改正後の消費者契約法」→「消費者契約法」: where a law name starts
_HARD = (
    r"改正後の|改正前の|において|について|に基づく|により|以後に|前に|その他|(?<=[条項号])中|[はが]"
)
_CONJ = r"及び|又は|並びに|若しくは|および|または|ならびに|もしくは"
NAME_CUT = re.compile(f"{_HARD}|{_CONJ}")
# a name without an article may itself hold 及び (「一般社団法人及び一般財団法人に関する法律」):
# there a conjunction only ends a name when it follows one (「公職選挙法または…」)
_NAME_ONLY_CUT = re.compile(f"{_HARD}|(?:(?<=[法律令則）])|^)(?:{_CONJ})")
SELF_NAMES = frozenset({"本規約", "この規約", "当規約", "本約款", "この約款", "当約款", "この法律",
                        "本法", "本規程", "この規程", "本細則"})  # fmt: skip

_KANJI = r"\u4e00-\u9fff々"
NAME_CHARS = r"[^、。，「」『』（）\[\]・：:；;]"  # what a name holds (no punctuation, bracket)
_KIND = r"(?:法律|法|政令|省令|府令|規則|条例|告示)"
_ERA = r"(?:明治|大正|昭和|平成|令和|\d{4}年)"
# 「消費税法（昭和63年法律第108号）」, 「[…規則]（平成16年総務省令第15号）」 (a Markdown link):
# the law number, then the name that ends right before it
_LAW_NUMBER = re.compile(rf"\]?（{_ERA}[^（）]{{0,20}}?{_KIND}第{NUM}号）")
_NAME_OF_KIND = re.compile(rf"{NAME_CHARS}{{0,58}}{_KIND}$")
# 「個人情報の保護に関する法律」, 「…の防止に関する法律」
_ABOUT = re.compile(r"に関する(?:法律|政令|省令|府令|規則)")
_NAME_BEFORE = re.compile(rf"{NAME_CHARS}{{1,60}}$")
# 「公職選挙法」「電気通信事業法」: four or more kanji ending in 法, none of them a word for a
# way of doing something (方法, 手法 …) or a judgement of legality (違法, 適法 …)
_KANJI_RUN = re.compile(rf"[{_KANJI}]{{1,15}}$")
_AFTER_LAW = "等及又並若"  # kanji that may follow a name: 「…法等」「…法及び」「…法又は」
_SHORT_LAWS = frozenset({"民法", "刑法", "商法", "憲法"})  # the codes named in two characters
_IS_KANJI = re.compile(rf"[{_KANJI}]")
_NOT_LAW = ("方法", "手法", "用法", "技法", "作法", "寸法", "文法", "療法", "工法", "製法",
            "論法", "便法", "違法", "適法", "合法", "不法", "算法", "改正法", "特別法",
            "国法")  # fmt: skip
# 「「ＢＰ ＳＩＭ（…）利用規約」」: another document quoted by its title
_TITLE_KINDS = r"(?:規約|約款|規程|細則|規則|ポリシー|ガイドライン|利用条件)"
_TITLE = re.compile(rf"「(?P<name>[^「」]{{2,80}}?{_TITLE_KINDS})」")
_TITLE_END = re.compile(f"{_TITLE_KINDS}」")
_ALIAS_BEFORE = ("以下", "以下、", "「")
# 「「…利用規約」（以下「本規約」といいます。）」: the document's own title
_SELF_ALIAS = re.compile(r"（以下、?「(?:" + "|".join(SELF_NAMES) + ")」")
_QUOTE_AFTER = ("とある", "と読", "という", "といい", "と、", "とする")
# what follows a name when the name belongs to an article's citation
_CITED_AFTER = re.compile(r"(?:（[^（）]*）)?(?:第|附則|別表|別記|別紙|施行令|施行規則)|の一部")


def named_documents(view: str) -> list[tuple[int, int, str]]:
    """(start, end, name) in ``view`` for every law or document named without an article."""
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for kind, start, raw, end in _candidates(view):
        span = _span(kind, start, raw, end, view)
        if span is None or any(s < span[1] and span[0] < e for s, e in taken):
            continue
        taken.append(span[:2])
        found.append(span)
    return sorted(found)


def _candidates(view: str) -> Iterator[tuple[str, int, str, int]]:
    """(kind, start, raw name, end) in order of confidence: numbered, quoted, 〜に関する, 〜法.
    Names are read backwards from what ends them, so the scan costs little where there is none."""
    if "号）" in view:
        for m in _LAW_NUMBER.finditer(view):
            n = _NAME_OF_KIND.search(view, max(0, m.start() - 60), m.start())
            if n:
                yield "numbered", n.start(), n.group(), m.end()
    if "「" in view and _TITLE_END.search(view):
        for m in _TITLE.finditer(view):
            yield "title", m.start(), m.group("name"), m.end()
    if "に関する" in view:
        for m in _ABOUT.finditer(view):
            n = _NAME_BEFORE.search(view, max(0, m.start() - 60), m.start())
            if n:
                yield "about", n.start(), n.group() + m.group(), m.end()
    at = view.find("法")
    while at >= 0:  # 「…法」 not followed by a kanji: the kanji run before it
        end = at + 1
        if end == len(view) or not _IS_KANJI.match(view, end) or view[end] in _AFTER_LAW:
            run = _KANJI_RUN.search(view, max(0, at - 15), at)
            if run and (run.start() == 0 or not _IS_KANJI.match(view, run.start() - 1)):
                yield "kanji", run.start(), run.group() + "法", end
        at = view.find("法", end)


def _span(kind: str, at: int, raw: str, end: int, view: str) -> tuple[int, int, str] | None:
    name = raw if kind == "title" else _NAME_ONLY_CUT.split(raw)[-1]
    if raw[: len(raw) - len(name)].endswith("その他"):
        return None  # 「その他消費者の利益の擁護に関する法律」: laws of a kind, not one law
    start = at + len(raw) - len(name)
    if kind == "title":
        start = at
        if view[max(0, start - 3) : start].endswith(_ALIAS_BEFORE) or view.startswith(
            _QUOTE_AFTER, end
        ):
            return None  # 「以下「本規約」という」: an alias, 読替え text: a quotation
        if _SELF_ALIAS.match(view, end):
            return None
    elif kind == "kanji" and name not in _SHORT_LAWS and (name.endswith(_NOT_LAW) or len(name) < 4):
        return None
    if _CITED_AFTER.match(view, end) or not name or name in SELF_NAMES:
        return None
    if name.endswith(tuple(SELF_NAMES)) or name.startswith(("同", "旧", "新")):
        return None
    return start, end, name
