"""Dosing: a weight-based dose as the patient's amount, and drug levels in their other unit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.dosing import is_weight_based, patient_dose, target_equivalents
from graph.errors import InputError

TACROLIMUS = 804.02


def dose(low, high, unit, **extra):
    return {"drug": "drug", "low": low, "high": high, "unit": unit, **extra}


@pytest.mark.parametrize(
    "source, weight, expected",
    [
        # the example: lupus line 41, prednisone 0.5-1 mg/kg/day
        (dose(0.5, 1, "mg/kg/d"), 70, {"low": 35, "high": 70, "unit": "mg/d"}),
        (dose(0.5, 1, "mg/kg/d"), 48, {"low": 24, "high": 48, "unit": "mg/d"}),
        (dose(0.5, 1, "mg/kg/d"), 103.5, {"low": 51.75, "high": 103.5, "unit": "mg/d"}),
        # lupus line 42: hydroxychloroquine 5 mg/kg actual body weight daily
        (dose(5, 5, "mg/kg/d", basis="actual body weight"), 60, {"low": 300, "high": 300, "unit": "mg/d"}),
        # autoimmune lines 2 and 35: azathioprine 1.0-2.0 mg/kg daily
        (dose(1.0, 2.0, "mg/kg/d"), 75, {"low": 75, "high": 150, "unit": "mg/d"}),
        # autoimmune line 9: tacrolimus 0.075 mg/kg daily; not an integer, kept to 0.01 mg
        (dose(0.075, 0.075, "mg/kg/d"), 70, {"low": 5.25, "high": 5.25, "unit": "mg/d"}),
        (dose(0.075, 0.075, "mg/kg/d"), 63.3, {"low": 4.75, "high": 4.75, "unit": "mg/d"}),
        # autoimmune line 45: cyclosporine 2-5 mg/kg daily
        (dose(2, 5, "mg/kg/d"), 82, {"low": 164, "high": 410, "unit": "mg/d"}),
        # the time unit and the mass unit come through as the source wrote them
        (dose(15, 15, "mg/kg/wk"), 20, {"low": 300, "high": 300, "unit": "mg/wk"}),
        (dose(375, 375, "ug/kg"), 2, {"low": 750, "high": 750, "unit": "ug"}),
        (dose(1, 1, "g/kg/d"), 70, {"low": 70, "high": 70, "unit": "g/d"}),
    ],
)
def test_per_kg_doses_become_the_patients_amount(source, weight, expected):
    assert patient_dose(source, weight_kg=weight) == expected


def test_twice_daily_per_kg_dose_is_per_administration_and_says_how_often():
    # "10 mg/kg twice daily": 700 mg each time at 70 kg, not 700 mg a day
    assert patient_dose(dose(10, 10, "mg/kg", frequency="2/d"), weight_kg=70) == {
        "low": 700, "high": 700, "unit": "mg", "frequency": "2/d"}
    # without a frequency a per-kg single dose has no time unit
    assert patient_dose(dose(10, 10, "mg/kg"), weight_kg=70) == {"low": 700, "high": 700, "unit": "mg"}


@pytest.mark.parametrize(
    "source",
    [
        dose(30, 60, "mg/d"),        # autoimmune line 2: fixed prednisone dose is already the patient's
        dose(2, 3, "g/d"),           # lupus line 2: MMF
        dose(150, 150, "mg/d"),      # autoimmune line 5: azathioprine
        dose(500, 500, "mg/m2"),     # per m²: body surface area is not a patient fact
        dose(750, 750, "mg/m2/d"),
        dose(10, 10, "mg", frequency="1/mo", taper_step=True),    # autoimmune line 6: a taper step
        dose(30, 30, "mg/d", comparator="<"),                      # autoimmune line 39: a bound
        dose(0.5, 1, "mg/kg/d", comparator="<"),                   # a per-kg bound is not a dose either
        dose(0.1, 0.1, "mg/kg", frequency="1/wk", taper_step=True),
    ],
)
def test_no_patient_amount_for_fixed_doses_body_surface_taper_steps_and_bounds(source):
    assert patient_dose(source, weight_kg=70) is None


def test_unknown_weight_gives_no_amount():
    assert patient_dose(dose(0.5, 1, "mg/kg/d"), weight_kg=None) is None


@pytest.mark.parametrize("weight", [0, -70, float("nan"), float("inf"), "70", True])
def test_a_weight_that_is_not_a_positive_number_is_an_input_error(weight):
    with pytest.raises(InputError, match="weight_kg"):
        patient_dose(dose(0.5, 1, "mg/kg/d"), weight_kg=weight)


@pytest.mark.parametrize(
    "unit, weight_based",
    [("mg/kg/d", True), ("mg/kg", True), ("mg/kg/wk", True), ("ug/kg/h", True),
     ("mg/d", False), ("g", False), ("mg/m2", False), ("mg/m2/wk", False), ("furlongs", False)],
)
def test_is_weight_based(unit, weight_based):
    assert is_weight_based(unit) is weight_based


# ---------------------------------------------------------------- drug levels


def test_tacrolimus_trough_in_nmol_per_litre():
    target = {"analyte": "tacrolimus trough level", "low": 4, "high": 6, "unit": "ng/mL"}
    [other] = target_equivalents(target, molar_mass=TACROLIMUS)
    assert (other["unit"], other["molar_mass"]) == ("nmol/L", TACROLIMUS)
    # 4 / 804.02 g/mol = 4.975 nmol/L, 6 / 804.02 = 7.462 nmol/L; three significant figures
    assert (other["low"], other["high"]) == (4.98, 7.46)
    # the source restates this range as 5-7.4 nmol/L (lupus line 33): the two agree within rounding
    assert other["low"] == pytest.approx(5, rel=0.05) and other["high"] == pytest.approx(7.4, rel=0.05)


def test_nmol_per_litre_back_to_ng_per_ml():
    target = {"analyte": "tacrolimus trough level", "low": 5, "high": 7.4, "unit": "nmol/L"}
    assert target_equivalents(target, molar_mass=TACROLIMUS) == [
        {"low": 4.02, "high": 5.95, "unit": "ng/mL", "molar_mass": TACROLIMUS}]


def test_low_autoimmune_trough_and_round_trip():
    target = {"analyte": "tacrolimus trough level", "low": 0.6, "high": 1.0, "unit": "ng/mL"}
    [nmol] = target_equivalents(target, molar_mass=TACROLIMUS)
    assert (nmol["low"], nmol["high"]) == (0.746, 1.24)
    [back] = target_equivalents(nmol, molar_mass=TACROLIMUS)
    assert (back["low"], back["high"]) == pytest.approx((0.6, 1.0), rel=0.01)


def test_no_equivalent_without_molar_mass_or_for_units_that_do_not_convert():
    tacrolimus = {"analyte": "tacrolimus trough level", "low": 4, "high": 6, "unit": "ng/mL"}
    assert target_equivalents(tacrolimus, molar_mass=None) == []
    enzymes = {"analyte": "alanine aminotransferase", "low": 0, "high": 40, "unit": "U/L"}
    assert target_equivalents(enzymes, molar_mass=TACROLIMUS) == []


# ---------------------------------------------------------------- properties

per_kg_units = st.sampled_from(["mg/kg/d", "mg/kg", "mg/kg/wk", "ug/kg/h", "g/kg/d"])
amounts = st.decimals(min_value="0.01", max_value="100", places=2)
weights = st.integers(min_value=2, max_value=175)


@given(unit=per_kg_units, low=amounts, extra=amounts, weight=weights, factor=st.integers(min_value=1, max_value=2))
def test_patient_dose_scales_linearly_with_weight_and_keeps_low_below_high(unit, low, extra, weight, factor):
    source = dose(low, low + extra, unit)
    one = patient_dose(source, weight_kg=weight)
    scaled = patient_dose(source, weight_kg=weight * factor)
    assert one["low"] <= one["high"] and scaled["low"] <= scaled["high"]
    assert one["unit"] == scaled["unit"]
    # each value is rounded to 0.01: scaling by `factor` moves the rounded value at most factor x 0.005
    tolerance = 0.005 * factor + 0.005
    assert scaled["low"] == pytest.approx(factor * one["low"], abs=tolerance)
    assert scaled["high"] == pytest.approx(factor * one["high"], abs=tolerance)
    assert one["low"] == pytest.approx(float(low) * weight, abs=0.005)
