"""Each block rule on its own fixtures (tests/fixtures/blocks/<rule>.txt).

A file's ``# rules:`` line names the rules of the ruler its cases run with (in RULES order), so
a case shows what that rule does with only the rules it needs beside it. The input goes through
the plain-text line split (no title or page-number cleaning) and ``Ruler.build``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_cases import node_outline, read_cases

from extract.blocks.lines import classify
from extract.blocks.ruler import Rule, Ruler
from extract.blocks.state import BlockState, Line
from extract.normalize import RawLine, source_lines, split_bullets
from extract.structure import RULES, build

FIXTURES = Path(__file__).parent / "fixtures" / "blocks"
BY_NAME = {rule.name: rule for rule in RULES}


def ruler_for(path: Path) -> Ruler:
    header = next(
        ln for ln in path.read_text(encoding="utf-8").split("\n") if ln.startswith("# rules:")
    )
    names = header.removeprefix("# rules:").split()
    return Ruler(rule for rule in RULES if rule.name in names)


def lines_of(text: str) -> list[RawLine]:
    return split_bullets(source_lines(text), [])


CASES = [
    pytest.param(path, text, expected, id=f"{path.stem}:{title[:40]}")
    for path in sorted(FIXTURES.glob("*.txt"))
    for title, text, expected in read_cases(path)
]


def test_every_rule_has_fixtures() -> None:
    assert {p.stem for p in FIXTURES.glob("*.txt")} >= set(BY_NAME)


@pytest.mark.parametrize(("path", "text", "expected"), CASES)
def test_rule_case(path: Path, text: str, expected: list[str]) -> None:
    nodes, _diagnostics = ruler_for(path).build(lines_of(text))
    assert node_outline(nodes) == expected


def _state_after(text: str) -> BlockState:
    ruler = Ruler(RULES)
    state = BlockState(ruler)
    for ln in lines_of(text):
        ruler.feed(state, ln)
    return state


def _line(text: str, ended: bool) -> Line:
    return Line(RawLine(text, 99, 1), classify(text), ended)


def test_article_rule_declines_an_unexpected_number_mid_sentence() -> None:
    state = _state_after("第1条 本文です。\n")
    assert not BY_NAME["article"].fn(state, _line("第7条 乙の定めによる。", ended=False))
    assert [n.id for n in state.nodes] == ["art_1", "art_1__para_1"]
    assert BY_NAME["article"].fn(state, _line("第2条 次の条です。", ended=False))
    assert state.article is not None and state.article.id == "art_2"


def test_paragraph_rule_declines_a_number_of_years_unless_it_fits() -> None:
    state = _state_after("第1条 本文です。\n")
    assert not BY_NAME["paragraph"].fn(state, _line("3 年以内とする。", ended=True))
    assert BY_NAME["paragraph"].fn(state, _line("2 年額の料金とする。", ended=True))
    assert state.nodes[-1].id == "art_1__para_2"


def test_subheading_rule_only_inside_an_appendix() -> None:
    state = _state_after("第1条 本文です。\n")
    assert not BY_NAME["subheading"].fn(state, _line("【概要】", ended=True))
    state = _state_after("別紙1 料金表\n")
    assert BY_NAME["subheading"].fn(state, _line("【概要】", ended=True))
    assert state.nodes[-1].id == "bessi_1__item_1"


def test_a_new_rule_can_be_inserted_before_another() -> None:
    """A rule added with ``before`` sees the lines of its kinds first (as 11b's would)."""
    taken: list[str] = []

    def deleted(state: BlockState, line: Line) -> bool:
        if line.raw.text.endswith("削除"):
            taken.append(line.raw.text)
            return True
        return False

    ruler = Ruler(RULES)
    ruler.before("article", Rule("deleted", deleted, frozenset({"article"})))
    nodes, _ = ruler.build(lines_of("第1条 本文です。\n第2条 削除\n第3条 本文です。\n"))
    assert taken == ["第2条 削除"]
    assert [n.id for n in nodes] == ["art_1", "art_1__para_1", "art_3", "art_3__para_1"]
    assert [n.id for n in build(lines_of("第2条 削除\n"))[0]] == ["art_2"]  # default unchanged
