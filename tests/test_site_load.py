"""The site's per-request work under load (issue #14 item 6): the same pages with less CPU.

The as-of page's rows are built in Python in its SQL thread, not by the async template: the
HTML must be what the template printed. Search snippets keep the words of clause texts: a snippet
must be what a fresh tokenization gives. Canned queries must not ask SQLite for the table list
on every request. Speed itself is measured by scripts/bench_http.py, not here.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sqlite3
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import jinja2
import pytest
from datasette.app import Datasette
from test_site import SITE, rows, site

from versions.kb import search
from versions.kb.sitedb import Batch, drive

# the as-of page's loop as the template printed it before the rows moved to Python
OLD_ASOF_LOOP = """{% for r in rows %}
  <p class="clause-text" id="{{ r.node_id }}" style="margin-left: {{ r.depth * 1.2 }}em"><a href="/-/yakkan/clause/{{ r.version_id }}/{{ r.node_id }}" title="{{ r.node_id }}">{{ r.display }}</a> {{ r.text }}
  {% if r.version_id != (version.id if version else '') %}<span class="pending">[text of {{ r.version_id }}, in force until {{ r.valid_to }}]</span>{% endif %}</p>
{% endfor %}"""  # noqa: E501


def _plugin(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_test_{name}", SITE / "plugins" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ds(kb: Path) -> Datasette:
    return site(kb)


def _old_loop(rows: list[dict[str, Any]], version: dict[str, Any]) -> str:
    env = jinja2.Environment(autoescape=True)
    return env.from_string(OLD_ASOF_LOOP).render(rows=rows, version=version)


def test_asof_rows_are_what_the_template_printed(kb: Path) -> None:
    versions = _plugin("yakkan_versions")
    conn = sqlite3.connect(kb)
    conn.row_factory = sqlite3.Row
    batch = Batch(conn, SimpleNamespace(name="yakkan", path=str(kb), is_mutable=False))
    dates = conn.execute(
        "select doc_id, effective from versions where effective is not null "
        "union select doc_id, '2030-01-01' from versions where effective is not null"
    ).fetchall()
    pages = older = 0
    for doc, date in dates:
        found = drive(versions._asof_context(batch, doc, date, ""))
        assert not isinstance(found, str), (doc, date, found)
        ctx, status = found
        assert status == 200
        assert str(ctx["rows_html"]) == _old_loop(ctx["rows"], ctx["version"]), (doc, date)
        pages += 1
        older += sum(r["version_id"] != ctx["version"]["id"] for r in ctx["rows"])
    assert pages >= 16 and older > 0  # every version, and rows still in force from older ones


def test_asof_rows_escape_as_jinja_does() -> None:
    versions = _plugin("yakkan_versions")
    hostile = "<script>alert(\"x\")</script> & 'q'"
    rows = [
        {
            "node_id": 'art_1"><b>',
            "version_id": "d@2024-01-01",
            "depth": 3,
            "display": hostile,
            "text": hostile,
            "valid_to": hostile,
        },
        {
            "node_id": "art_2",
            "version_id": "d@2025-01-01",
            "depth": 0,
            "display": "第2条",
            "text": None,
            "valid_to": None,
        },
    ]
    html = str(versions.asof_rows_html(rows, "d@2025-01-01"))
    assert html == _old_loop(rows, {"id": "d@2025-01-01"})
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("q", ["解約", "料金 支払", "個人情報"])
def test_search_snippets_are_a_fresh_tokenization(q: str, ds: Datasette) -> None:
    asyncio.run(ds.client.get(f"/yakkan/search.json?_shape=array&doc=&q={q}"))  # kept words
    found = rows(ds, "search", doc="", q=urllib.parse.quote(q))
    assert found and any(search.MARK_OPEN in r["snippet"] for r in found)
    conn = sqlite3.connect(ds.databases["yakkan"].path)
    texts = dict(conn.execute("select key, coalesce(nullif(text, ''), caption) from nodes"))
    search._morphemes_kept.cache_clear()
    search._nfkc_kept.cache_clear()
    search._query_phrases.cache_clear()
    for r in found:
        assert r["snippet"] == search.snippet(texts[r["key"]], q, 80), r["key"]
    assert search._morphemes_kept.cache_info().currsize <= search.SNIPPET_TEXTS


@contextlib.contextmanager
def counted_sql(ds: Datasette, name: str = "yakkan") -> Iterator[list[Any]]:
    """The functions the database ``name`` runs in its SQL threads while the block runs."""
    db = ds.databases[name]
    calls: list[Any] = []
    execute_fn = db.execute_fn

    async def counted(fn: Any) -> Any:
        calls.append(fn)
        return await execute_fn(fn)

    db.execute_fn = counted  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        db.execute_fn = execute_fn  # type: ignore[method-assign]


def test_canned_queries_do_not_list_the_tables_each_time(kb: Path) -> None:
    from versions.cli.serve_app import datasette_instance
    from versions.cli.serve_cmd import SETTINGS

    ds = datasette_instance(kb, SETTINGS, SITE)  # immutable, as `yakkan serve` runs it
    url = "/yakkan/clause_asof.json?_shape=array&doc=toreru-camera&clause=art_2&date={}"
    asyncio.run(ds.client.get(url.format("2030-01-01")))
    # another date: not an answer kept from the first request (cache_answers)
    with counted_sql(ds) as calls:
        response = asyncio.run(ds.client.get(url.format("2029-01-01")))
    assert response.status_code == 200 and response.json()
    # the query itself and Datasette's own look-up; it was 8 (the semantic plugin's canned
    # queries hook listed the tables and views each of the ~4 times Datasette asked)
    assert len(calls) <= 3, len(calls)


def test_json_answers_and_static_files_are_kept(kb: Path) -> None:
    """Datasette's JSON API answers from the page cache (versions/kb/sitedb.py cache_answers):
    the same canned query again runs no SQL, byte for byte the same; a request with a session
    cookie, and an answer other than 200, are not kept."""
    from versions.cli.serve_app import datasette_instance
    from versions.cli.serve_cmd import SETTINGS
    from versions.kb.sitedb import _page_cache

    ds = datasette_instance(kb, SETTINGS, SITE)
    url = "/yakkan/search.json?_shape=array&doc=&q=" + urllib.parse.quote("解約")
    first = asyncio.run(ds.client.get(url))
    assert first.status_code == 200 and first.json()
    with counted_sql(ds) as calls:
        again = asyncio.run(ds.client.get(url))
        assert again.content == first.content and not calls
        assert again.headers["content-type"] == first.headers["content-type"]
        asyncio.run(ds.client.get(url, cookies={"ds_actor": "someone"}))
        assert calls  # someone's own request: computed, whatever the cookie holds
        kept = len(_page_cache(ds))
        assert asyncio.run(ds.client.get("/yakkan/no_such_query.json")).status_code == 404
        assert len(_page_cache(ds)) == kept
        css = asyncio.run(ds.client.get("/-/static/app.css"))
        assert css.status_code == 200 and len(_page_cache(ds)) == kept + 1
        assert asyncio.run(ds.client.get("/-/static/app.css")).content == css.content


def test_worker_processes_share_rendered_pages(
    kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers (two Datasette instances over one folder, as serve_app runs them): a page
    one computed is the other's answer, byte for byte, without a query; another build of the
    database (another file) is computed afresh."""
    import shutil

    from versions.kb.sitedb import PAGE_DIR_ENV, PAGE_SHARE_ENV

    folder = tmp_path / "pages"
    folder.mkdir()
    monkeypatch.setenv(PAGE_DIR_ENV, str(folder))
    monkeypatch.setenv(PAGE_SHARE_ENV, "10000000")
    one, two = site(kb), site(kb)
    url = "/-/yakkan/asof?doc=toreru-camera&date=2021-05-14"
    first = asyncio.run(one.client.get(url))
    assert first.status_code == 200 and len(list(folder.iterdir())) == 1
    asyncio.run(two.invoke_startup())  # the semantic plugin's warm-up query
    with counted_sql(two) as calls:
        again = asyncio.run(two.client.get(url))
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert not calls  # answered from the shared folder
    other = tmp_path / "rebuilt" / "yakkan.db"
    other.parent.mkdir()
    shutil.copy(kb, other)
    asyncio.run(site(other).client.get(url))
    assert len(list(folder.iterdir())) == 2  # its own page: the key holds the database file
    # a worker writes at most its share, then only reads
    monkeypatch.setenv(PAGE_SHARE_ENV, "1000")
    small = site(kb)
    assert asyncio.run(small.client.get("/-/yakkan/asof?doc=toreru-camera&date=2024-10-01"))
    assert len(list(folder.iterdir())) == 2


def test_document_substring_search_finds_what_it_found(kb: Path) -> None:
    """The trigram scope filters the matches (``+rowid``) instead of one full-text query per
    text of the document (``rowid IN``): the same rows, in the same order, for every document."""
    conn = sqlite3.connect(kb)
    docs = [r[0] for r in conn.execute("select id from documents")]
    old_scope = search.TRIGRAM_SCOPE.replace("+rowid", "rowid")
    assert old_scope != search.TRIGRAM_SCOPE
    found = 0
    for q in ["サービス", "個人情報", "損害賠償", "第三者", "通知する", "利用契約の解除"]:
        for doc in docs:
            lo, hi = search._seq_range(conn, doc, None, False)
            params = {
                "expr": search.trigram_expression(q),
                **{"lo": lo, "hi": hi, "cap": 1000, "all_versions": 0, "version": None},
                **{"doc": doc, "chapter": None, "kind": None, "limit": 20},
            }
            new = conn.execute(search.TRIGRAM_SQL.format(scope=search.TRIGRAM_SCOPE), params)
            old = conn.execute(search.TRIGRAM_SQL.format(scope=old_scope), params)
            rows = new.fetchall()
            assert rows == old.fetchall(), (q, doc)
            found += len(rows)
    assert found > 50
