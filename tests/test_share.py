"""Patient facts in the page address: read by their declared types, checked, written back."""

from __future__ import annotations

import pytest

from graph.errors import InputError
from graph.recommend import patient_form_of
from graph.share import facts_from_params, facts_to_show, params_from_facts, read_params

SEVERE_FLARE = {
    "condition": "lupus_nephritis", "tacrolimus_stopped": "abruptly", "flare": "true",
    "severity": "severe", "weight_kg": "70", "first_line_response": "not_started",
}


@pytest.fixture(scope="module")
def form(kb):
    return patient_form_of(kb)


def test_a_shared_address_gives_typed_facts_in_declaration_order(form):
    facts = facts_from_params(SEVERE_FLARE, form)
    assert facts == {"condition": "lupus_nephritis", "tacrolimus_stopped": "abruptly", "flare": True,
                     "severity": "severe", "weight_kg": 70, "first_line_response": "not_started"}
    assert list(facts) == [k for k in form.keys() if k in facts]


def test_facts_survive_the_round_trip_through_the_address(form):
    facts = facts_from_params(SEVERE_FLARE, form)
    assert facts_from_params(params_from_facts(facts, form), form) == facts
    assert params_from_facts({**facts, "weight_kg": 72.5, "meld": 18}, form)["weight_kg"] == "72.5"


def test_an_empty_value_is_an_unknown_fact(form):
    assert facts_from_params({"flare": "", "condition": "vasculitis"}, form) == {"condition": "vasculitis"}


@pytest.mark.parametrize(
    "params, words",
    [
        ({"weight_kg": "heavy"}, "patient fact 'weight_kg': expected a number in kg"),
        ({"weight_kg": "nan"}, "expected a number"),
        ({"weight_kg": "1e400"}, "expected a finite number"),
        ({"weight_kg": "700"}, "700 is outside the allowed range 2 to 350 kg"),
        ({"meld": "18.5"}, "patient fact 'meld': expected a whole number"),
        ({"flare": "yes"}, "patient fact 'flare': expected true or false"),
        ({"severity": "extreme"}, "'extreme' is not one of mild, moderate, severe, organ_threatening"),
        ({"sevrity": "mild"}, "unknown patient fact 'sevrity': did you mean 'severity'?"),
        ({"severity": ["mild", "severe"]}, "'severity' is given 2 times in the address"),
    ],
    ids=["not-a-number", "nan", "infinite", "out-of-range", "not-whole", "not-boolean", "not-allowed",
         "misspelt-key", "repeated"],
)
def test_a_bad_value_is_one_clear_error_naming_the_fact(form, params, words):
    with pytest.raises(InputError) as error:
        facts_from_params(params, form)
    assert words in str(error.value)
    assert "\n" not in str(error.value)


def test_reading_an_address_keeps_the_good_facts_and_lists_each_bad_one(form):
    facts, problems = read_params({**SEVERE_FLARE, "weight_kg": "heavy", "colour": "red"}, form)
    assert facts["severity"] == "severe" and "weight_kg" not in facts
    assert len(problems) == 2
    assert problems[0].startswith("patient fact 'weight_kg'") and "colour" in problems[1]


def test_streamlit_embedding_options_are_not_facts(form):
    assert facts_from_params({"embed": "true", "condition": "vasculitis"}, form) == {"condition": "vasculitis"}


def _address(facts: dict) -> dict[str, list[str]]:
    return {name: [text] for name, text in facts.items()}


def test_the_page_keeps_its_facts_when_the_address_is_the_one_it_wrote(form):
    written = _address(SEVERE_FLARE)
    assert facts_to_show(written, form, written=written, session_facts={"flare": True}) is None


def test_a_shared_link_shows_its_own_facts_over_the_session_ones(form):
    link = _address({"condition": "autoimmune_hepatitis", "weight_kg": "800"})
    facts, problems = facts_to_show(link, form, written=_address(SEVERE_FLARE),
                                    session_facts=facts_from_params(SEVERE_FLARE, form))
    assert facts == {"condition": "autoimmune_hepatitis"}
    assert len(problems) == 1 and "weight_kg" in problems[0]


def test_coming_back_from_another_page_restores_the_session_facts(form):
    session = facts_from_params(SEVERE_FLARE, form)
    assert facts_to_show({}, form, written=None, session_facts=session) == (session, [])
    # the first visit of a session, with nothing to restore, reads the (empty) address
    assert facts_to_show({}, form, written=None, session_facts=None) == ({}, [])
