"""Patient facts: the declared facts as the form reads them, and the strict checking of given facts."""

from __future__ import annotations

import math

import pytest

from graph.errors import InputError
from graph.patient import FactSpec, check_facts, parse_patient, patient_form, read_patient

# DESIGN.md, "Patient facts for the two seed pathways": key, type, allowed values or range.
DESIGN_FACTS = [
    ("condition", "choice", ("lupus_nephritis", "sle_extrarenal", "autoimmune_hepatitis", "vasculitis", "other_autoimmune")),
    ("tacrolimus_stopped", "choice", ("abruptly", "tapered", "not_stopped")),
    ("flare", "boolean", None),
    ("severity", "choice", ("mild", "moderate", "severe", "organ_threatening")),
    ("refractory", "boolean", None),
    ("prior_tacrolimus_response", "choice", ("good", "partial", "none", "unknown")),
    ("tacrolimus_side_effects", "choice", ("none", "tolerable", "intolerable")),
    ("adherence_concern", "boolean", None),
    ("weight_kg", "number", (2, 350)),
    ("on_hydroxychloroquine", "boolean", None),
    ("fatigue", "boolean", None),
    ("first_line_response", "choice", ("not_started", "adequate", "inadequate")),
    ("persistent_proteinuria", "boolean", None),
    ("decompensated_cirrhosis", "boolean", None),
    ("meld", "integer", (6, 40)),
    ("ascites", "boolean", None),
    ("years_on_treatment", "number", (0, 80)),
    ("relapse_count", "integer", (0, 50)),
    ("cyp3a_inhibitor", "boolean", None),
    ("months_normal_labs", "number", (0, 600)),
]
UNITS = {"weight_kg": "kg", "years_on_treatment": "a", "months_normal_labs": "mo"}


@pytest.fixture(scope="module")
def form(kb):
    return patient_form(kb.graph)


def test_the_form_holds_exactly_the_design_facts_in_design_order(form):
    assert form.keys() == [key for key, _, _ in DESIGN_FACTS]


@pytest.mark.parametrize("key, kind, values", DESIGN_FACTS, ids=[k for k, _, _ in DESIGN_FACTS])
def test_each_fact_has_the_design_type_values_range_and_unit(form, key, kind, values):
    spec = form[key]
    assert spec.type == kind
    if kind == "choice":
        assert spec.options == values  # in the order a form shows them (sh:in)
    elif kind in ("number", "integer"):
        assert (spec.min, spec.max) == values
    assert spec.unit == UNITS.get(key)
    assert spec.question.endswith("?") and len(spec.question) > 15
    assert spec.label and "_" not in spec.label  # labels are words, not keys


def test_to_question_gives_options_and_range(form):
    assert form["severity"].to_question() == {
        "key": "severity", "question": form["severity"].question, "type": "choice",
        "options": ["mild", "moderate", "severe", "organ_threatening"],
    }
    weight = form["weight_kg"].to_question()
    assert (weight["min"], weight["max"], weight["unit"], weight["options"]) == (2, 350, "kg", [])
    assert form["flare"].to_question()["options"] == [True, False]


def test_valid_facts_come_back_in_declaration_order_and_null_means_unknown(form):
    given = {"weight_kg": 70.5, "condition": "lupus_nephritis", "flare": True, "meld": 18, "ascites": None}
    assert list(check_facts(given, form).items()) == [
        ("condition", "lupus_nephritis"), ("flare", True), ("weight_kg", 70.5), ("meld", 18),
    ]


def test_bounds_are_inclusive(form):
    assert check_facts({"weight_kg": 2, "meld": 40, "years_on_treatment": 0}, form) == {
        "weight_kg": 2, "meld": 40, "years_on_treatment": 0,
    }


