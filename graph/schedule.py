"""Monitoring schedule: the applicable durations as checkpoints after therapy is restarted.

A clinician restarting immunosuppression after a rebound wants a follow-up calendar: labs at 2
weeks, improvement by 3-4 weeks, proteinuria down by 12 weeks, remission by 3-6 months, a taper
step every month. The statements give these as durations (``gg:Duration``: low, high, UCUM unit,
qualifier, quote) and as taper steps (a ``gg:taperStep`` dose with a ``gg:frequency``).

Not every duration is a date on that calendar. The rule (:func:`why_not_checkpoint`):

1. **Kind.** Rationale and evidence statements describe the disease course or studies ("renal
   flares most commonly occur within the first 5-6 years of treatment"), not this patient's plan:
   their durations are not checkpoints. Recommendations, monitoring, timeline, pitfall and
   assessment statements can give checkpoints.
2. **Qualifier.** A duration with no qualifier is a span the patient has been in ("12-24 months of
   normal laboratory values", "despite 4 years of continuous treatment"): a condition for a
   decision, not a date. "within", "by", "after", "every", "at least", "for" and "over" mark a
   point to check ("every" recurs).
3. **Anchor.** A duration counted from another event than the restart, by the words after it in
   its clause ("within 12 months of complete drug withdrawal", "at least 3-5 years ... before
   considering withdrawal", "3 years of maintenance ... once remission achieved"), belongs to a
   later plan, not to the restart calendar.
4. **Planned withdrawal.** A statement whose opening condition is a withdrawal still to come
   ("When eventual withdrawal is planned, taper over at least 1 month") is about stopping, not
   restarting. An opening condition that names a past withdrawal ("after tacrolimus withdrawal")
   is the restart context and keeps its checkpoints.

Taper steps are recurring checkpoints at their frequency ("reduce prednisone by 10 mg monthly":
every 1 month). Other dose frequencies are how to give a drug, not when to review it.
"""

from __future__ import annotations

import math
import re

from .errors import with_article
from .units import ALLOWED_DURATION_UNITS, UnitError, convert, quantity

#: Statement kinds whose durations can be checkpoints (rule 1).
CHECKPOINT_KINDS = frozenset({"recommendation", "monitoring", "timeline", "pitfall", "assessment"})
#: Qualifiers that mark a point to check (rule 2); "every" makes it recurring.
CHECKPOINT_QUALIFIERS = frozenset({"within", "by", "after", "every", "at least", "for", "over"})

# Rule 3: the words after a duration count it from withdrawal, discontinuation or remission.
_OTHER_ANCHOR = re.compile(
    r"\b(?:of|after|before|following|once|since)\b(?:\s+\S+){0,3}?\s+"
    r"(?:withdraw\w*|discontinu\w*|stopping|remission)\b",
    re.IGNORECASE,
)
# Rule 4: an opening condition clause ("When ..., ") about a withdrawal that has not happened yet.
_OPENING_CONDITION = re.compile(r"^\s*(?:when|if|once|before)\b(?P<clause>[^,;]*),", re.IGNORECASE)
_WITHDRAWAL = re.compile(r"\b(?:withdraw\w*|discontinu\w*|stop\w*)\b", re.IGNORECASE)
_PAST_EVENT = re.compile(r"\b(?:after|since|following)\b", re.IGNORECASE)


def monitoring_schedule(items: list[dict]) -> list[dict]:
    """Checkpoints after therapy is restarted, from the durations and taper steps of ``items``.

    Parameters
    ----------
    items : result Items (``"id"``, ``"kind"``, ``"text"``, ``"guideline"``, ``"line"``,
        ``"durations"``, and ``"doses"`` whose taper steps carry ``"frequency"``).

    Returns
    -------
    ``[{"from", "to", "unit", "what", "statement", "guideline", "line", "recurring", "kind",
    "quote"}]``: ``from``-``to`` in the source's unit (not converted), ``what`` the clause of the
    statement around the duration, ``quote`` the source words of the duration. Sorted by time
    (compared in days), then guideline and line; one checkpoint per statement and time.

    Examples
    --------
    >>> item = {"id": "kb:x/s/1", "kind": "monitoring", "guideline": "x", "line": 16,
    ...         "text": "Monitor liver enzymes every 2 weeks initially to assess treatment response",
    ...         "durations": [{"low": 2, "high": 2, "unit": "wk", "qualifier": "every", "quote": "every 2 weeks"}]}
    >>> [(c["from"], c["unit"], c["recurring"], c["what"]) for c in monitoring_schedule([item])]
    [(2, 'wk', True, 'Monitor liver enzymes every 2 weeks initially to assess treatment response')]
    """
    found: dict[tuple, dict] = {}
    for item in items:
        for checkpoint in _item_checkpoints(item):
            key = (checkpoint["statement"], checkpoint["from"], checkpoint["to"], checkpoint["unit"],
                   checkpoint["recurring"], checkpoint["what"])
            if key in found:  # two taper doses in one clause: one visit, its quote spanning both
                found[key]["quote"] = _spanning(checkpoint["what"], found[key]["quote"], checkpoint["quote"])
            else:
                found[key] = checkpoint
    return sorted(found.values(), key=_time_order)


