"""The knowledge-base schema: tables, keys, indexes and a description for every column.

One definition serves three readers: ``create_schema`` (sqlite-utils), the Datasette site (column
descriptions through the plugin's ``get_metadata`` hook) and docs/database.md.

Keys
- ``versions.id`` is ``DOC@DATE`` (``DOC@file-stem`` when undated),
  e.g. ``toreru-camera@2023-12-01``.
- ``nodes.key`` is ``VERSION_ID/NODE_ID``, e.g. ``toreru-camera@2023-12-01/art_12__para_2``.
  ``nodes.seq`` is a stable integer per node: the rowid of the word index ``nodes_words``.
- ``nodes`` is a view: ``node_rows`` (the tree) joined with ``texts`` (each distinct caption and
  text once), so an unchanged clause carried from one version to the next is stored once; the
  substring index ``nodes_trigram`` and the embeddings are per distinct text too.
- Rows per node of every version are keyed by ``nodes.seq`` behind views with text-key columns:
  ``definition_uses``, ``references``, ``reference_targets`` and ``clause_facts`` here,
  ``clause_alignments`` and ``clause_validity`` in build_versions.py.
- ``references`` is an SQL keyword: quote the table as ``[references]`` or ``"references"``.

Other engineers add their own tables (clause alignments, embeddings, ``clause_similar``) from their
own build step (see versions/kb/build.py ``STEPS``); they key them on ``nodes.key`` /
``versions.id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

SCHEMA_VERSION = 10  # 2: nodes is a view over node_rows + texts (distinct texts stored once)
# 3: clause_alignments, clause_validity and definition_uses are views over rows keyed by node seq
# 4: references and reference_targets too (reference_rows, reference_target_rows)
# 5: word_tops, the stored answers of very frequent search terms
# 6: word_groups, the Sudachi synonym groups of the indexed words
# 7: clause_facts is a view over fact_rows, keyed by node seq
# 8: node_rows keyed by seq (its rowid), key and doc_id generated, heading paths stored once
# 9: nodes_words has one row per clause carried unchanged across versions (search.word_rows)
# 10: word_postings, every latest clause's bm25 rank for very frequent question words


@dataclass(frozen=True)
class Column:
    type: type
    description: str


@dataclass(frozen=True)
class TableDef:
    name: str
    description: str
    columns: dict[str, Column]
    pk: str | tuple[str, ...]  # a tuple: a compound primary key
    foreign_keys: list[tuple[str, str, str]] = field(default_factory=list)
    indexes: list[tuple[str, ...]] = field(default_factory=list)
    unique: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()
    view: str | None = None  # CREATE VIEW statement: a view read like a table, not stored
    # indexes of the rows where a column is not null: (column, …) — for a column null in most rows
    # (SQLite's statistics would make it pass over a full index of one null value)
    sparse_indexes: list[tuple[str, ...]] = field(default_factory=list)
    # column -> SQL expression: a VIRTUAL generated column (computed when read, not stored; it
    # can be indexed), for ids derived from other columns
    generated: dict[str, str] = field(default_factory=dict)


def C(type_: type, description: str) -> Column:
    return Column(type_, description)


DOCUMENTS = TableDef(
    "documents",
    "One row per corpus document (corpus/<id>/document.toml).",
    {
        "id": C(str, "Document id: the corpus folder name (ASCII), e.g. toreru-camera."),
        "title": C(str, "Title from document.toml."),
        "publisher": C(str, "Publisher from document.toml."),
        "kind": C(str, "terms (利用規約・約款) or statute (法令)."),
        "latest_version_id": C(str, "versions.id of the newest version."),
        "version_count": C(int, "Number of versions of this document."),
        "meta": C(str, "Every other document.toml field, as JSON."),
    },
    pk="id",
    not_null=("title", "kind"),
)

VERSIONS = TableDef(
    "versions",
    "One row per version (a dated file in corpus/, or a git commit imported by import-git).",
    {
        "id": C(str, "DOC@DATE (DOC@file-stem when undated), e.g. toreru-camera@2023-12-01."),
        "doc_id": C(str, "The document (documents.id)."),
        "ord": C(int, "0-based position of the version in its document, oldest first."),
        "latest": C(int, "1 for the newest version of its document, else 0."),
        "effective": C(str, "ISO date the version took effect (document.toml), or null."),
        "label": C(str, "The document's own version label as printed, e.g. Version 3.1.8."),
        "title": C(str, "Title as parsed from the text of this version."),
        "file": C(str, "Source file, relative to the corpus folder."),
        "sha256": C(str, "SHA-256 of the source bytes (incremental builds compare it)."),
        "encoding": C(str, "Detected encoding: utf-8, utf-8-sig, cp932 or euc-jp."),
        "format": C(str, "Source format: text or markdown."),
        "toc": C(str, "The 目次 (table of contents) as printed, one line per entry, or null."),
        "constructed": C(int, "1 for examples written by the yakkan team (not published text)."),
        "origin": C(str, "Where the text came from (document.toml origin)."),
        "parser_version": C(str, "Hash of the parser code that produced the rows."),
        "commit_sha": C(str, "Git commit of this version (import-git), else null."),
        "commit_date": C(str, "Git commit date (ISO), else null."),
        "commit_author": C(str, "Git commit author, else null."),
        "commit_message": C(str, "Git commit message, else null."),
    },
    pk="id",
    foreign_keys=[("doc_id", "documents", "id")],
    indexes=[("doc_id", "effective")],
    not_null=("doc_id", "file", "sha256"),
)

_NODE_COLUMNS = {
    "key": C(str, "VERSION_ID/NODE_ID, e.g. toreru-camera@2023-12-01/art_12__para_2."),
    "seq": C(int, "Stable integer id of the node (rowid of the word index nodes_words)."),
    "version_id": C(str, "The version (versions.id)."),
    "doc_id": C(str, "The document (documents.id)."),
    "node_id": C(str, "Node id in the version, e.g. art_27-2__para_1 (docs/parse-json.md)."),
    "kind": C(str, "chapter, section, article, paragraph, item, subitem, supplement, …"),
    "num": C(str, "Normalised number: 27-2, 3, イ; null when unnumbered."),
    "label": C(str, "Label as printed: 第27条の2, （１）, 別紙4."),
    "caption": C(str, "Caption without brackets, e.g. 利用料金の支払義務."),
    "text": C(str, "The node's own text (not its children's)."),
    "parent_id": C(str, "node_id of the parent node, null at top level."),
    "ord": C(int, "0-based position in the version, document order."),
    "depth": C(int, "Depth in the tree, 0 at top level."),
    "line": C(int, "1-based source line where the node starts."),
    "end_line": C(int, "1-based last source line of the node (children included)."),
    "chapter_id": C(str, "node_id of the enclosing chapter (章), null outside chapters."),
    "article_id": C(str, "node_id of the enclosing article (条) or top-level block."),
    "path": C(str, "Heading path for display: 第3章 利用料金 › 第12条（支払）› 2."),
    "text_id": C(int, "The node's caption and text (texts.id), shared by identical clauses."),
}
_CONTENT = ("caption", "text")

TEXTS = TableDef(
    "texts",
    "Each distinct (caption, text) of a node, stored once: an unchanged clause carried from one "
    "version to the next points at the same row (rowid of the substring index nodes_trigram).",
    {
        "id": C(int, "Row id (node_rows.text_id)."),
        "caption": C(str, "Caption without brackets, or null."),
        "text": C(str, "The node's own text, or null."),
    },
    pk="id",
)

PATHS = TableDef(
    "paths",
    "Each distinct heading path, stored once: most nodes of a version have their path in every "
    "other version of the document.",
    {
        "id": C(int, "Row id (node_rows.path_id)."),
        "path": C(str, "Heading path for display: 第3章 利用料金 › 第12条（支払）› 2."),
    },
    pk="id",
)

_DERIVED = ("key", "doc_id")  # generated from version_id and node_id (doc ids hold no @)
NODE_ROWS = TableDef(
    "node_rows",
    "The stored clause tree: nodes without their caption, text and path (read the nodes view).",
    {
        **{
            k: c
            for k, c in _NODE_COLUMNS.items()
            if k not in (*_CONTENT, *_DERIVED, "path", "text_id")
        },
        "path_id": C(int, "The node's heading path (paths.id)."),
        "text_id": _NODE_COLUMNS["text_id"],
        **{k: _NODE_COLUMNS[k] for k in _DERIVED},
    },
    pk="seq",
    foreign_keys=[
        ("version_id", "versions", "id"),
        ("path_id", "paths", "id"),
        ("text_id", "texts", "id"),
    ],
    indexes=[("doc_id", "node_id"), ("version_id", "ord"), ("text_id",)],
    unique=("key",),
    not_null=("version_id", "node_id", "kind", "text_id", "path_id"),
    generated={
        "key": "version_id || '/' || node_id",
        "doc_id": "substr(version_id, 1, instr(version_id, '@') - 1)",
    },
)

# One table with two rowid lookups, not a join: SQLite cannot flatten a join view on the right
# of a LEFT JOIN and would materialise every node (the as-of page took seconds at 1,000 versions).
NODES_VIEW = (
    "CREATE VIEW nodes AS SELECT "
    + ", ".join(
        f"(SELECT t.{c} FROM texts t WHERE t.id = r.text_id) AS {c}"
        if c in _CONTENT
        else "(SELECT p.path FROM paths p WHERE p.id = r.path_id) AS path"
        if c == "path"
        else f"r.{c}"
        for c in _NODE_COLUMNS
    )
    + " FROM node_rows r"
)

# A view (node_rows joined with texts): read it like a table; the build writes node_rows/texts.
NODES = TableDef(
    "nodes",
    "The clause tree of every version: 章, 節, 条, 項, 号, 附則, 別紙 … in document order "
    "(a view: node_rows with their texts).",
    _NODE_COLUMNS,
    pk="key",
    foreign_keys=[("version_id", "versions", "id"), ("doc_id", "documents", "id")],
    view=NODES_VIEW,
)

AMENDMENTS = TableDef(
    "amendments",
    "附則 blocks read as amendment events (one row per 附則 of each version).",
    {
        "key": C(str, "VERSION_ID/suppl_N."),
        "version_id": C(str, "The version whose text contains the 附則 (versions.id)."),
        "doc_id": C(str, "The document (documents.id)."),
        "suppl_id": C(str, "Node id of the 附則: suppl_1, suppl_2 … in document order."),
        "heading": C(str, "The 附則 heading as printed."),
        "enacted": C(str, "ISO date from the heading (制定・改定日), or null."),
        "number": C(str, "文書番号, e.g. 西デザ S000195 号."),
        "effective": C(str, "ISO date the amendment took effect (実施/施行), or null."),
        "transitional": C(int, "1 when it has transitional measures (経過措置)."),
        "transitional_text": C(str, "The transitional text, when any."),
        "line": C(int, "1-based source line of the heading."),
        "effective_text": C(
            str,
            "The effective date as printed when not a calendar date (政令で定める日), else null.",
        ),
        "effective_by": C(
            str, "The last day an unresolved effective date can be (…を超えない範囲内), else null."
        ),
    },
    pk="key",
    foreign_keys=[("version_id", "versions", "id"), ("doc_id", "documents", "id")],
    indexes=[("doc_id", "effective"), ("version_id",)],
    not_null=("version_id", "doc_id", "suppl_id"),
)

AMENDMENT_TARGETS = TableDef(
    "amendment_targets",
    "Provisions a 附則 gives their own effective date (第20条の改正規定は…から実施).",
    {
        "id": C(int, "Row id."),
        "amendment_key": C(str, "The 附則 (amendments.key)."),
        "version_id": C(str, "The version (versions.id)."),
        "target": C(str, "node_id of the provision, e.g. art_20."),
        "effective": C(str, "ISO date the provision took effect."),
    },
    pk="id",
    foreign_keys=[("amendment_key", "amendments", "key"), ("version_id", "versions", "id")],
    indexes=[("version_id", "target")],
)

_REFERENCE_COLUMNS = {
    "id": C(int, "Row id."),
    "version_id": C(str, "The version (versions.id)."),
    "doc_id": C(str, "The document (documents.id)."),
    "source": C(str, "node_id of the citing node."),
    "source_key": C(str, "nodes.key of the citing node."),
    "text": C(str, "The reference as printed, e.g. 第18条（提供の停止）."),
    "line": C(int, "1-based source line."),
    "column": C(int, "1-based column on that line."),
    "kind": C(str, "absolute, relative, appendix or external."),
    "target": C(str, "node_id of the target, or null."),
    "target_key": C(str, "nodes.key of the target (in target_document when set), or null."),
    "status": C(
        str,
        "ok, broken, caption_mismatch, ambiguous, external, out_of_range or historical (a "
        "statute 附則 citing the law as it stood when it was enacted: not broken).",
    ),
    "message": C(str, "Why the status is not ok."),
    "target_document": C(str, "documents.id of another corpus document cited by name."),
    "targets": C(
        str,
        "Every node_id the reference names, in order, as a JSON list: [target] for one unit, "
        "each member for 前2項, 前各号, 第1項から第3項まで (a row each in reference_targets).",
    ),
    "target_end": C(str, "node_id of the last member when the reference names several."),
}

# The stored references (reference_rows): the citing node and a target that is a node of the
# knowledge base are node seqs; target and target_key are stored only for a target that is not
# (target_key only for a key that names no node), targets only when it is not [target] or [].
REFERENCE_ROWS = TableDef(
    "reference_rows",
    "The stored references, by node seq (read the references view).",
    {
        "id": C(int, "Row id (references.id)."),
        "source_seq": C(int, "The citing node (node_rows.seq)."),
        **{c: _REFERENCE_COLUMNS[c] for c in ("text", "line", "column", "kind")},
        "target_seq": C(int, "The target node (node_rows.seq), or null when it is not a node."),
        "target": C(str, "node_id of a target that is not a node (target_seq null), or null."),
        "target_key": C(str, "The target's key when it names no node (target_seq null)."),
        **{c: _REFERENCE_COLUMNS[c] for c in ("status", "message", "target_document")},
        "targets": C(str, "The members as a JSON list; null: [target] (or [] without target)."),
        "target_end": _REFERENCE_COLUMNS["target_end"],
    },
    pk="id",
    indexes=[("source_seq",), ("target_seq",)],
    sparse_indexes=[("target_key",)],
    not_null=("source_seq",),
)


# "+": not through the target_seq index, so a filter on target_key, id or the source node is
# (SQLite would otherwise read every unresolved row through target_seq IS NULL)
_UNRESOLVED = " WHERE +{alias}.target_seq IS NULL"


def _target_columns(seq_side: bool, alias: str) -> str:
    """target, target_key of a view row: the node's (``seq_side``) or the stored ones."""
    if seq_side:
        return "t.node_id AS target, t.key AS target_key"
    return f"{alias}.target, {alias}.target_key"


