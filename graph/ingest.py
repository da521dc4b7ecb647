"""Guidance document text to structured statements: a pure function, no I/O.

The format is plain text, one item a line, as clinical answer engines write it:

* the first non-blank line is the title; lines before the first heading form the lead;
* a heading is a short line with no citation and no closing punctuation;
* a statement is a bullet (``- ...``), a plain line, or a lead-in ending in ``:`` that introduces
  the bullets below it (a condition such as "If inadequate response to MMF alone or severe flare:");
* citation numbers stand at the end of a line, or before a final colon: ``... flare 1:``,
  ``... 1, 3``, ``... 5, 6, 7, 8``.

Sections nest by one rule a plain-text document supports: a heading directly followed by another
heading opens a group, and later headings that carry content belong to the most recent group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from .errors import ParseError
from .extract import Extraction, ReadingNote, extract
from .terminology import Lexicon
from .vocab import KB, slugify

LINE_BREAK = re.compile(r"\r\n|\r|\n")
BULLET = re.compile(r"^\s*(?:[-*•‣◦–—]|\d{1,2}[.)])\s+")
# Citation numbers: a list of small integers at the end of a line, or before a final colon.
TRAILING_CITATIONS = re.compile(r"(?<=\S)\s+(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*(:?)\s*$")
# A number after these words is content ("at week 2", "MELD ≥ 15"), not a citation.
NUMBER_EXPECTED_AFTER = re.compile(
    r"(?:^|\s)(?:[<>≤≥=~±×x+/]|of|at|to|than|by|from|over|under|until|week|day|"
    r"month|year|hour|grade|stage|class|type|phase|score|meld|"
    r"version|step|page|table|figure|no\.?)\s*$",
    re.IGNORECASE,
)
CLOSING_PUNCTUATION = ".!?;,"
#: A line longer than this is refused: a guideline line is one heading, statement or bullet (the
#: seeds' longest is 275 characters), and a megabyte line is a broken or hostile file.
MAX_LINE_CHARS = 10_000
HEADING_MAX_WORDS = 14
HEADING_MAX_CHARS = 120

# Kind cues. Headings are read nearest first; a statement inherits its section's kind.
PITFALL_CUES = re.compile(r"\b(pitfalls?|avoid|don'?t|do not|never|mistakes?|caution)\b", re.I)
HEADING_KIND_CUES = (
    ("monitoring", re.compile(r"\b(monitor\w*|surveillance|follow-?up)\b", re.I)),
    ("timeline", re.compile(r"\b(timeline|time course|expected response|when to expect)\b", re.I)),
    ("assessment", re.compile(r"\b(assess\w*|evaluat\w*|work-?up|verify|causes|diagnos\w*|investigat\w*)\b", re.I)),
    ("rationale", re.compile(r"\b(why|understanding|rationale|background|advantages?|mechanisms?)\b", re.I)),
    ("evidence", re.compile(r"\b(evidence|studies|trials?|outcomes data)\b", re.I)),
)
LEAD_IN_ASSESSMENT = re.compile(r"\b(verify|check|assess|confirm|evaluate|exclude)\b", re.I)
EVIDENCE_OPENING = re.compile(r"^(studies|evidence|data|trials?|meta-analys\w+|observational|cohort)\b", re.I)
EVIDENCE_VERB = re.compile(r"\b(shows?|showed|achieves?|achieved|demonstrated|reported)\b", re.I)
ACTION_OPENING = re.compile(r"^(consider|start|restart|use|plan|check|monitor|measure|give|add|continue)\b", re.I)
PERCENTAGE = re.compile(r"\d\s*%")
RECOMMENDING = re.compile(
    r"\b(should|consider|recommended|start|restart|use|add|continue|switch|target|plan|"
    r"can be|may be|requires?|warrants?|reintroduc\w*|initiat\w*)\b",
    re.I,
)

LINE_OF_THERAPY_CUES = (
    ("first-line", re.compile(r"\bfirst[- ]line\b", re.I)),
    ("second-line", re.compile(r"\bsecond[- ]line\b", re.I)),
    ("third-line", re.compile(r"\bthird[- ]line\b", re.I)),
    ("alternative", re.compile(r"\b(alternative|as an alternative)\b", re.I)),
)
# In a statement's own text, only an explicit "as ..." or "... option(s)" sets the line of therapy.
TEXT_LINE_OF_THERAPY_CUES = (
    ("first-line", re.compile(r"\bfirst[- ]line (therapy|treatment|options?|agents?)\b", re.I)),
    ("second-line", re.compile(r"\bsecond[- ]line (therapy|treatment|options?|agents?)\b", re.I)),
    ("third-line", re.compile(r"\bthird[- ]line (therapy|treatment|options?|agents?)\b", re.I)),
    ("alternative", re.compile(r"\bas an alternative\b", re.I)),
)


@dataclass(frozen=True)
class Statement:
    """One lead paragraph, bullet, plain line or lead-in of a guideline."""

    text: str
    source_text: str
    line: int
    kind: str
    line_of_therapy: str | None
    citations: tuple[int, ...]
    is_lead_in: bool
    lead_in_line: int | None
    extraction: Extraction
    condition: str | None
    ordinal: int
    section_slug: str

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "line": self.line,
            "kind": self.kind,
            "line_of_therapy": self.line_of_therapy,
            "citations": list(self.citations),
            "drugs": list(self.extraction.drugs),
            "doses": [d.to_dict() for d in self.extraction.doses],
            "targets": [t.to_dict() for t in self.extraction.targets],
            "durations": [d.to_dict() for d in self.extraction.durations],
            "condition": self.condition,
            "is_lead_in": self.is_lead_in,
            "lead_in_line": self.lead_in_line,
            "drug_classes": list(self.extraction.drug_classes),
            "conditions": list(self.extraction.conditions),
            "notes": [n.to_dict() for n in self.extraction.notes],
        }


@dataclass(frozen=True)
class Section:
    """A heading and the statements under it; the lead section has no heading."""

    heading: str | None
    parent: str | None
    line: int
    slug: str
    parent_slug: str | None
    order: int
    line_of_therapy: str | None
    statements: tuple[Statement, ...]
    #: A heading that states a quantity: its numbers are not read (a heading is no statement).
    notes: tuple[ReadingNote, ...] = ()

    def to_dict(self) -> dict:
        return {
            "heading": self.heading,
            "parent": self.parent,
            "line": self.line,
            "line_of_therapy": self.line_of_therapy,
            "statements": [s.to_dict() for s in self.statements],
            "notes": [n.to_dict() for n in self.notes],
        }


@dataclass(frozen=True)
class Document:
    """A parsed guideline: what the parser found, before it becomes RDF."""

    id: str
    title: str
    title_line: int
    complete: bool
    incomplete_reason: str | None
    sections: tuple[Section, ...]
    conditions: tuple[str, ...]
    line_count: int

    @property
    def statements(self) -> list[Statement]:
        return [s for section in self.sections for s in section.statements]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "complete": self.complete,
            "incomplete_reason": self.incomplete_reason,
            "conditions": list(self.conditions),
            "sections": [self._section_dict(s) for s in self.sections],
        }

    def _section_dict(self, section: "Section") -> dict:
        # The addresses a pathway names them by (docs/model.md): what an author writes in gg:recommends.
        base = f"{KB}{self.id}/{section.slug}"
        found = {"iri": base, **section.to_dict()}
        found["statements"] = [{"iri": f"{base}/{st.ordinal}", **st.to_dict()} for st in section.statements]
        return found


# ---------------------------------------------------------------- lines


@dataclass(frozen=True)
class _Line:
    number: int
    raw: str
    kind: str  # "heading" | "bullet" | "lead_in" | "plain"
    text: str
    citations: tuple[int, ...]


def split_citations(text: str) -> tuple[str, tuple[int, ...], bool]:
    """Split trailing citation numbers off a line.

    Returns the text without markers, the numbers, and whether the line ends in a colon.

    >>> split_citations("MMF with glucocorticoids is preferred 1:")
    ('MMF with glucocorticoids is preferred:', (1,), True)
    >>> split_citations("The drug may help 5, 6, 7")
    ('The drug may help', (5, 6, 7), False)
    >>> split_citations("Decompensated cirrhosis with MELD ≥ 15")
    ('Decompensated cirrhosis with MELD ≥ 15', (), False)
    """
    stripped = text.strip()
    match = TRAILING_CITATIONS.search(stripped)
    if match and not NUMBER_EXPECTED_AFTER.search(stripped[: match.start()]):
        numbers = tuple(int(n) for n in re.findall(r"\d+", match.group(1)))
        if all(n >= 1 for n in numbers):
            colon = match.group(2) == ":"
            body = stripped[: match.start()].rstrip()
            return (body + ":" if colon else body), numbers, colon
    return stripped, (), stripped.endswith(":")


def _classify(number: int, raw: str) -> _Line:
    bullet = BULLET.match(raw)
    body = raw[bullet.end():] if bullet else raw
    text, citations, colon = split_citations(body)
    if bullet:
        kind = "bullet"
    elif colon:
        kind = "lead_in"
    elif _looks_like_heading(text, citations):
        kind = "heading"
    else:
        kind = "plain"
    return _Line(number, raw, kind, text, citations)


def _looks_like_heading(text: str, citations: tuple[int, ...]) -> bool:
    return (
        not citations
        and not text.endswith(tuple(CLOSING_PUNCTUATION))
        and len(text.split()) <= HEADING_MAX_WORDS
        and len(text) <= HEADING_MAX_CHARS
    )


def _lines(text: str) -> list[_Line]:
    text = text.lstrip("\ufeff")
    return [
        _classify(number, raw.rstrip())
        for number, raw in enumerate(LINE_BREAK.split(text), start=1)
        if raw.strip()
    ]


# ---------------------------------------------------------------- structure


@dataclass
class _OpenSection:
    heading: str | None
    line: int
    parent: "_OpenSection | None"
    slug: str = ""
    items: list[_Line] = field(default_factory=list)

    def headings(self) -> list[str]:
        """This heading and its ancestors', nearest first."""
        node, found = self, []
        while node is not None:
            if node.heading:
                found.append(node.heading)
            node = node.parent
        return found


