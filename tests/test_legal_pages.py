"""The dates legal asks about and the legal pages one click away, on the Datasette site:
as-of in document order with printed labels and the unknown said, a clause's own "in force from"
and its 附則, links from home / document / clause pages, clause labels as printed."""

from __future__ import annotations

import asyncio
import html
import re
import shutil
from pathlib import Path

import pytest
from datasette.app import Datasette
from test_site import get, site

from versions.kb.build import ROOT, build
from versions.sources.corpus import DEFAULT_CORPUS, load_corpus

SITE = ROOT / "datasette"


@pytest.fixture(scope="module")
def ds(kb: Path) -> Datasette:
    return site(kb)


def links(page: str) -> list[tuple[str, str]]:
    """(href, text) of every link, unescaped."""
    found = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, re.S)
    return [(html.unescape(h), re.sub(r"<[^>]+>", "", t)) for h, t in found]


def asof_rows(page: str) -> list[tuple[str, str]]:
    """(node id, label shown) of the clauses on an as-of page, in page order."""
    return re.findall(r'<a href="/-/yakkan/clause/[^"]+" title="([^"]+)">([^<]+)</a>', page)


def test_asof_page_keeps_document_order_and_printed_labels(ds: Datasette) -> None:
    page = get(ds, "/-/yakkan/asof?doc=toreru-camera&date=2021-05-14")
    rows = asof_rows(page)
    ids = [i for i, _ in rows]
    # 第20条 still reads as in 2021-03-01 (its amendment waits for 2021-05-17): it stays in place
    assert ids.index("art_19") < ids.index("art_20") < ids.index("art_21") < ids.index("bessi_10")
    assert "[text of toreru-camera@2021-03-01" in page
    shown = dict(rows)
    assert shown["art_21__para_1"].startswith("第21条")
    assert shown["art_20__para_1"] == "第20条（契約者による解約）第1項"
    assert not [label for _, label in rows if re.match(r"(art|para|chp|bessi)_", label)]
    assert "Not known on" not in page


def test_asof_page_clause_as_printed(ds: Datasette) -> None:
    by_label = asof_rows(
        get(ds, "/-/yakkan/asof?doc=toreru-camera&date=2021-05-14&clause=第二十条")
    )
    by_id = asof_rows(get(ds, "/-/yakkan/asof?doc=toreru-camera&date=2021-05-14&clause=art_20"))
    assert by_label == by_id and by_label[0][0] == "art_20"
    page = get(ds, "/-/yakkan/asof?doc=toreru-camera&date=2021-05-14&clause=第99条", status=404)
    assert "No clause 第99条" in page


@pytest.mark.parametrize("doc", ["shohisha-keiyaku-ho", "kojin-joho-hogo-ho"])
def test_asof_page_says_when_the_text_is_not_known(doc: str, ds: Datasette) -> None:
    page = html.unescape(get(ds, f"/-/yakkan/asof?doc={doc}&date=2020-01-01&clause=第4条"))
    assert "Not known on 2020-01-01" in page and "cannot know" in page
    assert f"/-/yakkan/diff?old={doc}@2015-12-01&new={doc}@2025-06-01" in page
    assert "Not known" not in get(ds, f"/-/yakkan/asof?doc={doc}&date=2013-01-01&clause=第1条")


def test_clause_in_force_from_when_its_text_took_effect(ds: Datasette) -> None:
    page = get(ds, "/-/yakkan/clause/toreru-camera@2024-10-01/art_19")
    assert re.search(r'In force from <strong class="since">2021-03-01</strong>', page)
    changed = get(ds, "/-/yakkan/clause/toreru-camera@2024-10-01/art_25")  # 6か月→3か月
    assert re.search(r'In force from <strong class="since">2024-10-01</strong>', changed)


def test_clause_amendment_events_oldest_first(ds: Datasette) -> None:
    page = get(ds, "/-/yakkan/clause/toreru-camera@2024-10-01/art_20")
    events = re.search(r'<ul class="events">(.*?)</ul>', page, re.S)
    assert events
    items = re.findall(r"<li>(.*?)</li>", events.group(1), re.S)
    dates = [re.search(r"<strong>([^<]+)</strong>", i).group(1) for i in items]  # type: ignore[union-attr]
    assert dates == sorted(dates) and dates[0] == "2021-05-17" and dates[-1] == "2024-10-01"
    assert "2021年 4月 23日" in items[0] and "art_20" in items[0]


def test_clause_page_links_to_history_and_previous_version(ds: Datasette) -> None:
    page = get(ds, "/-/yakkan/clause/toreru-camera@2024-10-01/art_20")
    hrefs = dict(links(page))
    history = next(h for h in hrefs if h.startswith("/-/yakkan/history?"))
    assert "doc=toreru-camera" in history and "clause=art_20" in history
    compare = next(h for h in hrefs if h.startswith("/-/yakkan/diff?"))
    assert compare.startswith(
        "/-/yakkan/diff?old=toreru-camera@2023-12-01&new=toreru-camera@2024-10-01#art_20"
    )
    assert get(ds, history.split("#")[0]).count("/-/yakkan/clause/toreru-camera@") >= 4
    first = get(ds, "/-/yakkan/clause/toreru-camera@2021-03-01/art_20")
    assert "compare-previous" not in first and "clause-history" in first


