"""Statute forms the corpus statutes do not show, in the e-Gov plain-text layout
(tests/fixtures/statutes/): ranges deleted in one line, a 目次 ending in 附則, an article
whose sentence begins with 中, and references into deleted ranges."""

from __future__ import annotations

from pathlib import Path

from extract.blocks.article import printed_label
from extract.model import Node
from extract.numerals import int_to_kanji
from extract.parse import parse_bytes
from extract.references import find_citations
from extract.resolve import Resolver
from extract.structure import classify

FIXTURES = Path(__file__).parent / "fixtures" / "statutes"


def _doc():  # type: ignore[no-untyped-def]
    path = FIXTURES / "deleted-ranges.txt"
    return parse_bytes(path.read_bytes(), str(path))


def test_every_number_of_a_range_deleted_in_one_line_is_an_article() -> None:
    doc = _doc()
    main = [n.num for n in doc.nodes if n.kind == "article" and n.id.startswith("art_")]
    assert main == [str(n) for n in range(1, 15)]  # the 目次 says 第一条―第十四条
    first = doc.node("art_5")
    assert first is not None and (first.label, first.text) == ("第五条から第八条まで", "削除")
    assert [doc.node(f"art_{n}").parent for n in (6, 7, 8)] == ["chp_2"] * 3  # type: ignore[union-attr]
    suppl = [n.id for n in doc.nodes if n.kind == "article" and n.id.startswith("suppl_1__")]
    assert suppl == [f"suppl_1__art_{n}" for n in (1, 2, 3, 4)]
    assert not [d for d in doc.diagnostics if "skipped" in d.code or "toc-" in d.code]


def test_articles_of_a_deleted_range_carry_their_printed_label() -> None:
    doc = _doc()
    labels = [doc.node(f"art_{n}").label for n in (6, 7, 8, 12)]  # type: ignore[union-attr]
    assert labels == ["第六条", "第七条", "第八条", "第十二条"]
    assert doc.node("suppl_1__art_3").label == "第三条"  # type: ignore[union-attr]
    # so messages name them as printed, not " has no 第3項"
    query = Node("__label__", "paragraph", None, "", None, "第七条第三項", None, 0, 0)
    ref = Resolver(doc.nodes).resolve(find_citations(query)[0], query)
    assert (ref.status, ref.message) == ("broken", "第七条 has no 第3項")
    assert printed_label("第55条から第63条まで", "58") == "第58条"
    assert printed_label("第十条の二から第十条の五まで", "10-3") == "第十条の三"
    assert [int_to_kanji(n) for n in (10, 58, 101, 1044)] == ["十", "五十八", "百一", "千四十四"]


def test_references_into_a_deleted_range_resolve() -> None:
    refs = {(r.text, r.source): r for r in _doc().references}
    ref = refs[("第七条", "art_13__para_1__item_1")]
    assert (ref.target, ref.status) == ("art_7", "ok")


def test_items_deleted_in_one_line() -> None:
    doc = _doc()
    items = [(n.id[len("art_13__para_1__") :], n.label, n.text) for n in doc.nodes
             if n.parent == "art_13__para_1"]  # fmt: skip
    assert [i for i, _, _ in items] == [f"item_{k}" for k in range(1, 8)]
    assert items[1][1:] == ("二から四まで", "削除") and items[2][1:] == ("三", "")
    assert items[5][1:] == ("六及び七", "削除") and items[6][1:] == ("七", "")
    assert not [d for d in doc.diagnostics if d.code.startswith("item-")]


def test_a_toc_ending_in_fusoku_is_not_a_supplement() -> None:
    doc = _doc()
    assert [n.line for n in doc.nodes if n.kind == "supplement"] == [50, 57]


def test_an_article_beginning_with_naka_is_kept() -> None:
    doc = _doc()
    art4 = [n.text for n in doc.nodes if n.parent == "art_4"]
    assert art4[0].startswith("中学主任は") and len(art4) == 3
    assert classify("第20条 中途解約の場合は、残余期間の料金を支払う。").kind == "article"
    assert classify("第四条中「甲」を「乙」に改める。").kind == "text"
    assert classify("第四条 中「甲」を「乙」に改める。").kind == "text"


def test_previous_article_paragraph() -> None:
    refs = {(r.text, r.source): r for r in _doc().references}
    assert refs[("前条第三項", "art_10__para_1")].target == "art_9__para_3"
    # 「前条第二項本文及び第三項」: 第三項 is still 前条's (行政手続法 第二十五条 prints this)
    assert refs[("第三項", "art_10__para_3")].target == "art_9__para_3"


def test_the_statute_checks_clean() -> None:
    doc = _doc()
    assert [r.text for r in doc.references if r.status != "ok"] == []
    assert [d.message for d in doc.diagnostics if d.level != "info"] == []
    assert doc.supplements[1].effective == "2022-06-17"  # 公布の日, from the heading


def test_a_toc_of_parts_whose_chapters_restart_ends_where_the_body_begins() -> None:
    """民法's layout: 第一編 and 第二編 each have a 第一章; the 目次 ends in 附則."""
    path = FIXTURES / "toc-with-parts.txt"
    doc = parse_bytes(path.read_bytes(), str(path))
    main = [n.num for n in doc.nodes if n.kind == "article" and n.id.startswith("art_")]
    assert main == ["1", "2", "3", "4", "5"]
    assert [n.line for n in doc.nodes if n.kind == "supplement"] == [32]
    assert len([a for a in doc.artefacts if a.kind == "toc"]) == 7
    assert not [d for d in doc.diagnostics if d.code == "duplicate-id"]
    # 編 is the level above 章: each 編's 第一章 is its own
    divisions = [(n.id, n.parent) for n in doc.nodes if n.kind in ("part", "chapter")]
    assert divisions == [("part_1", None), ("part_1__chp_1", "part_1"), ("part_1__chp_2", "part_1"),
                         ("part_2", None), ("part_2__chp_1", "part_2")]  # fmt: skip
