"""``yakkan check``: reference and structure problems of documents, for people and for CI."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import click

from extract.errors import InputError
from extract.model import ParsedDocument
from versions.check.baseline import BaselineError, apply_baseline, read_baseline, write_baseline
from versions.check.problems import LEVELS, CheckedDocument, hidden
from versions.check.reports import FORMATS, Report, render
from versions.check.rules import RULES
from versions.check.run import Subject, check_parsed
from versions.sources.corpus import (
    DEFAULT_CORPUS,
    CorpusError,
    VersionEntry,
    find_version,
    is_document,
    load_corpus,
    load_document,
    open_document,
)
from versions.sources.files import read_document, spec_path

EXIT_BAD_INPUT = 2


@dataclass
class Target:
    """One document version to check: where it is, how to show it, how to read it."""

    path: Path
    shown: str
    fmt: str | None = None
    doc_id: str | None = None
    label: str | None = None  # DOC@DATE for corpus versions
    previous: Target | None = None  # the version before it: stale references are looked for


@click.command("check")
@click.argument("paths", nargs=-1, metavar="[PATH|DOC[@DATE]]...")
@click.option("--corpus", "use_corpus", is_flag=True, help="Check every version in the corpus.")
@click.option(
    "--corpus-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CORPUS,
    show_default="the repository's corpus/",
    help="Corpus folder used by --corpus and DOC[@DATE] arguments.",
)
@click.option(
    "--format",
    "-f",
    "output",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: file:line:col: status: message; json; github (workflow annotations); "
    "sarif (code scanning); junit (CI dashboards).",
)
@click.option(
    "--fail-on",
    type=click.Choice(LEVELS),
    default="error",
    show_default=True,
    help="Exit 1 when a new problem at or above this level is found.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Accept the problems listed in this file (written by --write-baseline); "
    "report and fail only on new ones.",
)
@click.option(
    "--previous",
    metavar="PATH|DOC@DATE",
    help="The version before the (one) document checked, for stale references; corpus "
    "versions use the version before them by default.",
)
@click.option(
    "--stale/--no-stale",
    default=True,
    show_default=True,
    help="Report references an amendment left on a renumbered or deleted clause.",
)
@click.option(
    "--min-level",
    type=click.Choice(LEVELS),
    default="info",
    show_default=True,
    help="Report only problems at or above this level (e.g. warning: no notes).",
)
@click.option(
    "--hide",
    metavar="LEVEL|KIND",
    multiple=True,
    help="Do not report problems of this level (info, warning, error) or kind "
    "(unresolved-effective-date, ambiguous …; see docs/check.md); repeat or separate with "
    "commas. Hidden problems are not reported, written to a baseline, or failed on.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root: github and sarif paths are relative to it "
    "[default: the git top level of the working directory, else the working directory].",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write today's problems to this file, accepting them; exits 0 unless input is unusable.",
)
def check(
    paths: tuple[str, ...],
    use_corpus: bool,
    corpus_dir: Path,
    output: str,
    fail_on: str,
    baseline: Path | None,
    write_baseline: Path | None,
    previous: str | None,
    stale: bool,
    min_level: str,
    hide: tuple[str, ...],
    root: Path | None,
) -> None:
    """Check cross-references, captions and structure of terms documents.

    Prints each problem as FILE:LINE:COL: STATUS: MESSAGE. Statuses: broken and
    caption_mismatch (error), ambiguous and out_of_range (warning), stale (error: a citation
    an amendment left on a renumbered or deleted clause while the citing clause itself was
    not edited), historical (info: a statute 附則 citing the law as it stood then), and the
    parser's and 附則 reader's diagnostics at their own level.

    Problems are printed errors first, then warnings, then notes (info), each by file and line;
    --min-level and --hide leave out what you do not want to see (docs/check.md lists every
    kind of problem, with examples and fixes).

    Exit status: 0 clean, 1 new problems at or above --fail-on, 2 unusable input
    (missing, empty, binary or undecodable file, unknown corpus document).

    \b
    Examples:
        yakkan check corpus/toreru-camera/2023-12-01.txt
        yakkan check --corpus --format github        # annotations in GitHub Actions
        yakkan check --corpus --min-level warning    # no notes (statute 附則 dates …)
        yakkan check --corpus --hide info,ambiguous
        yakkan check --corpus --format sarif > yakkan.sarif
        yakkan check --corpus --write-baseline .yakkan-baseline.json
        yakkan check --corpus --baseline .yakkan-baseline.json --fail-on warning
        yakkan check new-terms.txt --previous toreru-camera@2023-12-01
    """
    if not paths and not use_corpus:
        raise click.UsageError("give one or more PATHs (or DOC[@DATE]), or --corpus")
    hidden_kinds = _hide_values(hide)
    try:
        targets = _targets(paths, use_corpus, corpus_dir)
        if previous:
            if len(targets) != 1:
                raise click.UsageError("--previous needs exactly one document to check")
            targets[0].previous = _target(previous, corpus_dir)
        accepted = read_baseline(baseline) if baseline else None
    except (CorpusError, BaselineError, InputError) as exc:
        _fail(str(exc))
    if not stale:
        for t in targets:
            t.previous = None
    documents = _check_all(targets, corpus_dir, progress=use_corpus)
    top = repository_root(root)
    for d, t in zip(documents, targets, strict=True):
        d.uri = repository_path(t.path, top)
    report = Report(documents, fail_on=fail_on, baseline_used=accepted is not None)
    report.baseline_name = baseline.name if baseline else None
    report.root_uri = top.resolve().as_uri() + "/"
    if accepted is not None:
        apply_baseline(report.problems, accepted)
    report.hidden = _drop_hidden(documents, min_level, hidden_kinds)
    if write_baseline:
        try:
            n = write_baseline_file(write_baseline, report)
        except BaselineError as exc:
            _fail(str(exc))
        click.echo(f"yakkan: wrote {n} known problem(s) to {write_baseline}", err=True)
    click.echo(render(report, output), nl=False)
    for d in report.unusable:
        click.echo(f"yakkan: {d.error}", err=True)
    click.echo(f"yakkan check: {report.summary()}", err=True)
    sys.exit(report.exit_code)


def write_baseline_file(path: Path, report: Report) -> int:
    n = write_baseline(path, report.problems)
    for p in report.problems:
        p.baselined = True
    report.baseline_used = True
    return n


def _hide_values(values: tuple[str, ...]) -> frozenset[str]:
    """--hide values (repeated or comma-separated), each a level or a known problem kind."""
    out = frozenset(v.strip() for value in values for v in value.split(",") if v.strip())
    unknown = sorted(v for v in out if v not in LEVELS and v not in RULES)
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)}: not a level ({', '.join(LEVELS)}) or a problem kind "
            "(docs/check.md lists them)",
            param_hint="--hide",
        )
    return out


def _drop_hidden(documents: list[CheckedDocument], min_level: str, hide: frozenset[str]) -> int:
    """Remove the problems the user chose not to see; returns how many."""
    n = 0
    for d in documents:
        kept = [p for p in d.problems if not hidden(p, min_level, hide)]
        n += len(d.problems) - len(kept)
        d.problems = kept
    return n


def repository_root(given: Path | None) -> Path:
    """--root, else the git top level of the working directory, else the working directory."""
    if given is not None:
        return given
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        top = ""
    return Path(top) if top else Path.cwd()


def repository_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (POSIX), or its absolute file URI when outside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def _fail(message: str) -> None:
    click.echo(f"yakkan: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


# --- what to check ------------------------------------------------------------------------------


def shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it (stable in CI logs)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _targets(paths: tuple[str, ...], use_corpus: bool, corpus_dir: Path) -> list[Target]:
    targets: list[Target] = []
    if use_corpus:
        for doc in load_corpus(corpus_dir):
            before: Target | None = None
            for v in doc.versions:
                t = _version_target(v)
                t.previous, before = before, _version_target(v)
                targets.append(t)
    seen = {t.path.resolve() for t in targets if t.path.is_file()}
    for spec in paths:
        t = _target(spec, corpus_dir)
        if t.path.is_file() and t.path.resolve() in seen:
            continue  # the same version named twice (or also part of --corpus): check it once
        seen.add(t.path.resolve())
        targets.append(t)
    return targets


def _target(spec: str, corpus_dir: Path) -> Target:
    """A file path, or ``DOC`` / ``DOC@DATE`` from the corpus; anything else is left to fail."""
    path = spec_path(spec)
    doc_id = spec.partition("@")[0]
    looks_like_doc = doc_id and "/" not in doc_id and os.sep not in doc_id
    if not path.exists() and looks_like_doc and is_document(corpus_dir, doc_id):
        return _with_previous(find_version(spec, corpus_dir), corpus_dir)
    owner = _corpus_version(path, corpus_dir) if path.is_file() else None
    if owner is not None:  # a corpus file given by its path: the same as DOC@DATE
        return _with_previous(owner, corpus_dir)
    return Target(path, shown_path(path))


def _version_target(v: VersionEntry) -> Target:
    return Target(v.file, shown_path(v.file), v.format, v.doc_id, v.key)


def _with_previous(v: VersionEntry, corpus_dir: Path) -> Target:
    t = _version_target(v)
    versions = list(open_document(corpus_dir, v.doc_id).versions)
    at = next((i for i, o in enumerate(versions) if o.file.resolve() == v.file.resolve()), 0)
    t.previous = _version_target(versions[at - 1]) if at > 0 else None
    return t


def _corpus_version(path: Path, corpus_dir: Path) -> VersionEntry | None:
    """The corpus version stored at ``path``, if it is one."""
    folder = path.resolve().parent
    if folder.parent != corpus_dir.resolve() or not (folder / "document.toml").is_file():
        return None
    try:
        doc = load_document(folder)
    except CorpusError:
        return None
    return next((v for v in doc.versions if v.file.resolve() == path.resolve()), None)


# --- checking ----------------------------------------------------------------------------------


def _check_all(targets: list[Target], corpus_dir: Path, progress: bool) -> list[CheckedDocument]:
    subjects: list[Subject] = []
    with click.progressbar(
        targets,
        label="Checking",
        file=sys.stderr,
        hidden=not progress,
        item_show_func=lambda t: t.shown if t else None,
    ) as bar:
        for t in bar:
            subjects.append(_subject(t))
    latest, titles = corpus_latest(corpus_dir) if subjects else ({}, {})
    return check_parsed(subjects, latest, titles)


def corpus_latest(corpus_dir: Path) -> tuple[dict[str, ParsedDocument], dict[str, str]]:
    """The latest version of every corpus document (unreadable ones left out), and titles."""
    latest: dict[str, ParsedDocument] = {}
    titles: dict[str, str] = {}
    try:
        entries = load_corpus(corpus_dir)
    except CorpusError:
        return latest, titles
    for entry in entries:
        v = entry.latest()
        try:
            latest[entry.id] = read_cached(v.file, v.format)
        except InputError:
            continue
        titles[entry.id] = entry.title
    return latest, titles


def read_cached(path: Path, fmt: str | None) -> ParsedDocument:
    """``read_document``, parsed once per process for an unchanged file (refs, check share it)."""
    try:
        st = path.stat()
    except OSError:
        return read_document(path, fmt)  # raises the InputError with the reason
    return _parse_once(str(path.resolve()), st.st_mtime_ns, st.st_size, fmt)


@lru_cache(maxsize=64)
def _parse_once(path: str, _mtime: int, _size: int, fmt: str | None) -> ParsedDocument:
    return read_document(Path(path), fmt)


def _subject(t: Target) -> Subject:
    doc, error = _read(t)
    subject = Subject(t.shown, _key(t), doc, t.doc_id, error)
    if doc is not None and t.previous is not None:
        try:
            subject.previous = read_cached(t.previous.path, t.previous.fmt)
        except InputError as exc:
            subject.error = f"--previous {exc}"
        subject.since = t.previous.label or t.previous.shown
    return subject


def _read(t: Target) -> tuple[ParsedDocument | None, str | None]:
    try:
        return read_cached(t.path, t.fmt), None
    except InputError as exc:
        return None, f"{t.shown}: {exc.message}" + (f" (line {exc.line})" if exc.line else "")
    except Exception as exc:  # a parser bug must not print a traceback at users
        if os.environ.get("YAKKAN_DEBUG"):
            raise
        return None, f"{t.shown}: internal error while parsing ({type(exc).__name__}: {exc}); " \
            "set YAKKAN_DEBUG=1 and report it"  # fmt: skip


def _key(t: Target) -> str:
    """The document in fingerprints: DOC@DATE for corpus versions, so that a baseline does not
    depend on the directory it was written from; the shown path for other files."""
    return t.label or t.shown
