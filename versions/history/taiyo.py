"""新旧対照表 rendering: Markdown, HTML, XLSX (openpyxl), DOCX (python-docx) and JSON.

The table legal circulates, built by versions.history.table: two columns, 改正後 | 改正前
(``old_first`` swaps them), one row per changed article with its heading as printed, the changed
paragraphs and items with their numbers, changed words underlined (傍線), （略） where unchanged
text is left out, （新設） / （削除） opposite added / deleted articles. XLSX and DOCX are set up
for printing (A4 landscape, the header row repeated on every page); each XLSX row is given the
height its wrapped text needs, and an article longer than one printable row (Excel's 409 pt)
continues on the next sheet row.
"""

from __future__ import annotations

import html
import io
import json
import re
import unicodedata
from typing import Any

from versions.history.diff import Comparison
from versions.history.facts import FactChange, by_row, fact_changes, note
from versions.history.table import Row, Side, Table
from versions.history.table import build as build_table

NEW_HEAD, OLD_HEAD = "改正後", "改正前"
OMITTED = "（略）"
ADDED_MARK, DELETED_MARK = "（新設）", "（削除）"
TYPE_LABEL = {
    "modified": "改正",
    "renumbered": "条名変更",
    "moved": "移動",
    "added": "新設",
    "deleted": "削除",
    "split": "分割",
    "merged": "統合",
}

Segment = tuple[str, bool]  # (text, underlined)
LEGEND = "（傍線部分は改正部分）"
XLSX_COLUMN = 80  # column width (Excel units: a full-width character takes two)
XLSX_ROW_LINES = 24  # wrapped lines per sheet row: 24 × 16 pt stays under Excel's 409 pt
XLSX_LINE_PT = 16  # height of one wrapped line of 11 pt Japanese text


def table_of(cmp: Comparison) -> Table:
    """The article-based table of a comparison (built once per comparison)."""
    cached = getattr(cmp, "_taiyo_table", None)
    if cached is None:
        cached = build_table(cmp.alignment)
        cmp._taiyo_table = cached  # type: ignore[attr-defined]
    return cached


def facts_of(cmp: Comparison) -> list[list[FactChange]]:
    """The fact changes of each row of the table (versions.history.facts), computed once."""
    cached = getattr(cmp, "_taiyo_facts", None)
    if cached is None:
        cached = by_row(table_of(cmp), fact_changes(cmp.alignment))
        cmp._taiyo_facts = cached  # type: ignore[attr-defined]
    return cached


def block_lines(side: Side) -> list[tuple[int, list[Segment]]]:
    """(depth, segments) of each printed line of one column; a mark when it holds nothing."""
    if not side.blocks:
        return [(0, [(side.mark, False)])] if side.mark else []
    out: list[tuple[int, list[Segment]]] = []
    for b in side.blocks:
        segs: list[Segment] = list(b.label)
        if b.caption:
            segs += [("（", False), *b.caption, ("）", False)]
        if b.text:
            segs += ([("\u3000", False)] if segs else []) + list(b.text)
        if b.ellipsis:
            segs += ([("\u3000", False)] if segs else []) + [(OMITTED, False)]
        if segs:
            out.append((b.depth, segs))
    return out


def headers(old_first: bool) -> tuple[str, str]:
    return (OLD_HEAD, NEW_HEAD) if old_first else (NEW_HEAD, OLD_HEAD)


def _pair(row: Row, old_first: bool) -> tuple[Side, Side]:
    return (row.old, row.new) if old_first else (row.new, row.old)


# --- JSON ----------------------------------------------------------------------------------------


