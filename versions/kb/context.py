"""The state one build passes from step to step (``BuildContext``) and the build's error."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from extract.model import ParsedDocument
from versions.sources.corpus import DocumentEntry, VersionEntry

Progress = Callable[[Sequence[Any], str], contextlib.AbstractContextManager[Iterable[Any]]]


class BuildError(Exception):
    """A build that could not complete; the message names the file (and line) that failed."""


class BuildBusy(BuildError):
    """Another build of the same database holds its lock."""


@dataclass
class BuildContext:
    corpus: Path
    db: sqlite_utils.Database
    documents: list[DocumentEntry]
    hashes: dict[str, str]  # version id -> sha256 of the source bytes
    parser: str  # parser_version() at the start of the build
    has_previous: bool = False
    parsed: dict[str, ParsedDocument] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    progress: Progress = lambda items, label: contextlib.nullcontext(items)
    stats: dict[str, Any] = field(default_factory=dict)
    seq: int = 0  # last nodes.seq handed out
    texts: dict[tuple[str | None, str | None], int] = field(default_factory=dict)  # -> texts.id
    paths: dict[str, int] = field(default_factory=dict)  # heading path -> paths.id
    executor: Any = None  # a versions.kb.executor: where parse/align/embed tasks run
    # version id -> its (ParsedDocument, blob) or a handle to it on the executor's workers
    parse_handles: dict[str, Any] = field(default_factory=dict)

    def versions(self) -> list[VersionEntry]:
        return [v for d in self.documents for v in d.versions]

    def previous_meta(self, key: str) -> str | None:
        """``key``'s value in the previous database's ``build_meta`` (None without one)."""
        if not self.has_previous:
            return None
        try:
            sql = "select value from prev.build_meta where key = ?"
            row = self.db.execute(sql, [key]).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    def node_seqs(self, version_id: str) -> dict[str, int]:
        """node_id → node_rows.seq of one version of the new database."""
        sql = "select node_id, seq from node_rows where version_id = ?"
        return dict(self.db.execute(sql, [version_id]).fetchall())

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterable[Any]:
        """``fn`` over ``items`` on the build's executor, results in order (see executor.py)."""
        return self.executor.map(fn, items)