def _build_sections(title: _Line, body: list[_Line]) -> list[_OpenSection]:
    lead = _OpenSection(heading=None, line=title.number, parent=None)
    sections = [lead]
    current = lead
    group: _OpenSection | None = None
    previous_kind = None
    for index, line in enumerate(body):
        if line.kind == "heading":
            followed_by_heading = index + 1 < len(body) and body[index + 1].kind == "heading"
            if previous_kind == "heading":
                parent = current
            elif followed_by_heading:
                parent = None
            else:
                parent = group
            current = _OpenSection(heading=line.text, line=line.number, parent=parent)
            if followed_by_heading and previous_kind != "heading":
                group = current
            sections.append(current)
        else:
            current.items.append(line)
        previous_kind = line.kind
    return sections


def _assign_slugs(sections: list[_OpenSection]) -> None:
    seen: dict[str, int] = {}
    for section in sections:
        base = "lead" if section.heading is None else slugify(section.heading)
        seen[base] = seen.get(base, 0) + 1
        section.slug = base if seen[base] == 1 else f"{base}-{seen[base]}"


def _completeness(body: list[_Line]) -> tuple[bool, str | None]:
    if not body:
        return False, "the document has a title and nothing else"
    last = body[-1]
    if last.kind == "heading":
        return False, f"ends on the heading {last.text!r} (line {last.number}) with nothing under it"
    if last.kind == "lead_in":
        return False, f"ends on the lead-in {last.text!r} (line {last.number}) with nothing under it"
    return True, None


