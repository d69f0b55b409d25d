"""Every kind of problem `yakkan check` reports (a SARIF rule each), and where docs/check.md
explains it. docs/check.md has a heading per rule whose anchor is the rule id
(tests/test_check_ci.py keeps the two in step, and the catalogue in step with extract/)."""

from __future__ import annotations

from dataclasses import dataclass

DOCS_URL = "https://github.com/yakkan/yakkan/blob/main/docs/check.md"


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # "reference" (a citation that does not resolve) or "diagnostic" (the parser's)
    level: str  # the usual level; some diagnostics are milder in statutes or excerpts
    summary: str  # one sentence: what it means

    @property
    def help_uri(self) -> str:
        return f"{DOCS_URL}#{self.id}"


def _r(kind: str, level: str, rows: dict[str, str]) -> dict[str, Rule]:
    return {code: Rule(code, kind, level, text) for code, text in rows.items()}


RULES: dict[str, Rule] = {
    **_r("reference", "error", {
        "broken": "The cited article, paragraph, item or appendix does not exist in the document.",
        "caption_mismatch": "The caption printed with the citation is not the caption of the "
        "clause it cites.",
        "stale": "The cited clause was renumbered or deleted by an amendment; the citation "
        "was not updated.",
    }),
    **_r("reference", "warning", {
        "ambiguous": "The citation could point at more than one clause (e.g. 別紙 without a "
        "number when there are several).",
        "out_of_range": "A relative citation (前条, 前各号, 次項 …) has nothing to point at here.",
    }),
    **_r("diagnostic", "warning", {
        "skipped-article-number": "Article numbers jump: the articles in between are missing.",
        "skipped-supplement-article-number": "Article numbers inside a 附則 jump.",
        "repeated-article-number": "The same article number appears twice.",
        "repeated-supplement-article-number": "The same article number appears twice in a 附則.",
        "article-out-of-order": "An article number is lower than the one before it.",
        "supplement-article-out-of-order": "An article number in a 附則 is lower than the one "
        "before it.",
        "duplicate-id": "Two clauses would get the same id (the same number printed twice).",
        "text-outside-article": "Text under a chapter heading before its first article.",
        "paragraph-out-of-order": "A paragraph number does not follow the one before it.",
        "item-out-of-order": "An item marker does not follow the one before it.",
        "toc-article-missing": "The table of contents lists an article the body does not have.",
        "malformed-reference": "Text that looks like a citation names no number (第条, 第Ｘ条).",
        "partial-effective-target-missing": "A 附則 gives a clause its own effective date, but "
        "no such clause exists.",
        "duplicate-supplement": "A 附則 is printed twice, word for word.",
        "supplement-heading-conflict": "Two 附則 have the same heading but different bodies.",
        "effective-dates-out-of-order": "A 附則 takes effect before the 附則 above it.",
        "effective-before-enacted": "A 附則 takes effect before the date it was made.",
        "missing-effective-date": "A 附則 states no effective date yakkan can read.",
        "missing-document-number": "A 附則 heading has no document number (文書番号) while "
        "others have one.",
    }),
    **_r("reference", "info", {
        "historical": "A citation in a statute's 附則 that today's text does not have: the 附則 "
        "speaks of the law as it stood when it was enacted.",
    }),
    **_r("diagnostic", "info", {
        "first-number": "A numbering (附則 articles, paragraphs) does not start at 1.",
        "item-numbering-starts-late": "An item list does not start at its first marker.",
        "toc-caption-mismatch": "The table of contents and the body caption an article "
        "differently.",
        "toc-article-absent": "An article of the body is not in the table of contents.",
        "enacted-dates-out-of-order": "A 附則 was made before the 附則 above it.",
        "unresolved-effective-date": "A 附則's effective date is not a calendar date "
        "(「政令で定める日」, 「民法改正法の施行の日」): as-of answers are uncertain there.",
        "unresolved-partial-effective-date": "A 附則 dates one provision later, but not as a "
        "calendar date (「公布の日から起算して一年を経過した日」 with no promulgation date).",
    }),
}  # fmt: skip


def rule(code: str) -> Rule:
    """The rule for ``code``; an unknown code (a new diagnostic) gets a generic entry."""
    return RULES.get(code) or Rule(code, "diagnostic", "warning", f"Diagnostic {code}.")
