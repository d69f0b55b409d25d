"""What a question asks for (versions/kb/answer_type.py): a period or an amount, and which
clause texts of the corpus state one."""

from __future__ import annotations

import pytest

from versions.kb import answer_type


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("解約は何日前までに申し出ればいい？", "period"),
        ("やめたいときはいつまでに言えばいい？", "period"),
        ("返却の期限は？", "period"),
        ("何ヶ月使えば違約金はかからない？", "period"),
        ("解約するといくらかかる？", "amount"),
        ("工事費の金額を知りたい", "amount"),
        ("料金を払い忘れたらどうなる？", None),
        ("引っ越したら連絡は必要？", "duty"),
        ("いらなくなったデータは消さないといけない？", "duty"),
        ("会社がすべきことは？", "duty"),
        ("レンタルは最低何か月使わないといけない？", "period"),  # the period is what is asked
        ("手続きに必要な書類は？", None),
        ("解約したいときはどうすればいい？", "duty"),  # what to do: the customer's duty
        ("ご解約の手続きについて教えてください", "duty"),
        ("委員は何人いる？", "count"),
        ("コンビニで払うと手数料はかかる？", "amount"),
        ("送料はかかりますか", "amount"),
        ("規約が変わるときはどうやって知らせてくれる？", None),  # what the other side does
        ("解約するにはどうやって連絡すればいい？", "duty"),
    ],
)
def test_what_a_question_asks_for(question: str, kind: str | None) -> None:
    found = answer_type.asked(question)
    assert (found.name if found else None) == kind


TYPES = {t.name: t for t in answer_type.TYPES}
PERIOD, AMOUNT, COUNT, DUTY = (TYPES[n] for n in ("period", "amount", "count", "duty"))


@pytest.mark.parametrize(
    ("kind", "text", "strength"),
    [
        # vectant-closed-ip-smart 第20条: 第1項 and 第3項 give the figure, 第4項 a deadline in words
        (PERIOD, "利用契約の解除を希望する日より1ヶ月以上前までに書面で弊社に通知する", 2),
        (PERIOD, "解除日より2週間以内に弊社が提供する電気通信設備及び回線接続装置を", 2),
        (PERIOD, "端末が解約希望日までに契約者から弊社へ返却されない場合", 1),
        (PERIOD, "前項の規定にかかわらず、契約者は第2条(規約の変更)第3項により", 0),
        (PERIOD, "その３０日前までに通知します", 2),  # full-width digits
        (PERIOD, "三十日以内に", 2),  # kanji numerals, as statutes print them
        (PERIOD, "当該認定の日から起算して六年とする。", 2),  # a term's length
        (PERIOD, "令和六年四月一日から施行する。", 0),  # a date, not a period
        (COUNT, "委員会は、委員長及び委員八人をもって組織する。", 2),
        (COUNT, "委員長及び委員は、内閣総理大臣が任命する。", 0),
        (AMOUNT, "手数料として１，０００円を支払う", 2),
        (AMOUNT, "年14.5%の割合で計算して得た額", 2),
        (AMOUNT, "料金表に定める額", 1),
        (AMOUNT, "前項第2号の場合、手数料は会員の負担とします。", 1),  # who pays it
        (AMOUNT, "契約者は、本サービスを利用することができます。", 0),
        (DUTY, "そのことを速やかに本サービス取扱所に届け出ていただきます。", 2),
        (DUTY, "速やかに、その利用目的を、本人に通知し、又は公表しなければならない。", 2),
        (DUTY, "そのことをあらかじめ本サービス取扱所に申し出て頂きます。", 2),
        (DUTY, "工事に要する費用の支払いを要します。", 1),
        (DUTY, "消去の上返還するものとします。", 0),  # the terms' everyday verb ending
        (DUTY, "当社からの通知を行ったものとみなします。", 0),
    ],
)
def test_which_texts_state_it(kind: answer_type.AnswerType, text: str, strength: int) -> None:
    assert answer_type.strength(kind, text) == strength


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("解約した後も個人情報を使われることはある？", "個人情報を使われることはある？"),
        ("設置工事のときに建物の壁に穴を開けられた。損害は補償される？", "損害は補償される？"),
        ("最低利用期間の前に解約したらお金を払う？", "お金を払う？"),
        ("サービスが廃止になるときは事前に連絡がある？", "事前に連絡がある？"),
        ("延滞利息", "延滞利息"),  # no condition: the question itself
    ],
)
def test_main_clause(question: str, asked: str) -> None:
    assert answer_type.main_clause(question) == asked
