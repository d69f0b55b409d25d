"""The pipeline: bytes → decode → (Markdown tokens) → normalise → structure → enrich.

``parse_bytes`` is the only entry point callers need; ``parse_text`` takes decoded text.
``lossless_problems`` checks that every non-blank source character ended up somewhere.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Literal

from extract import definitions, references, supplements
from extract.decode import decode
from extract.markdown import looks_like_markdown, markdown_lines
from extract.model import Artefact, ParsedDocument, Source
from extract.normalize import clean, source_lines
from extract.structure import build, check_toc

Format = Literal["text", "markdown", "lawtext"]
_DECLARED: dict[str, Format] = {"text": "text", "markdown": "markdown", "lawtext": "lawtext"}

# Lawtext (github.com/yamachig/Lawtext, the plain-text exchange format of Japanese law) indents
# with ASCII spaces: 「      第一章　総則」, 「      附　則」, 「  （目的）」, 「  一　…」.
_LAWTEXT_HEADING_RE = re.compile(
    r"^ {2,}(?:附\u3000?則|第[一二三四五六七八九十百]+[編章節款目]\u3000)", re.M
)
_LAWTEXT_ARTICLE_RE = re.compile(
    r"^第[一二三四五六七八九十百千]+条(?:の[一二三四五六七八九十]+)*\u3000", re.M
)


def looks_like_lawtext(text: str) -> bool:
    """Headings indented with ASCII spaces above articles at the margin: Lawtext's layout."""
    head = text[:200_000]
    return bool(_LAWTEXT_HEADING_RE.search(head) and _LAWTEXT_ARTICLE_RE.search(head))


def detect_format(text: str, path: str) -> Format:
    """Lawtext for a ``.law.txt`` name or its layout; Markdown for a ``.md`` name or Markdown
    content (read by markdown-it-py); else plain text."""
    name = path.lower()
    if name.endswith(".law.txt") or (not name.endswith(".md") and looks_like_lawtext(text)):
        return "lawtext"
    if name.endswith((".md", ".markdown")):
        return "markdown"
    return "markdown" if looks_like_markdown(text) else "text"


def parse_bytes(data: bytes, path: str = "<bytes>", fmt: str | None = None) -> ParsedDocument:
    """Parse one document version. Raises ``extract.errors.InputError`` for unusable bytes."""
    text, encoding = decode(data, path)
    doc = parse_text(text, path, fmt)
    doc.source.sha256 = hashlib.sha256(data).hexdigest()
    doc.source.encoding = encoding
    return doc


def parse_text(text: str, path: str = "<text>", fmt: str | None = None) -> ParsedDocument:
    """Parse already-decoded text (``fmt``: "text", "markdown", "lawtext" or None to detect)."""
    text = text.lstrip("\ufeff")
    form = _DECLARED.get(fmt or "") or detect_format(text, path)
    artefacts: list[Artefact] = []
    # Lawtext's 「# 別表第一」 headings and 「* - 」 table rows are Markdown syntax: the Markdown
    # reader takes them as heading and list markup, the rest is the statute layout
    raw = markdown_lines(text, artefacts) if form != "text" else source_lines(text)
    title, lines = clean(raw, artefacts)
    nodes, diagnostics = build(lines)
    diagnostics += check_toc(nodes, [(a.text, a.line) for a in artefacts if a.kind == "toc"])
    source = Source(path, hashlib.sha256(text.encode("utf-8")).hexdigest(), "utf-8", form)
    doc = ParsedDocument(source, title, nodes, diagnostics=diagnostics, artefacts=artefacts)
    doc.supplements, suppl_diags = supplements.extract_supplements(nodes)
    doc.references, ref_diags = references.extract_references(nodes)
    doc.definitions = definitions.extract_definitions(nodes)
    doc.diagnostics += suppl_diags + ref_diags
    doc.artefacts.sort(key=lambda a: a.line)
    return doc


_IGNORED = set(" \t\r\n\u3000\ufeff\u00a0\f\v") | set("()（）【】")


def _chars(text: str) -> Counter[str]:
    return Counter(c for c in text if c not in _IGNORED)


def lossless_problems(text: str, doc: ParsedDocument) -> list[str]:
    """Non-blank characters of ``text`` missing from (or added to) nodes + artefacts.

    Caption brackets are dropped by design (captions are stored without them), so brackets
    are not compared; everything else must match exactly as a multiset.
    """
    have: Counter[str] = Counter()
    for n in doc.nodes:
        have += _chars(n.label) + _chars(n.caption or "") + _chars(n.text)
    for a in doc.artefacts:
        have += _chars(a.text)
    want = _chars(text)
    problems = []
    missing, extra = want - have, have - want
    if missing:
        problems.append("missing: " + "".join(sorted(missing.elements()))[:200])
    if extra:
        problems.append("duplicated: " + "".join(sorted(extra.elements()))[:200])
    return problems