def _references_view() -> str:
    def select(seq_side: bool) -> str:
        target = "t.node_id" if seq_side else "r.target"
        return (
            "SELECT r.id, s.version_id, s.doc_id, s.node_id AS source, s.key AS source_key, "
            f"r.text, r.line, r.[column], r.kind, {_target_columns(seq_side, 'r')}, r.status, "
            "r.message, r.target_document, coalesce(r.targets, CASE WHEN "
            f"{target} IS NULL THEN '[]' ELSE json_array({target}) END) AS targets, "
            "r.target_end FROM reference_rows r JOIN node_rows s ON s.seq = r.source_seq"
            + (" JOIN node_rows t ON t.seq = r.target_seq" if seq_side else "")
            + ("" if seq_side else _UNRESOLVED.format(alias="r"))
        )

    return f"CREATE VIEW [references] AS {select(True)} UNION ALL {select(False)}"


REFERENCES = TableDef(
    "references",
    "Cross-references found in clause text, with their resolution. Quote as [references] in SQL "
    "(a view: reference_rows with their node keys).",
    _REFERENCE_COLUMNS,
    pk="id",
    foreign_keys=[("version_id", "versions", "id"), ("source_key", "node_rows", "key")],
    view=_references_view(),
)

REFERENCE_TARGET_ROWS = TableDef(
    "reference_target_rows",
    "The stored members of references, by node seq (read the reference_targets view).",
    {
        "id": C(int, "Row id (reference_targets.id)."),
        "reference_id": C(int, "The reference (reference_rows.id)."),
        "ord": C(int, "0-based position of the member in the reference."),
        "target_seq": C(int, "The member (node_rows.seq), or null when it is not a node."),
        "target": C(str, "node_id of a member that is not a node (target_seq null), or null."),
        "target_key": C(str, "The member's key when it names no node (target_seq null)."),
    },
    pk="id",
    foreign_keys=[("reference_id", "reference_rows", "id")],
    indexes=[("target_seq",), ("reference_id",)],
    sparse_indexes=[("target_key",)],
    not_null=("reference_id",),
)


