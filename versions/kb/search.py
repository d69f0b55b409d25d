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

import functools
import hashlib
import html
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extract.japanese import chunks

_KANJI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff々〆ヶ]")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_SKIP_POS = {"補助記号", "空白"}
_lock = threading.Lock()
SNIPPET_TEXTS = 2048  # clause texts whose words (both split modes) snippets keep (~10 KB each)
NO_MATCH = '""'  # an FTS5 expression that matches nothing
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"  # private-use markers around matches (see snippet)


def fold(word: str) -> str:
    """One spelling per word: drop hiragana okurigana from words that mix kanji and kana."""
    if _KANJI.search(word) and _HIRAGANA.search(word):
        return _HIRAGANA.sub("", word) or word
    return word


_local = threading.local()


def _sudachi(mode: int) -> tuple[Any, frozenset[int]]:
    """(SudachiPy tokenizer, part-of-speech ids to skip), one per thread and mode.

    Indexing calls SudachiPy directly (same dictionary as extract.japanese): building Token
    objects for every morpheme of the corpus doubles the indexing time. Long texts are cut with
    extract.japanese.chunks, so SudachiPy's input-size limit never applies.
    """
    cache: dict[int, tuple[Any, frozenset[int]]] | None = getattr(_local, "sudachi", None)
    if cache is None:
        cache = _local.sudachi = {}
    if mode not in cache:
        from sudachipy import SplitMode

        d, skip = _dictionary()
        cache[mode] = (d.create(SplitMode.C if mode else SplitMode.A), skip)
    return cache[mode]


_dict: tuple[Any, frozenset[int]] | None = None


def _dictionary() -> tuple[Any, frozenset[int]]:
    global _dict
    with _lock:
        if _dict is None:
            from sudachipy import Dictionary

            d = Dictionary(dict="core")
            skip, i = set(), 0
            while (pos := d.pos_of(i)) is not None:
                if pos[0] in _SKIP_POS:
                    skip.add(i)
                i += 1
            _dict = (d, frozenset(skip))
        return _dict


Morphemes = list[tuple[str, int, int]]


def _both_modes(text: str) -> tuple[Morphemes, Morphemes]:
    """(folded normalized form, start, end) of every word of ``text``, symbols dropped, in
    both split modes (A, C) from one tokenization: SudachiPy's A units are its C
    units split by the lexicon (``Morpheme.split``), as tokenizing again in mode A finds them
    (tests/test_search.py checks every corpus text); half the lattice work of two runs."""
    from sudachipy import SplitMode

    tokenizer, skip = _sudachi(1)
    fine: Morphemes = []
    whole: Morphemes = []
    for offset, piece in chunks(text):
        for m in tokenizer.tokenize(piece):
            parts = m.split(SplitMode.A)
            _add(whole, m, offset, skip)
            for part in parts if len(parts) else (m,):
                _add(fine, part, offset, skip)
    return fine, whole


def _add(out: Morphemes, m: Any, offset: int, skip: frozenset[int]) -> None:
    if m.part_of_speech_id() not in skip:
        out.append((_form(m.normalized_form()), offset + m.begin(), offset + m.end()))


@functools.lru_cache(maxsize=65_536)
def _form(normalized: str) -> str:
    """A normalized form as indexed: NFKC, okurigana folded, lower case."""
    if normalized.isascii() and normalized.islower():
        return normalized
    return fold(unicodedata.normalize("NFKC", normalized)).lower()


@functools.lru_cache(maxsize=SNIPPET_TEXTS)
def _morphemes_kept(text: str) -> tuple[Morphemes, Morphemes]:
    """``_both_modes`` of a clause text, kept for snippets: the site's texts are immutable, and
    each search highlights the same clauses again (the canned ``search`` query tokenized 50
    texts twice per request: 80% of its CPU). Bounded: ``SNIPPET_TEXTS`` texts."""
    return _both_modes(text)


@functools.lru_cache(maxsize=SNIPPET_TEXTS)
def _nfkc_kept(text: str) -> tuple[str, tuple[int, ...]]:
    normal, index = _nfkc_map(text)
    return normal, tuple(index)


def words(text: str, mode: int = 0) -> list[str]:
    """Folded normalized-form word tokens of ``text`` (mode 0 = finest split, 1 = longest)."""
    return list(_words_kept(text)[mode]) if text else []