# ---------------------------------------------------------------- classification


def statement_kind(text: str, headings: list[str], lead_in: str | None) -> str:
    """The statement's kind from its headings (nearest first), its lead-in and its text.

    >>> statement_kind("Delaying treatment risks organ damage", ["Don't Wait and Watch"], None)
    'pitfall'
    >>> statement_kind("Studies show 88% response rates", ["Third-Line"], None)
    'evidence'
    >>> statement_kind("Serum creatinine", ["Immediate Assessment Required"], "Before restarting, verify:")
    'assessment'
    """
    found = None
    for depth, heading in enumerate(headings):  # the nearest heading that says anything decides
        if PITFALL_CUES.search(heading):
            # A pitfall group reached only through the heading tree (a best reading of plain
            # text) yields to a statement phrased as an action: "Consider repeat biopsy if:".
            if depth > 0 and ACTION_OPENING.search(text):
                return "recommendation"
            return "pitfall"
        found = next((kind for kind, cue in HEADING_KIND_CUES if cue.search(heading)), None)
        if found or _line_of_therapy_from(heading, LINE_OF_THERAPY_CUES):
            break  # a treatment section: a recommendation unless the text says otherwise
    if EVIDENCE_OPENING.search(text):
        return "evidence"
    if found:
        return found
    if lead_in and LEAD_IN_ASSESSMENT.search(lead_in):
        return "assessment"
    in_therapy_section = any(_line_of_therapy_from(h, LINE_OF_THERAPY_CUES) for h in headings)
    if (
        not in_therapy_section
        and PERCENTAGE.search(text)
        and EVIDENCE_VERB.search(text)
        and not RECOMMENDING.search(text)
    ):
        return "evidence"
    return "recommendation"


