"""Versions from git history (GitPython): every commit that touched a file is a version.

``file_versions(repo, path)`` lists them oldest first with commit metadata; ``import_versions``
writes them into ``corpus/<doc>/`` (one file per version, named by its effective date) and adds
``[[versions]]`` entries carrying commit_sha / commit_date / commit_author / commit_message.
Importing twice changes nothing: versions already listed (same commit) are skipped.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from extract.errors import InputError
from extract.parse import parse_bytes
from extract.supplements import effective_date_of
from versions.sources.corpus import CorpusError


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
            out.append(GitVersion(sha, when, author, message, line, blob.data_stream.read()))
            sha = None
    if not out:
        raise InputError(f"{repo_path}:{path}", "no commit touches this file")
    return list(reversed(out))


def effective_of(v: GitVersion) -> tuple[str, str]:
    """(effective date, where it came from): the latest 附則 in the text, else the commit date."""
    fmt = "markdown" if v.path.lower().endswith((".md", ".markdown")) else "text"
    try:
        parsed = parse_bytes(v.data, v.path, fmt)
    except InputError:
        return v.day, "commit date (the text could not be parsed)"
    date = effective_date_of(parsed.supplements)
    if date:
        return date, "latest 附則"
    return v.day, "commit date (no 附則 in the text)"


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "").replace("\t", "\\t")
    return f'"{escaped}"'


def _existing(toml: Path) -> dict[str, object]:
    if not toml.is_file():
        return {}
    try:
        return tomllib.loads(toml.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{toml}: cannot read: {exc}") from None


@dataclass
class ImportResult:
    added: list[str]  # file names written
    skipped: int  # commits already imported


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
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", doc_id):
        raise CorpusError(f"{doc_id!r}: a document id is ASCII letters, digits, '.', '_', '-'")
    versions = file_versions(repo_path, path)
    folder = corpus / doc_id
    folder.mkdir(parents=True, exist_ok=True)
    toml = folder / "document.toml"
    data = _existing(toml)
    raw = data.get("versions")
    listed = raw if isinstance(raw, list) else []
    known = {str(v.get("commit_sha")) for v in listed if isinstance(v, dict)}
    names = {str(v.get("file")) for v in listed if isinstance(v, dict)}
    lines: list[str] = []
    if not toml.is_file():
        lines += [
            f"id = {_toml_str(doc_id)}",
            f"title = {_toml_str(title or doc_id)}",
            'kind = "terms"',
            f"git_source = {_toml_str(str(repo_path.resolve()) + ':' + path)}",
        ]
    result = ImportResult([], 0)
    suffix = Path(path).suffix or ".txt"
    with (progress or nullcontext)(versions) as items:
        for v in items:
            _add(v, known, names, folder, suffix, repo_path, lines, result)
    if lines:
        with toml.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return result


def _add(
    v: GitVersion,
    known: set[str],
    names: set[str],
    folder: Path,
    suffix: str,
    repo_path: Path,
    lines: list[str],
    result: ImportResult,
) -> None:
    """Write one commit's text and its [[versions]] entry (unless already imported)."""
    if v.sha in known:
        result.skipped += 1
        return
    effective, why = effective_of(v)
    name = f"{effective}{suffix}"
    n = 2
    while name in names or (folder / name).exists():
        name = f"{effective}_{n}{suffix}"
        n += 1
    (folder / name).write_bytes(v.data)
    names.add(name)
    result.added.append(name)
    lines += [
        "",
        "[[versions]]",
        f"file = {_toml_str(name)}",
        f"effective = {_toml_str(effective)}  # {why}",
        f"label = {_toml_str(v.message.splitlines()[0] if v.message else v.sha[:10])}",
        f"origin = {_toml_str(f'git {repo_path.resolve()} {v.path} @ {v.sha[:12]}')}",
        "constructed = false",
        f"commit_sha = {_toml_str(v.sha)}",
        f"commit_date = {_toml_str(v.date)}",
        f"commit_author = {_toml_str(v.author)}",
        f"commit_message = {_toml_str(v.message)}",
    ]
