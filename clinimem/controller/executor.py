"""The executor: computes an answer from the evidence slots the controller chose.

Values, dates and names in an answer are read from the cited entries only; the
network never writes a number. When the evidence cannot support the operation
(nothing selected, no anchor, no value to compute with), the executor abstains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from clinimem.answer import AnswerValue
from clinimem.controller.cues import ANCHORED_OPS
from clinimem.controller.question import DateWindow, Threshold
from clinimem.grounding.match import has_word_like
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers.common import format_number

ACTIVE = frozenset({"active", "recurrence", "relapse", "in-progress", "on-hold", "current"})
# The trend rule the evaluation harness uses too: relative change of the last value
# against the first of the window, beyond +/-5 %.
TREND_THRESHOLD = 0.05


def trend_label(values: list[float], threshold: float = TREND_THRESHOLD) -> str | None:
    """increasing / decreasing / stable for values in time order (None: fewer than two)."""
    if len(values) < 2:
        return None
    first, last = values[0], values[-1]
    change = (last - first) / abs(first) if first else (last - first)
    if change > threshold:
        return "increasing"
    if change < -threshold:
        return "decreasing"
    return "stable"


@dataclass(frozen=True)
class Plan:
    """What the controller decided: the operation, the answer kind, evidence and anchor slots."""

    op: str
    kind: str
    evidence: tuple[int, ...]  # slot indices the evidence head selected
    anchor: int | None  # slot hop 1 read most (the event of before/after/at-visit)
    window: DateWindow | None = None
    count: int | None = None
    question: str = ""
    from_end: int = 0  # 1: the result before the latest (question.one_before_last)
    focus: int | None = None  # the evidence slot the evidence head is surest of
    threshold: Threshold | None = None  # count only the values beyond it ("how many times above 120")
    searched: tuple[int, ...] = ()  # what a "no" was read from, when the evidence is empty
    date_of: str = "start"  # "end": when it was stopped, not when it began; "ago": and how long since
    rule: str = ""  # the everyday rule that settled the plan, if one did (see intents)
    pick: str = ""  # "max" / "min": the extreme of the series rather than an end of it

    def __deepcopy__(self, memo: dict) -> Plan:
        return self  # immutable; Haystack deep-copies values between components


@dataclass(frozen=True)
class Result:
    value: AnswerValue
    cited: tuple[int, ...]  # slot indices that support the answer


def _day(entry: MemoryEntry) -> str:
    return (entry.time or "")[:10]


def _name(entry: MemoryEntry) -> str:
    return entry.display or entry.text


def _in_window(entry: MemoryEntry, window: DateWindow) -> bool:
    day = _day(entry)
    if not day:
        return False
    if window.relation == "since":
        return day >= window.start
    if window.relation == "before":
        return day < window.start
    return window.start <= day <= window.end


def _numeric(entry: MemoryEntry) -> float | None:
    value = entry.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _value_answer(entry: MemoryEntry, kind: str) -> AnswerValue | None:
    day = _day(entry)
    if kind == "date":
        return AnswerValue(text=f"{_name(entry)} on {day}", kind="date", value=day) if day else None
    if kind == "boolean":
        current = (entry.status or "") in ACTIVE and not entry.end_time
        return AnswerValue(text=f"{'Yes' if current else 'No'}: {entry.text}", kind="boolean", value=current)
    number = _numeric(entry)
    if kind == "value" and number is not None:
        unit = f" {entry.unit}" if entry.unit else ""
        return AnswerValue(
            text=f"{format_number(number)}{unit} on {day}", kind="value", value=number, unit=entry.unit
        )
    if kind in ("value", "text") and isinstance(entry.value, str) and entry.kind == "observation":
        # a coded result ("Never smoker"): the answer is the result, not the test's name
        return AnswerValue(text=f"{entry.value} ({_name(entry)}, {day})", kind="text", value=entry.value)
    if kind in ("value", "text"):
        return AnswerValue(text=f"{_name(entry)} ({day})", kind="text", value=_name(entry))
    return None


def _unique_names(entries: list[MemoryEntry]) -> list[str]:
    return list(dict.fromkeys(_name(e) for e in entries))


def is_current(entry: MemoryEntry) -> bool:
    """A medication still taken: active and not ended."""
    return entry.status == "active" and entry.end_time is None


def is_resolved(entry: MemoryEntry) -> bool:
    """A problem that is over: resolved/inactive/remission, or with an abatement date."""
    return entry.status in ("resolved", "inactive", "remission") or entry.end_time is not None


def _by_time(entries: tuple[MemoryEntry, ...] | list[MemoryEntry], idx: list[int]) -> list[int]:
    return sorted(idx, key=lambda i: (entries[i].time or "", entries[i].resource, entries[i].path))


SYSTOLIC_LOINC = "8480-6"
_COMPONENT = re.compile(r"component\[(\d+)\]")


def _component_index(path: str) -> int:
    # numeric, so that component[10] sorts after component[2]
    found = _COMPONENT.search(path)
    return int(found.group(1)) if found else -1


# Answers read from one measured series: a value picked by time, a trend, a comparison.
SERIES_KINDS = frozenset({"value", "trend"})


def _one_series(
    entries: tuple[MemoryEntry, ...] | list[MemoryEntry], chosen: list[int], focus: int | None
) -> list[int]:
    """The chosen entries of the focus entry's code only, when the focus is a measurement.

    The evidence head may pick two similar series at once (systolic and diastolic components of
    the same panels); a value, trend or comparison is about one of them: the one it is surest of.
    """
    if focus is None or focus not in chosen or _numeric(entries[focus]) is None or not entries[focus].code:
        return chosen
    key = (entries[focus].code_system, entries[focus].code)
    return [i for i in chosen if (entries[i].code_system, entries[i].code) == key]


def _panel_text(
    entries: tuple[MemoryEntry, ...] | list[MemoryEntry], pick: int
) -> tuple[AnswerValue, tuple[int, ...]] | None:
    """A panel's component values joined ("137/91"), read from the memory.

    Systolic comes first whatever the component order (Synthea writes diastolic first), as a
    clinician reads a blood pressure; other components keep their order in the resource.
    """
    resource = entries[pick].resource
    parts = sorted(
        (
            i
            for i, e in enumerate(entries)
            if e.resource == resource and e.path != "$" and _numeric(e) is not None
        ),
        key=lambda i: (entries[i].code != SYSTOLIC_LOINC, _component_index(entries[i].path)),
    )
    if not parts:
        return None
    unit = entries[parts[0]].unit
    joined = "/".join(format_number(_numeric(entries[i])) for i in parts)  # type: ignore[arg-type]
    panel = next((i for i, e in enumerate(entries) if e.resource == resource and e.path == "$"), None)
    cited = ((panel,) if panel is not None else ()) + tuple(parts)
    text = f"{joined} {unit or ''} on {_day(entries[pick])}".replace("  ", " ")
    return AnswerValue(text=text, kind="text", value=joined, unit=unit), cited


Entries = tuple[MemoryEntry, ...] | list[MemoryEntry]


@dataclass(frozen=True)
class Selection:
    """The evidence an operation computes from: chosen slots in time order, and the anchor it cites."""

    chosen: list[int]
    anchored: tuple[int, ...]


def execute(plan: Plan, entries: Entries) -> Result | None:
    """Run ``plan`` over the patient's entries; None means abstain.

    The evidence head chooses the entries; the executor computes from them with
    the same rules as the evaluation harness's gold answers (day granularity:
    "before D" < D, "after D" > D, "since D" >= D; trend by relative change of
    last vs first beyond 5 %; compare = latest vs the one before; count = distinct
    resources; list = distinct names, sorted). One handler per answer kind.
    """
    if plan.op == "exists" and not plan.evidence and plan.searched:
        return _none_found(plan, entries)
    if plan.op == "abstain" or plan.kind == "none" or not plan.evidence:
        # nothing read: a family-history question can still be a "no" (see _no_family_mention)
        return _no_family_mention(plan, entries)
    selection = _select(plan, entries)
    if selection is None or not selection.chosen:
        return None
    return HANDLERS[plan.kind](plan, entries, selection)


def _select(plan: Plan, entries: Entries) -> Selection | None:
    """The evidence in time order, within the question's dates, one series, relative to the anchor."""
    op, kind = plan.op, plan.kind
    chosen = _by_time(entries, [i for i in plan.evidence if i != plan.anchor or op not in ANCHORED_OPS])
    if plan.window is not None:
        chosen = [i for i in chosen if _in_window(entries[i], plan.window)]
    if kind in SERIES_KINDS or (kind == "boolean" and op == "compare"):
        chosen = _one_series(entries, chosen, plan.focus)
    if op not in ANCHORED_OPS or plan.anchor is None:
        if op in ANCHORED_OPS and kind in ("value", "date", "text"):
            return None  # a single value read relative to an event needs the event
        return Selection(chosen, ())
    anchor = entries[plan.anchor]
    if kind not in ("value", "date", "text"):
        return Selection(chosen, (plan.anchor,))
    # a single value read relative to an event: the event is hop 1's read
    day = _day(anchor)
    if not day:
        return None
    if op == "before":
        chosen = [i for i in chosen if _day(entries[i]) and _day(entries[i]) < day]
    elif op == "after":
        chosen = [i for i in chosen if _day(entries[i]) > day]
    else:
        chosen = [
            i
            for i in chosen
            if (anchor.encounter and entries[i].encounter == anchor.encounter) or _day(entries[i]) == day
        ]
    return Selection(chosen, (plan.anchor,))


