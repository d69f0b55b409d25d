"""``yakkan import-git REPO PATH --doc ID``: every commit of a file becomes a corpus version."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from extract.errors import InputError
from versions.cli.options import corpus_option
from versions.sources.corpus import CorpusError


@click.command("import-git")
@click.argument("repo", type=click.Path(file_okay=False, path_type=Path))
@click.argument("path")
@click.option("--doc", "doc_id", required=True, help="Document id (the corpus folder name).")
@click.option("--title", help="Title for a new document.toml (default: the id).")
@corpus_option()
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def import_git(
    repo: Path, path: str, doc_id: str, title: str | None, corpus: Path, fmt: str
) -> None:
    """Import the git history of PATH (relative to REPO) as versions of document ID.

    Each commit that changed the file becomes one file in CORPUS/ID/, named by its effective
    date (the latest 附則 in the text, else the commit date), listed in document.toml with its
    commit_sha, commit_date, commit_author and commit_message. Running it again only adds
    commits that are new.

    \b
    Examples:
        yakkan import-git ~/terms-repo terms/service.md --doc my-service
        yakkan import-git . docs/kiyaku.txt --doc kiyaku --corpus /tmp/corpus
        yakkan import-git ~/terms-repo terms/service.md --doc my-service --format json
    """
    from versions.sources.git_history import import_versions

    try:
        result = import_versions(
            repo,
            path,
            doc_id,
            corpus,
            title,
            progress=lambda items: click.progressbar(items, label="Importing", file=sys.stderr),
        )
    except (InputError, CorpusError) as exc:
        click.echo(f"yakkan: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:  # a full disk, a read-only corpus folder
        click.echo(f"yakkan: {exc.filename or corpus / doc_id}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    if fmt == "json":
        added = [str(corpus / doc_id / name) for name in result.added]
        data = {"doc": doc_id, "added": added, "skipped": result.skipped}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    for name in result.added if fmt == "text" else ():
        click.echo(f"added {corpus / doc_id / name}")
    click.echo(
        f"{doc_id}: {len(result.added)} new version(s), {result.skipped} already imported",
        err=True,
    )
