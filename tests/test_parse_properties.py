"""Property tests: parse_bytes never crashes and loses or invents no text, on any input.

Lossless means: the non-blank characters of the decoded input, as a multiset, are exactly the
characters of every node's label, caption and text plus every artefact's text. Captions are
stored without their brackets, so each captioned node accounts for one opening and one closing
bracket of the source.
"""

from __future__ import annotations

import os
from collections import Counter
from functools import cache

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from extract.errors import InputError
from extract.model import ParsedDocument
from versions.sources.corpus import load_corpus
from versions.sources.files import guess_format

parse_bytes = pytest.importorskip("extract.parse").parse_bytes
VERSIONS = [v for doc in load_corpus() for v in doc.versions]
# More examples for a thorough run: YAKKAN_HYPOTHESIS_EXAMPLES=2000 pytest tests/test_parse_…
EXAMPLES = int(os.environ.get("YAKKAN_HYPOTHESIS_EXAMPLES", "60"))
SETTINGS = settings(
    deadline=None, max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow]
)

# Characters that drive the structure parser, so random text often looks like a document.
STRUCTURE = (
    "第条章節款項号の附則別紙表記様式削除目次前文一二三四五六七八九十百千〇"
    "0123456789０１２３４５６７８９①②③⑩⑳アイウエオイロハ"
    "（）()「」、。．.：:・-－―~ #*>|`\u3000 \t\n"
    "本規約当社契約者はをにがでとする利用料金場合次各"
)
BRACKETS = frozenset("()（）【】")


@cache
def corpus_lines(index: int) -> tuple[str, ...]:
    return tuple(VERSIONS[index].file.read_text(encoding="utf-8").split("\n"))


INVISIBLE = frozenset("\ufeff\u200b")  # BOM / zero-width space: blank, though not isspace()


def chars(text: str) -> Counter[str]:
    return Counter(c for c in text if not c.isspace() and c not in INVISIBLE)


def output_chars(doc: ParsedDocument) -> Counter[str]:
    out: Counter[str] = Counter()
    for node in doc.nodes:
        out += chars(node.label) + chars(node.caption or "") + chars(node.text)
    for artefact in doc.artefacts:
        out += chars(artefact.text)
    return out


def assert_lossless(source: str, doc: ParsedDocument) -> None:
    """Exact multiset match, except the brackets around captions and 【別紙1】 headings."""
    expected, got = chars(source), output_chars(doc)
    missing, invented = expected - got, got - expected
    assert not invented, f"invented or duplicated: {dict(invented)}"
    lost_text = {c: n for c, n in missing.items() if c not in BRACKETS}
    assert not lost_text, f"missing: {lost_text}"
    pairs = sum((n.caption is not None) + (n.kind == "appendix") for n in doc.nodes)
    lost_brackets = sum(missing.values())
    assert lost_brackets <= 2 * pairs, f"{lost_brackets} brackets lost, {pairs} bracket pairs"


def assert_well_formed(source: str, doc: ParsedDocument) -> None:
    """Ids unique, parents earlier in the list, line ranges inside the source."""
    last_line = source.count("\n") + 1
    seen: set[str] = set()
    for node in doc.nodes:
        assert node.id not in seen, f"duplicate id {node.id}"
        assert node.parent is None or node.parent in seen, f"{node.id}: parent {node.parent}"
        assert 1 <= node.line <= node.end_line <= last_line, f"{node.id}: lines out of range"
        seen.add(node.id)
    assert doc.nodes or doc.artefacts, "non-blank text lands somewhere"


def assert_traceable(source: str, doc: ParsedDocument) -> None:
    """Each segment of a node's text points at the same character in the source."""
    lines = source.split("\n")
    for node in doc.nodes:
        if node.text:
            assert node.segments and node.segments[0][0] == 0, f"{node.id}: text not mapped"
        for offset, line, col in node.segments:
            printed = lines[line - 1][col - 1 : col] if 1 <= line <= len(lines) else ""
            assert node.text[offset : offset + 1] == printed, (node.id, offset, line, col)


def parse_text(text: str, fmt: str = "text") -> ParsedDocument:
    doc = parse_bytes(text.encode("utf-8"), path="prop.txt", fmt=fmt)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    assert_well_formed(text, doc)
    assert_traceable(text, doc)
    return doc


# --- arbitrary input ---------------------------------------------------------------------------

text_chars = st.one_of(
    st.sampled_from(STRUCTURE),
    st.characters(blacklist_categories=("Cs", "Cc")),
)
documents = st.lists(st.text(text_chars, max_size=40), min_size=1, max_size=40).map("\n".join)


@SETTINGS
@given(st.one_of(st.binary(max_size=3000), documents.map(lambda t: t.encode("cp932", "ignore"))))
def test_arbitrary_bytes_raise_only_input_error(data: bytes) -> None:
    try:
        doc = parse_bytes(data, path="prop.bin")
    except InputError as exc:
        assert exc.path == "prop.bin"
    else:
        assert doc.nodes or doc.artefacts


@SETTINGS
@given(documents, st.sampled_from(["text", "markdown"]))
def test_arbitrary_text_never_raises_and_is_lossless(text: str, fmt: str) -> None:
    assume(text.strip())
    doc = parse_text(text, fmt)
    assert_lossless(text, doc)


