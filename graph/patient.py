"""The patient: the facts a pathway asks about, read from the graph, and the checking of given facts.

The pathway files declare each fact as a ``gg:PatientFact`` (key, label, question, type, allowed
values, range, unit); the form, the CLI and the engine read them from there, so nothing about a fact
is written twice. Given facts are checked strictly: a value of the wrong type, out of range or not
allowed, or an unknown key, is an :class:`~graph.errors.InputError` naming the key. An absent key
(or a JSON null) is an unknown fact, which the engine turns into a question.
"""

from __future__ import annotations

import difflib
import json
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from rdflib import Graph
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from .errors import InputError
from .vocab import GG, SH

TYPES = ("choice", "boolean", "number", "integer")
#: UCUM codes of fact units as a person says them (a clinician reads "a" as an article, not years).
UNIT_WORDS = {"a": "years", "mo": "months", "wk": "weeks", "d": "days", "h": "hours"}


def unit_words(unit: str | None) -> str:
    """A fact's unit as a message or a form says it.

    >>> unit_words("a"), unit_words("mo"), unit_words("kg"), unit_words(None)
    ('years', 'months', 'kg', '')
    """
    return UNIT_WORDS.get(unit, unit) if unit else ""
# Patient facts are a small flat object; anything bigger is not a patient.
MAX_PATIENT_BYTES = 64 * 1024


@dataclass(frozen=True)
class FactSpec:
    """One declared patient fact, as the form shows it and the checker enforces it."""

    key: str
    label: str
    question: str
    type: str
    options: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    unit: str | None = None
    iri: str = ""

    def to_question(self) -> dict:
        """The fact as the recommend result asks it: key, question, type, options (+ min, max, unit).

        >>> FactSpec("flare", "flare", "Has it flared?", "boolean").to_question()
        {'key': 'flare', 'question': 'Has it flared?', 'type': 'boolean', 'options': [True, False]}
        """
        question = {"key": self.key, "question": self.question, "type": self.type, "options": self.choices()}
        if self.type in ("number", "integer"):
            question.update(min=_plain(self.min), max=_plain(self.max), unit=self.unit)
        return question

    def choices(self) -> list:
        if self.type == "boolean":
            return [True, False]
        return list(self.options)

    def describe(self, value) -> str:
        """A value in words, for reasons a clinician reads ("yes", "organ threatening", "70 kg").

        >>> FactSpec("weight_kg", "weight", "?", "number", unit="kg").describe(70)
        '70 kg'
        >>> FactSpec("severity", "severity", "?", "choice", ("organ_threatening",)).describe("organ_threatening")
        'organ threatening'
        """
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, (int, float)):
            number = number_words(value)
            return f"{number} {self.unit}" if self.unit and self.unit not in ("a", "mo") else number
        return str(value).replace("_", " ")


@dataclass(frozen=True)
class PatientForm:
    """The declared patient facts in declaration order (``sh:order``, then key)."""

    facts: tuple[FactSpec, ...]

    def __iter__(self) -> Iterator[FactSpec]:
        return iter(self.facts)

    def __len__(self) -> int:
        return len(self.facts)

    def __contains__(self, key: object) -> bool:
        return any(spec.key == key for spec in self.facts)

    def __getitem__(self, key: str) -> FactSpec:
        for spec in self.facts:
            if spec.key == key:
                return spec
        raise KeyError(key)

    def keys(self) -> list[str]:
        return [spec.key for spec in self.facts]

    def position(self, key: str) -> int:
        """Declaration order of a key; unknown keys sort last."""
        keys = self.keys()
        return keys.index(key) if key in keys else len(keys)


def _plain(value):
    """A number as JSON shows it best: 15 rather than 15.0, None kept.

    A number too large for a float (an integer of 400 digits) is kept as it is: it is refused as
    out of range, never computed with.

    >>> _plain(15.0), _plain(0.5), _plain(10**400) == 10**400
    (15, 0.5, True)
    """
    if value is None or isinstance(value, bool):
        return value
    try:
        number = float(value)
    except OverflowError:
        return value
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


def number_words(value) -> str:
    """A number as a message shows it: plainly when short, else in scientific notation, so that
    a huge value keeps the error on one readable line.

    >>> number_words(70), number_words(7.5), number_words(1e308), number_words(10**400)
    ('70', '7.5', '1.000e+308', '1.000e+400')
    """
    plain = _plain(value)
    if isinstance(plain, (int, float)) and not isinstance(plain, bool) and abs(plain) >= 1e15:
        from decimal import Decimal

        return f"{Decimal(value):.3e}"
    return str(plain)


