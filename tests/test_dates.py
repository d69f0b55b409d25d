"""extract.dates: Japanese dates → ISO, driven by tests/fixtures/supplements/dates.tsv."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extract.dates import (
    era_year,
    find_dates,
    find_relative_dates,
    latest_relative,
    parse_date,
    resolve_relative,
)

FIXTURE = Path(__file__).parent / "fixtures" / "supplements" / "dates.tsv"


def _cases() -> list[tuple[str, list[str]]]:
    rows = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        text, expected = line.split("\t")
        rows.append((text, [] if expected == "-" else expected.split(",")))
    return rows


@pytest.mark.parametrize(("text", "expected"), _cases())
def test_dates_fixture(text: str, expected: list[str]) -> None:
    assert [d.iso for d in find_dates(text) if d.iso] == expected


@pytest.mark.parametrize(("text", "expected"), _cases())
def test_match_span_is_the_printed_date(text: str, expected: list[str]) -> None:
    for d in find_dates(text):
        assert text[d.start : d.end] == d.text
        assert d.text[0] not in " \u3000" and d.text[-1] in "日0123456789"


def test_relative_dates_are_text_not_dates() -> None:
    text = "この法律は、公布の日から起算して六月を経過した日から施行する。"
    (rel,) = find_relative_dates(text)
    assert (rel.kind, rel.text) == ("elapsed", "公布の日から起算して六月を経過した日")
    assert resolve_relative(rel, None) is None
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "promulgated", "elapsed"),
    [
        ("公布の日から起算して六月を経過した日", "2012-08-22", "2013-02-22"),
        ("この法律の公布の日から起算して一年を経過した日", "2016-06-03", "2017-06-03"),
        ("公布の日から起算して二十日を経過した日", "2022-12-16", "2023-01-05"),
        ("公布の日から起算して一年六月を経過した日", "2023-05-17", "2024-11-17"),
        # no 2月31日: the period ends on 2月28日 (民法第143条第2項), so it has elapsed on 3月1日
        ("公布の日から起算して六月を経過した日", "2012-08-31", "2013-03-01"),
        ("公布の日から起算して三月を経過した日", "2023-11-30", "2024-03-01"),
    ],
)
def test_elapsed_dates_are_computed_from_the_promulgation(
    text: str, promulgated: str, elapsed: str
) -> None:
    (rel,) = find_relative_dates(text)
    assert rel.kind == "elapsed"
    assert resolve_relative(rel, promulgated) == elapsed


def test_not_exceeding_gives_the_last_possible_day() -> None:
    text = "公布の日から起算して六月を超えない範囲内において政令で定める日"
    (rel,) = find_relative_dates(text)
    assert resolve_relative(rel, "2012-08-22") is None
    assert latest_relative(rel, "2012-08-22") == "2013-02-21"
    assert latest_relative(rel, None) is None
    (order,) = find_relative_dates("政令で定める日")
    assert latest_relative(order, "2012-08-22") is None


def test_relative_kinds() -> None:
    kinds = {
        "公布の日から起算して一年六月を超えない範囲内において政令で定める日": "not_exceeding",
        "この法律の公布の日": "promulgation",
        "会社法の施行の日": "other_event",
        "政令で定める日": "cabinet_order",
    }
    for text, kind in kinds.items():
        assert [r.kind for r in find_relative_dates(text)] == [kind], text
    (prom,) = find_relative_dates("公布の日")
    assert resolve_relative(prom, "2006-06-02") == "2006-06-02"
    assert resolve_relative(prom, None) is None


def test_era_boundaries() -> None:
    assert era_year("令和", 1) == 2019 and era_year("平成", 31) == 2019
    assert parse_date("平成31年4月30日") == "2019-04-30"
    assert parse_date("令和元年4月30日") is None  # 令和 starts on 1 May 2019


def _kanji(n: int) -> str:
    digits = "〇一二三四五六七八九"
    out = ""
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        q, n = divmod(n, value)
        if q:
            out += ("" if q == 1 else digits[q]) + unit
    return out + (digits[n] if n else "")


@given(st.dates(min_value=date(1989, 1, 8), max_value=date(2099, 12, 31)), st.booleans())
def test_any_heisei_reiwa_date_round_trips(d: date, kanji: bool) -> None:
    era = "令和" if d.isoformat() >= "2019-05-01" else "平成"
    year = d.year - (2018 if era == "令和" else 1988)
    num = _kanji if kanji else str
    text = f"{era}{'元' if year == 1 else num(year)}年 {num(d.month)}月{num(d.day)} 日"
    assert parse_date(f"この規約は、{text}から実施します。") == d.isoformat()
