"""What the datasette/ plugins share: which database is the knowledge base (permission-aware),
clause trees rebuilt from ``nodes`` rows, and the bounds every page and SQL function keeps.

Bounds (docs/reliability.md, "Site"): a query string is cut to ``MAX_QUERY`` characters and
``MAX_TERMS`` terms, a text given to a SQL function to ``MAX_TEXT`` characters, a clause label
to ``MAX_LABEL``; SQL run through ``execute_limited`` stops at Datasette's ``sql_time_limit_ms``
(``TimeLimit``), and a whole page at ``page_time_limit(datasette)`` (503, Retry-After).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from extract.model import Artefact, Node, ParsedDocument, Source

MAX_QUERY = 200  # characters of a search query or question (an e5 query is ~15)
MAX_TERMS = 16  # whitespace-separated terms of a query
MAX_TEXT = 20_000  # characters of a text handed to a SQL function (a long statute clause: ~5,000)
MAX_LABEL = 64  # characters of a clause label or id in a URL (第二十七条の二第三項第十二号: 15)
PAGE_LIMIT_FACTOR = 5  # a page runs several queries: 5 × sql_time_limit_ms, and at least
PAGE_LIMIT_MS = 15_000  # 15 s (a statute's first 新旧対照表 takes 1–6 s on a busy 2-core VM)
PAGE_CACHE_BYTES = 64_000_000  # rendered anonymous pages kept per server (a statute's table: 2 MB)

T = TypeVar("T")


class TimeLimit(Exception):
    """A page or its SQL ran past its time limit."""


async def knowledge_base(datasette: Any, request: Any) -> Any:
    """The first database with ``nodes`` (a view) that the request's actor may view, or None."""
    actor = getattr(request, "actor", None)
    for name, db in datasette.databases.items():
        if name == "_internal" or "nodes" not in await relations(db):
            continue
        if await datasette.permission_allowed(actor, "view-database", name, default=True):
            return db
    return None


async def relations(db: Any) -> list[str]:
    """Tables and views (``nodes`` is a view over node_rows and texts); kept on an immutable
    database (two queries per page otherwise)."""
    if getattr(db, "is_mutable", True):
        return [*await db.table_names(), *await db.view_names()]
    found: list[str] | None = getattr(db, "_yakkan_relations", None)
    if found is None:
        found = db._yakkan_relations = [*await db.table_names(), *await db.view_names()]
    return found


# --- one page's queries in one SQL thread ------------------------------------------------------


class Results:
    """What ``Database.execute`` answers: ``rows`` (sqlite3.Row)."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows


class Batch:
    """A Datasette ``Database`` stand-in over one connection, inside ``db.execute_fn``: a page's
    query code (``await db.execute(…)``, ``table_names()``) runs unchanged, but all its queries
    run in one SQL thread, one after the other. Under many clients, each ``await db.execute``
    waited its turn for a SQL thread and then for the event loop: a clause page's 60 queries
    took seconds; batched, one wait."""

    def __init__(self, conn: sqlite3.Connection, db: Any) -> None:
        self.conn = conn
        self.name = db.name
        self.path = db.path
        self.is_mutable = db.is_mutable
        self._db = db

    async def execute(self, sql: str, params: Any = None) -> Results:
        return Results(self.conn.execute(sql, params or {}).fetchall())

    async def execute_fn(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return fn(self.conn)

    async def table_names(self) -> list[str]:
        return self._names("table")

    async def view_names(self) -> list[str]:
        return self._names("view")

    async def table_columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute("select * from pragma_table_info(?)", [table])]

    def _names(self, kind: str) -> list[str]:
        sql = "select name from sqlite_master where type = ?"
        return [r[0] for r in self.conn.execute(sql, [kind])]


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that awaits only ``Batch`` methods (which never suspend) to its end."""
    try:
        coro.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coro.close()
    raise RuntimeError("a batched page awaited something other than its SQL")


async def batched(datasette: Any, db: Any, fn: Callable[[Any], Awaitable[T]]) -> T:
    """``await fn(db)`` with every query ``fn`` makes run in one SQL thread (``Batch``), under
    the SQL time limit as a whole (``execute_limited``)."""

    def run(conn: sqlite3.Connection) -> T:
        return drive(fn(Batch(conn, db)))  # type: ignore[arg-type]

    return await execute_limited(datasette, db, run)


