"""Commencement clauses (施行期日): every wording a reader understands yields the effective date.

Driven by tests/fixtures/supplements/commencement.tsv; each row is parsed as a whole document
(a main provision, then the 附則 with its heading and body) through ``parse_text``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.parse import parse_text

FIXTURE = Path(__file__).parent / "fixtures" / "supplements" / "commencement.tsv"


def _rows() -> list[tuple[str | None, str, str | None, str | None]]:
    rows = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        heading, body, effective, latest = (None if v == "-" else v for v in line.split("\t"))
        assert body is not None
        rows.append((heading, body, effective, latest))
    return rows


def _document(heading: str | None, body: str) -> str:
    suppl = "附　則" + (f"　（{heading}）" if heading else "")
    return f"試験法\n\n第一条　この法律は、試験のために定める。\n\n　　　{suppl}\n\n{body}\n"


@pytest.mark.parametrize(("heading", "body", "effective", "latest"), _rows())
def test_commencement_wording(
    heading: str | None, body: str, effective: str | None, latest: str | None
) -> None:
    doc = parse_text(_document(heading, body), "law.txt")
    (supp,) = doc.supplements
    assert (supp.effective, supp.effective_by) == (effective, latest)
    codes = {d.code for d in doc.diagnostics}
    assert "missing-effective-date" not in codes  # a date, or the event it waits for, was read
    assert ("unresolved-effective-date" in codes) == (effective is None)


def test_the_fixture_covers_each_wording() -> None:
    bodies = "".join(r[1] for r in _rows())
    words = ("より", "これを", "以降", "をもって", "効力を生ずる", "適用する", "発効", "施行日は")
    assert [w for w in words if w not in bodies] == []
