"""Monitoring schedule: the seeds' durations and taper steps as checkpoints after restart."""

from __future__ import annotations

import pytest

from graph.rdfmodel import statement_iri
from graph.schedule import every, monitoring_schedule, why_not_checkpoint
from graph.units import convert

AUTO, LUPUS = "autoimmune-tacrolimus-rebound", "lupus-tacrolimus-rebound"


@pytest.fixture(scope="module")
def seed_items(kb) -> list[dict]:
    """Every seed statement as a result Item (the keys monitoring_schedule reads)."""
    items = []
    for doc in kb.documents.values():
        for st in doc.statements:
            parsed = st.to_dict()
            items.append({
                "id": str(statement_iri(doc.id, st.section_slug, st.ordinal)),
                "kind": st.kind, "text": st.text, "guideline": doc.id, "line": st.line,
                "durations": parsed["durations"], "doses": parsed["doses"],
            })
    return items


# The seeds' follow-up calendar, in order: (guideline, line, from, to, unit, recurring, start of "what").
EXPECTED_CHECKPOINTS = [
    (AUTO, 22, 2, 2, "wk", False, "Measure disease-specific markers"),
    (AUTO, 23, 2, 2, "wk", False, "Resolution of at least one laboratory abnormality within 2 weeks"),
    (AUTO, 24, 2, 2, "wk", False, "Failure of any test to improve or worsening after 2 weeks"),
    (AUTO, 16, 2, 2, "wk", True, "Monitor liver enzymes every 2 weeks"),
    (LUPUS, 55, 3, 4, "wk", False, "Improvement should be evident within 3-4 weeks of restarting immunosuppression"),
    (AUTO, 6, 1, 1, "mo", False, "Continue this intensive regimen for at least 1 month"),
    (AUTO, 42, 1, 1, "mo", False, "Reducing corticosteroids before achieving biochemical remission"),
    (AUTO, 6, 1, 1, "mo", True, "then reduce prednisone by 10 mg and azathioprine by 50 mg monthly"),
    (LUPUS, 56, 12, 12, "wk", False, "Proteinuria should decrease by ≥30% within 12 weeks"),
    (LUPUS, 57, 3, 6, "mo", False, "Complete or partial remission typically achieved by 3-6 months"),
]

# Durations that are not on the restart calendar, and the rule that keeps them off.
EXPECTED_EXCLUDED = [
    (LUPUS, 6, "at least 3-5 years", "rationale statement"),
    (LUPUS, 8, "within the first 5-6 years", "rationale statement"),
    (LUPUS, 58, "minimum 3 years", "counted from another event"),          # "once remission achieved"
    (AUTO, 32, "at least 1 month", "withdrawal still to come"),            # "When eventual withdrawal is planned"
    (AUTO, 53, "4 years", "no qualifier"),                                 # "despite 4 years of continuous treatment"
    (AUTO, 56, "within 12 months", "counted from another event"),          # "of complete drug withdrawal"
    (AUTO, 57, "12-24 months", "no qualifier"),                            # "12-24 months of normal laboratory values"
]


def test_seed_checkpoints_are_the_expected_calendar_in_time_order(seed_items):
    schedule = monitoring_schedule(seed_items)
    got = [(c["guideline"], c["line"], c["from"], c["to"], c["unit"], c["recurring"]) for c in schedule]
    assert got == [row[:6] for row in EXPECTED_CHECKPOINTS]
    for checkpoint, row in zip(schedule, EXPECTED_CHECKPOINTS):
        assert checkpoint["what"].startswith(row[6])


def test_every_excluded_seed_duration_is_excluded_by_its_rule(seed_items):
    excluded = []
    for item in seed_items:
        for duration in item["durations"]:
            reason = why_not_checkpoint(item["kind"], item["text"], duration)
            if reason is not None:
                excluded.append((item["guideline"], item["line"], duration["quote"], reason))
    assert [row[:3] for row in sorted(excluded)] == sorted(row[:3] for row in EXPECTED_EXCLUDED)
    reasons = {row[:3]: row[3] for row in excluded}
    for guideline, line, quote, rule in EXPECTED_EXCLUDED:
        assert rule in reasons[(guideline, line, quote)]