def _holds_now(entry: MemoryEntry) -> bool:
    if entry.kind == "medication":
        return is_current(entry)
    if entry.kind in ("condition", "allergy"):
        return not is_resolved(entry)
    return True


def _asks_now_only(question: str) -> bool:
    """A list of what holds now ("current meds", "currnet meds"), not of all ("active and resolved")."""
    if _ASKS_ALL.search(question):
        return False
    return bool(_ASKS_NOW.search(question)) or has_word_like(question, _NOW_WORDS)


def _list(plan: Plan, entries: Entries, sel: Selection) -> Result | None:
    chosen = sel.chosen
    if _asks_now_only(plan.question):
        # "current medications", "active problems": what holds now, by each entry's own status
        chosen = [i for i in chosen if _holds_now(entries[i])]
        if not chosen:
            return None
    names = sorted(
        {
            (entries[i].display or entries[i].text).lower(): entries[i].display or entries[i].text
            for i in chosen
        }.values(),
        key=str.lower,
    )
    return Result(AnswerValue(text="; ".join(names), kind="list", value=names), tuple(chosen) + sel.anchored)


def _none_found(plan: Plan, entries: Entries) -> Result:
    """ "No": the record holds entries of the kind asked about, and none of them is the thing named."""
    kinds = sorted({entries[i].kind for i in plan.searched})
    text = f"No: none of the {len(plan.searched)} {'/'.join(kinds)} entries in the record is what was asked about"
    return Result(AnswerValue(text=text, kind="boolean", value=False), plan.searched)


