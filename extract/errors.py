"""Errors for input that cannot be parsed; the CLI turns them into messages and exit codes."""

from __future__ import annotations


class InputError(Exception):
    """Unusable input: names the file and, where known, the line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
