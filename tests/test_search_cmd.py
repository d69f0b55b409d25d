"""`yakkan search`: words and questions in one command, --fulltext/--hybrid/--semantic, filters in
every mode, results by article with true counts and --limit/--offset, --format json, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from semantic_helpers import require_vectors

from versions.cli import main
from versions.kb import find


@pytest.fixture(scope="session")
def kb(semantic_kb: Path) -> Path:
    return semantic_kb


@pytest.fixture(scope="session")
def plain(plain_kb: Path) -> Path:
    return plain_kb


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


def test_words_go_to_fulltext(plain: Path) -> None:
    code, out, _ = search("解約", "--db", str(plain), "--limit", "5")
    assert code == 0
    assert out.count("【解約】") >= 5 and " 1. " in out and " 5. " in out
    assert "searched as full text" in out.splitlines()[0] and "next: --offset 5" in out
    found = hits("解約", "--db", str(plain))
    assert len(found) == 10
    for h in found:  # the article's caption counts for its clauses
        assert "解約" in (h["text"] or "") + (h["caption"] or "") + h["article"]["caption"]
    assert len({(h["doc_id"], h["article"]["node_id"]) for h in found}) == 10  # one per article


def test_counts_and_offset(plain: Path) -> None:
    _, out, _ = search("料金", "--db", str(plain), "--format", "json", "-n", "5")
    first = json.loads(out)
    assert first["mode"] == "fulltext" and first["total"] > 50 and first["clauses"] > 100
    _, out, _ = search("料金", "--db", str(plain), "--format", "json", "-n", "5", "--offset", "5")
    second = json.loads(out)
    assert [h["rank"] for h in second["hits"]] == [6, 7, 8, 9, 10]
    both = hits("料金", "--db", str(plain), "-n", "10")
    assert [h["key"] for h in first["hits"] + second["hits"]] == [h["key"] for h in both]


def test_a_word_past_the_bound_is_counted_as_at_least(
    plain: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out, _ = search("料金", "--db", str(plain), "--format", "json")
    assert json.loads(out)["capped"] is False  # the corpus's words stay below 500
    monkeypatch.setattr(find, "BOUND", 20)  # as a word of a 10,000-version KB past 500
    _, out, _ = search("料金", "--db", str(plain), "--format", "json")
    bounded = json.loads(out)
    assert bounded["capped"] is True and bounded["clauses"] <= 20
    code, out, _ = search("料金", "--db", str(plain))
    assert code == 0 and f"{bounded['total']}+ articles ({bounded['clauses']}+ clauses)" in out


def test_question_without_embeddings_uses_its_words(plain: Path) -> None:
    q = "料金を払い忘れたらどうなる？"
    code, out, err = search(q, "--db", str(plain), "--doc", "toreru-camera")
    assert code == 0 and "semantic search is not available" in err
    assert "searched as question (any of its words)" in out and "延滞利息" in out


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
    code, out, _ = search(q, "--db", str(kb), "-n", "3")  # a question: hybrid by itself
    assert code == 0 and "searched as question (words + meaning)" in out and "--fulltext" in out


def test_filters_with_semantic_search(kb: Path) -> None:
    require_vectors(kb)
    q = "本人の同意なしに個人データを他社に渡してもいい？"
    args = ("--db", str(kb), "--doc", "kojin-joho-hogo-ho")
    found = hits(q, "--semantic", "--kind", "paragraph", *args)
    assert found and {h["kind"] for h in found} == {"paragraph"}
    in_suppl = hits(q, "--hybrid", "--kind", "supplement", *args)
    assert in_suppl and all(h["node_id"].startswith("suppl_") for h in in_suppl)
    main = hits(q, *args, "-n", "20")
    flags = [h["article"]["supplementary"] for h in main]
    assert flags == sorted(flags)  # 附則 after every main provision
    assert "art_27" in [h["article"]["node_id"] for h in main[:3]]  # 第二十七条（第三者提供の制限）


def test_bad_input(plain: Path, tmp_path: Path) -> None:
    code, _, err = search("解約", "--db", str(plain), "--doc", "no-such-doc")
    assert code == 2 and "no document 'no-such-doc'" in err and "toreru-camera" in err
    code, _, err = search("解約", "--db", str(tmp_path / "missing.db"))
    assert code == 1 and "yakkan build" in err
    assert search("  ", "--db", str(plain))[0] == 2
    code, _, err = search("解約", "--kind", "nonsense", "--db", str(plain))
    assert code == 2 and "nonsense" in err
    code, out, _ = search("存在しない言葉ぴよぴよ", "--fulltext", "--db", str(plain))
    assert code == 0 and "no clauses found" in out and "full text" in out


def damaged_copy(db: Path, to: Path) -> Path:
    """``db`` with every page of its search and vector tables overwritten (documents, versions
    and clauses intact, so the database still opens and counts its clauses)."""
    import shutil
    import sqlite3

    shutil.copy(db, to)
    with sqlite3.connect(to) as conn:
        size = conn.execute("pragma page_size").fetchone()[0]
        intact = ("node", "texts", "documents", "versions", "build_meta", "sqlite_", "idx_node")
        pages = [p for p, name in conn.execute("select pageno, name from dbstat")
                 if not name.startswith(intact)]  # fmt: skip
    data = bytearray(to.read_bytes())
    for p in pages:
        data[(p - 1) * size : (p - 1) * size + 100] = b"\xff" * 100
    to.write_bytes(bytes(data))
    return to


def test_a_damaged_database_is_named_not_a_traceback(kb: Path, tmp_path: Path) -> None:
    require_vectors(kb)
    bad = damaged_copy(kb, tmp_path / "damaged.db")
    for mode in ("--hybrid", "--semantic"):
        code, _, err = search("料金を払い忘れたらどうなる？", mode, "--db", str(bad))
        assert code == 1, err
        assert f"{bad}: the knowledge base is damaged" in err and "yakkan build" in err
    bad.write_bytes(bad.read_bytes()[:4096] + b"\xff" * 40960)  # the clauses damaged too
    code, _, err = search("料金", "--hybrid", "--db", str(bad))
    assert code == 1 and f"{bad}: the knowledge base is damaged" in err, err
