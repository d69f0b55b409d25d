"""Versions over time in the knowledge base and the Datasette pages (新旧対照表, as-of, history)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest
from datasette.app import Datasette
from test_site import SITE, get, site

from versions.sources.corpus import load_corpus


@pytest.fixture(scope="module")
def ds(kb: Path) -> Datasette:
    return site(kb)


def test_tables_in_the_knowledge_base(kb: Path) -> None:
    conn = sqlite3.connect(kb)
    row = conn.execute(
        "select type, new_node from clause_alignments where old_version = ? and old_node = ?",
        ["kojin-joho-hogo-ho@2015-12-01", "art_23"],
    ).fetchone()
    assert row == ("renumbered", "art_27")
    n = conn.execute(
        "select count(*) from clause_changes where old_version = ? and new_version = ?",
        ["kojin-joho-hogo-ho@2012-12-01", "kojin-joho-hogo-ho@2015-12-01"],
    ).fetchone()[0]
    assert n == 1  # only the new 附則
    # 第20条 of the 2021-05-11 version is in force only from 2021-05-17 (its own 附則 date)
    valid = conn.execute(
        "select valid_from, valid_to, pending from clause_validity where key = ?",
        ["toreru-camera@2021-05-11/art_20__para_1"],
    ).fetchone()
    assert valid == ("2021-05-17", "2023-12-01", 1)
    prior = conn.execute(
        "select valid_to from clause_validity where key = ?",
        ["toreru-camera@2021-03-01/art_20__para_1"],
    ).fetchone()
    assert prior == ("2021-05-17",)


def test_diff_page(ds: Datasette) -> None:
    html = get(ds, "/-/yakkan/diff?old=toreru-camera@2023-12-01&new=toreru-camera@2024-10-01")
    assert "改正後" in html and "改正前" in html and "（新設）" in html
    assert "<u>3</u>" in html and "<u>6</u>" in html
    swapped = get(
        ds, "/-/yakkan/diff?old=toreru-camera@2023-12-01&new=toreru-camera@2024-10-01&old_first=1"
    )
    assert swapped.index("<th>改正前（2023-12-01）</th>") < swapped.index(
        "<th>改正後（2024-10-01）</th>"
    )
    assert "新旧対照表" in get(ds, "/-/yakkan/diff")
    get(ds, "/-/yakkan/diff?old=nosuch@2020-01-01&new=toreru-camera@2024-10-01", 404)
    get(ds, "/-/yakkan/diff?old=<script>&new=x", 400)


def test_diff_page_escapes_document_text(kb: Path, tmp_path: Path) -> None:
    copy = tmp_path / "y.db"
    shutil.copy(kb, copy)
    conn = sqlite3.connect(copy)
    conn.execute(
        "update texts set text = '<script>alert(1)</script>' where id = (select text_id "
        "from node_rows where key = 'toreru-camera@2024-10-01/art_25__para_1')"
    )
    conn.execute("delete from diff_tables")  # the build's tables hold the text it saw
    conn.commit()
    conn.close()
    site = Datasette(
        [str(copy)], template_dir=str(SITE / "templates"), plugins_dir=str(SITE / "plugins")
    )
    html = get(site, "/-/yakkan/diff?old=toreru-camera@2023-12-01&new=toreru-camera@2024-10-01")
    assert "<script>alert" not in html and "alert(1)" in html


def test_stored_tables_are_the_pages_the_worker_makes(kb: Path, tmp_path: Path) -> None:
    # The build stores the 新旧対照表 of consecutive versions (diff_tables); the site serves
    # them as the worker process would compute them, in both column orders.
    conn = sqlite3.connect(kb)
    stored = conn.execute("select old_version, new_version, old_first from diff_tables").fetchall()
    pairs = conn.execute(
        "select a.id, b.id from versions a join versions b on b.doc_id = a.doc_id "
        "and b.ord = a.ord + 1"
    ).fetchall()
    conn.close()
    assert sorted(stored) == sorted((o, n, f) for o, n in pairs for f in (0, 1))
    copy = tmp_path / "computed.db"
    shutil.copy(kb, copy)
    with sqlite3.connect(copy) as c:
        c.execute("delete from diff_tables")
    c.close()
    served, computed = site(kb), site(copy)
    for old, new in pairs:
        for first in ("", "&old_first=1"):
            url = f"/-/yakkan/diff?old={old}&new={new}{first}"
            assert get(served, url) == get(computed, url), url


def test_asof_page(ds: Datasette) -> None:
    html = get(ds, "/-/yakkan/asof?doc=toreru-camera&date=2021-05-14&clause=art_20")
    assert "toreru-camera@2021-05-11" in html  # the version in force
    assert "書面により通知" in html  # but 第20条 still reads as in 2021-03-01
    later = get(ds, "/-/yakkan/asof?doc=toreru-camera&date=2021-05-20&clause=art_20")
    assert "当社所定の方法により申し出" in later
    before = get(ds, "/-/yakkan/asof?doc=toreru-camera&date=2019-01-01")
    assert "first known version took effect on 2021-03-01" in before
    get(ds, "/-/yakkan/asof?doc=toreru-camera&date=not-a-date", 400)


def test_history_page_follows_renumbering(ds: Datasette) -> None:
    html = get(ds, "/-/yakkan/history?doc=kojin-joho-hogo-ho&clause=art_17")
    assert "art_15" in html and "art_17" in html and "renumbered" in html
    html = get(ds, "/-/yakkan/history?doc=toreru-camera&clause=art_20")
    assert "modified" in html and "当社所定の方法" in html
    get(ds, "/-/yakkan/history?doc=toreru-camera&clause=art_999", 404)


def query(ds: Datasette, name: str, **params: str) -> list[dict]:
    qs = "&".join(f"{k}={v}" for k, v in params.items())
    response = asyncio.run(ds.client.get(f"/yakkan/{name}.json?_shape=array&{qs}"))
    assert response.status_code == 200, response.text[:500]
    return list(response.json())


def test_query_version_changes(ds: Datasette) -> None:
    found = query(
        ds, "version_changes", old="toreru-camera@2023-12-01", new="toreru-camera@2024-10-01"
    )
    types = {r["new_label"]: r["type"] for r in found}
    assert types["第12条の2（契約者情報の確認）"] == "added"
    assert "split" in types.values() and "merged" in types.values()


def test_query_clause_in_force(ds: Datasette) -> None:
    found = query(ds, "clause_in_force", doc="toreru-camera", date="2021-05-14", clause="art_20")
    assert {r["version_id"] for r in found} == {"toreru-camera@2021-03-01"}
    found = query(ds, "clause_in_force", doc="toreru-camera", date="2021-05-17", clause="art_20")
    assert {r["version_id"] for r in found} == {"toreru-camera@2021-05-11"}


def test_query_clause_lineage(ds: Datasette) -> None:
    found = query(ds, "clause_lineage", version="kojin-joho-hogo-ho@2025-06-01", clause="art_17")
    assert [r["node_id"] for r in found] == ["art_15", "art_15", "art_17"]
    assert found[-1]["change_from_previous"] == "renumbered"


def test_history_form_picks_the_document_from_a_list(ds: Datasette) -> None:
    # The history form wanted the document id typed in; as-of and 新旧対照表 offer a list.
    html = get(ds, "/-/yakkan/history?doc=kojin-joho-hogo-ho&clause=art_17")
    form = html[html.index('<form method="get" action="/-/yakkan/history">') :]
    form = form[: form.index("</form>")]
    assert '<select name="doc">' in form
    assert '<option value="kojin-joho-hogo-ho" selected>個人情報の保護に関する法律</option>' in form
    assert form.count("<option ") == len(load_corpus())
    assert '<select name="doc">' in get(ds, "/-/yakkan/history")


def test_diff_page_swaps_a_reversed_pair(ds: Datasette) -> None:
    html = get(ds, "/-/yakkan/diff?old=toreru-camera@2024-10-01&new=toreru-camera@2023-12-01")
    assert "is newer than" in html
    assert "改正後（2024-10-01）" in html and "改正前（2023-12-01）" in html
    assert "「クラウド型カメラとれ～る」利用規約" in html


def test_diff_page_shows_a_changed_toc(ds: Datasette, kb: Path) -> None:
    """The 目次 is stored with its version, so the site's table has the 目次 row as the CLI's."""
    conn = sqlite3.connect(kb)
    toc = conn.execute("select toc from versions where id = 'kojin-joho-hogo-ho@2025-06-01'")
    assert toc.fetchone()[0].splitlines()[:2] == ["目次", "第一章\u3000総則（第一条―第三条）"]
    html = get(
        ds, "/-/yakkan/diff?old=kojin-joho-hogo-ho@2015-12-01&new=kojin-joho-hogo-ho@2025-06-01"
    )
    row = html.split('<tr class="toc" data-title="目次">', 1)[1].split("</tr>", 1)[0]
    assert "第二節　国の施策（第八条―第<u>十一</u>条）" in row  # the renumbering underlined
    html = get(ds, "/-/yakkan/diff?old=toreru-camera@2023-12-01&new=toreru-camera@2024-10-01")
    assert 'class="toc"' not in html  # those terms have no 目次: no row


def test_diff_page_notes_fact_changes(ds: Datasette) -> None:
    # the 2026-04-01 gigaraku version (constructed) adds a notice period to 第24条
    html = get(ds, "/-/yakkan/diff?old=gigaraku-wifi-ap@2025-10-31&new=gigaraku-wifi-ap@2026-04-01")
    note = html.split('<tr class="facts"><td colspan="2">', 1)[1].split("</td>", 1)[0]
    assert note == "※ 事実の変更: 期間 （なし） → 10日前まで"
