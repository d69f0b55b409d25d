"""``yakkan search``: one search for words and questions (versions/kb/find.py), by article."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, NoReturn

import click

from versions.kb import embeddings, find, ranking, semantic
from versions.kb import search as fts
from versions.kb.build import DEFAULT_DB

MARK = ("【", "】")
FLAGS = {"fulltext": "--fulltext", "hybrid": "--hybrid", "semantic": "--semantic"}


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
        if "malformed" in str(exc):
            _damaged(db, exc)
        click.echo(f"yakkan search: {db}: not a yakkan knowledge base ({exc})", err=True)
        raise SystemExit(1) from None
    return conn


def _damaged(db: Path, exc: sqlite3.Error) -> NoReturn:
    click.echo(
        f"yakkan search: {db}: the knowledge base is damaged ({exc}); "
        "rebuild it with `yakkan build`",
        err=True,
    )
    raise SystemExit(1)


def _check_doc(conn: sqlite3.Connection, doc: str | None) -> None:
    if doc and not conn.execute("select 1 from documents where id = ?", [doc]).fetchone():
        known = ", ".join(r[0] for r in conn.execute("select id from documents order by id"))
        click.echo(f"yakkan search: no document {doc!r} (documents: {known})", err=True)
        raise SystemExit(2)


def run(conn: sqlite3.Connection, mode: str, query: str, **kw: Any) -> find.Result:
    """One search; a semantic mode asked for by name without embeddings exits 2."""
    try:
        return find.find(conn, query, mode, strict=True, **kw)
    except (semantic.NoVectors, embeddings.BackendMissing) as exc:
        click.echo(f"yakkan search --{mode}: {exc}", err=True)
        click.echo(
            "yakkan search: full-text search still works (leave out --" + mode + ")", err=True
        )
        raise SystemExit(2) from None


def as_json(group: ranking.Group, rank: int) -> dict[str, Any]:
    hit = group.best
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
        "score": round(group.score, 4),
        "snippet": hit.snippet(mark=MARK),
        "text": hit.text,
        "article": {
            "node_id": group.node_id,
            "label": group.label,
            "caption": group.caption,
            "heading": group.heading,
            "supplementary": group.supplementary,
        },
        "matches": [h.node_id for h in group.matches],
    }


def _summary(result: find.Result, doc: str | None) -> str:
    n = result.total
    where = f" in {doc}" if doc else ""
    count, clauses = result.total_label, result.clauses_label
    head = f"{count} article{'s' if n != 1 else ''} ({clauses} clauses) for 「{result.query}」"
    other = FLAGS.get(result.other or "")
    offer = f"; the other way: {other}" if other else ""
    return f"{head}{where} — searched as {result.label}{offer}"


def _print(result: find.Result, doc: str | None) -> None:
    if result.notice:
        click.echo(f"yakkan search: {result.notice}", err=True)
    if not result.total:
        click.echo(f"no clauses found for 「{result.query}」 (searched as {result.label})")
        return
    click.echo(_summary(result, doc))
    if result.expansions:
        click.echo("also searched: " + ", ".join(result.expansions))
    for i, g in enumerate(result.groups, start=result.offset + 1):
        click.echo(f"{i:>2}. {g.doc_id}  {g.heading}  ({g.score:.3f})")
        click.echo(f"    {g.best.path}")
        click.echo(f"    {g.best.snippet(mark=MARK)}")
    last = result.offset + len(result.groups)
    if last < result.total:
        click.echo(f"showing {result.offset + 1}–{last} of {result.total}; next: --offset {last}")


@click.command()
@click.argument("query")
@click.option("--fulltext", "mode", flag_value="fulltext", help="Every word must match.")
@click.option("--hybrid", "mode", flag_value="hybrid", help="Words and meaning, ranks fused.")
@click.option("--semantic", "mode", flag_value="semantic", help="Nearest clauses by meaning.")
@click.option("--auto", "mode", flag_value="auto", default=True, hidden=True)
@click.option("--doc", metavar="ID", help="Only this document (documents.id).")
@click.option("--chapter", metavar="NODE", help="Only this chapter, e.g. chp_3.")
@click.option(
    "--kind",
    type=click.Choice(find.KINDS),
    help="Only clauses of this kind (supplement: anywhere in a 附則).",
)
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many articles.")
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
    offset: int,
    fmt: str,
    db: Path,
    model: str | None,
) -> None:
    """Search clauses of the latest versions, in words or as a question; results by article.

    Words (解約, 「第三者提供 同意」) go to full text: every word must match in an article (its
    caption counts for its clauses), spelling variants and お/ご folded (お申込み = 申込み),
    customer words searched with the terms-of-service words (キャンセル → 解約・解除). A
    question or sentence (「料金を払い忘れたらどうなる？」), or words full text misses, goes to
    hybrid search (words + meaning) when the knowledge base has embeddings. The first line
    says which ran; --fulltext, --hybrid or --semantic choose. 附則 and 経過措置 come after
    the main provisions unless the query names them.

    \b
    Examples:
        yakkan search 解約
        yakkan search "料金を払い忘れたらどうなる？" --doc toreru-camera
        yakkan search "第三者提供 同意" --kind paragraph
        yakkan search キャンセル --fulltext --limit 5 --offset 5
        yakkan search "解約したいときはどうすればいい？" --semantic --format json
    """
    if not query.strip():
        click.echo("yakkan search: empty query", err=True)
        raise SystemExit(2)
    conn = _open(db)
    try:
        _check_doc(conn, doc)
        result = run(
            conn,
            mode,
            query,
            doc=doc,
            kind=kind,
            chapter=chapter,
            limit=limit,
            offset=offset,
            model=model,
        )
    except sqlite3.DatabaseError as exc:  # damaged pages that the first query did not touch
        _damaged(db, exc)
    finally:
        conn.close()
    if fmt == "json":
        out = {
            "query": query,
            "mode": result.mode,
            "reason": result.reason,
            "other": result.other,
            "doc": doc,
            "total": result.total,
            "clauses": result.clauses,
            "capped": result.capped,
            "offset": offset,
            "limit": limit,
            "expansions": result.expansions,
            "notice": result.notice,
            "hits": [as_json(g, i) for i, g in enumerate(result.groups, start=offset + 1)],
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    _print(result, doc)


search = search_cmd
__all__ = ["fts", "search", "search_cmd"]
