"""Defined terms: the 用語の定義 table, inline definitions, and where each term is used.

Three sources of definitions, each recorded with the node that defines it:

- the 用語の定義 table of an article captioned …定義 — rows as TAB-separated cells (Markdown,
  TSV-like text) or flattened from a PDF, where a term may wrap over lines (「インターネット接続」
  /「回線」) and is separated from its meaning only by a space. Rows are rebuilt from source lines:
  a line that is all noun-like words starts (or continues) a term; a line 「TERM meaning…」 splits
  at the space that leaves the longest term also used elsewhere in the document;
- inline definitions 「…株式会社（以下「当社」といいます。）」, 「以下「甲」という」, 「…を特に
  「申込者」という。」 — the defined phrase is the text before the bracket;
- statute style 「この法律において「個人情報」とは、…をいう。」.

Uses are found on a whitespace-free NFKC view of every node (PDF text breaks words with spaces
and line ends). A match counts only where SudachiPy puts word boundaries at both ends, so 本契約
is not found inside 基本契約 and 契約 not inside 契約者; the longest defined term wins, so when
本サービス契約 is itself defined it is not a use of 本サービス, and when it is not, 本サービス契約
(the contract for the service) counts as a use of 本サービス. A use belongs to the latest
definition of its term at or before it in document order (statutes redefine terms per chapter).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from extract.japanese import Token, boundaries, tokenize
from extract.model import Definition, Node

_SPACE = frozenset(" \r\n\u3000\u00a0")  # TAB stays: it separates table cells
_RUN = re.compile("[^" + "".join(sorted(_SPACE)) + "]+")
_TERM_POS = frozenset({"名詞", "接頭辞", "接尾辞"})
_TERM_SYMBOLS = frozenset("/-・()（）.&+＆＋／－")
_TERM_JOINERS = frozenset({"または", "又は", "及び", "および", "また", "は"})
_ALTERNATIVES = re.compile(r"または|又は|若しくは|もしくは")
_MAX_TERM = 30
_HEADER = re.compile(r"^用語(?:の意味|の定義|意味|定義|説明|内容)*$")
_TRAILING_NOTE = re.compile(r"[(（][^()（）]*[)）]$")
_TABLE_HINT = re.compile(r"用語|次の意味|次のとおり")

# On the compact NFKC view (full-width brackets become ASCII ones):
_Q = r"「(?P<t>[^「」]{1,40})」"
_MORE = r"(?P<more>(?:(?:又は|または|若しくは|及び|並びに|、|,|・)「[^「」]{1,40}」)*)"
_INLINE = re.compile(
    r"以下[、,]?(?:単に|これらを|あわせて|併せて|総称して|[^「」。()]{0,20}?において)?"
    + _Q
    + _MORE
    + r"(?:と(?:いい|いう|総称|称|略|し)|という)"
)
_SPECIALLY = re.compile(r"を(?:特に|単に)?" + _Q + r"(?:という|といいます)(?=[。)]|$)")
_TOHA = re.compile(_Q + r"とは、?")
# the meaning ends before 「をいう」, or its polite and plain variants
_TOHA_END = ("をいう", "をいい", "を指す", "を指し", "を意味する", "を意味し")
_DELIMS = frozenset("。、,;；")


# --- a whitespace-free view of a text, mapped back to offsets --------------------------------


@dataclass
class _View:
    text: str
    index: list[int] = field(default_factory=list)  # view offset → original offset

    def orig(self, i: int) -> int:
        return self.index[min(i, len(self.index) - 1)] if self.index else 0


@lru_cache(maxsize=8192)
def compact(text: str) -> _View:
    """``text`` without whitespace, NFKC-normalised, with an offset map.

    Runs between spaces are normalised whole when that keeps their length (nearly always),
    character by character otherwise, so every view character maps to a source character.
    """
    chars: list[str] = []
    index: list[int] = []
    for m in _RUN.finditer(text):
        run = m.group()
        norm = unicodedata.normalize("NFKC", run)
        if len(norm) == len(run):
            chars.append(norm)
            index.extend(range(m.start(), m.end()))
            continue
        for i, ch in enumerate(run, m.start()):
            one = unicodedata.normalize("NFKC", ch)
            chars.append(one)
            index.extend([i] * len(one))
    return _View("".join(chars), index)


def key(term: str) -> str:
    """A term as matched: no whitespace at all, NFKC."""
    return compact(term).text.replace("\t", "")


def _line_of(node: Node, offset: int) -> int:
    # segments are in text order: the last one starting at or before ``offset``
    k = bisect_right(node.segments, offset, key=_seg_start)
    return node.segments[k - 1][1] if k else node.line


def _seg_start(seg: tuple[int, int, int]) -> int:
    return seg[0]


# --- term-likeness ---------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def term_like(text: str) -> bool:
    """A printed term: short, noun-like words only (名詞, 接頭辞, 接尾辞, a few symbols)."""
    k = key(text)
    if not k or len(k) > _MAX_TERM or k[0] in "・※*([" or any(c in k for c in "。、,「」『』"):
        return False
    for tok in tokenize(k, "B"):
        if tok.pos in _TERM_POS or tok.surface in _TERM_JOINERS:
            continue
        if tok.pos == "補助記号" and all(c in _TERM_SYMBOLS for c in tok.surface):
            continue
        return False
    return True


@lru_cache(maxsize=1024)  # small: Token tuples are heavy, and a document has few phrases
def _tokens(text: str) -> tuple[Token, ...]:
    """Mode-B tokens of a phrase (cached: versions of a document repeat their phrases)."""
    return tuple(tokenize(text, "B"))


def _strip_note(term: str) -> str:
    """「パスワード（暗号化キー）」→「パスワード」; an inline （以下「AP」…） is dropped too."""
    term = term.strip()
    while True:
        m = _TRAILING_NOTE.search(term)
        if not m or m.start() == 0:
            return term
        term = term[: m.start()].rstrip()


def _alternatives(term: str) -> list[str]:
    """「ＳＩＭ または ＳＩＭカード」 names two terms."""
    parts = [p.strip() for p in _ALTERNATIVES.split(term)]
    return [p for p in parts if p] if len(parts) > 1 else [term]


# --- the 用語の定義 table --------------------------------------------------------------------


@dataclass
class _Line:
    """One source line of a definitions table: where it is and what it says."""

    node: Node
    start: int  # offset in node.text
    end: int
    line: int
    text: str  # cells on this line joined by one space; TAB kept when the source had one

    @property
    def tabbed(self) -> bool:
        return "\t" in self.text.strip()


@dataclass
class _Row:
    first: _Line
    term_parts: list[str] = field(default_factory=list)
    meaning: list[str] = field(default_factory=list)


def _node_lines(node: Node) -> list[_Line]:
    """The node's text cut at source lines (pieces of one source line rejoined)."""
    segs = node.segments or [(0, node.line, 1)]
    bounds = [*(s for s, _, _ in segs), len(node.text)]
    lines: list[_Line] = []
    for (start, line, _col), end in zip(segs, bounds[1:], strict=False):
        piece = node.text[start:end]
        if lines and lines[-1].line == line:
            # cells the parser cut at a space of one printed line: rejoin them as printed
            prev = lines[-1]
            joined = prev.text.rstrip("\n\t") + " " + piece
            lines[-1] = _Line(node, prev.start, end, line, joined)
        else:
            lines.append(_Line(node, start, end, line, piece))
    return [ln for ln in lines if ln.text.strip()]


