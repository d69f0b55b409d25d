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
        (
            "clause_facts",
            "doc_id, version_id, node_id, node_key, kind, value, unit, party, "
            "party_role, span_start, span_end, surface",
        ),
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


_REFERENCE = (
    "version_id, doc_id, source, source_key, text, line, [column], kind, target, target_key, "
    "status, message, target_document, targets, target_end"
)


def test_references_are_every_reference_of_the_parser(kb: Path) -> None:
    """[references] and reference_targets show the rows the parser's references make, with the
    keys of their source and targets, although stored by node seq."""
    conn = sqlite3.connect(kb)
    want: Counter[tuple[object, ...]] = Counter()
    members: Counter[tuple[object, ...]] = Counter()

    def key(vid: str, node: str | None, other: str | None) -> str | None:
        return f"{vid}/{node}" if node and not other else None

    for doc in load_corpus(DEFAULT_CORPUS):
        for v in doc.versions:
            for r in parse_entry(v).references:
                source = f"{v.key}/{r.source}"
                want[
                    (
                        *(v.key, doc.id, r.source, source, r.text, r.line, r.column, r.kind),
                        *(r.target, key(v.key, r.target, r.target_document), r.status),
                        *(r.message, r.target_document, json.dumps(r.targets, ensure_ascii=False)),
                        r.target_end,
                    )
                ] += 1
                members.update(
                    (v.key, source, r.line, r.column, k, t, key(v.key, t, r.target_document))
                    for k, t in enumerate(r.targets)
                )
    rows = conn.execute(f"select {_REFERENCE} from [references]").fetchall()
    assert Counter(rows) == want and len(rows) > 4000
    got = conn.execute(
        "select t.version_id, r.source_key, r.line, r.[column], t.ord, t.target, t.target_key "
        "from reference_targets t join [references] r on r.id = t.reference_id"
    ).fetchall()
    assert Counter(got) == members and len(got) > 4000
    # stored by seq: a resolved target is its node's seq, not a node id and key again
    stored = conn.execute(
        "select count(*), sum(target_seq is not null), sum(target is not null), "
        "sum(targets is not null) from reference_rows"
    ).fetchone()
    resolved = conn.execute("select count(*) from [references] where target_key is not null")
    assert stored[1] == resolved.fetchone()[0] > stored[0] / 2
    assert stored[2] == 0 and stored[3] < stored[0] / 5  # only targets beyond [target] / []


def _plan(conn: sqlite3.Connection, sql: str) -> str:
    return " ".join(r[3] for r in conn.execute(f"explain query plan {sql}", ["x"]))


def test_reference_lookups_by_key_use_indexes(kb: Path) -> None:
    """Filters on the views' key columns go through node_rows' key index to the seq indexes:
    no scan of reference_rows, reference_target_rows or node_rows."""
    conn = sqlite3.connect(kb)
    for sql in (
        "select * from [references] where source_key = ?",
        "select * from [references] where target_key = ?",
        "select * from [references] where id = ?",
        "select * from [references] where version_id = 'v' and source = ?",
        "select * from reference_targets where target_key = ?",
        "select * from reference_targets where reference_id = ?",
    ):
        assert "SCAN" not in _plan(conn, sql), sql
    ref = conn.execute(
        "select id, source_key, target_key from [references] where target_key is not null "
        "and status = 'ok' order by id limit 1 offset 100"
    ).fetchone()
    cited = conn.execute("select id from [references] where target_key = ?", [ref[2]])
    assert ref[0] in {r[0] for r in cited}
    cites = conn.execute("select id from [references] where source_key = ?", [ref[1]])
    assert ref[0] in {r[0] for r in cites}


