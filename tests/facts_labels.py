"""The labelled fact sentences (tests/fixtures/facts/sentences.tsv) and their scoring.

Used by tests/test_facts.py and scripts/bench_facts.py (docs/facts.md reports its numbers).
A modality counts per sentence and kind (a sentence may hold none, one or, rarely, two); its
party is scored on the sentences where the kind is right. Quantities count per (kind, value),
as many times as the sentence prints them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from extract.facts import MODALITIES, Fact, text_facts
from versions.sources.loaded import open_version

LABELS = Path(__file__).parent / "fixtures" / "facts" / "sentences.tsv"
SPLITS = ("dev", "held", "fresh")  # fresh: labelled after the rules were written, run once
Extractor = Callable[[str, str, Iterable[str]], list[Fact]]


@dataclass(frozen=True)
class Labelled:
    split: str  # dev, held or fresh
    version: str
    node: str
    modality: frozenset[tuple[str, str]]  # (kind, party)
    facts: Counter[tuple[str, str]]  # (kind, value) → count
    sentence: str


def load() -> list[Labelled]:
    rows = [line.split("\t") for line in LABELS.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r[0] in SPLITS]
    return [
        Labelled(
            split,
            version,
            node,
            frozenset(tuple(m.split("@", 1)) for m in mod.split()),  # type: ignore[misc]
            Counter(tuple(f.split("=", 1)) for f in facts.split()),  # type: ignore[misc]
            sentence,
        )
        for split, version, node, mod, facts, sentence in rows
    ]


@cache
def defined_terms(version: str) -> tuple[str, ...]:
    """The defined terms of a corpus version (DOC@DATE) or of a fixture file (its path)."""
    spec = str(LABELS.parents[3] / version) if version.startswith("tests/") else version
    return tuple(d.term for d in open_version(spec).parsed.definitions)


@dataclass
class Score:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    party_right: int = 0
    party_wrong: int = 0
    errors: list[str] = field(default_factory=list)

    def precision(self, kind: str) -> float:
        n = self.tp[kind] + self.fp[kind]
        return self.tp[kind] / n if n else 1.0

    def recall(self, kind: str) -> float:
        n = self.tp[kind] + self.fn[kind]
        return self.tp[kind] / n if n else 1.0

    def kinds(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fp) | set(self.fn))

    def party_accuracy(self) -> float:
        n = self.party_right + self.party_wrong
        return self.party_right / n if n else 1.0


def score(rows: Iterable[Labelled], extract: Extractor = text_facts) -> Score:
    s = Score()
    for row in rows:
        got = extract(row.node, row.sentence, defined_terms(row.version))
        modal = {(f.kind, f.party) for f in got if f.kind in MODALITIES}
        quantities = Counter((f.kind, f.value) for f in got if f.kind not in MODALITIES)
        want_kinds, got_kinds = {k for k, _ in row.modality}, {k for k, _ in modal}
        for kind in want_kinds | got_kinds:
            hit = kind in want_kinds and kind in got_kinds
            (s.tp if hit else s.fp if kind in got_kinds else s.fn)[kind] += 1
            if not hit:
                s.errors.append(f"{kind}: {'FP' if kind in got_kinds else 'FN'}: {row.sentence}")
        for kind, party in row.modality:
            for k, p in modal:
                if k == kind:
                    s.party_right += p == party
                    s.party_wrong += p != party
        for key in row.facts | quantities:
            both = min(row.facts[key], quantities[key])
            s.tp[key[0]] += both
            s.fp[key[0]] += quantities[key] - both
            s.fn[key[0]] += row.facts[key] - both
    return s