def _split_line(text: str, corpus: str) -> tuple[str, str] | None:
    """「TERM meaning…」: the split at a space leaving the longest term used elsewhere."""
    text = text.strip()
    cuts = [m.start() for m in re.finditer(r"[ \t\u3000]+", text)]
    candidates = [(text[:c].strip(), text[c:].strip()) for c in cuts]
    candidates = [(t, m) for t, m in candidates if m and term_like(t)]
    if not candidates:
        return None
    used = [(t, m) for t, m in candidates if _twice(corpus, key(t))]
    return max(used, key=lambda tm: len(tm[0])) if used else candidates[0]


def _twice(corpus: str, term: str) -> bool:
    """``corpus.count(term) >= 2``, stopping at the second use instead of counting them all."""
    first = corpus.find(term)
    return first >= 0 and corpus.find(term, first + max(1, len(term))) >= 0


def _is_header(text: str) -> bool:
    return bool(_HEADER.match(key(text)))


def _table_rows(lines: list[_Line], corpus: str) -> list[_Row]:
    rows: list[_Row] = []
    row: _Row | None = None
    for ln in lines:
        text = ln.text.strip()
        if _is_header(text):
            row = None
            continue
        if ln.tabbed:
            term, _, meaning = text.partition("\t")
            if not term.strip() and row is not None:  # an empty term cell continues the row
                row.meaning.append(meaning.strip())
                continue
            row = _Row(ln, [term], [meaning.strip()] if meaning.strip() else [])
            if term_like(_strip_note(term)) or not meaning.strip():
                rows.append(row)
                continue
            # a TAB inserted at the wrong space: re-split the line as printed
            ln = _Line(ln.node, ln.start, ln.end, ln.line, text.replace("\t", " "))
            text = ln.text
        collecting = row is not None and not row.meaning
        if (
            collecting
            and row is not None
            and len(key(text)) <= 15
            and term_like("".join(row.term_parts) + text)
        ):
            row.term_parts.append(text)  # a term wrapped over lines
        elif term_like(text):
            row = _Row(ln, [text])
            rows.append(row)
        elif (split := _split_line(text, corpus)) is not None and not collecting:
            row = _Row(ln, [split[0]], [split[1]])
            rows.append(row)
        elif row is not None:
            row.meaning.append(text)
    return rows