def _reference_targets_view() -> str:
    def select(seq_side: bool) -> str:
        return (
            "SELECT m.id, m.reference_id, s.version_id, m.ord, "
            f"{_target_columns(seq_side, 'm')} FROM reference_target_rows m"
            + (" JOIN node_rows t ON t.seq = m.target_seq" if seq_side else "")
            + " JOIN reference_rows r ON r.id = m.reference_id"
            " JOIN node_rows s ON s.seq = r.source_seq"
            + ("" if seq_side else _UNRESOLVED.format(alias="m"))
        )

    return f"CREATE VIEW reference_targets AS {select(True)} UNION ALL {select(False)}"


REFERENCE_TARGETS = TableDef(
    "reference_targets",
    "Every unit a reference names, one row each: the 前2項 in 第9条第3項 names 第1項 and 第2項. "
    "Join on target_key to find the references whose range covers a clause (a view: "
    "reference_target_rows with their node keys).",
    {
        "id": C(int, "Row id."),
        "reference_id": C(int, "The reference ([references].id)."),
        "version_id": C(str, "The citing version (versions.id)."),
        "ord": C(int, "0-based position of the member in the reference."),
        "target": C(str, "node_id of the member."),
        "target_key": C(str, "nodes.key of the member (in target_document when set), or null."),
    },
    pk="id",
    foreign_keys=[("reference_id", "references", "id"), ("version_id", "versions", "id")],
    view=_reference_targets_view(),
)

