"""``yakkan history DOC CLAUSE``: one clause across every version, following renumbering."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

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
@click.option(
    "--facts",
    "show_facts",
    is_flag=True,
    help="Also the clause's facts in each version: periods, amounts, rates, modality.",
)
@corpus_option()
def history(
    doc: str, clause: str, at: str | None, fmt: str, corpus: Path, show_facts: bool
) -> None:
    """The timeline of CLAUSE (an id such as art_17, or a label such as 第17条) across versions.

    The clause is followed through renumbering (個人情報保護法 第十五条 in 2015 is
    第十七条 in 2025), with how it changed in each version, the words changed, and the 附則
    that came with it.

    \b
    Examples:
        yakkan history kojin-joho-hogo-ho art_17
        yakkan history toreru-camera art_20 --format json
        yakkan history toreru-camera art_44 --at 2021-05-11
        yakkan history toreru-camera 第20条 --facts      # 10日前まで → 5営業日前まで
    """
    from versions.history.timeline import clause_history
    from versions.sources.corpus import open_document

    try:
        steps = clause_history(open_document(corpus, doc), clause, at)
    except (InputError, CorpusError) as exc:
        click.echo(f"yakkan: {exc}", err=True)
        sys.exit(2)
    facts = [_facts(s) if show_facts else [] for s in steps]
    if fmt == "json":
        timeline = [s.to_json() for s in steps]
        if show_facts:
            for step, found in zip(timeline, facts, strict=True):
                step["facts"] = [f.to_json() for f in found]
        out = {"doc": doc, "clause": clause, "timeline": timeline}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for s, found in zip(steps, facts, strict=True):
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
        if found:
            from versions.history.facts import describe

            click.echo("    facts: " + "; ".join(describe(f) for f in found))


def _facts(step: Any) -> list[Any]:
    from versions.history.facts import clause_facts
    from versions.sources.loaded import parse_entry

    if not step.node_id:
        return []
    return clause_facts(parse_entry(step.version), step.node_id)


def _one(text: str, limit: int = 60) -> str:
    t = " ".join(text.split())
    return t if len(t) <= limit else t[: limit - 1] + "…"
