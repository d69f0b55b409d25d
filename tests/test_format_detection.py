"""Markdown is told by its content, not only by the file name (Markdown saved as .txt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.markdown import looks_like_markdown
from versions.sources.files import read_document

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "formats" / "markdown-saved-as.txt"


def test_markdown_saved_as_txt_is_read_as_markdown() -> None:
    doc = read_document(FIXTURE)
    assert doc.source.format == "markdown"
    articles = [n.id for n in doc.nodes if n.kind == "article"]
    assert articles == ["art_1", "art_2", "art_3", "art_4", "art_5"]
    assert [n.id for n in doc.nodes if n.parent == "art_3__para_2"] == [
        "art_3__para_2__item_1",
        "art_3__para_2__item_2",
    ]
    assert not any("#" in n.label + n.text for n in doc.nodes)  # heading markup is an artefact


def test_declared_format_wins() -> None:
    assert read_document(FIXTURE, "text").source.format == "text"


@pytest.mark.parametrize(
    "text",
    [
        "# 利用規約\n\n第1条 本規約は[本サービス](https://example.com)に適用する。\n",
        "**第1条（目的）**\n本規約は…\n\n**第2条（定義）**\n…\n\n**第3条（登録）**\n…\n",
        "| 用語 | 意味 |\n|---|---|\n| 当社 | 株式会社サンプル |\n",
    ],
)
def test_markdown_signals(text: str) -> None:
    assert looks_like_markdown(text)


@pytest.mark.parametrize(
    "text",
    [
        "利用規約\n\n第1条（目的）\n1. 本規約は…\n2. 当社は…\n- 一つ目\n- 二つ目\n",
        "第一条　この法律は、…を目的とする。\n２　前項の…\n　一　…\n",
        "# 別表第一（第三条関係）\n",  # one heading alone is not enough
    ],
)
def test_plain_text_is_not_markdown(text: str) -> None:
    assert not looks_like_markdown(text)


@pytest.mark.parametrize("path", sorted((ROOT / "corpus").glob("*/*.txt")), ids=str)
def test_corpus_plain_text_stays_plain_text(path: Path) -> None:
    assert not looks_like_markdown(path.read_text(encoding="utf-8"))


LAWTEXT = ROOT / "tests" / "fixtures" / "formats" / "keiryo-shiken-ho.law.txt"


@pytest.mark.parametrize("name", ["keiryo.law.txt", "keiryo.txt"])
def test_lawtext_by_name_or_layout(name: str) -> None:
    from extract.parse import parse_text

    doc = parse_text(LAWTEXT.read_text(encoding="utf-8"), name)
    assert doc.source.format == "lawtext"
    kinds = [(n.kind, n.id) for n in doc.nodes]
    assert [i for k, i in kinds if k == "article" and i.startswith("art_")] == [
        "art_1",
        "art_2",
        "art_3",
        "art_4",
        "art_5",
    ]
    deleted = doc.node("art_4")
    assert deleted is not None and deleted.text == "削除"
    assert [i for k, i in kinds if k == "chapter"] == ["chp_1", "chp_2"]
    assert [i for k, i in kinds if k == "supplement"] == ["suppl_1", "suppl_2"]  # not the 目次's
    assert [(n.id, n.caption) for n in doc.nodes if n.kind == "appendix"] == [
        ("beppyo_1", "第二条関係"),
        ("beppyo_2", "第三条関係"),
    ]
    subitems = [n.label for n in doc.nodes if n.parent == "art_2__para_2__item_2"]
    assert subitems == ["イ", "ロ"]
    s1, s2 = doc.supplements
    assert s1.effective_by is None  # the original 附則: no 公布 date printed
    assert (s2.enacted, s2.number, s2.effective) == ("2024-06-07", "法律第三十号", "2024-06-27")
    assert not [d for d in doc.diagnostics if d.level == "error"]


def test_lawtext_read_from_a_file() -> None:
    assert read_document(LAWTEXT).source.format == "lawtext"
    assert read_document(LAWTEXT, "text").source.format == "text"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "corpus").glob("*/*.*")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_e_gov_text_is_not_lawtext(path: Path) -> None:
    from extract.parse import looks_like_lawtext

    if path.suffix != ".toml":
        assert not looks_like_lawtext(path.read_text(encoding="utf-8"))
