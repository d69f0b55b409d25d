"""Clause ids as printed (第20条, 第二十条, 第12条の2, 第二十七条第一項第二号) work like node ids in
every command: one resolver (extract.references.clause_id, the citation reader) behind them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from extract.references import clause_id
from versions.cli import main
from versions.sources.corpus import DEFAULT_CORPUS, load_document
from versions.sources.loaded import parse_entry


def nodes(doc: str, version: int = -1) -> list:
    return parse_entry(load_document(DEFAULT_CORPUS / doc).versions[version]).nodes


@pytest.mark.parametrize(
    ("doc", "label", "node_id"),
    [
        ("toreru-camera", "第20条", "art_20"),
        ("toreru-camera", "第二十条", "art_20"),
        ("toreru-camera", "第 20 条", "art_20"),
        ("toreru-camera", "第20条第2項", "art_20__para_2"),
        ("toreru-camera", "第12条の2", "art_12-2"),
        ("toreru-camera", "別紙4", "bessi_4"),
        ("toreru-camera", "art_20__para_2", "art_20__para_2"),
        ("kojin-joho-hogo-ho", "第二十七条第一項第二号", "art_27__para_1__item_2"),
        ("kojin-joho-hogo-ho", "第27条第1項", "art_27__para_1"),
        ("shohisha-keiyaku-ho", "第四条第三項", "art_4__para_3"),
    ],
)
def test_printed_labels_name_nodes(doc: str, label: str, node_id: str) -> None:
    assert clause_id(nodes(doc), label) == node_id


@pytest.mark.parametrize(
    "label", ["第99条", "第20条及び第21条", "解約", "第12条の2（契約者情報の確認）x"]
)
def test_not_a_clause(label: str) -> None:
    assert clause_id(nodes("toreru-camera"), label) is None


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_history_by_label() -> None:
    code, out = run("history", "toreru-camera", "第二十条", "-f", "json")
    assert code == 0
    assert {s["node"] for s in json.loads(out)["timeline"]} == {"art_20"}
    code, out = run("history", "kojin-joho-hogo-ho", "第十七条", "-f", "json")
    assert [s["node"] for s in json.loads(out)["timeline"]] == ["art_15", "art_15", "art_17"]


def test_refs_to_label() -> None:
    by_id = json.loads(run("refs", "--to", "art_20", "--doc", "toreru-camera", "-f", "json")[1])
    for label in ("第20条", "第二十条"):
        code, out = run("refs", "--to", label, "--doc", "toreru-camera", "-f", "json")
        assert code == 0 and json.loads(out) == by_id
    code, out = run("refs", "--to", "第99条", "--doc", "toreru-camera")
    assert code != 0 and "no clause" in out


def test_asof_clause_by_label() -> None:
    code, out = run(
        "asof", "toreru-camera", "2024-12-01", "--clause", "第二十五条第一項", "-f", "json"
    )
    assert code == 0 and json.loads(out)["nodes"][0]["id"] == "art_25__para_1"
