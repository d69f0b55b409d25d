"""The data yakkan extracts from one document version: plain dataclasses, JSON-ready.

The clause tree is a flat list of ``Node`` in document order; ``parent`` links make the tree.
Ids are stable and ASCII (see docs/parse-json.md):

    chp_3, chp_3__sec_1, chp_3__sec_1__subsec_2      章 / 節 / 款
    part_2, part_2__chp_1                            編 (chapters restart in each)
    art_27-2, art_27-2__para_1, …__item_3, …__sub_1  条 / 項 / 号 / 細分 (nested __sub_N)
    suppl_6, suppl_6__art_1__para_1                  附則 blocks in document order
    bessi_4, beppyo_1, bekki_2, yoshiki_1            別紙 / 別表 / 別記 / 様式
    …__row_N                                         table rows (用語の定義, appendix tables)
    preamble                                         前文
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

NodeKind = Literal[
    "preamble",
    "part",
    "chapter",
    "section",
    "subsection",
    "article",
    "paragraph",
    "item",
    "subitem",
    "supplement",
    "appendix",
    "table",
    "table_row",
    "text",
]
Level = Literal["error", "warning", "info"]
RefKind = Literal["absolute", "relative", "appendix", "external"]
RefStatus = Literal[
    "ok", "broken", "caption_mismatch", "ambiguous", "external", "out_of_range", "historical"
]
# statuses that are no problem: resolved, another document's, or (``historical``) a statute
# 附則 citing the law as it stood when it was enacted — the KB, check and the site agree on these
RESOLVED_STATUSES = ("ok", "external", "historical")


@dataclass
class Node:
    """One unit of the clause tree. ``text`` is the node's own text, not its children's."""

    id: str
    kind: NodeKind
    num: str | None  # normalised number: "27-2", "3", "イ"; None when unnumbered
    label: str  # as printed: "第27条の2", "（１）", "別紙4"; "" when none
    caption: str | None  # "利用料金の支払義務" without brackets
    text: str
    parent: str | None
    line: int  # 1-based source line where the node starts
    end_line: int  # 1-based last source line of the node (children included)
    # Where ``text`` came from: (offset in text, source line, 1-based source column) for the
    # start of each source-line segment joined into ``text``; lets references report line:col.
    segments: list[tuple[int, int, int]] = field(default_factory=list)


@dataclass
class Artefact:
    """Source text that belongs to no node: page numbers, table of contents, headers."""

    kind: Literal["page_number", "toc", "header", "title", "version_label", "blank_marker"]
    text: str
    line: int


@dataclass
class Diagnostic:
    level: Level
    code: str  # kebab-case, e.g. "skipped-article-number"
    message: str
    line: int
    node: str | None = None


@dataclass
class PartialEffective:
    target: str  # node id, e.g. "art_20"
    effective: str  # ISO date


@dataclass
class Supplement:
    """A 附則 block read as an amendment event."""

    id: str  # "suppl_3"
    heading: str
    enacted: str | None  # ISO date from the heading
    number: str | None  # 文書番号, e.g. "西デザ S000195 号"
    effective: str | None  # ISO date the amendment took effect
    partial_effective: list[PartialEffective] = field(default_factory=list)
    transitional: bool = False
    transitional_text: str | None = None
    line: int = 0
    effective_text: str | None = None  # the effective date as printed when not a calendar date
    effective_by: str | None = None  # latest possible date (「一年を超えない範囲内」), if known


@dataclass
class Reference:
    source: str  # node id of the citing node
    text: str  # as printed
    line: int
    column: int  # 1-based column on ``line``
    kind: RefKind
    target: str | None
    status: RefStatus
    message: str = ""
    target_document: str | None = None  # for cross-document references
    # every node the reference names, in document order: [target] for one unit, each member
    # for 前2項, 前各号, 第1項から第3項 …; target_end is the last member of a range (else None)
    targets: list[str] = field(default_factory=list)
    target_end: str | None = None
    # caption_mismatch: the unit that does carry the cited caption (the number or the caption is
    # wrong), None when no unit does (a misquoted caption: 「提供するあたり」 for 「…にあたり」)
    caption_owner: str | None = None


@dataclass
class Definition:
    term: str
    definition: str
    node: str  # node id that defines it
    line: int
    kind: Literal["table", "inline"] = "inline"
    uses: list[str] = field(default_factory=list)  # node ids using the term


@dataclass
class Source:
    path: str
    sha256: str
    encoding: str  # "utf-8", "utf-8-sig", "cp932", "euc-jp"
    format: Literal["text", "markdown", "lawtext"]


@dataclass
class ParsedDocument:
    source: Source
    title: str
    nodes: list[Node]
    supplements: list[Supplement] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    artefacts: list[Artefact] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON contract (docs/parse-json.md)."""
        return asdict(self)

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)
