"""Defined terms on real corpus documents: 用語の定義 tables, inline definitions, their uses."""

from __future__ import annotations

import re
from functools import cache

import pytest

from extract.definitions import compact, key
from extract.model import Definition, ParsedDocument
from versions.sources.corpus import find_version
from versions.sources.files import read_document

pytest.importorskip("extract.parse")


@cache
def parsed(spec: str) -> ParsedDocument:
    v = find_version(spec)
    return read_document(v.file, v.format)


def source_line(spec: str, line: int) -> str:
    lines = find_version(spec).file.read_text(encoding="utf-8").splitlines()
    return lines[line - 1]


def defs(spec: str, term: str, kind: str | None = None) -> list[Definition]:
    found = [d for d in parsed(spec).definitions if d.term == term]
    return [d for d in found if kind is None or d.kind == kind]


def the(spec: str, term: str, kind: str | None = None) -> Definition:
    found = defs(spec, term, kind)
    assert len(found) == 1, (term, found)
    return found[0]


def flat(text: str) -> str:
    return "".join(text.split())


TORERU = "toreru-camera@2023-12-01"
TORERU_TABLE = {
    "本契約": "当社から本サービスの提供を受けるための契約。",
    "契約者": "当社と本契約を締結している者。",
    "カメラ装置": "カメラ映像をインターネットを通じカメラクラウドに送信する装置。",
    "インターネット接続回線": "インターネットに接続するための通信回線。",
    "オンサイト工事オプション": "契約者の請求に基づき、現地調査、カメラ装置の設置・設定等を行う"
    "オプションメニュー。",
}


@pytest.mark.parametrize("term", sorted(TORERU_TABLE))
def test_toreru_table_rows_from_flattened_pdf(term: str) -> None:
    d = the(TORERU, term, "table")
    assert flat(d.definition) == TORERU_TABLE[term]
    assert d.node.startswith("art_3__")  # 第3条（用語の定義）
    assert parsed(TORERU).node(d.node) is not None
    # the reported line is the printed row: it starts with the term
    assert flat(source_line(TORERU, d.line)).startswith(key(term))


def test_toreru_table_meaning_over_several_lines() -> None:
    d = the(TORERU, "サポート", "table")
    assert flat(d.definition).startswith("契約者に代行し、")
    assert flat(d.definition).endswith(
        "各装置設定の追加・修正・削除等を契約者の要請により提供する機能。"
    )
    # 表示端末's meaning lists two kinds of terminals printed on four lines
    shown = flat(the(TORERU, "表示端末", "table").definition)
    assert "専用アプリをインストールしたスマートフォン" in shown and "ブラウザ" in shown


def test_toreru_inline_definitions() -> None:
    tosha = the(TORERU, "当社", "inline")
    assert (tosha.node, tosha.definition) == ("art_1__para_1", "西日本電信電話株式会社")
    assert "（以下「当社」といいます。）" in source_line(TORERU, tosha.line)
    assert the(TORERU, "本規約").definition == "「クラウド型カメラとれ～る」利用規約"
    assert the(TORERU, "委託会社").definition == "当社の委託により本サービスに関する業務を行う者"
    # 「契約者名、住所、電話番号、メールアドレス、等の各装置に設定する情報」: the list before 等
    assert the(TORERU, "個人情報").definition.startswith("契約者名、住所、")
    # 「取得した個人の映像を以下「本電子データ」といいます」: the object before 以下
    assert the(TORERU, "本電子データ").definition == "取得した個人の映像"
    # 「約款（2000年西企営第41 号。以下「IP 通信網サービス契約約款」…）」: before the bracket
    ip = the(TORERU, "IP 通信網サービス契約約款")
    assert flat(ip.definition).endswith("当社が別に定めるIP通信網サービス契約約款")


def test_terms_wrapped_over_lines_and_alternatives() -> None:
    spec = "dokodemo-merec"
    # printed as 「インターネット接続」 / 「回線」 on two lines, the meaning on a third
    d = the(spec, "インターネット接続回線", "table")
    assert d.definition == "インターネットに接続するための通信回線。"
    assert flat(source_line(spec, d.line)) == "インターネット接続"
    # 「ＳＩＭ または」 / 「ＳＩＭカード」: two terms, one meaning
    sim, card = the(spec, "ＳＩＭ"), the(spec, "ＳＩＭカード")
    assert (
        sim.definition
        == card.definition
        == "カメラ装置に挿入し、インターネット接続回線を確立する装置"
    )


