"""Results by article: matching clauses grouped under their article, main provisions first.

A customer's question is answered by an article (第32条（延滞利息）), not by one of its items, so
every search mode ranks clauses, then ``group`` folds them into one ``Group`` per article (per
node outside articles: a 別表 row, a 前文): the article's score is its best clause's, its best
clause is shown under the article's caption. 附則 (node ids ``suppl_…``) and 経過措置
provisions come after the main provisions unless the query asks for them (附則, 経過措置, 施行).

Provisions addressed to public bodies (a clause opening 「行政機関の長等は」, 「国は」,
「地方公共団体は」) come after those addressed to businesses and people unless the query names
a public body: support staff ask what a company must do (個人情報保護法's 第二十八条, not its
第七十一条, the same rule for 行政機関の長等), and statutes repeat many duties for the state.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from versions.kb import answer_type, search
from versions.kb.search import Hit

ASKS_FOR_SUPPLEMENTS = ("附則", "経過措置", "施行", "改正前", "旧法")
HEADINGS = search.HEADING_KINDS  # structure, not provisions: never a result
# a clause whose subject is a public body: 「行政機関の長等は、」, 「前項の場合において、国は」
PUBLIC_SUBJECT = re.compile(
    r"^(?:[^。、]{0,40}、)?(?:行政機関の長等|行政機関等|国及び地方公共団体|地方公共団体の機関|"
    r"地方公共団体|国|委員会|内閣総理大臣|独立行政法人等|地方独立行政法人)(?:は|が|に対し)"
)
ASKS_FOR_PUBLIC: tuple[str, ...] = ("行政", "国の機関", "自治体", "地方公共団体", "役所")
ASKS_FOR_PUBLIC += ("官公庁", "委員会", "独立行政法人", "公務員", "内閣")


@dataclass
class Match:
    """One matching clause: ``score`` higher is better; ``terms`` the query terms it matched."""

    hit: Hit
    score: float
    terms: frozenset[int] = frozenset()


@dataclass
class Group:
    """One article (or a clause outside articles) and the clauses of it that matched."""

    key: str  # version_id/article node id
    doc_id: str
    version_id: str
    node_id: str  # the article's node id
    label: str
    caption: str | None
    best: Hit
    score: float
    supplementary: bool
    matches: list[Hit] = field(default_factory=list)
    public: bool = False  # addressed to a public body (行政機関の長等は…)

    @property
    def heading(self) -> str:
        """The article as printed: 第三十二条（延滞利息）."""
        return self.label + (f"（{self.caption}）" if self.caption else "")


def asks_for_supplements(query: str) -> bool:
    q = unicodedata.normalize("NFKC", query or "")
    return any(w in q for w in ASKS_FOR_SUPPLEMENTS)


def asks_for_public(query: str) -> bool:
    q = unicodedata.normalize("NFKC", query or "")
    return any(w in q for w in ASKS_FOR_PUBLIC)


def public(texts: Iterable[str | None]) -> bool:
    """Whether any of an article's clauses (``texts``) is addressed to a public body."""
    return any(PUBLIC_SUBJECT.match(unicodedata.normalize("NFKC", (t or "")[:80])) for t in texts)


PUBLIC_FACTOR = 0.5  # the score of an article addressed to a public body (docs/semantic.md)


def order(groups: list[Group], query: str) -> None:
    """Sort ``groups`` best first: main provisions before 附則/経過措置 unless ``query`` asks
    for them; provisions addressed to public bodies count ``PUBLIC_FACTOR`` of their score
    unless it names one (a penalty, not a tier: 「立入検査に来た職員は…」 asks about one)."""
    late = not asks_for_supplements(query)
    factor = _public_factor(query)
    groups.sort(key=lambda g: (late and g.supplementary, -g.score * factor(g), g.key))


def _public_factor(query: str) -> Callable[[Group], float]:
    factor = PUBLIC_FACTOR if not asks_for_public(query) else 1.0
    return lambda g: factor if g.public else 1.0