DEFINITIONS = TableDef(
    "definitions",
    "Defined terms: 用語の定義 tables and inline （以下「…」という。） definitions.",
    {
        "id": C(int, "Row id."),
        "version_id": C(str, "The version (versions.id)."),
        "doc_id": C(str, "The document (documents.id)."),
        "term": C(str, "The defined term."),
        "definition": C(str, "What it means, as written."),
        "node_id": C(str, "node_id of the defining node."),
        "node_key": C(str, "nodes.key of the defining node."),
        "line": C(int, "1-based source line."),
        "kind": C(str, "table or inline."),
    },
    pk="id",
    foreign_keys=[("version_id", "versions", "id")],  # node_key: nodes.key (a view)
    indexes=[("version_id", "term")],
)

DEFINITION_USE_ROWS = TableDef(
    "definition_use_rows",
    "The stored uses of defined terms, by node seq (read the definition_uses view).",
    {
        "id": C(int, "Row id (definition_uses.id)."),
        "definition_id": C(int, "The definition (definitions.id)."),
        "node_seq": C(int, "The node using the term (node_rows.seq)."),
    },
    pk="id",
    foreign_keys=[("definition_id", "definitions", "id")],
    indexes=[("node_seq",)],
    not_null=("definition_id", "node_seq"),
)

