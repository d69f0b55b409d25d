"""Options shared by several ``yakkan`` subcommands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from versions.sources.corpus import DEFAULT_CORPUS


def corpus_option(
    help: str = "Corpus folder: <doc-id>/document.toml + version files.",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--corpus DIRECTORY`` (default: the repository's corpus/), passed as ``corpus``."""
    return click.option(
        "--corpus",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_CORPUS,
        show_default="corpus/",
        help=help,
    )
