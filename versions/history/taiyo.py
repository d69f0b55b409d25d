"""新旧対照表 rendering: Markdown, HTML, XLSX (openpyxl), DOCX (python-docx) and JSON.

The table legal circulates: two columns, 改正後 | 改正前 (``old_first`` swaps them), one row per
changed clause with its label, the changed words underlined (傍線), 新設 / 削除 marked, and
unchanged clauses between rows shown as （略）.
"""

from __future__ import annotations

import html
import io
import json
from dataclasses import dataclass
from typing import Any

from versions.history.diff import Change, Comparison

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


@dataclass
class Cell:
    label: str
    segments: list[Segment]

    def plain(self) -> str:
        return "".join(t for t, _ in self.segments)


def sides(change: Change) -> tuple[Cell, Cell]:
    """(new cell, old cell) of one row, changed words marked as underlined segments."""
    new_label, old_label = change.new_label or "", change.old_label or ""
    if change.type == "added":
        body = _without_heading(change.new_text, new_label)
        return Cell(new_label, [(body, True)]), Cell("", [(ADDED_MARK, False)])
    if change.type == "deleted" and not change.new:
        body = _without_heading(change.old_text, old_label)
        return Cell("", [(DELETED_MARK, False)]), Cell(old_label, [(body, True)])
    if change.type == "deleted":  # 「第18条 削除」 placeholder: the old clause without its heading
        body = _without_heading(change.old_text, old_label)
        return Cell(new_label, [(change.new_text, True)]), Cell(old_label, [(body, True)])
    if not change.edits:  # renumbered or moved with the same words
        return Cell(new_label, [(change.new_text, False)]), Cell(
            old_label, [(change.old_text, False)]
        )
    new: list[Segment] = []
    old: list[Segment] = []
    for e in change.edits:
        if e.new:
            new.append((e.new, e.op != "equal"))
        if e.old:
            old.append((e.old, e.op != "equal"))
    return Cell(new_label, new), Cell(old_label, old)


def _without_heading(text: str, label: str) -> str:
    """A whole added/deleted clause's text without its first line when that is the label."""
    first, _, rest = text.partition("\n")
    if "".join(first.split()) == "".join(label.split()):
        return rest
    return text


def rows(cmp: Comparison, old_first: bool = False) -> list[tuple[Cell, Cell] | None]:
    """Table rows in order; None stands for a （略） row of unchanged clauses."""
    out: list[tuple[Cell, Cell] | None] = []
    for change in cmp.changes:
        if change.after_unchanged:
            out.append(None)
        new, old = sides(change)
        out.append((old, new) if old_first else (new, old))
    if cmp.changes and len(cmp.alignment.matches) > len(cmp.changes):
        out.append(None)
    return out


def headers(old_first: bool) -> tuple[str, str]:
    return (OLD_HEAD, NEW_HEAD) if old_first else (NEW_HEAD, OLD_HEAD)


# --- JSON ----------------------------------------------------------------------------------------


