"""A recognised reference before resolution, and what recognition and resolution both read.

``Citation`` is produced by references.py and consumed by resolve.py; ``cited_int`` reads the
numbers printed in a reference, ``position`` maps an offset in ``Node.text`` to line and column.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from extract.model import Node
from extract.numerals import to_int

# a number as a reference prints it (第24条, 第二十四条), read by ``cited_int``
NUM = r"(?:\d+|[〇一二三四五六七八九十百千]+)"


def cited_int(text: str) -> int:
    """「二十四」→24, 「百二」→102, 「24」→24 (``numerals.to_int``); a numeral longer than
    ``MAX_DIGITS`` is 0, a number no clause has, so the reference is reported broken instead of
    failing the parse."""
    value = to_int(text)
    return 0 if value is None else value


@dataclass
class Citation:
    """One recognised reference, before resolution."""

    source: str
    start: int  # offsets in Node.text
    end: int
    text: str  # as printed (whitespace kept)
    art: str | None = None  # "27-2"
    art_rel: str | None = None  # 前条, 次条, 本条, 同条, 前3条 …
    para: str | None = None
    para_rel: str | None = None
    item: str | None = None
    item_rel: str | None = None
    sub: str | None = None  # イ, ロ … under an item
    supplement: bool = False  # 附則第N条
    caption: str | None = None
    appendix: str | None = None  # 別紙 / 別表 / 別記 / 様式
    appendix_num: str | None = None
    appendix_table: str | None = None
    external: str | None = None  # the law / document named before it
    historical: bool = False  # 「改正前の…法」「旧…法」: another time's text
    amendment: bool = False  # 「第20条の改正規定」
    inherited: bool = False  # higher levels taken from the group before
    range_end: bool = False  # second end of 「AからBまで」
    chapter: str | None = None  # 第N章
    chapter_rel: str | None = None  # 本章, 前章, 次章, この章, 同章
    section: str | None = None  # 第N章第M節
    section_rel: str | None = None  # 本節, この節, 前節, 次節

    @property
    def kind(self) -> str:
        if self.external:
            return "external"
        if self.appendix:
            return "appendix"
        if self.chapter or self.chapter_rel or self.section_rel:
            return "relative" if self.chapter_rel or self.section_rel else "absolute"
        if self.art_rel or (self.art is None and (self.para_rel or self.item_rel)):
            return "relative"
        return "absolute"


def position(node: Node, offset: int) -> tuple[int, int]:
    """Source line and 1-based column of ``offset`` in ``node.text``."""
    # segments are in text order: the last one starting at or before ``offset``
    k = bisect_right(node.segments, offset, key=_seg_start)
    if k == 0:
        return node.line, offset + 1
    best = node.segments[k - 1]
    return best[1], best[2] + offset - best[0]


def _seg_start(seg: tuple[int, int, int]) -> int:
    return seg[0]