def _table_definitions(article_nodes: list[Node], corpus: str) -> list[tuple[Definition, int]]:
    lines = [ln for n in article_nodes if n.kind in ("paragraph", "table_row", "text")
             for ln in _node_lines(n)]  # fmt: skip
    out: list[tuple[Definition, int]] = []
    for row in _table_rows(lines, corpus):
        if not row.meaning:
            continue
        printed = _strip_note(_join_wrapped(row.term_parts))
        meaning = _join_wrapped(row.meaning)
        merged = _split_merged(printed, meaning, corpus) if row.first.tabbed else None
        pairs = merged or [(term, meaning) for term in _alternatives(printed)]
        for term, text in pairs:
            if not term or _is_header(term):
                continue
            d = Definition(term, text, row.first.node.id, row.first.line, "table")
            out.append((d, row.first.start))
    return out


def _split_merged(term: str, meaning: str, corpus: str) -> list[tuple[str, str]] | None:
    """Two rows a PDF merged: 「端末設備 回線接続装置」 with two sentences of meaning.

    The term cell is cut at the space where both halves are used elsewhere in the document
    (most uses of the rarer half win); the meaning at its first 。.
    """
    first, dot, second = meaning.partition("。")
    if " " not in term or not dot or not second.strip():
        return None
    best: tuple[int, str, str] | None = None
    for m in re.finditer(" ", term):
        left, right = term[: m.start()].strip(), term[m.end() :].strip()
        uses = min(corpus.count(key(left)), corpus.count(key(right)))
        if uses >= 2 and term_like(left) and term_like(right) and (not best or uses > best[0]):
            best = (uses, left, right)
    if best is None:
        return None
    return [(best[1], first + dot), (best[2], second.strip())]


def _join_wrapped(parts: list[str]) -> str:
    """Lines of one cell: wrapped lines join without a space, spaces inside a line collapse."""
    return "".join(" ".join(p.replace("\t", " ").split()) for p in parts)


def _definition_articles(nodes: list[Node]) -> list[list[Node]]:
    """Each article captioned …定義 that holds a table, with all its descendant nodes."""
    groups: list[list[Node]] = []
    for i, node in enumerate(nodes):
        if node.kind != "article" or "定義" not in (node.caption or ""):
            continue
        members = [node]
        ids = {node.id}
        for j in range(i + 1, len(nodes)):  # no copy of the rest of the list per article
            other = nodes[j]
            if other.parent not in ids:
                break
            members.append(other)
            ids.add(other.id)
        has_table = any(m.kind == "table_row" for m in members)
        if has_table or any(_TABLE_HINT.search(m.text) for m in members[:3]):
            groups.append(members)
    return groups


# --- inline definitions ------------------------------------------------------------------------


def _phrase_span(text: str, end: int, floor: int = 0) -> tuple[int, int]:
    """The noun phrase a definition abbreviates: back from ``end`` to a delimiter, trimmed."""
    depth = 0
    i = end
    while i > floor and end - i < 80:
        ch = text[i - 1]
        if ch in ")」』":
            depth += 1
        elif ch in "(「『":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and ch in _DELIMS:
            break
        i -= 1
    if text.startswith(_LIST_TAILS, i) and i > floor and text[i - 1] in "、,":
        i = _list_start(text, i - 1, floor)
    return _trim(text, i, end)


_LIST_TAILS = ("等", "など", "その他")


