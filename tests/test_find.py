"""The one search box (versions/kb/find.py) on the corpus knowledge base: words and questions,
customer vocabulary, results by article, 附則 after main provisions, counts, paging, filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from semantic_helpers import require_vectors

from versions.kb import find, ranking, vocabulary


@pytest.fixture(scope="session")
def kb(semantic_kb: Path) -> Path:
    require_vectors(semantic_kb)
    return semantic_kb


@pytest.fixture(scope="session")
def plain(plain_kb: Path) -> Path:
    return plain_kb


def headings(result: find.Result, n: int = 3) -> list[str]:
    return [f"{g.doc_id} {g.node_id} {g.caption}" for g in result.groups[:n]]


def rank_of(result: find.Result, doc: str, article: str) -> int | None:
    return next(
        (i for i, g in enumerate(result.groups, 1) if (g.doc_id, g.node_id) == (doc, article)),
        None,
    )


# --- the examples, each in the top 3 ---------------------------------------------------


def test_question_about_late_payment(kb: Path) -> None:
    q = "料金を払い忘れたらどうなる？"
    within = find.find(kb, q, doc="toreru-camera")
    assert within.mode == "hybrid" and within.reason == "question"
    assert rank_of(within, "toreru-camera", "art_32") == 1, headings(within)  # 第32条（延滞利息）
    assert within.groups[0].caption == "延滞利息"
    assert within.groups[0].best.node_id == "art_32__para_1"
    everywhere = find.find(kb, q, limit=5)
    # every document's 延滞利息 article is the same text: they lead, toreru's among them
    assert all(g.caption in ("延滞利息", "支払遅滞") for g in everywhere.groups[:3])
    assert rank_of(everywhere, "toreru-camera", "art_32") is not None


@pytest.mark.parametrize("word", ["キャンセル", "退会"])
def test_customer_words_for_cancelling(kb: Path, word: str) -> None:
    result = find.find(kb, word, doc="toreru-camera")
    assert result.mode == "fulltext" and result.total > 3
    assert {"解約", "解除"} <= set(result.expansions)
    assert all("解約" in (g.caption or "") for g in result.groups[:3]), headings(result)
    assert rank_of(result, "toreru-camera", "art_20") in (1, 2, 3)  # 第20条（契約者による解約）


def test_words_the_documents_use_are_searched_as_typed(kb: Path) -> None:
    # 解約金 is in the thesaurus (→ 違約金, 手数料) but the terms say 解約金: no widening
    result = find.find(kb, "解約金")
    assert result.mode == "fulltext" and result.expansions == [] and result.total
    assert all("解約金" in g.best.text + (g.caption or "") for g in result.groups)


def test_moving_house(kb: Path) -> None:
    result = find.find(kb, "引っ越し", doc="toreru-camera")
    assert result.mode == "fulltext"
    top = {g.node_id for g in result.groups[:3]}
    assert {"art_16", "art_14"} <= top, headings(result)  # 移転, 氏名等の変更の届出


@pytest.mark.parametrize(("polite", "plain_form"), [("お申込み", "申込み"), ("お支払い", "支払い")])
def test_honorific_prefix_is_folded(kb: Path, polite: str, plain_form: str) -> None:
    folded, bare = find.find(kb, polite, limit=3), find.find(kb, plain_form, limit=3)
    assert folded.mode == bare.mode == "fulltext"
    assert folded.total == bare.total > 30
    assert headings(folded) == headings(bare)
    # 「なお支払わないとき」 is not お支払い: every highlighted word is the folded one
    for g in folded.groups:
        assert "な<mark>お支払" not in g.best.snippet_html


def test_caption_counts_for_the_body(kb: Path) -> None:
    # 第三者提供 is only in the caption of 第二十七条, 同意 only in its body
    result = find.find(kb, "第三者提供 同意")
    assert result.mode == "fulltext"
    first = result.groups[0]
    assert (first.doc_id, first.node_id) == ("kojin-joho-hogo-ho", "art_27"), headings(result)
    assert first.heading == "第二十七条（第三者提供の制限）"
    assert first.best.node_id == "art_27__para_1" and "同意" in first.best.text


def test_question_within_a_law_puts_main_provisions_first(kb: Path) -> None:
    q = "本人の同意なしに個人データを他社に渡してもいい？"
    result = find.find(kb, q, doc="kojin-joho-hogo-ho", limit=20)
    assert result.mode == "hybrid"
    assert rank_of(result, "kojin-joho-hogo-ho", "art_27") in (1, 2, 3), headings(result)
    flags = [g.supplementary for g in result.groups]
    assert flags == sorted(flags)  # no 附則 / 経過措置 before a main provision
    asked = find.find(kb, "経過措置 同意", doc="kojin-joho-hogo-ho")
    assert asked.groups and asked.groups[0].supplementary  # unless the query asks for them


def test_question_shows_the_paragraph_its_words_and_meaning_agree_on(kb: Path) -> None:
    # 第二十一条's paragraphs are nearly equally close in meaning (第2項, the written-contract case,
    # is a shade closer); 第1項 shares the question's words (取得, 利用目的, 本人, 通知). Fused by
    # ranks the shade won (ranks 1 and 13 by cosine); fused by scores the words decide.
    q = "個人情報を取得したら、利用目的を本人に知らせる必要がある？"
    result = find.find(kb, q, doc="kojin-joho-hogo-ho")
    assert result.mode == "hybrid"
    assert result.groups[0].node_id == "art_21", headings(result)  # 取得に際しての利用目的の通知等
    assert result.groups[0].best.node_id == "art_21__para_1"


def test_a_question_asking_for_a_period_shows_the_paragraph_stating_one(kb: Path) -> None:
    # 第20条's 第4項 repeats 解約 and says 解約希望日までに; 第1項 gives the period asked for
    # (1ヶ月以上前までに). Both are the same article, nearly equally close in meaning.
    q = "解約は何日前までに申し出ればいい？"
    result = find.find(kb, q, doc="vectant-closed-ip-smart")
    assert result.groups[0].node_id == "art_20", headings(result)  # 契約者が行う利用契約解除
    assert result.groups[0].best.node_id == "art_20__para_1"
    plain = find.find(kb, "解約の手続きを教えてください", doc="vectant-closed-ip-smart")
    assert plain.groups[0].node_id == "art_20"  # no period asked: the best scored clause


@pytest.mark.parametrize(
    ("doc", "question", "article", "shown"),
    [
        # 第14条 第2項 (届出がないときは…通知をもって…) is closest; 第1項 states the duty asked
        # about: 変更があったときは…届け出ていただきます
        ("toreru-camera", "引っ越して住所が変わったら連絡は必要？", "art_14", "art_14__para_1"),
        # 第20条 第3項 (解約希望日が…4営業日以内の日付となる場合) is closest; 第1項 says what to do
        ("toreru-camera", "解約したいときはどうすればいい？", "art_20", "art_20__para_1"),
        # 第三条 第1項's lead states the duty (努めなければならない); its 第1号 says what it is
        (
            "shohisha-keiyaku-ho",
            "契約条項はわかりやすく書かないといけない？",
            "art_3",
            "art_3__para_1__item_1",
        ),
    ],
)
def test_a_question_asking_for_a_duty_shows_the_clause_stating_it(
    kb: Path, doc: str, question: str, article: str, shown: str
) -> None:
    result = find.find(kb, question, doc=doc)
    assert result.groups[0].node_id == article, headings(result)
    assert result.groups[0].best.node_id == shown


@pytest.mark.parametrize(
    ("doc", "question", "article", "shown"),
    [
        # 第十七条: 第1項 「起算して六年とする」 (a term's length); 第3項 「九十日前から…」
        ("shohisha-keiyaku-ho", "適格消費者団体の認定は何年有効？", "art_17", "art_17__para_1"),
        # 第百三十四条: 第1項 「委員長及び委員八人をもって組織する」, 第4項 who they are
        (
            "kojin-joho-hogo-ho",
            "個人情報保護委員会の委員は何人いる？",
            "art_134",
            "art_134__para_1",
        ),
    ],
)
def test_a_question_asking_for_a_figure_shows_the_paragraph_stating_it(
    kb: Path, doc: str, question: str, article: str, shown: str
) -> None:
    result = find.find(kb, question, doc=doc)
    group = next(g for g in result.groups if g.node_id == article)
    assert group.best.node_id == shown, headings(result)


@pytest.mark.parametrize(
    ("doc", "question", "article"),
    [
        # 第20条（契約者による解約） names 解約; 第19条（契約者による一部解約） holds it in a
        # compound
        ("toreru-camera", "ご解約の手続きについて教えてください", "art_20"),
        # the customer's 見せて is the law's 開示 (thesaurus): 第三十三条（開示）, not
        # 第三十四条（訂正等）
        (
            "kojin-joho-hogo-ho",
            "会社が持っている自分のデータを見せてほしいと請求できる？",
            "art_33",
        ),
    ],
)
def test_a_caption_naming_the_concept_ranks_its_article_first(
    kb: Path, doc: str, question: str, article: str
) -> None:
    result = find.find(kb, question, doc=doc)
    assert result.mode == "hybrid"
    assert result.groups[0].node_id == article, headings(result)


@pytest.mark.parametrize(
    ("doc", "question", "article"),
    [
        # 第44条（映像解析オプションの映像の利用）: its clauses speak of 画像 and 解析データ, its
        # caption and opening of the 映像 the customer asks about
        (
            "toreru-camera",
            "混雑状況の映像解析オプションで撮ったお客さんの映像は何に使われるの？",
            "art_44",
        ),
        # 第四条 as a whole is about being pressed into a contract (困惑して…申込み又はその承諾の
        # 意思表示), which none of its items says in the customer's words
        ("shohisha-keiyaku-ho", "帰ってほしいと言ったのに居座られて、仕方なく契約した", "art_4"),
    ],
)
def test_a_question_matches_an_article_as_a_whole(
    kb: Path, doc: str, question: str, article: str
) -> None:
    result = find.find(kb, question, doc=doc)
    assert result.mode == "hybrid"
    assert result.groups[0].node_id == article, headings(result)


def test_article_vectors_raise_articles_by_their_similarity() -> None:
    from versions.kb.search import Hit

    def group(key: str, score: float) -> ranking.Group:
        hit = Hit(key, "v", "d", key, "article", key, None, "", "", None, None, score)
        return ranking.Group(key, "d", "v", key, key, None, hit, score, False)

    groups = [group("a", 1.0), group("b", 0.9), group("c", 0.2)]
    ranking.favour_meaning(groups, {"a": 0.80, "b": 0.90, "c": 0.85})
    ranking.order(groups, "")
    assert [(g.key, round(g.score, 3)) for g in groups] == [
        ("b", 0.9 + ranking.ARTICLE_WEIGHT),
        ("a", 1.0),
        ("c", 0.2 + ranking.ARTICLE_WEIGHT / 2),
    ]


@pytest.mark.parametrize(
    ("caption", "word", "named"),
    [
        ("契約者による解約", "解約", True),
        ("契約者による一部解約", "解約", False),  # inside a compound
        ("解約金", "解約", False),
        ("カメラ装置等の引き渡し・返還の費用負担", "返還", True),  # ・ separates words
        ("開示", "開示", True),
        ("ＳＩＭカードの返却", "カード", False),  # NFKC: ＳＩＭカード is one word
        (None, "解約", False),
    ],
)
def test_names(caption: str | None, word: str, named: bool) -> None:
    assert ranking.names(caption, word) is named


def test_provisions_for_businesses_come_before_those_for_public_bodies(kb: Path) -> None:
    # 第二十八条 (個人情報取扱事業者) and 第七十一条 (行政機関の長等): the same rule for
    # 外国にある第三者
    q = "個人データを外国の会社に提供するときのルールは？"
    result = find.find(kb, q, doc="kojin-joho-hogo-ho", limit=200)
    assert result.groups[0].node_id == "art_28", headings(result)
    main = [g for g in result.groups if not g.supplementary]
    ranks = {g.node_id: i for i, g in enumerate(main)}
    assert main[ranks["art_71"]].public and ranks["art_71"] > ranks["art_28"]
    state = "行政機関が個人情報を外国に提供するときのルールは？"
    asked = find.find(kb, state, doc="kojin-joho-hogo-ho")
    assert asked.groups[0].node_id == "art_71", headings(asked)  # unless the query names them


@pytest.mark.parametrize(
    ("doc", "question", "article"),
    [
        # asked: 個人情報 (第38条（個人情報の取扱）第3項: 解約した後も…利用する場合があります),
        # not 解約 (第25条（当社による解約）)
        ("gigaraku-wifi-ap", "解約した後も個人情報を使われることはある？", "art_38"),
        # asked: 事前に連絡 (第2条第3項: 廃止する場合…事前に通知します), not 第17条（提供の中止）
        ("vectant-closed-ip-smart", "サービスが廃止になるときは事前に連絡がある？", "art_2"),
    ],
)
def test_what_is_asked_after_the_conditions_decides(
    kb: Path, doc: str, question: str, article: str
) -> None:
    result = find.find(kb, question, doc=doc, limit=3)
    assert result.groups[0].node_id == article, headings(result)


def test_public_bodies_are_a_penalty_not_a_tier(kb: Path) -> None:
    # 第三十二条（報告及び立入検査）: 内閣総理大臣は… (a public body); its 第2項 says the
    # inspector shows an identity card. The question is about a public body's act without
    # naming one: the penalty leaves the article first, a tier put it below every other.
    q = "立入検査に来た職員は身分証を見せる必要がある？"
    result = find.find(kb, q, doc="shohisha-keiyaku-ho")
    assert result.groups[0].node_id == "art_32" and result.groups[0].public, headings(result)
    assert result.groups[0].best.node_id == "art_32__para_2"


# --- counts, paging, grouping ------------------------------------------------------------------


def test_true_counts_and_paging(kb: Path) -> None:
    first, second = find.find(kb, "料金", limit=10), find.find(kb, "料金", limit=10, offset=10)
    both = find.find(kb, "料金", limit=20)
    assert first.total == second.total == both.total > 50
    assert first.clauses > first.total  # several clauses of an article count once
    assert [g.key for g in first.groups + second.groups] == [g.key for g in both.groups]
    assert sum(first.by_doc.values()) == first.total and len(first.by_doc) >= 4


@pytest.mark.parametrize("query", ["料金", "解約", "第三者提供 同意", "延滞利息", "キャンセル"])
def test_below_the_bound_results_are_unchanged(kb: Path, query: str) -> None:
    bounded = find.find(kb, query, limit=1000)
    exact = find.find(kb, query, limit=1000, bound=find.MATCH_CAP)
    assert not bounded.capped and bounded.total_label == str(bounded.total) > "0"
    assert [(g.key, g.score) for g in bounded.groups] == [(g.key, g.score) for g in exact.groups]
    assert bounded.clauses == exact.clauses


def test_a_hit_bound_says_at_least(kb: Path) -> None:
    exact = find.find(kb, "料金", limit=1000)
    bounded = find.find(kb, "料金", limit=1000, bound=20)
    assert bounded.capped and 0 < bounded.clauses <= 20 < exact.clauses
    assert bounded.clauses_label == f"{bounded.clauses}+"
    assert bounded.total_label == f"{bounded.total}+" and bounded.total < exact.total
    # the best-ranked clauses are the ones kept: every bounded article is an exact one
    assert {g.key for g in bounded.groups} <= {g.key for g in exact.groups}


def test_a_bound_keeps_provisions_not_headings(kb: Path) -> None:
    """損害賠償's best bm25 matches are 第7章 headings (short captions): a bound of 3 kept only
    those, and the search found nothing (at 10,000 versions: the best 500 were headings)."""
    exact = find.find(kb, "損害賠償", mode="fulltext", limit=1000)
    bounded = find.find(kb, "損害賠償", mode="fulltext", limit=1000, bound=3)
    assert bounded.mode == "fulltext" and bounded.capped and bounded.groups
    assert bounded.groups[0].key in {g.key for g in exact.groups}
    assert all(g.best.kind not in ranking.HEADINGS for g in bounded.groups)


def test_a_bound_keeps_clauses_with_every_term(kb: Path) -> None:
    """The best 3 clauses of 料金 and of 支払 share no article: clauses holding both are
    searched too, so 「料金 支払」 still finds articles, every one an exact result."""
    exact = find.find(kb, "料金 支払", mode="fulltext", limit=1000)
    bounded = find.find(kb, "料金 支払", mode="fulltext", limit=1000, bound=3)
    assert bounded.capped and bounded.groups
    assert {g.key for g in bounded.groups} <= {g.key for g in exact.groups}


def test_within_one_document_counts_stay_exact(kb: Path) -> None:
    everywhere = find.find(kb, "料金", limit=1000)
    doc = everywhere.groups[0].doc_id
    one = find.find(kb, "料金", doc=doc, limit=1000, bound=5)  # the latest version's rows
    assert not one.capped and one.total == everywhere.by_doc[doc] > 5
    assert {g.key for g in one.groups} == {g.key for g in everywhere.groups if g.doc_id == doc}
    old = find.find(kb, "料金", doc=doc, limit=1000, all_versions=True)  # every version: tags
    assert old.total >= one.total


def test_one_result_per_article_with_its_caption(kb: Path) -> None:
    result = find.find(kb, "延滞利息", limit=50)
    keys = [g.key for g in result.groups]
    assert len(keys) == len(set(keys))
    for g in result.groups:
        assert g.best.article_id == g.node_id
        assert g.best.key in {h.key for h in g.matches}
    assert {g.caption for g in result.groups[:4]} == {"延滞利息"}
    assert all(g.best.node_id.endswith("__para_1") for g in result.groups[:4])


# --- filters in every mode ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["fulltext", "hybrid", "semantic"])
def test_filters_work_in_every_mode(kb: Path, mode: str) -> None:
    q = "延滞利息" if mode == "fulltext" else "料金を払い忘れたらどうなる？"
    paras = find.find(kb, q, mode, kind="paragraph", limit=20)
    assert paras.mode == mode and paras.groups
    assert {g.best.kind for g in paras.groups} == {"paragraph"}
    suppl = find.find(kb, "施行", mode, kind="supplement", doc="kojin-joho-hogo-ho", limit=10)
    assert suppl.groups and all(g.best.node_id.startswith("suppl_") for g in suppl.groups)
    chapter = find.find(kb, q, mode, doc="toreru-camera", chapter="chp_6", limit=10)
    assert chapter.groups and {g.best.chapter_id for g in chapter.groups} == {"chp_6"}


# --- which mode --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["解約", "第三者提供 同意", "延滞利息", "個人情報の保護", "料金 支払", "お申込み"]
)
def test_words_are_words(query: str) -> None:
    assert not find.is_question(query)


@pytest.mark.parametrize(
    "query",
    [
        "料金を払い忘れたらどうなる？",
        "解約したい",
        "カメラが壊れたのですが",
        "個人情報を消してほしい",
        "契約はいつまで続くの",
        "支払いが遅れた場合",
    ],
)
def test_questions_are_questions(query: str) -> None:
    assert find.is_question(query)


def test_full_text_miss_goes_to_hybrid(kb: Path) -> None:
    result = find.find(kb, "映像 カクカク", doc="toreru-camera")
    assert result.reason == "no full-text match" and result.mode == "hybrid"
    assert result.groups and result.other == "fulltext"


def test_without_embeddings_questions_use_their_words(plain: Path) -> None:
    result = find.find(plain, "料金を払い忘れたらどうなる？", doc="toreru-camera")
    assert result.mode == "keywords" and result.notice and "embeddings" in result.notice
    assert rank_of(result, "toreru-camera", "art_32") in (1, 2, 3), headings(result)
    assert find.find(plain, "解約").mode == "fulltext"
    assert find.find(plain, "解約").other == "keywords"


# --- vocabulary --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("お申込み", "申込み"),
        ("お支払い", "支払い"),
        ("ご利用", "利用"),
        ("ご連絡", "連絡"),
        ("お支払期日", "支払期日"),
        ("お金", "お金"),  # お is part of these words
        ("お客様", "お客様"),
        ("お知らせ", "お知らせ"),
        ("おそれ", "おそれ"),
        ("解約", "解約"),
    ],
)
def test_fold_honorific(typed: str, folded: str) -> None:
    assert vocabulary.fold_honorific(typed) == folded


def test_thesaurus_is_reviewed_data() -> None:
    entries = vocabulary.load()
    assert len(entries) >= 30
    for e in entries:
        assert e.say and e.means and not set(e.say) & {"", " "}
    assert {"支払遅延", "延滞"} <= set(vocabulary.thesaurus("料金を払い忘れた"))
    assert {"故障", "損傷", "弁償"} <= set(vocabulary.thesaurus("カメラを壊した"))
    assert {"返金", "払戻し"} <= set(vocabulary.thesaurus("お金を返して"))
    assert vocabulary.thesaurus("口座からの引き落とし") == vocabulary.thesaurus("引き落とし")
    assert "故障" not in vocabulary.thesaurus("口座からの引き落とし")  # 落とし is not 壊し
    assert vocabulary.thesaurus("延滞利息") == []
    assert "所有権" in vocabulary.thesaurus("機器はいつから自分のものになる？")
    assert "債務不履行" in vocabulary.thesaurus("業者が約束を守らない")


@pytest.mark.parametrize(
    ("question", "caption"),
    [
        ("台風で被害を受けたら料金をまけてもらえることはある？", "料金等の臨時減免"),  # 災害
        ("料金をごまかして払わなかったらどうなる？", "割増金"),  # 不法に免れた
    ],
)
@pytest.mark.parametrize("doc", ["dokodemo-merec", "gigaraku-wifi-ap", "toreru-camera"])
def test_customer_words_for_disasters_and_evasion(
    kb: Path, doc: str, question: str, caption: str
) -> None:
    result = find.find(kb, question, doc=doc)
    assert result.groups[0].caption == caption, headings(result)


@pytest.mark.parametrize("doc", ["dokodemo-merec", "gigaraku-wifi-ap", "toreru-camera"])
def test_lending_the_equipment_finds_the_clause_forbidding_it(kb: Path, doc: str) -> None:
    result = find.find(kb, "ルーターを友達に貸してもいい？", doc=doc)
    assert "転貸" in (result.groups[0].best.text or ""), headings(result)  # 譲渡し、転貸し…


@pytest.mark.parametrize(
    ("doc", "article"),
    [("itkeeper-remote-network", "art_33"), ("vectant-closed-ip-smart", "art_26")],
)
def test_a_hijacked_account_finds_the_article_on_misuse(kb: Path, doc: str, article: str) -> None:
    result = find.find(kb, "アカウントを乗っ取られたらどうする？", doc=doc)
    assert result.groups[0].node_id == article, headings(result)


def test_thesaurus_allows_another_particle() -> None:
    assert {"返金", "払戻し"} <= set(vocabulary.thesaurus("解約したらお金は戻ってくる？"))
    assert "移転" in vocabulary.thesaurus("住所も変わった")
    assert vocabulary.thesaurus("料金の上限") == []


@pytest.mark.parametrize(
    ("query", "late"),
    [
        ("料金を払わないとどうなる？", True),
        ("払わないまま放置したら？", True),
        ("全額払わないといけない？", False),  # must one pay: not about paying late
        ("払わなければならない費用は？", False),
        ("払わなくてもいい？", False),
    ],
)
def test_thesaurus_rules_out_phrasings_that_mean_something_else(query: str, late: bool) -> None:
    assert ("支払遅延" in vocabulary.thesaurus(query)) is late


def test_thesaurus_unless_must_be_a_list(tmp_path: Path) -> None:
    bad = tmp_path / "thesaurus.toml"
    bad.write_text('[[entry]]\nsay = ["a"]\nmeans = ["b"]\nunless = "c"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="entry 1: `unless` must be a list"):
        vocabulary.load(bad)


def test_a_defined_term_shows_its_definition_first(kb: Path) -> None:
    result = find.find(kb, "要配慮個人情報", doc="kojin-joho-hogo-ho")
    assert result.groups[0].best.node_id == "art_2__para_3"  # 「要配慮個人情報」とは
    table = find.find(kb, "契約者", doc="toreru-camera")
    assert table.groups[0].caption == "用語の定義" and "契約者" in table.groups[0].best.text


def test_supplementary() -> None:
    assert ranking.supplementary("suppl_10__art_5", "経過措置")
    assert ranking.supplementary("art_90", "個人情報の取扱いに関する経過措置")
    assert not ranking.supplementary("art_27", "第三者提供の制限")
    assert ranking.asks_for_supplements("施行日はいつ？")
    assert not ranking.asks_for_supplements("解約")


@pytest.mark.parametrize(
    ("text", "public"),
    [
        ("行政機関の長等は、利用目的以外の目的のために…", True),
        ("前項の場合において、地方公共団体は、…", True),
        ("国は、地方公共団体が策定し…", True),
        ("個人情報取扱事業者は、外国にある第三者に…", False),
        ("外国にある第三者に個人データを提供する場合には…", False),  # 外国 is not 国
    ],
)
def test_public_subject(text: str, public: bool) -> None:
    assert ranking.public([text]) is public


@pytest.mark.parametrize(
    ("doc", "question", "article"),
    [
        # だまされた → 事実と異なる (第四条第一項: 不実告知による取消し)
        ("shohisha-keiyaku-ho", "販売員にだまされて契約した。取り消したい", "art_4"),
        # 拒否される → 承諾しない (第9条（契約申込の承諾）)
        ("toreru-camera", "審査で申し込みを拒否されることはある？", "art_9"),
        # 契約を守らない → 債務不履行 (第八条の二: 解除権を放棄させる条項の無効)
        ("shohisha-keiyaku-ho", "店が契約を守らなくても解除できない条項は有効？", "art_8-2"),
    ],
)
def test_customer_words_for_legal_concepts(kb: Path, doc: str, question: str, article: str) -> None:
    result = find.find(kb, question, doc=doc, limit=3)
    assert result.mode == "hybrid" and result.expansions
    assert result.groups[0].node_id == article, headings(result)


@pytest.mark.parametrize(
    ("doc", "question", "shown"),
    [
        # 足りない → 不足, 壊れて → 瑕疵: 第19条 第3項 (瑕疵または数量不足等を発見したときは…),
        # not 第2項 (納入が遅れた場合)
        (
            "itkeeper-remote-network",
            "届いた機器が足りなかったり壊れていたらどうする？",
            "art_19__para_3",
        ),
        # 使えなかった → 利用できなかった: 第25条 第2項, not 第1項 (the fee itself)
        ("dokodemo-merec", "使えなかった期間の料金も払わないといけない？", "art_25__para_2"),
    ],
)
def test_customer_words_pick_the_paragraph(kb: Path, doc: str, question: str, shown: str) -> None:
    result = find.find(kb, question, doc=doc, limit=3)
    article = shown.split("__")[0]
    group = next(g for g in result.groups if g.node_id == article)
    assert group.best.node_id == shown, headings(result)


FORMATS = Path(__file__).parent / "fixtures" / "formats"
WRITTEN = {  # documents written for the tests: id → (file, format)
    "gym": (FORMATS / "gym-kaiin-kiyaku.txt", "text"),  # 会員規約: 退会, 休会, 滞納
    "shop": (FORMATS / "shop-riyou-kiyaku.md", "markdown"),  # 返品, 支払方法, 手数料
    "video": (FORMATS / "video-kaiin-kiyaku.txt", "text"),  # 無料体験, 月額料金, 登録抹消
    "wifi": (FORMATS / "wifi-rental-kiyaku.txt", "text"),  # 非常災害, 不正な免脱, 貸し出し
}


@pytest.fixture(scope="module")
def written_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge base of the two documents written for the tests."""
    from versions.kb.build import build

    root = tmp_path_factory.mktemp("written")
    for doc_id, (path, fmt) in WRITTEN.items():
        folder = root / "corpus" / doc_id
        folder.mkdir(parents=True)
        (folder / path.name).write_bytes(path.read_bytes())
        (folder / "document.toml").write_text(
            f'id = "{doc_id}"\ntitle = "{doc_id}"\nkind = "terms"\n\n[[versions]]\n'
            f'file = "{path.name}"\neffective = "2025-04-01"\nformat = "{fmt}"\n',
            encoding="utf-8",
        )
    build(root / "corpus", root / "written.db")
    return root / "written.db"