# Hostile values x the fact they are given for: each must be refused with a message naming the key.
INVALID = [
    ("weight_kg", True, "expected a number"),
    ("weight_kg", "70", "expected a number"),
    ("weight_kg", math.nan, "NaN"),
    ("weight_kg", math.inf, "Infinity"),
    ("weight_kg", -math.inf, "-Infinity"),
    ("weight_kg", 1.9, "outside the allowed range 2 to 350 kg"),
    ("weight_kg", 351, "outside the allowed range"),
    ("weight_kg", [70], "an array"),
    ("weight_kg", {"value": 70}, "an object"),
    ("meld", 18.5, "whole number"),
    ("meld", 15.0, "expected a whole number written without a decimal point (15), got 15.0"),
    ("relapse_count", 2.0, "expected a whole number written without a decimal point (2), got 2.0"),
    ("years_on_treatment", 90, "90 is outside the allowed range 0 to 80 years"),
    ("years_on_treatment", "4", "expected a number in years, got \"4\""),
    ("months_normal_labs", 601, "outside the allowed range 0 to 600 months"),
    ("meld", 5, "outside the allowed range 6 to 40"),
    ("meld", False, "expected a number"),
    ("relapse_count", -1, "outside the allowed range"),
    ("flare", "yes", "expected true or false"),
    ("flare", 1, "expected true or false"),
    ("severity", "extreme", "not one of mild, moderate, severe, organ_threatening"),
    ("severity", "Severe", "did you mean 'severe'"),
    ("condition", 3, "expected one of"),
    ("first_line_response", "inadequte", "did you mean 'inadequate'"),
]


@pytest.mark.parametrize("key, value, message", INVALID, ids=[f"{k}={v!r}" for k, v, _ in INVALID])
def test_invalid_value_is_one_line_naming_the_key(form, key, value, message):
    with pytest.raises(InputError) as error:
        check_facts({key: value}, form)
    text = str(error.value)
    assert f"'{key}'" in text and message in text and "\n" not in text


def test_a_choice_of_thousands_of_values_is_refused_in_one_short_line():
    """A large library's condition has a value per guideline family: the message names a dozen,
    counts the rest, and still suggests the closest one."""
    from graph.patient import check_value

    spec = FactSpec("condition", "condition", "Which condition?", "choice",
                    options=tuple(f"lupus_nephritis_{n:04d}" for n in range(5000)))
    with pytest.raises(InputError) as error:
        check_value(spec, "lupus_nephritis_4321x")
    text = str(error.value)
    assert "and 4,988 more" in text and "did you mean 'lupus_nephritis_4321'" in text
    assert len(text) < 500 and "\n" not in text
    assert check_value(spec, "lupus_nephritis_0042") == "lupus_nephritis_0042"


@pytest.mark.parametrize("given, suggestion", [
    ("sevrity", "severity"), ("weight", "weight_kg"), ("cyp3a", "cyp3a_inhibitor"), ("relapses", "relapse_count"),
])
def test_unknown_key_suggests_the_closest_known_key(form, given, suggestion):
    with pytest.raises(InputError, match=f"unknown patient fact '{given}': did you mean '{suggestion}'"):
        check_facts({given: 1}, form)


def test_unknown_key_without_a_close_match_lists_the_known_keys(form):
    with pytest.raises(InputError, match="known facts: condition, tacrolimus_stopped"):
        check_facts({"zzzz": 1}, form)


def test_facts_must_be_a_mapping(form):
    with pytest.raises(InputError, match="not an array"):
        check_facts([("flare", True)], form)


# ---------------------------------------------------------------- reading JSON


@pytest.mark.parametrize("text, message", [
    ("", "empty input"),
    ("   \n", "empty input"),
    ("{flare: true}", "not JSON"),
    ("[1, 2]", "not an array"),
    ('"lupus"', "not a string"),
    ("null", "not null"),
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ('{"flare": true, "flare": false}', "'flare' is given twice"),
])
def test_parse_patient_refuses_what_is_not_a_flat_object(text, message):
    with pytest.raises(InputError, match=message) as error:
        parse_patient(text, source="p.json")
    assert str(error.value).startswith("p.json: ") and "\n" not in str(error.value)


def test_parse_patient_keeps_nan_for_the_checker_to_name_the_key():
    facts = parse_patient('{"weight_kg": NaN}')
    assert math.isnan(facts["weight_kg"])


def test_read_patient_from_a_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"condition": "vasculitis"}', encoding="utf-8")
    assert read_patient(str(path)) == {"condition": "vasculitis"}


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe{}", "not UTF-8"),
    (b"{" + b" " * 70000 + b"}", "too large"),
])
def test_read_patient_refuses_bad_files(tmp_path, content, message):
    path = tmp_path / "p.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_patient(str(path))


def test_read_patient_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_patient(str(tmp_path / "missing.json"))


def test_describe_values_in_words():
    spec = FactSpec("years_on_treatment", "years of continuous treatment", "?", "number", unit="a")
    assert spec.describe(4.0) == "4"
    assert FactSpec("flare", "flare", "?", "boolean").describe(False) == "no"
