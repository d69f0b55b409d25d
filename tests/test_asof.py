"""yakkan asof: the version in force on a date, per-clause 附則 dates, dates before the first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from versions.cli import main
from versions.history.asof import BeforeFirstVersion, as_of
from versions.sources.corpus import DEFAULT_CORPUS, load_document


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["asof", *args])
    return result.exit_code, result.output


def test_version_in_force_is_the_latest_effective_on_the_date() -> None:
    doc = load_document(DEFAULT_CORPUS / "kojin-joho-hogo-ho")
    assert as_of(doc, "2016-01-01").version.key == "kojin-joho-hogo-ho@2015-12-01"
    assert as_of(doc, "2015-12-01").version.key == "kojin-joho-hogo-ho@2015-12-01"
    assert as_of(doc, "2015-11-30").version.key == "kojin-joho-hogo-ho@2012-12-01"


def test_per_clause_date_keeps_previous_text_until_then() -> None:
    # 附則 (2021-04-23): the version takes effect 2021-05-11, 第20条 only on 2021-05-17
    code, out = run("toreru-camera", "2021-05-14", "--clause", "art_20", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["version"]["id"] == "toreru-camera@2021-05-11"
    assert data["pending"] == [{"target": "art_20", "effective": "2021-05-17"}]
    para1 = next(n for n in data["nodes"] if n["id"] == "art_20__para_1")
    assert para1["from_version"] == "toreru-camera@2021-03-01"
    assert "10日前までに書面により" in para1["text"].replace("\n", "")
    code, out = run("toreru-camera", "2021-05-17", "--clause", "art_20", "--format", "json")
    para1 = next(n for n in json.loads(out)["nodes"] if n["id"] == "art_20__para_1")
    assert para1["from_version"] == "toreru-camera@2021-05-11"
    assert "5営業日前" in para1["text"].replace("\n", "")


def test_other_clauses_take_the_new_version_at_once() -> None:
    code, out = run("toreru-camera", "2024-12-01", "--clause", "第25条第1項", "--format", "json")
    assert code == 0
    node = json.loads(out)["nodes"][0]
    assert node["from_version"] == "toreru-camera@2024-10-01" and "3か月以内" in node["text"]
    code, out = run("toreru-camera", "2024-12-01", "--clause", "art_43__para_7", "-f", "json")
    node = json.loads(out)["nodes"][0]
    assert node["from_version"] == "toreru-camera@2023-12-01"  # 第43条 waits for 2025-01-01
    assert node["pending_until"] == "2025-01-01"


def test_before_first_version_is_a_clear_answer() -> None:
    code, out = run("toreru-camera", "2019-01-01")
    assert code == 1
    assert "no version in force on 2019-01-01" in out and "2021-03-01" in out
    with pytest.raises(BeforeFirstVersion):
        as_of(load_document(DEFAULT_CORPUS / "shohisha-keiyaku-ho"), "2000-01-01")


def test_bad_input() -> None:
    assert run("toreru-camera", "yesterday")[0] == 2
    assert run("no-such-doc", "2020-01-01")[0] == 2
    code, out = run("toreru-camera", "2024-01-01", "--clause", "art_999")
    assert code == 2 and "no clause" in out


def test_text_output_in_document_order_with_printed_labels() -> None:
    code, out = run("toreru-camera", "2021-05-14")
    assert code == 0
    lines = out.splitlines()
    assert not [line for line in lines[1:] if line.startswith(("art_", "chp_", "para"))]
    at = {k: next(i for i, x in enumerate(lines) if x.startswith(k)) for k in
          ("第19条（", "第20条（", "第21条（", "別紙10")}  # fmt: skip
    # 第20条 (its older text, the amendment waits for 2021-05-17) stays between 第19条 and 第21条
    assert at["第19条（"] < at["第20条（"] < at["第21条（"] < at["別紙10"]
    assert "第20条（契約者による解約）第1項 契約者は" in out
    data = json.loads(run("toreru-camera", "2021-05-14", "--clause", "第二十条", "-f", "json")[1])
    assert [n["display_label"] for n in data["nodes"]][:2] == [
        "第20条（契約者による解約）",
        "第20条（契約者による解約）第1項",
    ]
    assert data["uncertain"] is None


@pytest.mark.parametrize("doc", ["shohisha-keiyaku-ho", "kojin-joho-hogo-ho"])
def test_unknown_switch_date_is_said_not_hidden(doc: str) -> None:
    # 2015 → 2025 came with amendments effective 「政令で定める日」 or 「…の施行の日」
    code, out = run(doc, "2020-01-01", "--clause", "第4条", "--format", "json")
    assert code == 0
    data = json.loads(out)
    uncertain = data["uncertain"]
    assert uncertain["older"] == f"{doc}@2015-12-01" and uncertain["newer"] == f"{doc}@2025-06-01"
    start, end = uncertain["window"]
    assert "2015-12-01" < start <= "2020-01-01" < end == "2025-06-01"
    assert "cannot know" in uncertain["reason"] and "「" in uncertain["reason"]
    text = run(doc, "2020-01-01", "--clause", "第4条")[1]
    assert f"UNCERTAIN between {start} and {end}" in text


def test_dates_before_any_new_amendment_are_certain() -> None:
    # after the 2015 text: 平成28年法律第61号 takes effect on a computed date (2017-06-03); the
    # first with an unknown date (民法改正法の施行の日) was promulgated on 2017-06-02
    doc = load_document(DEFAULT_CORPUS / "shohisha-keiyaku-ho")
    for day in ("2016-01-01", "2017-06-01"):
        result = as_of(doc, day, "第1条")
        assert result.uncertain is None and result.version.key == "shohisha-keiyaku-ho@2015-12-01"
    assert as_of(doc, "2017-06-02", "第1条").uncertain is not None


def test_missing_intermediate_texts_of_terms_are_said() -> None:
    # gigaraku-wifi-ap: texts of 2023-06-12 and 2025-10-31 only; the 附則 of the later text date
    # amendments from 2023-12-01 on, whose texts the corpus does not have
    doc = load_document(DEFAULT_CORPUS / "gigaraku-wifi-ap")
    assert as_of(doc, "2023-11-30").uncertain is None
    uncertain = as_of(doc, "2024-06-01").uncertain
    assert uncertain is not None and uncertain.window == ("2023-12-01", "2025-10-31")
    assert "in force on 2024-06-01" in uncertain.reason
    assert as_of(doc, "2025-10-31").uncertain is None


def test_newer_text_once_every_amendment_is_in_force(tmp_path: Path) -> None:
    # the 2021-05-11 text listed later (2021-06-01) than its 附則 says (実施 2021-05-11)
    folder = tmp_path / "toreru-camera"
    folder.mkdir()
    for name in ("2021-03-01.txt", "2021-05-11.txt"):
        shutil.copy(DEFAULT_CORPUS / "toreru-camera" / name, folder / name)
    (folder / "document.toml").write_text(
        'id = "toreru-camera"\ntitle = "t"\n'
        '[[versions]]\nfile = "2021-03-01.txt"\neffective = "2021-03-01"\nformat = "pdf-text"\n'
        '[[versions]]\nfile = "2021-05-11.txt"\neffective = "2021-06-01"\nformat = "pdf-text"\n',
        encoding="utf-8",
    )
    doc = load_document(folder)
    assert as_of(doc, "2021-05-10").version.file.name == "2021-03-01.txt"
    later = as_of(doc, "2021-05-12")
    assert later.version.file.name == "2021-05-11.txt" and later.uncertain is None


GYM = Path(__file__).parent / "fixtures" / "formats" / "gym-kaiin-kiyaku.txt"


@pytest.fixture()
def renumbered(tmp_path: Path) -> Path:
    """The membership terms, then an amendment inserting 第２条の２ and renumbering 第４条の２
    (退会) as 第５条 and 第５条 (除名) as 第６条, which is deleted in a third version."""
    v1 = GYM.read_text(encoding="utf-8")
    v2 = (
        v1.replace("第２章　会費", "第２条の２（会員証）\n会員証を提示する。\n\n第２章　会費")
        .replace("第５条（除名）", "第６条（除名）")
        .replace("第４条の２（退会）", "第５条（退会）")
        .replace("前月１０日までに", "前月末日までに")
    )
    v3 = v2[: v2.index("第６条（除名）")] + v2[v2.index("別表１\u3000") :]
    folder = tmp_path / "corpus" / "gym"
    folder.mkdir(parents=True)
    toml = 'id = "gym"\ntitle = "会員規約"\nkind = "terms"\n'
    for date, text in [("2025-04-01", v1), ("2026-07-01", v2), ("2027-01-01", v3)]:
        (folder / f"{date}.txt").write_text(text, encoding="utf-8")
        toml += f'[[versions]]\nfile = "{date}.txt"\neffective = "{date}"\n'
    (folder / "document.toml").write_text(toml, encoding="utf-8")
    return folder


def test_a_number_no_longer_in_force_is_followed_to_the_clause_it_became(renumbered: Path) -> None:
    doc = load_document(renumbered)
    before = as_of(doc, "2026-06-30", "第４条の２")
    assert before.renumbered is None and "前月１０日" in before.clauses[1].node.text
    after = as_of(doc, "2026-07-02", "第４条の２")
    assert [s.node.id for s in after.clauses][:2] == ["art_5", "art_5__para_1"]
    assert "前月末日" in after.clauses[1].node.text
    assert after.renumbered == "第４条の２ (art_4-2) is 第５条 (art_5) since gym@2026-07-01"
    corpus = str(renumbered.parent)
    code, out = run("gym", "2026-07-02", "--clause", "第４条の２", "--corpus", corpus)
    assert code == 0 and "note: 第４条の２ (art_4-2) is 第５条 (art_5)" in out


def test_a_clause_deleted_since_says_when(renumbered: Path) -> None:
    code, out = run("gym", "2027-02-01", "--clause", "第６条", "--corpus", str(renumbered.parent))
    assert code != 0 and "第６条 (art_6) was deleted in gym@2027-01-01" in out


def test_history_gives_no_later_date_already_past(renumbered: Path) -> None:
    """A consolidated text whose old 附則 now names the new number (第５条の規定は、2025年5月1日
    から) dates nothing in a version in force from 2026: only the first version waits for it."""
    v2 = renumbered / "2026-07-01.txt"
    v2.write_text(
        v2.read_text(encoding="utf-8").replace("第４条の２の規定", "第５条の規定"), encoding="utf-8"
    )
    result = CliRunner().invoke(
        main, ["history", "gym", "第５条", "--corpus", str(renumbered.parent), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    steps = json.loads(result.output)["timeline"]
    dates = [(s["version"], s["clause_effective"]) for s in steps]
    assert dates[:2] == [("gym@2025-04-01", "2025-05-01"), ("gym@2026-07-01", None)]
