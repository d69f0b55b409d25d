"""The yakkan site served by several processes: ``yakkan serve --workers N`` (N > 1).

One Datasette process runs its Python on one core (the GIL): under many clients every page
queues behind the others. The database is immutable, so N processes can serve it side by side:
uvicorn binds the socket once and spawns N workers, each building the same Datasette app
(``app``, from the settings ``yakkan serve`` puts in ``CONFIG_ENV``). The workers share the
cookie-signing secret (``DATASETTE_SECRET``), so a signed cookie one made is good in all, and
one folder of rendered pages (versions/kb/sitedb.py ``SharedPages``), so a page one computed is
not computed again by the others.

    python -m versions.cli.serve_app     # what `yakkan serve --workers N` runs (env set by it)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CONFIG_ENV = "YAKKAN_SERVE_CONFIG"  # JSON: db, site, host, port, workers, settings
SECRET_ENV = "DATASETTE_SECRET"  # read by `datasette serve` too


def datasette_instance(db: Path, settings: dict[str, Any], site: Path) -> Any:
    """The Datasette of ``datasette serve -i DB`` with the yakkan metadata, templates, plugins
    and static files (versions/cli/serve_cmd.py ``datasette_args``)."""
    from datasette.app import Datasette
    from datasette.utils import parse_metadata

    return Datasette(
        [],
        immutables=[str(db)],
        metadata=parse_metadata((site / "metadata.yml").read_text(encoding="utf-8")),
        template_dir=str(site / "templates"),
        plugins_dir=str(site / "plugins"),
        static_mounts=[("yakkan-static", str(site / "static"))],
        settings=settings,
        secret=os.environ.get(SECRET_ENV) or None,
    )


def _config() -> dict[str, Any]:
    raw = os.environ.get(CONFIG_ENV)
    if not raw:
        raise SystemExit(f"serve_app: {CONFIG_ENV} is not set (run `yakkan serve --workers N`)")
    config: dict[str, Any] = json.loads(raw)
    return config


def app() -> Any:
    """The ASGI app of one worker (uvicorn's factory): Datasette runs its startup hooks on the
    first request, as under ``datasette serve``."""
    config = _config()
    return datasette_instance(Path(config["db"]), config["settings"], Path(config["site"])).app()


def main() -> None:
    import shutil
    import tempfile

    import uvicorn

    from versions.kb.sitedb import PAGE_CACHE_BYTES, PAGE_DIR_ENV, PAGE_SHARE_ENV

    config = _config()
    workers = int(config["workers"])
    # rendered pages shared by the workers (sitedb.SharedPages), removed when the server ends
    pages = tempfile.mkdtemp(prefix="yakkan-pages-")
    os.environ[PAGE_DIR_ENV] = pages
    os.environ[PAGE_SHARE_ENV] = str(PAGE_CACHE_BYTES // max(1, workers))
    try:
        uvicorn.run(
            "versions.cli.serve_app:app",
            factory=True,
            host=config["host"],
            port=int(config["port"]),
            workers=workers,
            lifespan="on",
            log_level="info",
        )
    finally:
        shutil.rmtree(pages, ignore_errors=True)


if __name__ == "__main__":
    main()
