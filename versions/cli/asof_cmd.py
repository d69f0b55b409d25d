"""``yakkan asof DOC DATE``: the version in force on a date and the text as it stood."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from extract.errors import InputError
from extract.model import Node
from versions.cli.options import corpus_option
from versions.sources.corpus import CorpusError

EXIT_NOT_IN_FORCE = 1
EXIT_BAD_INPUT = 2


@click.command("asof")
@click.argument("doc", metavar="DOC")
@click.argument("date", metavar="DATE")
@click.option("--clause", help="One clause: an id (art_20, art_20__para_2) or a label (第20条).")
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@corpus_option()
def asof(doc: str, date: str, clause: str | None, fmt: str, corpus: Path) -> None:
    """Show DOC as it stood on DATE (YYYY-MM-DD), honouring per-clause effective dates.

    A 附則 that gives one provision a later date (「第20条の改正規定は…から実施」) keeps that
    provision's previous text in force until then; it is shown with where it came from.
    A DATE before the first known version exits with status 1 and says so.

    \b
    Examples:
        yakkan asof toreru-camera 2021-05-14 --clause art_20
        yakkan asof toreru-camera 2024-12-01 --clause 第43条 --format json
        yakkan asof kojin-joho-hogo-ho 2016-01-01
    """
    from versions.history.asof import BeforeFirstVersion, as_of
    from versions.sources.corpus import open_document

    if not _is_date(date):
        click.echo(f"yakkan: {date!r} is not a date (use YYYY-MM-DD)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        result = as_of(open_document(corpus, doc), date, clause)
    except BeforeFirstVersion as exc:
        click.echo(f"yakkan: {exc}", err=True)
        sys.exit(EXIT_NOT_IN_FORCE)
    except (InputError, CorpusError) as exc:
        click.echo(f"yakkan: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    v = result.version
    from versions.history.diff import heading
    from versions.sources.loaded import parse_entry

    shown = {key: parse_entry(e) for e in open_document(corpus, doc).versions if (key := e.key)}
    labels = [_printed(heading(shown[s.from_version], s.node.id), s.node) for s in result.clauses]
    uncertain = result.uncertain.to_json() if result.uncertain else None
    if fmt == "json":
        data = {
            "doc": doc,
            "date": date,
            "version": {
                "id": v.key,
                "effective": v.effective,
                "label": v.label,
                "constructed": v.constructed,
            },
            "clause": clause,
            "renumbered": result.renumbered,
            "uncertain": uncertain,
            "pending": [{"target": t, "effective": d} for t, d in result.pending.items()],
            "nodes": [
                {
                    "id": s.node.id,
                    "kind": s.node.kind,
                    "display_label": label,
                    "label": s.node.label,
                    "caption": s.node.caption,
                    "text": s.node.text,
                    "from_version": s.from_version,
                    "pending_until": s.pending,
                }
                for s, label in zip(result.clauses, labels, strict=True)
            ],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    made = " (constructed example)" if v.constructed else ""
    click.echo(f"{doc} on {date}: version {v.key} (effective {v.effective}){made}")
    if result.uncertain:
        frm, to = result.uncertain.window
        click.echo(f"  UNCERTAIN between {frm} and {to}: {result.uncertain.reason}")
    if result.renumbered:
        click.echo(f"  note: {result.renumbered}")
    for target, when in result.pending.items():
        click.echo(f"  note: the amendment of {target} takes effect only on {when}")
    for s, head in zip(result.clauses, labels, strict=True):
        n = s.node
        src = f"  [text of {s.from_version}, amended text from {s.pending}]" if s.pending else ""
        if s.pending and s.from_version == v.key:
            src = f"  [amended text takes effect on {s.pending}]"
        line = " ".join(x for x in (head, n.text.strip()) if x)
        click.echo(f"{line}{src}")


def _printed(label: str, node: Node) -> str:
    """The label legal reads; chapters and sections: 第一章 総則."""
    if label != node.id:
        return label
    own = "".join(node.label.split())
    return " ".join(x for x in (own, node.caption or "") if x) or node.id


def _is_date(text: str) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True