def test_term_alone_on_its_line() -> None:
    spec = "itkeeper-remote-network"
    d = the(spec, "契約終了日", "table")
    assert flat(d.definition).endswith("意思表示をした日の属する月の末日")
    assert the(spec, "ID 等", "table").definition.endswith("契約ＩＤをいいます。")
    # 「本サービス ITKeeper シリーズ「…」」: the split that leaves a term used elsewhere
    assert the(spec, "本サービス", "table").definition.startswith("ITKeeper シリーズ")


def test_tab_rows_with_inline_definition_in_the_term_cell() -> None:
    spec = "gigaraku-wifi-ap"
    ap_device = the(spec, "Wi-Fi アクセスポイント装置", "table")
    ap = the(spec, "AP", "inline")
    assert ap.node == ap_device.node and ap.definition == "Wi-Fi アクセスポイント装置"
    # a reading in brackets is not part of the term
    assert the(spec, "パスワード", "table").definition.startswith("Wi-Fi に接続する際に")
    assert not defs(spec, "パスワード（暗号化キー）")


def test_rows_merged_by_the_pdf_are_split() -> None:
    spec = "vectant-closed-ip-smart"
    user_id, end_user = the(spec, "ユーザ ID"), the(spec, "エンドユーザ")
    assert user_id.node == end_user.node
    assert user_id.definition.endswith("付与する識別符号。")
    assert end_user.definition.startswith("契約者の法人組織に属する社員")
    assert the(spec, "電気通信設備").definition.endswith("線路その他の設備。")
    # 「…を特に「申込者」という。」
    assert the(spec, "申込者").definition == "利用契約を締結する前の契約者"


def test_statute_definitions() -> None:
    spec = "kojin-joho-hogo-ho"
    d = the(spec, "個人情報")
    assert d.node == "art_2__para_1"
    assert d.definition.startswith("生存する個人に関する情報であって")
    assert the(spec, "委員会").definition == "個人情報保護委員会"
    # a 。 inside brackets does not end the meaning
    consumer = the("shohisha-keiyaku-ho", "消費者")
    assert consumer.node == "art_2__para_1"
    assert (
        consumer.definition
        == "個人（事業として又は事業のために契約の当事者となる場合におけるものを除く。）"
    )


# --- uses ------------------------------------------------------------------------------------


def node_text(spec: str, node_id: str) -> str:
    node = parsed(spec).node(node_id)
    assert node is not None
    return compact(node.text).text


@pytest.mark.parametrize(
    "spec", [TORERU, "dokodemo-merec", "gigaraku-wifi-ap", "vectant-closed-ip-smart",
             "itkeeper-remote-network", "kojin-joho-hogo-ho", "shohisha-keiyaku-ho"],
)  # fmt: skip
def test_every_use_prints_the_term(spec: str) -> None:
    doc = parsed(spec)
    assert doc.definitions
    for d in doc.definitions:
        assert len(d.uses) == len(set(d.uses))
        for use in d.uses:
            assert key(d.term) in node_text(spec, use), (d.term, use)


def test_uses_link_to_the_definition() -> None:
    honkeiyaku = the(TORERU, "本契約", "table")
    keiyakusha_row = the(TORERU, "契約者", "table").node  # 「当社と本契約を締結している者。」
    assert keiyakusha_row in honkeiyaku.uses
    assert honkeiyaku.node not in honkeiyaku.uses  # the row that defines it is not a use
    tosha = the(TORERU, "当社")
    assert len(tosha.uses) > 50 and "art_2__para_1" in tosha.uses


def without(text: str, *longer: str) -> str:
    for word in longer:
        text = text.replace(word, "")
    return text


