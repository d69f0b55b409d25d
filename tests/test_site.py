"""The Datasette site: every canned query and page through Datasette's test client."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from datasette.app import Datasette

from versions.kb import find
from versions.kb.build import ROOT, build
from versions.sources.corpus import DEFAULT_CORPUS, load_corpus

SITE = ROOT / "datasette"
META = yaml.safe_load((SITE / "metadata.yml").read_text(encoding="utf-8"))
QUERIES = set(META["databases"]["yakkan"]["queries"])


def site(db: Path) -> Datasette:
    return Datasette(
        [str(db)],
        immutables=[],
        metadata=META,
        template_dir=str(SITE / "templates"),
        plugins_dir=str(SITE / "plugins"),
    )


@pytest.fixture(scope="session")
def ds(kb: Path) -> Datasette:
    return site(kb)


def get(ds: Datasette, url: str, status: int = 200) -> str:
    response = asyncio.run(ds.client.get(url))
    assert response.status_code == status, (url, response.text[:500])
    return str(response.text)


def rows(ds: Datasette, query: str, **params: str) -> list[dict[str, Any]]:
    qs = "&".join(f"{k}={v}" for k, v in params.items())
    response = asyncio.run(ds.client.get(f"/yakkan/{query}.json?_shape=array&{qs}"))
    assert response.status_code == 200, response.text[:500]
    return list(response.json())


@pytest.fixture()
def conn(kb: Path) -> sqlite3.Connection:
    c = sqlite3.connect(kb)
    c.row_factory = sqlite3.Row
    return c


# --- canned queries ------------------------------------------------------------------------------


def test_canned_queries_are_all_tested() -> None:
    tested = {n.removeprefix("test_query_") for n in globals() if n.startswith("test_query_")}
    assert tested == QUERIES


def test_query_search(ds: Datasette, conn: sqlite3.Connection) -> None:
    found = rows(ds, "search", q="申し込み", doc="")
    printed_short = {
        r[0]
        for r in conn.execute(
            "select key from nodes where text like '%申込%' and text not like '%申し込%'"
        )
    }
    assert printed_short & {r["key"] for r in found}
    assert all(r["url"].startswith("/-/yakkan/clause/") for r in found)
    only = rows(ds, "search", q="解約", doc="toreru-camera")
    assert only and {r["doc_id"] for r in only} == {"toreru-camera"}
    articles = rows(ds, "search", q="解約", doc="", kind="article")
    assert articles and {r["kind"] for r in articles} == {"article"}
    html = get(ds, "/yakkan/search?q=解約&doc=toreru-camera")
    assert "<mark>解約</mark>" in html


def test_query_clause_asof(ds: Datasette) -> None:
    doc = "kojin-joho-hogo-ho"
    for date, version in [("2013-06-01", "2012-12-01"), ("2016-01-01", "2015-12-01")]:
        found = rows(ds, "clause_asof", doc=doc, clause="art_2", date=date)
        assert found and {r["version_id"] for r in found} == {f"{doc}@{version}"}
        assert found[0]["node_id"] == "art_2"
        assert any("個人情報" in (r["text"] or "") for r in found)
    assert rows(ds, "clause_asof", doc=doc, clause="art_2", date="1999-01-01") == []


def test_query_clause_history(ds: Datasette, conn: sqlite3.Connection) -> None:
    doc = "kojin-joho-hogo-ho"
    found = rows(ds, "clause_history", doc=doc, clause="art_2")
    versions = [
        r[0] for r in conn.execute("select id from versions where doc_id = ? order by ord", [doc])
    ]
    assert [r["version_id"] for r in found] == versions
    assert found[0]["status"] == "present"
    texts = [r["text"] for r in found]
    for prev, row in zip(texts, found[1:], strict=False):
        assert row["status"] == ("unchanged" if row["text"] == prev else "changed")
    assert "changed" in {r["status"] for r in found}  # the 2015 amendment rewrote 第2条


def ok_reference(conn: sqlite3.Connection) -> sqlite3.Row:
    row = conn.execute(
        "select r.*, t.node_id as target_node from [references] r "
        "join nodes t on t.key = r.target_key "
        "join versions v on v.id = r.version_id and v.latest = 1 "
        "where r.status = 'ok' and r.kind = 'absolute' and r.doc_id = 'toreru-camera' "
        "and t.kind = 'article' and r.source not like t.node_id || '%' order by r.id limit 1"
    ).fetchone()
    assert row is not None
    return row


def test_query_references_from(ds: Datasette, conn: sqlite3.Connection) -> None:
    ref = ok_reference(conn)
    found = rows(ds, "references_from", version=ref["version_id"], clause=ref["source"])
    count = conn.execute(
        "select count(*) from [references] where source_key = ?", [ref["source_key"]]
    ).fetchone()[0]
    assert len(found) == count
    target_url = f"/-/yakkan/clause/{ref['version_id']}/{ref['target_node']}"
    assert target_url in {r["target_url"] for r in found}


def test_query_references_to(ds: Datasette, conn: sqlite3.Connection) -> None:
    ref = ok_reference(conn)
    found = rows(ds, "references_to", version=ref["version_id"], clause=ref["target_node"])
    assert ref["source"] in {r["source"] for r in found}
    assert all(r["status"] for r in found)


def test_query_broken_references(ds: Datasette, conn: sqlite3.Connection) -> None:
    found = rows(ds, "broken_references", doc="")
    expected = conn.execute(
        "select count(*) from [references] r join versions v on v.id = r.version_id "
        "where v.latest = 1 and r.status not in ('ok', 'external')"
    ).fetchone()[0]
    assert len(found) == expected > 0
    assert all(r["status"] not in ("ok", "external") and r["line"] > 0 and r["file"] for r in found)
    one = rows(ds, "broken_references", doc="toreru-camera")
    assert {r["doc_id"] for r in one} <= {"toreru-camera"}


def test_query_amendment_timeline(ds: Datasette, conn: sqlite3.Connection) -> None:
    found = rows(ds, "amendment_timeline", doc="toreru-camera")
    headings = {
        r[0] for r in conn.execute("select heading from amendments where doc_id = 'toreru-camera'")
    }
    assert found and {r["heading"] for r in found} == headings
    dates = [r["effective"] for r in found if r["effective"]]
    assert dates == sorted(dates)


# --- pages -------------------------------------------------------------------------------------


def test_home_lists_documents(ds: Datasette) -> None:
    html = get(ds, "/-/yakkan")
    for doc in load_corpus(DEFAULT_CORPUS):
        assert f'href="/-/yakkan/doc/{doc.id}"' in html
    assert 'href="/-/yakkan"' in get(ds, "/")  # the Datasette index links to it


def test_document_outline(ds: Datasette, conn: sqlite3.Connection) -> None:
    html = get(ds, "/-/yakkan/doc/toreru-camera")
    articles = conn.execute(
        "select n.node_id, n.caption, n.version_id from nodes n "
        "join versions v on v.id = n.version_id "
        "where v.latest = 1 and n.doc_id = 'toreru-camera' and n.kind = 'article' order by n.ord"
    ).fetchall()
    assert len(articles) > 30
    for a in articles:
        assert f'id="{a["node_id"]}"' in html
        assert f'href="/-/yakkan/clause/{a["version_id"]}/{a["node_id"]}"' in html
    assert "当社による解約" in html


def test_document_as_of_a_date(ds: Datasette) -> None:
    html = get(ds, "/-/yakkan/doc/kojin-joho-hogo-ho@2014-01-01")
    assert "the version in force is <strong>kojin-joho-hogo-ho@2012-12-01</strong>" in html
    html = get(ds, "/-/yakkan/doc/kojin-joho-hogo-ho@2025-06-01")
    assert "kojin-joho-hogo-ho@2025-06-01" in html
    html = get(ds, "/-/yakkan/doc/kojin-joho-hogo-ho@1990-01-01", status=404)
    assert "before the first version" in html
    get(ds, "/-/yakkan/doc/itkeeper-remote-network@published")
    get(ds, "/-/yakkan/doc/no-such-document", status=404)


def test_own_effective_dates_on_outline(ds: Datasette, conn: sqlite3.Connection) -> None:
    row = conn.execute(
        "select version_id, target, effective from amendment_targets limit 1"
    ).fetchone()
    if row is None:
        pytest.skip("no 附則 in the corpus gives a provision its own date")
    html = get(ds, f"/-/yakkan/doc/{row['version_id']}")
    assert f"effective {row['effective']}" in html


def test_clause_page_references_both_ways(ds: Datasette, conn: sqlite3.Connection) -> None:
    ref = ok_reference(conn)
    source = get(ds, f"/-/yakkan/clause/{ref['version_id']}/{ref['source']}")
    assert f'href="/-/yakkan/clause/{ref["version_id"]}/{ref["target_node"]}"' in source
    target = get(ds, f"/-/yakkan/clause/{ref['version_id']}/{ref['target_node']}")
    assert "Cited by" in target
    assert f'href="/-/yakkan/clause/{ref["version_id"]}/{ref["source"]}"' in target
    get(ds, f"/-/yakkan/clause/{ref['version_id']}/no_such_node", status=404)


def test_clause_page_shows_a_range_as_first_to_last(
    ds: Datasette, conn: sqlite3.Connection
) -> None:
    # 「第14条第1項から第3項まで」, 前2項: References from shows the first member – the last
    ref = conn.execute(
        "select version_id, source, target, target_end from [references] "
        "where target_end is not null and target_document is null and status = 'ok' limit 1"
    ).fetchone()
    assert ref is not None
    html = get(ds, f"/-/yakkan/clause/{ref['version_id']}/{ref['source']}")
    first = f'href="/-/yakkan/clause/{ref["version_id"]}/{ref["target"]}"'
    last = f'href="/-/yakkan/clause/{ref["version_id"]}/{ref["target_end"]}"'
    assert first in html and last in html
    assert re.search(f'{re.escape(first)}>[^<]*</a>–<a class="ref" {re.escape(last)}', html)


def test_clause_page_text_and_events(ds: Datasette, conn: sqlite3.Connection) -> None:
    para = conn.execute(
        "select * from nodes where doc_id = 'toreru-camera' and kind = 'paragraph' "
        "and length(text) > 20 "
        "order by seq limit 1"
    ).fetchone()
    html = get(ds, f"/-/yakkan/clause/{para['version_id']}/{para['article_id']}")
    assert para["text"] in html
    row = conn.execute(
        "select t.*, a.heading from amendment_targets t "
        "join amendments a on a.key = t.amendment_key "
        "join nodes n on n.version_id = t.version_id and n.node_id = t.target limit 1"
    ).fetchone()
    if row is not None:
        html = get(ds, f"/-/yakkan/clause/{row['version_id']}/{row['target']}")
        assert f"effective <strong>{row['effective']}</strong>" in html


def test_clause_page_defined_terms(ds: Datasette, conn: sqlite3.Connection) -> None:
    row = conn.execute(
        "select d.term, u.node_key from definition_uses u "
        "join definitions d on d.id = u.definition_id limit 1"
    ).fetchone()
    if row is None:
        pytest.skip("definitions are not extracted yet")
    version, node = row["node_key"].split("/")
    assert row["term"] in get(ds, f"/-/yakkan/clause/{version}/{node}")


def test_search_page(ds: Datasette, conn: sqlite3.Connection, kb: Path) -> None:
    html = get(ds, "/-/yakkan/search?q=解約&doc=toreru-camera")
    expected = conn.execute(
        "select n.version_id, n.node_id from nodes n join versions v on v.id = n.version_id "
        "where v.latest = 1 and n.doc_id = 'toreru-camera' and n.kind = 'article' "
        "and n.caption like '%解約%'"
    ).fetchall()
    assert expected
    for r in expected:  # every article about 解約, linked by its heading
        assert f'href="/-/yakkan/clause/{r["version_id"]}/{r["node_id"]}"' in html
    assert "<mark>解約</mark>" in html
    assert 'data-mode="fulltext"' in html and "Search as a question instead" in html
    assert "results for" not in get(ds, "/-/yakkan/search")
    chapter = conn.execute(
        "select chapter_id from nodes n join versions v on v.id = n.version_id and v.latest = 1 "
        "where n.doc_id = 'toreru-camera' and n.caption like '%解約%' limit 1"
    ).fetchone()[0]
    html = get(ds, f"/-/yakkan/search?q=解約&doc=toreru-camera&chapter={chapter}")
    assert f'<option value="{chapter}" selected>' in html
    documents = conn.execute("select id from documents").fetchall()
    assert html.count(" selected>") == 2  # the document and the chapter
    assert '<option value="toreru-camera" selected>' in html
    chapters = html.count('<option value="chp_')
    anything = 3  # all documents, any kind, any chapter
    assert html.count('<option value="') == len(documents) + len(find.KINDS) + chapters + anything
    found = find.find(kb, "解約", doc="toreru-camera", chapter=chapter, limit=20)
    assert found.total and html.count('class="hit"') == min(found.total, 20)


def test_search_page_counts_and_pages(ds: Datasette, kb: Path) -> None:
    total = find.find(kb, "料金").total
    assert total > 40
    html = get(ds, "/-/yakkan/search?q=料金")
    assert f"{total} results (" in html and html.count('class="hit"') == 20
    assert 'rel="next" href="/-/yakkan/search?q=%E6%96%99%E9%87%91&amp;page=2"' in html
    page2 = get(ds, "/-/yakkan/search?q=料金&page=2")
    assert '<ol class="results" start="21">' in page2 and 'rel="prev"' in page2
    assert "By document:" in html


def test_search_page_question(ds: Datasette) -> None:
    html = get(ds, "/-/yakkan/search?q=料金を払い忘れたらどうなる？&doc=toreru-camera")
    assert "because it reads as a question" in html and "Search the exact words instead" in html
    assert "延滞利息" in html.split('class="hit"')[1]  # the first result
    # as full text the whole question is one term: only its customer words (払い忘れ) match
    words = get(ds, "/-/yakkan/search?q=料金を払い忘れたらどうなる？&mode=fulltext")
    assert 'data-mode="fulltext"' in words and "Also searched: 支払遅延" in words
    assert "Search as a question instead" in words


def test_column_descriptions(ds: Datasette) -> None:
    html = get(ds, "/yakkan/nodes")
    assert "VERSION_ID/NODE_ID" in html


def test_canned_queries_for_any_database_name(kb: Path, tmp_path: Path) -> None:
    other = tmp_path / "kb2.db"
    shutil.copy(kb, other)
    found = rows_for(site(other), "/kb2/search.json?_shape=array&q=解約&doc=")
    assert found and all("解約" in r["snippet"] for r in found[:5])


def rows_for(ds: Datasette, url: str) -> list[dict[str, Any]]:
    response = asyncio.run(ds.client.get(url))
    assert response.status_code == 200, response.text[:300]
    return list(response.json())


def test_document_text_is_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "corpus" / "xss-terms"
    folder.mkdir(parents=True)
    (folder / "2024-04-01.txt").write_text(
        "テスト規約\n\n第1条（目的<b>太字</b>）\n本規約は<script>alert('x')</script>を定めます。\n"
        "第2条（解約）\n契約者は、第1条に従い解約できます。<img src=x onerror=alert(1)>\n",
        encoding="utf-8",
    )
    (folder / "document.toml").write_text(
        'title = "<script>alert(2)</script>"\nkind = "terms"\n\n[[versions]]\n'
        'file = "2024-04-01.txt"\neffective = "2024-04-01"\n',
        encoding="utf-8",
    )
    db = tmp_path / "yakkan.db"
    build(tmp_path / "corpus", db)
    xss = site(db)
    pages = [
        get(xss, "/-/yakkan"),
        get(xss, "/-/yakkan/doc/xss-terms"),
        get(xss, "/-/yakkan/clause/xss-terms@2024-04-01/art_1"),
        get(xss, "/-/yakkan/clause/xss-terms@2024-04-01/art_2"),
        get(xss, "/-/yakkan/search?q=解約"),
        get(xss, "/-/yakkan/search?q=定め"),
        get(xss, "/yakkan/search?q=解約&doc="),
    ]
    joined = "\n".join(pages)
    assert "&lt;script&gt;" in joined
    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "<b>太字" not in page


def test_restricted_database_needs_login(kb: Path) -> None:
    meta = {
        **META,
        "databases": {"yakkan": {**META["databases"]["yakkan"], "allow": {"id": "legal"}}},
    }
    private = Datasette(
        [str(kb)],
        metadata=meta,
        template_dir=str(SITE / "templates"),
        plugins_dir=str(SITE / "plugins"),
    )
    assert asyncio.run(private.client.get("/-/yakkan/doc/toreru-camera")).status_code == 404
    for url in (  # the versions and semantic pages are closed to anonymous visitors too
        "/-/yakkan/diff?old=toreru-camera@2023-12-01&new=toreru-camera@2024-10-01",
        "/-/yakkan/asof?doc=toreru-camera&date=2024-01-01",
        "/-/yakkan/history?doc=toreru-camera&clause=art_20",
    ):
        page = asyncio.run(private.client.get(url))
        assert page.status_code == 404 and "当社による解約" not in page.text, url
    assert asyncio.run(private.client.get("/yakkan/nodes")).status_code == 403
    cookies = {"ds_actor": private.sign({"a": {"id": "legal"}}, "actor")}
    page = asyncio.run(private.client.get("/-/yakkan/doc/toreru-camera", cookies=cookies))
    assert page.status_code == 200 and "当社による解約" in page.text


def test_clause_page_shows_amendments_and_renumbering(
    ds: Datasette, conn: sqlite3.Connection
) -> None:
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type != 'index'")}
    if "clause_changes" not in tables:
        pytest.skip("the versions-over-time step is not in this build")
    change = conn.execute(
        "select * from clause_changes where type = 'modified' and edits like '%\"delete\"%' limit 1"
    ).fetchone()
    version, node = change["new_key"].split("/")
    html = get(ds, f"/-/yakkan/clause/{version}/{node}")
    assert "<del>" in html and change["old_version"] in html
    moved = conn.execute(
        "select * from clause_alignments where type = 'renumbered' and old_node != new_node limit 1"
    ).fetchone()
    if moved is not None:
        version, node = moved["new_key"].split("/")
        html = get(ds, f"/-/yakkan/clause/{version}/{node}")
        old_version, old_node = moved["old_key"].split("/")
        assert f'href="/-/yakkan/clause/{old_version}/{old_node}"' in html
    assert "clause_alignments" in get(ds, "/yakkan") and "Clause alignment" in get(
        ds, "/yakkan/clause_alignments"
    )


def test_document_as_of_honours_later_provision_dates(
    ds: Datasette, conn: sqlite3.Connection
) -> None:
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type != 'index'")}
    if "clause_validity" not in tables:
        pytest.skip("the versions-over-time step is not in this build")
    # the text's length is tested in Python: SQLite 3.40 returned no row with both conditions
    # in one WHERE (views of correlated subqueries), though each alone matches
    rows = conn.execute(
        """select p.*, v.effective, o.version_id as old_version, n.text as old_text
           from clause_validity p join versions v on v.id = p.version_id
           join clause_validity o on o.doc_id = p.doc_id and o.node_id = p.node_id
             and o.valid_to = p.valid_from
           join nodes n on n.key = o.key
           where p.pending = 1 and p.valid_from > v.effective"""
    ).fetchall()
    row = next((r for r in rows if len(r["old_text"] or "") > 10), None)
    assert row is not None  # gigaraku 第38条 is in force from 2026-07-01, its version from 04-01
    html = get(ds, f"/-/yakkan/doc/{row['doc_id']}@{row['effective']}")
    assert f"the version in force is <strong>{row['version_id']}</strong>" in html
    assert f"not yet in force on {row['effective']}" in html
    assert row["old_text"] in html and row["old_version"] in html
    later = get(ds, f"/-/yakkan/doc/{row['doc_id']}@{row['valid_from']}")
    assert f"not yet in force on {row['valid_from']}" not in later


def test_similar_clauses_from_clause_similar(kb: Path, tmp_path: Path) -> None:
    # The semantic-search step writes clause_similar(key, similar_key, score, rank).
    db = tmp_path / "yakkan.db"
    shutil.copy(kb, db)
    conn = sqlite3.connect(db)
    a, b = conn.execute(
        "select n.key from nodes n join versions v on v.id = n.version_id and v.latest = 1 "
        "where n.kind = 'article' and n.caption like '%解約%' order by n.doc_id limit 2"
    ).fetchall()
    for (kind,) in conn.execute("select type from sqlite_master where name = 'clause_similar'"):
        conn.execute(f"drop {kind} clause_similar")  # a view over clause_similar_rows
    conn.execute("create table clause_similar (key text, similar_key text, score real, rank int)")
    conn.execute("insert into clause_similar values (?, ?, 0.93, 1)", [a[0], b[0]])
    conn.commit()
    conn.close()
    version, node = a[0].split("/")
    html = get(site(db), f"/-/yakkan/clause/{version}/{node}")
    other_version, other_node = b[0].split("/")
    assert "Similar clauses" in html
    assert f'href="/-/yakkan/clause/{other_version}/{other_node}"' in html and "0.93" in html


# --- clause facts (docs/facts.md) ----------------------------------------------------------------


def test_query_notice_periods(ds: Datasette) -> None:
    found = rows(ds, "notice_periods", doc="")
    gigaraku = [r for r in found if r["doc_id"] == "gigaraku-wifi-ap"]
    assert any(r["period"] == "P10D" and r["party"] == "契約者" for r in gigaraku)
    assert "10 日前まで" in {r["surface"] for r in gigaraku}
    assert {r["doc_id"] for r in rows(ds, "notice_periods", doc="toreru-camera")} <= {
        "toreru-camera"
    }


def test_query_customer_obligations(ds: Datasette) -> None:
    found = rows(ds, "customer_obligations", doc="gigaraku-wifi-ap", kind="")
    assert found and all(r["kind"] == "obligation" for r in found)
    assert any(r["url"].endswith("/art_24__para_1") for r in found)
    assert all(r["party"] in ("契約者", "契約者+当社") or "契約者" in r["party"] for r in found)
    itkeeper = rows(ds, "customer_obligations", doc="itkeeper-remote-network", kind="prohibition")
    assert itkeeper and {r["party"] for r in itkeeper} <= {"甲", "甲+乙"}


def test_query_disclaimers(ds: Datasette) -> None:
    found = rows(ds, "disclaimers", doc="")
    assert {"toreru-camera", "itkeeper-remote-network", "vectant-closed-ip-smart"} <= {
        r["doc_id"] for r in found
    }
    assert all("責" in r["surface"] or "保証" in r["surface"] for r in found)


def test_query_fees_and_rates(ds: Datasette) -> None:
    found = rows(ds, "fees_and_rates", doc="vectant-closed-ip-smart")
    assert {"kind": "rate", "value": "0.145", "unit": "per-year"}.items() <= next(
        r for r in found if r["kind"] == "rate"
    ).items()


def test_query_fact_history(ds: Datasette) -> None:
    found = rows(ds, "fact_history", doc="gigaraku-wifi-ap", clause="art_24__para_1", kind="period")
    assert [r["value"] for r in found] and {r["value"] for r in found} == {"P10D"}
    assert [r["version_id"] for r in found] == sorted(r["version_id"] for r in found)


def test_clause_page_lists_its_facts(ds: Datasette) -> None:
    html = get(ds, "/-/yakkan/clause/gigaraku-wifi-ap@2026-04-01/art_24")
    facts = html.split("<h2>Facts (", 1)[1].split("</table>", 1)[0]
    assert '<tr class="fact-period">' in facts and "10 日前まで" in facts
    assert "P10D before" in facts and "契約者" in facts


def test_cited_by_lists_ranges_that_cover_the_clause(
    ds: Datasette, conn: sqlite3.Connection
) -> None:
    # a member after the first of a range (前2項, 第1項から第3項まで), cited by nothing else there
    member = conn.execute(
        """select t.target, r.source, r.version_id, r.targets, r.target_end
           from reference_targets t join [references] r on r.id = t.reference_id
           where t.ord > 0 and r.version_id = 'toreru-camera@2023-12-01'
             and not exists (select 1 from [references] o where o.source_key = r.source_key
                             and o.target_key = t.target_key)
           order by r.line limit 1"""
    ).fetchone()
    assert member is not None
    targets = json.loads(member["targets"])
    assert member["target"] in targets and member["target_end"] == targets[-1]
    page = get(ds, f"/-/yakkan/clause/{member['version_id']}/{member['target']}")
    assert f'href="/-/yakkan/clause/{member["version_id"]}/{member["source"]}"' in page
    found = rows(ds, "references_to", version=member["version_id"], clause=member["target"])
    assert member["source"] in {r["source"] for r in found}


def test_reference_targets_hold_every_member(conn: sqlite3.Connection) -> None:
    counted = conn.execute(
        "select coalesce(sum(json_array_length(targets)), 0) from [references]"
    ).fetchone()[0]
    assert counted == conn.execute("select count(*) from reference_targets").fetchone()[0] > 0
    ranged = conn.execute(
        "select text, targets from [references] where version_id = 'toreru-camera@2023-12-01' "
        "and line = 271 and replace(text, ' ', '') = '前2項'"
    ).fetchone()
    assert json.loads(ranged["targets"]) == ["art_9__para_1", "art_9__para_2"]


def test_home_page_links_the_fact_queries(ds: Datasette) -> None:
    html = get(ds, "/-/yakkan")
    assert "/yakkan/notice_periods?doc=gigaraku-wifi-ap" in html
    assert "/yakkan/disclaimers?doc=" in html and "every obligation of the customer" in html
