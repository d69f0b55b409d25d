"""The I/O edge of parsing: check a path, read its bytes (bounded), hand them to the parser.

Every failure is an ``extract.errors.InputError`` naming the path, so callers (the CLI, the
knowledge-base build) can turn it into one message and a non-zero exit.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from extract.errors import InputError
from extract.model import ParsedDocument

# Largest document accepted. The biggest real terms document or consolidated statute is well
# under 1 MB (the largest in corpus/ is 270 kB); anything this big is not a terms document and
# is refused before it is read, with a message instead of a long wait.
MAX_BYTES = 20 * 1024 * 1024

FORMATS = ("text", "markdown", "lawtext")
_MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
# ``format = ...`` values a document.toml may give → the parser format each one means
CORPUS_FORMATS = {
    "markdown": "markdown",
    "md": "markdown",
    "text": "text",
    "pdf-text": "text",
    "lawtext": "lawtext",
}


def spec_path(spec: str) -> Path:
    """``spec`` (a command-line file or DOC argument) as a Path the OS can look up: a NUL byte
    or a name longer than the file system allows is an InputError, not a traceback."""
    shown = spec if len(spec) <= 60 else spec[:60] + "…"
    if "\0" in spec:
        raise InputError(repr(shown), "not a file name (it holds a NUL byte)")
    if len(spec.encode()) > 4096 or any(len(p.encode()) > 255 for p in Path(spec).parts):
        raise InputError(shown, "file name too long")
    return Path(spec)


def guess_format(path: Path, declared: str | None = None) -> str:
    """``markdown`` or ``text``: from a declared format (corpus metadata) or the file suffix."""
    if declared:
        if declared in CORPUS_FORMATS:
            return CORPUS_FORMATS[declared]
        raise InputError(str(path), f"unknown format {declared!r} (use text, markdown or lawtext)")
    if path.name.lower().endswith(".law.txt"):
        return "lawtext"
    return "markdown" if path.suffix.lower() in _MARKDOWN_SUFFIXES else "text"


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The file's bytes, refusing what is missing, not a regular file, or larger than ``limit``.

    The file is opened without blocking (a FIFO would otherwise wait for a writer for ever)
    and checked on the open handle, so the size limit applies before anything is read."""
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise InputError(where, "no such file") from None
    except OSError as exc:
        reason = "permission denied" if exc.errno == errno.EACCES else exc.strerror or str(exc)
        raise InputError(where, f"cannot read: {reason}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(where, "is a directory, not a document file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(where, "not a regular file")
        if st.st_size > limit:
            size = f"{_mb(st.st_size)}; the limit is {_mb(limit)}"
            raise InputError(where, f"file too large ({size})")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)  # bounded even if the file grows while we read
    except OSError as exc:
        raise InputError(where, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InputError(where, f"file too large (over {_mb(limit)})")
    return data


def read_stream(stream: BinaryIO, name: str = "<stdin>", limit: int = MAX_BYTES) -> bytes:
    """Bytes from an open stream (standard input), refusing more than ``limit``."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(name, f"input too large (over {_mb(limit)})")
    return data


def read_document(path: Path, fmt: str | None = None) -> ParsedDocument:
    """Parse the document at ``path``; ``fmt`` is ``text``/``markdown`` (default: by suffix,
    else by content, so a Markdown document saved as ``.txt`` is read as Markdown)."""
    from extract.parse import parse_bytes  # imported late: keeps this module importable alone

    data = read_bytes(path)
    known = fmt or guess_format(path) != "text"
    # no declared format and no Markdown suffix: the parser tells Markdown by its content
    return parse_bytes(data, path=str(path), fmt=guess_format(path, fmt) if known else None)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
