"""``/-/yakkan/health``: what a load balancer in front of replicas asks (docs/scaling.md)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from test_site import site

from versions.kb.build import build
from versions.sources.corpus import DEFAULT_CORPUS


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("health") / "yakkan.db"
    build(DEFAULT_CORPUS, path)
    return path


def health(db: Path) -> tuple[int, dict[str, object]]:
    response = asyncio.run(site(db).client.get("/-/yakkan/health"))
    return response.status_code, response.json()


def test_health_reports_the_build_it_serves(kb: Path) -> None:
    status, body = health(kb)
    (fingerprint,) = (
        sqlite3.connect(kb)
        .execute("select value from build_meta where key = 'fingerprint'")
        .fetchone()
    )
    assert status == 200 and body["status"] == "ok" and body["fingerprint"] == fingerprint


def test_health_is_503_without_a_knowledge_base(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (x)").connection.commit()
    status, body = health(other)
    assert status == 503 and body["status"] == "unavailable"