# --- bounds ------------------------------------------------------------------------------------


def bounded_query(q: str | None) -> str:
    """``q`` cut to ``MAX_QUERY`` characters and its first ``MAX_TERMS`` terms."""
    text = (q or "")[:MAX_QUERY]
    parts = text.replace("\u3000", " ").split()
    return " ".join(parts[:MAX_TERMS]) if len(parts) > MAX_TERMS else text


def bounded_text(text: str | None) -> str:
    return (text or "")[:MAX_TEXT]


def sql_time_limit_ms(datasette: Any) -> int:
    return int(datasette.setting("sql_time_limit_ms") or 1000)


def page_time_limit(datasette: Any) -> float:
    """Seconds a /-/yakkan page may take: plugin setting ``page_time_limit_ms`` (metadata
    ``plugins: {yakkan: {page_time_limit_ms: …}}``), else 5 × ``sql_time_limit_ms``, at least
    ``PAGE_LIMIT_MS``."""
    config = datasette.plugin_config("yakkan") or {}
    default = max(PAGE_LIMIT_MS, PAGE_LIMIT_FACTOR * sql_time_limit_ms(datasette))
    ms = config.get("page_time_limit_ms") or default
    return float(ms) / 1000


async def execute_limited(datasette: Any, db: Any, fn: Callable[[sqlite3.Connection], T]) -> T:
    """``db.execute_fn(fn)`` stopped by SQLite at ``sql_time_limit_ms`` (as ``db.execute`` is):
    raises ``TimeLimit`` instead of running on and holding one of the SQL threads."""
    from datasette.utils import sqlite_timelimit

    ms = sql_time_limit_ms(datasette)

    def run(conn: sqlite3.Connection) -> T:
        with sqlite_timelimit(conn, ms):
            try:
                return fn(conn)
            except sqlite3.OperationalError as exc:
                if "interrupted" in str(exc):
                    raise TimeLimit(f"the query took longer than {ms} ms") from None
                raise

    result: T = await db.execute_fn(run)
    return result


def time_limited(
    page: Callable[[Any, Any], Any], error: Callable[[Any, Any, str, int], Any]
) -> Callable[[Any, Any], Any]:
    """``page`` answered within ``page_time_limit``; past it (or on ``TimeLimit``) the answer is
    the plugin's error page ``error(datasette, request, message, 503)`` with Retry-After (a
    result still being computed is cached when done). Work handed to threads finishes there (and
    fills the caches), but no client waits for it. Anonymous answers are kept (``PageCache``):
    the database is immutable, so a page is a function of its URL and the database file."""

    async def limited(datasette: Any, request: Any) -> Any:
        cache = _page_cache(datasette)
        key = _page_key(datasette, request)
        hit = cache.get(key) if key else None
        if hit is not None:
            return hit
        limit = page_time_limit(datasette)
        try:
            response = await asyncio.wait_for(page(datasette, request), timeout=limit)
        except (TimeoutError, TimeLimit) as exc:
            reason = str(exc) or f"the page took longer than {limit:g} s"
            message = f"This page is taking too long ({reason}). Try again in a moment."
            response = await error(datasette, request, message, 503)
            response.headers["Retry-After"] = "5"
            return response
        if key:
            cache.put(key, response)
        return response

    limited.__name__ = getattr(page, "__name__", "page")
    limited.__doc__ = page.__doc__
    return limited


