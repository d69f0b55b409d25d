"""Generate a scaled corpus from the real documents, for benchmarks (never committed).

Each generated document copies one real document (round robin) and gets several dated versions;
every later version edits a few lines the way amendments do (a changed amount, a changed period,
a rewritten sentence) and appends a 附則 with its effective date.

    .venv/bin/python scripts/scale_corpus.py /tmp/scaled --documents 200 --versions 5
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
from pathlib import Path

from versions.sources.corpus import DEFAULT_CORPUS, load_corpus

EDITS = [
    (re.compile(r"(\d+)日"), lambda m: f"{int(m.group(1)) + 7}日"),
    (re.compile(r"(\d+)円"), lambda m: f"{int(m.group(1)) + 100}円"),
    (re.compile(r"当社"), lambda m: "当社（当社の委託先を含みます。）"),
    (re.compile(r"ものとします。"), lambda m: "ものとし、契約者はこれに同意するものとします。"),
]


def amend(lines: list[str], rng: random.Random, count: int) -> list[str]:
    """Apply ``count`` edits to random lines that contain something to edit."""
    out = list(lines)
    for _ in range(count):
        pattern, repl = rng.choice(EDITS)
        candidates = [i for i, line in enumerate(out) if pattern.search(line)]
        if candidates:
            i = rng.choice(candidates)
            out[i] = pattern.sub(repl, out[i], count=1)
    return out


def supplement(date: str, markdown: bool) -> list[str]:
    y, m, d = (int(x) for x in date.split("-"))
    head = "## 附則" if markdown else "附則"
    return ["", head, f"この規約は、{y}年{m}月{d}日から実施します。", ""]


def generate(out: Path, documents: int, versions: int, seed: int = 1) -> int:
    sources = [d for d in load_corpus(DEFAULT_CORPUS)]
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    files = 0
    for i in range(documents):
        src = sources[i % len(sources)]
        latest = src.latest()
        raw = latest.file.read_bytes()
        text = raw.decode("utf-8-sig", errors="replace")
        markdown = latest.file.suffix == ".md"
        lines = text.splitlines()
        doc_id = f"{src.id}-{i:04d}"
        folder = out / doc_id
        folder.mkdir(parents=True)
        title = json.dumps(f"{src.title} ({i})", ensure_ascii=False)
        toml = [f'id = "{doc_id}"', f"title = {title}", f'kind = "{src.kind}"', ""]
        for k in range(versions):
            date = f"{2018 + k}-{(i % 12) + 1:02d}-01"
            if k:
                lines = amend(lines, rng, 3) + supplement(date, markdown)
            name = f"{date}{latest.file.suffix}"
            (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
            fmt = latest.format or ("markdown" if markdown else "text")
            toml += [
                "[[versions]]",
                f'file = "{name}"',
                f'effective = "{date}"',
                f'format = "{fmt}"',
                "constructed = true",
                "",
            ]
            files += 1
        (folder / "document.toml").write_text("\n".join(toml), encoding="utf-8")
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write (replaced)")
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    files = generate(args.out, args.documents, args.versions, args.seed)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"{args.out}: {args.documents} documents, {files} version files, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
