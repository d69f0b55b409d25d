"""附則 → amendment events (extract.supplements).

Text-level tests use strings cut from the corpus; the corpus tests parse every document and
compare with tests/fixtures/supplements/<doc>@<version>.tsv, written by reading each 附則.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from extract.model import Node, ParsedDocument, Supplement
from extract.parse import parse_bytes
from extract.supplements import (
    DIAGNOSTIC_CODES,
    clause_effective_dates,
    effective_date_of,
    extract_supplements,
    find_statements,
    parse_heading,
    resolve_when,
)

FIXTURES = Path(__file__).parent / "fixtures" / "supplements"


# -- text level ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caption", "enacted", "number"),
    [
        ("2019年 12月 20日 西デザ S000195 号", "2019-12-20", "西デザ S000195 号"),
        ("令和 3年 3月 18 日 本経企 第 20-806 号", "2021-03-18", "本経企 第 20-806 号"),
        (
            "平成 28 年 3 月 8 日東ビ開 1 ワ推第 15-00150 号",
            "2016-03-08",
            "東ビ開 1 ワ推第 15-00150 号",
        ),
        ("2023年 9月 28日 B委 VDコ 155500000424-01", "2023-09-28", "B委 VDコ 155500000424-01"),
        ("2025 年 5 月 8 日 商号変更に伴う改正", "2025-05-08", None),
        ("平成一八年六月二日法律第五〇号", "2006-06-02", "法律第五〇号"),
        ("令和元年五月三一日法律第一六号", "2019-05-31", "法律第一六号"),
        ("", None, None),
    ],
)
def test_parse_heading(caption: str, enacted: str | None, number: str | None) -> None:
    assert parse_heading(caption) == (enacted, number)


def test_statements_main_partial_and_bare() -> None:
    text = (
        "1 この改正規定は、2021年 5月 11 日から実施します。 "
        "第 20 条の改正規定は 2021年 5 月 17日から実施します。"
    )
    main, part = find_statements(text)
    assert (main.subject, main.is_main, resolve_when(main.when, None)) == (
        "この改正規定",
        True,
        "2021-05-11",
    )
    assert (part.subject, part.is_main, resolve_when(part.when, None)) == (
        "第 20 条の改正規定",
        False,
        "2021-05-17",
    )
    (bare,) = find_statements("2017年7月17日施行")
    assert (bare.subject, resolve_when(bare.when, None)) == ("", "2017-07-17")


def test_article_label_is_not_a_partial_subject() -> None:
    (st,) = find_statements("第 1条 この改正規定は 2022年 8 月 1日から実施します。")
    assert st.is_main and st.subject == "この改正規定"


def test_date_in_another_sentence_is_not_an_effective_date() -> None:
    # 002 附則 (2023-03-27) 第3項: a period of a campaign, not a 実施 date
    assert (
        find_statements(
            "3 2023 年 4 月 1 日から 2024 年 9 月 30 日までの間に…支払いは要しないものとします。"
        )
        == []
    )
    # the 経過措置 mentions 実施 but states no date
    assert (
        find_statements(
            "この改正規定実施前に支払又は支払わなければならなかった…なお従前のとおりとします。"
        )
        == []
    )


def test_statute_when_texts() -> None:
    assert resolve_when("平成十四年四月一日", "2001-11-28") == "2002-04-01"
    assert resolve_when("公布の日", "2006-06-02") == "2006-06-02"
    assert resolve_when("公布の日", None) is None
    # 平成18年法律第56号 (公布 2006-06-07) took effect on 2007-06-07; 平成23年法律第74号
    # (公布 2011-06-24) on 2011-07-14
    assert resolve_when("公布の日から起算して一年を経過した日", "2006-06-07") == "2007-06-07"
    assert resolve_when("公布の日から起算して二十日を経過した日", "2011-06-24") == "2011-07-14"
    assert resolve_when("公布の日から起算して六月を経過した日", None) is None
    assert (
        resolve_when("公布の日から起算して六月を超えない範囲内において政令で定める日", "2012-08-22")
        is None
    )
    assert resolve_when("会社法の施行の日", "2005-07-26") is None
    (st,) = find_statements(
        "この法律は、国立健康危機管理研究機構法（令和五年法律第四十六号）の施行の日（以下「施行日」と"
        "いう。）から施行する。ただし、附則第五条の規定は、公布の日から施行する。"
    )[:1]
    assert st.when.startswith("国立健康危機管理研究機構法") and st.when.endswith("という。）")


# -- events from nodes ----------------------------------------------------------------------


def _node(id_: str, kind: str, text: str, parent: str | None, line: int, **kw: str | None) -> Node:
    label = kw.get("label") or ""
    return Node(id_, kind, kw.get("num"), label, kw.get("caption"), text, parent, line, line)  # type: ignore[arg-type]


def _doc(*supps: tuple[str, str, list[tuple[str | None, str]]]) -> list[Node]:
    """Main articles art_1..art_30, then 附則 (caption, text, [(paragraph caption, text)])."""
    nodes = [_node(f"art_{i}", "article", "…", None, i) for i in range(1, 31)]
    line = 100
    for n, (caption, text, paras) in enumerate(supps, 1):
        sid = f"suppl_{n}"
        nodes.append(_node(sid, "supplement", text, None, line, label="附則", caption=caption))
        for k, (pcap, ptext) in enumerate(paras, 1):
            line += 2
            nodes.append(_node(f"{sid}__para_{k}", "paragraph", ptext, sid, line, caption=pcap))
        line += 4
    return nodes


def test_event_from_nodes() -> None:
    nodes = _doc(
        (
            "2022年 7月 25日 西ビ営 V000343 号",
            "",
            [
                ("実施期日", "この改正規定は 2022年 8 月 1日から実施します。"),
                ("経過措置", "この改正規定実施前に支払…債務については、なお従前のとおりとします。"),
            ],
        )
    )
    (s,), diags = extract_supplements(nodes)
    assert (s.id, s.enacted, s.number, s.effective) == (
        "suppl_1",
        "2022-07-25",
        "西ビ営 V000343 号",
        "2022-08-01",
    )
    assert s.heading == "附則（2022年 7月 25日 西ビ営 V000343 号）"
    assert s.transitional and s.transitional_text and "なお従前のとおり" in s.transitional_text
    assert (s.line, diags) == (100, [])


def test_partial_effective_targets() -> None:
    nodes = _doc(
        ("2021年 4月 23日 西Ｂ営スサ 000007号", "", [(None, "この改正規定は、2021年 5月 11 日から"
         "実施します。第 20 条の改正規定は 2021年 5 月 17日から実施します。ただし、第二十九条の二の"
         "規定は、2021年6月1日から実施します。")]),
    )  # fmt: skip
    (s,), diags = extract_supplements(nodes)
    assert [(p.target, p.effective) for p in s.partial_effective] == [
        ("art_20", "2021-05-17"),
        ("art_29-2", "2021-06-01"),
    ]
    assert [(d.level, d.code) for d in diags] == [("warning", "partial-effective-target-missing")]
    assert clause_effective_dates([s]) == {"art_20": "2021-05-17", "art_29-2": "2021-06-01"}
    assert effective_date_of([s]) == "2021-05-11"


def test_order_and_before_enacted_diagnostics() -> None:
    nodes = _doc(
        ("2021年 2月 1日 A 1号", "", [(None, "この規約は、2021年3月1日から実施します。")]),
        ("2021年 4月 1日 A 2号", "", [(None, "この規約は、2021年2月1日から実施します。")]),
        ("2021年 5月 1日", "", [(None, "この規約は、2021年6月1日から実施します。")]),
    )
    supps, diags = extract_supplements(nodes)
    assert [(d.level, d.code, d.node) for d in diags] == [
        ("warning", "effective-dates-out-of-order", "suppl_2"),
        ("warning", "effective-before-enacted", "suppl_2"),
        ("warning", "missing-document-number", "suppl_3"),
    ]
    assert effective_date_of(supps) == "2021-06-01"


def test_statute_supplements_raise_no_warnings() -> None:
    nodes = _doc(
        ("", "", [(None, "この法律は、公布の日から施行する。")]),
        ("平成一八年六月二日法律第五〇号", "", [(None, "この法律は、公布の日から施行する。")]),
        ("平成二四年八月二二日法律第五九号", "抄", [("施行期日", "この法律は、公布の日から起算して"
         "六月を超えない範囲内において政令で定める日から施行する。")]),
    )  # fmt: skip
    supps, diags = extract_supplements(nodes)
    assert [s.effective for s in supps] == [None, "2006-06-02", None]
    assert supps[2].heading == "附則（平成二四年八月二二日法律第五九号）　抄"
    assert {d.level for d in diags} == {"info"}
    assert [(d.code, d.node) for d in diags] == [
        ("unresolved-effective-date", "suppl_1"),
        ("unresolved-effective-date", "suppl_3"),
    ]


def test_no_supplements() -> None:
    assert extract_supplements(_doc()) == ([], [])
    assert effective_date_of([]) is None and clause_effective_dates([]) == {}


def test_effective_date_of_ignores_undated() -> None:
    supps = [Supplement("suppl_1", "附則", None, None, None), Supplement("suppl_2", "附則", None,
             None, "2020-01-01")]  # fmt: skip
    assert effective_date_of(supps) == "2020-01-01"


@pytest.mark.parametrize(
    ("sentence", "targets"),
    [
        ("ただし、第20条については、2021年6月1日から実施します。", ["art_20"]),
        ("第１条の２は令和3年6月1日から施行します。", ["art_1-2"]),
        ("第十九条及び第二十条の改正規定は、2021年6月1日から実施します。", ["art_19", "art_20"]),
        ("第5条から第7条までの規定は、2021年6月1日から実施します。", ["art_5", "art_6", "art_7"]),
        ("第8条第2項の改正規定は、2021年6月1日から実施します。", ["art_8__para_2"]),
        ("別紙4の改正規定は、2021年6月1日から実施します。", ["bessi_4"]),
        ("別表第1は、2021年6月1日から実施します。", ["beppyo_1"]),
    ],
)
def test_partial_subjects(sentence: str, targets: list[str]) -> None:
    nodes = _doc(("2021年 4月 1日 A 1号", "", [(None, "この規約は、2021年4月1日から実施します。"
                                              + sentence)]))  # fmt: skip
    (s,), _ = extract_supplements(nodes)
    assert s.effective == "2021-04-01"
    assert [(p.target, p.effective) for p in s.partial_effective] == [
        (t, "2021-06-01") for t in targets
    ]


# -- the corpus -----------------------------------------------------------------------------

CORPUS = Path(__file__).parent.parent / "corpus"
EXPECTED = sorted(FIXTURES.glob("*@*.tsv"))
STATUTES = {"kojin-joho-hogo-ho", "shohisha-keiyaku-ho"}


def _parse(name: str) -> ParsedDocument:
    doc_id, version = name.split("@")
    (path,) = (CORPUS / doc_id).glob(f"{version}.*")
    return parse_bytes(path.read_bytes(), str(path))


def _rows(path: Path) -> list[list[str | None]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            rows.append([None if v == "-" else v for v in line.split("\t")])
    return rows


def _as_row(s: Supplement) -> list[str | None]:
    partial = ",".join(f"{p.target}={p.effective}" for p in s.partial_effective) or None
    yes = "yes" if s.transitional else "no"
    return [str(s.line), s.enacted, s.number, s.effective, partial, yes]


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: p.stem)
def test_corpus_events(expected: Path) -> None:
    doc = _parse(expected.stem)
    assert [_as_row(s) for s in doc.supplements] == _rows(expected)
    assert [s.id for s in doc.supplements] == [
        f"suppl_{i}" for i in range(1, len(doc.supplements) + 1)
    ]
    for s in doc.supplements:
        node = doc.node(s.id)
        assert node is not None and node.kind == "supplement" and node.line == s.line
        assert s.transitional == (s.transitional_text is not None)


def _published() -> set[str]:
    names = set()
    for toml in CORPUS.glob("*/document.toml"):
        meta = tomllib.loads(toml.read_text(encoding="utf-8"))
        for v in meta["versions"]:
            if not v.get("constructed", False):
                names.add(f"{meta['id']}@{Path(v['file']).stem}")
    return names


def test_every_published_version_has_expectations() -> None:
    assert _published() == {p.stem for p in EXPECTED}


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: p.stem)
def test_corpus_diagnostics(expected: Path) -> None:
    doc = _parse(expected.stem)
    found = [(d.level, d.code, d.line) for d in doc.diagnostics if d.code in DIAGNOSTIC_CODES]
    if expected.stem.split("@")[0] in STATUTES:
        undated = [int(r[0] or 0) for r in _rows(expected) if r[3] is None]
        unresolved = [f for f in found if f[1] == "unresolved-effective-date"]
        assert unresolved == [("info", "unresolved-effective-date", line) for line in undated]
        # amending laws lawfully take effect out of order (令和4年法律第99号 before 第59号)
        assert {f[:2] for f in found} - {f[:2] for f in unresolved} <= {
            ("info", "effective-dates-out-of-order"),
            ("info", "enacted-dates-out-of-order"),
            ("info", "unresolved-partial-effective-date"),  # 「…政令で定める日」 for one article
        }
        return
    want = [r for r in _rows(FIXTURES / "diagnostics.tsv") if r[0] == expected.stem]
    assert found == [(r[1], r[2], int(r[3] or 0)) for r in want]


def test_corpus_version_dates_match_metadata() -> None:
    """document.toml records the latest 附則 effective date of each published terms document."""
    checked = 0
    for toml in CORPUS.glob("*/document.toml"):
        meta = tomllib.loads(toml.read_text(encoding="utf-8"))
        if meta["kind"] != "terms":
            continue
        for v in meta["versions"]:
            if v.get("constructed", False):
                continue
            doc = _parse(f"{meta['id']}@{Path(v['file']).stem}")
            assert effective_date_of(doc.supplements) == v.get("effective")
            checked += 1
    assert checked == 5


def test_toreru_camera_article_20_has_its_own_date() -> None:
    doc = _parse("toreru-camera@2023-12-01")
    assert clause_effective_dates(doc.supplements) == {"art_20": "2021-05-17"}
    art = doc.node("art_20")
    assert art is not None and art.caption == "契約者による解約"
    s6 = doc.supplements[5]
    assert s6.transitional_text is not None and "なお従前のとおり" in s6.transitional_text


def test_gigaraku_duplicate_and_conflict_messages() -> None:
    doc = _parse("gigaraku-wifi-ap@2025-10-31")
    by_code = {d.code: d for d in doc.diagnostics if d.code in DIAGNOSTIC_CODES}
    assert by_code["duplicate-supplement"].node == "suppl_6"
    assert "line 572" in by_code["duplicate-supplement"].message
    conflict = by_code["supplement-heading-conflict"]
    assert conflict.node == "suppl_25"
    assert "2025-10-31" in conflict.message and "2025-05-30" in conflict.message


def test_statute_items_name_articles_of_the_same_supplement() -> None:
    """H27法65 附則第一条: 「次の各号に掲げる規定は、当該各号に定める日から施行する。」 + items."""
    sid = "suppl_1"
    nodes = [
        _node(
            sid,
            "supplement",
            "抄",
            None,
            1,
            label="附　則",
            caption="平成二七年九月九日法律第六五号",
        ),
        _node(f"{sid}__art_1", "article", "", sid, 3, caption="施行期日"),
        _node(
            f"{sid}__art_1__para_1",
            "paragraph",
            "この法律は、公布の日から起算して二年を超えない"
            "範囲内において政令で定める日から施行する。ただし、次の各号に掲げる規定は、当該各号に"
            "定める日から施行する。",
            f"{sid}__art_1",
            4,
        ),
        _node(
            f"{sid}__art_1__para_1__item_1",
            "item",
            "附則第七条第二項、第十条及び第十二条の規定\u3000公布の日",
            f"{sid}__art_1__para_1",
            5,
        ),
        _node(
            f"{sid}__art_1__para_1__item_2",
            "item",
            "第一条及び第四条並びに附則第五条、第六条、"
            "第七条第一項及び第三項、第八条の規定\u3000平成二十八年一月一日",
            f"{sid}__art_1__para_1",
            6,
        ),
    ] + [_node(f"{sid}__art_{n}", "article", "", sid, 10 + n) for n in (5, 6, 8, 10, 12)]
    nodes += [_node(f"{sid}__art_7__para_{k}", "paragraph", "…", sid, 20 + k) for k in (1, 2)]
    (s,), diags = extract_supplements(nodes)
    assert s.effective is None
    assert [(p.target, p.effective) for p in s.partial_effective] == [
        (f"{sid}__art_7__para_2", "2015-09-09"),
        (f"{sid}__art_10", "2015-09-09"),
        (f"{sid}__art_12", "2015-09-09"),
        (f"{sid}__art_5", "2016-01-01"),  # 第一条及び第四条 are the amending law's: not named
        (f"{sid}__art_6", "2016-01-01"),
        (f"{sid}__art_7__para_1", "2016-01-01"),
        (f"{sid}__art_8", "2016-01-01"),
    ]
    assert [(d.level, d.code) for d in diags] == [("info", "unresolved-effective-date")]


@pytest.mark.parametrize(
    ("heading_text", "body", "effective"),
    [
        ("2017年7月17日施行", None, "2017-07-17"),  # 「付則 2017年7月17日施行」 on one line
        ("", "本規約は、2020年1月1日より実施します。", "2020-01-01"),
        ("", "この約款は、令和２年４月１日から適用します。", "2020-04-01"),
        ("", "この規約は、２０２０年４月１日から効力を発します。", "2020-04-01"),
        ("", "この規約の実施前に締結された契約については、なお従前のとおりとします。", None),
    ],
)
def test_effective_wordings(heading_text: str, body: str | None, effective: str | None) -> None:
    nodes = _doc(("", heading_text, [(None, body)] if body else []))
    (s,), diags = extract_supplements(nodes)
    assert s.effective == effective
    codes = {d.code for d in diags}
    assert ("missing-effective-date" in codes) == (effective is None)


def test_statute_effective_order_is_only_info() -> None:
    first: list[tuple[str | None, str]] = [(None, "この法律は、平成二十一年四月一日から施行する。")]
    second: list[tuple[str | None, str]] = [(None, "この法律は、平成二十年十月一日から施行する。")]
    nodes = _doc(
        ("平成二〇年五月二日法律第二九号", "", first),
        ("平成二〇年六月二日法律第三〇号", "", second),
    )
    _, diags = extract_supplements(nodes)
    assert [(d.level, d.code) for d in diags] == [("info", "effective-dates-out-of-order")]


def test_only_statements_about_the_text_itself_are_main() -> None:
    assert find_statements("本サービスの料金は、2021年4月1日から適用します。") == []
    assert [
        s.subject for s in find_statements("この利用規約は、令和 3年７月 15日から実施します。")
    ] == ["この利用規約"]


def test_unresolved_dates_keep_their_text_and_last_possible_day() -> None:
    doc = _parse("shohisha-keiyaku-ho@2012-12-01")
    by_number = {s.number: s for s in doc.supplements}
    cabinet = by_number["法律第五九号"]  # 平成24年: 六月を超えない範囲内において政令で定める日
    assert cabinet.effective is None
    assert (
        cabinet.effective_text == "公布の日から起算して六月を超えない範囲内において政令で定める日"
    )
    assert (cabinet.enacted, cabinet.effective_by) == ("2012-08-22", "2013-02-21")
    other_law = by_number["法律第八七号"]  # 会社法の施行の日: no bound known
    assert (other_law.effective_text, other_law.effective_by) == ("会社法の施行の日", None)
    elapsed = by_number["法律第五六号"]
    assert (elapsed.effective, elapsed.effective_text) == ("2007-06-07", None)


def test_an_enactments_own_supplement_names_its_own_articles() -> None:
    """The enactment's 附則 (no law number in its heading) dates this text's 第三条の二 later;
    an amending law's 附則 names that law's articles, so the same words there date nothing."""
    from extract.parse import parse_text

    path = Path(__file__).parent / "fixtures" / "statutes" / "enacted-with-later-articles.txt"
    text = path.read_text(encoding="utf-8")
    parsed = parse_text(text, path.name, "text")
    (own,) = parsed.supplements
    assert [(p.target, p.effective) for p in own.partial_effective] == [("art_3-2", "2024-04-01")]
    # 第四条: 「公布の日から起算して二年を経過した日」 and no promulgation date to count from
    (later,) = [d for d in parsed.diagnostics if d.code == "unresolved-partial-effective-date"]
    assert (later.level, later.line) == ("info", text[: text.index("二　第四条")].count("\n") + 1)
    assert "art_4" in later.message and "二年を経過した日" in later.message
    amending = text.replace("附　則\n", "附　則　（令和五年六月一日法律第五十号）\n")
    (other,) = parse_text(amending, path.name, "text").supplements
    assert other.number is not None and other.partial_effective == []
