"""Units: surface text to UCUM codes, and conversions between UCUM codes through pint.

Sources write units many ways ("g/day", "mg daily", "ng/ml", "weeks"); the graph stores one UCUM
code for each ("g/d", "mg/d", "ng/mL", "wk"). This module recognises unit text at a position in a
string (``match_unit``, ``match_frequency``, used by ``graph.extract``), normalises a whole unit
string (``normalize``), and converts numbers between codes with pint (``convert``), including mass
to amount-of-substance concentration through a drug's molar mass: never by editing strings.

The unit lists below are the allowed ``gg:unit`` values; ``ontology/shapes.ttl`` lists the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import product

# ---------------------------------------------------------------- allowed codes

_MASSES = ("g", "mg", "ug")
_BASES = ("", "/kg", "/m2")
_PER = ("", "/d", "/wk", "/mo", "/h")

#: UCUM codes a gg:Dose may carry: an amount, per body weight or body surface area, per time.
ALLOWED_DOSE_UNITS: tuple[str, ...] = tuple(m + b + p for m, b, p in product(_MASSES, _BASES, _PER))
#: UCUM codes a gg:TargetRange may carry: drug levels, labs, proteinuria, ratios, exposure (AUC).
ALLOWED_TARGET_UNITS: tuple[str, ...] = (
    "ng/mL", "ug/mL", "ug/L", "mg/L", "mg/dL", "g/L", "nmol/L", "umol/L", "mmol/L",
    "g/d", "mg/d", "mg/mmol", "mg/g", "U/L", "mg.h/L", "%",
)
#: UCUM codes a gg:Duration may carry.
ALLOWED_DURATION_UNITS: tuple[str, ...] = ("h", "d", "wk", "mo", "a")
# The names tests/test_ontology.py reads.
DOSE_UNITS, TARGET_UNITS, DURATION_UNITS = ALLOWED_DOSE_UNITS, ALLOWED_TARGET_UNITS, ALLOWED_DURATION_UNITS

#: What ``gg:frequency`` looks like: "2/d", "1/wk", "0.5/wk", or "1/(3.wk)" when 1/n has no short decimal.
FREQUENCY_PATTERN = r"^([0-9]+(\.[0-9]+)?/(h|d|wk|mo|a)|1/\([0-9]+\.(h|d|wk|mo|a)\))$"

#: Relative tolerance of check_stated_pair: rounding to two significant figures moves a value by
#: up to 5%, and sources round restated ranges ("4-6 ng/ml (5-7.4 nmol/l)") about that much.
REL_TOL = Decimal("0.05")


class UnitError(ValueError):
    """A unit that is not recognised, or a conversion that cannot be made."""


# ---------------------------------------------------------------- surface atoms

# Surface spelling (lower case) to UCUM atom. Case-insensitive matching is safe for these.
MASS = {
    "g": "g", "gm": "g", "gram": "g", "grams": "g",
    "mg": "mg", "milligram": "mg", "milligrams": "mg",
    "mcg": "ug", "µg": "ug", "μg": "ug", "ug": "ug", "microgram": "ug", "micrograms": "ug",
    "ng": "ng", "nanogram": "ng", "nanograms": "ng",
}
AMOUNT = {"mol": "mol", "mmol": "mmol", "umol": "umol", "µmol": "umol", "μmol": "umol",
          "nmol": "nmol", "pmol": "pmol"}
ENZYME = {"u": "U", "iu": "U", "units": "U"}
VOLUME = {"l": "L", "liter": "L", "litre": "L", "ml": "mL", "dl": "dL", "ul": "uL", "µl": "uL", "μl": "uL"}
BODY = {"kg": "kg", "m2": "m2", "m²": "m2", "m^2": "m2"}
TIME = {
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
    "wk": "wk", "wks": "wk", "week": "wk", "weeks": "wk",
    "mo": "mo", "mos": "mo", "month": "mo", "months": "mo",
    "y": "a", "yr": "a", "yrs": "a", "year": "a", "years": "a",
    "min": "min", "mins": "min", "minute": "min", "minutes": "min",
}


def _alternation(words) -> str:
    # Longest first, so "mg" is not read as "m" and "days" not as "d".
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_END = r"(?![\w%])"
_SLASH = r"\s*/\s*"
_PER_WORD = r"\s*(?:/|\bper\b)\s*"
_MASS_RE = f"(?P<mass>{_alternation(MASS)})"
_CONC_RE = re.compile(
    rf"(?P<num>{_alternation({**MASS, **AMOUNT, **ENZYME})})"
    rf"(?:\s*[.·*×]\s*(?P<auc>h)\b)?{_SLASH}(?P<den>{_alternation([*VOLUME, 'mmol', 'g'])}){_END}",
    re.IGNORECASE,
)
_DOSE_RE = re.compile(
    rf"{_MASS_RE}(?:{_PER_WORD}(?P<body>{_alternation(BODY)}))?"
    rf"(?:{_PER_WORD}(?:(?P<n24>24)\s*-?\s*)?(?P<per>{_alternation(TIME)}))?{_END}",
    re.IGNORECASE,
)
_TIME_RE = re.compile(rf"(?P<time>{_alternation(TIME)}){_END}", re.IGNORECASE)


@dataclass(frozen=True)
class UnitMatch:
    """A unit found in text.

    ``kind`` is "dose" (an amount, maybe per kg or m2, maybe per time), "concentration" or "time".
    For a dose, ``base`` is the code without the time part ("mg/kg") and ``per`` the time unit the
    text divides by ("d" for "mg/kg/day"), or None.
    """

    kind: str
    code: str
    base: str
    per: str | None
    start: int
    end: int


def match_unit(text: str, pos: int = 0) -> UnitMatch | None:
    """The unit written at ``pos`` (after optional spaces), or None.

    >>> match_unit("2-3 g/day or rituximab", 4).code
    'g/d'
    >>> match_unit("4-6 ng/ml (5-7.4 nmol/l)", 4).code
    'ng/mL'
    >>> match_unit("0.5-1 mg/kg/day", 6).code
    'mg/kg/d'
    """
    start = _skip_spaces(text, pos)
    conc = _CONC_RE.match(text, start)
    if conc and (unit := _concentration(conc, start)):
        return unit
    dose = _DOSE_RE.match(text, start)
    if dose:
        return _dose(dose, start)
    time = _TIME_RE.match(text, start)
    if time:
        code = TIME[time.group("time").lower()]
        return UnitMatch("time", code, code, None, start, time.end())
    return None


# A token written like a unit: letters without a vowel ("mgg", "mcgs", "mths"), at most 6, or
# a slash between such tokens ("mg/dy"). English words after a number ("3 patients", "2 more")
# have vowels; abbreviations in capitals ("2 MMF") are names, not units.
_UNIT_LIKE = re.compile(r"[b-df-hj-np-tv-xzµμ]{1,6}(?:\s*/\s*[a-zµμ0-9²]{1,6})*(?![\w%])", re.IGNORECASE)
_NOT_UNITS = {"st", "nd", "rd", "th"}  # ordinals: "1st", "2nd"


def unknown_unit_at(text: str, pos: int = 0) -> re.Match | None:
    """A unit-like token at ``pos`` (after optional spaces) that neither this module nor pint
    knows, or None: "5 mgg daily" has one, "5 mg daily", "3 patients" and "60 kg" do not.

    >>> unknown_unit_at("5 mgg daily", 1).group(0), unknown_unit_at("5 mg daily", 1), unknown_unit_at("3 patients", 1)
    ('mgg', None, None)
    """
    start = _skip_spaces(text, pos)
    m = _UNIT_LIKE.match(text, start)
    if m is None:
        return None
    token = m.group(0)
    if len(token) < 2 or token.lower() in _NOT_UNITS:
        return None
    if token.isupper() and len(token) > 2 and "/" not in token:
        return None  # an abbreviation in capitals ("2 MMF")
    if match_unit(text, start) is not None or match_frequency(text, start) is not None:
        return None
    if _pint_knows(token):
        return None
    return m


@lru_cache(maxsize=256)
def _pint_knows(token: str) -> bool:
    """Whether pint reads ``token`` as a unit ("kg", "mmHg", "min"): a unit, if not one for doses."""
    # Each part a unit pint defines by that name, or with a common prefix ("kg", "mL"); not the
    # readings pint finds by splitting a word into prefix, unit and plural ("mths", "mgs").
    registry = _registry()
    for part in re.split(r"\s*/\s*", token):
        try:
            readings = registry.parse_unit_name(part, case_sensitive=True)
        except Exception:  # anything pint's parser raises on odd text
            return False
        if not any(suffix == "" and (prefix == "" or (prefix in _PINT_PREFIXES and name in _PINT_PREFIXED))
                   for prefix, name, suffix in readings):
            return False
    return True


_PINT_PREFIXES = ("kilo", "milli", "micro", "nano", "centi", "deci")
_PINT_PREFIXED = ("gram", "liter", "meter", "mole", "second", "meter_Hg", "equivalent")


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\u00a0":
        pos += 1
    return pos


def _concentration(m: re.Match, start: int) -> UnitMatch | None:
    num, den = m.group("num").lower(), m.group("den").lower()
    top = {**MASS, **AMOUNT, **ENZYME}[num]
    if m.group("auc"):
        top += ".h"
    if den in ("mmol", "g"):  # ratios: urine protein/creatinine ("mg/mmol", "mg/g")
        if top not in ("mg", "g"):
            return None
        bottom = den
    else:
        bottom = VOLUME[den]
    code = f"{top}/{bottom}"
    return UnitMatch("concentration", code, code, None, start, m.end())


def _dose(m: re.Match, start: int) -> UnitMatch:
    base = MASS[m.group("mass").lower()]
    if m.group("body"):
        base += "/" + BODY[m.group("body").lower()]
    per = TIME[m.group("per").lower()] if m.group("per") else None
    if m.group("n24") and per == "h":
        per = "d"  # "g/24 h" is per day
    code = f"{base}/{per}" if per else base
    return UnitMatch("dose", code, base, per, start, m.end())


# ---------------------------------------------------------------- frequencies

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "other": 2,
}
_DAY = r"(?:daily|a\s+day|per\s+day|each\s+day|every\s+day|/\s*day|/\s*d\b)"
_TIMES = {1: r"(?:once|1\s*[x×]|one\s+time)", 2: r"(?:twice|two\s+times|2\s*(?:[x×]|times))",
          3: r"(?:thrice|three\s+times|3\s*(?:[x×]|times))", 4: r"(?:four\s+times|4\s*(?:[x×]|times))"}
_WEEK = r"(?:weekly|a\s+week|per\s+week|each\s+week|every\s+week|/\s*week|/\s*wk)"
_MONTH = r"(?:monthly|a\s+month|per\s+month|each\s+month|every\s+month|/\s*month)"
_YEAR = r"(?:yearly|annually|a\s+year|per\s+year|every\s+year)"
_ABBREVIATED = {  # Latin abbreviations, lower-cased with dots removed
    "od": "per_day", "qd": "per_day", "q24h": "per_day", "bid": "2/d", "bd": "2/d", "q12h": "2/d",
    "tid": "3/d", "tds": "3/d", "q8h": "3/d", "qid": "4/d", "qds": "4/d", "q6h": "4/d",
}
_FREQUENCY_TABLE: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern + r"(?![\w])", re.IGNORECASE), meaning)
    for pattern, meaning in (
        (rf"{_TIMES[2]}\s+{_DAY}", "2/d"),
        (rf"{_TIMES[3]}\s+{_DAY}", "3/d"),
        (rf"{_TIMES[4]}\s+{_DAY}", "4/d"),
        (rf"(?:{_TIMES[1]}\s+)?{_DAY}", "per_day"),
        (rf"{_TIMES[2]}\s+{_WEEK}", "2/wk"),
        (rf"{_TIMES[3]}\s+{_WEEK}", "3/wk"),
        (rf"(?:{_TIMES[1]}\s+)?{_WEEK}", "1/wk"),
        (r"fortnightly", "every 2 wk"),
        (rf"(?:{_TIMES[1]}\s+)?{_MONTH}", "1/mo"),
        (rf"(?:{_TIMES[1]}\s+)?{_YEAR}", "1/a"),
        (r"(?:on\s+)?alternate\s+days", "every 2 d"),
        (r"(?:b\.i\.d\.|t\.i\.d\.|q\.i\.d\.|t\.d\.s\.|q\.d\.|o\.d\.)", "abbr"),
        (r"(?:od|qd|q24h|bid|bd|q12h|tid|tds|q8h|qid|qds|q6h)", "abbr"),
    )
)
_EVERY = re.compile(
    rf"(?:every|each|q)\s*(?P<n>\d+|{_alternation(_WORD_NUMBERS)})?\s*(?P<unit>{_alternation(TIME)})(?![\w])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FrequencyMatch:
    """How often a dose is given, found in text.

    ``per_day`` is true for "daily", whose dose is a daily total (its unit gains "/d");
    otherwise ``rate`` is a UCUM rate ("2/d", "1/wk", "0.5/wk") for a dose per administration.
    ``every`` is (n, unit) for "every n units" phrases, so a caller can read them as an interval.
    """

    per_day: bool
    rate: str | None
    every: tuple[int, str] | None
    start: int
    end: int


def match_frequency(text: str, pos: int = 0) -> FrequencyMatch | None:
    """The frequency phrase written at ``pos`` (after optional spaces), or None.

    >>> f = match_frequency("500 mg twice daily", 7); (f.per_day, f.rate)
    (False, '2/d')
    >>> match_frequency("every 2 weeks for six doses", 0).rate
    '0.5/wk'
    """
    start = _skip_spaces(text, pos)
    every = _EVERY.match(text, start)
    if every and (every.group("n") or not every.group(0).lower().startswith("q")):
        n = every.group("n")
        count = int(n) if n and n.isdigit() else _WORD_NUMBERS.get((n or "one").lower(), 1)
        return _every(count, TIME[every.group("unit").lower()], start, every.end())
    for pattern, meaning in _FREQUENCY_TABLE:
        m = pattern.match(text, start)
        if not m:
            continue
        if meaning == "abbr":
            meaning = _ABBREVIATED[m.group(0).lower().replace(".", "")]
        if meaning == "per_day":
            return FrequencyMatch(True, None, None, start, m.end())
        if meaning.startswith("every"):
            _, n, unit = meaning.split()
            return _every(int(n), unit, start, m.end())
        return FrequencyMatch(False, meaning, None, start, m.end())
    return None


def _every(n: int, unit: str, start: int, end: int) -> FrequencyMatch | None:
    if n < 1:
        return None
    if unit == "d" and n == 1:
        return FrequencyMatch(True, None, (1, "d"), start, end)
    return FrequencyMatch(False, rate_every(n, unit), (n, unit), start, end)


def rate_every(n: int, unit: str) -> str:
    """The UCUM rate of "every n units": a short decimal when 1/n has one, else "1/(n.unit)".

    >>> rate_every(12, "h"), rate_every(2, "wk"), rate_every(1, "mo"), rate_every(3, "wk")
    ('2/d', '0.5/wk', '1/mo', '1/(3.wk)')
    """
    if unit == "h" and 24 % n == 0:
        return f"{24 // n}/d"
    rate = Decimal(1) / Decimal(n)
    if rate == rate.quantize(Decimal("0.001")):
        return f"{_plain(rate)}/{unit}"
    return f"1/({n}.{unit})"


_ADVERBS = {"h": "hourly", "d": "daily", "wk": "weekly", "mo": "monthly", "a": "yearly"}
_UNIT_NAMES = {"h": "hours", "d": "days", "wk": "weeks", "mo": "months", "a": "years"}
_RATE = re.compile(r"(?P<n>\d+(?:\.\d+)?)/(?P<unit>h|d|wk|mo|a)")
_RATE_EVERY = re.compile(r"1/\((?P<n>\d+)\.(?P<unit>h|d|wk|mo|a)\)")


def frequency_timing(rate: str | None) -> tuple[int, int, str] | None:
    """A ``gg:frequency`` rate as (times, period, unit): so many times in every period of units, in
    whole numbers, as a FHIR timing's ``frequency``, ``period`` and ``periodUnit``; None when the text
    is no rate.

    >>> frequency_timing("2/d"), frequency_timing("0.5/wk"), frequency_timing("1/(3.wk)"), frequency_timing("0.4/wk")
    ((2, 1, 'd'), (1, 2, 'wk'), (1, 3, 'wk'), (2, 5, 'wk'))
    """
    if not rate:
        return None
    if m := _RATE_EVERY.fullmatch(rate):
        return (1, int(m.group("n")), m.group("unit")) if int(m.group("n")) >= 1 else None
    m = _RATE.fullmatch(rate)
    if m is None:
        return None
    from fractions import Fraction

    value = Fraction(m.group("n"))
    if value <= 0:
        return None
    return value.numerator, value.denominator, m.group("unit")


def describe_frequency(rate: str | None) -> str:
    """How often, in words, for every place a dose's frequency is shown (the CLI's text, the app,
    the exports): "twice daily", "once monthly", "every 2 weeks". A rate it cannot read is shown
    as written.

    >>> [describe_frequency(r) for r in ("2/d", "1/mo", "0.5/wk", "1/(3.wk)", "3/d", "1/wk", "0.4/wk")]
    ['twice daily', 'once monthly', 'every 2 weeks', 'every 3 weeks', '3 times daily', 'once weekly', 'twice every 5 weeks']
    """
    timing = frequency_timing(rate)
    if timing is None:
        return f"at the rate {rate}" if rate else ""
    times, period, unit = timing
    how_many = {1: "once", 2: "twice"}.get(times, f"{times} times")
    if period == 1:
        return f"{how_many} {_ADVERBS[unit]}"
    if times == 1:
        return f"every {period} {_UNIT_NAMES[unit]}"
    return f"{how_many} every {period} {_UNIT_NAMES[unit]}"


def _plain(value: Decimal) -> str:
    # "0.5", "10": no exponent, no trailing zeros
    return format(value.normalize(), "f")


# ---------------------------------------------------------------- whole strings

def normalize(surface: str) -> str:
    """The UCUM code of a unit as a source writes it.

    Raises UnitError when the text is not one unit this module knows.

    >>> [normalize(s) for s in ("g/day", "mg daily", "mg/kg/day", "ng/ml", "nmol/l", "weeks", "mcg/kg")]
    ['g/d', 'mg/d', 'mg/kg/d', 'ng/mL', 'nmol/L', 'wk', 'ug/kg']
    """
    text = " ".join(surface.split())
    unit = match_unit(text, 0)
    if unit is None:
        raise UnitError(f"unknown unit {surface!r}")
    code, end = unit.code, unit.end
    if unit.kind == "dose" and end < len(text):
        frequency = match_frequency(text, end)
        if frequency is not None and frequency.per_day and unit.per is None:
            code, end = f"{unit.base}/d", frequency.end
    if text[end:].strip():
        raise UnitError(f"unknown unit {surface!r}")
    return code


# ---------------------------------------------------------------- conversion (pint)

_PINT_ATOMS = {
    "g": "gram", "mg": "milligram", "ug": "microgram", "ng": "nanogram", "kg": "kilogram",
    "L": "liter", "mL": "milliliter", "dL": "deciliter", "uL": "microliter",
    "mol": "mole", "mmol": "millimole", "umol": "micromole", "nmol": "nanomole", "pmol": "picomole",
    "h": "hour", "d": "day", "wk": "week", "mo": "month", "a": "year", "min": "minute",
    "m2": "meter ** 2", "U": "enzyme_unit", "%": "percent",
}
# A decimal factor ("0.5/wk", as gg:frequency writes rates) is one number, not 0 times 5.
_UCUM_TOKEN = re.compile(r"\(|\)|/|\d+(?:\.\d+)?(?![\w])|\.|[A-Za-z%][A-Za-z0-9]*")


@lru_cache(maxsize=1)
def _registry():
    import pint  # imported lazily: only conversions need it

    return pint.UnitRegistry()


@lru_cache(maxsize=256)
def _pint_expression(code: str) -> str:
    parts = []
    for token in _UCUM_TOKEN.findall(code):
        if token in "()/":
            parts.append(token)
        elif token == ".":
            parts.append("*")
        elif token[0].isdigit():
            parts.append(token)
        elif token in _PINT_ATOMS:
            parts.append(f"({_PINT_ATOMS[token]})")
        else:
            raise UnitError(f"no conversion for the UCUM code {code!r}")
    if "".join(_UCUM_TOKEN.findall(code)) != code.replace(" ", ""):
        raise UnitError(f"no conversion for the UCUM code {code!r}")
    return " ".join(parts)


def quantity(value, ucum: str):
    """A pint Quantity of ``value`` in the UCUM code ``ucum``, for arithmetic between units
    (a per-kg dose times a body weight); Raises UnitError for a code pint cannot read.

    >>> (quantity(0.5, "mg/kg/d") * quantity(70, "kg")).to(quantity(1, "mg/d").units).magnitude
    35.0
    """
    return _unit_quantity(ucum) * float(value)


@lru_cache(maxsize=512)
def _unit_quantity(ucum: str):
    # Parsed once per code: pint's parser takes about 100 microseconds, and recommend asks for the
    # same few codes for every dose it shows (measured: 85% of a warm recommend at 1,000 guidelines).
    return _registry()(_pint_expression(ucum))


def convert(value, from_ucum: str, to_ucum: str, *, molar_mass=None) -> float:
    """Convert a number between UCUM codes.

    Mass and amount-of-substance concentrations convert through ``molar_mass`` (g/mol), which is
    required only then.

    >>> round(convert(4, "ng/mL", "nmol/L", molar_mass=804.02), 3)
    4.975
    >>> convert(2, "g/d", "mg/d")
    2000.0
    """
    ureg = _registry()
    # Quantities rather than units: codes such as "1/(3.wk)" carry a number.
    source, target = quantity(value, from_ucum), quantity(1, to_ucum)
    if source.dimensionality == target.dimensionality:
        return float(source.to(target.units).magnitude / target.magnitude)
    if molar_mass is None:
        raise UnitError(f"{from_ucum} to {to_ucum} needs a molar mass")
    mw = ureg.Quantity(float(molar_mass), "g/mol")
    try:
        converted = source.to(target.units, "chemistry", mw=mw)
    except Exception as error:  # pint raises DimensionalityError and others
        raise UnitError(f"cannot convert {from_ucum} to {to_ucum}: {error}") from None
    return float(converted.magnitude / target.magnitude)


# ---------------------------------------------------------------- restated ranges

@dataclass(frozen=True)
class UnitCheck:
    """Whether a range restated in a second unit agrees with the first.

    ``agrees`` is None when the check cannot be made (no molar mass, or units that do not
    convert); ``expected_low``/``expected_high`` are the first range in the second ``unit``.
    """

    agrees: bool | None
    expected_low: float | None
    expected_high: float | None
    unit: str
    reason: str


def check_stated_pair(low, high, unit, alt_low, alt_high, alt_unit, molar_mass) -> UnitCheck:
    """Check that ``alt_low-alt_high alt_unit`` restates ``low-high unit``.

    A stated bound agrees when it is within ``REL_TOL`` (5%) of the converted value, or within half
    a unit of its own last written digit, whichever is wider: sources round restated values.

    >>> check_stated_pair(4, 6, "ng/mL", Decimal("5"), Decimal("7.4"), "nmol/L", 804.02).agrees
    True
    >>> check_stated_pair(4, 6, "ng/mL", 10, 15, "nmol/L", 804.02).agrees
    False
    """
    try:
        expected = [convert(v, unit, alt_unit, molar_mass=molar_mass) for v in (low, high)]
    except UnitError as error:
        return UnitCheck(None, None, None, alt_unit, str(error))
    stated = [Decimal(str(alt_low)), Decimal(str(alt_high))]
    agrees = all(_close(s, Decimal(repr(e))) for s, e in zip(stated, expected))
    mass = f" at {molar_mass} g/mol" if molar_mass is not None else ""
    reason = (
        f"{_fmt(low)}-{_fmt(high)} {unit} is {expected[0]:.3g}-{expected[1]:.3g} {alt_unit}{mass}; "
        f"stated {_fmt(alt_low)}-{_fmt(alt_high)} {alt_unit} "
        + ("agrees within rounding" if agrees else "does not agree")
    )
    return UnitCheck(agrees, expected[0], expected[1], alt_unit, reason)


def _close(stated: Decimal, expected: Decimal) -> bool:
    if not (stated.is_finite() and expected.is_finite()):
        return False
    half_digit = Decimal(1).scaleb(stated.as_tuple().exponent) / 2
    return abs(stated - expected) <= max(REL_TOL * abs(expected), half_digit)


def _fmt(value) -> str:
    return _plain(Decimal(str(value)))
