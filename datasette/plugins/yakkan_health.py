"""``/-/yakkan/health``: a readiness check for load balancers in front of replicas.

200 with the build's fingerprint when the knowledge base answers a query, 503 otherwise. The
fingerprint lets a deploy check that every replica serves the same build (docs/scaling.md).
"""

from __future__ import annotations

import time
from typing import Any

from datasette.utils.asgi import Response

from datasette import hookimpl
from versions.kb.sitedb import knowledge_base


async def health(datasette: Any, request: Any) -> Response:
    started = time.perf_counter()
    db = await knowledge_base(datasette, request)
    if db is None:
        return Response.json({"status": "unavailable", "reason": "no knowledge base"}, status=503)
    try:
        result = await db.execute(
            "select key, value from build_meta where key in ('fingerprint', 'built_at')"
        )
    except Exception as exc:  # a damaged or half-copied file: tell the balancer, not a 500
        return Response.json({"status": "unavailable", "reason": str(exc)}, status=503)
    meta = {row["key"]: row["value"] for row in result.rows}
    return Response.json(
        {
            "status": "ok",
            "database": db.name,
            **meta,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
    )


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/yakkan/health$", health)]
