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

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str, int | None]]:
        # picklable with its fields, so a task on another process can raise it to the build
        return (InputError, (self.path, self.message, self.line))
