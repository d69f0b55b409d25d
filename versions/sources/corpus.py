"""The corpus on disk: ``corpus/<doc-id>/document.toml`` plus one file per dated version.

A document.toml holds the document's metadata and a ``[[versions]]`` list; each entry names its
``file`` and may give ``effective`` (ISO date), ``label``, ``format``, ``origin`` and
``constructed`` (true for versions written by us as examples, never published text).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date as _date
from pathlib import Path

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

    def latest(self) -> VersionEntry:
        return self.versions[-1]


def _version(doc_id: str, folder: Path, raw: dict[str, object], toml: Path) -> VersionEntry:
    name = raw.get("file")
    if not isinstance(name, str):
        raise CorpusError(f'{toml}: every [[versions]] entry needs a file = "..." name')
    path = folder / name
    if not path.is_file():
        raise CorpusError(f"{toml}: version file {name!r} does not exist")
    effective = raw.get("effective")
    if effective:
        check_date(str(effective), f"{toml}: {name}: effective")
    constructed = raw.get("constructed", False)
    if not isinstance(constructed, bool):
        raise CorpusError(f"{toml}: {name}: constructed must be true or false, not {constructed!r}")
    return VersionEntry(
        doc_id=doc_id,
        file=path,
        effective=str(effective) if effective else None,
        label=str(raw["label"]) if raw.get("label") else None,
        format=str(raw["format"]) if raw.get("format") else None,
        origin=str(raw["origin"]) if raw.get("origin") else None,
        constructed=constructed,
    )


def load_document(folder: Path) -> DocumentEntry:
    toml = folder / "document.toml"
    try:
        data = tomllib.loads(toml.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CorpusError(f"{toml}: cannot read document metadata: {exc}") from exc
    doc_id = str(data.get("id") or folder.name)
    raw_versions = data.get("versions") or []
    if not isinstance(raw_versions, list) or not raw_versions:
        raise CorpusError(f"{toml}: no [[versions]] listed")
    versions = sorted(
        (_version(doc_id, folder, v, toml) for v in raw_versions),
        key=lambda v: (v.effective or "", v.file.name),
    )
    meta = {k: v for k, v in data.items() if k != "versions"}
    return DocumentEntry(
        id=doc_id,
        title=str(data.get("title") or doc_id),
        publisher=str(data["publisher"]) if data.get("publisher") else None,
        kind=str(data.get("kind") or "terms"),
        folder=folder,
        versions=tuple(versions),
        meta=meta,
    )


def load_corpus(root: Path = DEFAULT_CORPUS) -> list[DocumentEntry]:
    """Every document under ``root`` (folders with a document.toml), sorted by id."""
    if not root.is_dir():
        raise CorpusError(f"{root}: corpus folder not found")
    return [load_document(p.parent) for p in sorted(root.glob("*/document.toml"))]


def find_version(spec: str, root: Path = DEFAULT_CORPUS) -> VersionEntry:
    """Resolve ``DOC`` (latest) or ``DOC@DATE`` (the version in force on DATE)."""
    doc_id, _, date = spec.partition("@")
    folder = root / doc_id
    if not (folder / "document.toml").is_file():
        raise CorpusError(f"{spec}: no document {doc_id!r} in {root}")
    doc = load_document(folder)
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
