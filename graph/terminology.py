"""The lexicon: drugs, drug classes, conditions and analytes read from the terminology graph.

``guidelines/terminology.ttl`` holds them as RDF (docs/model.md); ``Lexicon.from_graph`` reads them
into plain terms, and ``Lexicon.find`` locates their names in statement text.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from .vocab import GG

KINDS = ("drug", "drug_class", "condition", "analyte")
_CLASS_OF_KIND = {"drug": GG.Drug, "drug_class": GG.DrugClass, "condition": GG.Condition, "analyte": GG.Analyte}
#: Key of the analyte that stands for any drug's level ("trough levels of ...").
GENERIC_LEVEL_KEY = "drug-level"
# Separators inside a name: "B-cell" and "B cell", "anti-dsDNA" and "anti dsDNA" are one name.
_SEPARATOR = r"[\s\-‐‑–]+"


@dataclass(frozen=True)
class Term:
    """One drug, drug class, condition or analyte.

    ``key`` is the condition's skos:notation, else the last IRI segment ("mycophenolate-mofetil").
    ``parent`` is the key of the drug's class, or of the broader class or condition.
    ``drug`` is, for a drug level, the key of its drug.
    """

    iri: str
    key: str
    label: str
    synonyms: tuple[str, ...]
    kind: str
    parent: str | None = None
    molar_mass: float | None = None
    drug: str | None = None

    @property
    def iri_ref(self) -> URIRef:
        return URIRef(self.iri)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.label,) + self.synonyms


@dataclass(frozen=True)
class Mention:
    """A term named in text: ``text[start:end] == surface``."""

    term: Term
    start: int
    end: int
    surface: str


def _is_abbreviation(name: str) -> bool:
    # "MMF", "AZA", "SLE", "AST/ALT": all capitals, so matched case-sensitively ("aza" is no drug).
    return name.isupper() and len(name) <= 8


def _name_pattern(name: str) -> str:
    words = re.split(_SEPARATOR, name.strip())
    return _SEPARATOR.join(re.escape(w) for w in words)


def _norm(surface: str) -> str:
    return re.sub(_SEPARATOR, " ", surface.strip()).lower()


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Terms by kind, each a dict from key to Term, and a matcher over their names."""

    drugs: dict[str, Term] = field(default_factory=dict)
    drug_classes: dict[str, Term] = field(default_factory=dict)
    conditions: dict[str, Term] = field(default_factory=dict)
    analytes: dict[str, Term] = field(default_factory=dict)

    # ------------------------------------------------------------ construction

    @classmethod
    def empty(cls) -> "Lexicon":
        """A lexicon that knows no terms."""
        return cls()

    @classmethod
    def load(cls, path: str | Path) -> "Lexicon":
        """Read a Turtle terminology file."""
        graph = Graph()
        graph.parse(str(path), format="turtle")
        return cls.from_graph(graph)

    @classmethod
    def from_graph(cls, graph: Graph) -> "Lexicon":
        """Read every gg:Drug, gg:DrugClass, gg:Condition and gg:Analyte of a graph.

        >>> from rdflib import Graph
        >>> g = Graph().parse(data='''@prefix gg: <https://w3id.org/guidegraph/ontology#> .
        ... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ... @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        ... <https://w3id.org/guidegraph/kb/drug/azathioprine> a gg:Drug ;
        ...     rdfs:label "azathioprine" ; skos:altLabel "AZA" .''', format="turtle")
        >>> Lexicon.from_graph(g).drugs["azathioprine"].synonyms
        ('AZA',)
        """
        by_kind = {kind: {} for kind in KINDS}
        for kind, rdf_class in _CLASS_OF_KIND.items():
            for node in sorted(set(graph.subjects(RDF.type, rdf_class)), key=str):
                term = _read_term(graph, node, kind)
                by_kind[kind][term.key] = term
        return cls(by_kind["drug"], by_kind["drug_class"], by_kind["condition"], by_kind["analyte"])

    # ------------------------------------------------------------ lookup

    def terms(self, kinds: Iterable[str] = KINDS) -> list[Term]:
        """Every term of the given kinds."""
        tables = {"drug": self.drugs, "drug_class": self.drug_classes,
                  "condition": self.conditions, "analyte": self.analytes}
        return [term for kind in kinds for term in tables[kind].values()]

    def drug_by_label(self, label: str) -> Term:
        """The drug or drug class with this label (or synonym). Raises KeyError when none has it."""
        return self._by_name(label, ("drug", "drug_class"))

    def analyte_by_label(self, label: str) -> Term:
        """The analyte with this label (or synonym). Raises KeyError when none has it."""
        return self._by_name(label, ("analyte",))

    def drug_level(self, drug_key: str) -> Term | None:
        """The analyte measuring this drug's level (a trough level first), or None."""
        levels = [a for a in self.analytes.values() if a.drug == drug_key]
        levels.sort(key=lambda a: ("trough" not in a.label, a.key))
        return levels[0] if levels else None

    @property
    def generic_level(self) -> Term | None:
        """The analyte for a drug level whose drug is unnamed, or None."""
        return self.analytes.get(GENERIC_LEVEL_KEY)

    def _by_name(self, name: str, kinds: Sequence[str]) -> Term:
        wanted = _norm(name)
        terms = self.terms(kinds)
        for term in terms:
            if _norm(term.label) == wanted:
                return term
        for term in terms:
            if any(_norm(s) == wanted for s in term.synonyms):
                return term
        raise KeyError(name)

    # ------------------------------------------------------------ matching

    def find(self, text: str, kinds: Iterable[str] | None = None) -> list[Mention]:
        """Terms named in ``text``, in text order.

        Whole words only; case-insensitive except all-capital abbreviations ("MMF"); a plural "s"
        is allowed. Longest names win and mentions never overlap.

        >>> from graph.library import DEFAULT_LIBRARY
        >>> lex = Lexicon.load(DEFAULT_LIBRARY / "terminology.ttl")
        >>> [(m.term.label, m.surface) for m in lex.find("MMF with glucocorticoids in lupus nephritis")]
        [('mycophenolate mofetil', 'MMF'), ('glucocorticoid', 'glucocorticoids'), ('lupus nephritis', 'lupus nephritis')]
        """
        kinds = tuple(kinds) if kinds is not None else KINDS
        matchers = self._matchers(kinds)
        # Longest first, then leftmost; keep a candidate only when it overlaps none kept.
        queue = [(-(c.end - c.start), c.start, n, c) for n, c in
                 enumerate(c for matcher in matchers for c in matcher.candidates(text))]
        heapq.heapify(queue)
        added = len(queue)
        kept: list[Mention] = []  # by start; they never overlap, so their ends are in order too
        starts: list[int] = []
        while queue:
            *_, mention = heapq.heappop(queue)
            index = bisect_left(starts, mention.end)  # kept mentions that start before this one ends
            if index and kept[index - 1].end > mention.start:
                # A longer name reaches into this one from the right ("trough concentrations" into
                # "cyclosporine trough"): a shorter name at the same start ("cyclosporine") may still fit.
                blocker = kept[index - 1]
                if blocker.start > mention.start:
                    shorter = max((m for matcher in matchers if (m := matcher.match_before(text, mention.start, blocker.start))),
                                  key=lambda m: m.end, default=None)
                    if shorter is not None:
                        heapq.heappush(queue, (-(shorter.end - shorter.start), shorter.start, added, shorter))
                        added += 1
                continue
            kept.insert(index, mention)
            starts.insert(index, mention.start)
        return kept

    def _matchers(self, kinds: tuple[str, ...]) -> tuple["_Matcher", ...]:
        # Compiled once per set of kinds; kept in __dict__ because the dataclass is frozen.
        cache = self.__dict__.setdefault("_matcher_cache", {})
        if kinds not in cache:
            terms = self.terms(kinds)
            cache[kinds] = (_Matcher(terms, case_sensitive=False), _Matcher(terms, case_sensitive=True))
        return cache[kinds]