DEFINITION_USES = TableDef(
    "definition_uses",
    "Which nodes use which defined term (a view: definition_use_rows with their node keys).",
    {
        "id": C(int, "Row id."),
        "definition_id": C(int, "The definition (definitions.id)."),
        "node_key": C(str, "nodes.key of the node using the term."),
    },
    pk="id",
    foreign_keys=[("definition_id", "definitions", "id"), ("node_key", "node_rows", "key")],
    view=(
        "CREATE VIEW definition_uses AS SELECT u.id, u.definition_id, r.key AS node_key "
        "FROM definition_use_rows u JOIN node_rows r ON r.seq = u.node_seq"
    ),
)

DIAGNOSTICS = TableDef(
    "diagnostics",
    "What looks wrong in a version: parser and checker findings.",
    {
        "id": C(int, "Row id."),
        "version_id": C(str, "The version (versions.id)."),
        "doc_id": C(str, "The document (documents.id)."),
        "file": C(str, "Source file, relative to the corpus folder."),
        "level": C(str, "error, warning or info."),
        "code": C(str, "kebab-case code, e.g. skipped-article-number."),
        "message": C(str, "What is wrong."),
        "line": C(int, "1-based source line."),
        "node_id": C(str, "node_id concerned, when known."),
    },
    pk="id",
    foreign_keys=[("version_id", "versions", "id")],
    indexes=[("version_id", "level")],
)

