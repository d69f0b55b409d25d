"""``python -m versions.cli``: the same as the ``yakkan`` command."""

from versions.cli import main

main()
