"""Versions from git history (GitPython): every commit that touched a file is a version.

``file_versions(repo, path)`` lists them oldest first with commit metadata; ``import_versions``
writes them into ``corpus/<doc>/`` (one file per version, named by its effective date) and adds
``[[versions]]`` entries carrying commit_sha / commit_date / commit_author / commit_message.
Importing twice changes nothing: versions already listed (same commit) are skipped.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from extract.errors import InputError
from extract.model import ParsedDocument
from extract.parse import parse_bytes
from extract.supplements import effective_date_of
from versions.sources.corpus import CorpusError, check_id, document_folder, read_toml
from versions.sources.files import MAX_BYTES


@dataclass(frozen=True)
class GitVersion:
    sha: str
    date: str  # ISO date-time of the commit (committer date, UTC offset kept)
    author: str
    message: str
    path: str  # path of the file in this commit (follows renames)
    data: bytes

    @property
    def day(self) -> str:
        return self.date[:10]


def file_versions(repo_path: Path, path: str) -> list[GitVersion]:
    """Every commit that changed ``path`` (renames followed), oldest first."""
    import git

    try:
        repo = git.Repo(repo_path, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise InputError(str(repo_path), "not a git repository") from None
    try:
        log = repo.git.log("--follow", "--format=%H", "--name-only", "--", path)
    except git.GitCommandError as exc:
        raise InputError(str(repo_path), f"git log failed: {exc.stderr.strip()}") from None
    out: list[GitVersion] = []
    sha: str | None = None
    for line in log.splitlines():
        line = line.strip()
        if re.fullmatch(r"[0-9a-f]{40}", line):
            sha = line
        elif line and sha:
            commit = repo.commit(sha)
            try:
                blob = commit.tree / line
            except KeyError:
                sha = None
                continue  # the file was deleted in this commit
            when = commit.committed_datetime.isoformat()
            author = f"{commit.author.name} <{commit.author.email}>"
            message = str(commit.message).strip()
            if blob.size > MAX_BYTES:  # refused by its size, before it is read
                raise InputError(
                    f"{repo_path}:{line}@{sha[:12]}", f"file too large ({blob.size:,} bytes)"
                )
            out.append(GitVersion(sha, when, author, message, line, blob.data_stream.read()))
            sha = None
    if not out:
        raise InputError(f"{repo_path}:{path}", "no commit touches this file")
    return list(reversed(out))


def _parsed(v: GitVersion) -> ParsedDocument | None:
    fmt = "markdown" if v.path.lower().endswith((".md", ".markdown")) else "text"
    try:
        return parse_bytes(v.data, v.path, fmt)
    except InputError:
        return None


def title_of(v: GitVersion) -> str | None:
    """The title the text prints (its first line, 「…利用規約」), if any."""
    parsed = _parsed(v)
    return parsed.title if parsed is not None and parsed.title else None


def effective_of(v: GitVersion) -> tuple[str, str]:
    """(effective date, where it came from): the latest 附則 in the text, else the commit date."""
    parsed = _parsed(v)
    if parsed is None:
        return v.day, "commit date (the text could not be parsed)"
    date = effective_date_of(parsed.supplements)
    if date:
        return date, "latest 附則"
    return v.day, "commit date (no 附則 in the text)"


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n",
                 "\f": "\\f", "\r": "\\r"}  # fmt: skip


def toml_str(value: str) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and every control character
    (an ESC or BEL in a commit message too) escaped, so tomllib reads back exactly ``value``."""
    out = []
    for c in value:
        if c in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _existing(toml: Path) -> tuple[dict[str, object], str]:
    if not toml.exists() and not toml.is_symlink():
        return {}, ""
    data, raw = read_toml(toml)
    return data, raw.decode("utf-8")


