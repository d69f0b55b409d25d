"""Text in, clause tree out: pure functions, no I/O.

Entry point: ``extract.parse.parse_bytes(data, path=...) -> ParsedDocument``.
"""
