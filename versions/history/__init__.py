"""Versions over time: alignment, word diffs, the 新旧対照表, as-of, clause history, stale refs.

May import extract/ and versions.sources; knows nothing of SQLite, the site or the CLI.
"""
