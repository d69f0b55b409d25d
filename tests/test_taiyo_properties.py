"""新旧対照表 properties: every unit of both versions accounted for once, nothing repeated.

Checked on every consecutive version pair in corpus/, on statute pairs several amendments apart,
and on pairs constructed by editing a real version at random (hypothesis).
"""

from __future__ import annotations

import copy
import io
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path

import docx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.model import ParsedDocument
from versions.history import taiyo
from versions.history.align import fold
from versions.history.diff import Comparison, compare
from versions.history.table import Table, build
from versions.sources.corpus import DEFAULT_CORPUS, load_document
from versions.sources.loaded import parse_entry

NODE_ID = re.compile(r"^(art|chp|suppl|bessi|beppyo|para|item)_\w*")


def _pairs() -> list[tuple[str, str]]:
    out = []
    for folder in sorted(p for p in DEFAULT_CORPUS.iterdir() if (p / "document.toml").is_file()):
        versions = sorted(load_document(folder).versions, key=lambda v: v.effective or "")
        out += [(a.key, b.key) for a, b in pairwise(versions)]
        if load_document(folder).kind == "statute" and len(versions) > 2:
            out.append((versions[0].key, versions[-1].key))
    return out


def _version(key: str) -> ParsedDocument:
    doc_id = key.partition("@")[0]
    entry = next(v for v in load_document(DEFAULT_CORPUS / doc_id).versions if v.key == key)
    return parse_entry(entry)


def check_table(table: Table, cmp_old: ParsedDocument, cmp_new: ParsedDocument) -> None:
    """Each unit shown, left out under （略） or left out with its article: exactly once."""
    for side, doc, left_out in (
        ("old", cmp_old, table.left_out_old),
        ("new", cmp_new, table.left_out_new),
    ):
        by_id = {n.id: n for n in doc.nodes}
        shown = Counter(u for r in table.rows for u in getattr(r, side).units())
        omitted = [u for r in table.rows for u in getattr(r, side).omitted()]
        seen = Counter(shown) + Counter(omitted) + Counter(left_out)
        missing = [n.id for n in doc.nodes if seen[n.id] == 0]
        repeated = [i for i, k in seen.items() if k > 1]
        assert not missing, f"{side}: lost {missing[:5]}"
        assert not repeated, f"{side}: repeated {repeated[:5]}"
        assert set(seen) == set(by_id)
        for r in table.rows:
            assert not NODE_ID.match(r.title), r.title
            for b in getattr(r, side).blocks:
                assert not NODE_ID.match(b.plain("label"))
                if b.node and not b.text_omitted:  # shown: its text and caption exactly
                    n = by_id[b.node]
                    assert b.plain("text") == n.text.strip()
                    assert b.plain("caption") == (n.caption or "")


def _check_left_out_same(table: Table, cmp: Comparison) -> None:
    """Units left out have a counterpart with the same caption and text."""
    al = cmp.alignment
    for side, ids, mine, theirs in (
        (
            "old",
            [u for r in table.rows for u in r.old.omitted()] + table.left_out_old,
            al.old,
            al.new,
        ),
        (
            "new",
            [u for r in table.rows for u in r.new.omitted()] + table.left_out_new,
            al.new,
            al.old,
        ),
    ):
        by_id = {n.id: n for n in mine.nodes}
        other = {n.id: n for n in theirs.nodes}
        for i in ids:
            m = al.for_old(i) if side == "old" else al.for_new(i)
            assert m is not None, i
            twin = other.get((m.new if side == "old" else m.old) or "")
            assert twin is not None, f"{side} {i} left out without a counterpart ({m.type})"
            n = by_id[i]
            assert fold((n.caption or "") + n.text) == fold((twin.caption or "") + twin.text), i


@pytest.mark.parametrize("old,new", _pairs())
def test_every_unit_once_on_corpus_pairs(old: str, new: str) -> None:
    cmp = compare(_version(old), _version(new))
    table = build(cmp.alignment)
    check_table(table, cmp.old, cmp.new)
    _check_left_out_same(table, cmp)
    assert table.stats()["repeated"] == 0
    headings = [r for r in table.rows if r.kind == "heading"]
    for r in headings:  # a heading row holds the heading alone
        assert all(len(s.blocks) <= 1 for s in (r.old, r.new))


