"""Dosing: a source's dose for one patient, and a drug level in its other unit.

A weight-based dose ("prednisone 0.5-1 mg/kg/day") becomes the patient's amount ("35-70 mg/d" at
70 kg) by pint arithmetic over the UCUM codes of :mod:`graph.units`: the dose quantity times the
body weight, expressed in the dose code that needs no conversion factor. No unit string is cut or
glued, so "mg/kg/wk" gives "mg/wk" and "ug/kg" gives "ug" by the same rule.

The patient's amount is shown beside the source numbers, never instead of them: a clinician checks
the arithmetic and the source line.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from .errors import InputError
from .units import ALLOWED_DOSE_UNITS, UnitError, convert, quantity

#: Decimal places of a patient's dose: 0.01 of the dose's own mass unit (0.01 mg for mg doses),
#: finer than any tablet or syringe, so rounding never changes a dose a clinician would give.
DOSE_DECIMALS = 2
#: Significant figures of a converted drug level: laboratories report tacrolimus to about 3.
LEVEL_SIGNIFICANT_FIGURES = 3

#: Mass and amount-of-substance concentration units a drug level converts between (through the
#: drug's molar mass): the unit laboratories also report it in.
LEVEL_EQUIVALENTS: dict[str, tuple[str, ...]] = {
    "ng/mL": ("nmol/L",),
    "ug/L": ("nmol/L",),
    "nmol/L": ("ng/mL",),
    "ug/mL": ("umol/L",),
    "mg/L": ("umol/L",),
    "umol/L": ("mg/L",),
}

_BODY_WEIGHT_UNIT = "kg"


def patient_dose(dose: dict, *, weight_kg: float | None) -> dict | None:
    """The patient's amount of a weight-based dose, or None.

    Parameters
    ----------
    dose : a result Item dose, ``{"drug", "low", "high", "unit", ...}`` with optional ``"route"``,
        ``"basis"``, ``"frequency"``, ``"comparator"``, ``"taper_step"``.
    weight_kg : the patient's body weight in kg; None when unknown.

    Returns
    -------
    ``{"low", "high", "unit"}`` (plus ``"frequency"`` when the source doses per administration, so
    "700 mg" twice daily is not read as a daily total), or None when the dose is not per kg
    (a fixed dose is already the patient's dose), when the weight is unknown, when the dose is a
    taper step ("reduce by 10 mg monthly") or a bound ("less than 30 mg daily"): neither is an
    amount to give. Doses per m² need body surface area, which is not a declared patient fact
    (height is not asked), so they give None too.

    Numbers are ints when integral, else rounded half-up to ``DOSE_DECIMALS`` places; the source
    numbers are always shown beside them.

    Raises
    ------
    InputError : a weight that is not a positive number.

    Examples
    --------
    >>> patient_dose({"drug": "prednisone", "low": 0.5, "high": 1, "unit": "mg/kg/d"}, weight_kg=70)
    {'low': 35, 'high': 70, 'unit': 'mg/d'}
    >>> patient_dose({"drug": "tacrolimus", "low": 0.075, "high": 0.075, "unit": "mg/kg/d"}, weight_kg=70)
    {'low': 5.25, 'high': 5.25, 'unit': 'mg/d'}
    >>> patient_dose({"drug": "prednisone", "low": 60, "high": 60, "unit": "mg/d"}, weight_kg=70) is None
    True
    """
    if weight_kg is None or dose.get("taper_step") or dose.get("comparator"):
        return None
    weight = _weight(weight_kg)
    patient_unit = _patient_unit_of(dose["unit"])
    if patient_unit is None:
        return None
    amounts = [
        _rounded((quantity(dose[end], dose["unit"]) * weight).to(quantity(1, patient_unit).units).magnitude,
                 DOSE_DECIMALS)
        for end in ("low", "high")
    ]
    result = {"low": amounts[0], "high": amounts[1], "unit": patient_unit}
    if dose.get("frequency"):
        result["frequency"] = dose["frequency"]
    return result


def is_weight_based(unit: str) -> bool:
    """Whether a dose in ``unit`` is per kg of body weight.

    >>> [is_weight_based(u) for u in ("mg/kg/d", "ug/kg", "mg/kg/wk", "mg/d", "mg/m2", "g")]
    [True, True, True, False, False, False]
    """
    try:
        return _patient_unit(quantity(1, unit)) is not None
    except UnitError:
        return False


def _weight(weight_kg):
    if isinstance(weight_kg, bool) or not isinstance(weight_kg, (int, float, Decimal)):
        raise InputError(f"weight_kg must be a number, not {weight_kg!r}")
    if not math.isfinite(float(weight_kg)) or weight_kg <= 0:
        raise InputError(f"weight_kg must be a positive number of kg, not {weight_kg!r}")
    return quantity(weight_kg, _BODY_WEIGHT_UNIT)


@lru_cache(maxsize=256)
def _patient_unit_of(unit: str) -> str | None:
    # Once per unit code: pint's arithmetic here costs a millisecond per dose (measured).
    return _patient_unit(quantity(1, unit))


def _patient_unit(per_kg) -> str | None:
    # A per-kg dose times a body weight is an amount (or rate) that some allowed dose code states
    # with a factor of exactly 1: mg/kg/d x kg = 1 mg/d. Fixed doses (mg/d x kg) and per-m² doses
    # (mg/m2 x kg) have no such code, so they are not weight-based.
    per_patient = per_kg * quantity(1, _BODY_WEIGHT_UNIT)
    for code in ALLOWED_DOSE_UNITS:
        candidate = quantity(1, code)
        if candidate.dimensionality != per_patient.dimensionality:
            continue
        if math.isclose(per_patient.to(candidate.units).magnitude, candidate.magnitude, rel_tol=1e-9):
            return code
    return None


def target_equivalents(target: dict, *, molar_mass: float | None) -> list[dict]:
    """A drug level's range in the other concentration unit laboratories report it in.

    Parameters
    ----------
    target : a result Item target, ``{"analyte", "low", "high", "unit", ...}``.
    molar_mass : the drug's molar mass in g/mol (``gg:molarMass``); None when not known.

    Returns
    -------
    ``[{"low", "high", "unit", "molar_mass"}]`` for each equivalent unit in ``LEVEL_EQUIVALENTS``
    (ng/mL and nmol/L convert both ways), numbers to ``LEVEL_SIGNIFICANT_FIGURES`` significant
    figures; [] without a molar mass or for a unit with no equivalent (U/L, %).

    Examples
    --------
    >>> target_equivalents({"analyte": "tacrolimus trough level", "low": 4, "high": 6, "unit": "ng/mL"},
    ...                    molar_mass=804.02)
    [{'low': 4.98, 'high': 7.46, 'unit': 'nmol/L', 'molar_mass': 804.02}]
    >>> target_equivalents({"analyte": "tacrolimus trough level", "low": 4, "high": 6, "unit": "ng/mL"},
    ...                    molar_mass=None)
    []
    """
    if molar_mass is None:
        return []
    out = []
    for unit in LEVEL_EQUIVALENTS.get(target["unit"], ()):
        low, high = (
            _significant(convert(target[end], target["unit"], unit, molar_mass=molar_mass), LEVEL_SIGNIFICANT_FIGURES)
            for end in ("low", "high")
        )
        out.append({"low": low, "high": high, "unit": unit, "molar_mass": _plain_number(molar_mass)})
    return out


# ---------------------------------------------------------------- numbers


def _plain_number(value: float | Decimal) -> int | float:
    """An int when integral, else a float: JSON shows 35, not 35.0."""
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def _rounded(value: float, places: int) -> int | float:
    # Decimal(repr(...)) rounds the number as written (5.25), not its binary neighbour (5.2499...).
    return _plain_number(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _significant(value: float, figures: int) -> int | float:
    if value == 0:
        return 0
    number = Decimal(repr(value))
    exponent = number.adjusted() - figures + 1
    return _plain_number(number.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP))


__all__ = ["patient_dose", "target_equivalents", "is_weight_based", "DOSE_DECIMALS", "LEVEL_SIGNIFICANT_FIGURES"]
