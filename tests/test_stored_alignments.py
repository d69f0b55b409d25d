"""The build's stored alignments read back (versions/kb/stored_alignments.py) are the aligner's
own, pair for pair, so the build's closing check reads them instead of aligning again."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from versions.cli.build_cmd import check_counts
from versions.history.align import align
from versions.kb.build import stored_parses
from versions.kb.stored_alignments import stored_alignment
from versions.sources.corpus import DEFAULT_CORPUS as CORPUS
from versions.sources.corpus import load_corpus


def _pairs(kb: Path) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(kb)) as conn:
        return conn.execute(
            "select distinct old_version, new_version from clause_alignments order by 1, 2"
        ).fetchall()


def test_every_stored_pair_is_the_aligners_alignment(kb: Path) -> None:
    parsed = stored_parses(kb, load_corpus())
    pairs = _pairs(kb)
    assert len(pairs) >= 9  # the statutes' and the terms' consecutive versions
    with contextlib.closing(sqlite3.connect(kb)) as conn:
        for old_id, new_id in pairs:
            old, new = parsed[old_id], parsed[new_id]
            stored, fresh = stored_alignment(conn, old, new, old_id, new_id), align(old, new)
            assert stored is not None
            assert stored.old_to_new == fresh.old_to_new, (old_id, new_id)
            assert stored.new_to_old == fresh.new_to_old, (old_id, new_id)
            assert stored.counts() == fresh.counts(), (old_id, new_id)
        assert stored_alignment(conn, old, new, new_id, old_id) is None  # not a stored pair


def test_the_builds_check_aligns_nothing_again(kb: Path, monkeypatch) -> None:
    expected = check_counts(CORPUS, kb)
    assert expected["error"] > 0  # the corpus has stale and broken references to report

    def no_align(*args: object) -> None:
        raise AssertionError("a pair aligned again")

    monkeypatch.setattr("versions.history.align.align", no_align)
    assert check_counts(CORPUS, kb) == expected
