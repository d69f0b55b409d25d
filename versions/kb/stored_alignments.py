"""The alignments a build stored (the ``clause_alignments`` view), read back as
versions.history.align's ``Alignment``: the build's closing check reads them instead of aligning
every pair of versions again (at 10,000 versions that took minutes, docs/scaling.md)."""

from __future__ import annotations

import json
import sqlite3

from extract.model import ParsedDocument
from versions.history.align import Alignment, Match, alignment_of

# every id lists are read only where several (merged, split): else the one node (unchanged: 99 %)
PAIR_SQL = """
select type, old_node, new_node, confidence, similarity, level,
  case when type in ('merged', 'split') then old_nodes end,
  case when type in ('merged', 'split') then new_nodes end
from clause_alignments where old_version = ? and new_version = ?
"""


def stored_alignment(
    conn: sqlite3.Connection, old: ParsedDocument, new: ParsedDocument, old_id: str, new_id: str
) -> Alignment | None:
    """The stored alignment of versions ``old_id`` → ``new_id`` (ids as in ``versions``), or
    None when the database holds none for the pair."""
    rows = conn.execute(PAIR_SQL, [old_id, new_id]).fetchall()
    if not rows:
        return None
    matches = [
        Match(kind, o, n, conf, sim, level, _ids(olds, o), _ids(news, n))
        for kind, o, n, conf, sim, level, olds, news in rows
    ]
    return alignment_of(old, new, matches)


def _ids(listed: str | None, one: str | None) -> list[str]:
    if listed is not None:
        return list(json.loads(listed))
    return [one] if one else []
