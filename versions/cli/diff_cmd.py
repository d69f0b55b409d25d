"""``yakkan diff OLD NEW``: the 新旧対照表 between two versions (or two sibling documents)."""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

import click

from extract.errors import InputError
from versions.cli.options import corpus_option
from versions.sources.corpus import CorpusError
from versions.sources.loaded import LoadedVersion

EXIT_BAD_INPUT = 2
BINARY = ("xlsx", "docx")


@click.command("diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["md", "json", "html", "xlsx", "docx"]),
    default="md",
    show_default=True,
    help="md/html: the table; xlsx/docx: files legal circulates; json: every change for machines.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE.")
@click.option(
    "--old-first", is_flag=True, help="Put 改正前 in the left column (default 改正後 | 改正前)."
)
@corpus_option("Corpus folder for DOC@DATE specs.")
def diff(old: str, new: str, fmt: str, output: str | None, old_first: bool, corpus: Path) -> None:
    """Compare two versions clause by clause: a 新旧対照表 with the changed words underlined.

    OLD and NEW are files, or corpus versions: DOC@DATE (the version in force on DATE) or DOC
    (the latest). Clauses are aligned by identity (renumbered, moved, split and merged clauses
    are followed); unchanged clauses are omitted and shown as （略）. Two different documents
    written on one template can be compared the same way. A row whose clause changed a period,
    amount, rate, date or duty carries a note (「※ 事実の変更: 期間 10日前まで → 30日前まで」);
    JSON lists them as fact_changes.

    \b
    Examples:
        yakkan diff toreru-camera@2023-12-01 toreru-camera@2024-10-01
        yakkan diff kojin-joho-hogo-ho@2015-12-01 kojin-joho-hogo-ho@2025-06-01 --format json
        yakkan diff gigaraku-wifi-ap@2025-10-31 gigaraku-wifi-ap -f xlsx -o taiyo.xlsx
        yakkan diff a.txt b.txt --format html --old-first > taiyo.html
    """
    from versions.history import taiyo
    from versions.history.diff import compare
    from versions.sources.loaded import open_version

    try:
        a, b = open_version(old, corpus), open_version(new, corpus)
    except (InputError, CorpusError) as exc:
        click.echo(f"yakkan: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if a.entry and b.entry and a.entry.doc_id == b.entry.doc_id and _newer(a, b):
        click.echo(
            f"yakkan: warning: {old} ({a.effective}) is newer than {new} ({b.effective}); "
            f"showing {b.key} as 改正前 and {a.key} as 改正後",
            err=True,
        )
        a, b = b, a
    try:
        cmp = compare(a.parsed, b.parsed)
    except Exception as exc:  # an alignment bug must not print a traceback at users
        if os.environ.get("YAKKAN_DEBUG"):
            raise
        click.echo(f"yakkan: internal error comparing {old} and {new}: {exc!r}", err=True)
        sys.exit(1)
    title = _title(a, b, corpus)
    data = taiyo.render(cmp, fmt, old_first, title, {"old": a.meta(), "new": b.meta()})
    if output:
        try:
            write_regular(output, data)
        except OSError as exc:
            click.echo(f"yakkan: {output}: cannot write: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        click.echo(f"wrote {output} ({len(cmp.changes)} changes)", err=True)
    elif fmt in BINARY and sys.stdout.isatty():
        click.echo(f"yakkan: --format {fmt} is a binary file; give --output FILE", err=True)
        sys.exit(EXIT_BAD_INPUT)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _newer(a: LoadedVersion, b: LoadedVersion) -> bool:
    """True when ``a`` took effect after ``b`` (a reversed pair)."""
    return bool(a.effective and b.effective and a.effective > b.effective)


def _title(a: LoadedVersion, b: LoadedVersion, corpus: Path) -> str:
    """「クラウド型カメラとれ～る」利用規約 2023-12-01 → 2024-10-01, from the corpus metadata."""
    from versions.sources.corpus import open_document

    if a.entry and b.entry and a.entry.doc_id == b.entry.doc_id:
        try:
            name = open_document(corpus, a.entry.doc_id).title
        except CorpusError:
            name = a.entry.doc_id
        return f"{name}　{_when(a)} → {_when(b)}"
    return f"{a.parsed.title or a.key} → {b.parsed.title or b.key}"


def _when(v: LoadedVersion) -> str:
    label = v.entry.label if v.entry else None
    return f"{label}（{v.effective}）" if label else f"{v.effective or v.key}"


def write_regular(path: str, data: bytes) -> None:
    """Write ``data`` to the file ``path``, refusing a FIFO, device or socket ("not a regular
    file"): opened without blocking, so a FIFO nobody reads never holds the command."""
    with_reason = OSError(errno.EINVAL, "not a regular file")
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise with_reason
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK, 0o666)
    with os.fdopen(fd, "wb") as out:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # made a FIFO since: still not waited on
            raise with_reason
        out.truncate(0)
        out.write(data)
