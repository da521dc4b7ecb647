"""Doses, target ranges and durations in one statement's text: pure functions, no I/O.

The reader is a small grammar over the text, not a list of known sentences:

* a **number range** is a number, optionally followed by a dash (any Unicode dash) or "to" and a
  second number ("2-3", "0.5–1", "2 to 3", "between 0.6 and 1.0"); a range written high to low
  ("60-30 mg", "60 to 30 mg") is kept as written, for validation to refuse, while "from 60 to 10"
  is a change, no range;
* the **unit** that follows decides what the range is (``graph.units.match_unit``): an amount
  ("mg", "g/day", "mg/kg", "mg/m2") makes a dose, a concentration ("ng/mL", "nmol/L") a target
  range, a time unit ("weeks", "years") a duration; a number without a unit, or a percentage,
  is no quantity;
* a dose then takes optional modifiers in any order: the drug named right after it ("10 mg
  prednisone"), a weight basis ("actual body weight"), a route ("IV", "oral"), a frequency
  ("daily" makes a daily total, "/d" in the unit; "twice daily", "weekly", "every 2 weeks" give a
  per-administration dose with a UCUM rate), "in divided doses";
* words just before a range bound it ("less than" ``<``, "≥" ``>=``, "not exceeding" ``<=``) or,
  for a duration, qualify it ("within", "at least", "every", "by", "after", "over", "for");
* a dose belongs to the drug named right after it ("500 mg of methylprednisolone"), else to the
  nearest drug or drug class named before it in the same sentence (across semicolons); a dose the
  text ties to no drug is never given to a drug of another sentence or of the heading or lead-in:
  it is left out, with a reading note ``quantity-drug-unknown`` quoting its words;
* a target range belongs to the nearest analyte named before it ("trough levels", "mycophenolic
  acid level") and, for a drug level, to the nearest drug or the context drug; a restatement in
  parentheses in a second unit is kept as ``stated_as`` and checked (``units.check_stated_pair``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Sequence

from . import units
from .terminology import Lexicon, Mention, Term

#: The qualifiers a duration may carry (ontology/shapes.ttl lists the same).
DURATION_QUALIFIERS = ("within", "at least", "every", "by", "after", "over", "for")


# ---------------------------------------------------------------- results


def _num(value: Decimal) -> int | float:
    """JSON-ready number: an int when integral."""
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class Dose:
    """A dose of one drug or drug class (``drug`` is its label, None when no drug is known)."""

    drug: str | None
    low: Decimal
    high: Decimal
    unit: str
    route: str | None = None
    basis: str | None = None
    frequency: str | None = None
    comparator: str | None = None
    taper_step: bool = False
    quote: str = ""

    def to_dict(self) -> dict:
        return {
            "drug": self.drug, "low": _num(self.low), "high": _num(self.high), "unit": self.unit,
            "route": self.route, "basis": self.basis, "frequency": self.frequency,
            "comparator": self.comparator, "taper_step": self.taper_step, "quote": self.quote,
        }


@dataclass(frozen=True)
class Target:
    """A target range of one analyte (``analyte`` is its label; ``drug`` the drug's label for levels)."""

    analyte: str
    drug: str | None
    low: Decimal
    high: Decimal
    unit: str
    population: str | None = None
    quote: str = ""
    stated_as: tuple[Decimal, Decimal, str] | None = None
    units_agree: bool | None = None
    comparator: str | None = None

    def to_dict(self) -> dict:
        stated = None
        if self.stated_as is not None:
            low, high, unit = self.stated_as
            stated = {"low": _num(low), "high": _num(high), "unit": unit}
        return {
            "analyte": self.analyte, "low": _num(self.low), "high": _num(self.high), "unit": self.unit,
            "drug": self.drug, "population": self.population, "stated_as": stated,
            "units_agree": self.units_agree, "comparator": self.comparator, "quote": self.quote,
        }


@dataclass(frozen=True)
class Duration:
    """A time span; ``qualifier`` is one of DURATION_QUALIFIERS or None."""

    low: Decimal
    high: Decimal
    unit: str
    qualifier: str | None = None
    quote: str = ""

    def to_dict(self) -> dict:
        return {"low": _num(self.low), "high": _num(self.high), "unit": self.unit,
                "qualifier": self.qualifier, "quote": self.quote}


@dataclass(frozen=True)
class ReadingNote:
    """Words of a statement the reader did not turn into a quantity, and why: a number it left out
    rather than guess (``code`` is the finding's rule, such as "quantity-drug-unknown")."""

    code: str
    words: str
    reason: str

    def message(self) -> str:
        """The reason, quoting the words: what a finding about the note says."""
        return f'"{self.words}": {self.reason}'

    def to_dict(self) -> dict:
        return {"code": self.code, "words": self.words, "reason": self.reason}


#: The reading notes' codes, each a warning of ``validate`` and ``ingest`` (ontology/checks/reading-notes.rq).
NOTE_CODES = ("quantity-drug-unknown", "quantity-unit-unknown", "quantity-not-positive", "quantity-in-heading")


@dataclass(frozen=True)
class Extraction:
    """What one statement names: drug and class labels and condition keys in order of first
    mention, and its doses, target ranges and durations in text order; ``notes`` are the
    quantities it left out, with the words and the reason, in text order."""

    drugs: list[str]
    drug_classes: list[str]
    conditions: list[str]
    doses: list[Dose]
    targets: list[Target]
    durations: list[Duration]
    notes: list[ReadingNote] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "drugs": list(self.drugs), "drug_classes": list(self.drug_classes),
            "conditions": list(self.conditions), "doses": [d.to_dict() for d in self.doses],
            "targets": [t.to_dict() for t in self.targets],
            "durations": [d.to_dict() for d in self.durations],
            "notes": [n.to_dict() for n in self.notes],
        }


