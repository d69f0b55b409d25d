"""Customer vocabulary for search: honorific お/ご folded, a reviewed domain thesaurus, synonyms.

Support agents type what the customer said (キャンセル, 引っ越し, お支払い, 払い忘れた); terms of
service say 解約, 移転, 支払い, 支払遅延. Three things bridge that:

- ``fold_honorific``: a leading お/ご/御 that SudachiPy reads as a prefix (接頭辞) is dropped, so
  お申込み searches 申込み and お支払い 支払い; words where お belongs to the word (おそれ, お互い)
  are tokenized as one word and kept.
- ``thesaurus``: versions/kb/data/thesaurus.toml, customer phrasings → the legal words, matched as
  substrings of the query (Japanese has no spaces to match words by).
- ``synonyms``: the Sudachi synonym dictionary through chikkarpy, when it is installed with its
  dictionary (its sdist downloads the dictionary while installing, so it is optional). Without
  it, versions/kb/word_groups.py reads the same groups' ids from SudachiDict's lexicon.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from extract.japanese import tokenize

THESAURUS = Path(__file__).with_name("data") / "thesaurus.toml"
_HONORIFIC = {"御"}  # SudachiPy's normalized form of お, ご and 御 as prefixes


@dataclass(frozen=True)
class Entry:
    say: tuple[str, ...]
    means: tuple[str, ...]
    unless: tuple[str, ...] = ()  # phrasings containing a `say` that mean something else


def normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _prefix(tokens: list[Any]) -> bool:
    return len(tokens) > 1 and tokens[0].pos == "接頭辞" and tokens[0].normalized_form in _HONORIFIC


def fold_honorific(term: str) -> str:
    """``term`` without its honorific prefix: お申込み → 申込み, お支払い → 支払い, ご利用 → 利用.

    The prefix goes when SudachiPy's longest split still reads it as a prefix, or when what
    follows is one verbal noun (ご利用, ご連絡); words where お belongs to the word stay:
    お金, お客様, お知らせ (one word in the longest split), おそれ (no prefix at all).
    """
    text = normal(term).strip()
    if not text or not _prefix(tokens := tokenize(text, "A")):
        return text
    rest = text[len(tokens[0].surface) :]
    verbal_noun = len(tokens) == 2 and tokens[1].part_of_speech[2:3] == ("サ変可能",)
    return rest if _prefix(tokenize(text, "C")) or verbal_noun else text


def fold_query(query: str) -> str:
    """Every whitespace-separated term of ``query`` with its honorific prefix folded."""
    return " ".join(fold_honorific(t) for t in normal(query).split())


@lru_cache(maxsize=4)
def load(path: Path = THESAURUS) -> tuple[Entry, ...]:
    """The thesaurus entries (``say`` and ``means`` NFKC-normalized, lower case)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = []
    for i, raw in enumerate(data.get("entry", []), start=1):
        say, means, unless = raw.get("say"), raw.get("means"), raw.get("unless", [])
        if not (isinstance(say, list) and isinstance(means, list) and say and means):
            raise ValueError(f"{path}: entry {i}: needs non-empty `say` and `means` lists")
        if not isinstance(unless, list):
            raise ValueError(f"{path}: entry {i}: `unless` must be a list")
        entries.append(
            Entry(
                tuple(normal(s) for s in say if s),
                tuple(normal(m) for m in means if m),
                tuple(normal(u) for u in unless if u),
            )
        )
    return tuple(entries)


_PARTICLES = "はがをもにへ"
_WORD_CHAR = r"[\u3400-\u9fff\u30a0-\u30ffー々]"


@lru_cache(maxsize=1024)
def _pattern(say: str) -> re.Pattern[str]:
    """``say`` as a regular expression in which a particle between two kanji/katakana words may
    be any particle (お金が戻 also finds お金は戻ってくる, 住所が変わ 住所も変わる)."""
    out = []
    for i, ch in enumerate(say):
        inner = 0 < i < len(say) - 1 and ch in _PARTICLES
        if inner and re.match(_WORD_CHAR, say[i - 1]) and re.match(_WORD_CHAR, say[i + 1]):
            out.append(f"[{_PARTICLES}]")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out))


def thesaurus(text: str) -> list[str]:
    """Legal words for the customer phrasings found in ``text``, in thesaurus order."""
    folded = " ".join((normal(text), fold_query(text)))
    out: list[str] = []
    for entry in load():
        said = folded
        for phrase in entry.unless:  # 払わないといけない is not 払わない
            said = said.replace(phrase, " ")
        if any(s in said or _pattern(s).search(said) for s in entry.say):
            out += [m for m in entry.means if m not in out]
    return out


@lru_cache(maxsize=1)
def _chikkar() -> Any:
    """chikkarpy with its system synonym dictionary, or None when either is missing."""
    try:
        from chikkarpy import Chikkar
        from chikkarpy.dictionarylib import Dictionary
    except ImportError:
        return None
    try:
        chikkar = Chikkar()
        chikkar.add_dictionary(Dictionary(filename=None))
    except (OSError, ValueError):  # FileNotFoundError: installed without its dictionary
        return None
    return chikkar


def synonyms_available() -> bool:
    return _chikkar() is not None


@lru_cache(maxsize=4096)
def synonyms(word: str) -> tuple[str, ...]:
    """Synonyms of a noun from the Sudachi synonym dictionary (empty without chikkarpy)."""
    chikkar = _chikkar()
    if chikkar is None or not word:
        return ()
    return tuple(normal(s) for s in chikkar.find(word) if s and normal(s) != normal(word))


def expansions(term: str) -> list[str]:
    """Words searched as well as ``term``: thesaurus words, then dictionary synonyms."""
    out = thesaurus(term)
    for s in synonyms(fold_honorific(term)):
        if s not in out:
            out.append(s)
    return [w for w in out if w != normal(term)]
