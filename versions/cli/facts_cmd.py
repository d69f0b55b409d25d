"""``yakkan facts VERSION``: every obligation, prohibition, permission and disclaimer with its
party, and every period, deadline, amount, rate and date of one document version."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from extract.errors import InputError
from versions.cli.options import corpus_option
from versions.sources.corpus import CorpusError

KINDS = ("obligation", "prohibition", "permission", "disclaimer",
         "period", "deadline", "amount", "rate", "date")  # fmt: skip


@click.command("facts")
@click.argument("version", metavar="PATH|DOC[@DATE]")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="Only these kinds.")
@click.option("--party", help="Only facts whose party contains this text (契約者, 当社, 甲).")
@click.option(
    "--role", type=click.Choice(["customer", "provider", "authority"]), help="Only this side."
)
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@corpus_option()
def facts(
    version: str,
    kinds: tuple[str, ...],
    party: str | None,
    role: str | None,
    fmt: str,
    corpus: Path,
) -> None:
    """The clause facts of a version (docs/facts.md), in document order.

    \b
    Examples:
        yakkan facts gigaraku-wifi-ap --kind period            # every period (10日前まで: P10D)
        yakkan facts toreru-camera@2024-10-01 --kind disclaimer
        yakkan facts itkeeper-remote-network --role customer --kind obligation
        yakkan facts corpus/vectant-closed-ip-smart/2017-07-17.md --kind rate --format json
    """
    from extract.facts import document_facts
    from extract.facts import role as role_of
    from versions.history.diff import heading
    from versions.sources.loaded import open_version

    try:
        loaded = open_version(version, corpus)
    except (InputError, CorpusError) as exc:
        click.echo(f"yakkan: {exc}", err=True)
        sys.exit(2)
    doc = loaded.parsed
    found = [
        f
        for f in document_facts(doc)
        if (not kinds or f.kind in kinds)
        and (party is None or party in f.party)
        and (role is None or role in role_of(f.party).split("+"))
    ]
    if fmt == "json":
        rows = [
            {**f.to_json(), "party_role": role_of(f.party), "label": heading(doc, f.node)}
            for f in found
        ]
        click.echo(json.dumps({"version": loaded.key, "facts": rows}, ensure_ascii=False, indent=2))
        return
    for f in found:
        norm = " ".join(x for x in (f.value, f.unit) if x)
        who = f"  [{f.party}]" if f.party else ""
        click.echo(f"{heading(doc, f.node)}  {f.kind}  {norm}  「{f.surface}」{who}")
    if not found:
        click.echo("no facts", err=True)