def _line_of_therapy_from(text: str, cues) -> str | None:
    for name, cue in cues:
        if cue.search(text):
            return name
    return None


def line_of_therapy(text: str, kind: str, headings: list[str]) -> str | None:
    """The line of therapy a treatment statement belongs to; pitfalls and assessments have none.

    >>> line_of_therapy("MMF is recommended", "recommendation", ["First-Line Approach", "Algorithm"])
    'first-line'
    >>> line_of_therapy("consider IV cyclophosphamide as an alternative", "recommendation", ["First-Line"])
    'alternative'
    """
    if kind not in ("recommendation", "evidence"):
        return None
    own = _line_of_therapy_from(text, TEXT_LINE_OF_THERAPY_CUES)
    if own:
        return own
    for heading in headings:
        found = _line_of_therapy_from(heading, LINE_OF_THERAPY_CUES)
        if found:
            return found
    return None


def _context_drugs(lexicon: Lexicon, lead_in: str | None, headings: list[str]) -> list[str]:
    """Drugs a statement's lead-in or headings name: the drug a bare "trough levels of ..." is about."""
    for context in ([lead_in] if lead_in else []) + headings:
        names = [m.term.label for m in lexicon.find(context, kinds=("drug",))]
        if names:
            return names
    return []


def _context_condition(lexicon: Lexicon, texts: Iterable[str]) -> str | None:
    for text in texts:
        found = [m.term.key for m in lexicon.find(text, kinds=("condition",))]
        if found:
            return found[0]
    return None


# ---------------------------------------------------------------- entry point


def check_line_lengths(text: str, *, where: str, limit: int = MAX_LINE_CHARS) -> None:
    """Refuse a text with a line longer than ``limit`` characters, naming the first such line.

    >>> check_line_lengths("Title\\n" + "x" * 12, where="doc", limit=10)
    Traceback (most recent call last):
    ...
    graph.errors.ParseError: doc: line 2 has 12 characters; the limit is 10 (a guideline line is one heading, statement or bullet)
    """
    if len(text) <= limit:
        return
    start = 0
    for number, match in enumerate(LINE_BREAK.finditer(text + "\n"), start=1):
        if match.start() - start > limit:
            raise ParseError(
                f"line {number} has {match.start() - start:,} characters; the limit is {limit:,} "
                "(a guideline line is one heading, statement or bullet)",
                where=where,
            )
        start = match.end()


