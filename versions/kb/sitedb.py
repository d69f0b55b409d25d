"""Which Datasette database holds the knowledge base: shared by the datasette/ plugins."""

from __future__ import annotations

from typing import Any


async def knowledge_base(datasette: Any, request: Any) -> Any:
    """The first database with ``nodes`` (a view) that the request's actor may view, or None."""
    actor = getattr(request, "actor", None)
    for name, db in datasette.databases.items():
        if name == "_internal" or "nodes" not in await _relations(db):
            continue
        if await datasette.permission_allowed(actor, "view-database", name, default=True):
            return db
    return None


async def _relations(db: Any) -> list[str]:
    """Tables and views (``nodes`` is a view over node_rows and texts)."""
    return [*await db.table_names(), *await db.view_names()]