def _list_start(text: str, comma: int, floor: int) -> int:
    """「契約者名、住所、電話番号、等の…情報」: back over the listed nouns before 等."""
    start = comma
    while start > floor:
        prev = max(floor - 1, *(text.rfind(d, floor, start) for d in "、,。(「"))
        item = text[prev + 1 : start]
        if not item:
            break
        if term_like(item):
            start = prev + 1
            if prev < floor or text[prev] not in "、,":
                break
            start = prev  # continue before this comma
            continue
        toks = _tokens(item)
        tail = len(toks)
        while tail > 0 and toks[tail - 1].pos in _TERM_POS:
            tail -= 1
        return prev + 1 + toks[tail].start if tail < len(toks) else start + 1
    return start + 1 if text[start] in "、," else start


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop what leads into the phrase (particles, 「これにより」) and a final を."""
    toks = _tokens(text[start:end]) if end > start else ()
    cut = 0
    if toks and toks[0].pos in _LEAD_POS:  # 「これにより」「並びにその」: up to the first noun
        while cut < len(toks) and not _starts_phrase(toks[cut]):
            cut += 1
    if 0 < cut < len(toks):
        start += toks[cut].start
    if end > start and text[end - 1] == "を":
        end -= 1
    return start, end


_LEAD_POS = frozenset({"代名詞", "助詞", "接続詞", "副詞", "助動詞"})  # not この (連体詞)


def _starts_phrase(tok: Token) -> bool:
    return tok.pos in ("名詞", "接頭辞") or tok.surface in ("「", "『", "“", '"')


def _subject(text: str, head: int, opened: bool, floor: int) -> tuple[int, int]:
    """What 「以下「X」という」 at ``head`` names (``opened``: it follows an open bracket)."""
    if not opened and text[:head].endswith("を"):  # 「取得した個人の映像を以下「…」」
        return _phrase_span(text, head - 1, floor)
    end = head - 1 if opened else head
    span = _phrase_span(text, end, floor)
    if span[0] < span[1]:
        return span
    # 「約款（2000年…号。以下「約款」…）」: the phrase before the enclosing bracket
    depth, i = 0, end
    while i > floor:
        ch = text[i - 1]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                return _phrase_span(text, i - 1, floor)
            depth -= 1
        i -= 1
    return span


def _toha_end(text: str, start: int) -> int | None:
    """Where the meaning of 「X」とは… ends: before 「をいう」「をいいます」「を指します」 outside
    brackets, in one sentence."""
    depth = 0
    for i in range(start, min(len(text), start + 400)):
        ch = text[i]
        if ch in "(「『":
            depth += 1
        elif ch in ")」』":
            depth = max(0, depth - 1)
        elif depth == 0 and ch == "。":
            return None
        elif depth == 0 and text.startswith(_TOHA_END, i):
            return i
    return None


def _printed(node_text: str, v: _View, start: int, end: int) -> str:
    """The original text behind view offsets [start, end), whitespace collapsed."""
    if start >= end:
        return ""
    return " ".join(node_text[v.orig(start) : v.orig(end - 1) + 1].split())


def _inline_definitions(node: Node) -> list[tuple[Definition, int, int]]:
    """(definition, start, end) for each inline definition; offsets are in the compact view."""
    v = compact(node.text)
    text = v.text
    out: list[tuple[Definition, int, int]] = []

    def add(s: int, e: int, meaning: tuple[int, int]) -> None:
        term = _printed(node.text, v, s, e)
        line = _line_of(node, v.orig(s))
        d = Definition(term, _printed(node.text, v, *meaning), node.id, line)
        out.append((d, s, e))

    floor = 0
    for m in _INLINE.finditer(text):
        head = m.start()
        opened = head > 0 and text[head - 1] == "("
        meaning = _subject(text, head, opened, floor)
        add(m.start("t"), m.end("t"), meaning)
        for t in re.finditer(r"「([^「」]+)」", m.group("more") or ""):
            add(m.start("more") + t.start(1), m.start("more") + t.end(1), meaning)
        close = text.find(")", m.end(), m.end() + 8)
        floor = close + 1 if close >= 0 else m.end()
    for m in _SPECIALLY.finditer(text):
        add(m.start("t"), m.end("t"), _phrase_span(text, m.start()))
    for m in _TOHA.finditer(text):
        end = _toha_end(text, m.end())
        if end is not None:
            add(m.start("t"), m.end("t"), (m.end(), end))
    return out


# --- uses ---------------------------------------------------------------------------------


def _on_word_boundaries(text: str, start: int, end: int) -> bool:
    """SudachiPy (mode B) starts a word at ``start`` and ends one at ``end``.

    An edge next to punctuation, a bracket or a TAB is a word boundary without asking.
    """
    if _plain_edge(text, start) and _plain_edge(text, end):
        return True
    cuts = boundaries(text, "B")  # the whole clause once: cached for its other matches
    return start in cuts and end in cuts


def _plain_edge(text: str, at: int) -> bool:
    if at == 0 or at == len(text):
        return True
    return _is_mark(text[at - 1]) or _is_mark(text[at])


@lru_cache(maxsize=4096)
def _is_mark(ch: str) -> bool:
    return ch == "\t" or unicodedata.category(ch)[0] in "PZ"


def _link_uses(
    nodes: list[Node],
    found: list[tuple[Definition, int, tuple[int, int] | None]],
) -> None:
    """Fill ``Definition.uses``; ``found`` gives each definition's node index and own span."""
    by_term: dict[str, list[tuple[int, Definition]]] = {}
    own: dict[str, list[tuple[int, int]]] = {}
    for d, index, span in found:
        k = key(d.term)
        if len(k) < 2 and not re.match(r"[\u4e00-\u9fff]", k):
            continue
        by_term.setdefault(k, []).append((index, d))
        if span:
            own.setdefault(d.node, []).append(span)
    if not by_term:
        return
    pattern = _longest_first(by_term)
    for index, node in enumerate(nodes):
        v = compact(node.text)
        spans = own.get(node.id, [])
        seen: set[int] = set()
        for m in pattern.finditer(v.text):
            s, e = m.span()
            if spans and any(s < b and a < e for a, b in spans):
                continue
            if not _on_word_boundaries(v.text, s, e):
                continue
            d = _owner(by_term[m.group()], index)
            if id(d) not in seen:
                seen.add(id(d))
                d.uses.append(node.id)


