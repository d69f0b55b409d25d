"""Property tests: parse_bytes never crashes and loses or invents no text, on any input.

Lossless means: the non-blank characters of the decoded input, as a multiset, are exactly the
characters of every node's label, caption and text plus every artefact's text. Captions are
stored without their brackets, so each captioned node accounts for one opening and one closing
bracket of the source.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from extract.decode import decode
from extract.errors import InputError
from extract.model import ParsedDocument
from versions.corpus import load_corpus
from versions.sources import guess_format

parse_bytes = pytest.importorskip("extract.parse").parse_bytes
VERSIONS = [v for doc in load_corpus() for v in doc.versions]
SETTINGS = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])

# Characters that drive the structure parser, so random text often looks like a document.
STRUCTURE = (
    "第条章節款項号の附則別紙表記様式削除目次前文一二三四五六七八九十百千〇"
    "0123456789０１２３４５６７８９①②③⑩⑳アイウエオイロハ"
    "（）()「」、。．.：:・-－―~ #*>|`\u3000 \t\n"
    "本規約当社契約者はをにがでとする利用料金場合次各"
)
OPEN = {"（": "(", "(": "("}
CLOSE = {"）": ")", ")": ")"}


@cache
def corpus_lines(index: int) -> tuple[str, ...]:
    return tuple(VERSIONS[index].file.read_text(encoding="utf-8").split("\n"))


def chars(text: str) -> Counter[str]:
    """Non-blank characters, with the two kinds of round bracket folded together."""
    return Counter(OPEN.get(c, CLOSE.get(c, c)) for c in text if not c.isspace() and c != "\ufeff")


def output_chars(doc: ParsedDocument) -> Counter[str]:
    out: Counter[str] = Counter()
    for node in doc.nodes:
        out += chars(node.label) + chars(node.text)
        if node.caption is not None:
            out += chars(f"({node.caption})")
    for artefact in doc.artefacts:
        out += chars(artefact.text)
    return out


def assert_lossless(source: str, doc: ParsedDocument) -> None:
    expected, got = chars(source), output_chars(doc)
    missing, invented = expected - got, got - expected
    assert not missing and not invented, f"missing {dict(missing)}, invented {dict(invented)}"


def assert_well_formed(source: str, doc: ParsedDocument) -> None:
    """Ids unique, parents earlier in the list, line ranges inside the source."""
    last_line = source.count("\n") + 1
    seen: set[str] = set()
    for node in doc.nodes:
        assert node.id not in seen, f"duplicate id {node.id}"
        assert node.parent is None or node.parent in seen, f"{node.id}: parent {node.parent}"
        assert 1 <= node.line <= node.end_line <= last_line, f"{node.id}: lines out of range"
        seen.add(node.id)
    assert doc.nodes, "a non-blank document has at least one node"


def parse_text(text: str, fmt: str = "text") -> ParsedDocument:
    doc = parse_bytes(text.encode("utf-8"), path="prop.txt", fmt=fmt)
    assert_well_formed(text, doc)
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
        assert doc.nodes


@SETTINGS
@given(documents, st.sampled_from(["text", "markdown"]))
def test_arbitrary_text_never_raises_and_is_lossless(text: str, fmt: str) -> None:
    assume(text.strip())
    doc = parse_text(text, fmt)
    assert_lossless(decode(text.encode(), "p")[0], doc)


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


@SETTINGS
@given(st.integers(0, len(VERSIONS) - 1), st.data())
def test_mutated_corpus_documents_parse_losslessly(index: int, data: st.DataObject) -> None:
    lines = list(corpus_lines(index))
    start = data.draw(st.integers(0, len(lines) - 1), label="start")
    size = data.draw(st.sampled_from([40, 200, len(lines)]), label="size")
    lines = lines[start : start + size]
    ops = st.sampled_from(["delete", "duplicate", "swap", "full-width", "space"])
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