@functools.lru_cache(maxsize=4096)
def _words_kept(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Both modes' words of a query term or thesaurus word, kept: callers ask for mode 0 and
    then mode 1 of the same string, which one tokenization answers."""
    fine, whole = _both_modes(text)
    return tuple(w for w, _, _ in fine), tuple(w for w, _, _ in whole)


_cache: dict[str, str] = {}


def index_terms(conn: sqlite3.Connection, more_than: int = 0) -> list[str]:
    """Words of ``nodes_words``' caption and text columns used in more than ``more_than`` rows of
    a column (fts5vocab), in order."""
    conn.execute("create virtual table temp.words_vocab using fts5vocab(main, nodes_words, 'col')")
    try:
        sql = (
            "select term from temp.words_vocab where col in ('caption', 'text')"
            " group by term having max(doc) > ? order by term"
        )
        return [r[0] for r in conn.execute(sql, [more_than])]
    finally:
        conn.execute("drop table temp.words_vocab")


def text_key(text: str) -> str:
    """``word_cache``'s key of a text: blake2b-96, hex."""
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def index_words(text: str | None) -> str:
    """The text as indexed in ``nodes_words``: A-split tokens, then C-split tokens."""
    if not text:
        return ""
    hit = _cache.get(text)
    if hit is None:
        fine, whole = _both_modes(text)
        hit = " ".join(w for found in (fine, whole) for w, _, _ in found)
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
    """FTS5 MATCH expression for ``nodes_words``; None when the query has no words.

    Restricted to the caption and text columns: the tags column holds filter tokens only.
    """
    parts = []
    for term in terms(query):
        phrases = {_phrase(ws) for ws in (words(term, 0), words(term, 1)) if ws}
        if phrases:
            parts.append("(" + " OR ".join(sorted(phrases)) + ")")
    return "{caption text} : (" + " AND ".join(parts) + ")" if parts else None


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


@functools.lru_cache(maxsize=256)
def _query_phrases(query: str) -> frozenset[tuple[str, ...]]:
    """The word runs of a query's terms (both split modes), once per query, not per snippet."""
    return frozenset(tuple(ws) for t in terms(query) for mode in (0, 1) if (ws := words(t, mode)))


def match_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` that the query matches (words and substrings), merged."""
    if not text:
        return []
    phrases = _query_phrases(query)
    spans = []
    for found in _morphemes_kept(text):  # word runs equal to a query phrase (as indexed)
        forms = [w for w, _, _ in found]
        for phrase in phrases:
            k = len(phrase)
            for i in range(len(forms) - k + 1):
                if forms[i] == phrase[0] and tuple(forms[i : i + k]) == phrase:
                    spans.append((found[i][1], found[i + k - 1][2]))
    normal, index = _nfkc_kept(text)
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
    first = _literal_match(text, query)
    if first is not None and len(text) > 3 * width:
        # Long text with the query printed as typed: tokenize only a window around it.
        lo = max(0, first - width)
        spans = [(s + lo, e + lo) for s, e in match_spans(text[lo : first + 2 * width], query)]
    else:
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


def _literal_match(text: str, query: str) -> int | None:
    """Offset of the first query term found as printed in ``text``, if any."""
    found = [i for t in terms(query) if (i := text.find(t)) >= 0]
    return min(found) if found else None


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
    seq: int | None = field(repr=False, default=None)  # nodes.seq, when the search read it

    def snippet(self, width: int = 80, mark: tuple[str, str] | None = None) -> str:
        """Plain-text snippet with matches wrapped in ``mark`` (default: private-use markers)."""
        return snippet(self.text or self.caption or "", self.query, width, mark)

    @property
    def snippet_html(self) -> str:
        """Escaped HTML snippet with <mark> around the matched words."""
        return marked_html(self.snippet())


# --- filter tags: indexed in nodes_words.tags so filters are part of the MATCH ----------------


def tag(prefix: str, value: str) -> str:
    """One unicode61 token standing for ``value`` (ids contain - and _, which would split)."""
    return prefix + hashlib.blake2s(value.encode(), digest_size=8).hexdigest()


def node_tags(
    *, latest: bool, doc_id: str, version_id: str, kind: str, chapter_id: str | None
) -> str:
    """The ``tags`` column of one node in ``nodes_words``."""
    out = ["latest"] if latest else []
    out += [tag("doc", doc_id), tag("ver", version_id), "kind" + kind.replace("_", "")]
    if chapter_id:
        out.append(tag("chp", f"{doc_id}/{chapter_id}"))
    return " ".join(out)


@dataclass(frozen=True)
class IndexedNode:
    """One node as the word index sees it (a row of ``WORD_NODES_SQL``)."""

    seq: int
    node_id: str
    text_id: int
    latest: bool
    doc_id: str
    version_id: str
    kind: str
    chapter_id: str | None


# the nodes in the order word_rows takes them; ``{where}``: a filter on n (or nothing)
WORD_NODES_SQL = (
    "select n.seq, n.node_id, n.text_id, v.latest, n.doc_id, n.version_id, n.kind, n.chapter_id"
    " from node_rows n join versions v on v.id = n.version_id {where} order by n.seq"
)


def word_rows(nodes: Iterable[IndexedNode]) -> list[tuple[int, int, str]]:
    """The rows of ``nodes_words``: (rowid, text_id, tags), one per *word row*, the nodes of one
    document with the same node id, text, kind and chapter in any of its versions (a clause
    carried unchanged is indexed once). The rowid is the seq of its latest-version node, else of
    its newest; its tags name every version it is in (``ver…``), so a version filter finds it
    and ``word_row_members`` gives its node in that version."""
    groups: dict[tuple[object, ...], list[IndexedNode]] = {}
    for n in nodes:
        key = (n.doc_id, n.node_id, n.text_id, n.kind, n.chapter_id)
        groups.setdefault(key, []).append(n)
    out = []
    for members in groups.values():
        head = next((m for m in members if m.latest), members[-1])
        tags = [
            node_tags(
                latest=head.latest,
                doc_id=head.doc_id,
                version_id=members[0].version_id,
                kind=head.kind,
                chapter_id=head.chapter_id,
            )
        ]
        tags += [tag("ver", m.version_id) for m in members[1:]]
        out.append((head.seq, head.text_id, " ".join(tags)))
    return sorted(out)


# a word row (rowid ``g``) → its nodes: in every version (``members``), or in one (``in_version``)
WORD_ROW_MEMBERS = (
    "join node_rows g on g.seq = {rowid} join nodes n on n.doc_id = g.doc_id"
    " and n.node_id = g.node_id and n.text_id = g.text_id and n.kind = g.kind"
    " and n.chapter_id is g.chapter_id"
)
WORD_ROW_IN_VERSION = (
    "join node_rows g on g.seq = {rowid} join nodes n on n.key = :version || '/' || g.node_id"
)


# chapter and section headings are never a result (versions/kb/ranking.py): a bounded search
# across documents leaves them out, so its best N are provisions (at 10,000 versions the best
# 500 of 損害賠償 were 500 copies of one chapter heading, and the search found nothing)
HEADING_KINDS = ("chapter", "section", "subsection")
NO_HEADINGS = "NOT tags : (" + " OR ".join(f"kind{k}" for k in HEADING_KINDS) + ")"


def filter_expression(
    *,
    latest: bool = True,
    doc: str | None = None,
    version: str | None = None,
    kind: str | None = None,
    chapter: str | None = None,
) -> str:
    """FTS5 column filter on ``tags`` (empty string: no filter). ``chapter`` needs ``doc``."""
    parts = ["latest"] if latest and not version else []
    if doc:
        parts.append(tag("doc", doc))
    if version:
        parts.append(tag("ver", version))
    if kind:
        parts.append("kind" + re.sub(r"[^A-Za-z]", "", kind))
    if chapter and doc:
        parts.append(tag("chp", f"{doc}/{chapter}"))
    return " AND ".join(f"tags : {p}" for p in parts)


WORDS_SQL = """
with top as (
  select rowid, rank from nodes_words where nodes_words match :expr order by rank limit :limit
)
select n.key, n.version_id, n.doc_id, n.node_id, n.kind, n.label, n.caption, n.text, n.path,
       n.chapter_id, n.article_id, top.rank
from top {join}
where (:chapter is null or n.chapter_id = :chapter)
order by top.rank, n.seq
"""
# the latest versions: a word row with the latest tag is its latest node (word_rows)
LATEST_JOIN = "join nodes n on n.seq = top.rowid"


def words_join(version: str | None, all_versions: bool) -> str:
    """How WORDS_SQL goes from a word row to the nodes the filter asks for."""
    if version:
        return WORD_ROW_IN_VERSION.format(rowid="top.rowid")
    return WORD_ROW_MEMBERS.format(rowid="top.rowid") if all_versions else LATEST_JOIN


TRIGRAM_SQL = """
with m as (
  select rowid, rank from nodes_trigram
  where nodes_trigram match :expr {scope} order by rank limit :cap
)
select n.key, n.version_id, n.doc_id, n.node_id, n.kind, n.label, n.caption, n.text, n.path,
       n.chapter_id, n.article_id, m.rank
from m join nodes n on n.text_id = m.rowid join versions v on v.id = n.version_id
where (:all_versions or v.latest = 1)
  and n.seq between :lo and :hi
  and (:version is null or n.version_id = :version)
  and (:doc is null or n.doc_id = :doc)
  and (:chapter is null or n.chapter_id = :chapter)
  and (:kind is null or n.kind = :kind)
order by m.rank, n.seq
limit :limit
"""
# nodes_trigram indexes each distinct text once (rowid = texts.id): a document or version
# filter keeps the texts of its nodes (contiguous seq) before ranking. ``+rowid``, not
# ``rowid``: SQLite hands ``rowid IN (…)`` to FTS5 as one full-text query per value (a
# document's 336 texts: 336 queries, 30–200 ms); as an expression it filters the matches once
# (0.4–5 ms, the same rows).
TRIGRAM_SCOPE = "and +rowid in (select text_id from node_rows where seq between :lo and :hi)"


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
    ``kind`` a node kind (article, paragraph, item …). Word matches come first (bm25, captions
    weigh 3×); substring (trigram) matches fill up the list when words find fewer than ``limit``.
    """
    words_expr, tri_expr = match_expression(query), trigram_expression(query)
    if words_expr is None and tri_expr is None:
        return []
    conn, close = _connection(db)
    try:
        rows: list[tuple[Any, ...]] = []
        if words_expr:
            filters = filter_expression(
                latest=not all_versions, doc=doc, version=version, kind=kind, chapter=chapter
            )
            expr = f"({words_expr}) AND {filters}" if filters else words_expr
            # Without a document, a chapter filter applies after ranking: fetch more.
            fetch = limit * 20 if chapter and not doc else limit
            params = {"expr": expr, "limit": fetch, "chapter": chapter, "version": version}
            sql = WORDS_SQL.format(join=words_join(version, all_versions))
            rows = conn.execute(sql, params).fetchall()[:limit]
        if tri_expr and len(rows) < limit:
            lo, hi = _seq_range(conn, doc, version, all_versions)
            params = {
                "expr": tri_expr,
                "lo": lo,
                "hi": hi,
                "cap": limit * 50,
                "all_versions": int(all_versions or version is not None),
                "version": version,
                "doc": doc,
                "chapter": chapter,
                "kind": kind,
                "limit": limit,
            }
            seen = {r[0] for r in rows}
            sql = TRIGRAM_SQL.format(scope=TRIGRAM_SCOPE if (doc or version) else "")
            more = conn.execute(sql, params).fetchall()
            rows += [r for r in more if r[0] not in seen][: limit - len(rows)]
    finally:
        if close:
            conn.close()
    return [_hit(row, query) for row in rows]


def _seq_range(
    conn: sqlite3.Connection, doc: str | None, version: str | None, all_versions: bool
) -> tuple[int, int]:
    """The nodes.seq range a filter allows: a version's (and a document's) nodes are contiguous."""
    if version:
        sql, arg = "select min(seq), max(seq) from nodes where version_id = ?", version
    elif doc and not all_versions:
        sql = (
            "select min(n.seq), max(n.seq) from nodes n "
            "join documents d on n.version_id = d.latest_version_id where d.id = ?"
        )
        arg = doc
    elif doc:
        sql, arg = "select min(seq), max(seq) from nodes where doc_id = ?", doc
    else:
        return 0, 2**62
    lo, hi = conn.execute(sql, [arg]).fetchone()
    return (lo, hi) if lo is not None else (1, 0)


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