def to_json(cmp: Comparison, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    meta = meta or {}
    table = table_of(cmp).to_json()
    facts = facts_of(cmp)
    for row, changes in zip(table["rows"], facts, strict=True):
        row["fact_changes"] = [c.to_json() for c in changes]
    return {
        "old": meta.get("old") or {"path": cmp.old.source.path, "title": cmp.old.title},
        "new": meta.get("new") or {"path": cmp.new.source.path, "title": cmp.new.title},
        "summary": cmp.summary(),
        "alignment": cmp.alignment.counts(),
        "table": table,
        "changes": [c.to_json() for c in cmp.changes],
        "fact_changes": [c.to_json() for row in facts for c in row],
    }


def render_json(cmp: Comparison, meta: dict[str, Any] | None = None) -> str:
    return json.dumps(to_json(cmp, meta), ensure_ascii=False, indent=2) + "\n"


# --- Markdown / HTML -----------------------------------------------------------------------------


def _html_segments(segs: list[Segment]) -> str:
    parts = []
    for text, under in segs:
        t = html.escape(text).replace("\n", "<br>").replace("\t", "\u3000")
        parts.append(f"<u>{t}</u>" if under and text.strip() else t)
    return "".join(parts)


def html_cell(side: Side, md: bool = False) -> str:
    lines = []
    for depth, segs in block_lines(side):
        body = _html_segments(segs)
        if md:
            lines.append("\u3000" * depth + body)
        else:
            lines.append(f'<div class="d{min(depth, 4)}">{body}</div>')
    return ("<br>" if md else "").join(lines)


def render_markdown(cmp: Comparison, old_first: bool = False, title: str = "") -> str:
    left, right = headers(old_first)
    lines = [f"# 新旧対照表{(' — ' + title) if title else ''}", "", LEGEND, ""]
    lines += [f"| {left} | {right} |", "|---|---|"]
    table = table_of(cmp)
    for row, changes in zip(table.rows, facts_of(cmp), strict=True):
        cells = [html_cell(c, md=True).replace("|", "&#124;") for c in _pair(row, old_first)]
        lines.append(f"| {cells[0]} | {cells[1]} |")
        if changes:
            lines.append(f"| {html.escape(note(changes)).replace('|', '&#124;')} | |")
    if not table.rows:
        lines.append("| 変更なし | 変更なし |")
    return "\n".join(lines) + "\n"


def html_table(cmp: Comparison, old_first: bool = False, labels: tuple[str, str] = ("", "")) -> str:
    """The table element alone (the Datasette page embeds it); ``labels`` name the versions."""
    left, right = headers(old_first)
    new_label, old_label = labels
    left_l, right_l = (old_label, new_label) if old_first else (new_label, old_label)
    lh = html.escape(left + (f"（{left_l}）" if left_l else ""))
    rh = html.escape(right + (f"（{right_l}）" if right_l else ""))
    out = [
        '<table class="taiyo" id="taiyo">',
        f"<thead><tr><th>{lh}</th><th>{rh}</th></tr></thead>",
    ]
    out.append("<tbody>")
    table = table_of(cmp)
    for row, changes in zip(table.rows, facts_of(cmp), strict=True):
        cells = "".join(f"<td>{html_cell(c)}</td>" for c in _pair(row, old_first))
        out.append(f'<tr class="{row.kind}" data-title="{html.escape(row.title)}">{cells}</tr>')
        if changes:
            out.append(f'<tr class="facts"><td colspan="2">{html.escape(note(changes))}</td></tr>')
    if not table.rows:
        out.append("<tr><td>変更なし</td><td>変更なし</td></tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


STYLE = (
    "body{font-family:'Noto Sans CJK JP',sans-serif;margin:2em}"
    "table.taiyo{border-collapse:collapse;width:100%}"
    "table.taiyo td,table.taiyo th{border:1px solid #444;padding:.4em;vertical-align:top;"
    "width:50%}table.taiyo .d1{padding-left:1em}table.taiyo .d2{padding-left:2em}"
    "table.taiyo .d3{padding-left:3em}table.taiyo .d4{padding-left:4em}"
    "table.taiyo tr.facts td{font-size:.9em;background:#f6f6ee}"
)


def render_html(cmp: Comparison, old_first: bool = False, title: str = "") -> str:
    t = html.escape(f"新旧対照表{(' — ' + title) if title else ''}")
    return (
        f'<!doctype html>\n<html lang="ja"><head><meta charset="utf-8"><title>{t}</title>'
        f"<style>{STYLE}</style></head><body><h1>{t}</h1><p>{LEGEND}</p>\n"
        f"{html_table(cmp, old_first)}\n</body></html>\n"
    )


# --- XLSX / DOCX ---------------------------------------------------------------------------------

# Characters XML 1.0 cannot hold (C0 controls but tab/newline/CR, lone surrogates, U+FFFE/F):
# openpyxl and python-docx refuse them, so one ESC byte in a document would break the export.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with XML-illegal characters replaced by U+FFFD (same length, visibly marked)."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def _width(text: str) -> int:
    """Display width in Excel column units: a full-width character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrapped(text: str, cols: int = XLSX_COLUMN) -> int:
    """Lines ``text`` (one printed line) takes when wrapped in a column ``cols`` wide."""
    return max(1, -(-_width(text) // cols))


def _split_line(segs: list[Segment], room: int) -> tuple[list[Segment], list[Segment]]:
    """The first ``room`` columns' worth of a line, and the rest."""
    head: list[Segment] = []
    for k, (text, under) in enumerate(segs):
        cut, used = 0, 0
        while cut < len(text) and used + _width(text[cut]) <= room:
            used += _width(text[cut])
            cut += 1
        if cut < len(text):
            head.append((text[:cut], under))
            return head, [(text[cut:], under), *segs[k + 1 :]]
        head.append((text, under))
        room -= _width(text)
    return head, []


def _chunks(side: Side, max_lines: int = XLSX_ROW_LINES) -> list[tuple[list[Segment], int]]:
    """The column's lines as cells of at most ``max_lines`` wrapped lines, with their count.

    Excel and LibreOffice do not grow a row to fit wrapped text written by openpyxl, and a row
    is at most 409 points high, so a long article continues on the next sheet row.
    """
    out: list[tuple[list[Segment], int]] = [([], 0)]
    for line in _physical_lines(side):
        while line:
            cell, used = out[-1]
            room = (max_lines - used) * XLSX_COLUMN
            if room <= 0:
                out.append(([], 0))
                continue
            head, line = _split_line(line, room) if _width(_plain(line)) > room else (line, [])
            if cell:
                cell.append(("\n", False))
            cell.extend(head)
            out[-1] = (cell, used + _wrapped(_plain(head)))
    return [c for c in out if c[0]] or [([], 1)]


def _physical_lines(side: Side) -> list[list[Segment]]:
    """The column's printed lines, indented, split where a text holds a line break (目次)."""
    out: list[list[Segment]] = []
    for depth, segs in block_lines(side):
        line: list[Segment] = [("\u3000" * depth, False)]
        for text, under in segs:
            first, *rest = text.split("\n")
            line.append((first, under))
            for piece in rest:
                out.append(line)
                line = [(piece, under)]
        out.append(line)
    return out


def _plain(segs: list[Segment]) -> str:
    return "".join(t for t, _ in segs)


def render_xlsx(cmp: Comparison, old_first: bool = False, title: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.styles import Alignment, Border, Font
    from openpyxl.styles import Side as Edge

    wb = Workbook()
    ws = wb.active
    ws.title = "新旧対照表"
    ws.append([xml_text(f"新旧対照表{(' — ' + title) if title else ''}　{LEGEND}")])
    ws.append(list(headers(old_first)))
    under, plain = InlineFont(u="single"), InlineFont()
    for row, changes in zip(table_of(cmp).rows, facts_of(cmp), strict=True):
        left, right = (_chunks(c) for c in _pair(row, old_first))
        for k in range(max(len(left), len(right))):
            values, lines = [], 1
            for chunks in (left, right):
                segs, n = chunks[k] if k < len(chunks) else ([], 1)
                blocks = [
                    TextBlock(under if u and t.strip() else plain, xml_text(t))
                    for t, u in segs
                    if t
                ]
                values.append(CellRichText(blocks) if blocks else "")
                lines = max(lines, n)
            ws.append(values)
            ws.row_dimensions[ws.max_row].height = lines * XLSX_LINE_PT + 4
        if changes:  # the fact note, across both columns
            ws.append([note(changes), ""])
            ws.merge_cells(start_row=ws.max_row, end_row=ws.max_row, start_column=1, end_column=2)
            ws.row_dimensions[ws.max_row].height = _wrapped(note(changes)) * XLSX_LINE_PT + 4
    thin = Edge(style="thin")
    for r in ws.iter_rows(min_row=2):
        for c in r:
            c.alignment = Alignment(wrap_text=True, vertical="top")
            c.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for c in ws[2]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center")
    ws["A1"].font = Font(bold=True, size=12)
    for col in ("A", "B"):
        ws.column_dimensions[col].width = XLSX_COLUMN
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render_docx(cmp: Comparison, old_first: bool = False, title: str = "") -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Mm(15))
    doc.add_heading(xml_text(f"新旧対照表{(' — ' + title) if title else ''}"), level=1)
    doc.add_paragraph(LEGEND)
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    head = table.rows[0]
    for cell, text in zip(head.cells, headers(old_first), strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    head._tr.get_or_add_trPr().append(repeat)
    for row, changes in zip(table_of(cmp).rows, facts_of(cmp), strict=True):
        cells = table.add_row().cells
        if changes:  # the fact note: a row across both columns under this one
            merged = table.add_row().cells
            merged[0].merge(merged[1]).paragraphs[0].add_run(note(changes))
        for target, side in zip(cells, _pair(row, old_first), strict=True):
            for i, (depth, segs) in enumerate(block_lines(side)):
                para = target.paragraphs[0] if i == 0 else target.add_paragraph()
                para.paragraph_format.left_indent = Mm(4 * depth)
                for text, under in segs:
                    if text:
                        run = para.add_run(xml_text(text))
                        run.underline = bool(under and text.strip())
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


FORMATS = ("json", "md", "html", "xlsx", "docx")


def render(
    cmp: Comparison,
    fmt: str,
    old_first: bool = False,
    title: str = "",
    meta: dict[str, Any] | None = None,
) -> bytes:
    """The 新旧対照表 in ``fmt`` (one of FORMATS) as bytes."""
    if fmt == "json":
        return render_json(cmp, meta).encode()
    if fmt == "md":
        return render_markdown(cmp, old_first, title).encode()
    if fmt == "html":
        return render_html(cmp, old_first, title).encode()
    if fmt == "xlsx":
        return render_xlsx(cmp, old_first, title)
    if fmt == "docx":
        return render_docx(cmp, old_first, title)
    raise ValueError(f"unknown format {fmt!r} (use one of {', '.join(FORMATS)})")
