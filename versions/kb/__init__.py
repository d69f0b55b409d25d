"""The SQLite knowledge base: schema, the build and its steps, full-text and semantic search.

May import extract/, versions.sources and versions.history; the site reads it via kb.sitedb.
"""
