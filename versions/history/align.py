"""Clause alignment between two versions of a document (or two sibling documents).

Clauses are matched by identity, not position. The work is done level by level (top-level
units — 章, 条, 附則, 別紙 — then their 項, then 号, …), each level in three passes:

1. anchors: identical text (after NFKC and whitespace folding) that is unique on both sides,
   or the same id with identical text — these are the unchanged clauses, found with hashing;
2. candidates: for every remaining new clause, the old clauses sharing rare character 3-grams
   (an inverted index whose posting lists are capped, so common boilerplate never produces
   all-pairs work), plus the clause with the expected id (its parent's mapping + its own
   number) and the clauses with the same caption;
3. local matching: candidate pairs scored by 3-gram Jaccard similarity with small bonuses for
   the expected id and an equal caption, assigned greedily, best first.

What stays unmatched is then checked for splits (a new clause whose text is contained in an
old clause that is already matched) and merges (the converse); the rest is added or deleted.
The cost is roughly linear in the number of clauses: each clause gets a bounded number of
candidates and every similarity is computed on a bounded number of pairs.

Every match has a type (unchanged, modified, renumbered, moved, added, deleted, split, merged)
and a confidence in [0, 1].
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from extract.model import Node, ParsedDocument

MatchType = Literal[
    "unchanged", "modified", "renumbered", "moved", "added", "deleted", "split", "merged"
]
STRUCTURAL = frozenset({"part", "chapter", "section", "subsection"})
NGRAM = 3
MAX_POSTING = 24  # a 3-gram shared by more old clauses than this is not used for candidates
TOP_CANDIDATES = 6
SAMPLE = 4  # index one 3-gram in SAMPLE of long clauses
MIN_SCORE = 0.3  # below this a candidate pair is not a match
CONTAINED = 0.6  # share of a clause's 3-grams found in another for a split / merge
CONTAINED_ARTICLE = 0.85  # the same for whole articles
ID_BONUS = 0.15
CAPTION_BONUS = 0.1
DELETED_MARKS = frozenset({"削除", "（削除）", "(削除)"})


@dataclass
class Match:
    """One aligned pair (or one side alone, for added / deleted clauses)."""

    type: MatchType
    old: str | None  # primary old node id
    new: str | None  # primary new node id
    confidence: float
    similarity: float = 0.0  # 3-gram Jaccard similarity of the clauses' texts
    level: int = 0  # 0 for top-level units (章, 条, 附則, 別紙), 1 for their 項, …
    old_ids: list[str] = field(default_factory=list)  # every old id (merged: several)
    new_ids: list[str] = field(default_factory=list)  # every new id (split: several)
    text_changed: bool = False  # own text or caption differs (after whitespace folding)

    def to_json(self) -> dict[str, object]:
        return {
            "type": self.type,
            "old": self.old,
            "new": self.new,
            "old_ids": self.old_ids,
            "new_ids": self.new_ids,
            "confidence": round(self.confidence, 3),
            "similarity": round(self.similarity, 3),
            "level": self.level,
            "text_changed": self.text_changed,
        }


@dataclass
class Alignment:
    old: ParsedDocument
    new: ParsedDocument
    matches: list[Match]
    old_to_new: dict[str, str]
    new_to_old: dict[str, str]
    _by_old: dict[str, Match] | None = field(default=None, repr=False)
    _by_new: dict[str, Match] | None = field(default=None, repr=False)

    def by_type(self, kind: MatchType) -> list[Match]:
        return [m for m in self.matches if m.type == kind]

    def for_old(self, node_id: str) -> Match | None:
        if self._by_old is None:
            self._by_old = {i: m for m in self.matches for i in m.old_ids}
        return self._by_old.get(node_id)

    def for_new(self, node_id: str) -> Match | None:
        if self._by_new is None:
            self._by_new = {i: m for m in self.matches for i in m.new_ids}
        return self._by_new.get(node_id)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for m in self.matches:
            out[m.type] += 1
        return dict(out)


# --- text features ---------------------------------------------------------------------------


def fold(text: str) -> str:
    """NFKC, no whitespace: what is compared (PDF line breaks and spacing are not changes)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def grams(text: str, n: int = NGRAM) -> frozenset[str]:
    if len(text) <= n:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[i : i + n] for i in range(len(text) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 1.0 if a == b else 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def containment(part: frozenset[str], whole: frozenset[str]) -> float:
    """Share of ``part``'s 3-grams found in ``whole``."""
    return len(part & whole) / len(part) if part else 0.0


@dataclass
class Unit:
    """A node as the aligner sees it."""

    node: Node
    level: int
    order: int  # position in the document
    own: str  # folded caption + own text
    full: str  # folded caption + own text + every descendant's text
    digest: str

    @cached_property
    def grams(self) -> frozenset[str]:
        """Character 3-grams of ``full`` (computed only for clauses that need comparing)."""
        return grams(self.full)

    @property
    def id(self) -> str:
        return self.node.id


def is_deleted_marker(node: Node) -> bool:
    return fold(node.text) in DELETED_MARKS or fold(node.caption or "") in DELETED_MARKS


def units_by_level(doc: ParsedDocument) -> dict[int, list[Unit]]:
    """Every node with its level (0 = top-level units) and its folded texts."""
    nodes = doc.nodes
    by_id = {n.id: n for n in nodes}
    children: dict[str, list[Node]] = defaultdict(list)
    for n in nodes:
        if n.parent:
            children[n.parent].append(n)
    full: dict[str, str] = {}
    for n in reversed(nodes):
        own = fold((n.caption or "") + n.text)
        if n.kind in STRUCTURAL:
            full[n.id] = fold(n.label) + own
        else:
            full[n.id] = own + "".join(full[c.id] for c in children.get(n.id, ()))
    levels: dict[int, list[Unit]] = defaultdict(list)
    level_of: dict[str, int] = {}
    for i, n in enumerate(nodes):
        parent = by_id.get(n.parent) if n.parent else None
        if parent is None or parent.kind in STRUCTURAL or n.kind in STRUCTURAL:
            lvl = 0
        else:
            lvl = level_of.get(parent.id, 0) + 1
        level_of[n.id] = lvl
        own = fold((n.caption or "") + n.text)
        text = full[n.id]
        digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
        levels[lvl].append(Unit(n, lvl, i, own, text, digest))
    return levels


# --- matching one level ----------------------------------------------------------------------


def expected_id(node: Node, parent_map: dict[str, str]) -> str:
    """The id an old node would have in the new version if only its ancestors moved."""
    if not node.parent or node.parent not in parent_map:
        return node.id
    last = node.id.rsplit("__", 1)[-1]
    return f"{parent_map[node.parent]}__{last}"


def sample(gs: frozenset[str]) -> Iterable[str]:
    """A stable share of a clause's 3-grams for candidate lookup (all of them for short ones).

    Keeping about one gram in SAMPLE bounds the index and query work on long articles while
    two texts sharing a passage still share sampled grams (the choice depends on the gram only).
    """
    if len(gs) <= 40:
        return gs
    return [g for g in gs if _gram_hash(g) % SAMPLE == 0]


def _gram_hash(g: str) -> int:
    """Deterministic (unlike hash(), which is salted per process)."""
    h = 0
    for c in g:
        h = (h * 1000003) ^ ord(c)
    return h >> 3


class GramIndex:
    """Inverted index of rare 3-grams: the few units sharing most of them with a query."""

    def __init__(self, units: Iterable[Unit]):
        self.index: dict[str, list[Unit]] = defaultdict(list)
        for u in units:
            for g in sample(u.grams):
                self.index[g].append(u)

    def query(self, u: Unit, k: int = TOP_CANDIDATES) -> list[Unit]:
        shared: dict[str, int] = defaultdict(int)
        units: dict[str, Unit] = {}
        for g in sample(u.grams):
            posting = self.index.get(g)
            if posting and len(posting) <= MAX_POSTING:
                for o in posting:
                    shared[o.id] += 1
                    units[o.id] = o
        # ties go to document order: never to set iteration order, which hash() salts per process
        best = sorted(shared, key=lambda i: (-shared[i], units[i].order))
        return [units[i] for i in best[:k]]


class _Level:
    """Greedy best-first matching of one level's old and new units."""

    def __init__(self, old: list[Unit], new: list[Unit], parent_map: dict[str, str]):
        self.old, self.new, self.parent_map = old, new, parent_map
        self.pairs: dict[str, tuple[str, float]] = {}  # new id -> (old id, score)
        self.taken_old: set[str] = set()
        self.old_by_id = {u.id: u for u in old}
        self.new_by_id = {u.id: u for u in new}
        self.expected = {expected_id(u.node, parent_map): u.id for u in old}

    def take(self, o: Unit, n: Unit, score: float) -> None:
        self.pairs[n.id] = (o.id, score)
        self.taken_old.add(o.id)

    def anchors(self) -> None:
        """Identical text: by expected id first, then digests unique on both sides."""
        for n in self.new:
            oid = self.expected.get(n.id)
            o = self.old_by_id.get(oid) if oid else None
            if o and o.id not in self.taken_old and o.digest == n.digest:
                self.take(o, n, 1.0)
        old_digests: dict[str, list[Unit]] = defaultdict(list)
        for o in self.old:
            if o.id not in self.taken_old:
                old_digests[o.digest].append(o)
        new_digests: dict[str, list[Unit]] = defaultdict(list)
        for n in self.new:
            if n.id not in self.pairs:
                new_digests[n.digest].append(n)
        for digest, ns in new_digests.items():
            os_ = old_digests.get(digest, [])
            if len(ns) == 1 and len(os_) == 1 and ns[0].full:
                self.take(os_[0], ns[0], 1.0)

    def candidates(self) -> list[tuple[float, int, str, str]]:
        """(score, tie-break, old id, new id) for a bounded number of pairs per new clause."""
        free_old = [o for o in self.old if o.id not in self.taken_old]
        index = GramIndex(free_old)
        by_caption: dict[str, list[Unit]] = defaultdict(list)
        for o in free_old:
            if o.node.caption:
                by_caption[fold(o.node.caption)].append(o)
        out: list[tuple[float, int, str, str]] = []
        for n in self.new:
            if n.id in self.pairs:
                continue
            picked = [o.id for o in index.query(n)]
            oid = self.expected.get(n.id)
            if oid and oid not in self.taken_old:
                picked.append(oid)
            if n.node.caption:
                picked += [o.id for o in by_caption.get(fold(n.node.caption), [])[:TOP_CANDIDATES]]
            for oid in dict.fromkeys(picked):
                o = self.old_by_id[oid]
                out.append((self.score(o, n), -abs(o.order - n.order), oid, n.id))
        return out

    def score(self, o: Unit, n: Unit) -> float:
        if is_deleted_marker(n.node) != is_deleted_marker(o.node):
            # a 削除 placeholder stands for the clause of the same number, nothing else
            same_place = self.expected.get(n.id) == o.id and is_deleted_marker(n.node)
            return 0.5 if same_place else 0.0
        s = jaccard(o.grams, n.grams)
        if self.expected.get(n.id) == o.id:
            s += ID_BONUS
        if o.node.caption and fold(o.node.caption) == fold(n.node.caption or ""):
            s += CAPTION_BONUS
        if o.node.kind != n.node.kind:
            s -= 0.2
        return s

    def assign(self) -> None:
        for score, _, oid, nid in sorted(self.candidates(), reverse=True):
            if score < MIN_SCORE:
                break
            if nid in self.pairs or oid in self.taken_old:
                continue
            self.take(self.old_by_id[oid], self.new_by_id[nid], score)


def _splits_and_merges(lvl: _Level) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Extra new ids split off a matched old clause; extra old ids merged into a new one."""
    split: dict[str, list[str]] = defaultdict(list)  # old id -> extra new ids
    merged: dict[str, list[str]] = defaultdict(list)  # new id -> extra old ids
    # a piece must sit under a parent that exists on both sides (not inside an added article)
    kept_new, kept_old = set(lvl.parent_map.values()), set(lvl.parent_map)
    # containers of a split / merge lost or gained text: identical matches are never candidates
    changed = [
        (nid, oid)
        for nid, (oid, _) in lvl.pairs.items()
        if lvl.old_by_id[oid].digest != lvl.new_by_id[nid].digest
    ]
    matched_old = GramIndex(lvl.old_by_id[oid] for _, oid in changed)
    new_pos = {u.id: i for i, u in enumerate(lvl.new)}
    old_pos = {u.id: i for i, u in enumerate(lvl.old)}
    old_to_new = {oid: nid for nid, (oid, _) in lvl.pairs.items()}
    for n in lvl.new:
        if n.level and n.node.parent not in kept_new:
            continue
        if n.id not in lvl.pairs and len(n.full) >= 8:
            best = _best_container(n, matched_old.query(n))
            # whole articles split only into neighbours; paragraphs may move further
            if best is not None and (
                n.level or abs(new_pos[old_to_new[best.id]] - new_pos[n.id]) <= 2
            ):
                split[best.id].append(n.id)
    matched_new = GramIndex(lvl.new_by_id[nid] for nid, _ in changed)
    for o in lvl.old:
        if o.level and o.node.parent not in kept_old:
            continue
        if o.id not in lvl.taken_old and len(o.full) >= 8:
            best = _best_container(o, matched_new.query(o))
            if best is not None and (
                o.level or abs(old_pos[lvl.pairs[best.id][0]] - old_pos[o.id]) <= 2
            ):
                merged[best.id].append(o.id)
    return split, merged


def _best_container(part: Unit, wholes: Iterable[Unit]) -> Unit | None:
    """The clause among ``wholes`` that contains most of ``part``'s 3-grams (if enough).

    Whole articles must be almost entirely contained; 附則 blocks are never split or merged
    (their boilerplate makes every one look contained in every other).
    """
    if part.node.kind == "supplement":
        return None
    best: Unit | None = None
    best_c = CONTAINED if part.level else CONTAINED_ARTICLE
    for w in wholes:
        if w.node.kind != part.node.kind:
            continue
        c = containment(part.grams, w.grams)
        if c >= best_c:
            best, best_c = w, c
    return best


# --- the whole document ----------------------------------------------------------------------


def _classify(o: Unit, n: Unit, parent_map: dict[str, str], score: float) -> Match:
    changed = o.own != n.own
    if n.level == 0 or o.level == 0:  # top-level units: their number is their identity
        moved, renumbered = False, o.id != n.id
    else:  # inside an article: relative to where the parent went
        moved = parent_map.get(o.node.parent or "") != n.node.parent
        renumbered = expected_id(o.node, parent_map) != n.id
    kind: MatchType
    if is_deleted_marker(n.node) and not is_deleted_marker(o.node):
        kind = "deleted"
    elif moved:
        kind = "moved"
    elif renumbered:
        kind = "renumbered"
    elif changed or o.full != n.full:
        kind = "modified" if changed else "unchanged"
    else:
        kind = "unchanged"
    sim = 1.0 if o.full == n.full else jaccard(o.grams, n.grams)
    conf = 1.0 if score >= 1.0 else max(0.0, min(1.0, score))
    return Match(kind, o.id, n.id, conf, sim, n.level, [o.id], [n.id], changed)


def align(old: ParsedDocument, new: ParsedDocument) -> Alignment:
    """Align every clause of ``old`` with ``new``; see the module docstring."""
    old_levels, new_levels = units_by_level(old), units_by_level(new)
    parent_map: dict[str, str] = {}
    matches: list[Match] = []
    for level in range(max([*old_levels, *new_levels], default=-1) + 1):
        olds, news = old_levels.get(level, []), new_levels.get(level, [])
        lvl = _Level(olds, news, parent_map)
        lvl.anchors()
        lvl.assign()
        split, merged = _splits_and_merges(lvl)
        matches += _level_matches(lvl, parent_map, split, merged)
        for nid, (oid, _) in lvl.pairs.items():
            parent_map[oid] = nid
    return alignment_of(old, new, _ordered(matches, old, new))


def alignment_of(old: ParsedDocument, new: ParsedDocument, matches: list[Match]) -> Alignment:
    """The Alignment of ``matches`` (made here, or read back from a build), with its maps."""
    old_to_new = {o: m.new for m in matches if m.new for o in m.old_ids}
    new_to_old = {n: m.old for m in matches if m.old for n in m.new_ids}
    return Alignment(old, new, matches, old_to_new, new_to_old)


def _level_matches(
    lvl: _Level,
    parent_map: dict[str, str],
    split: dict[str, list[str]],
    merged: dict[str, list[str]],
) -> list[Match]:
    out: list[Match] = []
    absorbed_new = {nid for ids in split.values() for nid in ids}
    absorbed_old = {oid for ids in merged.values() for oid in ids}
    # how sure "added"/"deleted" is: the best similarity among clauses that were not anchors
    same_old = {
        oid
        for nid, (oid, _) in lvl.pairs.items()
        if lvl.new_by_id[nid].digest == lvl.old_by_id[oid].digest
    }
    old_index = GramIndex(o for o in lvl.old if o.id not in same_old)
    new_index = GramIndex(n for n in lvl.new if lvl.pairs.get(n.id, ("", 0.0))[0] not in same_old)
    for n in lvl.new:
        if n.id in lvl.pairs:
            oid, score = lvl.pairs[n.id]
            o = lvl.old_by_id[oid]
            m = _classify(o, n, parent_map, score)
            # both may apply to one pair (pieces split off it and others merged into it):
            # every absorbed clause must end up in some match
            if merged.get(n.id):
                ids = sorted([oid, *merged[n.id]], key=lambda i: lvl.old_by_id[i].order)
                m.type, m.old_ids, m.old, m.text_changed = "merged", ids, ids[0], True
            if split.get(oid):
                ids = sorted([n.id, *split[oid]], key=lambda i: lvl.new_by_id[i].order)
                m.type, m.new_ids, m.new, m.text_changed = "split", ids, ids[0], True
            out.append(m)
        elif n.id not in absorbed_new:
            conf = 1.0 - _best_similarity(n, old_index)
            out.append(Match("added", None, n.id, conf, 0.0, n.level, [], [n.id], True))
    for o in lvl.old:
        if o.id not in lvl.taken_old and o.id not in absorbed_old:
            conf = 1.0 - _best_similarity(o, new_index)
            out.append(Match("deleted", o.id, None, conf, 0.0, o.level, [o.id], [], True))
    return out


def _best_similarity(u: Unit, index: GramIndex) -> float:
    """Highest similarity to a clause on the other side (among indexed candidates only)."""
    return max((jaccard(u.grams, x.grams) for x in index.query(u)), default=0.0)


def _ordered(matches: list[Match], old: ParsedDocument, new: ParsedDocument) -> list[Match]:
    """Matches in new-document order; deleted clauses right after their old predecessor."""
    new_pos = {n.id: i for i, n in enumerate(new.nodes)}
    old_pos = {n.id: i for i, n in enumerate(old.nodes)}
    mapped_pos = [-1.0] * len(old.nodes)  # new position of each old node's mapped predecessor
    o2n = {o: m.new for m in matches if m.new for o in m.old_ids}
    last = -1.0
    for i, n in enumerate(old.nodes):
        if n.id in o2n and o2n[n.id] in new_pos:
            last = float(new_pos[o2n[n.id]])
        mapped_pos[i] = last

    def key(m: Match) -> tuple[float, float]:
        if m.new is not None:
            return (float(new_pos.get(m.new, 0)), 0.0)
        i = old_pos.get(m.old or "", 0)
        return (mapped_pos[i] + 0.5, i / 1e6)

    return sorted(matches, key=key)
