"""Datasette's JSON API (canned queries, tables) answered from the rendered-page cache.

The knowledge base is an immutable file, so an anonymous JSON answer is a function of its URL
and the file: versions/kb/sitedb.py ``cache_answers`` keeps it in the ``PageCache`` (and the
folder the worker processes share) that the /-/yakkan pages use.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from versions.kb.sitedb import cache_answers


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        return cache_answers(datasette, app)

    return wrap
