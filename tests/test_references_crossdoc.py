"""References naming another corpus document by its title are resolved in that document."""

from __future__ import annotations

from extract.parse import parse_bytes
from versions.check.crossdoc import resolve_across, title_key

CITED = """第1条（目的）
本規約は、サービスの提供条件を定めます。

第2条（最低利用期間）
最低利用期間は1年とします。
"""

CITING = """第1条（適用）
1 契約者は、「テスト」サービス利用規約第2条（最低利用期間）に従います。
2 「テスト」サービス利用規約第2条（解約）及び第9条は参考です。
3 個人情報保護法第27条第5項第1号に基づき委託します。
4 本規約第1条は、電気通信事業法第20条に優先します。
"""


def _docs() -> dict:
    return {
        "cited": parse_bytes(CITED.encode(), "cited.txt", "text"),
        "citing": parse_bytes(CITING.encode(), "citing.txt", "text"),
    }


def test_title_key_matches_short_law_names() -> None:
    assert title_key("個人情報の保護に関する法律") == title_key("個人情報保護法")
    assert title_key("「テスト」サービス利用規約") == title_key("テストサービス利用規約")


def test_reference_to_another_document_resolves_there() -> None:
    docs = _docs()
    changed = resolve_across(docs, {"cited": "「テスト」サービス利用規約", "citing": "引用側規約"})
    refs = {(r.line, "".join(r.text.split())): r for r in docs["citing"].references}
    ok = refs[(2, "第2条（最低利用期間）")]
    assert (ok.target_document, ok.target, ok.status) == ("cited", "art_2", "ok")
    wrong = refs[(3, "第2条（解約）")]
    assert (wrong.target_document, wrong.status) == ("cited", "caption_mismatch")
    assert "最低利用期間" in wrong.message
    missing = refs[
        (3, "第9条")
    ]  # 「…第2条（解約）及び第9条」: the list stays in the cited document
    assert (missing.target_document, missing.status) == ("cited", "broken")
    assert {id(r) for r in changed} == {id(ok), id(wrong), id(missing)}


def test_names_outside_the_corpus_stay_external() -> None:
    docs = _docs()
    resolve_across(docs, {"cited": "「テスト」サービス利用規約", "citing": "引用側規約"})
    refs = {(r.line, "".join(r.text.split())): r for r in docs["citing"].references}
    assert refs[(4, "第27条第5項第1号")].status == "external"  # 個人情報保護法 is not in this set
    assert refs[(5, "第20条")].status == "external"
    assert refs[(5, "第1条")].target == "art_1"  # 本規約 is this document


def test_many_documents_sharing_titles_resolve_to_the_first_and_the_longest_title() -> None:
    # a corpus of thousands of documents (scripts/scale_corpus.py copies titles): the cited
    # name resolves to the longest title it ends with, among equal titles the first document
    docs = {f"copy-{i}": parse_bytes(CITED.encode(), "cited.txt", "text") for i in range(300)}
    docs["citing"] = parse_bytes(CITING.encode(), "citing.txt", "text")
    titles = {d: "サービス利用規約" for d in docs}
    titles["copy-7"] = "「テスト」サービス利用規約"
    titles["copy-9"] = "「テスト」サービス利用規約"
    titles["citing"] = "引用する規約"
    resolve_across(docs, titles)
    refs = {(r.line, "".join(r.text.split())): r for r in docs["citing"].references}
    assert refs[(2, "第2条（最低利用期間）")].target_document == "copy-7"
