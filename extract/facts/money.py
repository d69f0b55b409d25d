"""Amounts (1,100円, 一万円, 税込440円, 4,000円／月) and rates (年14.5%, 年十四・六パーセント).

Regular expressions over the folded text; numbers read by extract.numerals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from extract.numerals import KANJI_NUM_CHARS, amount_to_int, decimal_text, fold

_AMOUNT = re.compile(
    rf"(?<![0-9.])(?P<n>[0-9][0-9,]*(?: *[万億][0-9,]*)?|[{KANJI_NUM_CHARS}万億]+) *円"
    r"(?P<tax> *[(（] *税(?:込|込み|抜|抜き|別) *[)）])?(?P<per> *[/／] *(?:月|年|回))?"
)
_TAX_BEFORE = re.compile(r"税(?P<k>込|抜|別)(?:み|き)?(?:価格|金額|額)? *[:：]? *$")
_RATE = re.compile(
    rf"(?P<per>年|月|日)? *(?:最大|利率)? *(?P<n>[0-9]+(?:\.[0-9]+)?|[{KANJI_NUM_CHARS}]+"
    rf"(?:・[{KANJI_NUM_CHARS}]+)?) *(?:%|パーセント)"
)
_PER = {"年": "per-year", "月": "per-month", "日": "per-day"}
_TAX = {"込": "tax-included", "抜": "tax-excluded", "別": "tax-excluded"}


def find_amounts(text: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, yen as an integer string, unit) of each amount of money."""
    folded = fold(text)
    for m in _AMOUNT.finditer(folded):
        n = amount_to_int(m.group("n").replace(" ", ""))
        if n is None:
            continue
        unit = "JPY"
        tax = m.group("tax") or ""
        before = _TAX_BEFORE.search(folded[max(0, m.start() - 12) : m.start()])
        kind = before.group("k") if before else next((k for k in _TAX if k in tax), "")
        if kind:
            unit += " " + _TAX[kind]
        if m.group("per"):
            unit += "/" + {"月": "month", "年": "year", "回": "time"}[m.group("per").strip()[-1]]
        yield m.start(), m.end(), str(n), unit


def find_rates(text: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, fraction, unit) of each percentage: 年14.5% → "0.145", per-year."""
    for m in _RATE.finditer(fold(text)):
        num = decimal_text(m.group("n"))
        if num is None:
            continue
        value = Decimal(num) / 100
        yield m.start(), m.end(), format(value.normalize(), "f"), _PER.get(m.group("per") or "", "")
