"""``yakkan check``: problems in parsed versions, report formats, baselines, cross-doc checks.

May import extract/, versions.sources and versions.history.
"""
