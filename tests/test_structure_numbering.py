"""Data-driven numbering fixtures (tests/fixtures/numbering/*.txt, markdown-it fixture style).

Each file holds cases: a title line, the input, a line ".", the expected outline, a line ".".
Outline lines are ``id num=… label=… cap=… text=…`` per node (``⏎`` for a newline in text),
then ``@kind text`` per artefact other than markup. ``*.md.txt`` files are parsed as Markdown.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_cases import node_outline, read_cases

from extract.model import ParsedDocument
from extract.parse import lossless_problems, parse_text

FIXTURES = Path(__file__).parent / "fixtures" / "numbering"


def outline(doc: ParsedDocument) -> list[str]:
    return node_outline(doc.nodes) + [
        f"@{a.kind} {a.text}" for a in doc.artefacts if a.kind != "blank_marker"
    ]


CASES = [
    pytest.param(path, text, expected, id=f"{path.stem}:{title[:40]}")
    for path in sorted(FIXTURES.glob("*.txt"))
    for title, text, expected in read_cases(path)
]


def test_fixture_files_exist() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize(("path", "text", "expected"), CASES)
def test_numbering_case(path: Path, text: str, expected: list[str]) -> None:
    fmt = "markdown" if path.name.endswith(".md.txt") else "text"
    doc = parse_text(text, str(path), fmt)
    assert outline(doc) == expected
    assert lossless_problems(text, doc) == []


@pytest.mark.parametrize(("path", "text", "expected"), CASES)
def test_positions_point_at_the_source(path: Path, text: str, expected: list[str]) -> None:
    """Every text segment starts where the source line has that text."""
    fmt = "markdown" if path.name.endswith(".md.txt") else "text"
    doc = parse_text(text, str(path), fmt)
    source = text.split("\n")
    for node in doc.nodes:
        if not node.segments:
            assert node.text == "", node.id
            continue
        bounds = [s[0] for s in node.segments[1:]] + [len(node.text)]
        for (offset, line, col), end in zip(node.segments, bounds, strict=True):
            piece = node.text[offset:end].rstrip("\n\t ")
            printed = source[line - 1][col - 1 :]
            if fmt == "markdown":  # inline markup (** [ ] `) may sit between the characters
                printed = printed.lstrip(INLINE_MARKUP)
                assert printed.startswith(piece[:1]) and _in_order(printed, piece[:8]), node.id
            else:
                assert printed.startswith(piece[:8]), (node.id, line, col)
        assert node.line <= node.end_line


INLINE_MARKUP = "*_`[]"


def _in_order(printed: str, piece: str) -> bool:
    """``piece``'s characters appear in ``printed`` in order."""
    rest = iter(printed)
    return all(ch in rest for ch in piece)


DIAGNOSTIC_CASES = [
    ("第1条 本文。\n第3条 本文。\n", "skipped-article-number", 2),
    ("第1条 本文。\n第2条 本文。\n第2条 本文。\n", "repeated-article-number", 3),
    ("第1条 本文。\n第3条 本文。\n第2条 本文。\n", "article-out-of-order", 3),
    ("第1条 次のとおり。\n(1) 一つ目。\n(2) 二つ目。\n(4) 四つ目。\n", "item-out-of-order", 4),
    ("第1条 本文。\n2 二項。\n4 四項。\n", "paragraph-out-of-order", 3),
    ("第1章 総則\n章の下の文です。\n第1条 本文。\n", "text-outside-article", 2),
]


@pytest.mark.parametrize(
    ("text", "code", "line"), DIAGNOSTIC_CASES, ids=[c[1] for c in DIAGNOSTIC_CASES]
)
def test_diagnostics(text: str, code: str, line: int) -> None:
    doc = parse_text(text, "case.txt", "text")
    found = [(d.code, d.line) for d in doc.diagnostics]
    assert (code, line) in found
    assert lossless_problems(text, doc) == []


def test_table_of_contents_is_checked_against_the_body() -> None:
    text = (
        "目次\n第 1 条 (目的).....\t1\n第 2 条 (定義).....\t1\n第 3 条 (範囲).....\t2\n"
        "第1条（目的）\n目的です。\n第2条（用語の意味）\n定義です。\n"
    )
    doc = parse_text(text, "case.txt", "text")
    codes = {(d.code, d.line) for d in doc.diagnostics}
    assert ("toc-caption-mismatch", 3) in codes
    assert ("toc-article-missing", 4) in codes
    assert [n.id for n in doc.nodes if n.kind == "article"] == ["art_1", "art_2"]
