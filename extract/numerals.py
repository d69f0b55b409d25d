"""Numerals as printed in Japanese documents → plain ints and ASCII numbers.

Handles Arabic and full-width digits, kanji numerals (二十四, 百八十五, 〇 digits as in 一〇),
circled digits (①), lower-case Roman numerals (ⅲ), iroha / aiueo kana order and branch
numbers (条の2の3 → "5-2-3").
"""

from __future__ import annotations

import re

# Same-length translation: full-width ASCII variants → ASCII, ideographic space → space.
_FULLWIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH["\u3000"] = " "
_FULLWIDTH["－"] = "-"
_FULLWIDTH["―"] = "-"
_FW_TABLE = str.maketrans(_FULLWIDTH)

KANJI_DIGITS = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
KANJI_NUM_CHARS = "".join(KANJI_DIGITS) + "".join(KANJI_UNITS)

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
ROMAN_SMALL = "ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹ"
ROMAN_LARGE = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
IROHA = (
    "イロハニホヘトチリヌルヲワカヨタレソツネナラムウヰノオクヤマケフコエテアサキユメミシヱヒモセス"
)
AIUEO = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"

NUM_RE = r"[0-9]+|[" + KANJI_NUM_CHARS + r"]+"

# Longest numeral read as a number: 18 digits, past any clause number, year or yen amount;
# a longer run of digits is text, and int() of thousands of digits raises (or takes seconds).
MAX_DIGITS = 18
_NUM = re.compile(NUM_RE)


def fold(text: str) -> str:
    """Full-width ASCII → ASCII and U+3000 → space, keeping the length (offsets stay valid)."""
    return text.translate(_FW_TABLE)


_DIGIT_KANJI = {v: k for k, v in KANJI_DIGITS.items() if k != "零"}  # 0 → 〇, 1 → 一 …


def int_to_kanji(n: int) -> str:
    """58 → 五十八, 1044 → 千四十四 (as statutes print article numbers); 10000 up: digits."""
    if not 0 < n < 10000:
        return str(n)
    out = ""
    for unit, value in (("千", 1000), ("百", 100), ("十", 10)):
        d, n = divmod(n, value)
        out += (_DIGIT_KANJI[d] if d > 1 else "") + unit if d else ""
    return out + (_DIGIT_KANJI[n] if n else "")


def kanji_to_int(text: str) -> int | None:
    """二十四 → 24, 百八十五 → 185, 一〇 → 10 (digit-by-digit form); None when not a numeral
    (or longer than ``MAX_DIGITS`` characters)."""
    if (
        not text
        or len(text) > MAX_DIGITS
        or any(c not in KANJI_DIGITS and c not in KANJI_UNITS for c in text)
    ):
        return None
    if not any(c in KANJI_UNITS for c in text):
        value = 0
        for c in text:
            value = value * 10 + KANJI_DIGITS[c]
        return value
    total, digit = 0, 0
    for c in text:
        if c in KANJI_DIGITS:
            digit = KANJI_DIGITS[c]
        else:
            total += (digit or 1) * KANJI_UNITS[c]
            digit = 0
    return total + digit


def to_int(text: str) -> int | None:
    """Any single numeral (Arabic, full-width, kanji, circled, Roman) → int; None when it is
    not one, or longer than ``MAX_DIGITS``."""
    text = fold(text).strip()
    if not text or len(text) > MAX_DIGITS:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    if len(text) == 1:
        for table, base in ((CIRCLED, 1), (ROMAN_SMALL, 1), (ROMAN_LARGE, 1)):
            pos = table.find(text)
            if pos >= 0:
                return pos + base
    return kanji_to_int(text)


def year_to_int(text: str) -> int | None:
    """An era year as printed: 元 (元年) → 1, else as ``to_int``."""
    return 1 if text.strip() == "元" else to_int(text)


def branch_number(main: str, branches: list[str]) -> str | None:
    """("二十四", ["二"]) → "24-2"; None if any part is not a numeral."""
    parts = [to_int(main), *(to_int(b) for b in branches)]
    if any(p is None for p in parts):
        return None
    return "-".join(str(p) for p in parts)


def split_branches(text: str) -> list[str]:
    """ "の2の3" (already folded) → ["2", "3"]."""
    return _NUM.findall(text)


def kana_index(char: str) -> int | None:
    """Position (1-based) of a kana item marker in iroha order, or aiueo order for ア-lists."""
    if char in ("ア",):
        return 1
    pos = IROHA.find(char)
    if pos >= 0:
        return pos + 1
    pos = AIUEO.find(char)
    return pos + 1 if pos >= 0 else None


def num_key(num: str) -> tuple[int, ...]:
    """ "24-2" → (24, 2) for ordering; non-numeric parts sort as 0."""
    return tuple(int(p) if p.isdigit() else 0 for p in num.split("-"))


_BIG_UNITS = {"万": 10_000, "億": 100_000_000}


def amount_to_int(text: str) -> int | None:
    """A printed quantity → int: 「1,100」, 「１，１００」, 「一万二千」, 「3万」; else None.

    Digits and kanji may mix with 万 / 億 (「1万5千」 is not a printed form and gives None).
    """
    text = fold(text).replace(",", "").replace("，", "").replace(" ", "")
    if not text:
        return None
    total, rest = 0, text
    for unit in ("億", "万"):
        head, sep, tail = rest.partition(unit)
        if sep:
            part = to_int(head) if head else 1
            if part is None:
                return None
            total += part * _BIG_UNITS[unit]
            rest = tail
    if not rest:
        return total
    last = to_int(rest)
    return None if last is None else total + last


def decimal_text(text: str) -> str | None:
    """A printed decimal → ASCII: 「14.5」 → "14.5", 「十四・六」 → "14.6", 「１４．６」 too."""
    text = fold(text).replace(" ", "")
    whole, sep, frac = text.replace("・", ".").partition(".")
    w = amount_to_int(whole)
    if w is None:
        return None
    if not sep:
        return str(w)
    digits = "".join(str(KANJI_DIGITS[c]) if c in KANJI_DIGITS else c for c in frac)
    return f"{w}.{digits}" if digits.isdigit() else None
