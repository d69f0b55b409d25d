"""Japanese word tokens: a thin, cached wrapper around SudachiPy (sudachidict-core).

One shared tokenizer for definitions (term boundaries) and search indexing (normalised forms).
The dictionary is loaded lazily on first use and kept for the process; tokenizers are cached
per thread and split mode (SudachiPy tokenizers are not thread-safe).

    >>> [t.surface for t in tokenize("本サービス契約")]
    ['本', 'サービス', '契約']

Split modes: ``A`` finest (短単位), ``B`` middle, ``C`` longest (named entities, compounds).
Offsets are character offsets into the text passed in. Long texts are tokenized in chunks cut at
line or sentence ends, so SudachiPy's input-size limit never applies to callers.

spaCy / GiNZA are optional: ``spacy_pipeline()`` returns ja_ginza when it is installed (no
download ever happens at run time) and otherwise a blank spaCy Japanese pipeline, which itself
tokenizes with SudachiPy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

Mode = Literal["A", "B", "C"]

# SudachiPy refuses inputs over ~49 kB of UTF-8; Japanese characters are 3 bytes each.
MAX_CHUNK_CHARS = 4000
_CUT_AFTER = "\n。．！？!?"

_lock = threading.Lock()
_local = threading.local()
_dictionary: Any = None


@dataclass(frozen=True, slots=True)
class Token:
    surface: str
    normalized_form: str  # 表記ゆれ folded: 申し込み → 申込
    dictionary_form: str  # lemma: 申し込ん → 申し込む
    part_of_speech: tuple[str, ...]  # ("名詞", "普通名詞", "一般", "*", "*", "*")
    start: int  # character offsets in the tokenized text
    end: int

    @property
    def pos(self) -> str:
        """The coarse part of speech: 名詞, 動詞, 助詞, 接頭辞, 接尾辞, 補助記号, 空白 …"""
        return self.part_of_speech[0] if self.part_of_speech else ""


def _load_dictionary() -> Any:
    global _dictionary
    with _lock:
        if _dictionary is None:
            from sudachipy import Dictionary  # imported late: importing extract stays cheap

            _dictionary = Dictionary(dict="core")
        return _dictionary


def _tokenizer(mode: Mode) -> Any:
    cache: dict[str, Any] | None = getattr(_local, "tokenizers", None)
    if cache is None:
        cache = _local.tokenizers = {}
    tok = cache.get(mode)
    if tok is None:
        from sudachipy import SplitMode

        tok = cache[mode] = _load_dictionary().create(getattr(SplitMode, mode))
    return tok


def chunks(text: str, size: int = MAX_CHUNK_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) parts of ``text``, each at most ``size`` characters, cut after 。 or \\n."""
    out: list[tuple[int, str]] = []
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + size)
        if end < len(text):
            cut = max(text.rfind(ch, pos, end) for ch in _CUT_AFTER)
            if cut > pos:
                end = cut + 1
        out.append((pos, text[pos:end]))
        pos = end
    return out


def tokenize(text: str, mode: Mode = "A") -> list[Token]:
    """Every morpheme of ``text`` (whitespace and symbols included), with character offsets."""
    if not text:
        return []
    tok = _tokenizer(mode)
    out: list[Token] = []
    for offset, piece in chunks(text):
        for m in tok.tokenize(piece):
            out.append(
                Token(
                    surface=m.surface(),
                    normalized_form=m.normalized_form(),
                    dictionary_form=m.dictionary_form(),
                    part_of_speech=tuple(m.part_of_speech()),
                    start=offset + m.begin(),
                    end=offset + m.end(),
                )
            )
    return out


@lru_cache(maxsize=8192)
def boundaries(text: str, mode: Mode = "B") -> frozenset[int]:
    """Character offsets where a word starts or ends (0 and len(text) included)."""
    cuts = {0, len(text)}
    tok = _tokenizer(mode)
    for offset, piece in chunks(text):
        for m in tok.tokenize(piece):
            cuts.add(offset + m.begin())
            cuts.add(offset + m.end())
    return frozenset(cuts)


def spacy_pipeline() -> Any:
    """ja_ginza when installed, else a blank spaCy Japanese pipeline (both SudachiPy-based)."""
    import spacy

    try:
        return spacy.load("ja_ginza")
    except OSError:
        return spacy.blank("ja")
