"""The corpus on disk: ``corpus/<doc-id>/document.toml`` plus one file per dated version.

A document.toml holds the document's metadata and a ``[[versions]]`` list; each entry names its
``file`` and may give ``effective`` (ISO date), ``label``, ``format``, ``origin`` and
``constructed`` (true for versions written by us as examples, never published text).

``load_document`` is the one place document.toml is validated, so every command refuses the
same things with the same one-line message (the document.toml and the offending value): a
document.toml or version file that is not a regular file (a FIFO would hang the reader) or is
too large, a version file outside its document folder (``../``, an absolute path, a symlink
out), an id that is not ASCII or holds ``/``, ``@`` or ``..``, a value of the wrong type
(``versions = [1, 2]``, ``effective = false``), an unknown ``format``, a version listed twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from datetime import date as _date
from datetime import datetime
from pathlib import Path, PurePosixPath

from extract.errors import InputError
from versions.sources.files import CORPUS_FORMATS, read_bytes

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "corpus"


class CorpusError(Exception):
    """A corpus folder or document.toml that cannot be used; the message names the file."""


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_date(text: str, where: str) -> str:
    """``text`` when it is a real YYYY-MM-DD date, else a CorpusError naming ``where``."""
    if _ISO_DATE.fullmatch(text):
        try:
            _date.fromisoformat(text)
            return text
        except ValueError:
            pass
    raise CorpusError(f"{where}: {text!r} is not a date (use YYYY-MM-DD)")


@dataclass(frozen=True)
class VersionEntry:
    doc_id: str
    file: Path
    effective: str | None
    label: str | None = None
    format: str | None = None
    origin: str | None = None
    constructed: bool = False

    @property
    def key(self) -> str:
        """``DOC@DATE`` (or ``DOC@file-stem`` when the version has no date)."""
        return f"{self.doc_id}@{self.effective or self.file.stem}"


@dataclass(frozen=True)
class DocumentEntry:
    id: str
    title: str
    publisher: str | None
    kind: str
    folder: Path
    versions: tuple[VersionEntry, ...] = field(default_factory=tuple)
    meta: dict[str, object] = field(default_factory=dict)
    digest: str = ""  # sha256 of the document.toml bytes that were read

    def latest(self) -> VersionEntry:
        return self.versions[-1]


# --- validation: every command reads document.toml through load_document ----------------------

# ASCII, no '/', '@' (DOC@DATE), '..', spaces or a leading '.': ids appear in paths and URLs
_DOC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MAX_TOML_BYTES = 1024 * 1024
_TEXT_KEYS = ("id", "title", "publisher", "kind")
_VERSION_TEXT_KEYS = ("label", "format", "origin")


def _valid_id(doc_id: str) -> bool:
    return _DOC_ID.fullmatch(doc_id) is not None and ".." not in doc_id


def check_id(doc_id: str, where: str) -> str:
    """``doc_id`` when it is a usable document id, else a CorpusError naming ``where``."""
    if not _valid_id(doc_id):
        raise CorpusError(
            f"{where}: {doc_id!r} is not a document id (ASCII letters, digits, '.', '_', '-'; "
            "no '/', '@' or '..')"
        )
    return doc_id


def document_folder(root: Path, doc_id: str, where: str) -> Path:
    """``root/doc_id`` for a valid id (a spec such as ``../etc`` never leaves the corpus)."""
    return root / check_id(doc_id, where)


def is_document(root: Path, doc_id: str) -> bool:
    """``root/doc_id`` is a document folder (its document.toml may still be unusable), or a
    document.toml of the corpus says ``id = doc_id``."""
    if not _valid_id(doc_id):
        return False
    return os.path.lexists(root / doc_id / "document.toml") or (
        _document_with_id(root, doc_id) is not None
    )


def read_toml(toml: Path) -> tuple[dict[str, object], bytes]:
    """A document.toml's table and bytes (bounded read; a FIFO or device is refused)."""
    try:
        data = read_bytes(toml, MAX_TOML_BYTES)
        return tomllib.loads(data.decode("utf-8")), data
    except InputError as exc:
        raise CorpusError(f"{toml}: cannot read document metadata: {exc.message}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CorpusError(f"{toml}: cannot read document metadata: {exc}") from None


def _text(raw: dict[str, object], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise CorpusError(f'{where}: {key} must be a string ({key} = "..."), not {value!r}')
    return value or None


def _effective(raw: dict[str, object], where: str) -> str | None:
    """The entry's date; leave ``effective`` out for an undated version (false/"" are errors)."""
    if "effective" not in raw:
        return None
    value = raw["effective"]
    if isinstance(value, _date) and not isinstance(value, datetime):
        return value.isoformat()  # a TOML date literal: effective = 2024-10-01
    if not isinstance(value, str) or not value:
        raise CorpusError(
            f'{where}: effective must be a date ("YYYY-MM-DD"; leave it out for an undated '
            f"version), not {value!r}"
        )
    return check_date(value, f"{where}: effective")


def _version_file(folder: Path, name: object, toml: Path) -> Path:
    """The version file, which must be a regular file inside the document folder."""
    if not isinstance(name, str) or not name:
        raise CorpusError(f'{toml}: every [[versions]] entry needs a file = "..." name')
    if any(ord(c) < 0x20 or c == "\x7f" for c in name):  # a NUL cannot even be looked up
        raise CorpusError(f"{toml}: version file {name!r} holds a control character")
    rel = PurePosixPath(name.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or Path(name).is_absolute():
        raise CorpusError(f"{toml}: version file {name!r} must be a path inside {folder}")
    path = folder / name
    _inside(path, folder, f"{toml}: version file {name!r}")
    try:
        mode = path.stat().st_mode
    except OSError:
        raise CorpusError(f"{toml}: version file {name!r} does not exist") from None
    if not stat.S_ISREG(mode):
        raise CorpusError(f"{toml}: version file {name!r} is not a regular file")
    return path


def _version(doc_id: str, folder: Path, raw: object, toml: Path, index: int) -> VersionEntry:
    if not isinstance(raw, dict):
        raise CorpusError(
            f'{toml}: versions entry {index} must be a table ([[versions]] with file = "..."), '
            f"not {raw!r}"
        )
    path = _version_file(folder, raw.get("file"), toml)
    where = f"{toml}: {path.name}"
    fmt = _text(raw, "format", where)
    if fmt is not None and fmt not in CORPUS_FORMATS:
        raise CorpusError(f"{where}: unknown format {fmt!r} (use {', '.join(CORPUS_FORMATS)})")
    constructed = raw.get("constructed", False)
    if not isinstance(constructed, bool):
        raise CorpusError(f"{where}: constructed must be true or false, not {constructed!r}")
    return VersionEntry(
        doc_id=doc_id,
        file=path,
        effective=_effective(raw, where),
        label=_text(raw, "label", where),
        format=fmt,
        origin=_text(raw, "origin", where),
        constructed=constructed,
    )


def _no_duplicates(versions: list[VersionEntry], toml: Path) -> None:
    seen: dict[str, VersionEntry] = {}
    files: set[Path] = set()
    for v in versions:
        if v.file in files:
            raise CorpusError(f"{toml}: version file {v.file.name!r} is listed twice")
        files.add(v.file)
        other = seen.get(v.key)
        if other is not None:
            raise CorpusError(
                f"{toml}: duplicate version {v.key}: {other.file.name!r} and {v.file.name!r} "
                "(give each version its own effective date)"
            )
        seen[v.key] = v


def _inside(path: Path, home: Path, what: str) -> None:
    """``path`` (symlinks followed) is inside ``home``, else a CorpusError."""
    real, top = os.path.realpath(path), os.path.realpath(home)
    if os.path.commonpath([real, top]) != top:
        raise CorpusError(f"{what} leads outside {home} (to {real})")


def load_document(folder: Path) -> DocumentEntry:
    """The document in ``folder``, validated; CorpusError naming document.toml and the value."""
    toml = folder / "document.toml"
    _inside(folder, folder.parent, f"{toml}: the document folder")  # before anything is read
    _inside(toml, folder, str(toml))
    data, raw_bytes = read_toml(toml)
    for key in _TEXT_KEYS:
        _text(data, key, str(toml))
    doc_id = check_id(str(data.get("id") or folder.name), f"{toml}: id")
    raw_versions = data.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        raise CorpusError(f"{toml}: no [[versions]] listed")
    entries = [_version(doc_id, folder, v, toml, i + 1) for i, v in enumerate(raw_versions)]
    _no_duplicates(entries, toml)
    versions = sorted(entries, key=lambda v: (v.effective or "", v.file.name))
    meta = {k: v for k, v in data.items() if k != "versions"}
    return DocumentEntry(
        id=doc_id,
        title=str(data.get("title") or doc_id),
        publisher=str(data["publisher"]) if data.get("publisher") else None,
        kind=str(data.get("kind") or "terms"),
        folder=folder,
        versions=tuple(versions),
        meta=meta,
        digest=hashlib.sha256(raw_bytes).hexdigest(),
    )


def load_corpus(root: Path = DEFAULT_CORPUS) -> list[DocumentEntry]:
    """Every document under ``root`` (folders with a document.toml), sorted by id."""
    if not root.is_dir():
        raise CorpusError(f"{root}: corpus folder not found")
    documents = [load_document(p.parent) for p in sorted(root.glob("*/document.toml"))]
    by_id: dict[str, DocumentEntry] = {}
    for doc in documents:
        other = by_id.setdefault(doc.id, doc)
        if other is not doc:
            raise CorpusError(
                f"{doc.folder / 'document.toml'}: duplicate document id {doc.id!r} "
                f"(also in {other.folder / 'document.toml'})"
            )
    return documents


def open_document(root: Path, doc_id: str, where: str | None = None) -> DocumentEntry:
    """The document ``doc_id`` of the corpus ``root`` (its id checked first), loaded: the one
    whose document.toml says ``id = doc_id`` (usually in the folder of that name), else the
    folder of that name."""
    folder = document_folder(root, doc_id, where or doc_id)
    named = load_document(folder) if os.path.lexists(folder / "document.toml") else None
    if named is not None and named.id == doc_id:
        return named
    found = _document_with_id(root, doc_id)  # an id other than its folder's name
    if found is not None:
        return found
    if named is None:
        raise CorpusError(f"{where or doc_id}: no document {doc_id!r} in {root}")
    return named


def _document_with_id(root: Path, doc_id: str) -> DocumentEntry | None:
    for toml in sorted(root.glob("*/document.toml")):
        with contextlib.suppress(CorpusError):
            doc = load_document(toml.parent)
            if doc.id == doc_id:
                return doc
    return None


def find_version(spec: str, root: Path = DEFAULT_CORPUS) -> VersionEntry:
    """Resolve ``DOC`` (latest) or ``DOC@DATE`` (the version in force on DATE)."""
    doc_id, _, date = spec.partition("@")
    doc = open_document(root, doc_id, spec)
    if not date:
        return doc.latest()
    exact = next((v for v in doc.versions if v.key == spec), None)
    if exact is not None:  # DOC@file-stem of an undated version, or DOC@DATE exactly
        return exact
    check_date(date, spec)
    in_force = [v for v in doc.versions if v.effective and v.effective <= date]
    if not in_force:
        first = next((v.effective for v in doc.versions if v.effective), None)
        if first is None:
            keys = ", ".join(v.key for v in doc.versions)
            raise CorpusError(f"{spec}: {doc_id} has no dated version; use {keys}")
        raise CorpusError(f"{spec}: {date} is before the first version of {doc_id} ({first})")
    return in_force[-1]
