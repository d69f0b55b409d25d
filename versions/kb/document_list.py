"""The documents' ids and titles, read once per database file (the site's document pickers).

Every search page lists the documents in its form: at 2,000 documents reading and escaping them
took 8–10 ms of each page (issue 12). The database is immutable while served and a rebuild
swapped in is another file (``version_index.identity``), so the list is kept per file.
"""

from __future__ import annotations

import functools
import html
import sqlite3
from dataclasses import dataclass

from versions.kb import sitedb, version_index


@dataclass(frozen=True)
class DocumentList:
    """(id, title) of every document by id, and the form's escaped ``<option>`` elements."""

    documents: tuple[tuple[str, str], ...]
    options: str

    @functools.cached_property
    def titles(self) -> dict[str, str]:
        return dict(self.documents)

    def options_html(self, selected: str | None) -> str:
        """The ``<option>``s with ``selected`` (a document id) marked."""
        if not selected:
            return self.options
        value = f'<option value="{html.escape(selected)}">'
        return self.options.replace(value, value[:-1] + " selected>", 1)


def read(conn: sqlite3.Connection) -> DocumentList:
    """The database's documents, from the per-file cache or read now."""
    key = version_index.identity(conn)
    kept = _KEPT.get(key)
    if kept is None:
        rows = conn.execute("select id, title from documents order by id").fetchall()
        kept = _KEPT.put(key, of(tuple((str(i), str(t or i)) for i, t in rows)))
    return kept


_KEPT: sitedb.LRU[DocumentList] = sitedb.LRU(4)  # database files remembered per process


def of(documents: tuple[tuple[str, str], ...]) -> DocumentList:
    options = "".join(
        f'<option value="{html.escape(i)}">{html.escape(title)}</option>' for i, title in documents
    )
    return DocumentList(documents, options)
