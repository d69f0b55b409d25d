"""Source text → cleaned source lines, each traceable to its line and column.

Blank lines carry no meaning in PDF-extracted text (some files put one between every line), so
they are dropped. Page numbers, a table of contents at the top, the title, the version label and
a statute's law number are recorded as artefacts; bullets written as ``- `` in plain text become
``blank_marker`` artefacts plus a list depth. Joining wrapped lines into sentences happens in
``extract.structure`` because only the structure knows which line starts a new unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from extract.model import Artefact
from extract.numerals import NUM_RE, fold

BLANKS = (
    " \t\u3000\r\f\v\u00a0\ufeff\u200b\u2028\u2029\u202f\u205f\u1680\x1c\x1d\x1e\x1f\x85"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
)
_NO_TAB = BLANKS.replace("\t", "")


@dataclass
class RawLine:
    """One source line (or the part of one that holds text), markup removed."""

    text: str  # no leading/trailing blanks
    line: int  # 1-based source line
    col: int  # 1-based column of text[0] in the source line
    block: int | None = None  # Markdown block id; lines of different blocks never join
    heading: bool = False  # Markdown heading: always starts a unit
    list_depth: int = -1  # >= 0 when the line starts a list item (Markdown or "- " bullet)
    list_label: str | None = None  # ordered-list number as printed ("1."), else None
    opens_top_block: bool = False  # Markdown: first line of a block outside every list


_PAGE = re.compile(
    r"^(?:[-~－―ー]\s*\d{1,3}\s*[-~－―ー]|\d{1,3}|\d{1,3}\s*/\s*\d{1,3}|[pP]\.\s*\d{1,3})$"
)
_BULLET = re.compile(r"^([-*])[ ]+(?=\S)")
_TOC_LEADER = re.compile(r"(?:\.{3,}|…{2,}|・{3,})\s*\d*$|\t\s*\d{1,3}$")
_TOC_HEAD = re.compile(r"^目\s*次$")
_LAW_NUMBER = re.compile(
    r"^[（(]?[^（）()。]{0,30}(?:法律|政令|省令|規則)第[^（）()。]{1,12}号[）)]?$"
)
_VERSION = re.compile(
    r"^(?:version\s*[\d.]+|ver\.?\s*[\d.]+|第?[\d.]+版|"
    r"(?:実施|制定|施行|改定|改正|最終改定|最終改正)\s*[：:日]?.{0,40}\d.{0,30})$",
    re.IGNORECASE,
)
_SP = r"[ \u3000]*"
_HEAD_KEY = re.compile(
    rf"^第{_SP}({NUM_RE}){_SP}(編|章|節|款|条)((?:{_SP}の{_SP}(?:{NUM_RE}))*)|^(附|付){_SP}則|"
    rf"^【?{_SP}(別紙|別表|別記|様式){_SP}(?:第{_SP})?({NUM_RE})?"
)


def strip_blanks(raw: str) -> tuple[str, int]:
    """Text without surrounding blanks and the 0-based index where it starts."""
    start = len(raw) - len(raw.lstrip(BLANKS))
    return raw.strip(BLANKS), start


def split_lines(text: str) -> list[str]:
    """Lines split at LF, CRLF and CR only (not at form feeds or U+2028 as splitlines does)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def source_lines(text: str) -> list[RawLine]:
    """Non-blank lines of plain text, with ``- `` bullets split off as markers."""
    out: list[RawLine] = []
    for no, raw in enumerate(split_lines(text), start=1):
        stripped, start = strip_blanks(raw)
        if not stripped:
            continue
        lead = raw.lstrip(_NO_TAB)
        if lead.startswith("\t") and "\t" in stripped:  # empty first cell of a table row
            stripped, start = lead.rstrip(BLANKS), len(raw) - len(lead)
        out.append(RawLine(stripped, no, start + 1))
    return out


def split_bullets(lines: Iterable[RawLine], artefacts: list[Artefact]) -> list[RawLine]:
    """Plain-text ``- text`` bullets → a ``blank_marker`` artefact and a list depth."""
    out: list[RawLine] = []
    for ln in lines:
        m = _BULLET.match(ln.text) if ln.block is None else None
        if m and not (len(ln.text) < 16 and _PAGE.match(fold(ln.text))):
            artefacts.append(Artefact("blank_marker", m.group(1), ln.line))
            depth = 1 if ln.col > 1 else 0
            ln = RawLine(ln.text[m.end() :], ln.line, ln.col + m.end(), None, False, depth)
        out.append(ln)
    return out


