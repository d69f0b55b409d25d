"""Word-level inline diff, the change list, and the 新旧対照表 renderings."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import openpyxl
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from versions.cli import main
from versions.history.diff import inline_diff

PAIR = ["toreru-camera@2023-12-01", "toreru-camera@2024-10-01"]


def test_inline_diff_is_word_level_and_ignores_layout() -> None:
    edits = inline_diff("6か月以内で当社が定める期間", "3か月以内で当社が定める期間")
    changed = [(e.old, e.new) for e in edits if e.op != "equal"]
    assert changed == [("6", "3")]
    assert inline_diff("解約希\n望日の 5 営業日前", "解約希望日の5営業日前")[0].op == "equal"
    edits = inline_diff("大阪地方裁判所を第一審", "大阪地方裁判所又は大阪簡易裁判所を第一審")
    assert [e.new for e in edits if e.op == "insert"] == ["又は大阪簡易裁判所"]
    assert "".join(e.new for e in edits) == "大阪地方裁判所又は大阪簡易裁判所を第一審"
    old = "".join(e.old for e in edits)
    assert old == "大阪地方裁判所を第一審"


def _json(args: list[str]) -> dict:
    result = CliRunner().invoke(main, ["diff", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_diff_json_on_constructed_pair() -> None:
    data = _json(PAIR)
    assert data["old"]["id"] == PAIR[0] and data["new"]["id"] == PAIR[1]
    by_new = {c["new"]: c for c in data["changes"] if c["new"]}
    assert by_new["art_12-2"]["type"] == "added" and by_new["art_12-2"]["old"] is None
    assert by_new["art_18"]["type"] == "deleted" and by_new["art_18"]["old"] == "art_18"
    assert by_new["art_20__para_2"]["type"] == "split"
    assert by_new["art_15__para_1"]["type"] == "merged"
    m25 = by_new["art_25__para_1"]
    assert m25["type"] == "modified"
    assert [(e["old"], e["new"]) for e in m25["edits"] if e["op"] != "equal"] == [("6", "3")]
    assert all(c["type"] != "unchanged" for c in data["changes"])
    # the paragraphs of the added article are part of its change, not separate rows
    assert "art_12-2__para_1" not in by_new


def test_diff_statutes_lists_renumbering() -> None:
    data = _json(["kojin-joho-hogo-ho@2015-12-01", "kojin-joho-hogo-ho@2025-06-01"])
    pairs = {(c["old"], c["new"]) for c in data["changes"] if c["type"] == "renumbered"}
    assert ("art_15", "art_17") in pairs and ("art_23", "art_27") in pairs


def test_diff_identical_bodies_has_only_the_new_supplement() -> None:
    data = _json(["kojin-joho-hogo-ho@2012-12-01", "kojin-joho-hogo-ho@2015-12-01"])
    assert [c["new"] for c in data["changes"]] == ["suppl_5"]


def test_markdown_has_columns_and_underlines() -> None:
    result = CliRunner().invoke(main, ["diff", *PAIR])
    assert result.exit_code == 0
    assert "| 改正後 | 改正前 |" in result.output
    assert "<u>3</u>" in result.output and "（新設）" in result.output and "（略）" in result.output
    swapped = CliRunner().invoke(main, ["diff", *PAIR, "--old-first"])
    assert "| 改正前 | 改正後 |" in swapped.output


def test_html_escapes_document_text(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("第1条（目的）\n本規約は<b>旧</b>とします。\n", encoding="utf-8")
    b.write_text("第1条（目的）\n本規約は<script>alert(1)</script>とします。\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(a), str(b), "--format", "html"])
    assert result.exit_code == 0
    assert "<script>" not in result.output and "</script>" not in result.output
    assert "script" in result.output and "&lt;" in result.output


def test_xlsx_has_underlined_runs(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    result = CliRunner().invoke(main, ["diff", *PAIR, "-f", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(io.BytesIO(out.read_bytes()), rich_text=True)
    ws = wb.active
    assert [c.value for c in ws[2]] == ["改正後", "改正前"]
    underlined = [
        str(block.text)
        for row in ws.iter_rows(min_row=3)
        for cell in row
        if hasattr(cell.value, "__iter__") and not isinstance(cell.value, str)
        for block in cell.value
        if hasattr(block, "font") and block.font.u == "single"
    ]
    assert "3" in underlined and "6" in underlined


def test_docx_has_underlined_runs(tmp_path: Path) -> None:
    out = tmp_path / "t.docx"
    result = CliRunner().invoke(main, ["diff", *PAIR, "-f", "docx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    d = docx.Document(str(out))
    table = d.tables[0]
    assert table.rows[0].cells[0].text == "改正後"
    runs = [r for row in table.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert any(r.underline and "大阪簡易" in r.text for r in runs)
    assert any(r.underline is False and "合意管轄裁判所" in r.text for r in runs)


def test_bad_spec_exits_2() -> None:
    result = CliRunner().invoke(main, ["diff", "nosuch@2020-01-01", "x.txt"])
    assert result.exit_code == 2 and "Traceback" not in result.output


@given(
    st.lists(st.sampled_from(["当社", "は", "契約者", "の", "規定", "に", "基づき", " ", "\n"])),
    st.lists(st.sampled_from(["当社", "は", "契約者", "の", "規定", "に", "基づき", "又は"])),
)
@settings(max_examples=60, deadline=None)
def test_inline_diff_gives_both_texts_back(a: list[str], b: list[str]) -> None:
    old, new = "".join(a), "".join(b)
    edits = inline_diff(old, new)
    assert "".join(e.old for e in edits) == old
    assert "".join(e.new for e in edits) == new
    assert all(e.old == "" for e in edits if e.op == "insert")
    assert all(e.new == "" for e in edits if e.op == "delete")


def test_statute_wording_changes_are_word_edits() -> None:
    """消費者契約法 2015 → 2025 (laws README): かんがみ → 鑑み, 禁錮 → 拘禁刑, 第四条 grows."""
    data = _json(["shohisha-keiyaku-ho@2015-12-01", "shohisha-keiyaku-ho@2025-06-01"])
    edits = {
        (e["old"], e["new"]) for c in data["changes"] for e in c["edits"] if e["op"] == "replace"
    }
    assert ("かんがみ", "鑑み") in edits and ("禁錮", "拘禁刑") in edits
    moves = {(c["old"], c["new"]) for c in data["changes"] if c["type"] == "renumbered"}
    assert ("art_4__para_4", "art_4__para_5") in moves  # a paragraph inserted before it
    added = {c["new"] for c in data["changes"] if c["type"] == "added"}
    assert {"art_6-2", "art_8-2", "art_8-3", "art_12-3"} <= added
    assert {f"art_4__para_3__item_{i}" for i in range(3, 11)} <= added  # 2 → 10 items


def test_deleted_placeholder_does_not_repeat_the_old_heading() -> None:
    # 第18条 became 「第18条 削除」: the old cell gave its heading twice (bold, then underlined).
    result = CliRunner().invoke(main, ["diff", *PAIR])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "<u>削除</u>" in line)
    old_cell = row.split(" | ")[1]
    assert old_cell.count("提供するプラン及びタイプの変更") == 1
    assert "<u>契約者は、お客様用意型から" in old_cell


def test_unwritable_output_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    for fmt in ("md", "xlsx"):
        target = tmp_path / "no-such-folder" / f"taiyo.{fmt}"
        result = CliRunner().invoke(main, ["diff", *PAIR, "-f", fmt, "-o", str(target)])
        assert result.exit_code == 2
        assert result.stderr == f"yakkan: {target}: cannot write: No such file or directory\n"
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_directory_argument_is_named_as_such(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["diff", str(tmp_path), PAIR[1]])
    assert result.exit_code == 2
    assert result.stderr == f"yakkan: {tmp_path}: is a directory, not a document file\n"


def test_reversed_pair_is_swapped_with_a_warning() -> None:
    result = CliRunner().invoke(main, ["diff", PAIR[1], PAIR[0], "--format", "json"])
    assert result.exit_code == 0
    assert "is newer than" in result.stderr
    data = json.loads(result.stdout)
    assert data["old"]["id"] == PAIR[0] and data["new"]["id"] == PAIR[1]


def test_title_comes_from_the_corpus_metadata() -> None:
    result = CliRunner().invoke(main, ["diff", *PAIR])
    first = result.stdout.splitlines()[0]
    assert first == "# 新旧対照表 — 「クラウド型カメラとれ～る」利用規約　2023-12-01 → 2024-10-01"