def ranked_scores(groups: list[Group], query: str) -> None:
    """Each group's score as ``order`` ranked it (public bodies' penalty applied), once all
    ordering is done: the scores users see then fall in the order they see."""
    factor = _public_factor(query)
    for g in groups:
        g.score *= factor(g)


def supplementary(node_id: str, caption: str | None) -> bool:
    """A 附則 provision, or a 経過措置 one wherever it stands."""
    return node_id.startswith("suppl_") or "経過措置" in (caption or "")


def article_of(hit: Hit) -> str:
    return hit.article_id or hit.node_id


def article_key(hit: Hit) -> str:
    """The key (version_id/node_id) of the article ``hit`` is in."""
    return f"{hit.version_id}/{article_of(hit)}"


def group(
    matches: Iterable[Match],
    articles: dict[str, tuple[str, str | None]],
    query: str,
    need: int = 0,
    cites: dict[int, set[int]] | None = None,
    leads: dict[str, str | None] | None = None,
) -> list[Group]:
    """Matches folded per article, best first; ``articles``: key → (label, caption);
    ``cites``: clause seq → the seqs it cites (``_best``); ``leads``: key → text of the
    paragraphs above matching items (``_answering``).

    With ``need`` > 0 an article is kept only when its clauses together match all ``need``
    query terms (a term in the article's caption counts for every clause under it). Main
    provisions come before 附則/経過措置, and provisions for businesses and people before those
    for public bodies, unless ``query`` asks for those (``order``).
    """
    asks = answer_type.asked(query)
    by_key: dict[str, list[Match]] = {}
    for m in matches:
        if m.hit.kind in HEADINGS:
            continue
        by_key.setdefault(article_key(m.hit), []).append(m)
    out = []
    for key, found in by_key.items():
        covered = frozenset().union(*(m.terms for m in found))
        if need and len(covered) < need:
            continue
        found.sort(key=lambda m: -m.score)
        label, caption = articles.get(key, (found[0].hit.label, found[0].hit.caption))
        head = found[0].hit
        best = _best(found, article_of(head), asks, cites or {}, leads or {})
        out.append(
            Group(
                key,
                head.doc_id,
                head.version_id,
                article_of(head),
                label,
                caption,
                best.hit,
                found[0].score,
                supplementary(article_of(head), caption),
                [m.hit for m in found],
                public(m.hit.text for m in found),
            )
        )
    order(out, query)
    return out


def _best(
    found: list[Match],
    article: str,
    asks: answer_type.AnswerType | None = None,
    cites: dict[int, set[int]] | None = None,
    leads: dict[str, str | None] | None = None,
) -> Match:
    """The clause to show: the one matching most terms (the article's own terms count for
    each, and so do the terms of the clauses it cites: 「前項第2号の場合、手数料は…」 has the
    コンビニ払い of the item it cites), then the best scored; a clause with text rather than a
    bare heading, and a paragraph rather than its item when both match as many terms. Ranked
    by meaning, the best scored, or the best one stating what the question ``asks`` for
    (``_answering``)."""
    own = next((m.terms for m in found if m.hit.node_id == article), frozenset())
    by_seq = {m.hit.seq: m.terms for m in found if m.hit.seq is not None}
    cites = cites or {}

    def reach(m: Match) -> frozenset[int]:
        through = (by_seq.get(t, frozenset()) for t in cites.get(m.hit.seq or -1, ()))
        return m.terms.union(own, *through)

    with_text = [m for m in found if m.hit.text] or found
    best = max(with_text, key=lambda m: (len(reach(m)), m.score))
    if not any(m.terms for m in found):
        return _answering(with_text, best, asks, leads or {})
    tier = {m.hit.node_id: m for m in with_text if len(reach(m)) == len(reach(best))}
    if best.terms <= own and all(m.hit.seq is not None for m in tier.values()):
        # the caption says it all: the article's first matching clause, not a later aside
        best = min(tier.values(), key=lambda m: m.hit.seq or 0)
    node = best.hit.node_id
    while "__" in node:
        node = node.rsplit("__", 1)[0]
        if node in tier:
            best = tier[node]
    return best


