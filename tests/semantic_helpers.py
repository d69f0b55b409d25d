"""Helpers for the semantic-search tests (tests/test_semantic*.py, tests/test_search_cmd.py)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from versions.kb import build as kb
from versions.kb import build_embeddings, embeddings
from versions.sources.corpus import DEFAULT_CORPUS

QUESTIONS = kb.ROOT / "scripts" / "retrieval" / "questions.jsonl"


def filled_copy(
    source: Path, folder: Path, fill: Callable[[sqlite3.Connection], int]
) -> tuple[Path, int]:
    """A copy of ``source`` in ``folder`` with ``fill`` run on it (a stored table filled at a
    lowered threshold, tests/test_word_tops.py, tests/test_word_postings.py); what it counted."""
    copy = folder / "yakkan.db"
    shutil.copyfile(source, copy)
    with sqlite3.connect(copy) as conn:
        count = fill(conn)
    return copy, count


def build_kb(path: Path, model: str | None = None) -> Path:
    """Build corpus/ into ``path`` with the embeddings step (default model unless ``model``)."""
    with pytest.MonkeyPatch.context() as mp:
        if build_embeddings.step_embeddings not in kb.STEPS:
            steps = [*kb.STEPS[:-1], build_embeddings.step_embeddings, kb.STEPS[-1]]
            mp.setattr(kb, "STEPS", steps)
        if model:
            mp.setenv(embeddings.ENV_VAR, model)
        else:
            mp.delenv(embeddings.ENV_VAR, raising=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        kb.build(DEFAULT_CORPUS, path)
    return path


def questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]


def require_vectors(db: Path) -> None:
    import sqlite3

    from versions.kb import semantic

    with sqlite3.connect(db) as conn:
        if not semantic.has_vectors(conn):
            reason = embeddings.missing_reason() or "no vectors"
            pytest.skip(f"default embedding backend unavailable: {reason}")
