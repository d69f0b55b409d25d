"""``python -m versions.cli``: the same as the ``yakkan`` command."""

from versions.cli import main

if __name__ == "__main__":  # guarded: Dask worker processes import this module too
    main()
