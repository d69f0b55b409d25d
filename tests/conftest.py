"""Knowledge bases of corpus/ shared by the test modules, each built once per session (per xdist
worker). Tests read them; a test that changes one works on a copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from semantic_helpers import build_kb

from versions.kb.build import build
from versions.sources.corpus import DEFAULT_CORPUS


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The knowledge base of corpus/ (built once; later builds of the same path are no-ops)."""
    path = tmp_path_factory.getbasetemp() / "kb" / "yakkan.db"
    path.parent.mkdir(exist_ok=True)
    build(DEFAULT_CORPUS, path)
    return path


@pytest.fixture(scope="session")
def semantic_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """corpus/ with the embeddings step and the default model (no vectors if it is missing)."""
    return build_kb(tmp_path_factory.getbasetemp() / "semantic" / "yakkan.db")


@pytest.fixture(scope="session")
def plain_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """corpus/ with the embeddings step and no model: a knowledge base without vectors."""
    return build_kb(tmp_path_factory.getbasetemp() / "search_cmd_plain" / "yakkan.db", "none")
