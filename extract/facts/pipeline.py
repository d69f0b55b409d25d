"""The spaCy side: one shared pipeline (extract.japanese.spacy_pipeline) and a Doc per clause.

The pipeline is ja_ginza when installed, else a blank Japanese pipeline whose tokenizer is
SudachiPy (split mode A); the rules read each token's dictionary form (``lemma_``), which both
give. Loaded once per process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from extract.japanese import chunks, spacy_pipeline


@lru_cache(maxsize=1)
def nlp() -> Any:
    return spacy_pipeline()


def parse(text: str) -> Any:
    """The spaCy Doc of a clause text (token offsets are character offsets into ``text``).

    A long text (a 別表 of one paragraph) is tokenized in chunks cut after 。 or a line break
    and joined, since SudachiPy refuses inputs over 49,149 bytes."""
    pieces = chunks(text)
    if len(pieces) == 1:
        return nlp().make_doc(text)
    from spacy.tokens import Doc

    return Doc.from_docs([nlp().make_doc(p) for _, p in pieces], ensure_whitespace=False)


def coarse(token: Any) -> str:
    """The coarse part of speech from the Sudachi tag: 名詞, 助動詞, 補助記号 …"""
    return str(token.tag_).split("-", 1)[0]
