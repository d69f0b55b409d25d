"""The semantic parts of the Datasette site: /-/yakkan/hybrid, canned queries, SQL functions."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette
from semantic_helpers import build_kb, require_vectors
from test_site import SITE, site


@pytest.fixture(scope="session")
def kb(semantic_kb: Path) -> Path:
    require_vectors(semantic_kb)
    return semantic_kb


@pytest.fixture(scope="session")
def ds(kb: Path) -> Datasette:
    return site(kb)


def get(ds: Datasette, url: str, status: int = 200) -> Any:
    response = asyncio.run(ds.client.get(url))
    assert response.status_code == status, (url, response.text[:500])
    return response


def rows(ds: Datasette, query: str, **params: str) -> list[dict[str, Any]]:
    qs = "&".join(f"{k}={v}" for k, v in params.items())
    return list(get(ds, f"/yakkan/{query}.json?_shape=array&{qs}").json())


def test_hybrid_page_is_the_search_box_in_hybrid_mode(ds: Datasette) -> None:
    moved = get(ds, "/-/yakkan/hybrid?q=解約したい&doc=vectant-closed-ip-smart&mode=semantic", 302)
    location = moved.headers["location"]
    assert location.startswith("/-/yakkan/search?") and "mode=semantic" in location
    assert "doc=vectant-closed-ip-smart" in location
    one_doc = get(ds, location).text
    assert 'data-mode="semantic"' in one_doc
    assert "vectant-closed-ip-smart@" in one_doc and "toreru-camera@" not in one_doc


def test_search_page_hybrid(ds: Datasette) -> None:
    html = get(ds, "/-/yakkan/search?q=借りているカメラを壊してしまった。弁償になる？").text
    assert 'data-mode="hybrid"' in html and '<ol class="results" start="1">' in html
    assert "/-/yakkan/clause/dokodemo-merec@" in html and "滅失" in html
    assert "Also searched: 故障" in html  # the customer's 壊した in the terms' words


def test_search_page_escapes_the_query(ds: Datasette) -> None:
    html = get(ds, "/-/yakkan/search?q=<script>alert(1)</script>？").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_search_page_without_vectors(tmp_path: Path) -> None:
    plain = build_kb(tmp_path / "plain.db", "none")
    site = Datasette(
        [str(plain)], template_dir=str(SITE / "templates"), plugins_dir=str(SITE / "plugins")
    )
    html = get(site, "/-/yakkan/search?q=解約したい&mode=hybrid").text
    assert "no clause embeddings" in html and 'data-mode="keywords"' in html
    assert '<ol class="results" start="1">' in html
    queries = get(site, "/plain.json").json().get("queries", [])
    assert "hybrid_search" not in {q["name"] for q in queries}


def test_hybrid_search_canned_query(ds: Datasette) -> None:
    found = rows(ds, "hybrid_search", q="契約の取消しはいつまでできる？", doc="shohisha-keiyaku-ho")
    assert 1 <= len(found) <= 20
    assert {r["doc_id"] for r in found} == {"shohisha-keiyaku-ho"}
    assert found[0]["key"].endswith("/art_7__para_1")  # 第7条（取消権の行使期間等）
    main = [r["score"] for r in found if "/suppl_" not in r["key"]]
    assert main == sorted(main, reverse=True)  # 附則 after the main provisions
    articles = [r["key"].split("__")[0] for r in found if "/suppl_" not in r["key"]]
    assert len(set(articles)) == len(articles)  # one per article
    everywhere = rows(ds, "hybrid_search", q="延滞利息", doc="")
    assert len({r["doc_id"] for r in everywhere}) >= 3


def test_similar_clauses_canned_query(ds: Datasette, kb: Path) -> None:
    with sqlite3.connect(kb) as conn:
        (key,) = conn.execute(
            "select e.key from embeddings e join nodes n on n.key = e.key "
            "where n.doc_id = 'gigaraku-wifi-ap' and n.caption = '延滞利息'"
        ).fetchone()
    found = rows(ds, "similar_clauses", key=key)
    assert [r["rank"] for r in found] == [1, 2, 3, 4, 5]
    assert all(r["doc_id"] != "gigaraku-wifi-ap" for r in found)
    assert sum("延滞利息" in r["path"] for r in found) >= 2


def test_sql_functions(ds: Datasette) -> None:
    sql = (
        "select yakkan_keywords('料金を払い忘れたら', '') as kw, "
        "yakkan_cosine((select vector from embeddings limit 1), 'テスト', "
        "(select model from embedding_meta)) as cos, "
        "yakkan_nearest('延滞利息', 'toreru-camera', 3) as near"
    )
    response = get(ds, "/yakkan.json?_shape=array&sql=" + sql).json()
    assert '"料金"' in response[0]["kw"] and "tags : latest" in response[0]["kw"]
    assert -1.0 <= response[0]["cos"] <= 1.0
    near = json.loads(response[0]["near"])
    assert len(near) == 3 and all(k.startswith("toreru-camera@") for k in near)


def test_startup_reads_the_vector_index(kb: Path) -> None:
    """The first question in a worker process does not wait for the vector index (at 10,000
    versions that read took seconds and the question was a 503): the startup hook reads it."""
    from versions.kb import semantic

    semantic._cache.clear()
    fresh = site(kb)
    asyncio.run(fresh.invoke_startup())
    assert [name for name, _ in semantic._cache] == [str(kb)]


def test_startup_leaves_the_vector_index_out_of_garbage_collections(kb: Path) -> None:
    """The index's per-key lists are frozen out of the cyclic collector's passes (gc.freeze):
    walking them paused a random question by 70–90 ms at 10,000 versions."""
    import gc

    from versions.kb import semantic

    semantic._cache.clear()
    gc.unfreeze()
    try:
        asyncio.run(site(kb).invoke_startup())
        (index,) = semantic._cache.values()
        collected = {id(o) for g in (0, 1, 2) for o in gc.get_objects(generation=g)}
        assert gc.get_freeze_count() > 0
        assert id(index.keys) not in collected and id(index) not in collected
    finally:
        gc.unfreeze()
