"""One numeral reader for every printed number: articles, references, dates and 附則 subjects.

Cases are tests/fixtures/numbering/numerals.tsv (printed form, value, where it comes from).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.citation import cited_int
from extract.dates import find_dates
from extract.numerals import MAX_DIGITS, to_int, year_to_int

FIXTURE = Path(__file__).parent / "fixtures" / "numbering" / "numerals.tsv"


def _cases() -> list[tuple[str, int | None]]:
    rows = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        printed, value, _why = line.split("\t")
        rows.append((printed, int(value) if value else None))
    return rows


@pytest.mark.parametrize(("printed", "value"), _cases())
def test_to_int(printed: str, value: int | None) -> None:
    assert to_int(printed) == value


@pytest.mark.parametrize(("printed", "value"), _cases())
def test_a_cited_number_that_is_not_one_is_zero(printed: str, value: int | None) -> None:
    # a reference to 第〈too many digits〉条 resolves to no clause instead of failing the parse
    assert cited_int(printed) == (0 if value is None else value)


def test_gannen_is_the_first_year() -> None:
    assert year_to_int("元") == 1
    assert year_to_int(" 元 ") == 1
    assert year_to_int("三十一") == 31
    assert year_to_int("元年") is None


def test_readers_agree_on_dates() -> None:
    # dates read their year, month and day with the same reader (元年 included)
    (d,) = find_dates("令和元年五月一日から施行する")
    assert d.iso == "2019-05-01"
    (d,) = find_dates("平成三十一年四月三十日")
    assert d.iso == "2019-04-30"
    (d,) = find_dates("二〇二三年１２月一日")
    assert d.iso == "2023-12-01"


def test_max_digits_bounds_every_reader() -> None:
    long = "1" * (MAX_DIGITS + 1)
    assert to_int(long) is None
    assert cited_int(long) == 0
    assert to_int("9" * MAX_DIGITS) == int("9" * MAX_DIGITS)