def _beyond(plan: Plan, entries: Entries, sel: Selection) -> Result:
    """How many results of one series lie beyond a bound; the results counted are cited."""
    assert plan.threshold is not None
    series = _one_series(entries, [i for i in sel.chosen if _numeric(entries[i]) is not None], plan.focus)
    hits: dict[str, int] = {}
    for i in series:
        if plan.threshold.holds(_numeric(entries[i])):  # type: ignore[arg-type]
            hits.setdefault(entries[i].resource, i)
    label = _name(entries[series[0]]) if series else "results"
    bound = f"{plan.threshold.relation} {format_number(plan.threshold.value)}"
    text = f"{len(hits)} of {len({entries[i].resource for i in series})} {label} results {bound}"
    # none beyond it: the results read are what the zero rests on
    cited = tuple(hits.values()) or tuple(series)
    return Result(AnswerValue(text=text, kind="count", value=len(hits)), cited + sel.anchored)


def _count(plan: Plan, entries: Entries, sel: Selection) -> Result | None:
    if plan.threshold is not None and any(_numeric(entries[i]) is not None for i in sel.chosen):
        return _beyond(plan, entries, sel)
    by_resource: dict[str, int] = {}
    for i in sel.chosen:
        by_resource.setdefault(entries[i].resource, i)
    n = len(by_resource)
    visits = all(entries[i].kind == "encounter" for i in sel.chosen)
    label = "visits" if visits else _name(entries[sel.chosen[0]])
    return Result(
        AnswerValue(text=f"{n} ({label})", kind="count", value=n), tuple(by_resource.values()) + sel.anchored
    )


