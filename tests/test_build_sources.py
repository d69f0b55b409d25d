"""The build hashes what it parses: a version file edited while a build runs never leaves text in
the database that is in no file, and neither the next build nor ``--force`` keeps it."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from test_build import small_corpus

from versions.kb import build as kb

DOC = "vectant-closed-ip-smart"
ADDED = "編集中に書き加えられた一文です。"


def version_file(corpus: Path) -> Path:
    return next((corpus / DOC).glob("*.md"))


def editing(path: Path, new: bytes) -> Any:
    """A progress callback that rewrites ``path`` when parsing starts: after the build hashed
    every file, before it reads this one for parsing (an editor saving mid-build)."""

    @contextlib.contextmanager
    def progress(items: Sequence[Any], label: str) -> Iterator[Sequence[Any]]:
        if label == "Parsing":
            path.write_bytes(new)
        yield items

    return progress


def stored(db: Path) -> tuple[str, str, list[str]]:
    """(versions.sha256, all node text, parse-cache keys) of the one version."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        sha = conn.execute("select sha256 from versions").fetchone()[0]
        text = "\n".join(t for (t,) in conn.execute("select text from nodes order by seq") if t)
        keys = [k for (k,) in conn.execute("select key from parse_cache")]
    return sha, text, keys


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_file_edited_during_the_build_is_recorded_as_parsed(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path, (DOC,))
    db = tmp_path / "kb.db"
    path = version_file(corpus)
    original = path.read_bytes()
    edited = original + f"\n{ADDED}\n".encode()
    kb.build(corpus, db, progress=editing(path, edited))
    digest, text, keys = stored(db)
    assert ADDED in text  # parsed after the edit: the database says so
    assert digest == sha(edited) and keys == [k for k in keys if k.startswith(sha(edited))]


def test_neither_the_next_build_nor_force_keeps_text_that_is_in_no_file(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path, (DOC,))
    db = tmp_path / "kb.db"
    path = version_file(corpus)
    original = path.read_bytes()
    kb.build(corpus, db, progress=editing(path, original + f"\n{ADDED}\n".encode()))
    path.write_bytes(original)  # the edit is undone: the sentence is in no file now
    again = kb.build(corpus, db)
    assert not again.up_to_date
    digest, text, _ = stored(db)
    assert ADDED not in text and digest == sha(original)
    kb.build(corpus, db, force=True)
    digest, text, keys = stored(db)
    assert ADDED not in text and digest == sha(original) and keys[0].startswith(sha(original))


def test_the_parse_cache_key_covers_all_the_parser_code() -> None:
    # A change to a block rule (extract/blocks/) kept the old parses, even with --force.
    import sys

    from extract.parse import parse_bytes

    parse_bytes("第1条（目的）\n本文。\n".encode(), "x.txt", "text")
    loaded = {
        Path(str(m.__file__)).resolve()
        for name, m in list(sys.modules.items())
        if name.split(".")[0] == "extract" and getattr(m, "__file__", None)
    }
    hashed = {p.resolve() for p in kb.parser_files()}
    assert any(p.parent.name == "blocks" for p in loaded)
    assert loaded <= hashed, sorted(str(p) for p in loaded - hashed)


def test_a_zlib_parse_cache_blob_of_an_older_database_is_still_read() -> None:
    """Schema 8 writes xz blobs; a previous database's zlib blobs stay usable (no re-parse)."""
    import json
    import zlib

    from versions.kb.build import _blob, _unblob
    from versions.sources.corpus import DEFAULT_CORPUS
    from versions.sources.files import read_document

    parsed = read_document(DEFAULT_CORPUS / "toreru-camera" / "2024-10-01.txt")
    xz = _blob(parsed)
    old = zlib.compress(json.dumps(parsed, default=vars, ensure_ascii=False).encode(), 6)
    assert _unblob(xz) == _unblob(old)
    assert len(xz) < len(old)
