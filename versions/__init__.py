"""Version sources, alignment, diff, as-of queries, the SQLite build and the ``yakkan`` CLI."""
