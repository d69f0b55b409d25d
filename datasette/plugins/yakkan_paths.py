"""The server's file paths stay private: nothing the site answers names a directory on it.

- SQL: ``pragma_database_list`` (allowed by Datasette's read-only SQL) reads ``file`` as NULL,
  through a SQLite authorizer on every connection (``seq`` and ``name`` are kept).
- ``/-/databases`` and ``/-/databases.json`` give the file name only (Datasette gives the path).
- ``/-/threads`` (a debugging page that prints coroutine source paths) is not served.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from datasette.utils.asgi import Response

from datasette import hookimpl  # type: ignore[attr-defined]

_HIDDEN_COLUMNS = {("pragma_database_list", "file")}


def _authorizer(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
    if action == sqlite3.SQLITE_READ and (arg1, arg2) in _HIDDEN_COLUMNS:
        return sqlite3.SQLITE_IGNORE  # the column reads as NULL
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.set_authorizer(_authorizer)


async def databases(datasette: Any, request: Any) -> Response:
    """Datasette's /-/databases.json with ``path`` cut to the file name."""
    out = []
    for info in datasette._connected_databases():
        if info.get("path"):
            info = {**info, "path": os.path.basename(info["path"])}
        out.append(info)
    return Response.json(out)


async def not_served(datasette: Any, request: Any) -> Response:
    return Response.text("Not found", status=404)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/databases(\.json)?$", databases),
        (r"^/-/threads(\.json)?$", not_served),
    ]
