#!/usr/bin/env python
"""Clause facts: precision and recall on the labelled set, and what spaCy costs per document.

    .venv/bin/python scripts/bench_facts.py              # P/R per kind (dev, held), timings
    .venv/bin/python scripts/bench_facts.py --errors     # every labelled sentence it gets wrong
    .venv/bin/python scripts/bench_facts.py --format json

Precision/recall: tests/fixtures/facts/sentences.tsv (labelled by reading; docs/facts.md), per
split and kind, for extract.facts (spaCy Matcher on Sudachi dictionary forms) and for a plain
regular-expression baseline of the same modality rules on the printed text — the comparison
docs/facts.md reports. Cost: pipeline load, then every corpus version's facts with the cache
cleared (cold: each clause text once) on one core, and the spaCy share of it (make_doc).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from facts_labels import SPLITS, Score, load, score  # noqa: E402

from extract.facts import MODALITIES, Fact, _facts, document_facts, text_facts  # noqa: E402
from extract.facts import pipeline as facts_pipeline  # noqa: E402
from extract.facts.parties import person_terms  # noqa: E402
from extract.facts.sentences import sentences  # noqa: E402
from versions.sources.corpus import DEFAULT_CORPUS, load_corpus  # noqa: E402
from versions.sources.loaded import parse_entry  # noqa: E402

# The same final-predicate rules as extract/facts/modality.py, on the printed characters.
_END = r"(?:ます|ません|ない|ん|る|す|。|\s|）|\))*$"
_NEG_END = r"(?:ないものとします|ないものとする|ものではありません|ません|ない)"
_REGEX = [  # alternatives longest first: a match must reach the sentence end
    (
        "disclaimer",
        re.compile(
            r"(?:責任|責)(?:を|は|も)?(?:一切|何ら)?(?:その)?(?:負|取)[いわうら]" + _NEG_END
        ),
    ),
    ("disclaimer", re.compile(r"免責|保証(?:するものではありません|できません|しません|しない)")),
    ("prohibition", re.compile(r"(?:ては|では)(?:なりません|ならない|いけません)")),
    (
        "prohibition",
        re.compile(r"禁止(?:されています|とします|します|する)|ことができ(?:ません|ない)"),
    ),
    ("prohibition", re.compile(r"ないものと(?:します|する)")),
    ("permission", re.compile(r"(?:でき|出来)(?:るものとします|るものとする|ます|る)")),
    ("obligation", re.compile(r"なければ(?:なりません|ならない)(?:とします)?|(?:いただ|頂)きます")),
    ("obligation", re.compile(r"要します|要する|(?:くだ|下)さい|お願い(?:いた)?します|義務を負う")),
    ("obligation", re.compile(r"ものと(?:します|する)")),
]
_PARTY_TOPIC = re.compile(r"(?P<p>[^、。はが（）]{1,20}?)(?:は|が)、?")


def regex_facts(node: str, text: str, terms: Any = ()) -> list[Fact]:
    """The regular-expression baseline (modality only, party = the first party topic)."""
    people = person_terms(terms)
    out: list[Fact] = []
    for s, e in sentences(text):
        sent = text[s:e]
        for kind, pattern in _REGEX:
            m = next((m for m in pattern.finditer(sent) if re.match(_END, sent[m.end() :])), None)
            if m is None:
                continue
            party = ""
            for t in _PARTY_TOPIC.finditer(sent[: m.start()]):
                party = next((p for p in people if t.group("p").endswith(p)), "")
                if party:
                    break
            if "ものと" in m.group(0) and not party:
                break
            out.append(Fact(node, kind, m.group(0), "", party, s + m.start(), s + m.end(), ""))
            break
    return out


def _scores(extract: Any) -> dict[str, Score]:
    rows = load()
    return {split: score((r for r in rows if r.split == split), extract) for split in SPLITS}


def _row(name: str, split: str, kind: str, n: int, p: float, r: float) -> dict[str, Any]:
    return {
        "extractor": name,
        "split": split,
        "kind": kind,
        "labelled": n,
        "precision": round(p, 3),
        "recall": round(r, 3),
    }


def _table(name: str, scores: dict[str, Score], kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for split, s in scores.items():
        for kind in kinds:
            n = s.tp[kind] + s.fn[kind]
            out.append(_row(name, split, kind, n, s.precision(kind), s.recall(kind)))
        acc = s.party_accuracy()
        out.append(_row(name, split, "party", s.party_right + s.party_wrong, acc, acc))
    return out


def _version_cost(parsed: Any) -> dict[str, Any]:
    _facts.cache_clear()
    texts = [n.text for n in parsed.nodes if n.text.strip()]
    t = time.perf_counter()
    for text in texts:
        facts_pipeline.parse(text)
    spacy_s = time.perf_counter() - t
    t = time.perf_counter()
    found = document_facts(parsed)
    return {
        "clauses": len(texts),
        "chars": sum(len(x) for x in texts),
        "facts": len(found),
        "seconds": round(time.perf_counter() - t, 3),
        "spacy_seconds": round(spacy_s, 3),
    }


def _cost() -> dict[str, Any]:
    t = time.perf_counter()
    facts_pipeline.nlp()
    load_s = time.perf_counter() - t
    versions = [v for d in load_corpus(DEFAULT_CORPUS) for v in d.versions]
    parsed = {v.key: parse_entry(v) for v in versions}
    docs = [{"version": v.key, **_version_cost(parsed[v.key])} for v in versions]
    t = time.perf_counter()
    for p in parsed.values():
        terms = [d.term for d in p.definitions]
        for n in p.nodes:
            regex_facts(n.id, n.text, terms)
    regex_s = time.perf_counter() - t
    total = sum(d["seconds"] for d in docs)
    return {
        "load_seconds": round(load_s, 2),
        "documents": docs,
        "total_seconds": round(total, 2),
        "spacy_seconds": round(sum(d["spacy_seconds"] for d in docs), 2),
        "median_seconds": round(statistics.median(d["seconds"] for d in docs), 3),
        "ms_per_1000_chars": round(1000 * total / sum(d["chars"] for d in docs) * 1000, 2),
        "regex_modality_seconds": round(regex_s, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--format", choices=["text", "json"], default="text")
    ap.add_argument("--errors", action="store_true", help="print the labelled sentences missed")
    args = ap.parse_args()
    quantities = ("period", "deadline", "amount", "rate", "date")
    cost = _cost()  # first: the pipeline load is measured cold
    spacy_scores = _scores(text_facts)
    regex_scores = _scores(regex_facts)
    rows = _table("spacy", spacy_scores, (*MODALITIES, *quantities))
    rows += _table("regex", regex_scores, MODALITIES)
    if args.format == "json":
        print(json.dumps({"scores": rows, "cost": cost}, ensure_ascii=False, indent=2))
        return
    print(f"{'extractor':9} {'split':5} {'kind':12} {'n':>4} {'P':>6} {'R':>6}")
    for r in rows:
        print(f"{r['extractor']:9} {r['split']:5} {r['kind']:12} {r['labelled']:>4} "
              f"{r['precision']:>6.3f} {r['recall']:>6.3f}")  # fmt: skip
    if args.errors:
        for name, scores in (("spacy", spacy_scores), ("regex", regex_scores)):
            for split, s in scores.items():
                for e in s.errors:
                    print(f"{name} {split} {e}")
    c = cost
    print(
        f"\npipeline load {c['load_seconds']} s; {len(c['documents'])} versions (cold) "
        f"{c['total_seconds']} s, spaCy tokenization {c['spacy_seconds']} s of it; median "
        f"{c['median_seconds']} s per version; {c['ms_per_1000_chars']} ms per 1,000 characters; "
        f"regex modality baseline over the same texts {c['regex_modality_seconds']} s"
    )
    for d in cost["documents"]:
        print(f"  {d['version']:38} {d['clauses']:>5} clauses {d['facts']:>5} facts "
              f"{d['seconds']:>6.3f} s (spaCy {d['spacy_seconds']:.3f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