# --- mutated corpus documents ------------------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def mutate(lines: list[str], op: str, i: int, j: int, data: st.DataObject) -> None:
    i, j = i % len(lines), j % len(lines)
    if op == "delete" and len(lines) > 1:
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "full-width":
        lines[i] = lines[i].translate(FULL_WIDTH)
    elif op == "space":
        k = data.draw(st.integers(0, len(lines[i])))
        lines[i] = lines[i][:k] + data.draw(st.sampled_from([" ", "\u3000", "  "])) + lines[i][k:]
    elif op == "page-break":  # what a PDF extraction puts between pages
        lines[i:i] = data.draw(st.sampled_from([[f"- {j % 99} -"], [str(j % 99)], ["", "\x0c"]]))


@SETTINGS
@given(st.integers(0, len(VERSIONS) - 1), st.data())
def test_mutated_corpus_documents_parse_losslessly(index: int, data: st.DataObject) -> None:
    lines = list(corpus_lines(index))
    start = data.draw(st.integers(0, len(lines) - 1), label="start")
    size = data.draw(st.sampled_from([40, 200, len(lines)]), label="size")
    lines = lines[start : start + size]
    ops = st.sampled_from(["delete", "duplicate", "swap", "full-width", "space", "page-break"])
    for op, i, j in data.draw(st.lists(st.tuples(ops, st.integers(0), st.integers(0)), max_size=8)):
        mutate(lines, op, i, j, data)
    text = "\n".join(lines)
    assume(text.strip())
    fmt = guess_format(VERSIONS[index].file, VERSIONS[index].format)
    doc = parse_text(text, fmt)
    assert_lossless(text, doc)


def test_every_corpus_version_is_lossless() -> None:
    for version in VERSIONS:
        text = version.file.read_text(encoding="utf-8")
        doc = parse_text(text, guess_format(version.file, version.format))
        assert_lossless(text, doc)


def test_prose_without_articles_is_one_node() -> None:
    prose = "この文書には条文がありません。\nただの説明文が続きます。\n"
    doc = parse_text(prose)
    assert len(doc.nodes) == 1
    assert_lossless(prose, doc)


# Inputs hypothesis found; each once broke the parser (see the test names).
LINE_NUMBER_CASES = {
    "form feed (PDF page break)": "第1条 本文です。\n\x0c第2条 本文です。\n第3条 本文です。\n",
    "vertical tab": "第1条 本文です。\n\x0b第2条 本文です。\n第3条 本文です。\n",
    "next line (NEL)": "第1条 本文\x85です。\n第2条 本文です。\n第3条 本文です。\n",
    "paragraph separator": "第1条 本文\u2029です。\n第2条 本文です。\n第3条 本文です。\n",
}


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("text", LINE_NUMBER_CASES.values(), ids=LINE_NUMBER_CASES.keys())
def test_line_numbers_count_only_newlines(text: str, fmt: str) -> None:
    """Source lines are LF-terminated; other Unicode line breaks must not shift line numbers."""
    doc = parse_text(text, fmt)
    assert_lossless(text, doc)
    assert [(n.id, n.line) for n in doc.nodes if n.kind == "article"] == [
        ("art_1", 1),
        ("art_2", 2),
        ("art_3", 3),
    ]


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("space", ["\u2002", "\u2003", "\u2009", "\u202f", "\u3000"])
def test_lines_of_unicode_spaces_are_blank(space: str, fmt: str) -> None:
    """A line holding only an EN/EM/thin space is blank, like one holding only U+3000."""
    text = f"第1条（目的）\n{space}\nこの規約は定める。\n{space}\n第2条 本文です。\n"
    doc = parse_text(text, fmt)
    assert_lossless(text, doc)
    para = doc.node("art_1__para_1")
    assert para is not None and para.text == "この規約は定める。" and para.line == 3


def test_markdown_paragraph_after_a_blank_looking_line() -> None:
    """markdown-it strips a paragraph's leading U+3000 line; positions must still be right."""
    text = "# 利用規約\n\u3000\nVersion 3.1.8\n\n## 第1条（目的）\n\u3000\nこの規約は定める。\n"
    doc = parse_text(text, "markdown")
    assert_lossless(text, doc)
    para = doc.node("art_1__para_1")
    assert para is not None and para.line == 7
    assert [a.line for a in doc.artefacts if "Version" in a.text] == [3]


@pytest.mark.parametrize(
    ("codec", "newline"), [("cp932", "\r\n"), ("euc_jp", "\n"), ("utf-8-sig", "\r")]
)
def test_encoding_and_line_endings_do_not_change_the_tree(codec: str, newline: str) -> None:
    """The same document saved as Shift_JIS with CRLF, EUC-JP or UTF-8 with BOM parses the same."""
    for version in VERSIONS:
        data = (
            version.file.read_text(encoding="utf-8").replace("\n", newline).encode(codec, "replace")
        )
        text = data.decode(codec).replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
        fmt = guess_format(version.file, version.format)
        expected = parse_bytes(text.encode("utf-8"), path="a", fmt=fmt)
        got = parse_bytes(data, path="a", fmt=fmt)
        assert got.nodes == expected.nodes, version.key
        assert got.artefacts == expected.artefacts, version.key