_FACT_COLUMNS = {
    "kind": C(
        str,
        "obligation, prohibition, permission, disclaimer (modality of a sentence); period,"
        " deadline, amount, rate, date.",
    ),
    "value": C(
        str,
        "Normalised: ISO-8601 duration (P30D, P6M, PT24H), deadline (翌月末日, 当月20日), yen"
        " (1100), fraction (0.145), ISO date; for modality the phrase (なければならない).",
    ),
    "unit": C(
        str,
        "period: before / within / after / elapsed / every / from, 'business-day …' for"
        " 営業日; amount: JPY, 'JPY tax-included', 'JPY/month'; rate: per-year / per-month.",
    ),
    "party": C(str, "Who the sentence binds, as printed (契約者, 当社, 甲+乙); empty: unsaid."),
    "party_role": C(str, "customer, provider or authority (joined by + when mixed); empty."),
    "span_start": C(int, "Character offset of the fact in nodes.text (0-based)."),
    "span_end": C(int, "End offset (exclusive) in nodes.text."),
    "surface": C(str, "The fact as printed: 30日前まで, 年14.5%, 1,100円, しなければならない."),
}

FACT_ROWS = TableDef(
    "fact_rows",
    "The stored clause facts, by node seq (read the clause_facts view).",
    {
        "id": C(int, "Row id (clause_facts.id)."),
        "node_seq": C(int, "The clause (node_rows.seq)."),
        **_FACT_COLUMNS,
    },
    pk="id",
    indexes=[("node_seq",), ("kind",)],
    not_null=("node_seq", "kind", "value"),
)

CLAUSE_FACTS = TableDef(
    "clause_facts",
    "Facts of each clause (extract.facts): modality and the party it binds; periods, deadlines,"
    " amounts, rates and dates, normalised, with their span in the clause text (docs/facts.md)"
    " (a view: fact_rows with their node keys).",
    {
        "id": C(int, "Row id."),
        "doc_id": C(str, "The document (documents.id)."),
        "version_id": C(str, "The version (versions.id)."),
        "node_id": C(str, "node_id of the clause in that version."),
        "node_key": C(str, "nodes.key of the clause."),
        **_FACT_COLUMNS,
    },
    pk="id",
    foreign_keys=[("version_id", "versions", "id"), ("node_key", "node_rows", "key")],
    view=(
        "CREATE VIEW clause_facts AS SELECT f.id, n.doc_id, n.version_id, n.node_id, "
        "n.key AS node_key, "
        + ", ".join(f"f.{c}" for c in _FACT_COLUMNS)
        + " FROM fact_rows f JOIN node_rows n ON n.seq = f.node_seq"
    ),
)

BUILD_META = TableDef(
    "build_meta",
    "Facts about the build: schema and parser versions, corpus fingerprint, build time.",
    {"key": C(str, "Name."), "value": C(str, "Value.")},
    pk="key",
)

