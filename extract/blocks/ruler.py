"""The block rules in order, and the loop that offers each line to them (markdown-it's Ruler).

A ``Rule`` reads one ``Line`` with the shared ``BlockState`` and returns whether it took the
line; the first rule that does wins. ``kinds`` names the marker kinds a rule reads (None: any
line), so a line is only offered to the rules that can take it. A block that spans the lines
after its opening one (the definition table) sets ``state.holder``: it sees each line first,
until it lets go. Add a rule with
``Ruler.before(name, rule)`` / ``after``; ``extract.structure.RULES`` is the default order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from extract.blocks.lines import classify, terminated
from extract.blocks.state import BlockState, Line
from extract.model import Diagnostic, Node
from extract.normalize import RawLine

# Whether a line a rule took ends the sentence before the next line (so a marker there is
# trusted): never, always, or "bare" — when nothing but 削除 follows the line's marker.
Ends = Literal["never", "always", "bare"]


@dataclass(frozen=True)
class Rule:
    name: str
    fn: Callable[[BlockState, Line], bool]
    kinds: frozenset[str] | None = None  # marker kinds it reads; None: any line
    ends: Ends = "bare"


class Ruler:
    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = list(rules)
        self._chains: dict[str, tuple[Rule, ...]] = {}  # marker kind → rules, in order
        self._markers: dict[str, tuple[Rule, ...]] = {}  # the same without catch-all rules

    def _index(self, name: str) -> int:
        for i, rule in enumerate(self.rules):
            if rule.name == name:
                return i
        raise KeyError(f"no block rule named {name!r}")

    def before(self, name: str, rule: Rule) -> None:
        self.rules.insert(self._index(name), rule)
        self._chains.clear()
        self._markers.clear()

    def after(self, name: str, rule: Rule) -> None:
        self.rules.insert(self._index(name) + 1, rule)
        self._chains.clear()
        self._markers.clear()

    def chain(self, kind: str, markers_only: bool = False) -> tuple[Rule, ...]:
        """The rules a line of this marker kind is offered to, in order (cached)."""
        chains = self._markers if markers_only else self._chains
        rules = chains.get(kind)
        if rules is None:
            rules = chains[kind] = tuple(
                r
                for r in self.rules
                if (r.kinds is None and not markers_only) or (r.kinds and kind in r.kinds)
            )
        return rules

    def take(self, state: BlockState, line: Line, markers_only: bool = False) -> bool:
        """Offer ``line`` to the rules in order (``markers_only``: those for its marker kind)."""
        return any(rule.fn(state, line) for rule in self.chain(line.marker.kind, markers_only))

    def feed(self, state: BlockState, ln: RawLine) -> None:
        strong = (
            ln.heading
            or ln.list_depth >= 0
            or (ln.block is not None and ln.block != state.last_block)
        )
        state.last_block = ln.block
        ended = strong or state.last_strong or terminated(state.last_text)
        mk = classify(ln.text)
        line = Line(ln, mk, ended)
        ends = False
        holder = state.holder  # an open block takes the line first
        if holder is None or not holder(state, line):
            for rule in self._chains.get(mk.kind) or self.chain(mk.kind):
                if rule.fn(state, line):
                    how = rule.ends
                    ends = how == "always" or (
                        how == "bare" and ln.text[mk.start :].strip() in ("", "削除")
                    )
                    break
        state.last_text, state.last_strong = ln.text, ends

    def build(self, lines: Iterable[RawLine]) -> tuple[list[Node], list[Diagnostic]]:
        """The clause tree for cleaned lines (see ``extract.normalize.clean``)."""
        state = BlockState(self)
        for ln in lines:
            self.feed(state, ln)
        state.finish()
        return state.nodes, state.diagnostics