def to_json(cmp: Comparison, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    meta = meta or {}
    return {
        "old": meta.get("old") or {"path": cmp.old.source.path, "title": cmp.old.title},
        "new": meta.get("new") or {"path": cmp.new.source.path, "title": cmp.new.title},
        "summary": cmp.summary(),
        "alignment": cmp.alignment.counts(),
        "changes": [c.to_json() for c in cmp.changes],
    }


def render_json(cmp: Comparison, meta: dict[str, Any] | None = None) -> str:
    return json.dumps(to_json(cmp, meta), ensure_ascii=False, indent=2) + "\n"


# --- Markdown / HTML -----------------------------------------------------------------------------


def _html_segments(cell: Cell) -> str:
    parts = []
    for text, under in cell.segments:
        t = html.escape(text).replace("\n", "<br>")
        parts.append(f"<u>{t}</u>" if under and text.strip() else t)
    body = "".join(parts)
    if cell.label:
        head = f"<strong>{html.escape(cell.label)}</strong>"
        return f"{head}<br>{body}" if body else head
    return body


def render_markdown(cmp: Comparison, old_first: bool = False, title: str = "") -> str:
    left, right = headers(old_first)
    lines = [f"# 新旧対照表{(' — ' + title) if title else ''}", ""]
    lines.append("（傍線部分は改正部分）")
    lines.append("")
    lines += [f"| {left} | {right} |", "|---|---|"]
    for row in rows(cmp, old_first):
        if row is None:
            lines.append(f"| {OMITTED} | {OMITTED} |")
            continue
        cells = [_html_segments(c).replace("|", "&#124;") for c in row]
        lines.append(f"| {cells[0]} | {cells[1]} |")
    if not cmp.changes:
        lines.append("| 変更なし | 変更なし |")
    return "\n".join(lines) + "\n"


def html_table(cmp: Comparison, old_first: bool = False) -> str:
    """The table element alone (the Datasette page embeds it)."""
    left, right = headers(old_first)
    out = ['<table class="taiyo">', f"<thead><tr><th>{left}</th><th>{right}</th></tr></thead>"]
    out.append("<tbody>")
    for row in rows(cmp, old_first):
        if row is None:
            out.append(f'<tr class="omitted"><td>{OMITTED}</td><td>{OMITTED}</td></tr>')
            continue
        out.append("<tr>" + "".join(f"<td>{_html_segments(c)}</td>" for c in row) + "</tr>")
    if not cmp.changes:
        out.append("<tr><td>変更なし</td><td>変更なし</td></tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


STYLE = (
    "body{font-family:'Noto Sans CJK JP',sans-serif;margin:2em}"
    "table.taiyo{border-collapse:collapse;width:100%}"
    "table.taiyo td,table.taiyo th{border:1px solid #444;padding:.4em;vertical-align:top;"
    "width:50%}table.taiyo tr.omitted td{text-align:center;color:#666}"
)


def render_html(cmp: Comparison, old_first: bool = False, title: str = "") -> str:
    t = html.escape(f"新旧対照表{(' — ' + title) if title else ''}")
    return (
        f'<!doctype html>\n<html lang="ja"><head><meta charset="utf-8"><title>{t}</title>'
        f"<style>{STYLE}</style></head><body><h1>{t}</h1><p>（傍線部分は改正部分）</p>\n"
        f"{html_table(cmp, old_first)}\n</body></html>\n"
    )


# --- XLSX / DOCX ---------------------------------------------------------------------------------


def _cell_text(cell: Cell) -> list[Segment]:
    segs: list[Segment] = [(cell.label + "\n", False)] if cell.label else []
    return segs + [s for s in cell.segments if s[0]]


def render_xlsx(cmp: Comparison, old_first: bool = False, title: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "新旧対照表"
    ws.append([f"新旧対照表{(' — ' + title) if title else ''}（傍線部分は改正部分）"])
    ws.append(list(headers(old_first)))
    for c in ws[2]:
        c.font = Font(bold=True)
    under = InlineFont(u="single")
    plain = InlineFont()
    for row in rows(cmp, old_first):
        if row is None:
            ws.append([OMITTED, OMITTED])
            continue
        values = []
        for cell in row:
            rich = CellRichText([TextBlock(under if u else plain, t) for t, u in _cell_text(cell)])
            values.append(rich)
        ws.append(values)
    for col in ("A", "B"):
        ws.column_dimensions[col].width = 70
    for r in ws.iter_rows(min_row=2):
        for c in r:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render_docx(cmp: Comparison, old_first: bool = False, title: str = "") -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading(f"新旧対照表{(' — ' + title) if title else ''}", level=1)
    doc.add_paragraph("（傍線部分は改正部分）")
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers(old_first), strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    for row in rows(cmp, old_first):
        cells = table.add_row().cells
        if row is None:
            for c in cells:
                c.paragraphs[0].add_run(OMITTED)
            continue
        for target, cell in zip(cells, row, strict=True):
            para = target.paragraphs[0]
            if cell.label:
                para.add_run(cell.label).bold = True
                para = target.add_paragraph()
            for text, under in cell.segments:
                if text:
                    run = para.add_run(text)
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
