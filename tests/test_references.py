"""Cross-references: each reference form, from small documents (tests/fixtures/references/*.txt).

A fixture is a small terms document, then a line 「=== expect …」, then one line per reference
the document holds, in order: ``line:col  kind  status  target  text`` (tab-separated; ``-`` for no
target; the printed text with its spaces and line breaks removed), then, for a reference naming
more than one unit (前2項, 前各号, 第1項から第3項まで), every member in order, comma-separated.
Lines starting with ``#`` are comments and are blanked before parsing, so line numbers are those
of the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.model import Node
from extract.parse import parse_bytes
from extract.references import extract_references, find_citations, normalise

FIXTURES = Path(__file__).parent / "fixtures" / "references"
CASES = sorted(FIXTURES.glob("*.txt"))


def _load(path: Path) -> tuple[str, list[tuple[str, ...]]]:
    text, _, expect = path.read_text(encoding="utf-8").partition("=== expect")
    rows = [tuple(line.split("\t")) for line in expect.splitlines()[1:] if line.strip()]
    source = "\n".join("" if line.startswith("#") else line for line in text.split("\n"))
    return source, rows


def _actual(source: str, name: str) -> list[tuple[str, ...]]:
    doc = parse_bytes(source.encode("utf-8"), name, "text")
    rows = []
    for r in doc.references:
        row = (f"{r.line}:{r.column}", r.kind, r.status, r.target or "-", "".join(r.text.split()))
        assert r.target_end == (r.targets[-1] if len(r.targets) > 1 else None)
        rows.append(row + ((",".join(r.targets),) if len(r.targets) > 1 else ()))
    return rows


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path: Path) -> None:
    source, expected = _load(path)
    assert expected, f"{path.name} lists no expected references"
    assert _actual(source, path.name) == expected


def test_every_form_has_a_fixture() -> None:
    names = {p.stem for p in CASES}
    forms = {"absolute", "relative", "lists_ranges", "appendix", "external", "captions"}
    assert forms | {"line_breaks", "supplement", "appendix_ambiguous", "appendix_bare"} <= names


def _node(text: str) -> Node:
    return Node("art_1__para_1", "paragraph", "1", "", None, text, "art_1", 1, 1, [(0, 1, 1)])


def test_kanji_article_with_branch_numbers() -> None:
    (cit,) = find_citations(_node("第二十四条の二の三第一項第二号の規定"))
    assert (cit.art, cit.para, cit.item) == ("24-2-3", "1", "2")


def test_law_numbers_and_document_numbers_are_not_items() -> None:
    text = "消費税法（昭和63年法律第108号）及び本経企第000421号、西企営第41 号による。"
    (law,) = find_citations(_node(text))  # the law, named without an article; no items
    assert (law.external, law.item) == ("消費税法", None)
    assert law.text == "消費税法（昭和63年法律第108号）"


def test_quoted_relative_references_are_left_alone() -> None:
    # a 読替え: the quoted 「前各項」 speaks of the provision being read, not of this one
    text = "第二条第五項中「前各項」とあるのは「第四十一条第六項」と、同項第三号中"
    cits = find_citations(_node(text))
    assert [c.text for c in cits] == ["第二条第五項", "同項第三号"]


def test_compound_terms_are_not_references() -> None:
    assert find_citations(_node("第二号施行日前にされた申請")) == []


def test_external_name_is_trimmed_to_the_law() -> None:
    first, cit = find_citations(_node("第二条の規定による改正後の消費者契約法第四条の規定"))
    assert (first.art, first.external) == ("2", None)
    assert (cit.art, cit.external) == ("4", "消費者契約法")
    (old,) = find_citations(_node("改正前の消費者契約法第四条"))
    assert old.historical


def test_reference_columns_follow_segments() -> None:
    node = Node("p", "paragraph", "1", "", None, "契約者は、第 19条及び第 20条に従う", None, 5, 6,
                [(0, 5, 3), (10, 6, 1)])  # fmt: skip
    starts = [(c.start, c.text) for c in find_citations(node)]
    assert starts == [(5, "第 19条"), (12, "第 20条")]


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet="第一二三十0123４5条項号のから及び又は前次同本各別紙表記（）「」 \n法律",
        max_size=80,
    )
)
def test_recogniser_never_raises_and_spans_are_in_bounds(text: str) -> None:
    node = _node(text)
    view = normalise(text)
    assert all(0 <= view.orig(i) < len(text) for i in range(len(view.text)))
    for cit in find_citations(node):
        assert 0 <= cit.start < cit.end <= len(text)
        assert cit.text == text[cit.start : cit.end]


def test_reference_like_text_without_a_number_is_a_diagnostic() -> None:
    refs, diags = extract_references([_node("第条の規定及び第Ｘ項により、第三者に通知します。")])
    assert refs == []
    assert [(d.code, d.line) for d in diags] == [("malformed-reference", 1)] * 2
    assert "「第条」" in diags[0].message and "「第Ｘ項」" in diags[1].message


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "第1条（目的）",
                "第2条",
                "2 前項及び次条",
                "(1) 前各号",
                "附則",
                "第1条 前条の改正規定",
                "【別紙 1（料金表）】",
                "別紙2 表1",
                "同条第3項",
                "第二十条の二第三項第四号",
                "前2項",
                "本条",
                "別表第一",
                "（第5条関係）",
                "電気通信事業法第3条",
                "第条",
            ]
        ),
        min_size=1,
        max_size=12,
    )
)
def test_extraction_never_raises_on_assembled_documents(lines: list[str]) -> None:
    doc = parse_bytes("\n".join(lines).encode("utf-8"), "gen.txt", "text")
    statuses = {"ok", "broken", "caption_mismatch", "ambiguous", "external", "out_of_range"}
    for ref in doc.references:
        assert ref.status in statuses and ref.line >= 1 and ref.column >= 1
        assert ref.target is None or doc.node(ref.target) is not None