TABLES: tuple[TableDef, ...] = (
    DOCUMENTS,
    VERSIONS,
    TEXTS,
    PATHS,
    NODE_ROWS,
    NODES,
    AMENDMENTS,
    AMENDMENT_TARGETS,
    REFERENCE_ROWS,
    REFERENCES,
    REFERENCE_TARGET_ROWS,
    REFERENCE_TARGETS,
    DEFINITIONS,
    DEFINITION_USE_ROWS,
    DEFINITION_USES,
    DIAGNOSTICS,
    FACT_ROWS,
    CLAUSE_FACTS,
    BUILD_META,
)

PARSE_CACHE = TableDef(
    "parse_cache",
    "Parsed documents keyed by source hash and parser version: unchanged files are not re-parsed.",
    {
        "key": C(str, "sha256 of the source bytes:format:parser version."),
        "json": C(bytes, "xz-compressed ParsedDocument JSON (docs/parse-json.md)."),
    },
    pk="key",
)

WORD_CACHE = TableDef(
    "word_cache",
    "Word tokens by text hash: unchanged texts are not tokenized again.",
    {
        "hash": C(str, "blake2b-96 of the text."),
        "words": C(str, "SudachiPy normalized-form tokens as indexed (A split, then C split)."),
    },
    pk="hash",
)

WORD_TOPS = TableDef(
    "word_tops",
    "Very frequent search terms (more than 2,000 latest clauses): the best 500 clauses of the term"
    " across documents, as FTS5 ranks them, stored by the build so a search does not rank every"
    " match (versions/kb/word_tops.py).",
    {
        "expr": C(str, "The term's FTS5 expression on nodes_words, as find builds it."),
        "matches": C(int, "Latest clauses it matches."),
        "top": C(str, "JSON [[nodes.seq, bm25 rank], …], best first."),
    },
    pk="expr",
)

WORD_POSTINGS = TableDef(
    "word_postings",
    "Frequent question words (more than 250 latest clauses): every latest clause matching the"
    " word's phrase with its bm25 rank, so a question's keyword side sums them instead of FTS5"
    " ranking every match (versions/kb/word_postings.py).",
    {
        "phrase": C(str, "The FTS5 phrase, as semantic.keyword_search writes it."),
        "matches": C(int, "Latest clauses it matches."),
        "seqs": C(bytes, "nodes.seq of each, uint32 little-endian."),
        "ranks": C(bytes, "Its bm25 rank for the phrase alone, float64 little-endian."),
    },
    pk="phrase",
)

WORD_GROUPS = TableDef(
    "word_groups",
    "The Sudachi synonym groups (ids from SudachiDict's lexicon) of the word index's words: a"
    " search adds the documents' words sharing a group with a query word, キャンセル → 解約"
    " (versions/kb/word_groups.py).",
    {
        "group_id": C(int, "Synonym group id in the Sudachi synonym dictionary."),
        "word": C(str, "An indexed word (nodes_words token) in that group."),
    },
    pk=("group_id", "word"),
)

TABLES = (*TABLES, PARSE_CACHE, WORD_CACHE, WORD_TOPS, WORD_POSTINGS, WORD_GROUPS)

# Full-text tables (FTS5).
#   nodes_words (contentless, unicode61): one *word row* per clause carried unchanged across
#     versions (same document, node id, text, kind, chapter: versions/kb/search.py word_rows);
#     rowid = nodes.seq of its latest-version node (else its newest); columns caption, text =
#     SudachiPy normalized-form word tokens (search.index_words) — words of any length, 表記ゆれ
#     and widths folded; column tags = filter tokens (latest, doc…, ver… of every version it is
#     in, kind…, chp…: search.node_tags) so filters are part of the MATCH and ``ORDER BY rank
#     LIMIT n`` stays a top-n query.
#   nodes_trigram (external content = texts, rowid = texts.id, trigram): substrings of 3+
#     characters, each distinct text indexed once (join nodes on text_id).
FTS_WORDS = "nodes_words"
FTS_TRIGRAM = "nodes_trigram"


