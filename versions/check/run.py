"""The check itself, on parsed documents: the one function `yakkan check` and `yakkan build` share.

``check_parsed`` takes every document to check (already parsed, with the version before it for
stale references) and the latest version of every corpus document (for references naming
another document), and returns each document's problems. `yakkan check` feeds it files it
parses; `yakkan build` feeds it the parses stored in the knowledge base, so the build summary's
counts are `yakkan check --corpus`'s counts (``corpus_subjects`` pairs the versions the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from extract.model import ParsedDocument
from versions.check.crossdoc import resolve_across
from versions.check.problems import CheckedDocument, Problem, collect_problems, stale_problems
from versions.history.align import Alignment
from versions.sources.corpus import DocumentEntry, VersionEntry


@dataclass
class Subject:
    """One document version to check, parsed (or ``error``: why it could not be read)."""

    shown: str  # the file as shown to the user
    key: str  # the document in fingerprints: DOC@DATE for corpus versions, else ``shown``
    doc: ParsedDocument | None
    doc_id: str | None = None  # the corpus document, for cross-document references
    error: str | None = None
    previous: ParsedDocument | None = None  # the version before it: stale references
    since: str | None = None  # how to name that version in messages


def resolve_cross_document(
    docs: Iterable[tuple[str, ParsedDocument]],
    latest: Mapping[str, ParsedDocument],
    titles: Mapping[str, str],
) -> None:
    """Resolve references naming another corpus document (in place), against its latest version.

    The other documents are passed without their references, so that only each document's own
    external references are examined each time.
    """
    pending = [(k, d) for k, d in docs if any(r.kind == "external" for r in d.references)]
    if not pending:
        return
    quiet = {k: replace(v, references=[]) for k, v in latest.items()}
    for key, doc in pending:
        group = {k: v for k, v in quiet.items() if k != key}
        group[key] = doc
        names = {k: v for k, v in titles.items() if k != key}
        names[key] = titles.get(key) or doc.title
        resolve_across(group, names)


def check_parsed(
    subjects: list[Subject],
    latest: Mapping[str, ParsedDocument],
    titles: Mapping[str, str],
    aligned: Callable[[Subject], Alignment | None] | None = None,
) -> list[CheckedDocument]:
    """Every subject's problems (cross-document references resolved first), in input order.
    ``aligned``: a subject's alignment with its previous version when already made (the build's
    stored ones); else each pair is aligned here."""
    readable = [(s.doc_id or s.shown, s.doc) for s in subjects if s.doc and not s.error]
    resolve_cross_document(readable, latest, titles)
    out: list[CheckedDocument] = []
    for s in subjects:
        if s.doc is None or s.error:
            out.append(CheckedDocument(s.shown, s.shown, error=s.error))
            continue
        late: list[Problem] = []
        if s.previous is not None:
            made = aligned(s) if aligned else None
            late = stale_problems(s.previous, s.doc, s.shown, s.key, s.since or "before", made)
        out.append(CheckedDocument(s.shown, s.key, collect_problems(s.doc, s.shown, s.key, late)))
    return out


def corpus_subjects(
    documents: Iterable[DocumentEntry],
    parsed: Mapping[str, ParsedDocument],
    shown: Callable[[VersionEntry], str],
) -> list[Subject]:
    """Every corpus version as `check --corpus` checks it: each against the one before it."""
    subjects: list[Subject] = []
    for entry in documents:
        before: VersionEntry | None = None
        for v in entry.versions:
            prev = parsed.get(before.key) if before else None
            error = None if v.key in parsed else f"{shown(v)}: not parsed"
            since = before.key if before and prev else None
            doc = parsed.get(v.key)
            subjects.append(Subject(shown(v), v.key, doc, v.doc_id, error, prev, since))
            before = v
    return subjects