def test_the_clause_shown_counts_the_words_of_the_clauses_it_cites(written_kb: Path) -> None:
    """「前項第2号の場合、手数料は会員の負担とします。」 answers コンビニ払い 手数料: its 前項第2号
    is コンビニ払い (the item alone has only that word)."""
    found = find.find(written_kb, "コンビニ払い 手数料", "fulltext", doc="shop", limit=3)
    assert found.groups[0].best.node_id == "art_4__para_2"


def test_making_an_association_is_its_establishment(tmp_path: Path) -> None:
    """協会を作る → 設立: 中小事業協会法 第六条（設立） 「十人以上の発起人がなければ設立すること
    ができない」, not 第一条（目的）."""
    from versions.kb.build import build

    folder = tmp_path / "corpus" / "kyokai"
    folder.mkdir(parents=True)
    law = FORMATS / "kyokai-ho.law.txt"
    (folder / law.name).write_bytes(law.read_bytes())
    (folder / "document.toml").write_text(
        f'id = "kyokai"\ntitle = "kyokai"\nkind = "statute"\n\n[[versions]]\nfile = "{law.name}"\n'
        'effective = "2021-10-01"\nformat = "text"\n',
        encoding="utf-8",
    )
    db = tmp_path / "kb.db"
    build(tmp_path / "corpus", db)
    found = find.find(db, "協会を作るには何人必要？", doc="kyokai", limit=3)
    assert found.groups[0].node_id == "art_6", headings(found)
    assert found.groups[0].best.node_id == "art_6__para_1"


