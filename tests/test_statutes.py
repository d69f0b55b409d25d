"""The two real statutes at three dates: counts from the statute README and 目次 ranges."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from extract.model import ParsedDocument
from extract.numerals import branch_number
from extract.parse import parse_bytes

ROOT = Path(__file__).resolve().parent.parent / "corpus"

# (file, main-provision articles, 附則 blocks, 附則 articles) from the statute README's table.
COUNTS = [
    ("shohisha-keiyaku-ho/2012-12-01.txt", 55, 9, 5),
    ("shohisha-keiyaku-ho/2015-12-01.txt", 55, 13, 12),
    ("shohisha-keiyaku-ho/2025-06-01.txt", 61, 22, 38),
    ("kojin-joho-hogo-ho/2012-12-01.txt", 59, 4, 13),
    ("kojin-joho-hogo-ho/2015-12-01.txt", 59, 5, 25),
    ("kojin-joho-hogo-ho/2025-06-01.txt", 185, 18, 57),
]
_RANGE = re.compile(r"^(第.+?[章節款])[　 ].*（(.+)）$")
_ARTICLE = re.compile(r"第([一二三四五六七八九十百]+)条((?:の[一二三四五六七八九十]+)*)")


@cache
def parsed(rel: str) -> ParsedDocument:
    return parse_bytes((ROOT / rel).read_bytes(), rel)


@pytest.mark.parametrize(("rel", "articles", "blocks", "suppl_articles"), COUNTS)
def test_counts_match_the_readme(rel: str, articles: int, blocks: int, suppl_articles: int) -> None:
    doc = parsed(rel)
    kinds = [(n.kind, n.id) for n in doc.nodes]
    assert sum(k == "article" and i.startswith("art_") for k, i in kinds) == articles
    assert sum(k == "supplement" for k, _ in kinds) == blocks
    assert sum(k == "article" and i.startswith("suppl_") for k, i in kinds) == suppl_articles
    assert not [d for d in doc.diagnostics if d.code == "duplicate-id"]
    assert not [d for d in doc.diagnostics if d.code == "paragraph-out-of-order"]


def _article_num(text: str) -> str:
    m = _ARTICLE.fullmatch(text)
    assert m, text
    return branch_number(m.group(1), re.findall(r"[一二三四五六七八九十]+", m.group(2))) or ""


@pytest.mark.parametrize("rel", [c[0] for c in COUNTS])
def test_divisions_hold_the_article_ranges_of_the_toc(rel: str) -> None:
    """Each 章/節/款 in the tree holds exactly the article range its 目次 entry names."""
    doc = parsed(rel)
    toc = [a.text for a in doc.artefacts if a.kind == "toc" and a.text.startswith("第")]
    divisions = [n for n in doc.nodes if n.kind in ("chapter", "section", "subsection")]
    assert len(toc) == len(divisions)
    checked = 0
    order = iter(divisions)  # the divisions in document order, each paired with its 目次 line
    for line in toc:
        m = _RANGE.match(line)
        node = next(order)
        assert line.startswith(node.label), (line, node.label)
        if m is None:
            continue
        ends = re.split(r"[―・]", m.group(2))
        first, last = _article_num(ends[0]), _article_num(ends[-1])
        inside = [
            a.num
            for a in doc.nodes
            if a.kind == "article" and a.id.startswith("art_") and _within(doc, a.parent, node.id)
        ]
        assert (inside[0], inside[-1]) == (first, last), line
        checked += 1
    assert checked >= 5


def _within(doc: ParsedDocument, parent: str | None, division: str) -> bool:
    while parent is not None:
        if parent == division:
            return True
        node = doc.node(parent)
        parent = node.parent if node else None
    return False


def test_2015_main_provision_is_identical_to_2012() -> None:
    """個人情報保護法 2015 only adds a 附則 block (README)."""

    def body(doc: ParsedDocument) -> list[tuple[str, str]]:
        return [(n.id, n.text) for n in doc.nodes if not n.id.startswith(("suppl_", "preamble"))]

    old, new = (
        parsed("kojin-joho-hogo-ho/2012-12-01.txt"),
        parsed("kojin-joho-hogo-ho/2015-12-01.txt"),
    )
    assert body(old) == body(new)


def test_shohisha_2025_article_4_structure() -> None:
    doc = parsed("shohisha-keiyaku-ho/2025-06-01.txt")
    paras = [n for n in doc.nodes if n.parent == "art_4"]
    assert [n.id for n in paras] == [f"art_4__para_{k}" for k in range(1, 7)]
    items = [n for n in doc.nodes if n.parent == "art_4__para_3"]
    assert [n.label for n in items] == ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
    subs = [n for n in doc.nodes if n.parent == "art_4__para_3__item_5"]
    assert [(n.id, n.num) for n in subs] == [
        ("art_4__para_3__item_5__sub_1", "イ"),
        ("art_4__para_3__item_5__sub_2", "ロ"),
    ]


def test_supplement_labels_captions_and_inner_articles() -> None:
    doc = parsed("shohisha-keiyaku-ho/2025-06-01.txt")
    suppl = [n for n in doc.nodes if n.kind == "supplement"]
    assert suppl[0].label == "附　則" and suppl[0].caption is None
    assert suppl[1].caption == "平成一三年一一月二八日法律第一二九号" and suppl[1].text == "抄"
    inner = [n for n in doc.nodes if n.kind == "article" and n.id.startswith("suppl_")]
    assert all(n.parent and n.parent.startswith("suppl_") for n in inner)
    assert all("__art_" in n.id for n in inner)


def test_kojin_2025_tables_and_appendices() -> None:
    doc = parsed("kojin-joho-hogo-ho/2025-06-01.txt")
    rows = [n for n in doc.nodes if n.parent == "art_106__para_2" and n.kind == "table_row"]
    assert len(rows) >= 20
    assert rows[0].text.startswith("第九条第四項\t")
    assert rows[1].text.startswith("\t")  # empty first cell: continues the row above
    tables = [(n.id, n.label, n.caption) for n in doc.nodes if n.kind == "appendix"]
    assert tables == [
        ("beppyo_1", "別表第一", "第二条関係"),
        ("beppyo_2", "別表第二", "第二条、第五十八条関係"),
    ]
    first = [n.text for n in doc.nodes if n.parent == "beppyo_1"]
    assert first[0] == "名称\t根拠法"
    captions = {n.id: n.caption for n in doc.nodes if n.id in ("art_2", "art_16", "art_60")}
    assert captions == {"art_2": "定義", "art_16": "定義", "art_60": "定義"}
