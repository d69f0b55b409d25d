"""The fact record: one modality or one quantity found in a clause, with its span."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

FactKind = Literal[
    "obligation", "prohibition", "permission", "disclaimer",  # modality of a sentence
    "period", "deadline", "amount", "rate", "date",  # quantities
]  # fmt: skip
MODALITIES: tuple[FactKind, ...] = ("obligation", "prohibition", "permission", "disclaimer")
QUANTITIES: tuple[FactKind, ...] = ("period", "deadline", "amount", "rate", "date")


@dataclass(frozen=True)
class Fact:
    """``start``/``end`` are character offsets into the clause's own text (``Node.text``).

    value, normalised:  period  ISO-8601 duration (P30D, P6M, P1Y3M, PT24H)
                        deadline  the calendar point as printed, digits ASCII (翌月末日, 当月20日)
                        amount  yen as an integer string ("1100"); rate  a fraction ("0.145")
                        date  ISO date; modality  the predicate's dictionary form (ものとする)
    unit:               period  before / within / after / elapsed / from / every / "" (営業日:
                        "business-day …"); amount  JPY, "JPY tax-included", "JPY/month" …;
                        rate  per-year / per-month / ""
    party:              who the sentence binds, as printed (契約者, 当社, 甲+乙); "" when unsaid
    """

    node: str
    kind: FactKind
    value: str
    unit: str
    party: str
    start: int
    end: int
    surface: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
