"""References from one corpus document to another, named by its title.

「…利用規約第5条」 or 「個人情報保護法第27条」 (a short name of 個人情報の保護に関する法律).

Within a document, a reference preceded by a law or document name is ``external``. Here, given
every parsed document, an external reference whose name matches another corpus document's title
is resolved in that document: ``target_document`` is set, ``target`` is the node, and ``status``
becomes ok / broken / caption_mismatch. Names that match no corpus document stay ``external``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from extract.citation import position
from extract.model import ParsedDocument, Reference
from extract.references import find_citations
from extract.resolve import Resolver

_DROP = re.compile(r"[\s「」『』\"“”'’・]|に関する|の")


@lru_cache(maxsize=65_536)  # the check resolves each document against every title
def title_key(title: str) -> str:
    """A comparable form of a title: 「個人情報の保護に関する法律」 and 「個人情報保護法」 agree."""
    text = unicodedata.normalize("NFKC", title)
    text = _DROP.sub("", text)
    return text.replace("法律", "法")


def _by_title(keys: Mapping[str, str]) -> dict[str, str]:
    """title key → the first doc id with that title (documents sharing a title: the first)."""
    out: dict[str, str] = {}
    for doc_id, title in keys.items():
        if title:
            out.setdefault(title, doc_id)
    return out


def _match(name: str, by_title: Mapping[str, str]) -> str | None:
    """The doc id whose title the cited ``name`` ends with (longest title wins): one lookup per
    suffix of the name, not one comparison per document (2,000 documents: minutes)."""
    key = title_key(name)
    return next((by_title[key[i:]] for i in range(len(key)) if key[i:] in by_title), None)


def resolve_across(
    docs: Mapping[str, ParsedDocument], titles: Mapping[str, str] | None = None
) -> list[Reference]:
    """Resolve external references that name another corpus document; return those changed.

    ``docs`` maps doc id → the version to resolve against (usually the latest); ``titles`` maps
    doc id → title (defaults to each document's parsed title). References are updated in place.
    """
    keys = {d: title_key(t) for d, t in (titles or {d: p.title for d, p in docs.items()}).items()}
    by_title = _by_title(keys)
    resolvers: dict[str, Resolver] = {}
    changed: list[Reference] = []
    for doc_id, doc in docs.items():
        pending = {(r.source, r.line, r.column): r for r in doc.references if r.kind == "external"}
        if not pending:
            continue
        sources = {src for src, _, _ in pending}
        for node in doc.nodes:
            if node.id not in sources:
                continue
            for cit in find_citations(node):
                ref = pending.get((node.id, *position(node, cit.start)))
                name = cit.external or ""
                target_id = _match(name, by_title) if ref and not cit.historical else None
                if ref is None or target_id is None:
                    continue
                if target_id == doc_id and ref.source.startswith("suppl_"):
                    continue  # a statute's 附則 naming the statute itself: another time's text
                if target_id not in resolvers:
                    resolvers[target_id] = Resolver(docs[target_id].nodes)
                target, status, message = resolvers[target_id].resolve_external(cit)
                if status != "ok" and ref.source.startswith("suppl_"):
                    continue  # a 附則 speaks of the law as it stood then, not of today's text
                ref.target_document, ref.target = target_id, target
                ref.targets, ref.target_end = ([target] if target else []), None
                ref.status = status
                ref.message = f"{name}{cit.text.strip()} → {target_id}: {message}"
                changed.append(ref)
    return changed