def parse(text: str, *, doc_id: str, lexicon: Lexicon) -> Document:
    """Parse one guidance document into sections and statements.

    Parameters
    ----------
    text : the document as a string (any of \\n, \\r\\n, \\r line endings).
    doc_id : the guideline's id (its file stem), used in IRIs.
    lexicon : drugs, classes, conditions and analytes to recognise.

    Returns
    -------
    Document, whose ``to_dict()`` is the JSON of ``guidegraph parse``.

    Raises
    ------
    ParseError when the text holds no title, holds NUL bytes, or has a line longer than
    ``MAX_LINE_CHARS``.

    Examples
    --------
    >>> from graph.terminology import Lexicon
    >>> doc = parse("Title\\nLead sentence 1\\nHeading\\n- A bullet 2, 3\\n", doc_id="t", lexicon=Lexicon.empty())
    >>> [(s.line, s.kind, s.citations) for s in doc.statements]
    [(2, 'recommendation', (1,)), (4, 'recommendation', (2, 3))]
    """
    if "\x00" in text:
        raise ParseError("the document holds NUL bytes: not a text file", where=doc_id)
    check_line_lengths(text, where=doc_id)
    lines = _lines(text)
    if not lines:
        raise ParseError("the document is empty", where=doc_id)
    title, body = lines[0], lines[1:]
    open_sections = _build_sections(title, body)
    _assign_slugs(open_sections)
    complete, reason = _completeness(body)
    doc_conditions = tuple(m.term.key for m in lexicon.find(title.text, kinds=("condition",)))

    sections = []
    for order, open_section in enumerate(open_sections):
        headings = open_section.headings()
        statements = _statements(open_section, headings, lexicon, doc_conditions, title.text)
        if open_section.heading is None and not statements:
            continue
        sections.append(
            Section(
                heading=open_section.heading,
                parent=open_section.parent.heading if open_section.parent else None,
                line=open_section.line,
                slug=open_section.slug,
                parent_slug=open_section.parent.slug if open_section.parent else None,
                order=order,
                line_of_therapy=line_of_therapy("", "recommendation", headings),
                statements=tuple(statements),
                notes=heading_notes(open_section.heading, lexicon),
            )
        )
    return Document(
        id=doc_id,
        title=title.text,
        title_line=title.number,
        complete=complete,
        incomplete_reason=reason,
        sections=tuple(sections),
        conditions=doc_conditions,
        line_count=lines[-1].number,
    )


def heading_notes(heading: str | None, lexicon: Lexicon) -> tuple[ReadingNote, ...]:
    """A note when a line read as a heading (no full stop, no citation) states a quantity:
    "Keep examplomab going for 6 weeks" is a heading, so its 6 weeks are read as nothing.

    >>> [n.code for n in heading_notes("Keep examplomab going for 6 weeks", Lexicon.empty())]
    ['quantity-in-heading']
    >>> heading_notes("Second-Line Approach", Lexicon.empty())
    ()
    """
    if not heading or not any(c.isdigit() for c in heading):
        return ()
    found = extract(heading, lexicon)
    quotes = [q.quote for q in (*found.doses, *found.targets, *found.durations)] + [n.words for n in found.notes]
    if not quotes:
        return ()
    stated = ", ".join(f'"{q}"' for q in quotes)
    return (ReadingNote(
        "quantity-in-heading", heading,
        f"this line is read as a heading (no full stop, no citation), and it states {stated}; a heading's "
        "numbers are not read: end the line with a full stop or its citation to make it a statement"),)


def _statements(section: _OpenSection, headings, lexicon, doc_conditions, title) -> list[Statement]:
    statements = []
    lead_in: _Line | None = None
    for ordinal, item in enumerate(section.items, start=1):
        if item.kind != "bullet":
            lead_in = None
        context_lead_in = lead_in.text if lead_in else None
        kind = statement_kind(item.text, headings, context_lead_in)
        found = extract(item.text, lexicon, context_drugs=_context_drugs(lexicon, context_lead_in, headings))
        condition = (
            (found.conditions[0] if found.conditions else None)
            or _context_condition(lexicon, ([context_lead_in] if context_lead_in else []) + headings)
            or (doc_conditions[0] if doc_conditions else None)
        )
        statements.append(
            Statement(
                text=item.text,
                source_text=item.raw,
                line=item.number,
                kind=kind,
                line_of_therapy=line_of_therapy(item.text, kind, headings),
                citations=item.citations,
                is_lead_in=item.kind == "lead_in",
                lead_in_line=lead_in.number if lead_in else None,
                extraction=found,
                condition=condition,
                ordinal=ordinal,
                section_slug=section.slug,
            )
        )
        if item.kind == "lead_in":
            lead_in = item
    return statements
