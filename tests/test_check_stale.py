"""Stale references after an amendment, reported by ``yakkan check`` (versions.history.stale)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from versions.cli import main
from versions.sources.corpus import find_version, load_document
from versions.sources.files import read_document

pytest.importorskip("versions.history.stale")

NEW = find_version("toreru-camera@2023-12-01")


def before(spec: str) -> str:
    """The corpus version just before ``spec`` (DOC@DATE)."""
    v = find_version(spec)
    versions = list(load_document(v.file.parent).versions)
    return versions[versions.index(v) - 1].key


def check_json(*args: str) -> tuple[Result, list[dict]]:
    result = CliRunner().invoke(main, ["check", *args, "--format", "json"])
    return result, json.loads(result.stdout)["problems"]


def test_citation_left_on_the_old_number() -> None:
    old_key = before(NEW.key)
    old = read_document(find_version(old_key).file)
    new = read_document(NEW.file)
    # the amendment inserted 第44条（電子データの取り扱い）; 利用に係る契約者の義務 moved to 第45条
    assert old.node("art_44").caption == "利用に係る契約者の義務"  # type: ignore[union-attr]
    assert new.node("art_45").caption == "利用に係る契約者の義務"  # type: ignore[union-attr]
    result, problems = check_json(NEW.key)
    assert result.exit_code == 1
    stale = [p for p in problems if p["status"] == "stale"]
    assert {p["line"] for p in stale} == {593, 1276}
    for p in stale:
        assert "".join(p["text"].split()) == "第44条（利用に係る契約者の義務）"
        assert "art_45" in p["message"] and old_key in p["message"]
        assert "captioned" in p["message"]  # the caption mismatch it explains is kept
        assert p["level"] == "error"
    # the stale problem replaces the caption mismatch at the same place
    spots = [(p["line"], p["column"]) for p in problems]
    assert len(spots) == len(set(spots))


def test_no_stale_without_history_or_when_disabled() -> None:
    _, problems = check_json(NEW.key, "--no-stale")
    assert not [p for p in problems if p["status"] == "stale"]
    assert {p["line"] for p in problems if p["status"] == "caption_mismatch"} >= {593, 1276}
    first = load_document(NEW.file.parent).versions[0]
    _, problems = check_json(first.key)
    assert not [p for p in problems if p["status"] == "stale"]


def test_previous_given_explicitly(tmp_path: Path) -> None:
    copy = tmp_path / "draft.txt"
    shutil.copy(NEW.file, copy)
    _, alone = check_json(str(copy))
    assert not [p for p in alone if p["status"] == "stale"]  # outside the corpus: no history
    _, problems = check_json(str(copy), "--previous", before(NEW.key))
    assert {p["line"] for p in problems if p["status"] == "stale"} == {593, 1276}
    result = CliRunner().invoke(
        main, ["check", str(copy), "--previous", str(tmp_path / "missing.txt")]
    )
    assert result.exit_code == 2 and "missing.txt" in result.stderr


def test_supplementary_provisions_keep_their_own_numbering() -> None:
    # 附則 of the 2003 act cite 第十五条第一項 as numbered then; the 2020 renumbering is not stale
    spec = "kojin-joho-hogo-ho@2025-06-01"
    _, problems = check_json(spec)
    assert not [p for p in problems if p["status"] == "stale" and p["source"].startswith("suppl_")]
    doc = read_document(find_version(spec).file)
    assert any(r.source.startswith("suppl_1__") and "十五条" in r.text for r in doc.references)


RANGE = Path(__file__).parent / "fixtures" / "stale"


@pytest.mark.parametrize(
    ("later", "gone"),
    [
        ("range-2021-04-01.txt", "which was deleted"),  # 第3条（保証金） replaced by （ポイント）
        ("range-2023-04-01.txt", "which is now art_7, outside the range"),  # … moved to 第7条
    ],
)
def test_a_range_whose_middle_member_moved_is_stale(later: str, gone: str) -> None:
    # 「第2条から第5条まで」 keeps both ends (第2条, 第5条): only its member 第3条 changed
    _, problems = check_json(str(RANGE / later), "--previous", str(RANGE / "range-2019-04-01.txt"))
    stale = [p for p in problems if p["status"] == "stale"]
    assert [(p["source"], p["text"], p["line"]) for p in stale] == [("art_6__para_1", "第2条", 19)]
    assert f"names 第3条（保証金） (art_3), {gone}" in stale[0]["message"]
    _, unchanged = check_json(str(RANGE / later), "--previous", str(RANGE / later))
    assert not [p for p in unchanged if p["status"] == "stale"]