# ---------------------------------------------------------------- lexical patterns

_DASHES = "-–—−‐‑‒"
_NUMBER = re.compile(r"(?<![\w.,/])(\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?|\.\d+)(?![\d])")
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_WORD_NUMBER = re.compile(rf"(?<![\w-])({'|'.join(_WORD_NUMBERS)})(?![\w-])", re.IGNORECASE)
_RANGE_SEPARATOR = re.compile(rf"\s*(?:[{_DASHES}]|\bto\b)\s*", re.IGNORECASE)
_PERCENT = re.compile(r"\s*(?:%|percent\b|per\s+cent\b)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[;!?]|\.(?=\s|$)")
# The end of a whole sentence: a dose is tied to a drug named before it up to here, across the
# semicolons of one sentence ("prednisone 40 mg/day; taper to 5 mg/day"), never beyond.
_FULL_STOP = re.compile(r"[!?]|\.(?=\s|$)")
_CLAUSE_BREAK = re.compile(r"[(),;:]")

_BASIS = re.compile(
    r"\s*(?:of\s+)?(?:(?P<kind>actual|ideal|lean|adjusted|total)\s+body[\s-]*weight|(?P<abbr>ABW|IBW|LBW)\b"
    r"|body[\s-]*weight)(?![\w])",
    re.IGNORECASE,
)
_BASIS_ABBR = {"abw": "actual body weight", "ibw": "ideal body weight", "lbw": "lean body weight"}
_ROUTE_WORDS = (
    ("oral", r"(?i:orally|oral|by\s+mouth|p\.o\.)|PO"),
    ("IV", r"(?i:intravenously|intravenous|i\.v\.)|IV"),
    ("SC", r"(?i:subcutaneously|subcutaneous|subcut|s\.c\.)|SC"),
    ("IM", r"(?i:intramuscularly|intramuscular|i\.m\.)|IM"),
)
_ROUTE_PATTERN = "|".join(f"(?P<{'r_' + name}>{words})" for name, words in _ROUTE_WORDS)
# Words match in any case; abbreviations only in capitals (an "sc" or "po" in prose is no route).
_ROUTE = re.compile(rf"\s*(?<![\w])(?:{_ROUTE_PATTERN})(?![\w])")
_ROUTE_BEFORE = re.compile(rf"(?<![\w])(?:{_ROUTE_PATTERN})\s*$")
_DIVIDED = re.compile(r"\s*(?:in|as)\s+(?:\w+\s+)?(?:divided|split)\s+doses\b", re.IGNORECASE)
_AFTER_DRUG = re.compile(r"\s*(?:of\s+)?")

_COMPARATORS = (
    (r"(?:≥|>=|=>|⩾)", ">="), (r"(?:≤|<=|=<|⩽)", "<="), (r"<", "<"), (r">", ">"),
    (r"\b(?:at\s+least|(?:a\s+)?minimum(?:\s+of)?|no\s+less\s+than|not\s+less\s+than)", ">="),
    (r"\b(?:at\s+most|up\s+to|no\s+more\s+than|not\s+more\s+than|not\s+exceeding|not\s+to\s+exceed"
     r"|(?:a\s+)?maximum(?:\s+of)?|max\.?)", "<="),
    (r"\b(?:less|fewer|lower|slower)\s+than|\bbelow|\bunder", "<"),
    (r"\b(?:more|greater|higher|faster)\s+than|\babove|\bover|\bexceeding|\bin\s+excess\s+of", ">"),
)
_COMPARATOR_ENDS = tuple((re.compile(rf"(?:{p})\s*$", re.IGNORECASE), s) for p, s in _COMPARATORS)

