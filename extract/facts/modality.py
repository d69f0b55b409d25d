"""Modality of a sentence's final predicate, found with spaCy's Matcher on dictionary forms.

The rules match the *final* predicate only: a modal phrase counts when every token after it to
the sentence end is functional (助動詞, particles, 「ものとする」, 「ことがある」 is not): so
「検索することができるように」 or 「強制執行をすることができるものが存する場合」 give nothing,
and a sentence has one modality (its last predicate), as a reader takes it.

    obligation   〜しなければならない / なりません, 〜していただきます, 〜を要します,
                 〜してください, 義務を負う, 〜するものとします (only when the sentence names a
                 party: 「適用されるものとします」 states a rule, 「甲は…負担するものとします」
                 binds 甲)
    prohibition  〜してはならない, 〜しないものとします, 禁止, 〜することができない
    permission   〜することができます / できるものとします / できる, 権利を有する
    disclaimer   責任を負いません / 負わないものとします / 負うものではありません, 免責,
                 保証しません
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from extract.facts.model import FactKind
from extract.facts.pipeline import coarse, nlp

_NEG = {"LEMMA": {"IN": ["ない", "ぬ", "ず"]}}
_MASU = {"LEMMA": "ます", "OP": "?"}
PATTERNS: dict[str, list[list[dict[str, Any]]]] = {
    "NAKEREBA": [[{"TEXT": "なけれ"}, {"LEMMA": "ば"}, {"LEMMA": "なる"}, _MASU, _NEG]],
    "TEHA": [
        [{"LEMMA": {"IN": ["て", "で"]}}, {"LEMMA": "は"}, {"LEMMA": {"IN": ["なる", "いける"]}}]
    ],
    "MONOTO": [[{"LEMMA": "もの"}, {"LEMMA": "と"}, {"LEMMA": "する"}]],
    "ITADAKU": [[{"LEMMA": {"IN": ["いただく", "頂く"]}}]],
    "YOSURU": [[{"LEMMA": "要する"}]],
    "KUDASAI": [[{"LEMMA": {"IN": ["くださる", "下さる"]}}], [{"LEMMA": "お願い"}]],
    "GIMU": [[{"LEMMA": "義務"}, {"LEMMA": {"IN": ["を", "が"]}}, {"LEMMA": "負う"}]],
    "DEKIRU": [[{"LEMMA": {"IN": ["できる", "出来る"]}}]],
    "KENRI": [[{"LEMMA": "権利"}, {"LEMMA": {"IN": ["を", "が"]}}, {"LEMMA": "有する"}]],
    "KINSHI": [[{"LEMMA": "禁止"}]],
    "SEKININ": [
        [
            {"LEMMA": {"IN": ["責任", "責", "賠償責任", "損害賠償責任"]}},
            {"LEMMA": {"IN": ["を", "は", "も", "について"]}, "OP": "?"},
            {"LEMMA": {"IN": ["一切", "何ら", "いかなる"]}, "OP": "?"},
            {"LEMMA": "その", "OP": "?"},
            {"LEMMA": {"IN": ["負う", "取る"]}},
        ]
    ],
    "MENSEKI": [[{"LEMMA": "免責"}]],
    "HOSHO": [[{"LEMMA": "保証"}]],
}
# Words a final predicate may still hold after its modal phrase.
_TAIL_LEMMAS = frozenset({"する", "いる", "ある", "もの", "こと", "おる", "いたす", "です", "だ",
                          "れる", "られる", "せる", "と", "は", "で", "ます", "ない", "ぬ", "ず",
                          "の", "ください", "くださる", "とする", "できる", "出来る"})  # fmt: skip
_TAIL_POS = frozenset({"助動詞", "補助記号", "空白"})


@dataclass(frozen=True)
class Modal:
    kind: FactKind
    value: str  # the modal phrase's dictionary form: なければならない, ものとする …
    start: int  # token indices in the sentence's token list: the modal phrase …
    end: int  # … to the end of the predicate (the sentence's last word)
    bare: bool = False  # できない without こと (「設置できません」): a statement, unless a party


@lru_cache(maxsize=1)
def matcher() -> Any:
    from spacy.matcher import Matcher

    m = Matcher(nlp().vocab)
    for name, patterns in PATTERNS.items():
        m.add(name, patterns, greedy="LONGEST")
    return m


def _functional(tok: Any) -> bool:
    return coarse(tok) in _TAIL_POS or tok.lemma_ in _TAIL_LEMMAS


def _final(tokens: list[Any], end: int) -> bool:
    return all(_functional(t) for t in tokens[end:])


_LEAD_LEMMAS = frozenset({"こと", "が", "は", "て", "で", "お", "する", "ない", "せる", "れる"})


def _verb(tok: Any) -> bool:
    return coarse(tok) == "動詞"


def _suru_noun(tok: Any) -> bool:
    return coarse(tok) == "名詞" and "サ変" in tok.tag_


def predicate_start(tokens: list[Any], start: int) -> int:
    """Where the predicate holding the modal phrase at ``start`` begins: back over 「こと が」,
    auxiliaries and the verb (届け出る, or a サ変 noun + する) — 「通知しなければ…」."""
    i = start
    while i > 0 and start - i < 6:
        t = tokens[i - 1]
        if _verb(t):
            i -= 1
            while i > 0 and _verb(tokens[i - 1]):
                i -= 1
            if i > 0 and _suru_noun(tokens[i - 1]):
                i -= 1
            if i > 0 and coarse(tokens[i - 1]) == "接頭辞":  # お支払い
                i -= 1
            break
        if _suru_noun(t):
            return i - 1
        if coarse(t) not in ("助動詞", "接尾辞") and t.lemma_ not in _LEAD_LEMMAS:
            break
        i -= 1
    return i


def _bare(tokens: list[Any], start: int) -> bool:
    """できる not after 「ことが」 / 「ことは」."""
    return not (start >= 2 and tokens[start - 2].lemma_ == "こと")


def _negated(tokens: list[Any], end: int) -> bool:
    return any(t.lemma_ in ("ない", "ぬ", "ず") and coarse(t) == "助動詞" for t in tokens[end:])


def _classify(name: str, tokens: list[Any], start: int, end: int) -> FactKind | None:
    neg = _negated(tokens, end)
    before = tokens[start - 1].lemma_ if start else ""
    if name in ("SEKININ", "HOSHO"):
        return "disclaimer" if neg else None
    if name == "MENSEKI":
        return "disclaimer"
    if name in ("TEHA", "KINSHI"):
        return "prohibition" if name == "KINSHI" or neg else None
    if name == "DEKIRU":
        return "prohibition" if neg else "permission"
    if name == "KENRI":
        return None if neg else "permission"
    if name == "MONOTO":
        if before == "ない":
            return "prohibition"
        return None if before in ("できる", "出来る") else "obligation"
    return None if neg and name != "NAKEREBA" else "obligation"


def final_modality(sent: Any) -> Modal | None:
    """The modality of the sentence (a spaCy Span or Doc), or None when it states no duty."""
    tokens = list(sent)
    while tokens and coarse(tokens[-1]) in ("補助記号", "空白"):
        tokens.pop()
    best: Modal | None = None
    for match_id, start, end in matcher()(sent):
        name = nlp().vocab.strings[match_id]
        if not _final(tokens, end):
            continue
        kind = _classify(name, tokens, start, end)
        if kind is None:
            continue
        value = _VALUE.get((name, kind), _VALUE.get((name, None), name))
        if start and tokens[start - 1].lemma_ == "ない" and name == "MONOTO":
            start -= 1
        bare = name == "DEKIRU" and kind == "prohibition" and _bare(tokens, start)
        cand = Modal(kind, value, start, len(tokens), bare)
        if (
            best is None
            or _RANK[kind] > _RANK[best.kind]
            or (_RANK[kind] == _RANK[best.kind] and start < best.start)
        ):
            best = cand
    return best


_VALUE: dict[tuple[str, str | None], str] = {
    ("NAKEREBA", None): "なければならない", ("TEHA", None): "てはならない",
    ("MONOTO", "obligation"): "ものとする", ("MONOTO", "prohibition"): "ないものとする",
    ("ITADAKU", None): "いただく", ("YOSURU", None): "を要する", ("KUDASAI", None): "ください",
    ("GIMU", None): "義務を負う", ("DEKIRU", "permission"): "ことができる",
    ("DEKIRU", "prohibition"): "ことができない", ("KINSHI", None): "禁止",
    ("KENRI", None): "権利を有する",
    ("SEKININ", None): "責任を負わない", ("MENSEKI", None): "免責", ("HOSHO", None): "保証しない",
}  # fmt: skip
# When one predicate holds several phrases (「負わないものとします」), the stronger one names it.
_RANK: dict[str, int] = {"obligation": 0, "permission": 1, "prohibition": 2, "disclaimer": 3}