def patient_form(graph: Graph) -> PatientForm:
    """Every ``gg:PatientFact`` of a graph, in declaration order.

    Declaration order is each fact's ``sh:order``, the property SHACL gives form fields for their
    order; facts without one follow, by key. Choice values keep the order of the fact's ``sh:in``
    list (``gg:allowedValue``, the contract, is an unordered set).
    """
    specs = []
    for node in set(graph.subjects(RDF.type, GG.PatientFact)):
        key = graph.value(node, GG.key)
        if key is None:
            continue  # SHACL reports a fact without a key; the form cannot show it
        kind = str(graph.value(node, GG.datatype) or "choice")
        low, high = graph.value(node, GG.min), graph.value(node, GG.max)
        order = graph.value(node, SH.order)
        spec = FactSpec(
            key=str(key),
            label=str(graph.value(node, RDFS.label) or key),
            question=str(graph.value(node, GG.question) or key),
            type=kind,
            options=tuple(sorted(str(v) for v in graph.objects(node, GG.allowedValue))),
            min=float(low.toPython()) if low is not None else None,
            max=float(high.toPython()) if high is not None else None,
            unit=_optional_str(graph.value(node, GG.unit)),
            iri=str(node),
        )
        specs.append((float(order.toPython()) if order is not None else math.inf, spec.key, spec, node))
    specs.sort(key=lambda item: (item[0], item[1]))
    return PatientForm(tuple(replace(spec, options=_listed_order(graph, node, spec.options)) for *_, spec, node in specs))


def _optional_str(term) -> str | None:
    return str(term) if term is not None else None


def _listed_order(graph: Graph, node, options: tuple[str, ...]) -> tuple[str, ...]:
    """Choice values in the order the author lists them in ``sh:in`` (RDF values have no order of
    their own: ``gg:allowedValue`` is a set); values missing from the list follow, sorted."""
    listed = graph.value(node, SH["in"])
    if listed is None:
        return options
    ordered = tuple(str(v) for v in Collection(graph, listed) if str(v) in options)
    return ordered + tuple(v for v in options if v not in ordered)


# ---------------------------------------------------------------- checking given facts


class PatientFacts(dict):
    """Patient facts read from a file or standard input (:func:`read_patient`): a dict that keeps
    where it came from, so a fact the pathways refuse later, once the library is loaded, is
    reported with the file's name as a malformed file is."""

    def __init__(self, data: Mapping, *, source: str):
        super().__init__(data)
        self.source = source


def check_facts(facts: Mapping, specs: Iterable[FactSpec]) -> dict:
    """Given facts, checked against the declared ones; returns them in declaration order.

    Parameters
    ----------
    facts : fact key to value, as parsed from JSON. A None value means unknown, like an absent key.
    specs : the declared facts (a :class:`PatientForm` or any iterable of :class:`FactSpec`).

    Returns
    -------
    dict : the known facts, in declaration order, values unchanged.

    Raises
    ------
    InputError : one line naming the key: unknown key (with the closest known key), wrong type
        (a bool is not a number, a string is not a number), NaN or infinity, out of range, not an
        allowed value; after the file's name when ``facts`` are :class:`PatientFacts`.

    Examples
    --------
    >>> specs = [FactSpec("severity", "severity", "?", "choice", ("mild", "severe")),
    ...          FactSpec("meld", "MELD score", "?", "integer", min=6, max=40)]
    >>> check_facts({"meld": 18, "severity": "severe"}, specs)
    {'severity': 'severe', 'meld': 18}
    >>> check_facts({"sevrity": "mild"}, specs)
    Traceback (most recent call last):
    ...
    graph.errors.InputError: unknown patient fact 'sevrity': did you mean 'severity'?
    >>> check_facts({"meld": 41}, specs)
    Traceback (most recent call last):
    ...
    graph.errors.InputError: patient fact 'meld': 41 is outside the allowed range 6 to 40
    >>> check_facts(PatientFacts({"meld": 41}, source="p.json"), specs)
    Traceback (most recent call last):
    ...
    graph.errors.InputError: p.json: patient fact 'meld': 41 is outside the allowed range 6 to 40
    """
    try:
        return _check_facts(facts, specs)
    except InputError as error:
        if isinstance(facts, PatientFacts) and error.where is None:
            raise InputError(error.message, where=facts.source) from None
        raise


def _check_facts(facts: Mapping, specs: Iterable[FactSpec]) -> dict:
    if not isinstance(facts, Mapping):
        raise InputError(f"patient facts must be an object of fact keys and values, not {_json_kind(facts)}")
    by_key = {spec.key: spec for spec in specs}
    for key in facts:
        if key not in by_key:
            raise InputError(_unknown_key_message(key, list(by_key)))
    checked = {}
    for key, spec in by_key.items():
        if key in facts and facts[key] is not None:
            checked[key] = check_value(spec, facts[key])
    return checked