@pytest.mark.parametrize(
    ("spec", "term", "inside"),
    [
        ("vectant-closed-ip-smart", "本サービス", "基本サービス"),  # 本 belongs to 基本
        ("vectant-closed-ip-smart", "利用契約", "利用契約者"),
        ("dokodemo-merec", "ＳＩＭ", "BPSIM"),  # a product name that ends in SIM
        ("shohisha-keiyaku-ho", "消費者契約", "消費者契約法"),
    ],
)
def test_no_use_inside_another_word(spec: str, term: str, inside: str) -> None:
    d = next(d for d in parsed(spec).definitions if d.term == term)
    only_inside = [n.id for n in parsed(spec).nodes
                   if inside in compact(n.text).text
                   and key(term) not in without(compact(n.text).text, inside)]  # fmt: skip
    assert only_inside, "the corpus has such a node"
    assert not set(only_inside) & set(d.uses)


def test_longest_defined_term_wins() -> None:
    spec = "kojin-joho-hogo-ho"
    doc = parsed(spec)
    longer = [key(d.term) for d in doc.definitions if "個人情報" in d.term and d.term != "個人情報"]
    assert "個人情報取扱事業者" in longer
    longest_first = sorted(longer, key=len, reverse=True)
    nodes = [n.id for n in doc.nodes if "個人情報取扱事業者" in compact(n.text).text
             and "個人情報" not in without(compact(n.text).text, *longest_first)]  # fmt: skip
    assert nodes
    assert not set(nodes) & set(the(spec, "個人情報").uses)


def test_compound_of_an_undefined_word_is_a_use() -> None:
    # 「本サービス契約」 is not defined in this document: the contract for 本サービス uses the term
    spec = "itkeeper-remote-network"
    assert not defs(spec, "本サービス契約")
    row = the(spec, "契約終了日").node
    assert "本サービス契約" in node_text(spec, row)
    assert row in the(spec, "本サービス").uses


def test_definitions_in_json_contract() -> None:
    data = parsed(TORERU).to_json()["definitions"]
    assert {"term", "definition", "node", "line", "kind", "uses"} <= set(data[0])
    assert all(re.fullmatch(r"[a-z0-9_\-]+", u) for d in data for u in d["uses"])


# --- the shared tokenizer ----------------------------------------------------------------------


def test_tokens_cover_the_text_with_offsets() -> None:
    from extract.japanese import tokenize

    text = parsed(TORERU).node("art_1__para_1").text  # type: ignore[union-attr]
    tokens = tokenize(text)
    assert "".join(t.surface for t in tokens) == text
    assert all(text[t.start : t.end] == t.surface for t in tokens)
    # 表記ゆれ folded by SudachiPy: 申込み and 申し込み share a normalised form
    (a,), (b,) = tokenize("申込み", "C"), tokenize("申し込み", "C")
    assert a.normalized_form == b.normalized_form and a.pos == "名詞"


def test_long_text_is_tokenized_in_chunks() -> None:
    from extract.japanese import tokenize

    text = find_version("kojin-joho-hogo-ho").file.read_text(encoding="utf-8")
    assert len(text.encode()) > 49_149  # over SudachiPy's input limit
    tokens = tokenize(text)
    assert tokens[-1].end == len(text)
    assert all(text[t.start : t.end] == t.surface for t in tokens[::97])


@pytest.mark.parametrize(
    ("sentence", "meaning"),
    [
        ("「会員」とは、登録を完了した者をいいます。", "登録を完了した者"),
        ("「商品」とは、本サイトで販売される物品を指します。", "本サイトで販売される物品"),
        ("「ポイント」とは、購入額に応じた特典を意味します。", "購入額に応じた特典"),
        ("「利用者」とは、本サービスを利用する者をいう。", "本サービスを利用する者"),
    ],
)
def test_toha_definitions_in_plain_and_polite_style(sentence: str, meaning: str) -> None:
    """Terms write 「X」とは…をいいます/を指します, statutes …をいう: each defines X."""
    from extract.parse import parse_text

    text = f"第1条（定義）\n{sentence}\n第2条（適用）\n本規約は適用されます。\n"
    (found,) = parse_text(text, "terms.txt", "text").definitions
    term = sentence[1 : sentence.index("」")]
    assert (found.term, found.definition, found.node) == (term, meaning, "art_1__para_1")
