"""The build step of ``word_postings`` (versions/kb/word_postings.py): which phrases a
question's keyword side may use, stored when frequent."""

from __future__ import annotations

import sqlite3

from versions.kb import search, semantic, vocabulary, word_postings
from versions.kb.context import BuildContext


def candidates(conn: sqlite3.Connection, threshold: int) -> list[str]:
    """Phrases a question's keyword side may use that could match many clauses: the frequent
    content words of the index as single phrases, and the thesaurus words' phrases."""
    found: set[str] = set()
    for word in search.index_terms(conn, threshold):
        if semantic.keywords(word):  # a content word (not の, に, を …)
            found.add(search._phrase([word]))
    for entry in vocabulary.load():
        for say in entry.say:
            found.update(semantic.vocabulary_phrases(say))
    return sorted(found)


def fill(conn: sqlite3.Connection, threshold: int = word_postings.THRESHOLD) -> int:
    """(Re)write ``word_postings`` for the candidates past ``threshold``; the number stored."""
    return word_postings.fill(conn, candidates(conn, threshold), threshold)


def step_word_postings(ctx: BuildContext) -> None:
    """The build step (versions.kb.build STEPS), after the word index."""
    ctx.stats.setdefault("meta", {})["word_postings"] = fill(ctx.db.conn)
