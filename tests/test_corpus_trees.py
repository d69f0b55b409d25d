"""Clause trees of the real corpus documents.

The article lists in tests/fixtures/trees/*.articles.tsv were extracted with a separate plain
regex (not the parser), checked against the 目次 of gigaraku-wifi-ap and the statute README's
counts, and read against the documents.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from extract.model import Node, ParsedDocument
from extract.parse import lossless_problems, parse_bytes
from versions.sources.corpus import load_corpus

ROOT = Path(__file__).resolve().parent.parent
TREES = Path(__file__).parent / "fixtures" / "trees"
ALL_VERSIONS = [v for d in load_corpus(ROOT / "corpus") for v in d.versions]


@cache
def parsed(rel: str) -> ParsedDocument:
    path = ROOT / rel
    return parse_bytes(path.read_bytes(), str(path))


def children(doc: ParsedDocument, node_id: str, kind: str | None = None) -> list[Node]:
    return [n for n in doc.nodes if n.parent == node_id and (kind is None or n.kind == kind)]


def main_articles(doc: ParsedDocument) -> list[str]:
    return [
        f"{n.num}\t{n.caption or '-'}"
        for n in doc.nodes
        if n.kind == "article" and n.id.startswith("art_")
    ]


@pytest.mark.parametrize("fixture", sorted(TREES.glob("*.articles.tsv")), ids=lambda p: p.stem)
def test_article_numbers_and_captions(fixture: Path) -> None:
    doc_id, version = fixture.name.removesuffix(".articles.tsv").split("@")
    source = next((ROOT / "corpus" / doc_id).glob(f"{version}.*"))
    doc = parsed(str(source.relative_to(ROOT)))
    assert main_articles(doc) == fixture.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=lambda v: v.key)
def test_every_corpus_version_is_lossless(version) -> None:  # type: ignore[no-untyped-def]
    data = version.file.read_bytes()
    doc = parse_bytes(data, str(version.file))
    assert lossless_problems(data.decode("utf-8-sig"), doc) == []
    ids = [n.id for n in doc.nodes]
    assert len(ids) == len(set(ids))
    assert all(n.id.isascii() for n in doc.nodes)
    known = set(ids)
    assert all(n.parent is None or n.parent in known for n in doc.nodes)


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=lambda v: v.key)
def test_segments_point_at_source_lines(version) -> None:  # type: ignore[no-untyped-def]
    text = version.file.read_text(encoding="utf-8-sig")
    lines = text.split("\n")
    doc = parse_bytes(version.file.read_bytes(), str(version.file))
    for node in doc.nodes:
        ends = [s[0] for s in node.segments[1:]] + [len(node.text)] if node.segments else []
        for (offset, line, col), end in zip(node.segments, ends, strict=True):
            piece = node.text[offset:end].strip("\t\n ").split("\t")[0]
            assert lines[line - 1][col - 1 :].lstrip("\t").startswith(piece[:6]), (node.id, line)
        assert node.line <= node.end_line


def test_toreru_skipped_article_34_is_reported() -> None:
    doc = parsed("corpus/toreru-camera/2023-12-01.txt")
    skipped = [d for d in doc.diagnostics if d.code == "skipped-article-number"]
    assert [d.line for d in skipped] == [853]
    assert "34" in skipped[0].message
    assert doc.node("art_34") is None and doc.node("art_35") is not None


def test_toreru_paragraphs_items_and_subitems() -> None:
    doc = parsed("corpus/toreru-camera/2023-12-01.txt")
    assert [n.id for n in children(doc, "art_9")] == [
        "art_9__para_1",
        "art_9__para_2",
        "art_9__para_3",
    ]
    items = children(doc, "art_9__para_2", "item")
    assert [n.label for n in items] == ["(1)", "(2)", "(3)", "(4)", "(5)"]
    assert items[2].text.startswith("フレッツ 光ネクスト/クロス/ライト契約者")
    subs = children(doc, "art_21__para_1__item_4", "subitem")
    assert [n.label for n in subs] == ["ⅰ", "ⅱ", "ⅲ", "ⅳ", "ⅴ"]
    # 第38条 starts with a cross-reference: it is text, not an article heading
    assert doc.node("art_38__para_1").text.startswith("第30条（利用料金の支払義務）の規定")


def test_toreru_definition_table_rows() -> None:
    doc = parsed("corpus/toreru-camera/2023-12-01.txt")
    rows = children(doc, "art_3__para_1", "table_row")
    assert rows[0].text == "用語\t用語の意味"
    assert rows[1].text == "本契約\t当社から本サービスの提供を受けるための契約。"
    assert rows[5].text.startswith("インターネット接続回線\t")
    assert all("\t" in r.text for r in rows)


def test_toreru_supplements_and_appendices() -> None:
    doc = parsed("corpus/toreru-camera/2023-12-01.txt")
    suppl = [n for n in doc.nodes if n.kind == "supplement"]
    assert [n.id for n in suppl] == [f"suppl_{k}" for k in range(1, 10)]
    assert suppl[0].label == "附則" and suppl[0].caption == "2019年 12月 20日 西デザ S000195 号"
    arts = children(doc, "suppl_6", "article")
    assert [(n.id, n.caption) for n in arts] == [
        ("suppl_6__art_1", "実施期日"),
        ("suppl_6__art_2", "経過措置"),
    ]
    assert doc.node("suppl_1__para_1").caption == "実施期日"
    appendices = [(n.id, n.caption) for n in doc.nodes if n.kind == "appendix"]
    assert [a[0] for a in appendices] == [f"bessi_{k}" for k in range(1, 11)]
    assert appendices[0][1] == "提供時間" and appendices[9][1] == "最低利用期間"


def test_gigaraku_toc_is_an_artefact_and_branch_articles() -> None:
    doc = parsed("corpus/gigaraku-wifi-ap/2025-10-31.txt")
    toc = [a for a in doc.artefacts if a.kind == "toc"]
    assert toc[0].text == "目次" and len(toc) >= 60
    first_article = doc.node("art_1")
    assert first_article.line > max(a.line for a in toc)
    assert doc.title == "「ギガらくWi-Fi」APお買上げタイプ利用規約"
    assert [a.kind for a in doc.artefacts if a.line < toc[0].line] == ["title", "version_label"]
    assert doc.node("art_27-2").caption == "工事費の支払義務"
    assert doc.node("art_36-2").label == "第 36 条の 2"
    circled = children(doc, "art_2__para_3", "item")
    assert [n.label for n in circled] == ["①", "②", "③", "④"]
    assert len([n for n in doc.nodes if n.kind == "supplement"]) == 25
    assert len(children(doc, "art_3__para_1", "table_row")) == 16


def test_itkeeper_fullwidth_numbering() -> None:
    doc = parsed("corpus/itkeeper-remote-network/published.txt")
    paras = children(doc, "art_1", "paragraph")
    assert [n.label for n in paras] == ["１．", "２．", "３．"]
    items = children(doc, "art_11__para_1", "item")
    assert [n.num for n in items] == [str(k) for k in range(1, 11)]
    assert not [n for n in doc.nodes if n.kind == "supplement"]
    assert [(n.id, n.caption) for n in doc.nodes if n.kind == "appendix"] == [
        ("bessi_1", "本サービス提供内容"),
        ("bessi_2", "サポート対象ソフトウェア・サポート動作環境"),
    ]
    assert [n.text for n in children(doc, "bessi_1", "item")][:2] == [
        "【Ⅰ．ハードウェア提供】",
        "【Ⅱ．UTM プラン、Ⅲ.ルータープラン】",
    ]


def test_dokodemo_chapters_and_supplements() -> None:
    doc = parsed("corpus/dokodemo-merec/2023-09-19.txt")
    chapters = [(n.id, n.label, n.caption) for n in doc.nodes if n.kind == "chapter"]
    assert len(chapters) == 9
    assert chapters[2] == ("chp_3", "第３ 章", "契約")
    assert doc.node("art_4").parent == "chp_2"
    suppl = [n for n in doc.nodes if n.kind == "supplement"]
    assert len(suppl) == 8 and {n.label for n in suppl} == {"附 則"}
    assert [n.id for n in doc.nodes if n.kind == "appendix"] == [f"bessi_{k}" for k in range(1, 7)]


def test_vectant_markdown() -> None:
    doc = parsed("corpus/vectant-closed-ip-smart/2017-07-17.md")
    assert doc.source.format == "markdown"
    assert doc.title == "VECTANT クローズド IP ネットワーク Smart 利用規約"
    assert doc.node("art_4").parent == "chp_2__sec_1"
    bullets = children(doc, "art_1", "paragraph")
    assert [n.id for n in bullets] == ["art_1__para_1", "art_1__para_2", "art_1__para_3"]
    ordered = children(doc, "art_19", "paragraph")
    assert [n.label for n in ordered] == ["1.", "2.", "3."]
    assert doc.node("suppl_1").label == "付則"
    assert doc.node("suppl_1__para_1").text == "2017年7月17日施行"
    assert doc.node("bekki_1").label == "別記"
    rows = [n for n in doc.nodes if n.kind == "table_row" and n.id.startswith("bekki_1")]
    assert rows[0].text == "サービス名称\t概要"


def test_gigaraku_contents_agree_with_the_body() -> None:
    doc = parsed("corpus/gigaraku-wifi-ap/2025-10-31.txt")
    assert not [d for d in doc.diagnostics if d.code.startswith("toc-")]


def test_markdown_is_detected_by_suffix_or_headings() -> None:
    from extract.parse import detect_format

    md = (ROOT / "corpus/vectant-closed-ip-smart/2017-07-17.md").read_text(encoding="utf-8")
    assert detect_format(md, "terms.md") == "markdown"
    assert detect_format(md, "terms.txt") == "markdown"  # ATX headings
    text = (ROOT / "corpus/toreru-camera/2023-12-01.txt").read_text(encoding="utf-8")
    assert detect_format(text, "terms.txt") == "text"
    assert parse_bytes(md.encode(), "terms.txt").source.format == "markdown"
