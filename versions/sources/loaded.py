"""A version ready to use: ``DOC@DATE``, ``DOC``, ``DOC@file-stem`` or a file path → parsed text.

Parsed versions are cached by path and modification time, so the CLI and the site can ask for
the same version repeatedly without parsing it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from extract.errors import InputError
from extract.model import ParsedDocument
from extract.supplements import effective_date_of
from versions.sources.corpus import (
    DEFAULT_CORPUS,
    CorpusError,
    VersionEntry,
    find_version,
    is_document,
)
from versions.sources.files import read_document, spec_path


@dataclass
class LoadedVersion:
    key: str  # DOC@DATE for corpus versions, the path for files
    parsed: ParsedDocument
    entry: VersionEntry | None = None

    @property
    def effective(self) -> str | None:
        if self.entry and self.entry.effective:
            return self.entry.effective
        return effective_date_of(self.parsed.supplements)

    def meta(self) -> dict[str, object]:
        e = self.entry
        return {
            "id": self.key,
            "doc": e.doc_id if e else None,
            "file": str(e.file if e else self.parsed.source.path),
            "effective": self.effective,
            "label": e.label if e else None,
            "constructed": e.constructed if e else False,
            "title": self.parsed.title,
        }


@lru_cache(maxsize=64)
def _parse(path: str, fmt: str | None, mtime: float) -> ParsedDocument:
    return read_document(Path(path), fmt)


def parse_entry(v: VersionEntry) -> ParsedDocument:
    return _parse(str(v.file), v.format, v.file.stat().st_mtime)


def open_version(spec: str, corpus: Path = DEFAULT_CORPUS) -> LoadedVersion:
    """A file path, ``DOC`` (latest), ``DOC@DATE`` (in force on DATE) or ``DOC@file-stem``."""
    path = spec_path(spec)
    if path.is_file():
        return LoadedVersion(spec, _parse(str(path), None, path.stat().st_mtime))
    doc_id = spec.partition("@")[0]
    if not is_document(corpus, doc_id):
        if path.is_dir():
            raise InputError(spec, "is a directory, not a document file")
        if path.exists():
            raise InputError(spec, "not a regular file")
        if "/" in spec or "." in Path(spec).name:
            raise InputError(spec, "no such file")
        raise CorpusError(f"{spec}: no such file, and no document {doc_id!r} in {corpus}")
    entry = find_version(spec, corpus)  # DOC, DOC@DATE or DOC@file-stem
    return LoadedVersion(entry.key, parse_entry(entry), entry)