def test_home_and_document_pages_link_the_legal_pages(ds: Datasette) -> None:
    home = get(ds, "/-/yakkan")
    hrefs = [h for h, _ in links(home)]
    for doc in load_corpus(DEFAULT_CORPUS):
        keys = [v.key for v in doc.versions]
        if len(keys) > 1:
            assert f"/-/yakkan/diff?old={keys[-2]}&new={keys[-1]}" in hrefs, doc.id
        assert any(h.endswith(f"amendment_timeline?doc={doc.id}") for h in hrefs), doc.id
        assert f'name="doc" value="{doc.id}"' in home
        page = get(ds, f"/-/yakkan/doc/{doc.id}")
        assert 'action="/-/yakkan/asof"' in page and 'type="date"' in page
        assert f"amendment_timeline?doc={doc.id}" in page
        if len(keys) > 1:
            old = re.search(r'<select name="old">(.*?)</select>', page, re.S)
            new = re.search(r'<select name="new">(.*?)</select>', page, re.S)
            assert old and new
            assert f'value="{keys[-2]}" selected' in old.group(1)
            assert f'value="{keys[-1]}" selected' in new.group(1)


def test_history_page_takes_printed_labels(ds: Datasette) -> None:
    by_label = get(ds, "/-/yakkan/history?doc=kojin-joho-hogo-ho&clause=第十七条")
    by_id = get(ds, "/-/yakkan/history?doc=kojin-joho-hogo-ho&clause=art_17")
    steps = re.findall(r'<a href="(/-/yakkan/clause/[^"]+)">', by_label)
    assert steps == re.findall(r'<a href="(/-/yakkan/clause/[^"]+)">', by_id)
    assert steps[0].endswith("@2012-12-01/art_15") and steps[-1].endswith("@2025-06-01/art_17")
    get(ds, "/-/yakkan/history?doc=toreru-camera&clause=第12条の2")
    get(ds, "/-/yakkan/history?doc=toreru-camera&clause=第99条", 404)


def test_asof_page_takes_the_newer_text_once_its_amendments_are_in_force(tmp_path: Path) -> None:
    # as tests/test_asof.py: the 2021-05-11 text listed for 2021-06-01, its 附則 says 2021-05-11
    corpus = tmp_path / "corpus"
    folder = corpus / "toreru-camera"
    folder.mkdir(parents=True)
    for name in ("2021-03-01.txt", "2021-05-11.txt"):
        shutil.copy(DEFAULT_CORPUS / "toreru-camera" / name, folder / name)
    (folder / "document.toml").write_text(
        'id = "toreru-camera"\ntitle = "t"\n'
        '[[versions]]\nfile = "2021-03-01.txt"\neffective = "2021-03-01"\nformat = "pdf-text"\n'
        '[[versions]]\nfile = "2021-05-11.txt"\neffective = "2021-06-01"\nformat = "pdf-text"\n',
        encoding="utf-8",
    )
    build(corpus, tmp_path / "kb.db")
    site = Datasette(
        [str(tmp_path / "kb.db")],
        template_dir=str(SITE / "templates"),
        plugins_dir=str(SITE / "plugins"),
    )
    page = get(site, "/-/yakkan/asof?doc=toreru-camera&date=2021-05-12&clause=第19条")
    assert 'Version in force: <a href="/-/yakkan/doc/toreru-camera@2021-06-01">' in page
    assert "/-/yakkan/clause/toreru-camera@2021-06-01/art_19" in page and "Not known" not in page
    page = get(site, "/-/yakkan/asof?doc=toreru-camera&date=2021-05-10&clause=第19条")
    assert "/-/yakkan/clause/toreru-camera@2021-03-01/art_19" in page


def test_clause_lookup_by_printed_label(ds: Datasette) -> None:
    for label, node_id in (("第二十条第2項", "art_20__para_2"), ("第12条の2", "art_12-2")):
        response = asyncio.run(ds.client.get(f"/-/yakkan/clause/toreru-camera@2024-10-01/{label}"))
        assert response.status_code == 302
        assert (
            response.headers["location"] == f"/-/yakkan/clause/toreru-camera@2024-10-01/{node_id}"
        )
    get(ds, "/-/yakkan/clause/toreru-camera@2024-10-01/第99条", 404)
    statute = "/-/yakkan/clause/kojin-joho-hogo-ho@2025-06-01/第二十七条第一項第二号"
    response = asyncio.run(ds.client.get(statute))
    assert response.headers["location"].endswith("/art_27__para_1__item_2")


@pytest.mark.parametrize(
    "clause", ["toreru-camera@2024-10-01/art_20", "kojin-joho-hogo-ho@2025-06-01/art_17"]
)
def test_compare_link_lands_on_the_article_row(clause: str, ds: Datasette) -> None:
    from urllib.parse import unquote

    page = get(ds, f"/-/yakkan/clause/{clause}")
    href = next(h for h, _ in links(page) if h.startswith("/-/yakkan/diff?"))
    url, _, fragment = href.partition("#")
    article, _, text = fragment.partition(":~:text=")
    assert article == clause.split("/")[1]
    heading = unquote(text)
    diff = get(ds, url)

    def text_of(pattern: str) -> str:
        found = re.search(pattern, diff, re.S)
        assert found, pattern
        return html.unescape(re.sub(r"<[^>]+>", "", found.group(0)))

    listed = text_of(r'<details class="changed-articles".*?</details>')
    assert heading in text_of(r'<table class="taiyo".*?</table>') and heading not in listed
    assert listed.count("第") >= 3