def test_checkpoints_keep_the_source_unit_and_name_their_statement(seed_items):
    by_line = {(c["guideline"], c["line"], c["recurring"]): c for c in monitoring_schedule(seed_items)}
    proteinuria = by_line[(LUPUS, 56, False)]
    assert (proteinuria["from"], proteinuria["unit"]) == (12, "wk")  # not converted to 2.76 months
    assert proteinuria["statement"].endswith(f"{LUPUS}/timeline-for-expected-response/2")
    assert proteinuria["quote"] == "within 12 weeks"
    # the two taper doses of one clause are one monthly visit, quoted in the source's own words
    taper = by_line[(AUTO, 6, True)]
    assert taper["quote"] == "prednisone by 10 mg and azathioprine by 50 mg monthly"
    assert taper["quote"] in next(i["text"] for i in seed_items if (i["guideline"], i["line"]) == (AUTO, 6))
    assert taper["kind"] == "recommendation"
    # "Too rapid tapering (faster than 10 mg prednisone monthly)" bounds the rate: no monthly visit
    assert not [c for c in monitoring_schedule(seed_items) if (c["guideline"], c["line"]) == (AUTO, 43)]


def test_the_what_is_the_clause_around_the_duration_not_invented_text(seed_items):
    texts = {item["id"]: item["text"] for item in seed_items}
    for checkpoint in monitoring_schedule(seed_items):
        assert checkpoint["what"] in texts[checkpoint["statement"]]
    six = next(c for c in monitoring_schedule(seed_items) if (c["line"], c["recurring"]) == (6, False))
    assert six["what"] == "Continue this intensive regimen for at least 1 month"


def test_only_the_patients_items_give_checkpoints(seed_items):
    lupus_timeline = [i for i in seed_items if i["guideline"] == LUPUS and i["kind"] == "timeline"]
    schedule = monitoring_schedule(lupus_timeline)
    assert [(c["line"], c["from"], c["to"], c["unit"]) for c in schedule] == [
        (55, 3, 4, "wk"), (56, 12, 12, "wk"), (57, 3, 6, "mo")]
    assert monitoring_schedule([]) == []


def test_a_past_withdrawal_in_the_opening_condition_keeps_the_checkpoint():
    item = {"id": "kb:x/s/1", "kind": "monitoring", "guideline": "x", "line": 1,
            "text": "When the disease flares after tacrolimus withdrawal, check liver enzymes within 2 weeks",
            "durations": [{"low": 2, "high": 2, "unit": "wk", "qualifier": "within", "quote": "within 2 weeks"}]}
    [checkpoint] = monitoring_schedule([item])
    assert checkpoint["what"] == "check liver enzymes within 2 weeks"


def test_dose_frequencies_that_are_not_taper_steps_are_not_checkpoints():
    item = {"id": "kb:x/s/1", "kind": "recommendation", "guideline": "x", "line": 1,
            "text": "Give rituximab 1 g every 2 weeks", "durations": [],
            "doses": [{"drug": "rituximab", "low": 1, "high": 1, "unit": "g", "frequency": "0.5/wk",
                       "taper_step": False, "quote": "1 g every 2 weeks"}]}
    assert monitoring_schedule([item]) == []


@pytest.mark.parametrize(
    "frequency, interval",
    [("1/mo", (1, "mo")), ("0.5/wk", (2, "wk")), ("0.25/wk", (4, "wk")), ("1/(3.wk)", (3, "wk")),
     ("1/(6.mo)", (6, "mo")), ("1/a", (1, "a")), ("2/d", (12, "h")), ("1/wk", (1, "wk"))],
)
def test_every_reads_a_rate_as_an_interval(frequency, interval):
    assert every(frequency) == interval


def test_decimal_rates_convert_as_one_number_regression():
    """units.convert read "0.5/wk" as 0 x 5 per week (the "." as UCUM multiplication), giving 0."""
    assert convert(1, "0.5/wk", "1/wk") == pytest.approx(0.5)
    assert convert(1, "1/(3.wk)", "1/wk") == pytest.approx(1 / 3)