@pytest.mark.parametrize("question", ["やめさせられることはある？", "追い出されることはある？"])
def test_being_made_to_leave_is_not_cancelling(written_kb: Path, question: str) -> None:
    """やめさせられる, 追い出される: the club's 第５条（除名）, not 第４条の２（退会）."""
    found = find.find(written_kb, question, doc="gym", limit=3)
    assert found.groups[0].node_id == "art_5", headings(found)


def test_a_question_whether_something_costs_shows_who_bears_it(written_kb: Path) -> None:
    """「手数料はかかる？」 asks for an amount; 「手数料は会員の負担とします」 (第4条第2項) says who
    pays it, where its 第2号 only names コンビニ払い."""
    found = find.find(written_kb, "コンビニで払うと手数料はかかる？", doc="shop", limit=3)
    group = next(g for g in found.groups if g.node_id == "art_4")
    assert group.best.node_id == "art_4__para_2", headings(found)


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("会費を払わないとどうなる", "art_5__para_1__item_1"),  # 会費を２か月以上滞納したとき
        ("やめたい", "art_4-2__para_1"),  # （退会）
        ("退会", "art_4-2__para_1"),
    ],
)
def test_membership_words_in_full_text(written_kb: Path, query: str, answer: str) -> None:
    """Membership terms say 退会 and 滞納 where service terms say 解約 and 延滞."""
    found = find.find(written_kb, query, "fulltext", doc="gym", limit=3)
    assert found.groups and found.groups[0].best.node_id == answer, query


