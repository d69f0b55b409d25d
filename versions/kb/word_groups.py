"""Sudachi synonym groups of the documents' words: the customer's word → the documents' words.

SudachiDict's lexicon gives each word the ids of its groups in the Sudachi synonym dictionary:
キャンセル and 解約 share 22021, 値段 and 料金 702, 住所 and アドレス 991, 消す and 削除 13968.
The groups' member lists are a separate file (chikkarpy downloads it while installing), but the
ids ship inside sudachidict_core. So the build records the groups of every word of the word
index (``word_groups``), and a search expands a query word to the documents' words that share a
group with it: no download, and only words the documents use. A group with more than
``MAX_MEMBERS`` of the documents' words is too broad to stand for one word and is left out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from versions.kb import search, vocabulary
from versions.kb.context import BuildContext

MAX_MEMBERS = 4  # a group with more of the documents' words is a topic, not a synonym
_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞"}


def _morphemes(text: str, mode: int) -> list[Any]:
    """SudachiPy morphemes of ``text``, without the parts of speech the index skips."""
    tokenizer, skip = search._sudachi(mode)
    return [m for m in tokenizer.tokenize(text) if m.part_of_speech_id() not in skip]


def word_ids(word: str) -> tuple[int, ...]:
    """The synonym groups of an indexed word, when SudachiPy reads it as one word."""
    if len(word) < 2 or word.isascii():
        return ()
    ms = _morphemes(word, 1)
    return tuple(ms[0].synonym_group_ids()) if len(ms) == 1 else ()


def query_ids(query: str) -> list[int]:
    """The synonym groups of the content words of ``query`` (both splits), in query order."""
    out: list[int] = []
    text = vocabulary.fold_query(query)
    for mode in (0, 1):
        for m in _morphemes(text, mode):
            pos = m.part_of_speech()
            if pos[0] not in _CONTENT_POS or pos[1] == "非自立可能":
                continue
            out += [g for g in m.synonym_group_ids() if g not in out]
    return out


def rows(terms: Iterable[str]) -> list[tuple[int, str]]:
    """(group id, word) for every word of ``terms`` that belongs to a synonym group."""
    return [(g, w) for w in terms for g in word_ids(w)]


def fill(conn: sqlite3.Connection) -> int:
    """(Re)write ``word_groups`` from the word index's vocabulary; the rows stored."""
    conn.execute("delete from word_groups")  # made by schema.create_schema
    found = rows(search.index_terms(conn))
    conn.executemany("insert or ignore into word_groups (group_id, word) values (?, ?)", found)
    return len(found)


def synonyms(conn: sqlite3.Connection, query: str) -> list[str]:
    """The documents' words sharing a synonym group with a word of ``query`` (not its own)."""
    ids = query_ids(query)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    try:
        found = conn.execute(
            f"select group_id, word from word_groups where group_id in ({marks})", ids
        ).fetchall()
    except sqlite3.OperationalError:  # a database built before word_groups
        return []
    members: dict[int, list[str]] = {}
    for g, w in found:
        members.setdefault(g, []).append(w)
    own = {w for mode in (0, 1) for w in search.words(vocabulary.fold_query(query), mode)}
    out: list[str] = []
    for g in ids:
        words = members.get(g, [])
        if len(words) <= MAX_MEMBERS:
            out += [w for w in sorted(words) if w not in own and w not in out]
    return out


def customer_words(conn: sqlite3.Connection, term: str) -> list[str]:
    """Words searched for a term the documents rarely use: its thesaurus words, then the
    documents' words in its synonym groups (not the term as typed, honorific folded)."""
    typed = vocabulary.fold_honorific(term)
    words = [*vocabulary.expansions(term), *synonyms(conn, term)]
    return [w for w in dict.fromkeys(words) if w != typed]


def step_word_groups(ctx: BuildContext) -> None:
    """The build step (versions.kb.build STEPS), after the word index."""
    ctx.stats.setdefault("meta", {})["word_groups"] = fill(ctx.db.conn)