def _trend(plan: Plan, entries: Entries, sel: Selection) -> Result | None:
    series = [i for i in sel.chosen if _numeric(entries[i]) is not None]
    anchored = sel.anchored
    anchor = entries[plan.anchor] if plan.anchor is not None else None
    if plan.count:
        series = series[-plan.count :]
    elif anchor is not None and plan.anchor not in plan.evidence and _day(anchor):
        # since an event: the last result on or before its day, then every result after it
        base = [i for i in series if _day(entries[i]) <= _day(anchor)]
        series = base[-1:] + [i for i in series if _day(entries[i]) > _day(anchor)]
        anchored = (plan.anchor,)  # type: ignore[assignment]
    label = trend_label([_numeric(entries[i]) for i in series])  # type: ignore[misc]
    if label is None:
        return None
    first, last = entries[series[0]], entries[series[-1]]
    text = (
        f"{label}: {_name(last)} from {format_number(_numeric(first))} on {_day(first)} "  # type: ignore[arg-type]
        f"to {format_number(_numeric(last))} on {_day(last)}"  # type: ignore[arg-type]
    )
    return Result(AnswerValue(text=text, kind="trend", value=label, unit=last.unit), tuple(series) + anchored)


def _boolean(plan: Plan, entries: Entries, sel: Selection) -> Result | None:
    chosen = sel.chosen
    if plan.op == "compare":
        numbers = [i for i in chosen if _numeric(entries[i]) is not None]
        if len(numbers) < 2:
            return None
        previous, latest = entries[numbers[-2]], entries[numbers[-1]]
        verdict = _numeric(latest) > _numeric(previous)  # type: ignore[operator]
        text = f"{'Yes' if verdict else 'No'}: {latest.text} ({_day(latest)}) after {previous.text} ({_day(previous)})"
        return Result(AnswerValue(text=text, kind="boolean", value=verdict), (numbers[-2], numbers[-1]))
    if all(entries[i].kind == "note" for i in chosen):
        return _from_notes(plan, entries, chosen)
    latest = entries[chosen[-1]]
    asked = asks(plan.question, latest.kind)
    if latest.kind == "observation" and asked != "ever":
        # "still has BMI 30+?" read as a measurement: a result has no status to be "no" about
        return None
    cited: tuple[int, ...] = (chosen[-1],)
    if asked == "ever" or latest.kind in ("immunization", "procedure"):
        # it is in the record: the latest entry says so (a vaccine or a procedure is done, never "current")
        verdict = True
    elif asked == "either":
        # the status itself ("Resolved: ..."); the value says whether it holds now
        holding = [i for i in chosen if _holds_now(entries[i])]
        verdict = bool(holding)
        cited = tuple(holding) or (chosen[-1],)
        shown = entries[holding[-1]] if holding else latest
        word = (
            ("Active" if verdict else "Resolved")
            if latest.kind == "condition"
            else ("Active" if verdict else "Stopped")
        )
        return Result(AnswerValue(text=f"{word}: {shown.text}", kind="boolean", value=verdict), cited)
    elif latest.kind == "condition":
        verdict = is_resolved(latest) if asked == "over" else not is_resolved(latest)
    else:
        current = [i for i in chosen if is_current(entries[i])]
        verdict = not current if asked == "stopped" else bool(current)
        cited = tuple(current) or (chosen[-1],)
    return Result(
        AnswerValue(text=f"{'Yes' if verdict else 'No'}: {latest.text}", kind="boolean", value=verdict), cited
    )


# What a yes/no question about a problem or a drug asks, from its own words (the operation head
# says only "exists"): over ("resolved?"), ever ("history of?"), stopped ("discontinued?"), or,
# by default, whether it holds now ("still active?", "does she have", "is he on").
# ("over 30" is a bound, "BMI over 30" a finding's name: not whether it is over)
_ASKS_OVER = re.compile(
    r"\b(resolved?|resolution|over(?!\s*[<>=]?\s*\d)|cleared|clear|gone|went away|recovered|healed|cured|no longer|"
    r"abated|inactive|in remission|better now)\b",
    re.I,
)
_ASKS_EVER = re.compile(
    r"\b(ever|evr|history|hx|h/o|pmh|diagnosed|in the past|previously|prior|past|at any (?:point|time)|"
    r"anywhere in|any record of|in (?:the|his|her|their) (?:chart|record)|on file|documented|"
    r"(?:has|have|had) (?:he|she|they|the patient|pt) (?:\w+ ){0,3}had|had (?:a|an|any))\b",
    re.I,
)
_ASKS_STOPPED = re.compile(r"\b(stopped|discontinued|stop|came off|taken off|no longer|d/c'?d?)\b", re.I)
_ASKS_NOW = re.compile(
    r"\b(still|currently|current|now|active|ongoing|at present|these days|lately|at the moment|right now|"
    r"problem list)\b|"
    r"\b(?:is|are)\s+(?:he|she|they|the patient|pt)\s+(?:on|taking)\b",
    re.I,
)
_EVER_OUTRIGHT = re.compile(r"\b(ever|evr|at any (?:point|time))\b", re.I)
_NOW_OUTRIGHT = re.compile(r"\b(still|currently|now|right now|at the moment|these days)\b", re.I)
# typed fast: "any histroy of", "previosly", "diagnosd"
_EVER_WORDS = ("history", "previously", "diagnosed")
# typed fast: "currnet meds", "curent med list"
_NOW_WORDS = ("current", "currently", "ongoing", "active", "present")
# both ends asked for: "active and resolved", "past and current", "incl resolved", "ever had"
_ASKS_ALL = re.compile(
    r"\b(ever|past|resolved|inactive|stopped|discontinued|incl|including|history|hx|pmh|all[- ]time|both)\b",
    re.I,
)