def test_kojin_2015_2025_keeps_the_old_definitions() -> None:
    cmp = compare(
        _version("kojin-joho-hogo-ho@2015-12-01"), _version("kojin-joho-hogo-ho@2025-06-01")
    )
    table = build(cmp.alignment)
    shown_old = {u for r in table.rows for u in r.old.units()}
    assert {"art_2__para_1", "art_2__para_6"} <= shown_old
    # …opposite their counterparts in the new 第二条, not in 第十六条's row with the rest
    new_art2 = next(r for r in table.rows if r.new_ids == ["art_2"])
    assert {"art_2__para_1", "art_2__para_6"} <= set(new_art2.old.units())
    assert new_art2.old.blocks[0].label == [("第二条", False)]  # the same number: no 傍線
    new_art16 = next(r for r in table.rows if r.new_ids == ["art_16"])
    assert "art_2__para_2" in new_art16.old.units()
    assert "art_2__para_1" not in new_art16.old.units()
    assert any(r.kind == "toc" for r in table.rows)
    renumbered = next(r for r in table.rows if r.old_ids == ["art_8"])
    assert renumbered.new.blocks[0].label == [("第九条", True)]


WORDS = st.sampled_from(["当社", "契約者", "甲", "書面により", "速やかに", "又は"])


@st.composite
def edited(draw: st.DrawFn) -> tuple[ParsedDocument, ParsedDocument]:
    base = _version("toreru-camera@2023-12-01")
    new = copy.deepcopy(base)
    paras = [n for n in new.nodes if n.kind in ("paragraph", "item") and n.text]
    for _ in range(draw(st.integers(1, 6))):
        n = draw(st.sampled_from(paras))
        op = draw(st.sampled_from(["word", "delete", "append"]))
        if op == "word":
            at = draw(st.integers(0, len(n.text)))
            n.text = n.text[:at] + draw(WORDS) + n.text[at:]
        elif op == "delete" and not any(c.parent == n.id for c in new.nodes):
            new.nodes = [x for x in new.nodes if x.id != n.id]
            paras = [p for p in paras if p.id != n.id]
        else:
            n.text = n.text + draw(WORDS)
    return base, new


@given(edited())
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_unit_once_on_constructed_pairs(pair: tuple[ParsedDocument, ParsedDocument]) -> None:
    old, new = pair
    cmp = compare(old, new)
    table = build(cmp.alignment)
    check_table(table, old, new)
    _check_left_out_same(table, cmp)


def test_xlsx_and_docx_are_print_ready(tmp_path: Path) -> None:
    cmp = compare(
        _version("kojin-joho-hogo-ho@2015-12-01"), _version("kojin-joho-hogo-ho@2025-06-01")
    )
    wb = openpyxl.load_workbook(io.BytesIO(taiyo.render_xlsx(cmp, title="t")))
    ws = wb.active
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.freeze_panes == "A3" and ws.print_title_rows.replace("$", "") == "2:2"
    assert ws["A3"].border.left.style == "thin" and ws["A3"].alignment.wrap_text
    longest = max(len(str(c.value or "")) for r in ws.iter_rows() for c in r)
    assert longest <= 32_767
    # each row is as high as its wrapped text (office suites do not grow it), within 409 pt
    for r in ws.iter_rows(min_row=3):
        height = ws.row_dimensions[r[0].row].height
        assert height is not None and height <= 409, r[0].row
        lines = max(sum(taiyo._wrapped(t) for t in str(c.value or "").split("\n")) for c in r)
        assert lines * taiyo.XLSX_LINE_PT <= height, (r[0].row, lines, height)
    assert ws.max_row > len(taiyo.table_of(cmp).rows)  # long articles continue on a next row
    d = docx.Document(io.BytesIO(taiyo.render_docx(cmp, title="t")))
    assert round(d.sections[0].page_width.mm) == 297 and round(d.sections[0].page_height.mm) == 210
    assert d.tables[0].rows[0]._tr.trPr.xpath("./w:tblHeader")
    assert any("傍線" in p.text for p in d.paragraphs)


def test_cross_document_pair_accounts_for_every_unit() -> None:
    """Two different statutes: a clause both split and merged into must still be in a match."""
    old, new = _version("kojin-joho-hogo-ho@2025-06-01"), _version("shohisha-keiyaku-ho@2012-12-01")
    cmp = compare(old, new)
    al = cmp.alignment
    assert {n.id for n in old.nodes} <= {i for m in al.matches for i in m.old_ids}
    assert {n.id for n in new.nodes} <= {i for m in al.matches for i in m.new_ids}
    check_table(build(al), cmp.old, cmp.new)
