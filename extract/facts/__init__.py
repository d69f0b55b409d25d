"""Clause facts: what each sentence obliges, forbids, permits or disclaims, and for whom, and
the periods, deadlines, amounts, rates and dates it states, normalised, with their spans.

    >>> facts = text_facts("art_1", "契約者は、30日前までに通知しなければなりません。")
    >>> [(f.kind, f.value, f.party) for f in facts]
    [('obligation', 'なければならない', '契約者'), ('period', 'P30D', '契約者')]

One module per fact kind: ``modality`` (spaCy Matcher on the final predicate), ``parties``
(who the sentence binds), ``periods``, ``money``; dates come from extract.dates. Pure
functions; the spaCy pipeline is loaded once (extract.facts.pipeline).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from extract.dates import find_dates
from extract.facts.modality import final_modality, predicate_start
from extract.facts.model import MODALITIES, QUANTITIES, Fact, FactKind
from extract.facts.money import find_amounts, find_rates
from extract.facts.parties import party_of, person_terms, role
from extract.facts.periods import find_deadlines, find_periods
from extract.facts.pipeline import parse
from extract.facts.sentences import asides, sentences
from extract.model import ParsedDocument

__all__ = ["MODALITIES", "QUANTITIES", "Fact", "document_facts", "role", "text_facts"]

# Binds someone only when the sentence names who (modality.py): 「適用されるものとします」
_STIPULATIONS = frozenset({"ものとする", "ないものとする"})


def _binding(value: str, bare: bool, party: str) -> bool:
    return bool(party) or not (bare or value in _STIPULATIONS)


def _quantities(text: str) -> list[Fact]:
    """The dates, deadlines, periods, amounts and rates of ``text``, in order (no node yet)."""
    out: list[Fact] = []
    dates = [d for d in find_dates(text) if d.iso]
    taken = [(d.start, d.end) for d in dates]
    found: list[tuple[FactKind, int, int, str, str]] = [
        ("date", d.start, d.end, d.iso or "", "") for d in dates
    ]
    for s, e, v in find_deadlines(text):
        if any(a < e and s < b for a, b in taken):
            continue
        found.append(("deadline", s, e, v, ""))
        taken.append((s, e))
    for s, e, v, u in find_periods(text, taken):
        found.append(("period", s, e, v, u))
    for s, e, v, u in find_amounts(text):
        found.append(("amount", s, e, v, u))
    for s, e, v, u in find_rates(text):
        found.append(("rate", s, e, v, u))
    for kind, s, e, v, u in sorted(found, key=lambda f: f[1]):
        out.append(Fact("", kind, v, u, "", s, e, text[s:e]))
    return out


def text_facts(node: str, text: str, terms: Iterable[str] = ()) -> list[Fact]:
    """The facts of one clause text; ``terms`` are the document's defined terms."""
    if not text.strip():
        return []
    return [replace(f, node=node) for f in _facts(text, _people(tuple(terms)))]


@lru_cache(maxsize=64)  # every clause of a document (or version) passes the same terms
def _people(terms: tuple[str, ...]) -> tuple[str, ...]:
    return person_terms(terms)


@lru_cache(maxsize=65536)  # versions of a document share most clause texts
def _facts(text: str, people: tuple[str, ...]) -> tuple[Fact, ...]:
    doc = parse(text)
    quantities = _quantities(text)
    out: list[Fact] = []
    for s, e in sentences(text):
        party = _sentence(doc, s, e, text, people, out)
        for q in quantities:
            if s <= q.start < e:
                out.append(replace(q, party=party))
    for s, e in asides(text):  # 「（…保証するものではありません。）」: modality only
        _sentence(doc, s, e, text, people, out)
    return tuple(sorted(out, key=lambda f: f.start))


def _sentence(doc: Any, s: int, e: int, text: str, people: tuple[str, ...], out: list[Fact]) -> str:
    """Append the modality of the sentence ``text[s:e]`` to ``out``; return its party."""
    span = doc.char_span(s, e, alignment_mode="expand")
    if span is None or not len(span):
        return ""
    tokens = list(span)
    modal = final_modality(span)
    party = party_of(tokens, modal.start if modal else len(tokens), people)
    if modal and _binding(modal.value, modal.bare, party):
        a, b = tokens[predicate_start(tokens, modal.start)], tokens[modal.end - 1]
        start, end = a.idx, b.idx + len(b.text)
        out.append(Fact("", modal.kind, modal.value, "", party, start, end, text[start:end]))
    return party


def document_facts(doc: ParsedDocument) -> list[Fact]:
    """Every fact of every clause of a parsed document, in document order."""
    terms = tuple(d.term for d in doc.definitions)
    return [f for n in doc.nodes for f in text_facts(n.id, n.text, terms)]