def _document_folder(corpus: Path, doc_id: str) -> Path:
    """``corpus/doc_id``, created if needed; a file of that name is an error, not a traceback."""
    folder = document_folder(corpus, doc_id, f"--doc {doc_id}")
    for path in (corpus, folder):
        if path.exists() and not path.is_dir():
            raise CorpusError(
                f"{path}: exists and is not a folder; choose another --doc or --corpus"
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CorpusError(f"{folder}: cannot create the document folder: {exc.strerror}") from None
    return folder


def _write_toml(toml: Path, old: str, lines: list[str], expected: list[dict[str, object]]) -> None:
    """Append ``lines`` to document.toml, after checking the result reads back as written
    (every new entry equal to ``expected``); the file is replaced atomically."""
    text = old + ("" if not old or old.endswith("\n") else "\n") + "\n".join(lines) + "\n"
    try:
        listed = tomllib.loads(text).get("versions")
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{toml}: the imported entries would not be valid TOML: {exc}") from None
    written = listed[len(listed) - len(expected) :] if isinstance(listed, list) else []
    if written != expected:
        raise CorpusError(f"{toml}: the imported entries do not read back as written")
    tmp = toml.with_name(f".{toml.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, toml)


@dataclass
class ImportResult:
    added: list[str]  # file names written
    skipped: int  # commits already imported
    entries: list[dict[str, object]] = field(default_factory=list)  # their [[versions]] tables


def import_versions(
    repo_path: Path,
    path: str,
    doc_id: str,
    corpus: Path,
    title: str | None = None,
    progress: Callable[[list[GitVersion]], AbstractContextManager[Iterable[GitVersion]]]
    | None = None,
) -> ImportResult:
    """Write every git version of ``path`` into ``corpus/<doc_id>/``; idempotent.

    ``progress`` wraps the list of commits (e.g. click.progressbar) while they are parsed.
    """
    check_id(doc_id, f"--doc {doc_id}")
    versions = file_versions(repo_path, path)
    folder = _document_folder(corpus, doc_id)
    toml = folder / "document.toml"
    data, old_text = _existing(toml)
    raw = data.get("versions")
    listed = raw if isinstance(raw, list) else []
    known = {str(v.get("commit_sha")) for v in listed if isinstance(v, dict)}
    names = {str(v.get("file")) for v in listed if isinstance(v, dict)}
    lines: list[str] = []
    if not old_text:  # a new document: titled as its latest text prints it, unless given
        title = title or (title_of(versions[-1]) if versions else None) or doc_id
        lines += [
            f"id = {toml_str(doc_id)}",
            f"title = {toml_str(title)}",
            'kind = "terms"',
            f"git_source = {toml_str(str(repo_path.resolve()) + ':' + path)}",
        ]
    result = ImportResult([], 0)
    suffix = Path(path).suffix or ".txt"
    with (progress or nullcontext)(versions) as items:
        new = [(v, effective_of(v)) for v in items if v.sha not in known]
    result.skipped = len(versions) - len(new)
    taken = {str(v.get("effective")) for v in listed if isinstance(v, dict)}
    dated = [(v, _free_date(v, when, taken, toml)) for v, when in new]  # before writing
    for v, (effective, why) in dated:
        _add(v, effective, why, names, folder, suffix, repo_path, lines, result)
    if result.entries:
        _write_toml(toml, old_text, lines, result.entries)
    return result


def _free_date(
    v: GitVersion, when: tuple[str, str], taken: set[str], toml: Path
) -> tuple[str, str]:
    """The version's effective date, unique in the document (``DOC@DATE`` names one version).

    A commit that changed the text but not its latest 附則 (a correction) takes its commit
    date instead, when that is later and free; otherwise the import stops before writing."""
    effective, why = when
    if effective in taken:
        if v.day > effective and v.day not in taken:
            effective, why = v.day, f"commit date (the latest 附則 date {when[0]} is taken)"
        else:
            raise CorpusError(
                f"{toml}: commit {v.sha[:12]} would be a second version in force on "
                f"{effective}; nothing imported (date it by hand in document.toml)"
            )
    taken.add(effective)
    return effective, why


def _add(
    v: GitVersion,
    effective: str,
    why: str,
    names: set[str],
    folder: Path,
    suffix: str,
    repo_path: Path,
    lines: list[str],
    result: ImportResult,
) -> None:
    """Write one commit's text and its [[versions]] entry."""
    name = f"{effective}{suffix}"
    n = 2
    while name in names or (folder / name).exists():
        name = f"{effective}_{n}{suffix}"
        n += 1
    (folder / name).write_bytes(v.data)
    names.add(name)
    result.added.append(name)
    entry: dict[str, object] = {
        "file": name,
        "effective": effective,
        "label": v.message.splitlines()[0] if v.message else v.sha[:10],
        "origin": f"git {repo_path.resolve()} {v.path} @ {v.sha[:12]}",
        "constructed": False,
        "commit_sha": v.sha,
        "commit_date": v.date,
        "commit_author": v.author,
        "commit_message": v.message,
    }
    result.entries.append(entry)
    lines += ["", "[[versions]]"]
    for key, value in entry.items():
        shown = toml_str(value) if isinstance(value, str) else str(value).lower()
        lines.append(f"{key} = {shown}" + (f"  # {why}" if key == "effective" else ""))