_QUALIFIERS = (
    (r"at\s+least|(?:a\s+)?minimum(?:\s+of)?|no\s+less\s+than|not\s+less\s+than"
     r"|(?:more|longer|greater)\s+than|beyond", "at least"),
    (r"within|in|up\s+to|no\s+more\s+than|at\s+most|less\s+than|under|before", "within"),
    (r"every|each", "every"),
    (r"by", "by"),
    (r"after|following", "after"),
    (r"over|during|throughout", "over"),
    (r"for", "for"),
)
_QUALIFIER_ENDS = tuple((re.compile(rf"\b(?:{p})\s*$", re.IGNORECASE), q) for p, q in _QUALIFIERS)
_FILLER_END = re.compile(
    r"\b(?:the|a|an|first|initial|next|last|further|additional|approximately|about|around|roughly|total)\s*$",
    re.IGNORECASE,
)
_DURATION_FILLER = re.compile(r"\s*(?:(?:consecutive|more|additional|further|full|successive)\s+)?", re.IGNORECASE)
_COMPOUND_NOUNS = re.compile(
    r"\s*(?:course|period|trial|treatment|therapy|taper|regimen|interval|window|history|follow-?up|duration)\b",
    re.IGNORECASE,
)
_AGE_AFTER = re.compile(r"\s*(?:-\s*)?(?:old|of\s+age)\b", re.IGNORECASE)
_AGE_BEFORE = re.compile(r"\b(?:aged?|ages)\s*$", re.IGNORECASE)

_TAPER_CUE = re.compile(r"\b(?:reduc\w*|decreas\w*|taper\w*|wean\w*|withdraw\w*)\b", re.IGNORECASE)
_TAPER_BEFORE = re.compile(r"(?:\bby|\bthan|\b(?:rate|decrements?|steps?|increments?)\s+of)\s*$", re.IGNORECASE)
_TAPER_AFTER = re.compile(r"\s*(?:decrements?|steps?|increments?)\b", re.IGNORECASE)

