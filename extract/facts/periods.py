"""Periods (30日前までに, 6か月, 一年三月を超えない, 5営業日後, 2週間以内) and calendar deadlines
(翌月末日, 当月20日) → ISO-8601 durations and a normalised calendar point.

Plain regular expressions over the folded text (full-width → ASCII keeps offsets): numbers and
their counters are read character by character for the normalisation anyway (docs/facts.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from extract.numerals import KANJI_NUM_CHARS, amount_to_int, fold

_N = rf"(?:[0-9]+|[{KANJI_NUM_CHARS}]+)"
_MONTHS = r"(?:か|ヶ|ケ|カ|ヵ|ゕ|箇|个)月"
_UNIT = rf"(?:年|{_MONTHS}|月|週|営業日|日|時間)"
_PART = rf"(?P<n{{i}}>{_N}) *(?P<u{{i}}>{_UNIT})(?:間)?"
_PARTS = "".join(f"(?:{_PART.format(i=i)})" + ("?" if i else "") for i in range(3))
_PERIOD = re.compile(
    "(?<![0-9.,:/])"
    + _PARTS
    + r" *(?P<rel>前まで|前|以内|以上|未満|後|を経過|を超え|ごと|毎|から|分|)"
)
_REL = {"前まで": "before", "前": "before", "以内": "within", "を超え": "within", "未満": "within",
        "以上": "at-least", "後": "after", "を経過": "elapsed", "ごと": "every", "毎": "every",
        "から": "from"}  # fmt: skip
_ERA_OR_YEAR = re.compile(r"(?:明治|大正|昭和|平成|令和|西暦|元) *$")
_DEADLINE = re.compile(
    rf"(?P<base>翌々月|翌月|当月|前月|同月|毎月|各月|月)の? *(?P<day>末日|末|(?P<d>{_N}) *日)"
)


def _duration(parts: list[tuple[int, str]]) -> str | None:
    y = mo = d = h = 0
    for n, unit in parts:
        if unit == "年":
            y += n
        elif unit.endswith("月"):
            mo += n
        elif unit == "週":
            d += 7 * n
        elif unit in ("日", "営業日"):
            d += n
        else:
            h += n
    date = "".join(f"{v}{k}" for v, k in ((y, "Y"), (mo, "M"), (d, "D")) if v)
    return "P" + date + (f"T{h}H" if h else "") if date or h else None


def _plausible(m: re.Match[str], text: str, parts: list[tuple[int, str]]) -> bool:
    """Not a year (2023年, 平成29年), a day of a month (4月28日) or a bare 月 without a sense."""
    first_n, first_u = parts[0]
    if first_u == "年" and (first_n >= 1000 or _ERA_OR_YEAR.search(text[: m.start()])):
        return False
    if any(u == "日" for _, u in parts) and re.search(r"月 *$", text[: m.start()]):
        return False
    if text[m.end() : m.end() + 1].isdigit():
        return False
    bare_month = any(u == "月" for _, u in parts)
    return not bare_month or (bool(m.group("rel")) and m.group("rel") not in ("から", "分"))


def find_periods(text: str, taken: list[tuple[int, int]]) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, ISO duration, unit) of each period outside the ``taken`` spans (dates)."""
    folded = fold(text)
    for m in _PERIOD.finditer(folded):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        parts: list[tuple[int, str]] = []
        for i in range(3):
            if m.group(f"n{i}"):
                n = amount_to_int(m.group(f"n{i}"))
                if n is None:
                    break
                parts.append((n, m.group(f"u{i}")))
        if not parts or not _plausible(m, folded, parts):
            continue
        value = _duration(parts)
        if value is None:
            continue
        unit = _REL.get(m.group("rel"), "")
        if any(u == "営業日" for _, u in parts):
            unit = ("business-day " + unit).strip()
        end = m.start() + len(m.group(0).rstrip())
        yield m.start(), end, value, unit


def find_deadlines(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, normalised point) of 翌月末日 / 当月20日 / 毎月末 …"""
    for m in _DEADLINE.finditer(fold(text)):
        if m.group("d"):
            n = amount_to_int(m.group("d"))
            if n is None or not 1 <= n <= 31:
                continue
            day = f"{n}日"
        else:
            day = "末日"
        yield m.start(), m.end(), m.group("base") + day
