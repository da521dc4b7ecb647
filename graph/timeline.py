"""The monitoring schedule as a timeline chart: checkpoints on one axis of weeks after the restart.

:func:`graph.schedule.monitoring_schedule` gives checkpoints in the source's own units ("3-4 wk",
"3-6 mo", "every 2 wk"). A chart needs one axis, so each is converted to weeks (UCUM months are
30.4375 days, so 3 months is 13.04 weeks); the label keeps the source's words and unit, so the chart
never shows a number the source did not write. A recurring checkpoint ("every 2 weeks") becomes one
mark per occurrence up to the chart's horizon.

The chart is a Vega-Lite specification (``st.vega_lite_chart`` draws it; no other dependency).
"""

from __future__ import annotations

from typing import Iterable, Mapping

from .units import convert

#: The chart shows at least this many weeks, and recurring checkpoints repeat up to the horizon.
MIN_HORIZON_WEEKS = 12
#: A recurring checkpoint is drawn at most this many times (a weekly check over two years would
#: otherwise fill the row with marks).
MAX_OCCURRENCES = 26
#: Width of a single-time checkpoint's mark, in weeks, so it stays visible beside the ranges.
POINT_WIDTH_WEEKS = 0.25
LABEL_CHARS = 44


def weeks(value, unit: str) -> float:
    """A duration in weeks.

    >>> weeks(3, "mo"), weeks(14, "d"), weeks(2, "wk")
    (13.04, 2.0, 2.0)
    """
    return round(float(convert(value, unit, "wk")), 2)


def when_text(checkpoint: Mapping) -> str:
    """The checkpoint's time in the source's words and unit.

    >>> when_text({"from": 3, "to": 4, "unit": "wk", "recurring": False})
    '3–4 wk'
    >>> when_text({"from": 2, "to": 2, "unit": "wk", "recurring": True})
    'every 2 wk'
    """
    low, high = checkpoint["from"], checkpoint["to"]
    span = f"{low}" if low == high else f"{low}–{high}"
    return f"{'every ' if checkpoint.get('recurring') else ''}{span} {checkpoint['unit']}"


def horizon_weeks(schedule: Iterable[Mapping]) -> float:
    """How far the chart reaches: the latest one-off checkpoint, at least ``MIN_HORIZON_WEEKS``.

    >>> horizon_weeks([{"from": 3, "to": 6, "unit": "mo", "recurring": False}])
    26.09
    >>> horizon_weeks([{"from": 2, "to": 2, "unit": "wk", "recurring": True}])
    12
    """
    ends = [weeks(c["to"], c["unit"]) for c in schedule if not c.get("recurring")]
    return max([MIN_HORIZON_WEEKS, *ends])


def timeline_rows(schedule: Iterable[Mapping]) -> list[dict]:
    """Chart rows: one per checkpoint (one per occurrence when recurring), in weeks after restart.

    Returns
    -------
    ``[{"row", "start", "end", "when", "what", "source", "kind", "recurring"}]``: ``row`` is the
    y-axis label (time and words), ``start``/``end`` in weeks, ``source`` the guideline and line.

    Examples
    --------
    >>> rows = timeline_rows([
    ...     {"from": 2, "to": 2, "unit": "wk", "recurring": True, "what": "Monitor liver enzymes",
    ...      "guideline": "g", "line": 16, "kind": "recommendation"},
    ...     {"from": 3, "to": 4, "unit": "wk", "recurring": False, "what": "Improvement evident",
    ...      "guideline": "g", "line": 55, "kind": "timeline"}])
    >>> [(r["start"], r["end"]) for r in rows]
    [(2.0, 2.25), (4.0, 4.25), (6.0, 6.25), (8.0, 8.25), (10.0, 10.25), (12.0, 12.25), (3.0, 4.0)]
    >>> rows[-1]["row"], rows[-1]["source"]
    ('3–4 wk: Improvement evident', 'g line 55')
    """
    schedule = list(schedule)
    horizon = horizon_weeks(schedule)
    rows = []
    for checkpoint in schedule:
        start, end = weeks(checkpoint["from"], checkpoint["unit"]), weeks(checkpoint["to"], checkpoint["unit"])
        what = " ".join(str(checkpoint.get("what") or "").split())
        when = when_text(checkpoint)
        label = f"{when}: {what}"
        if len(label) > LABEL_CHARS:
            label = label[: LABEL_CHARS - 1] + "…"
        base = {
            "row": label,
            "when": when,
            "what": what,
            "source": f"{checkpoint.get('guideline')} line {checkpoint.get('line')}",
            "kind": checkpoint.get("kind") or "",
            "recurring": bool(checkpoint.get("recurring")),
        }
        if checkpoint.get("recurring") and start > 0:
            at = start
            for _ in range(MAX_OCCURRENCES):
                if at > horizon + 1e-9:
                    break
                rows.append({**base, "start": round(at, 2), "end": round(at + POINT_WIDTH_WEEKS, 2)})
                at += start
        else:
            rows.append({**base, "start": start, "end": end if end > start else round(start + POINT_WIDTH_WEEKS, 2)})
    return rows


def timeline_spec(rows: list[dict]) -> dict:
    """A Vega-Lite specification drawing ``rows`` (from :func:`timeline_rows`) as a Gantt-like chart.

    >>> spec = timeline_spec([])
    >>> spec["encoding"]["x"]["title"]
    'weeks after restarting therapy'
    """
    return {
        "data": {"values": rows},
        "mark": {"type": "bar", "cornerRadius": 3, "height": {"band": 0.6}},
        "encoding": {
            "x": {"field": "start", "type": "quantitative", "title": "weeks after restarting therapy",
                  "scale": {"domainMin": 0}},
            "x2": {"field": "end"},
            "y": {"field": "row", "type": "nominal", "sort": None, "title": None,
                  "axis": {"labelLimit": 460, "labelFontSize": 12}},
            "color": {"field": "kind", "type": "nominal", "title": "statement kind", "legend": {"orient": "bottom"}},
            "tooltip": [
                {"field": "when", "title": "when (as the source says)"},
                {"field": "what", "title": "what"},
                {"field": "source", "title": "source"},
            ],
        },
        "height": {"step": 26},
    }


def checkpoint_lines(schedule: Iterable[Mapping]) -> list[str]:
    """The schedule as a numbered Markdown list: when (as the source says), what, and the source line.

    >>> checkpoint_lines([{"from": 12, "to": 12, "unit": "wk", "recurring": False,
    ...                    "what": "Proteinuria should decrease by ≥30%", "guideline": "g", "line": 56}])
    ['1. **12 wk**: Proteinuria should decrease by ≥30% · g line 56']
    """
    from .views import md_escape

    return [
        f"{n}. **{when_text(c)}**: {md_escape(' '.join(str(c.get('what') or '').split()))} · "
        f"{md_escape(str(c.get('guideline')))} line {c.get('line')}"
        for n, c in enumerate(schedule, start=1)
    ]


__all__ = ["timeline_rows", "checkpoint_lines", "timeline_spec", "weeks", "when_text", "horizon_weeks", "MIN_HORIZON_WEEKS", "MAX_OCCURRENCES"]