# "active or resolved?", "current or discontinued?", "has it cleared up, or is it still active?": which
# of the two, answered by the status itself rather than a yes or no
_EITHER = re.compile(
    r"\b(active|current|ongoing|still|continuing)\b.*\bor\b.*\b(resolved|discontinued|stopped|inactive|over|"
    r"cleared|gone|finished|ended)\b|"
    r"\b(resolved|discontinued|stopped|inactive|over|cleared(?: up)?|gone|finished|ended)\b.*\bor\b.*"
    r"\b(active|current|ongoing|still)\b",
    re.I,
)


def asks(question: str, kind: str) -> str:
    """What a yes/no question asks of a condition or a drug: "either" (which of two statuses), "over",
    "ever", "stopped" or "now"."""
    if _EITHER.search(question):
        return "either"
    if kind == "condition" and _ASKS_OVER.search(question):
        return "over"
    if kind != "condition" and _ASKS_STOPPED.search(question):
        return "stopped"
    ever = _ASKS_EVER.search(question) or has_word_like(question, _EVER_WORDS)
    if ever and not _ASKS_NOW.search(question):
        return "ever"
    # "has X ever appeared on his problem list?", "ever active?": "ever" said outright outranks the list
    # or status it is asked of, though not a "still" or a "now" said beside it
    if _EVER_OUTRIGHT.search(question) and not _NOW_OUTRIGHT.search(question):
        return "ever"
    return "now"


def _pick(plan: Plan, chosen: list[int]) -> int:
    return chosen[0] if plan.op in ("first", "after") else chosen[-1]


def _text(plan: Plan, entries: Entries, sel: Selection) -> Result | None:
    pick = _pick(plan, sel.chosen)
    panel = _panel_text(entries, pick)
    if panel is None:
        value = _value_answer(entries[pick], "text")
        return Result(value, (pick,) + sel.anchored) if value else None
    return Result(panel[0], panel[1] + sel.anchored)


def _value(plan: Plan, entries: Entries, sel: Selection) -> Result | None:
    numbers = [i for i in sel.chosen if _numeric(entries[i]) is not None]
    if not numbers and plan.from_end == 0:
        # "her most recent flu vaccine": no value to give, so the when of the one picked
        return _date(plan, entries, sel)
    if plan.pick in ("max", "min") and numbers:
        chooser = max if plan.pick == "max" else min
        pick = chooser(numbers, key=lambda i: (_numeric(entries[i]), _day(entries[i])))
        value = _value_answer(entries[pick], "value")
        return Result(value, (pick,) + sel.anchored) if value else None
    # "the one before the last": that many results back along the chosen series
    back = plan.from_end if plan.op in ("last", "lookup") else 0
    if len(numbers) <= back:
        return None
    pick = numbers[0] if plan.op in ("first", "after") else numbers[-1 - back]
    value = _value_answer(entries[pick], "value")
    return Result(value, (pick,) + sel.anchored) if value else None


def _date(plan: Plan, entries: Entries, sel: Selection) -> Result | None:
    pick = _pick(plan, sel.chosen)
    if plan.date_of == "end":
        return _stopped(entries, sel)
    value = _value_answer(entries[pick], "date")
    if value is not None and plan.date_of == "ago":
        value = replace(value, text=f"{value.text} ({_time_ago(value.value, date.today())})")
    return Result(value, (pick,) + sel.anchored) if value else None