# Written 2026-12-07 with the video terms, before any search was run on them (an unseen-text
# probe: 14 of 14 put the answer's article first that day); the answer's article in the top 3.
VIDEO_QUESTIONS = [
    ("無料期間が終わったら勝手にお金がかかる？", "art_5"),  # 自動的に移行する
    ("月の途中で入会したら料金は日割りになる？", "art_4"),  # 日割りせず
    ("解約したら払ったお金は戻ってくる？", "art_7"),  # 返金しない
    ("解約はいつから有効になる？", "art_7"),  # 月の末日に生じる
    ("パスワードを誰かに知られたかもしれないときはどうすればいい？", "art_3"),
    ("支払いが遅れたら延滞料はいくら？", "art_6"),  # 年１４．６％
    ("子どもが登録するには何が必要？", "art_2"),  # 親権者の同意
    ("動画を録画してネットに上げたらどうなる？", "art_8"),  # 無断で複製し、又は配信
    ("強制退会になったらもう一度登録できる？", "art_8"),  # 抹消された者は…できない
    ("サービスが終わるときはいつ知らせてくれる？", "art_9"),  # ３か月前までに
    ("ネットの通信料は料金に含まれる？", "art_10"),
    ("回線の障害で見られなかったら補償してもらえる？", "art_11"),  # 免責
    ("料金はいつ請求される？", "art_4"),  # 毎月１日
    ("アカウントを家族に貸してもいい？", "art_3"),  # 第三者に使用させてはならない
]


