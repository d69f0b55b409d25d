"""Statute forms written after the fact, unlike the corpus statutes and the first fixtures
(tests/fixtures/statutes/amended-act.txt, formats/kyokai-ho.law.txt,
formats/markdown-nested-lists.txt): a range of 条の二 deleted in one line, a chapter deleted
whole, a chapter and an article whose caption or sentence begins with 中, a 目次 ending in
「附　則」, 附則 of amending acts citing articles deleted since, the commencement wordings
より…これを / をもって / 効力を生ずる / 起算して…を経過した日, Lawtext, and Markdown saved as .txt
with nested numbered lists, a 附則 amending another law (statutes/amends-another-law.txt).
`yakkan check` reports no error and no warning on any of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from versions.cli import main
from versions.sources.files import read_document

FIXTURES = Path(__file__).parent / "fixtures"
ACT = FIXTURES / "statutes" / "amended-act.txt"
LAWTEXT = FIXTURES / "formats" / "kyokai-ho.law.txt"
MARKDOWN = FIXTURES / "formats" / "markdown-nested-lists.txt"
OTHER_LAW = FIXTURES / "statutes" / "amends-another-law.txt"


def _main_articles(path: Path) -> list[str]:
    doc = read_document(path)
    return [n.num or "" for n in doc.nodes if n.kind == "article" and n.id.startswith("art_")]


def test_every_article_number_of_the_main_provision_exists_once() -> None:
    expected = ["1", "2", "3", "3-2", "3-3", *[str(n) for n in range(4, 31)]]
    assert _main_articles(ACT) == expected  # 第三条の二から第三条の三まで, 第六条から第十八条まで …
    assert _main_articles(LAWTEXT) == [str(n) for n in range(1, 11)]


def test_chapters_hold_their_articles() -> None:
    doc = read_document(ACT)
    chapters = [(n.id, n.caption) for n in doc.nodes if n.kind == "chapter"]
    # 「第二章　中央協議会」 was read as 「第二章中…」 ("in chapter 2") and vanished into 第三条の三
    assert chapters == [("chp_1", "総則"), ("chp_2", "中央協議会"), ("chp_3", "削除"),
                        ("chp_4", "雑則")]  # fmt: skip
    parent = {n.id: n.parent for n in doc.nodes}
    assert [parent[f"art_{n}"] for n in (3, "3-3", 4, 18, 19, 20, 25, 26)] == [
        "chp_1", "chp_1", "chp_2", "chp_2", "chp_2", "chp_3", "chp_3", "chp_4",
    ]  # fmt: skip
    art19 = doc.node("art_19__para_1")
    assert art19 is not None and art19.text.startswith("中小の交通事業者")


def test_the_contents_list_does_not_become_a_supplement() -> None:
    doc = read_document(ACT)
    assert [n.line for n in doc.nodes if n.kind == "supplement"] == [61, 66, 77, 81]
    assert "附\u3000則" in [a.text for a in doc.artefacts if a.kind == "toc"]
    lawtext = read_document(LAWTEXT)
    assert lawtext.source.format == "lawtext"
    assert [n.line for n in lawtext.nodes if n.kind == "supplement"] == [35, 40]


def test_commencement_wordings_give_dates() -> None:
    dates = [(s.enacted, s.effective) for s in read_document(ACT).supplements]
    assert dates == [
        (None, "1999-04-01"),  # 平成十一年四月一日よりこれを施行する
        ("2008-05-30", "2008-11-30"),  # 公布の日から起算して六月を経過した日
        ("2020-06-12", "2021-04-01"),  # 令和三年四月一日をもって施行する
        ("2023-03-31", "2023-03-31"),  # 公布の日から効力を生ずる
    ]
    assert [s.effective for s in read_document(LAWTEXT).supplements] == [
        "2021-10-01",
        "2024-05-12",  # 公布 2023-05-12, 起算して一年を経過した日
    ]


def test_references_resolve_where_a_reader_would() -> None:
    refs = {(r.source, r.text): r for r in read_document(ACT).references}
    # 第五条 has two paragraphs: 前条第三項 is 第四条's, not 第五条's
    assert refs[("art_5__para_2", "前条第三項")].target == "art_4__para_3"
    assert refs[("art_27__para_1", "前条第二項第四号")].target == "art_26__para_2__item_4"
    law = {(r.source, r.text): r for r in read_document(LAWTEXT).references}
    assert law[("art_7__para_2", "前条第三項")].target == "art_6__para_3"


def _check(path: Path) -> dict:
    result = CliRunner().invoke(main, ["check", str(path), "-f", "json", "--fail-on", "warning"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("path", [ACT, LAWTEXT], ids=lambda p: p.name)
def test_amending_acts_supplements_are_historical_not_broken(path: Path) -> None:
    data = _check(path)
    assert data["summary"]["by_level"].keys() <= {"info"}
    historical = [p for p in data["problems"] if p["status"] == "historical"]
    # 附則 第三条 cites 第十二条第三項 / 第九条第四項: articles deleted since that 附則 was enacted
    cited = ["第十二条第三項"] if path == ACT else ["第九条第四項"]
    assert [p["text"] for p in historical] == cited
    assert all(p["source"].startswith("suppl_2__") for p in historical)


def test_markdown_saved_as_txt_with_nested_numbered_lists() -> None:
    doc = read_document(MARKDOWN)
    assert doc.source.format == "markdown"
    assert _main_articles(MARKDOWN) == ["1", "2", "3", "4", "5"]
    # 「1.」 indented under 「2.」 is a 号 of 第3条第2項, not a second 第1項
    kids = [n.id for n in doc.nodes if n.id.startswith("art_3__")]
    assert kids == ["art_3__para_1", "art_3__para_2", "art_3__para_2__item_1",
                    "art_3__para_2__item_2"]  # fmt: skip
    refs = {(r.source, r.text): r for r in doc.references}
    assert refs[("art_3__para_2", "各号")].status == "ok"
    assert refs[("art_3__para_2__item_1", "前条第2項")].target == "art_2__para_2"
    assert read_document(MARKDOWN).supplements[0].effective == "2024-04-01"
    assert not [d for d in doc.diagnostics if d.level != "info"]
    assert _check(MARKDOWN)["summary"]["by_level"].keys() <= {"info"}


def test_the_corpus_statutes_check_clean_at_every_version() -> None:
    from versions.sources.corpus import load_corpus

    statutes = [v for d in load_corpus() if d.kind == "statute" for v in d.versions]
    assert len(statutes) == 6
    args = [f"{v.doc_id}@{v.effective}" for v in statutes]
    result = CliRunner().invoke(main, ["check", *args, "-f", "json", "--fail-on", "warning"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["documents"]) == 6
    assert {p["level"] for p in data["problems"]} == {"info"}


def test_a_supplement_amending_another_law_is_no_error() -> None:
    # 附則第二条 amends 試験登録法: 「第十条中…」, 「第十二条第二項を削る」 are that law's articles
    data = _check(OTHER_LAW)
    assert data["summary"]["by_level"].keys() <= {"info"}
    historical = [p["text"] for p in data["problems"] if p["status"] == "historical"]
    assert historical == ["第十条", "第十二条第二項"]
    doc = read_document(OTHER_LAW)
    assert [s.effective for s in doc.supplements] == [None, "2001-01-06", "2023-07-06"]
    assert "政令で定める日" in (doc.supplements[0].effective_text or "")
    refs = {(r.source, r.text): r.target for r in doc.references}
    assert refs[("art_4__para_2", "第三項")] == "art_3__para_3"  # 前条第二項本文及び第三項
    assert refs[("art_6__para_2", "第三条第三項")] == "art_3__para_3"
    sections = [(n.id, n.parent) for n in doc.nodes if n.kind == "section"]
    assert sections == [("chp_2__sec_1", "chp_2"), ("chp_2__sec_2", "chp_2")]


def test_historical_is_the_resolvers_status_in_the_kb_and_the_site(tmp_path: Path) -> None:
    # one source of truth: the KB's references say historical, so the site's broken_references
    # query and the build summary agree with `yakkan check` (notes, not broken references)
    import sqlite3

    import yaml

    folder = tmp_path / "corpus" / "shiken"
    folder.mkdir(parents=True)
    (folder / OTHER_LAW.name).write_bytes(OTHER_LAW.read_bytes())
    (folder / "document.toml").write_text(
        f'id = "shiken"\ntitle = "試験手続法"\nkind = "statute"\n\n[[versions]]\n'
        f'file = "{OTHER_LAW.name}"\neffective = "2024-01-01"\nformat = "text"\n',
        encoding="utf-8",
    )
    db = tmp_path / "kb.db"
    args = ["build", "--corpus", str(folder.parent), "--db", str(db), "-f", "json"]
    built = CliRunner().invoke(main, args)
    assert built.exit_code == 0, built.output
    out = json.loads(built.stdout)
    assert out["broken_references"] == 0 and out["check"] == {"error": 0, "warning": 0, "info": 3}
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "select text, status, message from [references]"
        " where status not in ('ok', 'external') order by line"
    ).fetchall()
    assert [(t, s) for t, s, _ in rows] == [
        ("第十条", "historical"),
        ("第十二条第二項", "historical"),
    ]
    assert all("as it stood when it was enacted" in m for _, _, m in rows)
    metadata = yaml.safe_load((Path(__file__).parents[1] / "datasette/metadata.yml").read_text())
    sql = metadata["databases"]["yakkan"]["queries"]["broken_references"]["sql"]
    assert conn.execute(sql, {"doc": ""}).fetchall() == []
