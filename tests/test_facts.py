"""Clause facts (extract.facts) on real clauses, the labelled set, and the knowledge base."""

from __future__ import annotations

import sqlite3

import pytest
from facts_labels import load, score

from extract.facts import MODALITIES, QUANTITIES, document_facts, text_facts
from versions.kb import build as kb
from versions.sources.corpus import DEFAULT_CORPUS
from versions.sources.loaded import open_version


def _facts_of(version: str, node: str) -> list[tuple[str, str, str, str]]:
    doc = open_version(version).parsed
    n = doc.node(node)
    assert n is not None
    terms = [d.term for d in doc.definitions]
    return [(f.kind, f.value, f.unit, f.party) for f in text_facts(n.id, n.text, terms)]


def test_a_notice_period_and_who_must_give_it() -> None:
    # 「契約者は、…解約希望日の 10 日前までに、…申し出ていただきます。」
    facts = _facts_of("gigaraku-wifi-ap@2026-04-01", "art_24__para_1")
    assert ("obligation", "いただく", "", "契約者") in facts
    assert ("period", "P10D", "before", "契約者") in facts


def test_rates_amounts_and_statute_deadlines() -> None:
    assert ("rate", "0.145", "per-year", "契約者") in _facts_of(
        "vectant-closed-ip-smart@2017-07-17", "art_30__para_1"
    )
    fee = _facts_of("toreru-camera@2024-10-01", "bessi_4__item_3__sub_2")
    assert ("amount", "400", "JPY", "契約者") in fee
    assert ("amount", "440", "JPY tax-included", "契約者") in fee
    # 「開示決定等は、開示請求があった日から三十日以内にしなければならない。」
    kojin = _facts_of("kojin-joho-hogo-ho@2025-06-01", "art_83__para_1")
    assert ("period", "P30D", "within", "") in kojin


def test_spans_point_at_the_printed_fact() -> None:
    doc = open_version("toreru-camera@2024-10-01").parsed
    by_id = {n.id: n for n in doc.nodes}
    facts = document_facts(doc)
    assert facts
    for f in facts:
        assert by_id[f.node].text[f.start : f.end] == f.surface


def test_a_clause_in_a_relative_clause_is_no_modality() -> None:
    # 「…特定の個人情報を容易に検索することができるように…政令で定めるもの」 permits nothing
    assert not [
        f
        for f in _facts_of("kojin-joho-hogo-ho@2025-06-01", "art_16__para_1__item_2")
        if f[0] in MODALITIES
    ]


@pytest.mark.parametrize("split", ["dev", "held"])
def test_labelled_set_precision_and_recall(split: str) -> None:
    s = score(r for r in load() if r.split == split)
    for kind in MODALITIES:
        assert s.precision(kind) >= 0.9 and s.recall(kind) >= 0.9, (kind, s.errors)
    for kind in QUANTITIES:
        assert s.precision(kind) >= 0.9 and s.recall(kind) >= 0.9, (kind, s.errors)
    assert s.party_accuracy() >= 0.9


def test_fresh_texts_modality_and_parties() -> None:
    # every sentence of the statute / terms fixtures, labelled after the rules were written
    s = score(r for r in load() if r.split == "fresh")
    tp = sum(s.tp[k] for k in MODALITIES)
    assert tp / (tp + sum(s.fp[k] for k in MODALITIES)) >= 0.9
    assert tp / (tp + sum(s.fn[k] for k in MODALITIES)) >= 0.85, s.errors
    assert s.party_accuracy() >= 0.9


def test_the_labelled_set_is_large_and_held_out() -> None:
    rows = [r for r in load() if r.split != "fresh"]
    assert len(rows) >= 120
    held = [r for r in rows if r.split == "held"]
    assert len(held) >= 40
    assert {r.version.partition("@")[0] for r in held}.isdisjoint(
        {r.version.partition("@")[0] for r in rows if r.split == "dev"}
    )


@pytest.fixture(scope="module")
def facts_db(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path = tmp_path_factory.mktemp("facts") / "yakkan.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kb, "STEPS", [s for s in kb.STEPS if "embeddings" not in s.__module__])
        kb.build(DEFAULT_CORPUS, path)
    return sqlite3.connect(path)


def test_the_knowledge_base_lists_notice_periods(facts_db: sqlite3.Connection) -> None:
    rows = facts_db.execute(
        "select value, unit, party, party_role, surface from clause_facts "
        "where node_key = 'gigaraku-wifi-ap@2026-04-01/art_24__para_1' and kind = 'period'"
    ).fetchall()
    assert ("P10D", "before", "契約者", "customer", "10 日前まで") in rows
    kinds = {r[0] for r in facts_db.execute("select distinct kind from clause_facts")}
    assert set(MODALITIES) <= kinds and {"period", "amount", "rate", "date"} <= kinds
    # every row's span is the surface in its node's text
    bad = facts_db.execute(
        "select count(*) from clause_facts f join nodes n on n.key = f.node_key "
        "where substr(n.text, f.span_start + 1, f.span_end - f.span_start) != f.surface"
    ).fetchone()[0]
    assert bad == 0


def test_every_disclaimer_of_a_document(facts_db: sqlite3.Connection) -> None:
    rows = facts_db.execute(
        "select node_id, party from clause_facts where version_id = 'toreru-camera@2024-10-01' "
        "and kind = 'disclaimer'"
    ).fetchall()
    assert ("art_42__para_12", "当社") in rows  # 「当社は、…損害については責任を負いません。」
    assert {p for _, p in rows} <= {"当社", ""}


def test_kanji_rates_and_amounts_of_a_statute() -> None:
    # 消費者契約法 第9条第1項第2号 「年十四・六パーセントの割合」, 第49条 「三百万円以下の罰金」
    rate = _facts_of("shohisha-keiyaku-ho@2025-06-01", "art_9__para_1__item_2")
    assert ("rate", "0.146", "per-year", "") in rate
    fine = _facts_of("shohisha-keiyaku-ho@2025-06-01", "art_49__para_1")
    assert ("amount", "3000000", "JPY", "") in fine


def test_yakkan_facts_lists_a_versions_facts() -> None:
    import json

    from click.testing import CliRunner

    from versions.cli import main

    args = ["facts", "gigaraku-wifi-ap@2026-04-01", "--kind", "period", "--format", "json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    notice = next(f for f in out["facts"] if f["node"] == "art_24__para_1")
    assert (notice["value"], notice["unit"], notice["party"]) == ("P10D", "before", "契約者")
    assert notice["party_role"] == "customer" and notice["label"].startswith("第24条")
    assert {f["kind"] for f in out["facts"]} == {"period"}
    text = CliRunner().invoke(main, ["facts", "itkeeper-remote-network", "--role", "customer"])
    assert text.exit_code == 0 and "[甲]" in text.output
    bad = CliRunner().invoke(main, ["facts", "nosuch-document"])
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and "nosuch-document" in bad.stderr
