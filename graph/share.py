"""Sharing a patient's view by URL: patient facts as query parameters and back.

A clinician shares exactly what they see by copying the address:
``?condition=lupus_nephritis&severity=severe&weight_kg=70``. Query parameters are text, so each value
is read by its declared type (``true``/``false``, a number, a whole number, a choice) and then
checked by :func:`graph.patient.check_facts`, like facts from any other source: a value from a URL
is never coerced into something the declaration does not allow.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Mapping

from .errors import InputError
from .patient import FactSpec, check_facts

#: Parameters a URL may carry that are not patient facts (Streamlit's own embedding options).
RESERVED_PARAMETERS = frozenset({"embed", "embed_options"})

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def facts_from_params(params: Mapping[str, str | list[str]], specs: Iterable[FactSpec]) -> dict:
    """Patient facts from URL query parameters, typed by their declarations and checked.

    Parameters
    ----------
    params : parameter name to its text (or the list of texts, when a name is repeated).
    specs : the declared patient facts (a :class:`~graph.patient.PatientForm`).

    Returns
    -------
    dict : the known facts in declaration order, typed (bool, int or float, str). An empty value
        (``?flare=``) is an unknown fact, like an absent one.

    Raises
    ------
    InputError : one line naming the parameter: an unknown fact, a value given twice, text that is
        not a value of the fact's type, or a value :func:`~graph.patient.check_facts` refuses.

    Examples
    --------
    >>> specs = [FactSpec("severity", "severity", "?", "choice", ("mild", "severe")),
    ...          FactSpec("flare", "flare", "?", "boolean"),
    ...          FactSpec("weight_kg", "weight", "?", "number", min=2, max=350, unit="kg")]
    >>> facts_from_params({"weight_kg": "70", "severity": "severe", "flare": "true"}, specs)
    {'severity': 'severe', 'flare': True, 'weight_kg': 70}
    >>> facts_from_params({"weight_kg": "heavy"}, specs)
    Traceback (most recent call last):
    ...
    graph.errors.InputError: patient fact 'weight_kg': expected a number in kg, got "heavy"
    """
    by_key = {spec.key: spec for spec in specs}
    given = {}
    for name, raw in params.items():
        if name in RESERVED_PARAMETERS:
            continue
        values = [raw] if isinstance(raw, str) else list(raw)
        if len(values) > 1:
            raise InputError(f"patient fact {name!r} is given {len(values)} times in the address; give it once")
        text = values[0].strip() if values else ""
        if not text:
            continue  # ?flare= : the fact is unknown
        spec = by_key.get(name)
        given[name] = text if spec is None else parse_value(spec, text)
    return check_facts(given, by_key.values())  # unknown names are refused here, with a suggestion


def read_params(params: Mapping[str, str | list[str]], specs: Iterable[FactSpec]) -> tuple[dict, list[str]]:
    """Like :func:`facts_from_params`, but keeps every good fact and lists each bad parameter's
    message: a page restores what it can from a hand-edited address and says what it left out.

    >>> specs = [FactSpec("severity", "severity", "?", "choice", ("mild", "severe")),
    ...          FactSpec("weight_kg", "weight", "?", "number", min=2, max=350, unit="kg")]
    >>> read_params({"severity": "severe", "weight_kg": "700", "colour": "red"}, specs)
    ({'severity': 'severe'}, ["patient fact 'weight_kg': 700 is outside the allowed range 2 to 350 kg", "unknown patient fact 'colour'; known facts: severity, weight_kg"])
    """
    specs = list(specs)
    facts, problems = {}, []
    for name, raw in params.items():
        try:
            facts.update(facts_from_params({name: raw}, specs))
        except InputError as error:
            problems.append(str(error))
    order = {spec.key: i for i, spec in enumerate(specs)}
    return dict(sorted(facts.items(), key=lambda kv: order[kv[0]])), problems


def facts_to_show(
    params: Mapping[str, list[str]],
    specs: Iterable[FactSpec],
    *,
    written: Mapping | None,
    session_facts: Mapping | None,
) -> tuple[dict, list[str]] | None:
    """Which facts a page opened at this address shows, with the parameters it left out.

    None: the address is the one the page itself ``written`` last, so the facts on screen stay.
    Else the address's facts (a shared link, a hand edit, the first visit); but an address that
    holds none of the facts, as when the clinician comes back from another page, restores
    ``session_facts``, the facts of this session.

    >>> specs = [FactSpec("severity", "severity", "?", "choice", ("mild", "severe"))]
    >>> facts_to_show({"severity": ["severe"]}, specs, written={"severity": ["severe"]}, session_facts=None) is None
    True
    >>> facts_to_show({"severity": ["mild"]}, specs, written={"severity": ["severe"]}, session_facts={"severity": "severe"})
    ({'severity': 'mild'}, [])
    >>> facts_to_show({}, specs, written={"severity": ["severe"]}, session_facts={"severity": "severe"})
    ({'severity': 'severe'}, [])
    """
    specs = list(specs)
    if written is not None and dict(params) == dict(written):
        return None
    keys = {spec.key for spec in specs}
    if session_facts and not any(name in keys for name in params):
        return dict(session_facts), []
    return read_params(params, specs)


def parse_value(spec: FactSpec, text: str):
    """The typed value of one fact from its URL text (checked for type only; ranges are
    :func:`~graph.patient.check_facts`'s job).

    >>> spec = FactSpec("meld", "MELD score", "?", "integer", min=6, max=40)
    >>> parse_value(spec, "18")
    18
    >>> parse_value(spec, "18.5")
    Traceback (most recent call last):
    ...
    graph.errors.InputError: patient fact 'meld': expected a whole number, got "18.5"
    """
    where = f"patient fact {spec.key!r}"
    if spec.type == "boolean":
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise InputError(f"{where}: expected true or false, got {_quoted(text)}")
    if spec.type == "integer":
        if not _INTEGER.fullmatch(text):
            raise InputError(f"{where}: expected a whole number, got {_quoted(text)}")
        if len(text) > 100:  # Python refuses to read integers of more than 4,300 digits at all
            raise InputError(f"{where}: {len(text):,} digits is no value of a patient fact")
        return int(text)
    if spec.type == "number":
        if not _NUMBER.fullmatch(text):
            unit = f" in {spec.unit}" if spec.unit else ""
            raise InputError(f"{where}: expected a number{unit}, got {_quoted(text)}")
        number = float(text)
        if not math.isfinite(number):
            raise InputError(f"{where}: expected a finite number, got {_quoted(text)}")
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return text  # a choice: check_facts says when it is not one of the allowed values


def params_from_facts(facts: Mapping, specs: Iterable[FactSpec]) -> dict[str, str]:
    """URL query parameters for known facts, in declaration order (unknown facts are left out).

    >>> specs = [FactSpec("condition", "condition", "?", "choice", ("lupus_nephritis",)),
    ...          FactSpec("flare", "flare", "?", "boolean"),
    ...          FactSpec("weight_kg", "weight", "?", "number", unit="kg")]
    >>> params_from_facts({"weight_kg": 70.0, "flare": False, "condition": "lupus_nephritis"}, specs)
    {'condition': 'lupus_nephritis', 'flare': 'false', 'weight_kg': '70'}
    """
    params = {}
    for spec in specs:
        value = facts.get(spec.key)
        if value is None:
            continue
        params[spec.key] = value_text(value)
    return params


def value_text(value) -> str:
    """A fact value as URL text: ``true``/``false``, numbers without a needless ``.0``.

    >>> [value_text(v) for v in (True, 70.0, 72.5, 18, "severe")]
    ['true', '70', '72.5', '18', 'severe']
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _quoted(text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "..."
    return '"' + shown.replace('"', '\\"') + '"'


__all__ = ["facts_from_params", "read_params", "params_from_facts", "parse_value", "value_text", "RESERVED_PARAMETERS"]