def _answering(
    candidates: list[Match],
    best: Match,
    asks: answer_type.AnswerType | None,
    leads: dict[str, str | None] | None = None,
) -> Match:
    """For a question asking for a period, an amount or a duty (「何日前までに」, 「いくら」,
    「必要？」): the article's best scored clause stating one with a figure (a duty: in so many
    words), else in words, else its best; an item counts the leads above it (``leads``). The
    article was chosen by its best clause; its paragraphs are nearly equally close in meaning
    (docs/semantic.md), so the figure decides which one answers (tune part: a margin of 0.5,
    1 or 1.5 of the fused score instead of the whole article measured the same or lower)."""
    if asks is None:
        return best
    text = (leads or {}) | {m.hit.key: m.hit.text for m in candidates}

    def strength(m: Match) -> int:
        own = answer_type.strength(asks, m.hit.text)
        return max([own, *(answer_type.strength(asks, text.get(k)) for k in _leads_of(m.hit.key))])

    return max(candidates, key=lambda m: (strength(m), m.score))


def article_headings(
    conn: sqlite3.Connection, keys: Iterable[str]
) -> dict[str, tuple[str, str | None]]:
    """key → (label, caption) of the given article keys (version_id/node_id)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    rows = conn.execute(
        "select key, label, caption from nodes where key in (select value from json_each(?))",
        [json.dumps(keys)],
    ).fetchall()
    return {k: (label or "", caption) for k, label, caption in rows}


def group_articles(
    conn: sqlite3.Connection, matches: list[Match], query: str, need: int = 0
) -> list[Group]:
    """``group`` with the articles' labels and captions, and the clauses' citations, read from
    ``conn``."""
    headings = article_headings(conn, {article_key(m.hit) for m in matches})
    cites = cited(conn, [m.hit.seq for m in matches])
    return group(matches, headings, query, need, cites, lead_texts(conn, matches, query))


def lead_texts(conn: sqlite3.Connection, matches: list[Match], query: str) -> dict[str, str | None]:
    """key → text of the paragraphs above the matching items, for a question asking for an
    answer type (an item states what its paragraph's lead does)."""
    if answer_type.asked(query) is None:
        return {}
    keys = {lead for m in matches for lead in _leads_of(m.hit.key)}
    keys -= {m.hit.key for m in matches}
    return dict(
        conn.execute(
            "select key, text from nodes where key in (select value from json_each(?))",
            [json.dumps(sorted(keys))],
        ).fetchall()
    )


def _leads_of(key: str) -> list[str]:
    """The keys of the clauses an item hangs from, nearest first: an item states what its
    paragraph's lead does (「次に掲げる措置を講じなければならない」)."""
    out = []
    while "__item_" in key:
        key = key.rsplit("__", 1)[0]
        out.append(key)
    return out


CITED_SQL = """
select r.source_seq, r.target_seq from reference_rows r
where r.source_seq in (select value from json_each(?)) and r.target_seq is not null
union select r.source_seq, t.target_seq from reference_rows r
join reference_target_rows t on t.reference_id = r.id
where r.source_seq in (select value from json_each(?)) and t.target_seq is not null
"""


def cited(conn: sqlite3.Connection, seqs: Iterable[int | None]) -> dict[int, set[int]]:
    """Clause seq → the seqs of the clauses it cites (前項第2号, 前各号), for ``seqs``."""
    known = sorted({s for s in seqs if s is not None})
    out: dict[int, set[int]] = {}
    if not known:  # hits ranked by meaning carry no seq: nothing to read
        return out
    wanted = json.dumps(known)
    try:
        rows = conn.execute(CITED_SQL, [wanted, wanted]).fetchall()
    except sqlite3.OperationalError:  # a database without reference tables
        return out
    for source, target in rows:
        out.setdefault(source, set()).add(target)
    return out


FIRST_TEXT_SQL = """
select key, version_id, doc_id, node_id, kind, label, caption, text, path, chapter_id, article_id,
       0.0
from nodes where version_id = ? and article_id = ? and coalesce(text, '') <> '' order by ord limit 1
"""


def fill_text(conn: sqlite3.Connection, groups: Iterable[Group]) -> None:
    """Groups whose best match is a bare heading (caption only) show their first clause."""
    from versions.kb.search import _hit

    for g in groups:
        if g.best.text:
            continue
        row = conn.execute(FIRST_TEXT_SQL, [g.version_id, g.node_id]).fetchone()
        if row is not None:
            g.best = _hit(row, g.best.query)


CAPTION_BONUS = 0.3  # fused-score points (of 4) for an article whose caption names the concept
_WORD_CHAR = re.compile(r"[\u4e00-\u9fff\u30a1-\u30faー々〆A-Za-z0-9]")  # inside a compound


def names(caption: str | None, word: str) -> bool:
    """Whether ``caption`` holds ``word`` as a word of its own: 「契約者による解約」 names 解約,
    「契約者による一部解約」 and 「解約金」 hold it inside a longer compound."""
    text = unicodedata.normalize("NFKC", caption or "")
    start = text.find(word)
    while start >= 0:
        before = text[start - 1] if start else ""
        after = text[start + len(word) : start + len(word) + 1]
        if not (_WORD_CHAR.match(before) or _WORD_CHAR.match(after)):
            return True
        start = text.find(word, start + 1)
    return False


ARTICLE_WEIGHT = 0.5  # fused-score points for the article nearest the question (docs/semantic.md)


def favour_meaning(groups: list[Group], cosines: dict[str, float]) -> None:
    """Each article's score rises by ``ARTICLE_WEIGHT`` × the cosine of its article vector
    (caption and opening) to the question, min-max normalised over the articles found: a
    question matches an article, not only one of its clauses. Call ``order`` after it."""
    values = [cosines[g.key] for g in groups if g.key in cosines]
    if not values or max(values) == min(values):
        return
    lo, span = min(values), max(values) - min(values)
    for g in groups:
        if g.key in cosines:
            g.score += ARTICLE_WEIGHT * (cosines[g.key] - lo) / span


MAIN_CLAUSE_WEIGHT = 0.5  # fused-score points for the article matching what is asked (below)


def favour_asked(groups: list[Group], hits: list[Hit]) -> None:
    """Each article's score rises by ``MAIN_CLAUSE_WEIGHT`` × the best keyword score (bm25,
    min-max normalised over ``hits``) of its clauses for the question's main clause
    (``answer_type.main_clause``): 「解約した後も個人情報を使われる？」 asks about 個人情報, not
    解約. The clause shown is not changed. Call ``order`` after it."""
    scores = [-h.score for h in hits]  # bm25 ranks: lower is better
    if not scores:
        return
    lo, span = min(scores), max(scores) - min(scores)
    best: dict[str, float] = {}
    for h, value in zip(hits, scores, strict=True):
        share = (value - lo) / span if span > 0 else 1.0
        key = article_key(h)
        best[key] = max(best.get(key, 0.0), share)
    for g in groups:
        g.score += MAIN_CLAUSE_WEIGHT * best.get(g.key, 0.0)


def favour_captions(groups: list[Group], words: Iterable[str], query: str) -> None:
    """Articles whose caption names one of ``words`` (the query's words and its customer
    vocabulary) move up by ``CAPTION_BONUS``, then ``order`` again: a question matches an
    article, and the caption says what the article is about."""
    wanted = [w for w in dict.fromkeys(words) if len(w) > 1]
    for g in groups:
        if any(names(g.caption, w) for w in wanted):
            g.score += CAPTION_BONUS
    order(groups, query)
