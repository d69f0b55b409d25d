"""``yakkan build``: turn corpus/ into the SQLite knowledge base."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from extract.errors import InputError
from versions.check.problems import level_counts
from versions.check.run import Subject, check_parsed, corpus_subjects
from versions.cli.check_cmd import shown_path
from versions.history.align import Alignment
from versions.kb import build as kb
from versions.kb.build import DEFAULT_DB, BuildBusy, BuildError, BuildResult
from versions.kb.stored_alignments import stored_alignment
from versions.sources.corpus import DEFAULT_CORPUS, CorpusError, load_corpus


@contextlib.contextmanager
def _bar(items: Sequence[Any], label: str) -> Iterator[Any]:
    with click.progressbar(items, label=label.ljust(9), file=sys.stderr, show_pos=True) as bar:
        yield bar


def run_build(
    corpus: Path,
    db: Path,
    force: bool = False,
    quiet: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
    wait: float | None = None,
) -> BuildResult:
    """Build, turning every user-facing error into a message and exit code 1."""
    from versions.kb.executor import executor_for

    executor = None
    try:
        executor = executor_for(scheduler, workers)
        if executor.name != "local" and not quiet:
            click.echo(f"yakkan build: tasks run on {executor.name}", err=True)
        bar = None if quiet else _bar
        result = kb.build(corpus, db, force=force, progress=bar, executor=executor, wait=wait)
        result.summary["check"] = check_counts(corpus, result.db)
        return result
    except BuildBusy:
        raise
    except (BuildError, InputError, CorpusError) as exc:
        click.echo(f"yakkan build: {exc}", err=True)
        click.echo(f"yakkan build: failed; {db} was left unchanged", err=True)
        raise SystemExit(1) from None
    except (OSError, sqlite3.Error) as exc:
        click.echo(f"yakkan build: {db}: {exc}", err=True)
        raise SystemExit(1) from None
    finally:
        if executor is not None:
            executor.close()


def check_counts(corpus: Path, db: Path) -> dict[str, int]:
    """Problems per level, as `yakkan check --corpus` finds them, on the parses just stored."""
    documents = load_corpus(corpus)
    parsed = kb.stored_parses(db, documents)
    titles = {d.id: d.title for d in documents if d.latest().key in parsed}
    latest = {d.id: parsed[d.latest().key] for d in documents if d.latest().key in parsed}
    subjects = corpus_subjects(documents, parsed, lambda v: shown_path(v.file))
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:

        def aligned(s: Subject) -> Alignment | None:  # the build's, not aligned again
            if s.previous is None or s.doc is None or s.since is None:
                return None
            return stored_alignment(conn, s.previous, s.doc, s.since, s.key)

        checked = check_parsed(subjects, latest, titles, aligned)
    return level_counts(p for d in checked for p in d.problems)


def problems(result: BuildResult) -> int:
    """Every problem `yakkan check --corpus` reports (errors, warnings and notes)."""
    return sum(result.summary["check"].values())


def describe(result: BuildResult) -> str:
    s = result.summary
    c = s["check"]
    head = "up to date" if result.up_to_date else f"built in {result.seconds:.1f} s"
    parsed = "" if result.up_to_date else f" ({s['parsed']} parsed, {s['reused']} unchanged)"
    total = problems(result)
    return (
        f"{result.db}: {head}\n"
        f"  {s['documents']} documents, {s['versions']} versions{parsed}\n"
        f"  {s['nodes']:,} clauses ({s['articles']:,} articles), {s['amendments']} amendments, "
        f"{s['definitions']} definitions\n"
        f"  {s['references']:,} references ({s['broken_references']} not resolved)\n"
        f"  {total} problems ({c['error']} errors, {c['warning']} warnings, {c['info']} notes), "
        "as `yakkan check --corpus` reports them"
    )


@click.command()
@click.option(
    "--corpus",
    "corpus",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_CORPUS,
    show_default="corpus/",
    help="Corpus folder: <doc-id>/document.toml + version files.",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_DB,
    show_default="yakkan.db",
    help="SQLite file to write (atomically replaced).",
)
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--no-wait", is_flag=True, help="Fail at once when another build of the database runs."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 512),
    help="Run parsing, alignment and embedding on a local Dask cluster of N processes.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run them on an existing Dask cluster (tcp://HOST:8786); see docs/scaling.md.",
)
def build_cmd(
    corpus: Path,
    db: Path,
    force: bool,
    fmt: str,
    quiet: bool,
    no_wait: bool,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Build the knowledge base (SQLite) from the corpus.

    Atomic: the new database is written beside the old one and swapped in when complete; a
    failed build names the file and line and leaves the old database untouched. Incremental:
    unchanged sources are not parsed again; when nothing changed the build is a no-op.
    One build per database at a time (lock file DB.lock): a second waits, or fails with
    --no-wait; a damaged database is rebuilt from the corpus.

    \b
    Examples:
        yakkan build
        yakkan build --corpus corpus --db /tmp/kb.db --format json
        yakkan build --force -q
        yakkan build --workers 2                       # a local Dask cluster
        yakkan build --scheduler tcp://scheduler:8786  # an existing one
    """
    if workers and scheduler:
        raise click.UsageError("give --workers or --scheduler, not both")
    quiet = quiet or fmt == "json"
    try:
        result = run_build(
            corpus,
            db,
            force,
            quiet,
            scheduler=scheduler,
            workers=workers,
            wait=0 if no_wait else None,
        )
    except BuildBusy as exc:
        click.echo(f"yakkan build: {exc}", err=True)
        raise SystemExit(1) from None
    if fmt == "json":
        out = {
            "db": str(result.db),
            "up_to_date": result.up_to_date,
            "seconds": round(result.seconds, 3),
            **result.summary,
            "problems": problems(result),
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(describe(result))


build = build_cmd
