"""第N条 headings: main or 附則 articles, with numbering checks; the text after opens ¶1."""

from __future__ import annotations

from functools import lru_cache

from extract.blocks.lines import Marker
from extract.blocks.state import BlockState, Line
from extract.model import Node
from extract.normalize import RawLine
from extract.numerals import KANJI_NUM_CHARS, int_to_kanji, num_key

KINDS = frozenset({"article"})
_num_key = lru_cache(maxsize=4096)(num_key)  # pure; article numbers repeat in checks


def article(state: BlockState, line: Line) -> bool:
    """An article heading: expected next in the numbering, or after an ended line."""
    mk = line.marker
    assert mk.num is not None
    if state.appendix is not None:
        return False
    if not (expected_article(state, mk.num) or line.ended):
        return False
    open_article(state, mk, line.raw)
    return True


def open_article(state: BlockState, mk: Marker, ln: RawLine) -> Node:
    state.close_article()
    assert mk.num is not None
    if state.supplement is not None:
        _check_sequence(
            state, state.suppl_articles, state.suppl_seen, mk.num, ln, "supplement article"
        )
        state.suppl_articles.append(mk.num)
        state.suppl_seen.add(mk.num)
        parent: Node | None = state.supplement
        wanted = f"{state.supplement.id}__art_{mk.num}"
    else:
        _check_sequence(state, state.main_articles, state.main_seen, mk.num, ln, "article")
        state.main_articles.append(mk.num)
        state.main_seen.add(mk.num)
        parent = _division_parent(state)
        wanted = f"art_{mk.num}"
    if state.pending_caption and mk.caption is None:
        mk.caption = state.pending_caption[0]
        state.pending_caption = None
    node = state.article = state.new("article", wanted, mk, parent, ln)
    state.current = node
    rest = ln.text[mk.start :].strip()
    if rest in ("削除", "削除。"):
        state.append_text(node, ln, mk.start, False)
    elif rest:
        state.open_paragraph(Marker("paragraph", "1", "", None, mk.start, "digit", 1), ln)
    for num in mk.also:  # each number of a range deleted in one line is an article: 削除
        label = printed_label(mk.label, num)
        open_article(state, Marker("article", num, label, None, len(ln.text)), ln)
    return node


def printed_label(like: str, num: str) -> str:
    """How the document would print article ``num`` (「58」 → 第五十八条 after a heading in kanji
    such as 「第五十五条から第六十三条まで」, 第58条 otherwise; 「10-3」 → 第十条の三)."""
    kanji = like[1:2] in KANJI_NUM_CHARS if like.startswith("第") and like[1:2] else False
    head, *branches = (int_to_kanji(int(p)) if kanji else p for p in num.split("-"))
    return f"第{head}条" + "".join(f"の{b}" for b in branches)


def _division_parent(state: BlockState) -> Node | None:
    division = state.division
    return division["subsection"] or division["section"] or division["chapter"]


def expected_article(state: BlockState, num: str) -> bool:
    """Is ``num`` the next article number (27 → 28, 27 → 27-2, 27-2 → 27-3)?"""
    seen = state.suppl_articles if state.supplement is not None else state.main_articles
    cur = _num_key(num)
    if not seen:
        return cur[0] <= 1 or state.supplement is None
    last = _num_key(seen[-1])
    if cur == (last[0] + 1,):
        return True
    if cur[0] == last[0] and len(cur) >= 2 and cur > last:  # 27 → 27-2, 27-2 → 27-3
        return cur[1] == (last[1] + 1 if len(last) >= 2 else 2)
    return False


def _check_sequence(
    state: BlockState, seen: list[str], seen_set: set[str], num: str, ln: RawLine, what: str
) -> None:
    if not seen:
        if _num_key(num) != (1,) and what != "article":
            state.diag("info", "first-number", f"{what} numbering starts at {num}", ln.line)
        return
    last = _num_key(seen[-1])
    cur = _num_key(num)
    if num in seen_set:
        state.diag(
            "warning",
            f"repeated-{what.replace(' ', '-')}-number",
            f"{what} {num} appears twice",
            ln.line,
        )
    elif cur < last:
        state.diag(
            "warning",
            f"{what.replace(' ', '-')}-out-of-order",
            f"{what} {num} follows {seen[-1]}",
            ln.line,
        )
    elif cur[0] > last[0] + 1:
        missing = ", ".join(str(n) for n in range(last[0] + 1, cur[0]))
        excerpt = state.supplement is not None and "抄" in state.supplement.text
        state.diag(
            "info" if excerpt else "warning",  # an excerpted (抄) 附則 leaves articles out
            f"skipped-{what.replace(' ', '-')}-number",
            f"{what} number(s) {missing} missing between {seen[-1]} and {num}"
            + (" (excerpt: 抄)" if excerpt else ""),
            ln.line,
        )
