"""Text in, clause tree out: pure functions, no I/O. Entry point ``extract.parse.parse_bytes``.

May import only extract/ itself and third-party libraries; nothing from versions/ or datasette/.
"""