def check_value(spec: FactSpec, value):
    """One value against its declaration; returns it unchanged or raises InputError naming the key."""
    where = f"patient fact {spec.key!r}"
    if spec.type == "boolean":
        if not isinstance(value, bool):
            raise InputError(f"{where}: expected true or false, got {_show(value)}")
        return value
    if spec.type in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{where}: expected a number{_unit_note(spec)}, got {_show(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{where}: expected a finite number, got {_show(value)}")
        if spec.type == "integer" and not isinstance(value, int):
            if value.is_integer() and abs(value) < 1e15:
                # 15.0 is refused as a number of another type, never read as 15: say so, not "got 15".
                raise InputError(f"{where}: expected a whole number written without a decimal point "
                                 f"({int(value)}), got {value!r}")
            raise InputError(f"{where}: expected a whole number, got {_show(value)}")
        if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
            unit = f" {unit_words(spec.unit)}" if spec.unit else ""
            raise InputError(
                f"{where}: {number_words(value)} is outside the allowed range "
                f"{number_words(spec.min)} to {number_words(spec.max)}{unit}"
            )
        return value
    # choice
    if not isinstance(value, str):
        raise InputError(f"{where}: expected one of {_choices(spec.options)}, got {_show(value)}")
    if value not in spec.options:
        close = difflib.get_close_matches(value, spec.options, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(f"{where}: {value!r} is not one of {_choices(spec.options)}{hint}")
    return value


SHOWN_CHOICES = 12  # a large library's condition has thousands of values: an error stays one readable line


def _choices(options) -> str:
    """The allowed values in a message, the first ``SHOWN_CHOICES`` of them when there are more.

    >>> _choices([f"c{i}" for i in range(14)])
    'c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 and 2 more (the saved query pathway-facts lists them)'
    """
    if len(options) <= SHOWN_CHOICES:
        return ", ".join(options)
    rest = len(options) - SHOWN_CHOICES
    return f"{', '.join(options[:SHOWN_CHOICES])} and {rest:,} more (the saved query pathway-facts lists them)"


def _unknown_key_message(key, known: list[str]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.5)
    hint = f": did you mean {close[0]!r}?" if close else f"; known facts: {', '.join(known)}"
    return f"unknown patient fact {str(key)!r}{hint}"


def _unit_note(spec: FactSpec) -> str:
    """The unit a number fact is given in, as an error says it.

    >>> _unit_note(FactSpec("years_on_treatment", "years", "?", "number", unit="a"))
    ' in years'
    """
    return f" in {unit_words(spec.unit)}" if spec.unit else ""


def _show(value) -> str:
    """A given value as the user wrote it in JSON, shortened to keep the error on one line."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (dict, list)):
        return f"{_json_kind(value)}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_words(value)
    text = json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


def _json_kind(value) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


# ---------------------------------------------------------------- reading a patient file


def parse_patient(text: str, *, source: str = "patient") -> dict:
    """Patient facts from JSON text: one flat object, or one clear InputError.

    Refused: empty input, more than ``MAX_PATIENT_BYTES``, text that is not JSON, a JSON value that
    is not an object, nesting too deep to be patient facts, a number of more than 4,300 digits, and
    a key given twice (JSON parsers keep the last one silently).

    >>> parse_patient('{"condition": "autoimmune_hepatitis"}')
    {'condition': 'autoimmune_hepatitis'}
    >>> parse_patient('\ufeff{"flare": true}')     # a UTF-8 byte order mark (Notepad) is not JSON: skipped
    {'flare': True}
    >>> parse_patient('[1, 2]')
    Traceback (most recent call last):
    ...
    graph.errors.InputError: patient: patient facts must be an object of fact keys and values, not an array
    """
    # A byte order mark opens UTF-8 files that Windows editors save; it is not part of the JSON.
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InputError("empty input: expected a JSON object of patient facts", where=source)
    if len(text) > MAX_PATIENT_BYTES:
        raise InputError(f"more than {MAX_PATIENT_BYTES:,} bytes: too large to be patient facts", where=source)
    try:
        data = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except _DuplicateKey as duplicate:
        raise InputError(f"patient fact {duplicate.key!r} is given twice", where=source) from None
    except RecursionError:
        raise InputError("the JSON is nested too deeply to be patient facts", where=source) from None
    except json.JSONDecodeError as error:
        raise InputError(f"not JSON: {error.msg} (line {error.lineno}, column {error.colno})", where=source) from None
    except ValueError:  # Python refuses integers of more than 4,300 digits (sys.get_int_max_str_digits)
        raise InputError("a number in the JSON has too many digits to be a patient fact", where=source) from None
    if not isinstance(data, dict):
        raise InputError(f"patient facts must be an object of fact keys and values, not {_json_kind(data)}", where=source)
    return data


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def read_patient(source: str) -> PatientFacts:
    """Patient facts from a JSON file, or from standard input when ``source`` is "-"; every error
    about them, now or when they are checked against the pathways, names the file."""
    if source == "-":
        text = sys.stdin.read(MAX_PATIENT_BYTES + 1)
        name = "standard input"
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError("no such file" if not path.exists() else "not a file", where=source)
        with path.open("rb") as handle:
            data = handle.read(MAX_PATIENT_BYTES + 1)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"not UTF-8 text (byte {error.start})", where=source) from None
        name = source
    return PatientFacts(parse_patient(text, source=name), source=name)  # which refuses more than MAX_PATIENT_BYTES
