"""``yakkan search``: full-text (default), semantic or hybrid search over the knowledge base."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import click

from versions.kb import embeddings, semantic
from versions.kb import search as fts
from versions.kb.build import DEFAULT_DB

MARK = ("【", "】")


def _open(db: Path) -> sqlite3.Connection:
    if not db.is_file():
        click.echo(
            f"yakkan search: {db}: no knowledge base here; run `yakkan build` first", err=True
        )
        raise SystemExit(1)
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        conn.execute("select count(*) from nodes").fetchone()
    except sqlite3.Error as exc:
        click.echo(f"yakkan search: {db}: not a yakkan knowledge base ({exc})", err=True)
        raise SystemExit(1) from None
    return conn


def _check_doc(conn: sqlite3.Connection, doc: str | None) -> None:
    if doc and not conn.execute("select 1 from documents where id = ?", [doc]).fetchone():
        known = ", ".join(r[0] for r in conn.execute("select id from documents order by id"))
        click.echo(f"yakkan search: no document {doc!r} (documents: {known})", err=True)
        raise SystemExit(2)


def run(
    conn: sqlite3.Connection, mode: str, query: str, doc: str | None, limit: int, **kw: Any
) -> list[fts.Hit]:
    """The hits of one search; semantic problems exit 2 with the reason."""
    if mode == "fulltext":
        return fts.fulltext(conn, query, doc=doc, limit=limit, **kw)
    find = semantic.semantic if mode == "semantic" else semantic.hybrid
    try:
        return find(conn, query, doc=doc, limit=limit, model=kw.get("model"))
    except (semantic.NoVectors, embeddings.BackendMissing) as exc:
        click.echo(f"yakkan search --{mode}: {exc}", err=True)
        click.echo(
            "yakkan search: full-text search still works (leave out --" + mode + ")", err=True
        )
        raise SystemExit(2) from None


def as_json(hit: fts.Hit, rank: int) -> dict[str, Any]:
    return {
        "rank": rank,
        "key": hit.key,
        "doc_id": hit.doc_id,
        "version_id": hit.version_id,
        "node_id": hit.node_id,
        "kind": hit.kind,
        "label": hit.label,
        "caption": hit.caption,
        "path": hit.path,
        "score": round(hit.score, 4),
        "snippet": hit.snippet(mark=MARK),
        "text": hit.text,
    }


@click.command()
@click.argument("query")
@click.option("--semantic", "mode", flag_value="semantic", help="Nearest clauses by meaning.")
@click.option("--hybrid", "mode", flag_value="hybrid", help="Full-text and semantic ranks fused.")
@click.option("--fulltext", "mode", flag_value="fulltext", default=True, hidden=True)
@click.option("--doc", metavar="ID", help="Only this document (documents.id).")
@click.option("--chapter", metavar="NODE", help="Only this chapter, e.g. chp_3 (full-text).")
@click.option("--kind", metavar="KIND", help="Only this node kind, e.g. article (full-text).")
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_DB,
    show_default="yakkan.db",
    help="The knowledge base (yakkan build).",
)
@click.option("--model", help="Embedding model for the query (default: the one the vectors used).")
def search_cmd(
    query: str,
    mode: str,
    doc: str | None,
    chapter: str | None,
    kind: str | None,
    limit: int,
    fmt: str,
    db: Path,
    model: str | None,
) -> None:
    """Search clauses of the latest versions: full text (default), --semantic or --hybrid.

    Full text matches Japanese words of any length with spelling variants folded
    (申込 = 申し込み); --semantic finds clauses by meaning, for questions in your own words
    (needs the embeddings made by `yakkan build`, docs/semantic.md); --hybrid fuses both.

    \b
    Examples:
        yakkan search 解約
        yakkan search "料金を払い忘れたらどうなる？" --hybrid
        yakkan search "解約したいときはどうすればいい？" --semantic --doc toreru-camera
        yakkan search 延滞利息 --limit 5 --format json
    """
    if not query.strip():
        click.echo("yakkan search: empty query", err=True)
        raise SystemExit(2)
    if mode != "fulltext" and (chapter or kind):
        click.echo(
            f"yakkan search: --chapter and --kind work with full-text search, not --{mode}",
            err=True,
        )
        raise SystemExit(2)
    conn = _open(db)
    try:
        _check_doc(conn, doc)
        extra: dict[str, Any] = {"model": model} if mode != "fulltext" else {}
        if mode == "fulltext":
            extra.update(chapter=chapter, kind=kind)
        hits = run(conn, mode, query, doc, limit, **extra)
    finally:
        conn.close()
    if fmt == "json":
        hits_json = [as_json(h, i) for i, h in enumerate(hits, start=1)]
        out = {"query": query, "mode": mode, "doc": doc, "hits": hits_json}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo(f"no clauses found for 「{query}」")
        return
    for i, h in enumerate(hits, start=1):
        click.echo(f"{i:>2}. {h.key}  ({h.score:.3f})")
        click.echo(f"    {h.path}")
        click.echo(f"    {h.snippet(mark=MARK)}")


search = search_cmd
