"""The site's 新旧対照表 page parts, computed in a worker process.

Alignment and word diffs are CPU-bound Python (seconds on a statute): in a thread they hold the
GIL and every other request of the server waits (a static file took 1.9 s at p50 while diffs
ran). One spawned worker process computes them instead; the server's event loop and SQL
threads keep the other core. Where a process cannot be started, a thread does the work.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import multiprocessing
import threading
from typing import Any

from extract.model import ParsedDocument

WORKERS = 1  # one process: on a small machine the server keeps a core; requests of one pair share
MAX_BREAKS = 3  # a worker that keeps dying (or cannot start): threads from then on
_lock = threading.Lock()
_pool: concurrent.futures.ProcessPoolExecutor | None = None
_breaks = 0


def table_parts(
    old: ParsedDocument,
    new: ParsedDocument,
    old_id: str,
    new_id: str,
    old_first: bool,
    dates: tuple[str, str],
) -> dict[str, Any]:
    """What the diff page shows: the changed articles (with their clause pages), the table's
    HTML (escaped by versions.history.taiyo), the change summary and count."""
    from versions.history.diff import compare

    return parts_of(compare(old, new), old_id, new_id, old_first, dates)


def parts_of(
    cmp: Any, old_id: str, new_id: str, old_first: bool, dates: tuple[str, str]
) -> dict[str, Any]:
    """``table_parts`` of a comparison already made (versions.history.diff.compare)."""
    from versions.history import taiyo

    return {
        "articles": changed_articles(cmp, old_id, new_id),
        "table": taiyo.html_table(cmp, old_first, dates),
        "summary": cmp.summary(),
        "changes": len(cmp.changes),
    }


def changed_articles(cmp: Any, old_id: str, new_id: str) -> list[dict[str, str]]:
    """The articles the 新旧対照表 changes, in its order, each with its clause page. Labelled
    「第二十条 契約者による解約」, not as the table heads its rows 「第二十条（…）」: a clause
    page's text fragment (#art_20:~:text=…) then lands on the row, not on this list."""
    from versions.history.diff import display_label

    seen: set[tuple[str, str]] = set()
    out = []
    for c in cmp.changes:
        side, vid, nid = (cmp.new, new_id, c.new) if c.new else (cmp.old, old_id, c.old)
        node = side.node(nid) if nid else None
        while node is not None and node.kind not in ("article", "appendix") and node.parent:
            node = side.node(node.parent)
        if node is None or node.kind not in ("article", "appendix") or (vid, node.id) in seen:
            continue
        seen.add((vid, node.id))
        out.append(
            {
                "label": " ".join(x for x in (display_label(side, node.id), node.caption) if x),
                "url": f"/-/yakkan/clause/{vid}/{node.id}",
                "type": c.type,
            }
        )
    return out


def _executor() -> concurrent.futures.ProcessPoolExecutor | None:
    global _pool
    with _lock:
        if _pool is None and _breaks < MAX_BREAKS:
            try:  # spawn: forking a threaded server can deadlock the child
                context = multiprocessing.get_context("spawn")
                _pool = concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=context)
            except (OSError, ValueError):
                return None
            atexit.register(_pool.shutdown, wait=True, cancel_futures=True)
        return _pool


def _discard(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    global _pool, _breaks
    with _lock:
        if _pool is pool:
            _pool, _breaks = None, _breaks + 1
    pool.shutdown(wait=False, cancel_futures=True)


async def compute(*args: Any) -> dict[str, Any]:
    """``table_parts(*args)`` in the worker process (a thread if there is none or it died)."""
    pool = _executor()
    if pool is not None:
        try:
            loop = asyncio.get_running_loop()
            parts: dict[str, Any] = await loop.run_in_executor(pool, table_parts, *args)
            return parts
        except concurrent.futures.process.BrokenProcessPool:
            _discard(pool)  # killed (memory?): the next request starts a new one
    return await asyncio.to_thread(table_parts, *args)
