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
