"""The monitoring schedule as a timeline: one axis of weeks, the source's own words in the labels."""

from __future__ import annotations

from graph.timeline import MIN_HORIZON_WEEKS, checkpoint_lines, timeline_rows, timeline_spec

SEVERE_FLARE = {"condition": "lupus_nephritis", "tacrolimus_stopped": "abruptly", "flare": True,
                "severity": "severe", "weight_kg": 70, "first_line_response": "not_started"}


def test_the_lupus_schedule_becomes_bars_in_weeks_labelled_in_the_sources_units(kb):
    schedule = kb.recommend(SEVERE_FLARE).to_dict()["schedule"]
    rows = timeline_rows(schedule)
    by_when = {row["when"]: row for row in rows}
    assert (by_when["3–4 wk"]["start"], by_when["3–4 wk"]["end"]) == (3.0, 4.0)
    assert by_when["3–6 mo"]["start"] == 13.04 and by_when["3–6 mo"]["end"] == 26.09  # UCUM months
    assert by_when["12 wk"]["source"] == "lupus-tacrolimus-rebound line 56"
    assert all(row["row"].startswith(row["when"]) for row in rows)


def test_a_recurring_checkpoint_is_drawn_at_each_occurrence_up_to_the_horizon():
    rows = timeline_rows([{"from": 1, "to": 1, "unit": "mo", "recurring": True, "what": "reduce prednisone by 10 mg",
                           "guideline": "g", "line": 6, "kind": "recommendation"}])
    starts = [row["start"] for row in rows]
    assert starts[0] == 4.35 and len(starts) == 2  # every month, within the 12-week minimum horizon
    assert starts[-1] <= MIN_HORIZON_WEEKS


def test_the_chart_spec_draws_the_rows_with_their_source_in_the_tooltip():
    rows = timeline_rows([{"from": 2, "to": 2, "unit": "wk", "recurring": False, "what": "labs",
                           "guideline": "g", "line": 23, "kind": "monitoring"}])
    spec = timeline_spec(rows)
    assert spec["data"]["values"] == rows
    assert {t["field"] for t in spec["encoding"]["tooltip"]} == {"when", "what", "source"}


def test_the_checkpoint_list_quotes_what_and_where():
    lines = checkpoint_lines([{"from": 3, "to": 6, "unit": "mo", "recurring": False,
                               "what": "Complete or partial remission", "guideline": "lupus-tacrolimus-rebound", "line": 57}])
    assert lines == ["1. **3–6 mo**: Complete or partial remission · lupus-tacrolimus-rebound line 57"]
