"""Japanese dates → ISO 8601: 和暦 (明治–令和, 元年), Western years, full-width and kanji digits.

Pure functions. Every match keeps its span in the input so callers can report positions.
Spaces (ASCII, full-width, line breaks) may appear anywhere inside a date, as in PDF text
(「令和 3年 3月 18 日」, 「2023 年 12月 1日」).

Relative dates of statutes (「公布の日から起算して六月を経過した日」, 「政令で定める日」) are
found by ``find_relative_dates``. With a known promulgation date, 「公布の日」 and 「公布の日から
起算して…を経過した日」 resolve to a date (``resolve_relative``); for 「…を超えない範囲内において
政令で定める日」 only the last possible day is known (``latest_relative``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from extract.numerals import to_int, year_to_int

ERAS: dict[str, date] = {  # first day of each era
    "明治": date(1868, 10, 23),
    "大正": date(1912, 7, 30),
    "昭和": date(1926, 12, 25),
    "平成": date(1989, 1, 8),
    "令和": date(2019, 5, 1),
}


_SP = r"[ \u3000\t\r\n]*"
_NUM = r"(?:[0-9０-９]+|[〇零一二三四五六七八九十百千]+)"
_ERA = "|".join(ERAS)
_DATE_RE = re.compile(
    rf"(?:(?P<era>{_ERA}){_SP}(?P<eyear>元|{_NUM})|(?P<wyear>[12][0-9]{{3}}|[１２][０-９]{{3}}"
    rf"|[一二][〇零一二三四五六七八九]{{3}}|[一二]千[〇零一二三四五六七八九十百]*))"
    rf"{_SP}年{_SP}(?P<month>{_NUM}){_SP}月{_SP}(?P<day>{_NUM}){_SP}日"
)
_SLASH_RE = re.compile(
    r"(?<![0-9])(?P<y>(?:19|20)[0-9]{2})/(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})(?![0-9])"
)


@dataclass(frozen=True)
class DateMatch:
    """An absolute date found in text; ``iso`` is None when the parts do not form a real date."""

    start: int
    end: int
    text: str
    iso: str | None
    era: str | None  # "令和" …, None for a Western year


RelativeKind = Literal["promulgation", "elapsed", "not_exceeding", "cabinet_order", "other_event"]


@dataclass(frozen=True)
class RelativeDate:
    """A date defined by an event (公布, another law's 施行, a cabinet order): kept as text."""

    start: int
    end: int
    text: str
    kind: RelativeKind


def era_year(era: str, year: int) -> int:
    """Western year of ``year`` in ``era`` (元年 is 1)."""
    return ERAS[era].year + year - 1


def to_iso(year: int, month: int, day: int) -> str | None:
    """ISO date, or None when the parts are not a calendar date."""
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _match_to_date(m: re.Match[str]) -> DateMatch:
    era = m.group("era")
    raw_year = m.group("eyear") if era else m.group("wyear")
    year = year_to_int(raw_year)
    month, day = to_int(m.group("month")), to_int(m.group("day"))
    iso = None
    if year is not None and month is not None and day is not None:
        iso = to_iso(era_year(era, year) if era else year, month, day)
        if iso and era and iso < ERAS[era].isoformat():
            iso = None  # e.g. 令和元年4月1日 does not exist
    return DateMatch(m.start(), m.end(), m.group(0), iso, era)


def find_dates(text: str) -> list[DateMatch]:
    """Every absolute date in ``text``, in order: 「平成十八年六月二日」, 「2019年 12月 20日」."""
    found = [_match_to_date(m) for m in _DATE_RE.finditer(text)]
    taken = [(d.start, d.end) for d in found]
    for m in _SLASH_RE.finditer(text):
        if not any(s <= m.start() < e for s, e in taken):
            iso = to_iso(int(m["y"]), int(m["m"]), int(m["d"]))
            found.append(DateMatch(m.start(), m.end(), m.group(0), iso, None))
    return sorted(found, key=lambda d: d.start)


def parse_date(text: str) -> str | None:
    """The ISO form of the first valid date in ``text``, or None."""
    return next((d.iso for d in find_dates(text) if d.iso), None)


_PERIOD = rf"(?:{_NUM}{_SP}(?:年|箇月|か月|ヶ月|ケ月|月|日){_SP})+"
_RELATIVE_RE = re.compile(
    rf"(?P<elapsed>(?:この法律の)?公布の日から起算して{_SP}{_PERIOD}を経過した日)"
    rf"|(?P<not_exceeding>(?:この法律の)?公布の日から起算して{_SP}{_PERIOD}を超えない範囲内において"
    rf"[^、。]*?で定める日)"
    rf"|(?P<cabinet_order>政令で定める日)"
    rf"|(?P<promulgation>(?:この法律の)?公布の日)"
    rf"|(?P<other_event>[^、。「」]{{1,80}}?の施行の日)"
)


def find_relative_dates(text: str) -> list[RelativeDate]:
    """Event-relative dates: 公布の日, 公布の日から起算して六月を経過した日, 政令で定める日 …"""
    out = []
    for m in _RELATIVE_RE.finditer(text):
        kind = m.lastgroup
        assert kind is not None
        out.append(RelativeDate(m.start(), m.end(), m.group(0), kind))  # type: ignore[arg-type]
    return out


_PERIOD_PART_RE = re.compile(rf"(?P<n>{_NUM}){_SP}(?P<unit>年|箇月|か月|ヶ月|ケ月|月|日)")


def _period(text: str) -> tuple[int, int] | None:
    """(months, days) of 「一年六月」, 「二十日」 in ``text``; None when there is no period."""
    months = days = 0
    found = False
    for m in _PERIOD_PART_RE.finditer(text.partition("を")[0]):
        n = to_int(m["n"])
        if n is None:
            return None
        found = True
        if m["unit"] == "年":
            months += 12 * n
        elif m["unit"] == "日":
            days += n
        else:
            months += n
    return (months, days) if found else None


def elapsed_day(start: str, months: int, days: int = 0) -> str:
    """The day 「START から起算して MONTHS 月 DAYS 日を経過した日」.

    The start day counts (起算), so the period ends the day before the corresponding day
    (民法第143条第2項) and the day it has elapsed is that corresponding day; when the last month
    has no such day the period ends on its last day, and the elapsed day is the 1st of the next.
    """
    first = date.fromisoformat(start)
    total = first.month - 1 + months
    year, month = first.year + total // 12, total % 12 + 1
    try:
        day = date(year, month, first.day)
    except ValueError:  # 8月31日 + 6月: no 2月31日
        day = date(year + month // 12, month % 12 + 1, 1)
    return (day + timedelta(days=days)).isoformat()


def resolve_relative(rel: RelativeDate, promulgated: str | None) -> str | None:
    """ISO date of a relative date when determined by the promulgation date: 「公布の日」 and
    「公布の日から起算して六月を経過した日」 (None for cabinet orders and other events)."""
    if not promulgated:
        return None
    if rel.kind == "promulgation":
        return promulgated
    period = _period(rel.text) if rel.kind == "elapsed" else None
    return elapsed_day(promulgated, *period) if period else None


def latest_relative(rel: RelativeDate, promulgated: str | None) -> str | None:
    """The last day a 「公布の日から起算して一年を超えない範囲内において政令で定める日」 can be."""
    period = _period(rel.text) if rel.kind == "not_exceeding" and promulgated else None
    if not period or not promulgated:
        return None
    last = date.fromisoformat(elapsed_day(promulgated, *period)) - timedelta(days=1)
    return last.isoformat()
