"""The views that keep today's columns over compact storage (docs/database.md "Unchanged clauses
are stored once"): readers see the same rows as when every row was stored."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

from extract.model import ParsedDocument
from versions.history.align import align
from versions.kb.build import build
from versions.sources.corpus import DEFAULT_CORPUS, load_corpus
from versions.sources.loaded import parse_entry

_ALIGNMENT = (
    "type, old_node, new_node, old_key, new_key, old_nodes, new_nodes, confidence, similarity, "
    "level"
)


def _expected(
    old_key: str, new_key: str, old: ParsedDocument, new: ParsedDocument
) -> Counter[tuple[object, ...]]:
    def key(vid: str, nid: str | None) -> str | None:
        return f"{vid}/{nid}" if nid else None

    return Counter(
        (
            m.type,
            m.old,
            m.new,
            key(old_key, m.old),
            key(new_key, m.new),
            json.dumps(m.old_ids),
            json.dumps(m.new_ids),
            round(m.confidence, 4),
            round(m.similarity, 4),
            m.level,
        )
        for m in align(old, new).matches
    )


def test_clause_alignments_are_every_match_of_the_aligner(kb: Path) -> None:
    conn = sqlite3.connect(kb)
    pairs = 0
    for doc in load_corpus(DEFAULT_CORPUS):
        for old, new in zip(doc.versions, doc.versions[1:], strict=False):
            rows = conn.execute(
                f"select {_ALIGNMENT} from clause_alignments where old_version = ? "
                "and new_version = ?",
                [old.key, new.key],
            ).fetchall()
            want = _expected(old.key, new.key, parse_entry(old), parse_entry(new))
            assert Counter(rows) == want, (old.key, new.key)
            pairs += 1
    assert pairs >= 5
    kinds = dict(conn.execute("select type, count(*) from clause_alignments group by type"))
    assert kinds["unchanged"] > 10 * kinds["modified"]  # most of them are not stored as rows
    stored = conn.execute("select count(*) from alignment_rows where type = 'unchanged'")
    assert stored.fetchone()[0] == 0


def test_unchanged_alignment_lookups_by_key(kb: Path) -> None:
    """The clause page follows a clause through new_key / old_key (indexed through node_rows)."""
    conn = sqlite3.connect(kb)
    row = conn.execute(
        "select old_key, type, doc_id from clause_alignments where new_key = ?",
        ["toreru-camera@2021-05-11/art_1"],
    ).fetchone()
    assert row == ("toreru-camera@2021-03-01/art_1", "unchanged", "toreru-camera")
    plan = " ".join(
        r[3]
        for r in conn.execute(
            "explain query plan select * from clause_alignments where new_key = ?", ["x"]
        )
    )
    assert "SCAN" not in plan.replace("SCAN clause_alignments", "")


def test_clause_validity_has_one_row_per_node(kb: Path) -> None:
    conn = sqlite3.connect(kb)
    nodes = conn.execute("select count(*) from node_rows").fetchone()[0]
    assert conn.execute("select count(*) from clause_validity").fetchone()[0] == nodes
    assert conn.execute("select count(*) from validity_rows").fetchone()[0] == nodes
    missing = conn.execute("select count(*) from clause_validity where valid_from is null")
    undated = conn.execute(
        "select count(*) from node_rows r join versions v on v.id = r.version_id "
        "where v.effective is null"
    )
    assert missing.fetchone()[0] <= undated.fetchone()[0]


def test_incremental_build_copies_alignments_by_key(kb: Path, tmp_path: Path) -> None:
    """A rebuild after a document went copies the other pairs' unchanged alignments from the
    previous database although node seqs moved: the views read the same rows as a full build."""
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    db = tmp_path / "kb.db"
    shutil.copyfile(kb, db)
    build(corpus, db)  # a no-op or a rebuild of the copy, whichever the fingerprint says
    first = load_corpus(corpus)[0]  # the seqs of every later document's nodes move
    shutil.rmtree(first.folder)
    build(corpus, db)
    fresh = tmp_path / "fresh.db"
    build(corpus, fresh, force=True)
    a, b = sqlite3.connect(db), sqlite3.connect(fresh)
    for view, cols in (
        ("clause_alignments", f"doc_id, old_version, new_version, {_ALIGNMENT}"),
        ("clause_validity", "*"),
    ):
        query = f"select {cols} from {view}"
        assert sorted(a.execute(query)) == sorted(b.execute(query)), view


def test_definition_uses_are_every_use_the_parser_found(kb: Path) -> None:
    conn = sqlite3.connect(kb)
    want: Counter[tuple[str, str]] = Counter()
    for doc in load_corpus(DEFAULT_CORPUS):
        for v in doc.versions:
            for d in parse_entry(v).definitions:
                want.update((d.term, f"{v.key}/{u}") for u in dict.fromkeys(d.uses))
    rows = conn.execute(
        "select d.term, u.node_key from definition_uses u join definitions d "
        "on d.id = u.definition_id"
    ).fetchall()
    assert Counter(rows) == want and len(rows) > 1000