_Trie = dict[str, "_Trie"]  # one level per character; "" marks the end of a term


def _longest_first(terms: Iterable[str]) -> re.Pattern[str]:
    """A pattern matching any of ``terms``, the longest one where several start at a place.

    The same matches as the alternation of the terms sorted longest first, but written as a
    trie (「本サービス(?:契約)?」), so each position costs one path, not one try per term.
    """
    root: _Trie = {}
    for term in terms:
        node = root
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}  # a term ends here
    return re.compile(_trie_pattern(root))


def _trie_pattern(node: _Trie) -> str:
    parts = [re.escape(ch) + _trie_pattern(child) for ch, child in node.items() if ch]
    if not parts:
        return ""
    body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
    return f"(?:{body})?" if "" in node else body  # greedy: the longer term first


def _owner(defs: list[tuple[int, Definition]], index: int) -> Definition:
    """The last of ``defs`` (in list order) made at or before node ``index``, else the first."""
    for i, d in reversed(defs):
        if i <= index:
            return d
    return defs[0][1]


# --- entry point --------------------------------------------------------------------------


def extract_definitions(nodes: list[Node]) -> list[Definition]:
    """Every defined term with the node that defines it and the nodes that use it."""
    position = {n.id: i for i, n in enumerate(nodes)}
    corpus = "".join(compact(n.text).text for n in nodes)
    found: list[tuple[Definition, int, tuple[int, int] | None]] = []
    for group in _definition_articles(nodes):
        for d, start in _table_definitions(group, corpus):
            node = nodes[position[d.node]]
            found.append((d, position[d.node], _own_span(node, start, d.term)))
    for i, node in enumerate(nodes):
        if "「" not in node.text:
            continue
        for d, s, e in _inline_definitions(node):
            found.append((d, i, (s, e)))
    found = _dedupe(found)
    _link_uses(nodes, found)
    found.sort(key=lambda f: (f[1], f[0].line))
    return [d for d, _, _ in found]


def _own_span(node: Node, start: int, term: str) -> tuple[int, int] | None:
    """Where a table term is printed in its node (compact offsets), so it is not its own use."""
    v = compact(node.text)
    k = key(term)
    base = bisect_left(v.index, start)  # v.index never decreases
    base = 0 if base == len(v.index) else base
    at = v.text.find(k, base)
    return (at, at + len(k)) if at >= 0 else None


def _dedupe(
    found: list[tuple[Definition, int, tuple[int, int] | None]],
) -> list[tuple[Definition, int, tuple[int, int] | None]]:
    """One definition per (term, node): a table row whose term cell also holds （以下「…」）."""
    seen: Counter[tuple[str, str, int]] = Counter()
    out = []
    for f in found:
        d = f[0]
        k = (key(d.term), d.node, d.line)
        if seen[k]:
            continue
        seen[k] += 1
        out.append(f)
    return out
