"""`yakkan search`: full-text (default), --semantic, --hybrid, --doc, --format json, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from semantic_helpers import build_kb, require_vectors

from versions.cli import main


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kb(tmp_path_factory.getbasetemp() / "search_cmd" / "yakkan.db")


@pytest.fixture(scope="session")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge base built without embeddings."""
    return build_kb(tmp_path_factory.getbasetemp() / "search_cmd_plain" / "yakkan.db", "none")


def search(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["search", *args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stdout, result.stderr


def hits(*args: str) -> list[dict]:
    code, out, err = search(*args, "--format", "json")
    assert code == 0, err
    return list(json.loads(out)["hits"])


def test_fulltext_by_default(plain: Path) -> None:
    code, out, _ = search("解約", "--db", str(plain), "--limit", "5")
    assert code == 0
    assert out.count("【解約】") >= 5 and " 1. " in out and " 5. " in out
    found = hits("解約", "--db", str(plain))
    assert len(found) == 10
    assert all("解約" in (h["text"] or "") + (h["caption"] or "") for h in found)


def test_doc_filter_and_json_fields(plain: Path) -> None:
    found = hits("延滞利息", "--db", str(plain), "--doc", "toreru-camera", "-n", "3")
    assert 1 <= len(found) <= 3
    assert {h["doc_id"] for h in found} == {"toreru-camera"}
    first = found[0]
    assert first["rank"] == 1 and first["key"] == f"{first['version_id']}/{first['node_id']}"
    assert "延滞利息" in first["path"]


def test_semantic_without_vectors_exits_2_and_fulltext_still_works(plain: Path) -> None:
    for mode in ("--semantic", "--hybrid"):
        code, _, err = search("料金を払い忘れたらどうなる？", mode, "--db", str(plain))
        assert code == 2
        assert "no clause embeddings" in err and "full-text search still works" in err
    assert search("料金", "--db", str(plain))[0] == 0


def test_semantic_and_hybrid(kb: Path) -> None:
    require_vectors(kb)
    q = "解約したいときはどうすればいい？"
    near = hits(q, "--semantic", "--db", str(kb), "--doc", "toreru-camera", "-n", "5")
    assert len(near) == 5 and {h["doc_id"] for h in near} == {"toreru-camera"}
    assert any(h["node_id"].startswith("art_20") for h in near)  # 第20条（契約者による解約）
    assert [h["score"] for h in near] == sorted((h["score"] for h in near), reverse=True)
    fused = hits(q, "--hybrid", "--db", str(kb), "-n", "8")
    assert len(fused) == 8 and len({h["doc_id"] for h in fused}) > 1
    code, out, _ = search(q, "--hybrid", "--db", str(kb), "-n", "3")
    assert code == 0 and " 3. " in out


def test_bad_input(plain: Path, tmp_path: Path) -> None:
    code, _, err = search("解約", "--db", str(plain), "--doc", "no-such-doc")
    assert code == 2 and "no document 'no-such-doc'" in err and "toreru-camera" in err
    code, _, err = search("解約", "--db", str(tmp_path / "missing.db"))
    assert code == 1 and "yakkan build" in err
    assert search("  ", "--db", str(plain))[0] == 2
    code, _, err = search("解約", "--semantic", "--kind", "article", "--db", str(plain))
    assert code == 2 and "--kind work with full-text search" in err
    code, out, _ = search("存在しない言葉ぴよぴよ", "--db", str(plain))
    assert code == 0 and "no clauses found" in out
