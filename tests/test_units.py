"""Units: surface text to UCUM, pint conversions, and the check of restated ranges."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph import units
from graph.units import (
    ALLOWED_DOSE_UNITS,
    ALLOWED_DURATION_UNITS,
    ALLOWED_TARGET_UNITS,
    UnitError,
    check_stated_pair,
    convert,
    match_frequency,
    match_unit,
    normalize,
    rate_every,
)

TACROLIMUS = 804.02


@pytest.mark.parametrize(
    "surface, code",
    [
        ("g/day", "g/d"), ("mg daily", "mg/d"), ("mg/kg/day", "mg/kg/d"), ("mg/kg daily", "mg/kg/d"),
        ("mg per kg per day", "mg/kg/d"), ("g a day", "g/d"), ("mg/d", "mg/d"), ("g/24 h", "g/d"),
        ("ng/ml", "ng/mL"), ("ng/mL", "ng/mL"), ("nmol/l", "nmol/L"), ("µg/L", "ug/L"), ("μg/mL", "ug/mL"),
        ("mg/dl", "mg/dL"), ("mg/mmol", "mg/mmol"), ("U/L", "U/L"), ("mg·h/L", "mg.h/L"),
        ("mcg", "ug"), ("µg", "ug"), ("mcg/kg", "ug/kg"), ("mg/m2", "mg/m2"), ("mg/m²", "mg/m2"),
        ("mg/week", "mg/wk"), ("milligrams", "mg"), ("grams", "g"),
        ("days", "d"), ("d", "d"), ("weeks", "wk"), ("wk", "wk"), ("months", "mo"), ("years", "a"),
        ("yr", "a"), ("hours", "h"), ("h", "h"),
    ],
)
def test_normalize(surface, code):
    assert normalize(surface) == code


@pytest.mark.parametrize("surface", ["", "mg/dose twice", "furlongs", "kg", "mg mg", "per day"])
def test_normalize_refuses_what_it_does_not_know(surface):
    with pytest.raises(UnitError):
        normalize(surface)


def test_match_unit_reads_at_a_position_and_reports_parts():
    text = "prednisone 0.5-1 mg/kg/day, rapidly tapered"
    unit = match_unit(text, text.index("1 ") + 1)
    assert (unit.kind, unit.code, unit.base, unit.per) == ("dose", "mg/kg/d", "mg/kg", "d")
    assert text[unit.start:unit.end] == "mg/kg/day"


def test_match_unit_prefers_concentration_over_per_day():
    # "mg/dL" is a concentration, not "mg/d" followed by "L"
    assert match_unit("1.2 mg/dL", 3).code == "mg/dL"
    assert match_unit("1.2 mg/d", 3).code == "mg/d"


@pytest.mark.parametrize("text", ["2 groups", "3 doses", "5 more", "8 young", "50%"])
def test_match_unit_needs_a_whole_unit(text):
    assert match_unit(text, 1) is None


@pytest.mark.parametrize(
    "text, per_day, rate",
    [
        ("daily", True, None), ("once daily", True, None), ("a day", True, None), ("per day", True, None),
        ("twice daily", False, "2/d"), ("BID", False, "2/d"), ("b.i.d.", False, "2/d"),
        ("two times a day", False, "2/d"), ("three times daily", False, "3/d"), ("TID", False, "3/d"),
        ("four times daily", False, "4/d"), ("every 12 hours", False, "2/d"), ("q8h", False, "3/d"),
        ("weekly", False, "1/wk"), ("once a week", False, "1/wk"), ("twice weekly", False, "2/wk"),
        ("every 2 weeks", False, "0.5/wk"), ("fortnightly", False, "0.5/wk"), ("every 4 weeks", False, "0.25/wk"),
        ("every 3 weeks", False, "1/(3.wk)"), ("monthly", False, "1/mo"), ("every month", False, "1/mo"),
        ("every 6 months", False, "1/(6.mo)"), ("annually", False, "1/a"), ("every other day", False, "0.5/d"),
    ],
)
def test_match_frequency(text, per_day, rate):
    found = match_frequency(text + " thereafter", 0)
    assert (found.per_day, found.rate) == (per_day, rate)
    assert found.end == len(text)


@pytest.mark.parametrize("text", ["every 2-3 weeks", "dose", "as needed", "q", "each dose"])
def test_match_frequency_ignores_what_is_no_frequency(text):
    assert match_frequency(text, 0) is None


def test_frequencies_fit_the_declared_pattern():
    import re

    pattern = re.compile(units.FREQUENCY_PATTERN)
    for n in range(1, 30):
        for unit in ("h", "d", "wk", "mo"):
            assert pattern.match(rate_every(n, unit)), (n, unit)


def test_convert_mass_to_amount_concentration_through_molar_mass():
    assert convert(4, "ng/mL", "nmol/L", molar_mass=TACROLIMUS) == pytest.approx(4.975, abs=1e-3)
    assert convert(6, "ng/mL", "nmol/L", molar_mass=TACROLIMUS) == pytest.approx(7.4625, abs=1e-3)
    assert convert(7.4625, "nmol/L", "ng/mL", molar_mass=TACROLIMUS) == pytest.approx(6.0, abs=1e-6)
    # cyclosporine: 100 ng/mL is 83.2 nmol/L
    assert convert(100, "ng/mL", "nmol/L", molar_mass=1202.61) == pytest.approx(83.15, abs=0.01)


def test_convert_same_dimension_needs_no_molar_mass():
    assert convert(2, "g/d", "mg/d") == pytest.approx(2000)
    assert convert(1, "ug/mL", "ng/mL") == pytest.approx(1000)
    assert convert(1, "mg/dL", "mg/L") == pytest.approx(10)
    assert convert(1, "mo", "d") == pytest.approx(30.4375)  # UCUM mean Julian month
    assert convert(1, "a", "d") == pytest.approx(365.25)
    assert convert(2, "wk", "d") == pytest.approx(14)
    assert convert(1, "1/(3.wk)", "1/d") == pytest.approx(1 / 21)


def test_convert_refuses_what_needs_a_molar_mass_or_makes_no_sense():
    with pytest.raises(UnitError, match="molar mass"):
        convert(4, "ng/mL", "nmol/L")
    with pytest.raises(UnitError):
        convert(4, "mg/d", "ng/mL", molar_mass=TACROLIMUS)
    with pytest.raises(UnitError):
        convert(1, "[IU]", "mg")


def test_stated_pair_of_the_lupus_seed_agrees():
    check = check_stated_pair(Decimal(4), Decimal(6), "ng/mL", Decimal(5), Decimal("7.4"), "nmol/L", TACROLIMUS)
    assert check.agrees is True
    assert check.expected_low == pytest.approx(4.975, abs=1e-3)
    assert check.expected_high == pytest.approx(7.4625, abs=1e-3)
    assert check.unit == "nmol/L"
    assert "agrees" in check.reason


@pytest.mark.parametrize(
    "alt_low, alt_high, agrees",
    [
        ("5", "7.5", True),     # rounded the other way
        ("4.97", "7.46", True),
        ("6", "9", False),      # 20% off
        ("10", "15", False),    # a factor of two
        ("5", "8.2", False),    # high bound 10% off
    ],
)
def test_stated_pair_tolerance(alt_low, alt_high, agrees):
    check = check_stated_pair(4, 6, "ng/mL", Decimal(alt_low), Decimal(alt_high), "nmol/L", TACROLIMUS)
    assert check.agrees is agrees


def test_stated_pair_without_molar_mass_cannot_be_checked():
    check = check_stated_pair(4, 6, "ng/mL", 5, 7.4, "nmol/L", None)
    assert check.agrees is None
    assert "molar mass" in check.reason


def test_stated_pair_in_the_same_dimension():
    assert check_stated_pair(1, 2, "ug/mL", 1000, 2000, "ng/mL", None).agrees is True


def test_allowed_unit_lists():
    for codes in (ALLOWED_DOSE_UNITS, ALLOWED_TARGET_UNITS, ALLOWED_DURATION_UNITS):
        assert len(codes) == len(set(codes))
    assert {"mg", "g", "mg/d", "g/d", "mg/kg/d", "mg/kg", "mg/m2", "ug"} <= set(ALLOWED_DOSE_UNITS)
    assert {"ng/mL", "nmol/L"} <= set(ALLOWED_TARGET_UNITS)
    assert ALLOWED_DURATION_UNITS == ("h", "d", "wk", "mo", "a")
    assert "mcg" not in ALLOWED_DOSE_UNITS and "mg/day" not in ALLOWED_DOSE_UNITS  # UCUM codes only
    assert units.DOSE_UNITS is ALLOWED_DOSE_UNITS


@pytest.mark.parametrize("code", [c for c in ALLOWED_DOSE_UNITS + ALLOWED_TARGET_UNITS + ALLOWED_DURATION_UNITS])
def test_every_allowed_code_converts_with_pint(code):
    assert convert(3, code, code) == pytest.approx(3)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10000), places=2))
def test_round_trip_through_molar_concentration(value):
    there = convert(value, "ng/mL", "nmol/L", molar_mass=TACROLIMUS)
    back = convert(there, "nmol/L", "ng/mL", molar_mass=TACROLIMUS)
    assert back == pytest.approx(float(value), rel=1e-9)


@pytest.mark.parametrize(
    "rate, words, timing",
    [
        ("2/d", "twice daily", (2, 1, "d")), ("3/d", "3 times daily", (3, 1, "d")),
        ("1/wk", "once weekly", (1, 1, "wk")), ("1/mo", "once monthly", (1, 1, "mo")),
        ("0.5/wk", "every 2 weeks", (1, 2, "wk")), ("0.25/wk", "every 4 weeks", (1, 4, "wk")),
        ("1/(3.wk)", "every 3 weeks", (1, 3, "wk")), ("2/wk", "twice weekly", (2, 1, "wk")),
    ],
)
def test_one_frequency_formatter_for_every_place_a_rate_is_shown(rate, words, timing):
    from graph.units import describe_frequency, frequency_timing

    assert describe_frequency(rate) == words
    assert frequency_timing(rate) == timing


def test_frequencies_read_the_same_in_the_cli_the_app_and_the_diagrams():
    """Before: the CLI wrote "× 1/mo", the app and the diagrams "every 1/mo" for one taper step."""
    from decimal import Decimal

    from graph.export.tree import DoseLine
    from graph.recommend import _dose_text
    from graph.views import dose_text

    dose = {"drug": "rituximab", "low": 1, "high": 1, "unit": "g", "frequency": "0.5/wk", "route": "IV"}
    assert _dose_text(dose) == "rituximab 1 g every 2 weeks (source: IV)"
    assert dose_text(dose) == "rituximab: source 1 g every 2 weeks (IV)"
    assert DoseLine("rituximab", Decimal(1), Decimal(1), "g", route="IV", frequency="0.5/wk").words() == (
        "rituximab 1 g every 2 weeks IV")