class _Matcher:
    """One regular expression over many names: at each position, the longest name that fits."""

    def __init__(self, terms: list[Term], *, case_sensitive: bool):
        self.table: dict[str, Term] = {}
        for term in terms:
            for name in term.names:
                if _is_abbreviation(name) == case_sensitive:
                    self.table.setdefault(name if case_sensitive else _norm(name), term)
        self.case_sensitive = case_sensitive
        names = sorted(self.table, key=len, reverse=True)
        plural = "" if case_sensitive else r"(?:e?s)?"
        body = "|".join(_name_pattern(n) for n in names)
        flags = 0 if case_sensitive else re.IGNORECASE
        # A lookahead finds a candidate at every start, including ones a longer match overlaps.
        self.regex = re.compile(rf"(?<!\w)(?=((?:{body}){plural})(?!\w))", flags) if names else None

    def match_before(self, text: str, start: int, limit: int) -> Mention | None:
        """The longest name that starts at ``start`` and ends, as a whole word, by ``limit``."""
        while self.regex is not None and limit > start:
            match = self.regex.match(text, start, limit)
            if match is None:
                return None
            end = match.end(1)
            if end < len(text) and (text[end].isalnum() or text[end] == "_"):
                limit = end - 1  # the name ends inside a word of the full text: look for a shorter one
                continue
            term = self._term(match.group(1))
            return Mention(term, start, end, match.group(1)) if term is not None else None
        return None

    def candidates(self, text: str) -> Iterable[Mention]:
        if self.regex is None:
            return
        for match in self.regex.finditer(text):
            surface = match.group(1)
            term = self._term(surface)
            if term is not None:
                start = match.start(1)
                yield Mention(term, start, start + len(surface), surface)

    def _term(self, surface: str) -> Term | None:
        if self.case_sensitive:
            return self.table.get(re.sub(_SEPARATOR, " ", surface)) or self.table.get(surface)
        key = _norm(surface)
        for candidate in (key, key[:-1], key[:-2]):  # "steroids", "levels", "...es"
            if candidate in self.table:
                return self.table[candidate]
        return None


def _read_term(graph: Graph, node, kind: str) -> Term:
    label = graph.value(node, RDFS.label)
    notation = graph.value(node, SKOS.notation)
    key = str(notation) if notation is not None else str(node).rstrip("/").rsplit("/", 1)[-1]
    synonyms = tuple(sorted({str(s) for s in graph.objects(node, SKOS.altLabel)}, key=lambda s: (s.lower(), s)))
    parent_node = graph.value(node, GG.drugClass) if kind == "drug" else graph.value(node, SKOS.broader)
    mass = graph.value(node, GG.molarMass)
    drug = graph.value(node, GG.drug) if kind == "analyte" else None
    return Term(
        iri=str(node),
        key=key,
        label=str(label) if label is not None else key,
        synonyms=synonyms,
        kind=kind,
        parent=_key_of(graph, parent_node),
        molar_mass=float(mass) if mass is not None else None,
        drug=_key_of(graph, drug),
    )


def _key_of(graph: Graph, node) -> str | None:
    if node is None:
        return None
    notation = graph.value(node, SKOS.notation)
    return str(notation) if notation is not None else str(node).rstrip("/").rsplit("/", 1)[-1]