def drop_page_numbers(lines: Iterable[RawLine], artefacts: list[Artefact]) -> list[RawLine]:
    out = []
    for ln in lines:
        if (
            len(ln.text) < 16
            and not ln.heading
            and ln.list_depth < 0
            and _PAGE.match(fold(ln.text))
        ):
            artefacts.append(Artefact("page_number", ln.text, ln.line))
        else:
            out.append(ln)
    return out


def heading_key(text: str, chapter: str = "", part: str = "") -> str | None:
    """A key naming the heading a line starts ("part_1", "chp_1", "chp_1/sec_2", "art_27-2",
    "suppl"), if any. Chapters restart in each 編 (民法: 第一編第一章, 第二編第一章), so a
    chapter's key names its ``part`` when there is one; 節 and 款 name their ``chapter``."""
    folded = fold(text[:40])
    m = _HEAD_KEY.match(folded)
    if not m:
        return None
    if m.group(4):
        return "suppl"
    if m.group(5):
        return f"{m.group(5)}_{m.group(6) or ''}"
    kind = {"編": "part", "章": "chp", "節": "sec", "款": "subsec", "条": "art"}[m.group(2)]
    branches = re.findall(NUM_RE, m.group(3) or "")
    num = "-".join([m.group(1), *branches])
    if kind in ("sec", "subsec"):
        return f"{chapter}/{kind}_{num}"
    return f"{part}/{kind}_{num}" if kind == "chp" and part else f"{kind}_{num}"


def _is_toc_entry(text: str) -> bool:
    return bool(_TOC_LEADER.search(text)) or heading_key(text) is not None


def drop_toc(lines: list[RawLine], artefacts: list[Artefact]) -> list[RawLine]:
    """A 目次 at the top: every line up to the first heading seen twice becomes a toc artefact."""
    start = next((i for i, ln in enumerate(lines[:40]) if _TOC_HEAD.match(ln.text)), None)
    if start is None:
        return lines
    seen: set[str] = set()
    chapter = part = ""
    end = start + 1
    while end < len(lines):
        text = lines[end].text
        key = heading_key(text, chapter, part)
        if key is not None and key in seen and not _TOC_LEADER.search(text):
            break
        if not _is_toc_entry(text):
            break
        if key is not None:
            if key.startswith("part_"):
                part, chapter = key, ""
            elif "chp_" in key and "/sec_" not in key and "/subsec_" not in key:
                chapter = key
                key = heading_key(text, chapter, part)
            seen.add(key or "")
        end += 1
    for ln in lines[start:end]:
        artefacts.append(Artefact("toc", ln.text, ln.line))
    return lines[:start] + lines[end:]


def drop_front_matter(lines: list[RawLine], artefacts: list[Artefact]) -> tuple[str, list[RawLine]]:
    """Title, version label and law number before the first heading → artefacts; returns title."""
    title = ""
    i = 0
    while i < len(lines) and i < 6:
        ln = lines[i]
        text = fold(ln.text)
        if heading_key(ln.text) is not None or _TOC_HEAD.match(ln.text) or ln.list_depth >= 0:
            break
        if _LAW_NUMBER.match(text):
            artefacts.append(Artefact("header", ln.text, ln.line))
        elif _VERSION.match(text):
            artefacts.append(Artefact("version_label", ln.text, ln.line))
        elif (
            not title and i == 0 and len(text) <= 80 and not text.endswith("。") and text[0] != "("
        ):
            title = ln.text
            artefacts.append(Artefact("title", ln.text, ln.line))
        else:
            break
        i += 1
    return title, lines[i:]


def clean(lines: list[RawLine], artefacts: list[Artefact]) -> tuple[str, list[RawLine]]:
    """The whole normalisation: bullets, page numbers, front matter, table of contents."""
    lines = split_bullets(lines, artefacts)
    lines = drop_page_numbers(lines, artefacts)
    title, lines = drop_front_matter(lines, artefacts)
    lines = drop_toc(lines, artefacts)
    if title:  # the title printed again at the top of each PDF page is a running header
        artefacts += [Artefact("header", ln.text, ln.line) for ln in lines if ln.text == title]
        lines = [ln for ln in lines if ln.text != title]
    return title, lines
