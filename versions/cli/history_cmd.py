"""``yakkan history DOC CLAUSE``: one clause across every version, following renumbering."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from extract.errors import InputError
from versions.cli.options import corpus_option
from versions.sources.corpus import CorpusError


@click.command("history")
@click.argument("doc", metavar="DOC")
@click.argument("clause", metavar="CLAUSE")
@click.option("--at", help="Version (DOC@DATE) or date in which CLAUSE is named (default: newest).")
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@corpus_option()
def history(doc: str, clause: str, at: str | None, fmt: str, corpus: Path) -> None:
    """The timeline of CLAUSE (an id such as art_17, or a label such as 第17条) across versions.

    The clause is followed through renumbering (個人情報保護法 第十五条 in 2015 is
    第十七条 in 2025), with how it changed in each version, the words changed, and the 附則
    that came with it.

    \b
    Examples:
        yakkan history kojin-joho-hogo-ho art_17
        yakkan history toreru-camera art_20 --format json
        yakkan history toreru-camera art_44 --at 2021-05-11
    """
    from versions.history.timeline import clause_history
    from versions.sources.corpus import load_document

    try:
        if not (corpus / doc / "document.toml").is_file():
            raise CorpusError(f"{doc}: no document {doc!r} in {corpus}")
        steps = clause_history(load_document(corpus / doc), clause, at)
    except (InputError, CorpusError) as exc:
        click.echo(f"yakkan: {exc}", err=True)
        sys.exit(2)
    if fmt == "json":
        out = {"doc": doc, "clause": clause, "timeline": [s.to_json() for s in steps]}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for s in steps:
        made = " (constructed)" if s.version.constructed else ""
        where = f"{s.node_id} {s.label}" if s.node_id else "—"
        click.echo(f"{s.version.effective or s.version.key}{made}  {s.change:<10}  {where}")
        if s.clause_effective:
            click.echo(f"    this clause's amendment takes effect on {s.clause_effective}")
        for e in s.edits:
            if e.op != "equal":
                click.echo(f"    {e.op}: 「{_one(e.old)}」 → 「{_one(e.new)}」")
        for ev in s.events[:5]:
            when = f" (effective {ev['effective']})" if ev.get("effective") else ""
            click.echo(f"    附則: {_one(ev['heading'])}{when}")
        if len(s.events) > 5:
            click.echo(f"    … and {len(s.events) - 5} more 附則")


def _one(text: str, limit: int = 60) -> str:
    t = " ".join(text.split())
    return t if len(t) <= limit else t[: limit - 1] + "…"