def word_index_sql(name: str = FTS_WORDS) -> tuple[str, str]:
    """The word index's CREATE and rank statements, for ``nodes_words`` or a copy named ``name``
    (versions/kb/version_index.py: one version's index in memory)."""
    return (
        f"CREATE VIRTUAL TABLE [{name}] USING fts5(caption, text, tags, content='', "
        "tokenize='unicode61 remove_diacritics 0')",
        f"INSERT INTO [{name}]([{name}], rank) VALUES('rank', 'bm25(3.0, 1.0, 0.0)')",
    )


FTS_SQL = (
    *word_index_sql(),
    f"CREATE VIRTUAL TABLE [{FTS_TRIGRAM}] USING fts5(caption, text, content='texts', "
    "content_rowid='id', tokenize='trigram')",
    f"INSERT INTO [{FTS_TRIGRAM}]([{FTS_TRIGRAM}], rank) VALUES('rank', 'bm25(3.0, 1.0)')",
)
FTS_REBUILD = (f"INSERT INTO [{FTS_TRIGRAM}]([{FTS_TRIGRAM}]) VALUES('rebuild')",)


_SQL_TYPES = {str: "TEXT", int: "INTEGER", float: "FLOAT", bytes: "BLOB"}


def create_schema(db: sqlite_utils.Database) -> None:
    """Create every table, index and full-text table in an empty database."""
    for table in TABLES:
        if table.view:
            continue
        stored = {n: c.type for n, c in table.columns.items() if n not in table.generated}
        db[table.name].create(  # type: ignore[union-attr]
            stored, pk=table.pk, foreign_keys=table.foreign_keys, not_null=set(table.not_null)
        )
        for name, expr in table.generated.items():
            db.execute(
                f"ALTER TABLE [{table.name}] ADD COLUMN [{name}] "
                f"{_SQL_TYPES[table.columns[name].type]} GENERATED ALWAYS AS ({expr}) VIRTUAL"
            )
        for columns in table.indexes:
            db[table.name].create_index(list(columns))  # type: ignore[union-attr]
        for column in table.unique:
            db[table.name].create_index([column], unique=True)  # type: ignore[union-attr]
        for columns in table.sparse_indexes:
            db.execute(
                f"CREATE INDEX [idx_{table.name}_{'_'.join(columns)}] ON [{table.name}] "
                f"({', '.join(columns)}) WHERE {' AND '.join(f'{c} IS NOT NULL' for c in columns)}"
            )
    for table in TABLES:
        if table.view:
            db.execute(table.view)
    for sql in FTS_SQL:
        db.execute(sql)


def datasette_tables() -> dict[str, dict[str, object]]:
    """Table and column descriptions in Datasette's metadata shape."""
    return {
        t.name: {
            "description": t.description,
            "columns": {name: col.description for name, col in t.columns.items()},
        }
        for t in TABLES
    }


def markdown() -> str:
    """The schema as Markdown (docs/database.md embeds it)."""
    out: list[str] = []
    for t in TABLES:
        out.append(f"### `{t.name}`\n\n{t.description}\n")
        out.append("| column | type | description |\n|---|---|---|")
        fks = {col: f"{table}.{other}" for col, table, other in t.foreign_keys}
        keys = (t.pk,) if isinstance(t.pk, str) else t.pk
        for name, col in t.columns.items():
            extra = " **primary key**" if name in keys else ""
            if name in t.generated:
                extra += f" (generated: `{t.generated[name]}`)"
            if name in fks:
                extra += f" → `{fks[name]}`"
            out.append(f"| `{name}` | {col.type.__name__} | {col.description}{extra} |")
        if t.indexes or t.unique or t.sparse_indexes:
            idx = ", ".join("(" + ", ".join(i) + ")" for i in t.indexes)
            idx += "".join(f", unique ({u})" for u in t.unique)
            idx += "".join(f", ({', '.join(i)}) where not null" for i in t.sparse_indexes)
            out.append(f"\nIndexes: {idx.removeprefix(', ')}")
        out.append("")
    return "\n".join(out)