def test_cross_document_targets_link_to_the_latest_version(kb: Path, tmp_path: Path) -> None:
    """A reference naming another corpus document points at that document's latest version:
    its node (by seq) when the node exists, else the key it names."""
    from types import SimpleNamespace

    import sqlite_utils

    from extract.model import Reference
    from versions.kb.build import _insert_references, step_link_references

    db_path = tmp_path / "kb.db"
    shutil.copyfile(kb, db_path)
    db = sqlite_utils.Database(db_path)
    vid, source = db.execute(
        "select version_id, node_id from node_rows where doc_id = 'toreru-camera' "
        "and kind = 'article' order by seq limit 1"
    ).fetchone()
    other = "kojin-joho-hogo-ho"
    latest = db.execute("select latest_version_id from documents where id = ?", [other])
    latest_id = latest.fetchone()[0]
    refs = [
        Reference(source, f"第{n}条", 1, 1, "external", t, "ok", "", other, [t])
        for n, t in ((27, "art_27"), (999, "art_999"))
    ]
    seqs = dict(db.execute("select node_id, seq from node_rows where version_id = ?", [vid]))
    _insert_references(db, vid, seqs, refs, "test.txt")
    step_link_references(SimpleNamespace(db=db))  # type: ignore[arg-type]
    rows = db.execute(
        "select target, target_key, targets from [references] where target_document = ? "
        "order by text",
        [other],
    ).fetchall()
    assert rows == [
        ("art_27", f"{latest_id}/art_27", '["art_27"]'),
        ("art_999", f"{latest_id}/art_999", '["art_999"]'),
    ]
    members = db.execute(
        "select t.target, t.target_key, t.version_id from reference_targets t "
        "join [references] r on r.id = t.reference_id where r.target_document = ? order by 1",
        [other],
    ).fetchall()
    assert members == [
        ("art_27", f"{latest_id}/art_27", vid),
        ("art_999", f"{latest_id}/art_999", vid),
    ]
    stored = db.execute(
        "select target_seq is not null, target from reference_rows "
        "where target_document = ? order by text",
        [other],
    ).fetchall()
    assert stored == [(1, None), (0, "art_999")]  # 第27条 is a node of the cited version


def test_clause_facts_are_every_fact_of_the_extractor(kb: Path) -> None:
    """clause_facts shows the rows extract.facts makes (with the node keys), stored by seq."""
    from versions.kb.build_facts import fact_rows

    conn = sqlite3.connect(kb)
    cols = ["doc_id", "version_id", "node_id", "node_key", "kind", "value", "unit", "party"]
    cols += ["party_role", "span_start", "span_end", "surface"]  # the keys of fact_rows' dicts
    want: Counter[tuple[object, ...]] = Counter()
    for doc in load_corpus(DEFAULT_CORPUS):
        for v in doc.versions:
            want.update(tuple(r[c] for c in cols) for r in fact_rows(doc.id, v.key, parse_entry(v)))
    rows = conn.execute(f"select {', '.join(cols)} from clause_facts").fetchall()
    assert Counter(rows) == want and len(rows) > 1000
    assert conn.execute("select count(*) from fact_rows").fetchone()[0] == len(rows)
    for sql in (
        "select * from clause_facts where node_key = ?",
        "select * from clause_facts where version_id = 'v' and node_id = ?",
        "select * from clause_facts where doc_id = 'd' and node_id = ?",
    ):
        assert "SCAN" not in _plan(conn, sql), sql


def test_node_rows_store_each_heading_path_once_and_derive_key_and_doc_id(kb: Path) -> None:
    """Schema 8: paths once, key and doc_id generated (not stored), the view's columns as before."""
    conn = sqlite3.connect(kb)
    distinct = conn.execute("select count(distinct path) from nodes").fetchone()[0]
    nodes = conn.execute("select count(*) from nodes").fetchone()[0]
    assert conn.execute("select count(*) from paths").fetchone()[0] == distinct < nodes
    hidden = {r[1]: r[6] for r in conn.execute("pragma table_xinfo(node_rows)")}
    assert hidden["key"] == hidden["doc_id"] == 2  # 2: a VIRTUAL generated column
    assert "path" not in hidden
    wrong = conn.execute(
        "select count(*) from nodes n join versions v on v.id = n.version_id "
        "where n.key <> v.id || '/' || n.node_id or n.doc_id <> v.doc_id or n.path is null"
    )
    assert wrong.fetchone()[0] == 0
    plan = " ".join(
        r[3] for r in conn.execute("explain query plan select * from nodes where key = 'a/b'")
    )
    assert "idx_node_rows_key" in plan and "SCAN" not in plan
