"""Baselines: accept today's known problems, fail only on new ones.

A baseline file is JSON: ``{"tool": "yakkan check", "version": 1, "problems": [...]}``; each
entry holds the problem's fingerprint (see versions/check/problems.py) plus readable fields for
reviewers (document, source, text, status, message). The same fingerprint may appear several
times (one citation printed twice in a clause); each baseline entry accepts one occurrence.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from extract.errors import InputError
from versions.check.problems import Problem
from versions.sources.files import read_bytes

FORMAT_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read or written; the message names the file."""


def baseline_json(problems: Iterable[Problem]) -> dict[str, Any]:
    entries = [
        {
            "fingerprint": p.fingerprint,
            "document": p.document,
            "source": p.source,
            "status": p.status,
            "text": p.text,
            "message": p.message,
        }
        for p in problems
    ]
    entries.sort(key=lambda e: (e["document"], e["source"] or "", e["status"], e["fingerprint"]))
    return {"tool": "yakkan check", "version": FORMAT_VERSION, "problems": entries}


def write_baseline(path: Path, problems: Iterable[Problem]) -> int:
    """Write every problem to ``path``; returns how many were written."""
    data = baseline_json(problems)
    if path.exists() and not path.is_file():  # a FIFO would block the write for ever
        raise BaselineError(f"{path}: cannot write baseline: not a regular file")
    try:
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None
    return len(data["problems"])


def read_baseline(path: Path) -> Counter[str]:
    """Fingerprint → how many occurrences the baseline accepts."""
    if not path.exists() and not path.is_symlink():
        raise BaselineError(f"{path}: baseline file not found")
    try:  # bounded, and a FIFO or device is refused instead of waited on
        data = json.loads(read_bytes(path).decode("utf-8"))
    except InputError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.message}") from None
    except UnicodeDecodeError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}: not a JSON baseline: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("tool") != "yakkan check":
        raise BaselineError(f"{path}: not a yakkan check baseline (no 'tool': 'yakkan check')")
    entries = data.get("problems")
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: not a yakkan check baseline (no 'problems' list)")
    found: Counter[str] = Counter()
    for i, entry in enumerate(entries):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not fp:
            raise BaselineError(f"{path}: problem #{i + 1} has no fingerprint")
        found[fp] += 1
    return found


def apply_baseline(problems: Iterable[Problem], accepted: Counter[str]) -> int:
    """Mark problems the baseline accepts (``baselined = True``); returns how many were marked."""
    left = Counter(accepted)
    marked = 0
    for p in problems:
        if left[p.fingerprint] > 0:
            left[p.fingerprint] -= 1
            p.baselined = True
            marked += 1
    return marked
