"""Benchmark: clause alignment and 新旧対照表 diff time for a 100-article and a 1,000-article pair.

The pairs are generated from the real corpus text: articles (with their paragraphs and items)
of every corpus document, renumbered into one document of N articles; the "new" version applies
amendments the way real ones do — changed wording in 5 % of the articles, an inserted 条の2 every
40 articles, every 60th article replaced by 削除, one paragraph moved, and a block of articles
renumbered (繰下げ) after an inserted article.

    .venv/bin/python scripts/bench_align.py [--repeat 3] [--sizes 100,1000]

Prints, per size: clauses on each side, median time of align() and of compare() (alignment +
word-level diff of every change) and the time per article, to check that growth is roughly
linear (no all-pairs comparison).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract.parse import parse_text  # noqa: E402
from versions.history.align import align  # noqa: E402
from versions.history.diff import compare  # noqa: E402
from versions.sources.corpus import load_corpus  # noqa: E402
from versions.sources.files import read_document  # noqa: E402

VARIANTS = ["", "甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬"]


def real_articles() -> list[tuple[str, list[str]]]:
    """(caption, paragraph texts) of every main article in the corpus (latest versions)."""
    out: list[tuple[str, list[str]]] = []
    for doc in load_corpus():
        parsed = read_document(doc.latest().file)
        children: dict[str, list[str]] = {}
        for n in parsed.nodes:
            if n.parent and n.kind in ("paragraph", "item") and n.text.strip():
                top = n.id.split("__")[0]
                children.setdefault(top, []).append(" ".join(n.text.split()))
        for n in parsed.nodes:
            if n.kind == "article" and n.id.startswith("art_") and children.get(n.id):
                out.append((n.caption or "規定", children[n.id][:6]))
    return out


def render(articles: list[tuple[str, str, list[str]]]) -> str:
    lines = ["ベンチマーク規約", ""]
    for label, caption, paras in articles:
        lines.append(f"{label}（{caption}）" if caption else label)
        if paras == ["削除"]:
            lines[-1] = f"{label}　削除"
            continue
        for i, p in enumerate(paras, 1):
            lines.append(f"{i} {p}" if len(paras) > 1 else p)
        lines.append("")
    return "\n".join(lines) + "\n"


def make_pair(n: int, seed: int = 7) -> tuple[str, str]:
    rng = random.Random(seed)
    pool = real_articles()
    base: list[tuple[str, list[str]]] = []
    for i in range(n):
        caption, paras = pool[i % len(pool)]
        tag = VARIANTS[(i // len(pool)) % len(VARIANTS)]
        # later cycles get a distinct party name so texts are not exact copies
        base.append((caption + tag, [p.replace("当社", f"当社{tag}") for p in paras]))
    old = [(f"第{i + 1}条", c, p) for i, (c, p) in enumerate(base)]
    new: list[tuple[str, str, list[str]]] = []
    shift = 0
    moved: str | None = None
    for i, (caption, paras) in enumerate(base, 1):
        paras = list(paras)
        if i == n // 2:  # an inserted article: the rest is renumbered (繰下げ)
            new.append((f"第{i}条", "新設規定", ["当社は、本条の定めにより新たな手続を設けます。"]))
            shift = 1
        if rng.random() < 0.05:
            j = rng.randrange(len(paras))
            paras[j] = (
                paras[j].replace("ます", "るものとします", 1)
                + "ただし、法令に別段の定めがある場合を除きます。"
            )
        if i == n // 3 and len(paras) > 1:
            moved = paras.pop()
        if i == n // 3 + 3 and moved:
            paras.append(moved)
        label = f"第{i + shift}条"
        if i % 60 == 0:
            new.append((label, "", ["削除"]))
        else:
            new.append((label, caption, paras))
        if i % 40 == 0:
            new.append(
                (
                    f"第{i + shift}条の2",
                    "追加規定",
                    ["前条の規定は、契約者が法人である場合に準用します。"],
                )
            )
    return render(old), render(new)


def bench(n: int, repeat: int) -> dict[str, float]:
    old_text, new_text = make_pair(n)
    old, new = parse_text(old_text, "old.txt", "text"), parse_text(new_text, "new.txt", "text")
    arts = sum(1 for x in old.nodes if x.kind == "article")
    t_align, t_diff = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        al = align(old, new)
        t_align.append(time.perf_counter() - t)
        t = time.perf_counter()
        cmp = compare(old, new)
        t_diff.append(time.perf_counter() - t)
    return {
        "articles": arts,
        "old_clauses": len(old.nodes),
        "new_clauses": len(new.nodes),
        "changes": len(cmp.changes),
        "renumbered": len(al.by_type("renumbered")),
        "align_s": statistics.median(t_align),
        "compare_s": statistics.median(t_diff),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", default="100,1000")
    args = ap.parse_args()
    from extract.japanese import tokenize

    tokenize("準備")  # load the dictionary outside the timings
    results = [bench(int(s), args.repeat) for s in args.sizes.split(",")]
    print(
        "| articles | clauses (old/new) | changes | renumbered | align | align / article "
        "| align + diff | per article |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        a = int(r["articles"])
        print(
            f"| {a} | {int(r['old_clauses'])}/{int(r['new_clauses'])} | {int(r['changes'])} "
            f"| {int(r['renumbered'])} | {r['align_s'] * 1000:.0f} ms "
            f"| {r['align_s'] * 1e6 / a:.0f} µs | {r['compare_s'] * 1000:.0f} ms "
            f"| {r['compare_s'] * 1e6 / a:.0f} µs |"
        )
    if len(results) >= 2:
        small, large = results[0], results[-1]
        size = large["articles"] / small["articles"]
        print(
            f"\nsize ×{size:.0f}: align ×{large['align_s'] / small['align_s']:.1f}, "
            f"align + diff ×{large['compare_s'] / small['compare_s']:.1f}"
        )


if __name__ == "__main__":
    main()
