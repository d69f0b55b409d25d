"""附則 blocks → amendment events: enacted date, 文書番号, effective dates, 経過措置, diagnostics.

A ``supplement`` node's ``caption`` holds the bracketed heading text
(「2019年 12月 20日 西デザ S000195 号」, 「平成一八年六月二日法律第五〇号」); its descendants hold
the body, where the effective date is stated (「この規約は、2019 年 12月23日から実施します。」,
「この法律は、公布の日から施行する。」, 「2017年7月17日施行」) and later dates for named
provisions (「第 20 条の改正規定は…から実施します。」).
Event-relative dates of statutes become dates when the promulgation date (heading) fixes
them (公布の日, 公布の日から起算して六月を経過した日); the others (政令で定める日, another
law's 施行の日) are reported as unresolved and kept as printed in ``effective_text``.
Every wording of a commencement clause is read: から/より/以降/以後/をもって, 「これを」施行する,
実施/施行/適用/発効/効力を生ずる, and 「施行日は…とする」
(fixture: tests/fixtures/supplements/commencement.tsv).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from extract.dates import (
    RelativeDate,
    find_dates,
    find_relative_dates,
    latest_relative,
    resolve_relative,
)
from extract.model import Diagnostic, Node, PartialEffective, Supplement
from extract.numerals import to_int

_SP = r"[ \u3000\t\r\n]*"
_NUM = r"(?:[0-9０-９]+|[〇一二三四五六七八九十百千]+)"
_LAW_NUMBER_RE = re.compile(rf"(?:法律|政令|内閣府令|省令|規則|条例|告示){_SP}第{_SP}{_NUM}{_SP}号")
_VERB = r"(?:実施|施行|適用|発効|効力を(?:生|発))"
# 「から施行する」「よりこれを施行する」「から、これを施行する」「をもって施行」「以降適用」
_FROM = r"(?:(?:から|より|以降|以後|をもって|をもつて|を以て)[ \u3000、]*(?:これを)?)"
_DOC_WORD = (
    r"(?:規約|約款|規定|規程|法律|政令|省令|府令|規則|条例|告示|命令|訓令|会則|定款|内規|基準"
    r"|改正|改定|改訂|変更|附則|付則|特約|条件|細則|要綱|要領|ポリシー|ガイドライン)"
)
_MAIN_SUBJECT = (  # この規約, この改正規定, この法律, 変更後の本規約
    rf"(?:(?:改正|変更|改定)後の)?(?:この|本)[^、。はがを「」]{{0,12}}?{_DOC_WORD}"
)
_NAMED_SUBJECT = (  # 第 20 条の改正規定, 附則第五条の規定, 別紙4の改正規定, 第20条
    rf"(?:附則)?第(?:(?!この)[^、。「」]){{1,60}}?の(?:改正)?規定"
    rf"|(?:別紙|別表|別記)[^、。「」]{{0,30}}?の(?:改正)?規定"
    rf"|第(?:(?!この)[^、。「」は]){{1,40}}?[条項号](?:{_SP}の{_SP}{_NUM})?"
    rf"|(?:別紙|別表第?|別記){_SP}{_NUM}"
)
_WHEN = r"(?:[^。（(]|（[^）]*）|\([^)]*\))*?"  # up to から/より, brackets may hold 。
_STATEMENT_RE = re.compile(
    rf"(?P<subj>{_MAIN_SUBJECT}|{_NAMED_SUBJECT}){_SP}(?:について|に関して)?は{_SP}、?{_SP}"
    rf"(?P<when>{_WHEN}){_SP}{_FROM}{_SP}{_VERB}"
)
_DAY_IS_RE = re.compile(  # 「この規約の施行日は、2024年4月1日とする」
    rf"(?:(?:{_MAIN_SUBJECT})の)?(?:施行期日|施行日|実施日|適用日|適用開始日|効力発生日){_SP}は{_SP}、?"
    rf"{_SP}(?P<when>{_WHEN}){_SP}(?:とする|とします|です|である)"
)
_BRACKETED_RE = re.compile(r"（[^（）]*）|\([^()]*\)")
_LEAD_RE = re.compile(r"[ \u3000]*(?:[0-9０-９]+[.．]?)?[ \u3000]*")  # before 「2017年7月17日施行」
_BARE_RE = re.compile(rf"{_SP}{_FROM}?{_SP}{_VERB}(?!前|後|の|日)")
_ARTICLE_RE = re.compile(
    rf"(?P<suppl>附則)?第{_SP}(?P<art>{_NUM}){_SP}条(?P<branch>(?:{_SP}の{_SP}{_NUM})*)"
    rf"(?:{_SP}第{_SP}(?P<para>{_NUM}){_SP}項)?(?:{_SP}第{_SP}(?P<item>{_NUM}){_SP}号)?"
    rf"(?:{_SP}から{_SP}第{_SP}(?P<to>{_NUM}){_SP}条{_SP}まで)?"
)
_LIST_GAP_RE = re.compile(
    rf"(?:[、，]|及び|並びに|又は|若しくは|まで|{_SP}|第{_SP}{_NUM}{_SP}[項号])*"
)
_APPENDIX_RE = re.compile(rf"(?P<kind>別紙|別表|別記){_SP}第?{_SP}(?P<num>{_NUM})")
_APPENDIX_PREFIX = {"別紙": "bessi", "別表": "beppyo", "別記": "bekki"}
_TRANSITIONAL_RE = re.compile(r"なお従前の(?:とおり|例によ)|従前の例によ|なお(?:その)?効力を有する")
_NUMBERISH_RE = re.compile(r"[0-9０-９]|第.*号")
_EACH_ITEM_RE = re.compile(rf"各号に掲げる規定は、?{_SP}当該各号に定める日から{_SP}{_VERB}")
_ITEM_STATEMENT_RE = re.compile(r"(?P<subj>[^\u3000 ]+?の(?:改正)?規定)[\u3000 ]+(?P<when>.+)")

DIAGNOSTIC_CODES = (
    "duplicate-supplement",
    "supplement-heading-conflict",
    "effective-dates-out-of-order",
    "enacted-dates-out-of-order",
    "effective-before-enacted",
    "missing-document-number",
    "missing-effective-date",
    "unresolved-effective-date",
    "partial-effective-target-missing",
    "unresolved-partial-effective-date",
)


@dataclass
class _Event:
    """A Supplement plus what the checks need but the JSON contract does not carry."""

    supplement: Supplement
    caption: str
    body: str
    unresolved: str | None = None  # effective date given as text (statutes)
    statute: bool = False
    notes: list[Diagnostic] = field(default_factory=list)


def _squash(text: str) -> str:
    return re.sub(r"[ \u3000\t\r\n]+", "", text)


def _heading(node: Node) -> str:
    head = node.label or "附則"
    if node.caption:
        head += f"（{node.caption}）"
    if node.text.strip():
        head += f"　{node.text.strip()}"
    return head


def parse_heading(caption: str) -> tuple[str | None, str | None]:
    """(enacted ISO date, 文書番号) from the bracketed heading text of a 附則."""
    law = _LAW_NUMBER_RE.search(caption)
    dates = [d for d in find_dates(caption) if d.iso]
    enacted = dates[0].iso if dates else None
    if law:
        return enacted, law.group(0)
    rest = caption
    if dates:
        rest = caption[: dates[0].start] + caption[dates[0].end :]
    rest = rest.strip(" \u3000\t")
    return enacted, rest if rest and _NUMBERISH_RE.search(rest) else None


def _article_ids(subject: str, suppl_id: str, statute: bool) -> list[str]:
    """Node ids named by a subject such as 「第19条及び第20条の改正規定」 or 「附則第九条の規定」.

    附則第N条 is an article of this 附則; in a statute's 附則 a bare 第N条 is an article of the
    amending law (not of this text), so only 附則 articles are named there.
    """
    ids: list[str] = []
    in_suppl, end = subject.startswith("附則"), 0
    for m in _ARTICLE_RE.finditer(subject):
        art = to_int(m["art"])
        # 「附則第五条、第六条、第七条第一項及び第三項」: the list goes on naming 附則 articles
        in_suppl = bool(m["suppl"]) or (
            in_suppl and bool(_LIST_GAP_RE.fullmatch(subject[end : m.start()]))
        )
        end = m.end()
        if art is None or (statute and not in_suppl):
            continue
        prefix = f"{suppl_id}__art_" if in_suppl else "art_"
        branches = [to_int(b) for b in re.findall(_NUM, m["branch"] or "")]
        base = prefix + "-".join(str(n) for n in [art, *branches] if n is not None)
        if m["to"] and not branches and (last := to_int(m["to"])):
            ids += [f"{prefix}{n}" for n in range(art, last + 1)]
            continue
        if m["para"]:
            base += f"__para_{to_int(m['para'])}"
        if m["item"]:
            base += f"__item_{to_int(m['item'])}"
        ids.append(base)
    for m in [] if statute else _APPENDIX_RE.finditer(subject):
        ids.append(f"{_APPENDIX_PREFIX[m['kind']]}_{to_int(m['num'])}")
    return ids


_MAIN_PREFIXES = ("この", "本", "改正後", "変更後", "改定後")


@dataclass(frozen=True)
class Statement:
    """「SUBJECT は WHEN から実施/施行」 found in a 附則 body."""

    subject: str  # "この改正規定", "第 20 条の改正規定", "" for a bare 「2017年7月17日施行」
    when: str  # the text between the subject and から, e.g. "2019 年 12月 23日"
    start: int
    end: int

    @property
    def is_main(self) -> bool:
        return not self.subject or self.subject.startswith(_MAIN_PREFIXES)


def find_statements(text: str) -> list[Statement]:
    """Effective-date statements in ``text``; bare 「DATE施行」 only when there is no other."""
    found = [
        Statement(m["subj"].strip(), m["when"].strip(" \u3000、"), m.start(), m.end())
        for m in _STATEMENT_RE.finditer(text)
    ]
    found += [
        Statement("", m["when"].strip(" \u3000、"), m.start(), m.end())
        for m in _DAY_IS_RE.finditer(text)
        if not any(f.start <= m.start() < f.end for f in found)
    ]
    if found:
        return found
    for d in find_dates(text):
        bare = _BARE_RE.match(text, d.end)
        if bare and _LEAD_RE.fullmatch(text[: d.start]):
            found.append(Statement("", d.text, d.start, bare.end()))
    return found


def resolve_when(when: str, enacted: str | None) -> str | None:
    """ISO date of a WHEN text: an absolute date, or 「公布の日」 / 「公布の日から起算して六月を
    経過した日」 with a known promulgation date (``enacted``, from the heading)."""
    dates = [d for d in find_dates(when) if d.iso]
    if dates:
        return dates[0].iso
    rel = _only_relative(when)
    return resolve_relative(rel, enacted) if rel else None


def latest_when(when: str, enacted: str | None) -> str | None:
    """The last day an unresolved WHEN can be (「公布の日から起算して一年を超えない範囲内」)."""
    rel = _only_relative(when)
    return latest_relative(rel, enacted) if rel else None


def _only_relative(when: str) -> RelativeDate | None:
    when = _BRACKETED_RE.sub("", when)  # 「公布の日（以下「施行日」という。）」
    rel = find_relative_dates(when)
    return rel[0] if len(rel) == 1 and _squash(rel[0].text) == _squash(when) else None


def _descendants(nodes: list[Node], index: int) -> list[Node]:
    inside = {nodes[index].id}
    out = []
    for node in nodes[index + 1 :]:
        if node.parent not in inside:
            break
        inside.add(node.id)
        out.append(node)
    return out


def _is_transitional(node: Node) -> bool:
    caption = node.caption or ""
    return bool(_TRANSITIONAL_RE.search(node.text)) or (
        "経過措置" in caption and "委任" not in caption
    )


def _item_statement(part: Node, listed: set[str]) -> Statement | None:
    """「一　附則第九条の規定　この法律の公布の日」 under 「次の各号に掲げる規定は…施行する」."""
    if part.kind != "item" or part.parent not in listed:
        return None
    m = _ITEM_STATEMENT_RE.match(part.text.strip())
    return Statement(m["subj"], m["when"], 0, len(part.text)) if m else None


def _read_event(node: Node, body: list[Node], known: set[str]) -> _Event:
    caption = node.caption or ""
    enacted, number = parse_heading(caption)
    supp = Supplement(node.id, _heading(node), enacted, number, None, line=node.line)
    body_text = _squash(" ".join(n.text for n in body))
    event = _Event(supp, caption, body_text, statute=bool(_LAW_NUMBER_RE.search(caption)))
    listed: set[str] = set()
    for part in [node, *body]:
        if _EACH_ITEM_RE.search(part.text):
            listed.add(part.id)
        item = _item_statement(part, listed)
        for st in [item] if item else find_statements(part.text):
            event.statute = event.statute or st.subject.startswith("この法律")
            _apply_statement(event, st, part, known)
    kept = [n.text.strip() for n in body if _is_transitional(n)]
    supp.transitional = bool(kept)
    supp.transitional_text = "\n".join(kept) if kept else None
    return event


def _apply_statement(event: _Event, st: Statement, part: Node, known: set[str]) -> None:
    supp = event.supplement
    iso = resolve_when(st.when, supp.enacted)
    if st.is_main:
        if supp.effective is None and event.unresolved is None:
            supp.effective = iso
            event.unresolved = None if iso else st.when
            supp.effective_text = event.unresolved
            supp.effective_by = latest_when(st.when, supp.enacted) if not iso else None
        return
    # an amending law's 附則 (its law number in the heading) names that law's articles; the
    # enactment's own 附則 (no number) names this text's: 「第三条の二の規定　令和六年四月一日」
    amending = event.statute and supp.number is not None
    for target in _article_ids(st.subject, supp.id, amending):
        if iso is not None and any(
            p.target == target and p.effective == iso for p in supp.partial_effective
        ):
            continue
        if target not in known:
            if event.statute:
                continue  # 抄: the excerpt leaves the named 附則 article out
            msg = f"{supp.heading}: 「{st.subject}」 names {target}, which is not in the text"
            event.notes.append(
                Diagnostic("warning", "partial-effective-target-missing", msg, part.line, supp.id)
            )
        if iso is None:  # 「公布の日から起算して一年を経過した日」 with no promulgation date
            msg = f"{supp.heading}: {target} takes effect 「{st.when}」, not a calendar date"
            event.notes.append(
                Diagnostic("info", "unresolved-partial-effective-date", msg, part.line, supp.id)
            )
            continue
        supp.partial_effective.append(PartialEffective(target, iso))


def extract_supplements(nodes: list[Node]) -> tuple[list[Supplement], list[Diagnostic]]:
    """Read every ``supplement`` node (and its children) as an amendment event."""
    known = {n.id for n in nodes}
    events = [
        _read_event(node, _descendants(nodes, i), known)
        for i, node in enumerate(nodes)
        if node.kind == "supplement"
    ]
    statute = any(e.statute for e in events)
    for e in events:
        e.statute = statute
    return [e.supplement for e in events], check_events(events)


def check_events(events: list[_Event]) -> list[Diagnostic]:
    """Diagnostics a reviewer should look at, in document order of the 附則 concerned."""
    diags: list[Diagnostic] = [d for e in events for d in e.notes]
    repeated = _check_repeats(events, diags)
    ordered = [e for e in events if e.supplement.id not in repeated]
    # amending laws may lawfully take effect in another order than they were promulgated
    order_level = "info" if any(e.statute for e in events) else "warning"
    _check_order(ordered, "effective", "effective-dates-out-of-order", order_level, diags)
    _check_order(ordered, "enacted", "enacted-dates-out-of-order", "info", diags)
    numbered = any(e.supplement.number for e in events)
    for e in events:
        _check_one(e, numbered, diags)
    return sorted(diags, key=lambda d: d.line)


def _diag(level: str, code: str, message: str, supp: Supplement) -> Diagnostic:
    return Diagnostic(level, code, message, supp.line, supp.id)  # type: ignore[arg-type]


def _check_repeats(events: list[_Event], diags: list[Diagnostic]) -> set[str]:
    """Duplicated 附則 and same heading with a different body; returns the later ids."""
    seen: dict[str, _Event] = {}
    repeated: set[str] = set()
    for e in events:
        key = _squash(e.caption)
        first = seen.get(key) if key else None
        if first is None:
            seen[key] = e
            continue
        s, f = e.supplement, first.supplement
        repeated.add(s.id)
        if e.body == first.body:
            msg = f"{s.heading} repeats the 附則 at line {f.line} verbatim"
            diags.append(_diag("warning", "duplicate-supplement", msg, s))
        else:
            msg = (
                f"{s.heading} has the same heading as the 附則 at line {f.line} but a different "
                f"body (effective {s.effective or '?'} here, {f.effective or '?'} there)"
            )
            diags.append(_diag("warning", "supplement-heading-conflict", msg, s))
    return repeated


def _check_order(
    events: Iterable[_Event], attr: str, code: str, level: str, diags: list[Diagnostic]
) -> None:
    latest: Supplement | None = None
    for e in events:
        value = getattr(e.supplement, attr)
        if value is None:
            continue
        if latest is not None and value < getattr(latest, attr):
            msg = (
                f"{e.supplement.heading}: {attr} {value} is earlier than {getattr(latest, attr)} "
                f"of the preceding 附則 at line {latest.line}"
            )
            diags.append(_diag(level, code, msg, e.supplement))
        if latest is None or value >= getattr(latest, attr):
            latest = e.supplement


def _check_one(e: _Event, numbered: bool, diags: list[Diagnostic]) -> None:
    s = e.supplement
    if s.effective and s.enacted and s.effective < s.enacted:
        msg = f"{s.heading}: effective {s.effective} is before the enactment date {s.enacted}"
        diags.append(_diag("warning", "effective-before-enacted", msg, s))
    if e.unresolved:
        msg = f"{s.heading}: effective date given as 「{e.unresolved}」, not a calendar date"
        diags.append(_diag("info", "unresolved-effective-date", msg, s))
    elif s.effective is None:
        level = "info" if e.statute else "warning"
        msg = f"{s.heading}: no effective date (「…から実施します」/「施行」) found in its body"
        diags.append(_diag(level, "missing-effective-date", msg, s))
    if not e.statute and not s.number:
        level = "warning" if numbered else "info"
        msg = f"{s.heading}: no document number (文書番号) in the heading"
        diags.append(_diag(level, "missing-document-number", msg, s))


def names_a_law(heading: str) -> bool:
    """Does a 附則 heading carry a law number (「（令和二年六月十二日法律第五十号）」)? Then the
    document is a statute and the 附則 is that of an amending act."""
    return bool(_LAW_NUMBER_RE.search(heading))


def is_statute(nodes: Iterable[Node]) -> bool:
    """A document with a 附則 headed by a law number is a statute (see ``names_a_law``)."""
    return any(n.kind == "supplement" and names_a_law(_heading(n)) for n in nodes)


def effective_date_of(supplements: list[Supplement]) -> str | None:
    """The latest effective date among the 附則: when this version of the text took effect.

    Per-provision later dates are not included (see ``clause_effective_dates``).
    """
    dates = [s.effective for s in supplements if s.effective]
    return max(dates) if dates else None


def clause_effective_dates(supplements: list[Supplement]) -> dict[str, str]:
    """Node id → effective date for provisions given their own date; later 附則 win."""
    out: dict[str, str] = {}
    for s in supplements:
        for p in s.partial_effective:
            out[p.target] = p.effective
    return out