class PageCache:
    """Rendered 200 answers, least recently used first out, at most ``budget`` bytes of body.

    With ``shared`` (a folder the server's worker processes share, ``SharedPages``), a page
    missing here is looked up there before it is computed, and a page computed here is written
    there too: with N processes a page is computed once, not up to N times."""

    def __init__(self, budget: int = PAGE_CACHE_BYTES, shared: SharedPages | None = None) -> None:
        self.budget = budget
        self.size = 0
        self.shared = shared
        self._items: OrderedDict[Hashable, tuple[int, str | bytes, dict[str, str], str]] = (
            OrderedDict()
        )

    def get(self, key: Hashable) -> Any:
        from datasette.utils.asgi import Response

        item = self._items.get(key)
        if item is None and self.shared is not None:
            item = self.shared.get(key)
            if item is not None:
                self._keep(key, item)
        if item is None:
            return None
        self._items.move_to_end(key)
        status, body, headers, content_type = item
        return Response(body, status=status, headers=dict(headers), content_type=content_type)

    def put(self, key: Hashable, response: Any) -> None:
        body = getattr(response, "body", None)
        if getattr(response, "status", None) != 200 or not isinstance(body, str | bytes):
            return
        if len(body) > self.budget // 8 or key in self._items:
            return
        headers = dict(getattr(response, "headers", None) or {})
        if any(h.lower() == "set-cookie" for h in headers):
            return
        item = (200, body, headers, response.content_type)
        self._keep(key, item)
        if self.shared is not None:
            self.shared.put(key, item)

    def _keep(self, key: Hashable, item: tuple[int, str | bytes, dict[str, str], str]) -> None:
        self._items[key] = item
        self.size += len(item[1])
        while self.size > self.budget:
            _, (_, old, _, _) = self._items.popitem(last=False)
            self.size -= len(old)

    def __len__(self) -> int:
        return len(self._items)


class SharedPages:
    """Pages kept in a folder that several server processes share (``yakkan serve --workers
    N``: serve_app makes it, removes it at exit, and names it in ``PAGE_DIR_ENV``). One file per
    page, named by the hash of its key (URL and database files: path, size, mtime, inode), so a
    rebuilt database never answers from another build's pages; written whole then renamed, so a
    reader sees a whole page or none. Each process writes at most ``budget`` bytes of body, then
    only reads (no eviction: the folder lives as long as the server)."""

    def __init__(self, folder: str, budget: int) -> None:
        self.folder = folder
        self.budget = budget
        self.written = 0

    def _path(self, key: Hashable) -> str:
        import hashlib

        return os.path.join(self.folder, hashlib.sha256(repr(key).encode()).hexdigest())

    def get(self, key: Hashable) -> tuple[int, str | bytes, dict[str, str], str] | None:
        import json

        try:
            with open(self._path(key), "rb") as f:
                head = json.loads(f.readline())
                body: str | bytes = f.read()
        except (OSError, ValueError):
            return None
        if head.get("key") != repr(key):  # a hash collision: not this page
            return None
        if head["text"]:
            body = body.decode("utf-8")  # type: ignore[union-attr]
        return (200, body, head["headers"], head["content_type"])

    def put(self, key: Hashable, item: tuple[int, str | bytes, dict[str, str], str]) -> None:
        import json
        import tempfile

        _, body, headers, content_type = item
        data = body.encode("utf-8") if isinstance(body, str) else body
        if self.written + len(data) > self.budget:
            return
        head = {
            "key": repr(key),
            "text": isinstance(body, str),
            "headers": headers,
            "content_type": content_type,
        }
        tmp = ""
        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".page.")
            with os.fdopen(fd, "wb") as f:
                f.write(json.dumps(head, ensure_ascii=False).encode("utf-8") + b"\n" + data)
            os.replace(tmp, self._path(key))
        except OSError:  # a full disk or a removed folder: the page is still in memory
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            return
        self.written += len(data)


PAGE_DIR_ENV = "YAKKAN_PAGE_DIR"  # the folder of SharedPages, set by versions/cli/serve_app.py
PAGE_SHARE_ENV = "YAKKAN_PAGE_SHARE"  # bytes of pages each worker may write there


def _page_cache(datasette: Any) -> PageCache:
    cache: PageCache | None = getattr(datasette, "_yakkan_pages", None)
    if cache is None:  # one per Datasette instance: freed with it
        folder = os.environ.get(PAGE_DIR_ENV)
        shared = None
        if folder and os.path.isdir(folder):
            share = int(os.environ.get(PAGE_SHARE_ENV) or PAGE_CACHE_BYTES)
            shared = SharedPages(folder, share)
        cache = datasette._yakkan_pages = PageCache(shared=shared)
    return cache