def why_not_checkpoint(kind: str, text: str, duration: dict) -> str | None:
    """Why a statement's duration is not a checkpoint after restart, or None when it is one.

    >>> why_not_checkpoint("rationale", "Renal flares most commonly occur within the first 5-6 years of treatment",
    ...                    {"low": 5, "high": 6, "unit": "a", "qualifier": "within", "quote": "within the first 5-6 years"})
    'a rationale statement describes the disease or the evidence, not the plan for this patient'
    >>> why_not_checkpoint("evidence", "Rebound occurred within 4 weeks in 12 of 30 patients", {"qualifier": "within"})
    'an evidence statement describes the disease or the evidence, not the plan for this patient'
    >>> why_not_checkpoint("timeline", "Proteinuria should decrease by ≥30% within 12 weeks if therapy is effective",
    ...                    {"low": 12, "high": 12, "unit": "wk", "qualifier": "within", "quote": "within 12 weeks"}) is None
    True
    """
    if kind not in CHECKPOINT_KINDS:
        return f"{with_article(kind)} statement describes the disease or the evidence, not the plan for this patient"
    qualifier = duration.get("qualifier")
    if qualifier not in CHECKPOINT_QUALIFIERS:
        return "no qualifier: a span the patient has been in, not a point to check"
    _, after_quote = _clause_around(text, duration.get("quote"))
    anchor = _OTHER_ANCHOR.search(after_quote)
    if anchor:
        return f"counted from another event than the restart: {anchor.group(0).strip()!r}"
    opening = _OPENING_CONDITION.match(text)
    if opening and _WITHDRAWAL.search(opening.group("clause")) and not _PAST_EVENT.search(opening.group("clause")):
        return f"about a withdrawal still to come: {opening.group(0).rstrip(',').strip()!r}"
    return None


# ---------------------------------------------------------------- one item


def _item_checkpoints(item: dict):
    text = item.get("text") or ""
    for duration in item.get("durations") or ():
        if why_not_checkpoint(item.get("kind", ""), text, duration) is None:
            yield _checkpoint(item, duration["low"], duration["high"], duration["unit"],
                              duration.get("qualifier") == "every", duration.get("quote"))
    # A taper step's rate is a visit to plan; a bound on the rate ("faster than 10 mg monthly", which
    # a pitfall warns against) is not.
    if item.get("kind") not in CHECKPOINT_KINDS:
        return
    for dose in item.get("doses") or ():
        if dose.get("taper_step") and dose.get("frequency") and not dose.get("comparator"):
            interval = every(dose["frequency"])
            if interval is not None:
                yield _checkpoint(item, interval[0], interval[0], interval[1], True, dose.get("quote"))


def _spanning(text: str, first: str, second: str) -> str:
    """The source's words from the first quote to the end of the second, so a quote is always the
    source's text; the two joined with "; " only where the clause does not hold them both.

    >>> _spanning("reduce prednisone by 10 mg and azathioprine by 50 mg monthly", "prednisone by 10 mg", "azathioprine by 50 mg monthly")
    'prednisone by 10 mg and azathioprine by 50 mg monthly'
    """
    spans = [(text.find(q), text.find(q) + len(q)) for q in (first, second) if q]
    if len(spans) < 2 or any(start < 0 for start, _ in spans):
        return "; ".join(q for q in (first, second) if q)
    return text[min(start for start, _ in spans):max(end for _, end in spans)]


def _checkpoint(item, low, high, unit, recurring, quote) -> dict:
    clause, _ = _clause_around(item.get("text") or "", quote)
    return {
        "from": _number(low),
        "to": _number(high),
        "unit": unit,
        "what": clause,
        "statement": item["id"],
        "guideline": item.get("guideline"),
        "line": item.get("line"),
        "recurring": recurring,
        "kind": item.get("kind"),
        "quote": quote or "",
    }


def every(frequency: str) -> tuple[int, str] | None:
    """The interval of a UCUM rate as (n, unit) in the largest duration unit that gives a whole n.

    >>> every("1/mo"), every("0.5/wk"), every("1/(3.wk)"), every("2/d")
    ((1, 'mo'), (2, 'wk'), (3, 'wk'), (12, 'h'))
    """
    try:
        interval = 1 / quantity(1, frequency)
    except UnitError:
        return None
    for unit in sorted(ALLOWED_DURATION_UNITS, key=lambda u: -quantity(1, u).to("day").magnitude):
        try:
            n = interval.to(quantity(1, unit).units).magnitude
        except Exception:  # pint's DimensionalityError: not a rate per time
            return None
        if n >= 1 - 1e-9 and math.isclose(n, round(n), rel_tol=1e-6):
            return int(round(n)), unit
    return None


# ---------------------------------------------------------------- text


def _clause_around(text: str, quote: str | None) -> tuple[str, str]:
    """The clause of ``text`` holding ``quote`` (split at commas and semicolons outside
    parentheses) and the words after the quote in that clause; the whole text and "" when the
    quote is not found."""
    at = text.lower().find(quote.lower()) if quote else -1
    if at < 0:
        return text.strip().rstrip("."), ""
    end = at + len(quote)
    start, stop, depth = 0, len(text), 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char in ",;" and depth == 0:
            if i < at:
                start = i + 1
            elif i >= end:
                stop = i
                break
    return text[start:stop].strip().rstrip("."), text[end:stop]


def _number(value):
    number = float(value)
    return int(number) if number.is_integer() else number


def _time_order(checkpoint: dict):
    def days(value):
        return convert(value, checkpoint["unit"], "d")

    return (days(checkpoint["from"]), days(checkpoint["to"]), checkpoint["recurring"],
            checkpoint["guideline"] or "", checkpoint["line"] or 0, checkpoint["what"])


__all__ = ["monitoring_schedule", "why_not_checkpoint", "every", "CHECKPOINT_KINDS", "CHECKPOINT_QUALIFIERS"]
