"""Block rules for the clause tree: line classifier, shared state, ruler, one module per kind.

Imports only extract.model / normalize / numerals; extract.structure orders the rules (RULES).
"""
