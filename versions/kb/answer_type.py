"""What kind of answer a customer's question asks for, and which clause text gives one.

「何日前までに言えばいい？」 asks for a period or a deadline, 「いくらかかる？」 for an
amount: of an article's paragraphs, nearly equally close in meaning, the one that states a
period (「1ヶ月以上前までに」, 「2週間以内に」) or an amount (「1,000円」) is the answer.
Ordinary Japanese question words and the ways terms print periods and amounts; nothing here is
about one document.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NUMBER = r"(?:[0-9０-９]+|[一二三四五六七八九十百千]+)"
_UNIT = r"(?:営業日|日|か月|ヶ月|カ月|ケ月|箇月|月|週間|年|時間)"


@dataclass(frozen=True)
class AnswerType:
    name: str
    asks: re.Pattern[str]  # in the question
    states: re.Pattern[str]  # in a clause that answers it: a figure (「30日前までに」, 「1,000円」)
    mentions: re.Pattern[str]  # in one that answers it in words (「解約希望日までに」, 「金額」)


TYPES = (
    AnswerType(
        "period",
        re.compile(
            r"いつまで|いつ(?:から|ごろ|頃)|何(?:営業)?日|何[かヶカケ箇]?月|何週間|何年|期限|締め?切"
        ),
        # 「1ヶ月以上前までに」, 「2週間以内に」, and a term's length: 「起算して六年とする」
        re.compile(
            rf"{_NUMBER}\s*{_UNIT}(?:以上|以内|前|後|を経過|を超え|まで|間|と(?:する|し|な)|です)"
        ),
        re.compile(r"までに|期限|期日|速やかに|直ちに|遅滞なく"),
    ),
    AnswerType(
        "amount",
        re.compile(
            r"いくら|何円|金額|どのくらい(?:かか|払)|どれくらい(?:かか|払)|"
            r"(?:費用|手数料|料金|送料|お金)(?:は|が|も)?かか"
        ),
        re.compile(rf"{_NUMBER}\s*円|[0-9.]+\s*(?:%|パーセント)"),
        re.compile(r"金額|相当額|料金表|の負担"),
    ),
    AnswerType(  # 「委員は何人？」: a count of people or things
        "count",
        re.compile(r"何(?:人|名|社|個|台|件|回|通|枚|種類)"),
        re.compile(rf"{_NUMBER}\s*(?:人|名|社|個|台|件|回|通|枚|種類)"),
        re.compile(r"人数|員数|件数|回数|定数"),
    ),
    AnswerType(  # 「届け出は必要？」, 「どうすればいい？」: the clause saying what one must do
        "duty",
        re.compile(
            r"必要(?:が|は)?(?:ある|あります|です|か|\?|？|$)|(?:ない|なければ|なくて?は)"
            r"(?:と)?(?:いけない|いけません|ならない|なりません|だめ|ダメ)|すべき|義務|しなきゃ|"
            r"どう(?:すれば|したら|やって)|どのように(?:すれば|したら)|手続き?(?:は|を|に?ついて)"
        ),
        re.compile(r"なければな(?:らない|りません)|(?:て|で)(?:いただき|頂き)ます|義務を負"),
        re.compile(r"要します|必要があります|努めなければ"),
    ),
)


# a question's conditions and earlier sentences: 〜たら, 〜ても, 〜後も, 〜とき(は), 〜場合(は), 。
_CONDITION = re.compile(
    r"(?:。|たら|たらば|れば|ても|でも|後も|後に|後で|とき(?:は|に|も)?|時(?:は|に|も)?|"
    r"場合(?:は|に|も)?)、?"
)


def main_clause(question: str) -> str:
    """What ``question`` asks after its conditions: 「解約した後も個人情報を使われることはある？」
    → 「個人情報を使われることはある？」; the question itself when it has none."""
    parts = _CONDITION.split(question or "")
    return parts[-1] if len(parts) > 1 else question


# 「知らせてくれる？」: the other side acts
_FOR_ME = re.compile(r"(?:て|で)くれ(?:る|ます|ない|ません)")


def asked(question: str) -> AnswerType | None:
    """The answer type ``question`` asks for, if it asks for one. 「どうやって知らせてくれる？」
    asks what the other side does, not the customer's duty."""
    q = unicodedata.normalize("NFKC", question or "")
    found = next((t for t in TYPES if t.asks.search(q)), None)
    if found is not None and found.name == "duty" and _FOR_ME.search(q):
        return None
    return found


def strength(kind: AnswerType, text: str | None) -> int:
    """How ``text`` answers a question of that type: 2 with a figure, 1 in words, 0 not."""
    t = unicodedata.normalize("NFKC", text or "")
    return 2 if kind.states.search(t) else 1 if kind.mentions.search(t) else 0