_POPULATION_WORDS = (
    ("transplant", r"(?:(?:renal|kidney|liver|heart|lung|solid[\s-]organ)\s+)?(?:post-?)?transplant\w*"),
    ("autoimmune", r"autoimmun\w*"),
)
_POPULATION_AFTER = re.compile(r"\s*(?:for|in)\s+(?:patients\s+with\s+|the\s+|a\s+|an\s+)?", re.IGNORECASE)
_POPULATION_BEFORE = re.compile(
    rf"(?P<pop>{'|'.join(p for _, p in _POPULATION_WORDS)})\s+(?:\w+\s+)?"
    r"(?:levels?|targets?|ranges?|concentrations?|troughs?)\s+(?:of\s+|between\s+|at\s+|around\s+)?$",
    re.IGNORECASE,
)
_STATED_OPEN = re.compile(r"\s*\(\s*")
_STATED_CLOSE = re.compile(r"\s*\)")
_BETWEEN = re.compile(r"\bbetween\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_FROM = re.compile(r"\bfrom\s*$", re.IGNORECASE)

_ADVERB_INTERVALS = re.compile(
    r"(?<![\w-])(?:(?P<daily>daily)|(?P<weekly>weekly)|(?P<monthly>monthly)|(?P<fortnightly>fortnightly)"
    r"|(?P<yearly>yearly|annually)|every\s+other\s+(?P<other>day|week|month))(?![\w-])",
    re.IGNORECASE,
)
_ADVERB_VALUES = {"daily": (1, "d"), "weekly": (1, "wk"), "monthly": (1, "mo"), "fortnightly": (2, "wk"),
                  "yearly": (1, "a")}
_ADVERB_MULTIPLIER_BEFORE = re.compile(r"\b(?:twice|thrice|times|once|\d+\s*[x×])\s*$", re.IGNORECASE)
# After an interval adverb, a word that starts a new phrase; any other word makes the adverb an
# adjective ("monthly reviews", "daily activities"), which is no interval.
_ADVERB_FOLLOWERS = re.compile(
    r"\s*(?:$|[,.;:)]|(?:for|until|thereafter|initially|then|and|or|as|while|during|if|to|in|at|with|after|"
    r"when|unless|until|from|throughout)\b)",
    re.IGNORECASE,
)


# ---------------------------------------------------------------- parsing context


@dataclass(frozen=True)
class _Range:
    low: Decimal
    high: Decimal
    start: int
    end: int


@dataclass
class _Context:
    """The text of one statement, what the lexicon finds in it, and what has been read.

    Every lookup is a binary search over positions (mentions never overlap and come in text order),
    so a long hostile line costs about linear time rather than quadratic.
    """

    text: str
    lexicon: Lexicon
    mentions: list[Mention]
    sentence_starts: list[int]
    context_drug: Term | None
    consumed: list[tuple[int, int]]
    full_sentence_starts: list[int] = field(default_factory=lambda: [0])
    notes: list[tuple[int, "ReadingNote"]] = field(default_factory=list)

    def note(self, pos: int, code: str, words: str, reason: str) -> None:
        """Record words left out of the quantities, and why (kept in text order by ``pos``)."""
        self.notes.append((pos, ReadingNote(code, words, reason)))

    def __post_init__(self):
        self._mention_starts = [m.start for m in self.mentions]
        self._by_kind: dict[str, tuple[list[Mention], list[int]]] = {}
        for mention in self.mentions:
            found, ends = self._by_kind.setdefault(mention.term.kind, ([], []))
            found.append(mention)
            ends.append(mention.end)
        self._consumed_starts: list[int] = []
        self._consumed_reach: list[int] = []  # the furthest end among the spans consumed so far
        given, self.consumed = list(self.consumed), []
        for start, end in given:
            self.consume(start, end)
        self._taper_cues = [(m.start(), m.end()) for m in _TAPER_CUE.finditer(self.text)]

    def sentence_start(self, pos: int) -> int:
        index = bisect_right(self.sentence_starts, pos)
        return self.sentence_starts[index - 1] if index else 0

    def full_sentence_start(self, pos: int) -> int:
        index = bisect_right(self.full_sentence_starts, pos)
        return self.full_sentence_starts[index - 1] if index else 0

    def nearest_before(self, pos: int, kinds: Sequence[str], *, same_sentence: bool = True) -> Mention | None:
        """The last mention of these kinds that ends before ``pos`` (in the same sentence)."""
        start = self.sentence_start(pos) if same_sentence else 0
        best = None
        for kind in set(kinds):
            found, ends = self._by_kind.get(kind, ((), ()))
            index = bisect_right(ends, pos)
            if index and found[index - 1].start >= start and (best is None or found[index - 1].end > best.end):
                best = found[index - 1]
        return best

    def mention_at(self, pos: int, kinds: Sequence[str]) -> Mention | None:
        index = bisect_left(self._mention_starts, pos)
        if index < len(self.mentions) and self.mentions[index].start == pos and self.mentions[index].term.kind in kinds:
            return self.mentions[index]
        return None

    def consume(self, start: int, end: int) -> None:
        """Mark ``text[start:end]`` as read (spans arrive in order of their start)."""
        self.consumed.append((start, end))
        self._consumed_starts.append(start)
        self._consumed_reach.append(max(end, self._consumed_reach[-1] if self._consumed_reach else end))

    def is_consumed(self, pos: int) -> bool:
        index = bisect_right(self._consumed_starts, pos)
        return bool(index) and self._consumed_reach[index - 1] > pos

    def inside_mention(self, pos: int) -> bool:
        index = bisect_right(self._mention_starts, pos)
        return bool(index) and self.mentions[index - 1].end > pos

    def taper_cue_between(self, start: int, end: int) -> bool:
        """Whether a taper word ("reduce", "taper") lies wholly inside ``text[start:end]``."""
        index = bisect_left(self._taper_cues, (start, -1))
        return index < len(self._taper_cues) and self._taper_cues[index][1] <= end


def _context(text: str, lexicon: Lexicon, context_drugs: Sequence[str]) -> _Context:
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
    full = [0] + [m.end() for m in _FULL_STOP.finditer(text)]
    return _Context(text, lexicon, lexicon.find(text), starts, _first_known_drug(lexicon, context_drugs), [], full)


def _first_known_drug(lexicon: Lexicon, labels: Sequence[str]) -> Term | None:
    for label in labels:
        try:
            return lexicon.drug_by_label(label)
        except KeyError:
            continue
    return None


# ---------------------------------------------------------------- entry point


def extract(text: str, lexicon: Lexicon, *, context_drugs: Sequence[str] = ()) -> Extraction:
    """Read the drugs, conditions, doses, target ranges and durations of one statement.

    Parameters
    ----------
    text : the statement text, without bullet and citation markers.
    lexicon : the terms to recognise (``Lexicon.from_graph`` of the terminology).
    context_drugs : drug labels from the statement's heading or lead-in; the first known one owns
        a dose or drug level that no drug named before it in the statement owns.

    Returns
    -------
    Extraction

    Examples
    --------
    >>> from graph.library import DEFAULT_LIBRARY
    >>> lex = Lexicon.load(DEFAULT_LIBRARY / "terminology.ttl")
    >>> found = extract("prednisone 30 mg daily combined with azathioprine 150 mg daily", lex)
    >>> [(d.drug, d.low, d.high, d.unit) for d in found.doses]
    [('prednisone', Decimal('30'), Decimal('30'), 'mg/d'), ('azathioprine', Decimal('150'), Decimal('150'), 'mg/d')]
    >>> t = extract("Target trough levels of 4-6 ng/ml (5-7.4 nmol/l)", lex, context_drugs=["tacrolimus"]).targets[0]
    >>> (t.analyte, t.low, t.high, t.unit, t.units_agree)
    ('tacrolimus trough level', Decimal('4'), Decimal('6'), 'ng/mL', True)
    """
    ctx = _context(text, lexicon, context_drugs)
    doses: list[Dose] = []
    targets: list[tuple[int, Target]] = []
    durations: list[tuple[int, Duration]] = []
    for rng in _ranges(ctx):
        if ctx.is_consumed(rng.start):
            continue
        found = _quantity(ctx, rng)
        if found is None:
            continue
        kind, item, end = found
        ctx.consume(rng.start, end)
        if kind == "note" or _not_positive(ctx, rng, kind, item, end):
            continue
        if kind == "dose":
            doses.append(item)
        elif kind == "target":
            targets.append((rng.start, item))
        else:
            durations.append((rng.start, item))
    durations.extend(_adverb_intervals(ctx))
    return Extraction(
        drugs=_mentioned(ctx, "drug"),
        drug_classes=_mentioned(ctx, "drug_class"),
        conditions=_mentioned(ctx, "condition"),
        doses=_share_taper_frequency(doses),
        targets=[t for _, t in sorted(targets, key=lambda p: p[0])],
        durations=[d for _, d in sorted(durations, key=lambda p: p[0])],
        notes=[n for _, n in sorted(ctx.notes, key=lambda p: p[0])],
    )


_MINUS = "-−–‐‑"
_NOUNS = {"dose": "a dose", "target": "a target", "duration": "a time span"}


def _not_positive(ctx: _Context, rng: _Range, kind: str, item, end: int) -> bool:
    """Note and leave out a dose, target or interval of zero ("0 mg", "every 0 weeks") or written
    negative ("-5 mg"): no amount to give, level to keep or time to wait; the source needs checking."""
    text, start = ctx.text, rng.start
    negative = (start > 0 and text[start - 1] in _MINUS
                and (start == 1 or text[start - 2] in " \t(,;:=") and not ctx.is_consumed(start - 1))
    if not negative and max(item.low, item.high) > 0:
        return False
    words_start = min(end - len(item.quote), start - 1 if negative else start)
    noun = "an interval" if kind == "duration" and item.qualifier == "every" else _NOUNS[kind]
    ctx.note(start, "quantity-not-positive", text[words_start:end],
             f"{noun} of zero or less is no quantity; it is left out: check the number in the source")
    return True


def _mentioned(ctx: _Context, kind: str) -> list[str]:
    names: list[str] = []
    for mention in ctx.mentions:
        term = mention.term
        if kind == "drug" and term.kind == "analyte" and term.drug in ctx.lexicon.drugs:
            term = ctx.lexicon.drugs[term.drug]  # "mycophenolic acid levels" names the drug too
        if term.kind != kind:
            continue
        name = term.key if kind == "condition" else term.label
        if name not in names:
            names.append(name)
    return names


# ---------------------------------------------------------------- numbers and ranges


def _ranges(ctx: _Context) -> list[_Range]:
    """Every number range of the text, in order; word numbers ("two") count as single values."""
    text, found = ctx.text, []
    for match in _NUMBER.finditer(text):
        if ctx.inside_mention(match.start()):  # "6-MP", "IL-6": part of a name
            continue
        found.append(_range_from(text, match))
    ends = set()
    for match in _WORD_NUMBER.finditer(text):
        if match.start() not in ends:  # the second word of "two to three" is read with the first
            found.append(_word_range(text, match, ends))
    found.sort(key=lambda r: r.start)
    return found


def _word_range(text: str, match: re.Match, ends: set[int]) -> _Range:
    low = Decimal(_WORD_NUMBERS[match.group(1).lower()])
    separator = _RANGE_SEPARATOR.match(text, match.end())
    second = _WORD_NUMBER.match(text, separator.end()) if separator else None
    if second and Decimal(_WORD_NUMBERS[second.group(1).lower()]) >= low:
        ends.add(second.start())
        return _Range(low, Decimal(_WORD_NUMBERS[second.group(1).lower()]), match.start(), second.end())
    return _Range(low, low, match.start(), match.end())


def _decimal(token: str) -> Decimal:
    return Decimal(token.replace(",", ""))


def _range_from(text: str, match: re.Match) -> _Range:
    low, start, end = _decimal(match.group(1)), match.start(), match.end()
    separator = _RANGE_SEPARATOR.match(text, end)
    joiner = _AND.match(text, end) if _BETWEEN.search(text, max(0, start - 20), start) else None
    for link in (separator, joiner):
        if link is None:
            continue
        if link is separator and "to" in link.group(0).lower() and _FROM.search(text, max(0, start - 20), start):
            continue  # "from 60 to 10": a change, not a range
        second = _NUMBER.match(text, link.end())
        if second is None:
            continue
        high = _decimal(second.group(1))
        # "60-30 mg", "60 to 30 mg" and "between 60 and 30 mg" are kept as written, so validation
        # refuses them (gg:low above gg:high) instead of the reader taking "30 mg" alone; only
        # "from 60 to 10", skipped above, is a change rather than a range.
        return _Range(low, high, start, second.end())
    return _Range(low, low, start, end)


# ---------------------------------------------------------------- quantities


def _quantity(ctx: _Context, rng: _Range):
    """(kind, item, end) for the quantity a range starts, or None when it is none."""
    text = ctx.text
    if _PERCENT.match(text, rng.end):
        return None
    if rng.end < len(text) and text[rng.end] in _DASHES:
        return _compound_duration(ctx, rng)
    unit = units.match_unit(text, rng.end)
    is_word_number = not text[rng.start].isdigit() and text[rng.start] != "."
    if unit is None:
        unit = _filler_time_unit(text, rng.end)
        if unit is None:
            return None if is_word_number else _unknown_unit(ctx, rng)
    if unit.kind == "time":
        return _duration(ctx, rng, unit)
    if is_word_number:
        return None  # "one laboratory abnormality": word numbers only count as durations
    if unit.kind == "concentration":
        return _target(ctx, rng, unit)
    return _dose_or_lab(ctx, rng, unit)


def _unknown_unit(ctx: _Context, rng: _Range):
    """A note for a number followed by what looks like a unit that neither graph.units nor pint
    knows ("5 mgg daily"), instead of dropping the number without a word; None otherwise."""
    token = units.unknown_unit_at(ctx.text, rng.end)
    if token is None or ctx.inside_mention(token.start()):  # "2 MMF": a name, not a unit
        return None
    *_, end = _dose_modifiers(ctx.text, token.end())  # "5 mgg daily": its "daily" is no interval
    words = ctx.text[rng.start:end]
    ctx.note(rng.start, "quantity-unit-unknown", words,
             f'the unit "{token.group(0)}" is not one the tool knows; the number is left out: '
             "write a unit such as mg, g, mcg, mg/kg, ng/mL, days or weeks")
    return "note", None, end


def _filler_time_unit(text: str, pos: int):
    # "3 consecutive days", "2 more weeks"
    filler = _DURATION_FILLER.match(text, pos)
    if filler and filler.end() > pos:
        unit = units.match_unit(text, filler.end())
        if unit is not None and unit.kind == "time":
            return unit
    return None


def _duration(ctx: _Context, rng: _Range, unit: units.UnitMatch):
    text = ctx.text
    if unit.code not in units.ALLOWED_DURATION_UNITS:
        return None
    if _AGE_AFTER.match(text, unit.end) or _AGE_BEFORE.search(text, max(0, rng.start - 20), rng.start):
        return None
    qualifier, q_start = _qualifier(text, rng.start, ctx.sentence_start(rng.start))
    start = q_start if q_start is not None else rng.start
    item = Duration(rng.low, rng.high, unit.code, qualifier, text[start:unit.end])
    return "duration", item, unit.end


def _compound_duration(ctx: _Context, rng: _Range):
    # "a 6-month course" is a duration; "24-hour urine" is not.
    unit = units.match_unit(ctx.text, rng.end + 1)
    if unit is None or unit.kind != "time" or not _COMPOUND_NOUNS.match(ctx.text, unit.end):
        return None
    return _duration(ctx, rng, unit)


def _qualifier(text: str, pos: int, floor: int) -> tuple[str | None, int | None]:
    """The duration qualifier written just before ``pos``, skipping words such as "the first"."""
    window_start = max(floor, pos - 80)
    end = pos
    for _ in range(4):
        for pattern, qualifier in _QUALIFIER_ENDS:
            m = pattern.search(text, window_start, end)
            if m:
                return qualifier, m.start()
        filler = _FILLER_END.search(text, window_start, end)
        if not filler:
            break
        end = filler.start()
    return None, None


def _comparator(text: str, pos: int, floor: int) -> tuple[str | None, int]:
    """The comparator written just before ``pos`` ("less than", "≥"), and where it starts."""
    best, floor = None, max(floor, pos - 40)
    for pattern, symbol in _COMPARATOR_ENDS:
        m = pattern.search(text, floor, pos)
        if m and (best is None or m.start() < best[1]):
            best = (symbol, m.start())
    return best if best else (None, pos)


# ---------------------------------------------------------------- doses


def _dose_or_lab(ctx: _Context, rng: _Range, unit: units.UnitMatch):
    text = ctx.text
    owner_after, pos = _drug_right_after(ctx, unit.end)
    basis, route, frequency, per_day, pos = _dose_modifiers(text, pos)
    code = unit.code
    if per_day and unit.per is None:
        code = f"{unit.base}/d"
    owner = owner_after or _tied_drug_before(ctx, rng.start)
    lab = _lab_before(ctx, rng.start)
    if lab is not None and owner_after is None and (owner is None or lab.start > owner.end):
        # "proteinuria below 0.5 g/day" is a target for proteinuria, not a dose
        if code in units.ALLOWED_TARGET_UNITS:
            return _lab_target(ctx, rng, lab.term, code, pos)
        return None
    if code not in units.ALLOWED_DOSE_UNITS:
        return None
    floor = ctx.sentence_start(rng.start)
    comparator, c_start = _comparator(text, rng.start, floor)
    if owner is None:
        # No drug named before it in its sentence, nor right after it: the dose is left out rather
        # than given to a drug of another sentence, the heading or the lead-in.
        ctx.note(rng.start, "quantity-drug-unknown", text[c_start:pos],
                 "a dose with no drug named before it in its sentence or right after it "
                 "(\"500 mg of X\"); it is left out: name the drug in the same sentence")
        return "note", None, pos
    drug_term = owner.term
    if route is None and owner is not None and owner is not owner_after:
        route = _route_near(text, owner, rng.start)
    start = c_start
    if owner is not None and owner is not owner_after and _close_before(text, owner.end, start):
        start = owner.start
    dose = Dose(
        drug=drug_term.label if drug_term else None,
        low=rng.low, high=rng.high, unit=code, route=route, basis=basis,
        frequency=frequency, comparator=comparator,
        taper_step=_is_taper_step(ctx, floor, rng, unit.end),
        quote=text[start:pos],
    )
    return "dose", dose, pos


def _tied_drug_before(ctx: _Context, pos: int) -> Mention | None:
    """The drug or drug class named last before ``pos`` in the same sentence (semicolons included)."""
    mention = ctx.nearest_before(pos, ("drug", "drug_class"), same_sentence=False)
    if mention is None or mention.start < ctx.full_sentence_start(pos):
        return None
    return mention


def _nearest_drug(ctx: _Context, pos: int, kinds: Sequence[str]) -> Mention | None:
    # The same sentence first; then an earlier sentence of the statement ("...; taper to 5 mg").
    return ctx.nearest_before(pos, kinds) or ctx.nearest_before(pos, kinds, same_sentence=False)


def _drug_right_after(ctx: _Context, pos: int) -> tuple[Mention | None, int]:
    # "10 mg prednisone", "500 mg of methylprednisolone"
    gap = _AFTER_DRUG.match(ctx.text, pos)
    mention = ctx.mention_at(gap.end(), ("drug", "drug_class"))
    return (mention, mention.end) if mention else (None, pos)


def _dose_modifiers(text: str, pos: int):
    """Basis, route, frequency and "divided doses" after a dose's unit, in any order."""
    basis = route = frequency = None
    per_day = False
    for _ in range(5):
        if basis is None and (m := _BASIS.match(text, pos)):
            kind, abbr = m.group("kind"), m.group("abbr")
            basis = f"{kind.lower()} body weight" if kind else _BASIS_ABBR.get((abbr or "").lower(), "")
            pos = m.end()
        elif route is None and (m := _ROUTE.match(text, pos)):
            route, pos = _route_name(m), m.end()
        elif frequency is None and not per_day and (f := units.match_frequency(text, pos)):
            per_day, frequency, pos = f.per_day, f.rate, f.end
        elif m := _DIVIDED.match(text, pos):
            pos = m.end()
        else:
            break
    return basis or None, route, frequency, per_day, pos


def _route_name(match: re.Match) -> str:
    return next(name for name, _ in _ROUTE_WORDS if match.group("r_" + name))


def _route_near(text: str, owner: Mention, number_start: int) -> str | None:
    """A route written just before the drug ("IV methylprednisolone") or between it and the dose."""
    before = _ROUTE_BEFORE.search(text, max(0, owner.start - 20), owner.start)
    if before and owner.start - before.end() <= 1:
        return _route_name(before)
    gap = text[owner.end:number_start]
    if not _CLAUSE_BREAK.search(gap) and len(gap.split()) <= 3:
        inside = _ROUTE.search(gap)
        if inside:
            return _route_name(inside)
    return None


def _close_before(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return not _CLAUSE_BREAK.search(gap) and len(gap.split()) <= 3


def _is_taper_step(ctx: _Context, floor: int, rng: _Range, unit_end: int) -> bool:
    """A decrement: a taper word earlier in the sentence, and "by N", "than N" or "N decrements"."""
    if not ctx.taper_cue_between(floor, rng.start):
        return False
    text = ctx.text
    # "by", "than", "steps of" end just before the number: a bounded window finds them.
    return bool(_TAPER_BEFORE.search(text, max(floor, rng.start - 200), rng.start) or _TAPER_AFTER.match(text, unit_end))


def _share_taper_frequency(doses: list[Dose]) -> list[Dose]:
    # "reduce prednisone by 10 mg and azathioprine by 50 mg monthly": "monthly" is both steps' rate.
    result = list(doses)
    later = None  # the next taper step that has a rate, walking from the end
    for i in range(len(result) - 1, -1, -1):
        dose = result[i]
        if dose.taper_step and dose.frequency is None and "/" not in dose.unit and later is not None:
            result[i] = replace(dose, frequency=later.frequency)
        if dose.taper_step and dose.frequency:
            later = dose
    return result


# ---------------------------------------------------------------- targets


def _lab_before(ctx: _Context, pos: int) -> Mention | None:
    mention = ctx.nearest_before(pos, ("analyte",))
    if mention is None or mention.term.drug or mention.term is ctx.lexicon.generic_level:
        return None
    return mention


def _lab_target(ctx: _Context, rng: _Range, analyte: Term, code: str, end: int):
    text = ctx.text
    comparator, c_start = _comparator(text, rng.start, ctx.sentence_start(rng.start))
    target = Target(analyte.label, None, rng.low, rng.high, code, comparator=comparator,
                    quote=text[c_start:end])
    return "target", target, end


def _target(ctx: _Context, rng: _Range, unit: units.UnitMatch):
    text = ctx.text
    resolved = _analyte_for(ctx, rng.start)
    if resolved is None:
        return None  # a concentration with nothing to attach it to
    analyte, drug, analyte_mention = resolved
    pos = unit.end
    stated, pos = _stated_as(text, pos)
    units_agree = None
    if stated is not None:
        mass = drug.molar_mass if drug else None
        check = units.check_stated_pair(rng.low, rng.high, unit.code, *stated, mass)
        units_agree = check.agrees
    population, start, pos = _population(ctx, rng.start, pos)
    comparator, c_start = _comparator(text, rng.start, ctx.sentence_start(rng.start))
    start = min(start, c_start)
    if analyte_mention is not None and _close_before(text, analyte_mention.end, start):
        start = analyte_mention.start
    target = Target(
        analyte=analyte.label, drug=drug.label if drug else None, low=rng.low, high=rng.high,
        unit=unit.code, population=population, quote=text[start:pos], stated_as=stated,
        units_agree=units_agree, comparator=comparator,
    )
    return "target", target, pos


def _analyte_for(ctx: _Context, pos: int) -> tuple[Term, Term | None, Mention | None] | None:
    """(analyte, drug, the analyte's mention) for a concentration at ``pos``."""
    lexicon = ctx.lexicon
    named = ctx.nearest_before(pos, ("analyte",))
    drug_mention = _nearest_drug(ctx, pos, ("drug",))
    if named is not None and named.term.drug:
        return named.term, lexicon.drugs.get(named.term.drug), named
    is_lab = named is not None and named.term is not lexicon.generic_level
    if is_lab and (drug_mention is None or drug_mention.end <= named.start):
        return named.term, None, named
    context = ctx.context_drug if ctx.context_drug is not None and ctx.context_drug.kind == "drug" else None
    drug = drug_mention.term if drug_mention else context
    if drug is not None:
        level = lexicon.drug_level(drug.key) or lexicon.generic_level
        if level is not None:
            return level, drug, named if named is not None and not is_lab else None
    if named is not None and not is_lab:
        return named.term, None, named
    return None


def _stated_as(text: str, pos: int):
    """A parenthesised restatement in a second unit: ((low, high, unit), end) or (None, pos)."""
    opening = _STATED_OPEN.match(text, pos)
    if not opening:
        return None, pos
    number = _NUMBER.match(text, opening.end())
    if not number:
        return None, pos
    rng = _range_from(text, number)
    unit = units.match_unit(text, rng.end)
    if unit is None or unit.kind != "concentration":
        return None, pos
    closing = _STATED_CLOSE.match(text, unit.end)
    if not closing:
        return None, pos
    return (rng.low, rng.high, unit.code), closing.end()


def _population(ctx: _Context, start: int, end: int) -> tuple[str | None, int, int]:
    """The population a target is stated for, and the quote's widened start and end."""
    text = ctx.text
    before = _POPULATION_BEFORE.search(text, max(0, start - 60), start)
    if before:
        return _population_name(before.group("pop")), before.start(), end
    after = _POPULATION_AFTER.match(text, end)
    if after:
        for name, pattern in _POPULATION_WORDS:
            m = re.compile(pattern + r"(?:\s+(?:conditions?|diseases?|disorders?|recipients?|patients?))?",
                           re.IGNORECASE).match(text, after.end())
            if m:
                return name, start, m.end()
        condition = ctx.mention_at(after.end(), ("condition",))
        if condition is not None:
            return condition.term.key, start, condition.end
    return None, start, end


def _population_name(surface: str) -> str:
    return next(name for name, pattern in _POPULATION_WORDS if re.fullmatch(pattern, surface, re.IGNORECASE))


# ---------------------------------------------------------------- interval adverbs


def _adverb_intervals(ctx: _Context) -> list[tuple[int, Duration]]:
    """"monthly", "every other week" not attached to a dose: an interval (every 1 mo, every 2 wk)."""
    found = []
    for m in _ADVERB_INTERVALS.finditer(ctx.text):
        if ctx.is_consumed(m.start()) or _ADVERB_MULTIPLIER_BEFORE.search(ctx.text, max(0, m.start() - 20), m.start()):
            continue
        if not _ADVERB_FOLLOWERS.match(ctx.text, m.end()):
            continue
        if m.group("other"):
            n, unit = 2, units.normalize(m.group("other"))
        else:
            n, unit = next(_ADVERB_VALUES[k] for k in _ADVERB_VALUES if m.group(k))
        found.append((m.start(), Duration(Decimal(n), Decimal(n), unit, "every", m.group(0))))
    return found
