"""Fact changes in diffs: a constructed amendment's new notice period and rate in the 新旧対照表
(JSON, Markdown, HTML), and a clause's facts over time (``yakkan history --facts``)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from versions.cli import main
from versions.sources.corpus import DEFAULT_CORPUS

SOURCE = DEFAULT_CORPUS / "gigaraku-wifi-ap" / "2026-04-01.txt"


def _amended(tmp_path: Path) -> tuple[Path, Path]:
    """The published-layout gigaraku text, and a copy whose 第24条 asks for 30 days' notice
    (was 10) and whose 延滞利息 is 年最大14.6% (was 14.5%)."""
    text = SOURCE.read_text(encoding="utf-8")
    assert text.count("解約希望日の 10 日前までに") == 1 and text.count("年最大 14.5%") == 1
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text(text, encoding="utf-8")
    amended = text.replace("解約希望日の 10 日前までに", "解約希望日の 30 日前までに")
    new.write_text(amended.replace("年最大 14.5%", "年最大 14.6%"), encoding="utf-8")
    return old, new


def _diff(old: Path, new: Path, fmt: str) -> str:
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--format", fmt])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_changed_notice_period_is_a_fact_change_in_the_json(tmp_path: Path) -> None:
    out = json.loads(_diff(*_amended(tmp_path), "json"))
    texts = {c["text"] for c in out["fact_changes"]}
    assert texts == {"期間 10日前まで → 30日前まで", "割合 年最大14.5% → 年最大14.6%"}
    period = next(c for c in out["fact_changes"] if c["kind"] == "period")
    assert (period["old"]["value"], period["new"]["value"]) == ("P10D", "P30D")
    assert period["new"]["unit"] == "before" and period["new"]["party"] == "契約者"
    assert period["op"] == "changed" and period["new"]["node"] == "art_24__para_1"
    # the note sits on the row of the article that changed
    rows = [r for r in out["table"]["rows"] if r["fact_changes"]]
    assert [r["new_ids"] for r in rows] == [["art_24"], ["art_29"]]
    rate = rows[1]["fact_changes"][0]
    assert (rate["old"]["value"], rate["new"]["value"]) == ("0.145", "0.146")


def test_the_taiyo_prints_the_fact_change_as_a_note(tmp_path: Path) -> None:
    old, new = _amended(tmp_path)
    md = _diff(old, new, "md")
    assert "| ※ 事実の変更: 期間 10日前まで → 30日前まで | |" in md.splitlines()
    html = _diff(old, new, "html")
    assert '<tr class="facts"><td colspan="2">※ 事実の変更: 期間 10日前まで → 30日前まで' in html


def test_an_unchanged_text_has_no_fact_changes(tmp_path: Path) -> None:
    old, _ = _amended(tmp_path)
    out = json.loads(_diff(old, old, "json"))
    assert out["fact_changes"] == []


def test_history_shows_a_facts_values_over_time() -> None:
    args = ["history", "toreru-camera", "第20条", "--facts"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    facts = [line for line in result.output.splitlines() if line.startswith("    facts:")]
    assert "期間 10日前まで (P10D before)" in facts[0]
    assert "期間 5営業日前まで (P5D business-day before)" in facts[1]
    out = json.loads(CliRunner().invoke(main, [*args, "--format", "json"]).output)
    periods = [[f["value"] for f in s["facts"] if f["kind"] == "period"] for s in out["timeline"]]
    assert periods[0] == ["P10D"] and periods[1][0] == "P5D"


def test_a_statute_amendment_lengthens_a_limitation_period() -> None:
    # 消費者契約法 第7条: 「六箇月間」→「一年間（…三年間）」, 「五年を経過」→「五年（…十年）を経過」
    from versions.history.align import align
    from versions.history.facts import fact_changes
    from versions.sources.loaded import open_version

    old = open_version("shohisha-keiyaku-ho@2015-12-01").parsed
    new = open_version("shohisha-keiyaku-ho@2025-06-01").parsed
    art7 = [
        c.text() for c in fact_changes(align(old, new)) if (c.new or c.old).node == "art_7__para_1"
    ]  # type: ignore[union-attr]
    assert art7 == [
        "期間 六箇月間 → 一年間",
        "期間 （なし） → 三年間",
        "期間 五年を経過 → 五年",
        "期間 （なし） → 十年",
    ]


def test_xlsx_and_docx_carry_the_note(tmp_path: Path) -> None:
    import io

    import docx
    import openpyxl

    old, new = _amended(tmp_path)
    for fmt in ("xlsx", "docx"):
        out = tmp_path / f"t.{fmt}"
        args = ["diff", str(old), str(new), "--format", fmt, "-o", str(out)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(io.BytesIO((tmp_path / "t.xlsx").read_bytes())).active
    notes = [c.value for r in ws.iter_rows() for c in r if str(c.value or "").startswith("※")]
    assert notes == [
        "※ 事実の変更: 期間 10日前まで → 30日前まで",
        "※ 事実の変更: 割合 年最大14.5% → 年最大14.6%",
    ]
    d = docx.Document(str(tmp_path / "t.docx"))
    texts = [row.cells[0].text for row in d.tables[0].rows]
    assert "※ 事実の変更: 期間 10日前まで → 30日前まで" in texts
