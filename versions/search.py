"""Full-text search over clauses that works for Japanese: words of any length, 表記ゆれ folded.

Index side (``index_words``): the text as SudachiPy normalized-form tokens, in both the
finest (A) and the longest (C) split, okurigana dropped from mixed kanji/kana words — so
申込 / 申し込み / 申込み / お申込み / 申し込む all become 申込, and 契約 finds 契約者 (A)
while 申込 finds 申込書 (A) and お申込み内容 (C).
``index_trigram`` keeps the NFKC text for substrings of 3+ characters.

Query side (``match_expression``): each whitespace-separated term is tokenized the same way and
becomes FTS5 phrases (A split OR C split); terms are ANDed. ``fulltext`` runs both indexes,
ranks by bm25 and returns ``Hit`` objects whose snippets highlight the matched words in the
original text.
"""

from __future__ import annotations

import html
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extract.japanese import tokenize

_KANJI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff々〆ヶ]")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_SKIP_POS = {"補助記号", "空白"}
NO_MATCH = '""'  # an FTS5 expression that matches nothing
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"  # private-use markers around matches (see snippet)


def fold(word: str) -> str:
    """One spelling per word: drop hiragana okurigana from words that mix kanji and kana."""
    if _KANJI.search(word) and _HIRAGANA.search(word):
        return _HIRAGANA.sub("", word) or word
    return word


def _morphemes(text: str, mode: int) -> list[tuple[str, int, int]]:
    """(folded normalized form, start, end) of every word of ``text``; symbols dropped."""
    out = []
    for t in tokenize(text, "C" if mode else "A"):
        if t.pos in _SKIP_POS:
            continue
        form = fold(unicodedata.normalize("NFKC", t.normalized_form)).lower()
        out.append((form, t.start, t.end))
    return out


def words(text: str, mode: int = 0) -> list[str]:
    """Folded normalized-form word tokens of ``text`` (mode 0 = finest split, 1 = longest)."""
    return [w for w, _, _ in _morphemes(text, mode)] if text else []


_cache: dict[str, str] = {}


def index_words(text: str | None) -> str:
    """The text as indexed in ``nodes_words``: A-split tokens, then C-split tokens."""
    if not text:
        return ""
    hit = _cache.get(text)
    if hit is None:
        hit = " ".join(words(text, 0) + words(text, 1))
        if len(_cache) > 200_000:
            _cache.clear()
        _cache[text] = hit
    return hit


def index_trigram(text: str | None) -> str:
    """The text as indexed in ``nodes_trigram``: NFKC (full/half width folded), lower case."""
    return unicodedata.normalize("NFKC", text).lower() if text else ""


def _phrase(tokens: Iterable[str]) -> str:
    return '"' + " ".join(t.replace('"', '""') for t in tokens) + '"'


def terms(query: str) -> list[str]:
    return [t for t in unicodedata.normalize("NFKC", query or "").split() if t]


def match_expression(query: str) -> str | None:
    """FTS5 MATCH expression for ``nodes_words``; None when the query has no words."""
    parts = []
    for term in terms(query):
        phrases = {_phrase(ws) for ws in (words(term, 0), words(term, 1)) if ws}
        if phrases:
            parts.append("(" + " OR ".join(sorted(phrases)) + ")")
    return " AND ".join(parts) or None


def trigram_expression(query: str) -> str | None:
    """FTS5 MATCH expression for ``nodes_trigram``; None when a term is under 3 characters.

    Each term matches as printed or in its NFKC form (half-width digits for full-width ones).
    """
    ts = (query or "").replace("\u3000", " ").split()
    if not ts or any(len(t) < 3 for t in ts):
        return None
    parts = []
    for t in ts:
        forms = sorted({t, unicodedata.normalize("NFKC", t)})
        parts.append("(" + " OR ".join(_phrase([f]) for f in forms) + ")")
    return " AND ".join(parts)


# --- highlighting in the original text -------------------------------------------------------


