"""Errors logged without Datasette's rich tracebacks.

Datasette 0.65 prints every exception it answers — a 404 for an unknown id, a query past the time
limit — as a rich traceback with every frame's locals whenever ``rich`` is installed (it is a
dependency of other tools in the environment). The log filled with tracebacks for ordinary
client errors, and printing the locals of a request with a long parameter took seconds on the
event loop: three queries past the time limit kept a ``select 1`` waiting 13 s. With rich
switched off for Datasette's handler, a client error (4xx) logs nothing and a server error
logs a plain traceback (``traceback.print_exc``, no locals); the error pages are unchanged.
"""

from __future__ import annotations

import datasette.handle_exception as _default_handler

_default_handler.rich = None  # type: ignore[attr-defined]