# Written 2026-12-08 with the Wi-Fi rental terms, before any search was run on them, to try the
# thesaurus entries of that day on wording they were not made from (非常災害, 不正な手段により…
# 免れた, 貸し出し, 不正に使用された): 5 of 8 answers first before the entries, 7 of 8 after.
WIFI_QUESTIONS = [
    ("料金をごまかして払わなかったらどうなる？", "art_4"),  # 3rd before
    ("レンタルしたWi-Fiを友達に貸してもいい？", "art_6__para_2"),  # 3rd before
    ("料金を踏み倒したらどうなる？", "art_3__para_2"),  # 2nd before
    ("IDを乗っ取られたらどうすればいい？", "art_8__para_2"),
    ("解約したら機器はいつまでに返す？", "art_7__para_1"),
]


@pytest.mark.parametrize(("question", "answer"), WIFI_QUESTIONS)
def test_customer_words_on_terms_written_otherwise(
    written_kb: Path, question: str, answer: str
) -> None:
    best = find.find(written_kb, question, doc="wifi", limit=3).groups[0].best
    assert best.node_id == answer or best.node_id.startswith(answer + "__"), best.node_id


@pytest.mark.parametrize(("question", "article"), VIDEO_QUESTIONS)
def test_questions_on_terms_outside_the_corpus(
    written_kb: Path, question: str, article: str
) -> None:
    found = find.find(written_kb, question, doc="video", limit=3)
    assert article in [g.node_id for g in found.groups], headings(found)
