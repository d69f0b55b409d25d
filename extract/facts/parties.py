"""Who a sentence binds: the party named as its topic (「契約者は、」) or subject (「甲が」).

A party is a word of ``VOCABULARY`` (the parties Japanese terms and statutes name) or a term
the document defines for a person (a defined term ending in 者, 団体, 法人, 会社, 機関 …),
possibly as the tail of a longer compound (受領当事者, 個人情報取扱事業者). Coordinated parties
(「甲及び乙は」, 「契約者または弊社は」) are joined with ``+``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from extract.facts.pipeline import coarse

VOCABULARY = (
    "契約者", "利用者", "申込者", "加入者", "会員", "登録者", "使用者", "お客様", "顧客",
    "ユーザー", "ユーザ", "当社", "弊社", "甲", "乙", "丙", "事業者", "消費者", "本人", "当事者",
    "個人情報取扱事業者", "行政機関の長等", "行政機関の長", "委員会", "内閣総理大臣", "国",
    "地方公共団体",
)  # fmt: skip
# A topic compound of two or more characters ending so names a person even when no list has it
# (利用希望者, 発起人, 中央会); a bare 「者」 after a verb (「開示を受ける者は」) does not.
TOPIC_SUFFIXES = ("者", "人", "会", "団体", "法人", "会社", "機関", "大臣", "長", "庁", "省")
PERSON_SUFFIXES = ("者", "団体", "法人", "会社", "機関", "機関等", "当社", "弊社", "大臣")
CUSTOMER = ("契約者", "利用者", "申込者", "加入者", "会員", "登録者", "お客様", "顧客", "ユーザ",
            "消費者", "本人", "甲")  # fmt: skip
PROVIDER = ("当社", "弊社", "乙", "事業者")
AUTHORITY = ("行政機関", "委員会", "大臣", "長等")
_JOINERS = frozenset({"及び", "および", "又は", "または", "並びに", "と", "、", "・", "若しくは"})
_OR = frozenset({"また", "又", "もしく", "若しく"})
_NOT_TOPIC = frozenset({"とき", "場合", "ところ", "こと", "限り", "上"})


def person_terms(defined: Iterable[str]) -> tuple[str, ...]:
    """The vocabulary plus the document's defined terms that name persons, longest first."""
    people = {t for t in defined if t.endswith(PERSON_SUFFIXES) and len(t) >= 2}
    return tuple(sorted(set(VOCABULARY) | people, key=lambda t: (-len(t), t)))


def role(party: str) -> str:
    """customer / provider / authority for the party's words, joined by + when mixed."""
    roles: list[str] = []
    for p in party.split("+"):
        r = ""
        if p.endswith(AUTHORITY) or p.startswith("行政機関"):
            r = "authority"
        elif p.endswith(CUSTOMER):
            r = "customer"
        elif p.endswith(PROVIDER):
            r = "provider"
        if r and r not in roles:
            roles.append(r)
    return "+".join(roles)


def _compound(tokens: list[Any], end: int) -> int:
    """Index of the first token of the noun compound ending just before ``end``."""
    i = end
    while i > 0 and coarse(tokens[i - 1]) in ("名詞", "接尾辞", "接頭辞", "代名詞"):
        i -= 1
    return i


def _party_at(tokens: list[Any], end: int, terms: tuple[str, ...]) -> tuple[str, int] | None:
    """The party whose words end just before token ``end``, and where its compound starts.

    A compound ending in a party word (受領当事者, この場合契約者) names that word; 等 after a
    party (契約者等) is dropped unless the term itself ends in it (行政機関の長等).
    """
    start = _compound(tokens, end)
    if start == end:
        return None
    words = "".join(t.text for t in tokens[start:end])
    context = "".join(t.text for t in tokens[max(0, start - 3) : start])
    for form in (words, words[:-1] if words.endswith("等") else ""):
        for term in terms if form else ():
            if (context + form).endswith(term):
                return term, start
    bare = words.removesuffix("等")
    if len(bare) >= 2 and bare.endswith(TOPIC_SUFFIXES) and coarse(tokens[start]) != "接尾辞":
        return bare, start
    return None


def _joiner_before(tokens: list[Any], start: int) -> int | None:
    """Index of the joiner (及び, または = また + は …) ending just before ``start``."""
    if start >= 1 and tokens[start - 1].text in _JOINERS:
        return start - 1
    if start >= 2 and tokens[start - 1].text == "は" and tokens[start - 2].text in _OR:
        return start - 2
    return None


def _coordinated(tokens: list[Any], end: int, terms: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    while True:
        hit = _party_at(tokens, end, terms)
        if hit is None:
            break
        found.insert(0, hit[0])
        joiner = _joiner_before(tokens, hit[1])
        if joiner is None:
            break
        end = joiner
    return found


def _relative(tokens: list[Any], ga: int, core: int) -> bool:
    """True when the が-phrase at ``ga`` lives in a relative clause (a verb, then a noun)."""
    verb = False
    for t in tokens[ga + 1 : core]:
        kind = coarse(t)
        if kind == "動詞":
            verb = True
        elif verb and kind == "名詞":
            return True
    return False


def _after_condition(prev: Any) -> bool:
    """は after とき / 場合 (「…ときは」) or after a conjunction (「又は」) is no topic."""
    return coarse(prev) == "接続詞" or prev.text in _NOT_TOPIC


def party_of(tokens: list[Any], core: int, terms: tuple[str, ...]) -> str:
    """The party of the sentence ``tokens`` whose modal predicate starts at token ``core``.

    The first topic 「Xは」 that is a party wins; else the last 「Xが」 party before the
    predicate with no condition (とき, 場合) between it and the predicate.
    """
    depth = 0
    ga = ""
    for i, t in enumerate(tokens[:core]):
        depth = max(0, depth + (t.text in "（(「") - (t.text in "）)」"))
        if depth > 0 or i == 0:
            continue
        if t.text in _NOT_TOPIC:
            ga = ""  # a condition ends here: a が-party before it was the condition's
        elif coarse(t) != "助詞" or _after_condition(tokens[i - 1]):
            continue
        elif t.text == "は":
            names = _coordinated(tokens, i, terms)
            if names:
                return "+".join(names)
        elif t.text == "が":
            names = _coordinated(tokens, i, terms)
            if names and not _relative(tokens, i, core):
                ga = "+".join(names)
    return ga
