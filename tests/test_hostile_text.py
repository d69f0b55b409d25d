"""Hostile text inside a real document: numerals thousands of digits long, control characters.
The parser keeps every character and the exports still open."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from extract.parse import lossless_problems, parse_bytes
from versions.cli import main
from versions.sources.corpus import find_version

N, K = "9" * 5000, "九" * 5000
HUGE = [
    f"第{N}条（大きい番号）",
    f"本文。第{N}条、第{K}条及び第1条第{N}項第{N}号を参照。前条第{N}項。",
    f"{N} 大きい項番号の本文。",
    f"（{N}）大きい号",
    f"第{K}条",
    "本文。",
    f"第1条の{N}（枝番号）",
    "本文。",
    f"第{N}章 大きい章",
    f"別紙{N}",
    f"別表第{K}",
    f"この規約は、令和{K}年{K}月{K}日から施行する。{N}年{N}月{N}日。",
    f"第五条から第{K}条まで　削除",
]


def real_text() -> str:
    return find_version("dokodemo-merec").file.read_text(encoding="utf-8")


@pytest.mark.parametrize("where", ["middle", "end"])
def test_numerals_thousands_of_digits_long_are_text(where: str) -> None:
    lines = real_text().splitlines()
    at = len(lines) // 2 if where == "middle" else len(lines)
    text = "\n".join(lines[:at] + HUGE + lines[at:]) + "\n"
    doc = parse_bytes(text.encode(), "huge.txt", "text")
    assert lossless_problems(text, doc) == []
    assert any(N in n.text or N in n.label for n in doc.nodes)
    assert len([n for n in doc.nodes if n.kind == "article"]) > 30  # the real articles survive


def test_a_huge_numeral_in_markdown_and_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    path.write_text("# 規約\n\n" + "\n".join(HUGE) + f"\n\n{N}. 番号\n- 箇条\n", encoding="utf-8")
    for args in (["parse", str(path), "-f", "json"], ["check", str(path)]):
        result = CliRunner().invoke(main, args)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "internal error" not in result.stderr, result.stderr
    assert CliRunner().invoke(main, ["parse", str(path), "-f", "json"]).exit_code == 0


CONTROLS = "\x1b\x07\x0b\x0c\x1f"


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_control_characters_do_not_break_the_office_exports(tmp_path: Path, fmt: str) -> None:
    text = real_text()
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text(text, encoding="utf-8")
    body = "エヌ・ティ・ティ・レンタル"  # the first words of 第1条
    new.write_text(text.replace(body, body[:3] + CONTROLS + body[3:], 1), encoding="utf-8")
    out = tmp_path / f"taiyo.{fmt}"
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "-f", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    cells = office_text(out.read_bytes(), fmt)
    marked = body[:3] + "\ufffd" * len(CONTROLS) + body[3:]
    assert marked in cells and body in cells  # 改正後 marked where the controls were; 改正前 as is
    assert not any(c in cells for c in CONTROLS)


def office_text(data: bytes, fmt: str) -> str:
    if fmt == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(data), rich_text=True).active
        return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    from docx import Document

    doc = Document(io.BytesIO(data))
    return "\n".join(p.text for t in doc.tables for c in t._cells for p in c.paragraphs)


def test_a_clause_longer_than_the_tokenizer_takes_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SudachiPy refuses more than 49,149 bytes at once; one 別表 paragraph can be longer.
    import sqlite3

    from test_build import small_corpus

    from extract.facts import text_facts
    from versions.kb import build as kb
    from versions.kb import embeddings

    sentence = "契約者は、料金月額表に定める料金を支払わなければならない。"
    long = sentence * 1000  # 29,000 characters, 87,000 bytes, no line break
    facts = text_facts("bessi_9", long)
    assert [f.kind for f in facts] == ["obligation"] * 1000
    last = facts[-1]  # offsets into the whole text: the last 「なければならない」 before 。
    assert last.end == len(long) - 1 and long[last.start : last.end] == last.surface
    corpus = small_corpus(tmp_path, ("vectant-closed-ip-smart",))
    path = next((corpus / "vectant-closed-ip-smart").glob("*.md"))
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n別表9\n\n{long}\n", encoding="utf-8")
    db = tmp_path / "kb.db"
    monkeypatch.setenv(embeddings.ENV_VAR, "none")  # the facts step is the one at stake
    kb.build(corpus, db)
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute("select count(*) from nodes where length(text) >= 29000").fetchone()
        facts_rows = conn.execute("select count(*) from clause_facts").fetchone()[0]
    assert count == 1 and facts_rows > 1000