def _files(datasette: Any) -> tuple[tuple[Any, ...], ...] | None:
    """Every database file as it is now (name, path, size, mtime, inode); None when one is
    gone."""
    files = []
    for name, db in datasette.databases.items():
        if db.is_memory or not db.path:
            continue
        try:
            stat = os.stat(db.path)
        except OSError:
            return None
        files.append((name, db.path, stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return tuple(files)


def _page_key(datasette: Any, request: Any) -> tuple[Any, ...] | None:
    """What an anonymous page depends on: its URL and every database file as it is now
    (path, size, mtime); None (not cached) for a logged-in actor or pending messages."""
    if getattr(request, "actor", None) is not None or "ds_messages" in request.cookies:
        return None
    files = _files(datasette)
    return None if files is None else (request.host, request.path, request.query_string, files)


# /<database>/<table or canned query>.json, and Datasette's own static files (/-/static/app.css:
# part of the installed package; served by a thread per read otherwise)
KEPT_ANSWERS = re.compile(r"^(?:/[^/-][^/]*/[^/]+\.json|/-/static/[^/]+)$")


def answer_key(datasette: Any, scope: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The ``PageCache`` key (``_page_key``) of an anonymous GET of Datasette's JSON API
    (canned queries, tables) or of its static files; None for anything else, or a request with
    credentials (this runs before Datasette reads the actor: a ``ds_actor`` cookie or an
    Authorization header is enough to compute the answer afresh)."""
    from datasette.utils.asgi import Request

    if scope.get("type") != "http" or scope.get("method") != "GET":
        return None
    if not KEPT_ANSWERS.match(str(scope.get("path") or "")):
        return None
    request = Request(scope, None)
    if "authorization" in request.headers or "ds_actor" in request.cookies:
        return None
    return _page_key(datasette, request)


class _Recorded:
    """An ASGI answer as it was sent, in the shape ``PageCache.put`` keeps."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.content_type = ""
        self.chunks: list[bytes] = []

    def record(self, message: Mapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            for k, v in message.get("headers") or []:
                name, value = bytes(k).decode("latin-1"), bytes(v).decode("latin-1")
                if name.lower() == "content-type":
                    self.content_type = value
                else:
                    self.headers[name] = value
        elif message["type"] == "http.response.body":
            self.chunks.append(bytes(message.get("body") or b""))

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


def cache_answers(datasette: Any, app: Callable[..., Awaitable[None]]) -> Callable[..., Any]:
    """``app`` with Datasette's JSON API and static files answered from the ``PageCache`` the
    /-/yakkan pages use: the database is immutable, so an anonymous answer is a function of its
    URL and the database file (a canned search runs its SQL function and 50 snippets each time
    otherwise). Answers other than 200, with Set-Cookie, or larger than the cache takes are not
    kept."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        key = answer_key(datasette, scope)
        if key is None:
            return await app(scope, receive, send)
        cache = _page_cache(datasette)
        hit = cache.get(key)
        if hit is not None:
            return await hit.asgi_send(send)
        answer = _Recorded()

        async def recording(message: Any) -> None:
            answer.record(message)
            await send(message)

        await app(scope, receive, recording)
        cache.put(key, answer)

    return wrapped


# --- clause trees from nodes rows --------------------------------------------------------------


def nodes_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Node]:
    """``Node``s from ``nodes`` rows (columns node_id, kind, num, label, caption, parent_id;
    text, line and end_line when selected), in row order."""
    out = []
    for r in rows:
        keys = r.keys()
        out.append(
            Node(
                r["node_id"],
                r["kind"],
                r["num"],
                r["label"] or "",
                r["caption"],
                (r["text"] if "text" in keys else "") or "",
                r["parent_id"],
                (r["line"] if "line" in keys else 0) or 0,
                (r["end_line"] if "end_line" in keys else 0) or 0,
            )
        )
    return out


def parsed_from_rows(
    rows: Iterable[Mapping[str, Any]], version: Mapping[str, Any]
) -> ParsedDocument:
    """A version's clause tree from its ``nodes`` rows and its ``versions`` row (nodes, and the
    table of contents as artefacts when the row has ``toc``)."""
    source = Source(version["file"] or version["id"], version["sha256"] or "", "utf-8", "text")
    toc = [Artefact("toc", line, 0) for line in (version.get("toc") or "").splitlines()]
    title = version["title"] or version["id"]
    return ParsedDocument(source, title, nodes_from_rows(rows), artefacts=toc)


class LRU(Generic[T]):
    """A small least-recently-used cache: at most ``size`` entries, keyed by stable values
    (database file and modification time, version ids), never by ``id()`` of an object."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()  # batched pages use it from SQL threads

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: T) -> T:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
