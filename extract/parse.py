"""The pipeline: bytes → decode → (Markdown tokens) → normalise → structure → enrich.

``parse_bytes`` is the only entry point callers need; ``parse_text`` takes decoded text.
``lossless_problems`` checks that every non-blank source character ended up somewhere.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Literal

from extract import definitions, references, supplements
from extract.decode import decode
from extract.markdown import looks_like_markdown, markdown_lines
from extract.model import Artefact, ParsedDocument, Source
from extract.normalize import clean, source_lines
from extract.structure import build, check_toc

Format = Literal["text", "markdown"]


def detect_format(text: str, path: str) -> Format:
    """Markdown for a ``.md`` name or ATX headings (read by markdown-it-py); else plain text."""
    if path.lower().endswith((".md", ".markdown")):
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
    """Parse already-decoded text (``fmt``: "text", "markdown" or None to detect)."""
    text = text.lstrip("\ufeff")
    form: Format = (
        "markdown" if fmt == "markdown" else "text" if fmt == "text" else detect_format(text, path)
    )
    artefacts: list[Artefact] = []
    raw = markdown_lines(text, artefacts) if form == "markdown" else source_lines(text)
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
