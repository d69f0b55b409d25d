"""A 用語の定義 table flattened to lines 「用語 用語の意味」: term / meaning rows split at a space.

``definition_table`` (a rule) starts the table at its header inside an article and makes
``definition_row`` the state's holder: it takes every line while the table is open, until a
heading that some heading rule accepts ends it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from extract.blocks.lines import Marker, terminated
from extract.blocks.state import BlockState, Line
from extract.model import Node
from extract.normalize import RawLine
from extract.numerals import CIRCLED, fold

KINDS = frozenset({"text"})  # the header line classifies as plain text
_DEF_HEADER = re.compile(r"^用 *語( +)用 *語 *の *意 *味$")
LEAVE_TABLE = frozenset({"chapter", "section", "subsection", "article", "supplement", "appendix"})
_HIRAGANA_BUT_NO = re.compile(r"[ぁ-ねは-ゟ]")
_CONT_START = "・(（※-" + CIRCLED + "0123456789０１２３４５６７８９"


def definition_table(state: BlockState, line: Line) -> bool:
    """「用語 用語の意味」 in an article: the rows below are term / meaning pairs."""
    ln = line.raw
    if state.article is None or ln.text[0] != "用" or not _DEF_HEADER.match(fold(ln.text)):
        return False
    parent = state.paragraph or state.article
    state.deftable = parent
    state.defrow = None
    state.holder = definition_row
    _row(state, ln, force=True)
    return True


def definition_row(state: BlockState, line: Line) -> bool:
    """Inside an open table: a heading ends it, every other line is a row or continues one."""
    if state.deftable is None:
        return False
    if line.marker.kind in LEAVE_TABLE and state.rules.take(
        state, replace(line, ended=True), markers_only=True
    ):
        state.deftable = state.defrow = state.holder = None
    else:
        _row(state, line.raw)
    return True


def _row(state: BlockState, ln: RawLine, force: bool = False) -> None:
    text = ln.text
    row = state.defrow
    if row is not None and not force and "\t" not in row.text:
        if _fragment(text):  # the term goes on: 「ＳＩＭ または」「ＳＩＭカード」
            state.append_text(row, ln, 0, False, sep="")
            return
        row.text += "\t"  # a term-only row: this line starts its meaning
        state.append_text(row, ln, 0, False, sep="")
        return
    if row is not None and not force and _term_wraps(row, text):
        row.text = row.text.replace("\t", " ", 1)  # 「フレッツ 光ネクスト/クロ」「ス」: one term
        state.append_text(row, ln, 0, False, sep="")
        return
    starts = "split" if force or row is None else _starts_definition(text, row.text)
    if starts is None and row is not None:
        state.append_text(row, ln, 0, text[0] in _CONT_START)
        return
    parent = state.deftable
    assert parent is not None
    k = state.rows.get(parent.id, 0) + 1
    state.rows[parent.id] = k
    row = state.new("table_row", f"{parent.id}__row_{k}", Marker("row"), parent, ln)
    state.defrow = row
    header = _DEF_HEADER.match(fold(text))
    split = header.span(1) if header else _definition_split(text)
    if split is None or starts == "term":
        state.append_text(row, ln, 0, False)
        return
    state.append_text(row, RawLine(text[: split[0]], ln.line, ln.col), 0, False)
    row.text += "\t"
    state.append_text(row, ln, split[1], False, sep="")


def _definition_split(text: str) -> tuple[int, int] | None:
    """(end of term, start of meaning) at the first space, or None for a single cell."""
    m = re.search(r"[ \u3000]+", text)
    return (m.start(), m.end()) if m else None


def _term_wraps(row: Node, text: str) -> bool:
    """A one-line row whose "meaning" is a short fragment, followed by a short fragment with no
    space: the term cell wrapped (「フレッツ 光ネクスト/クロ」 + 「ス/ライト」)."""
    if len(row.segments) != 2 or row.segments[0][1] != row.segments[1][1]:
        return False
    meaning = row.text.split("\t", 1)[1]
    punct = set("、。「」()（）")
    return len(meaning) <= 12 and not punct & set(meaning) and _fragment(text)


def _fragment(text: str) -> bool:
    """A short piece of a table cell: no space, no punctuation."""
    return len(text) <= 10 and " " not in text and not set("、。「」()（）") & set(text)


def _starts_definition(text: str, previous: str) -> str | None:
    """Does this line of a flattened 用語の定義 table start a new term: "term" (alone on
    its line, the meaning follows), "split" (term and meaning) or None (continuation)."""
    if text[0] in _CONT_START:
        return None
    punct = set("、。「」()（）")
    if len(text) <= 12 and not punct & set(text) and "\t" in previous and terminated(previous):
        return "term"
    split = _definition_split(text)
    if split is None:
        return None
    term = text[: split[0]]
    ok = len(term) <= 16 and not punct & set(term) and not _HIRAGANA_BUT_NO.search(term)
    return "split" if ok else None