def _time_ago(day: str, today: date) -> str:
    """How long before ``today`` an ISO day was, as a clinician says it ("3 years 2 months ago")."""
    then = date.fromisoformat(day)
    days = (today - then).days
    if days < 0:
        return f"{-days} days from now, after {today.isoformat()}"
    if days < 60:
        return f"{days} day{'s' if days != 1 else ''} ago, as of {today.isoformat()}"
    months = (today.year - then.year) * 12 + today.month - then.month - (today.day < then.day)
    years, months = divmod(months, 12)
    parts = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in ((years, "year"), (months, "month")) if n]
    return f"{' '.join(parts)} ago, as of {today.isoformat()}"


def _stopped(entries: Entries, sel: Selection) -> Result | None:
    """When a drug was stopped: its end date, or, with none recorded, when it was last prescribed."""
    current = [i for i in sel.chosen if is_current(entries[i])]
    if current:
        latest = entries[current[-1]]
        text = f"Not stopped: {_name(latest)} is active (prescribed {_day(latest)})"
        return Result(AnswerValue(text=text, kind="text", value="active"), tuple(current))
    last = max(sel.chosen, key=lambda i: ((entries[i].end_time or entries[i].time or "")[:10], i))
    entry = entries[last]
    if entry.end_time:
        day = entry.end_time[:10]
        text = f"{_name(entry)} stopped on {day}"
    else:
        day = _day(entry)
        text = f"{_name(entry)} {entry.status or 'ended'}; last prescribed on {day} (the record gives no stop date)"
    return Result(AnswerValue(text=text, kind="date", value=day), (last,)) if day else None


HANDLERS = {
    "list": _list,
    "count": _count,
    "trend": _trend,
    "boolean": _boolean,
    "text": _text,
    "value": _value,
    "date": _date,
}


# A note mention says something of the patient only without these flags ("Denies chest pain",
# "Return if chest pain develops", "Mother with breast cancer", "Possible asthma").
NOT_THE_PATIENTS = frozenset({"negated", "hypothetical", "family", "uncertain"})
# How a clinician reads a mention that does not say the patient has it.
_FLAG_WORDS = {
    "negated": "denied",
    "hypothetical": "anticipated",
    "uncertain": "uncertain",
    "family": "in the family",
}
FAMILY_QUESTION = re.compile(r"\bfamily\b", re.IGNORECASE)
WH_QUESTION = re.compile(r"(what|which|who|whom|when|where|why|how|list|name|show)\b", re.IGNORECASE)


def is_family_question(question: str) -> bool:
    """Whether a yes/no question asks about the family's history rather than the patient's."""
    return bool(FAMILY_QUESTION.search(question))


def _from_notes(
    plan: Plan, entries: tuple[MemoryEntry, ...] | list[MemoryEntry], chosen: list[int]
) -> Result:
    """A yes/no read from note mentions: a negated, hypothetical or uncertain mention never
    supports a "yes", and a family mention supports only a family-history "yes"."""
    family = is_family_question(plan.question or "")
    if family:
        support = [i for i in chosen if "family" in entries[i].flags]
    else:
        support = [i for i in chosen if not NOT_THE_PATIENTS & set(entries[i].flags)]
    cited = tuple(support) or tuple(chosen)
    said = entries[cited[-1]]
    quoted = f"'{said.text}' ({_day(said)})" if _day(said) else f"'{said.text}'"
    if support:
        text = f"Yes: {quoted}"
    elif family:
        text = f"No: said of the patient, not of the family, latest {quoted}"
    else:
        how = sorted({_FLAG_WORDS[f] for i in cited for f in entries[i].flags if f in _FLAG_WORDS})
        text = f"No: {' or '.join(how) or 'not said'} only, latest {quoted}"
    return Result(AnswerValue(text=text, kind="boolean", value=bool(support)), cited)


def _no_family_mention(plan: Plan, entries: tuple[MemoryEntry, ...] | list[MemoryEntry]) -> Result | None:
    """ "Any family history of X?" where the notes record a family history without X: "no",
    citing nothing (nothing in the record is about X). Without any family history in the
    notes the record cannot tell, and the answer abstains.

    A rule rather than the op head's call: whether the question asks about the family is in
    its words, and "no X among the family history the notes give" holds whatever was read.
    Only yes/no questions: "What is her family history?" is not answered "No".
    """
    question = (plan.question or "").strip()
    if not is_family_question(question) or WH_QUESTION.match(question):
        return None
    if plan.op not in ("exists", "abstain") or plan.kind not in ("boolean", "none"):
        return None
    if not any(e.kind == "note" and "family" in e.flags for e in entries):
        return None
    text = "No: the family history in the notes does not mention it"
    return Result(AnswerValue(text=text, kind="boolean", value=False), ())
