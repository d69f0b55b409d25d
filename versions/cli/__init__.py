"""The ``yakkan`` command: one click group, each subcommand in its own module (loaded lazily)."""

from __future__ import annotations

import importlib
import importlib.util

import click

# name -> "module:attribute"; every command module must exist (tests/test_cli_parse.py lists them).
COMMANDS: dict[str, str] = {
    "parse": "versions.cli.parse_cmd:parse",
    "check": "versions.cli.check_cmd:check",
    "refs": "versions.cli.refs_cmd:refs",
    "build": "versions.cli.build_cmd:build",
    "serve": "versions.cli.serve_cmd:serve",
    "search": "versions.cli.search_cmd:search",
    "diff": "versions.cli.diff_cmd:diff",
    "asof": "versions.cli.asof_cmd:asof",
    "history": "versions.cli.history_cmd:history",
    "facts": "versions.cli.facts_cmd:facts",
    "import-git": "versions.cli.import_git_cmd:import_git",
}


def _available(name: str) -> bool:
    module = COMMANDS[name].split(":")[0]
    return importlib.util.find_spec(module) is not None


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n in COMMANDS if _available(n))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not _available(cmd_name):
            return None
        module, attr = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yakkan")
def main() -> None:
    """yakkan (約款): a versioned knowledge base of Japanese terms documents.

    \b
    Examples:
        yakkan parse corpus/toreru-camera/2023-12-01.txt --format tree
        yakkan check --corpus
        yakkan build && yakkan serve
    """