def _nfkc_map(text: str) -> tuple[str, list[int]]:
    """NFKC of ``text`` and, for each of its characters, the index of the source character."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        n = unicodedata.normalize("NFKC", ch).lower()
        out.append(n)
        index.extend([i] * len(n))
    return "".join(out), index


def match_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` that the query matches (words and substrings), merged."""
    if not text:
        return []
    wanted = {w for t in terms(query) for mode in (0, 1) for w in words(t, mode)}
    spans = [(s, e) for mode in (0, 1) for w, s, e in _morphemes(text, mode) if w in wanted]
    normal, index = _nfkc_map(text)
    for term in terms(query):
        term = term.lower()
        for m in re.finditer(re.escape(term), normal):
            spans.append((index[m.start()], index[m.end() - 1] + 1))
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def snippet(text: str, query: str, width: int = 60, mark: tuple[str, str] | None = None) -> str:
    """A window of ``text`` around the first match, matches wrapped in ``mark`` (plain text)."""
    open_, close = mark or (MARK_OPEN, MARK_CLOSE)
    text = text or ""
    spans = match_spans(text, query)
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out += [text[pos:s], open_, text[s:e], close]
        pos = e
    out.append(text[pos:end])
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


def marked_html(value: str) -> str:
    """Escape ``value`` and turn the private-use match markers into <mark> elements."""
    escaped = html.escape(value)
    return escaped.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")


# --- the search ------------------------------------------------------------------------------


@dataclass
class Hit:
    key: str
    version_id: str
    doc_id: str
    node_id: str
    kind: str
    label: str
    caption: str | None
    text: str
    path: str
    chapter_id: str | None
    article_id: str | None
    score: float
    query: str = field(repr=False, default="")

    def snippet(self, width: int = 80, mark: tuple[str, str] | None = None) -> str:
        """Plain-text snippet with matches wrapped in ``mark`` (default: private-use markers)."""
        return snippet(self.text or self.caption or "", self.query, width, mark)

    @property
    def snippet_html(self) -> str:
        """Escaped HTML snippet with <mark> around the matched words."""
        return marked_html(self.snippet())


SEARCH_SQL = """
with hits as (
  select rowid, bm25(nodes_words, 3.0, 1.0) as score
  from nodes_words where nodes_words match :words
  union all
  select rowid, bm25(nodes_trigram, 3.0, 1.0) as score
  from nodes_trigram where nodes_trigram match :tri
), best as (select rowid, min(score) as score from hits group by rowid)
select n.key, n.version_id, n.doc_id, n.node_id, n.kind, n.label, n.caption, n.text, n.path,
       n.chapter_id, n.article_id, best.score
from best join nodes n on n.seq = best.rowid join versions v on v.id = n.version_id
where (:all_versions or v.latest = 1)
  and (:version is null or n.version_id = :version)
  and (:doc is null or n.doc_id = :doc)
  and (:chapter is null or n.chapter_id = :chapter)
  and (:kind is null or n.kind = :kind)
order by best.score, n.version_id, n.seq
limit :limit
"""


def _connection(db: Any) -> tuple[sqlite3.Connection, bool]:
    if isinstance(db, sqlite3.Connection):
        return db, False
    if isinstance(db, str | Path):
        return sqlite3.connect(f"file:{db}?mode=ro", uri=True), True
    return db.conn, False  # sqlite_utils.Database


def fulltext(
    db: Any,
    query: str,
    doc: str | None = None,
    chapter: str | None = None,
    kind: str | None = None,
    limit: int = 20,
    *,
    version: str | None = None,
    all_versions: bool = False,
) -> list[Hit]:
    """Ranked clauses matching ``query`` (latest versions only unless ``all_versions``).

    ``db`` is a path, an sqlite3 connection or a sqlite_utils Database; ``doc`` a document id,
    ``version`` a version id (implies all versions), ``chapter`` a chapter node id (chp_3),
    ``kind`` a node kind (article, paragraph, item …).
    """
    words_expr, tri_expr = match_expression(query), trigram_expression(query)
    if words_expr is None and tri_expr is None:
        return []
    conn, close = _connection(db)
    try:
        params = {
            "words": words_expr or NO_MATCH,
            "tri": tri_expr or NO_MATCH,
            "all_versions": int(all_versions or version is not None),
            "version": version,
            "doc": doc,
            "chapter": chapter,
            "kind": kind,
            "limit": limit,
        }
        rows = conn.execute(SEARCH_SQL, params).fetchall()
    finally:
        if close:
            conn.close()
    return [_hit(row, query) for row in rows]


def _hit(row: tuple[Any, ...], query: str) -> Hit:
    key, version_id, doc_id, node_id, kind, label, caption, text, path, chp, art, score = row
    return Hit(
        key,
        version_id,
        doc_id,
        node_id,
        kind,
        label or "",
        caption,
        text or "",
        path or "",
        chp,
        art,
        float(score),
        query=query,
    )
