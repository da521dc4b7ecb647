"""Conflicts: statements that give different numbers for the same drug level or the same drug.

The tool never picks a winner. It lists every value with its guideline and source line, so the
clinician sees the disagreement and checks each source.

Two rules, read from the RDF graph (targets and doses as docs/model.md writes them):

**Targets.** All target ranges for one analyte in one unit, across and within guidelines. When at
least two statements give different ranges, that analyte has one conflict listing every range with
its statement and population. Ranges for different populations ("0.6-1.0 ng/mL for autoimmune
conditions (lower than transplant levels of 6-10 ng/mL)") are listed too: they are not wrong, but
a clinician reading one source should know the other numbers exist, and the population is shown
beside each value. Differences inside one statement alone are that statement's own contrast, not
a conflict.

**Doses.** Doses of one drug in one unit (and the same frequency, and compatible routes), leaving
out taper steps and bounds ("less than 30 mg daily" is a warning, not a dose), from different
guidelines whose ranges do not overlap. Overlapping ranges are not flagged: sources write one
regimen from different sides (induction "2-3 g/day" vs maintenance or combination "2 g daily";
monotherapy "60 mg" vs "30 mg combined with azathioprine"), and a dose inside another source's
range is a choice within it, not a disagreement. Doses in different units (per kg vs fixed) are not
compared: without a weight they have no common scale, and the patient's view shows both.
Within one guideline, differing doses are its own alternatives.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from typing import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from .units import check_stated_pair
from .vocab import GG, KB, slugify

_PREFIXES = """
PREFIX gg: <https://w3id.org/guidegraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""

# Query strings, not prepareQuery: a prepared query makes oxrdflib fall back to rdflib's slow engine.
_TARGETS = _PREFIXES + """
SELECT ?node ?statement ?guideline ?line ?topic ?label ?low ?high ?unit ?population ?quote WHERE {
    ?statement gg:hasTarget ?node ; gg:sourceLine ?line ; gg:guideline ?document .
    ?document dcterms:identifier ?guideline .
    ?node gg:analyte ?topic ; gg:low ?low ; gg:high ?high ; gg:unit ?unit .
    OPTIONAL { ?topic rdfs:label ?label }
    OPTIONAL { ?node gg:population ?population }
    OPTIONAL { ?node gg:quote ?quote }
}"""

_DOSES = _PREFIXES + """
SELECT ?node ?statement ?guideline ?line ?topic ?label ?low ?high ?unit ?route ?frequency ?quote WHERE {
    ?statement gg:hasDose ?node ; gg:sourceLine ?line ; gg:guideline ?document .
    ?document dcterms:identifier ?guideline .
    ?node gg:drug ?topic ; gg:low ?low ; gg:high ?high ; gg:unit ?unit .
    FILTER NOT EXISTS { ?node gg:taperStep true }
    FILTER NOT EXISTS { ?node gg:comparator ?comparator }
    OPTIONAL { ?topic rdfs:label ?label }
    OPTIONAL { ?node gg:route ?route }
    OPTIONAL { ?node gg:frequency ?frequency }
    OPTIONAL { ?node gg:quote ?quote }
}"""

_STATED = _PREFIXES + """
SELECT ?node ?statement ?guideline ?line ?label ?low ?high ?unit ?alow ?ahigh ?aunit ?agree ?mass WHERE {
    ?statement gg:hasTarget ?node ; gg:sourceLine ?line ; gg:guideline ?document .
    ?document dcterms:identifier ?guideline .
    ?node gg:analyte ?analyte ; gg:low ?low ; gg:high ?high ; gg:unit ?unit ; gg:statedAs ?stated .
    ?stated gg:low ?alow ; gg:high ?ahigh ; gg:unit ?aunit .
    OPTIONAL { ?analyte rdfs:label ?label }
    OPTIONAL { ?node gg:unitsAgree ?agree }
    OPTIONAL { ?analyte gg:drug ?drug . ?drug gg:molarMass ?mass }
}"""


@dataclass(frozen=True)
class Conflict:
    """Statements that give different numbers for one topic (an analyte's target, a drug's dose).

    ``values`` holds each number as stated: ``{"statement", "guideline", "line", "low", "high",
    "unit", "population", "quote"}``; ``reason`` lists each distinct value in words, with the
    first sources that give it and how many more.
    """

    statements: tuple[str, ...]
    reason: str
    topic: str
    values: tuple[dict, ...]

    def to_dict(self) -> dict:
        return {
            "statements": list(self.statements),
            "reason": self.reason,
            "topic": self.topic,
            "values": [dict(v) for v in self.values],
        }


def find_conflicts(graph) -> list[Conflict]:
    """Every numeric disagreement about a target or a dose in ``graph``, sorted by topic.

    Parameters
    ----------
    graph : an rdflib Graph holding statements with ``gg:hasTarget`` / ``gg:hasDose``.

    Returns
    -------
    One :class:`Conflict` per analyte (and unit) whose statements give different target ranges, and
    per drug (and unit, frequency) with doses in different guidelines that do not overlap.
    """
    conflicts = _target_conflicts(_rows(graph, _TARGETS)) + _dose_conflicts(_rows(graph, _DOSES))
    return sorted(conflicts, key=lambda c: (c.topic, c.statements))


def conflict_triples(conflicts) -> Iterator[tuple]:
    """The conflicts as RDF: a ``gg:Conflict`` node ``kb:conflict/{slug of topic}`` each, with
    ``gg:statement``, ``gg:reason`` and ``rdfs:label``."""
    for conflict in conflicts:
        node = conflict_iri(conflict)
        yield node, RDF.type, GG.Conflict
        yield node, RDFS.label, Literal(f"conflict: {conflict.topic}")
        yield node, GG.reason, Literal(conflict.reason)
        for statement in conflict.statements:
            yield node, GG.statement, URIRef(statement)


def dispute_text(conflict: Conflict) -> str:
    """The disagreement in one line, for a diagram beside each statement in it: the topic and every
    distinct value (the sources are the statements themselves, and the conflict's reason).

    >>> v = lambda lo, hi, pop=None: {"low": lo, "high": hi, "unit": "ng/mL", "population": pop}
    >>> dispute_text(Conflict(("a", "b", "c"), "", "drug x level", (v(4, 6), v(3, 6), v(4, 6), v(6, 10, "transplant"))))
    'Sources disagree on drug x level: 4-6 ng/mL, 3-6 ng/mL, 6-10 ng/mL for transplant'
    """
    return f"Sources disagree on {conflict.topic}: {', '.join(dict.fromkeys(map(_stated, conflict.values)))}"


def disputes_by_statement(conflicts) -> dict[str, tuple[str, ...]]:
    """Statement IRI to the :func:`dispute_text` of each conflict it is in."""
    found: dict[str, list[str]] = defaultdict(list)
    for conflict in conflicts:
        for statement in conflict.statements:
            found[statement].append(dispute_text(conflict))
    return {statement: tuple(texts) for statement, texts in found.items()}


def conflict_iri(conflict: Conflict) -> URIRef:
    """``kb:conflict/{slug of topic}``: topics are unique, so the IRI is stable across loads."""
    return KB[f"conflict/{slugify(conflict.topic)}"]


def unit_findings(graph) -> list[dict]:
    """Target ranges the source states in two units, and whether the two agree.

    Returns
    -------
    ``[{"statement", "guideline", "line", "analyte", "low", "high", "unit", "stated_low",
    "stated_high", "stated_unit", "agrees", "explanation"}]`` sorted by guideline and line.
    ``agrees`` is the graph's ``gg:unitsAgree`` (None when it could not be checked);
    ``explanation`` shows the conversion through the drug's molar mass.
    """
    findings = []
    for row in _rows(graph, _STATED):
        mass = row["mass"]
        check = check_stated_pair(row["low"], row["high"], row["unit"], row["alow"], row["ahigh"], row["aunit"],
                                  float(mass) if mass is not None else None)
        agree = row["agree"]
        findings.append({
            "statement": row["statement"],
            "guideline": row["guideline"],
            "line": row["line"],
            "analyte": row["label"],
            "low": row["low"], "high": row["high"], "unit": row["unit"],
            "stated_low": row["alow"], "stated_high": row["ahigh"], "stated_unit": row["aunit"],
            "agrees": agree if agree is not None else check.agrees,
            "explanation": check.reason,
        })
    return sorted(findings, key=lambda f: (f["guideline"], f["line"], f["statement"]))


def conflicts_text(conflicts: list[Conflict]) -> str:
    """A readable report: each conflict with its values and their sources.

    >>> conflicts_text([])
    'No numeric disagreements between statements.'
    """
    if not conflicts:
        return "No numeric disagreements between statements."
    lines = []
    for conflict in conflicts:
        lines.append(f"{conflict.topic}: {len(conflict.statements)} statements disagree")
        for value in conflict.values:
            population = f" ({value['population']})" if value.get("population") else ""
            quote = f"  \"{value['quote']}\"" if value.get("quote") else ""
            lines.append(f"  {_range(value)}{population}  {value['guideline']} line {value['line']}{quote}")
        lines.append("")
    count = f"{len(conflicts)} conflict" + ("s" if len(conflicts) != 1 else "")
    lines.append(f"{count}. The sources disagree: guidegraph does not pick one; check each source line.")
    return "\n".join(lines)


# ---------------------------------------------------------------- rules


def _target_conflicts(rows: list[dict]) -> list[Conflict]:
    groups = _group(rows, lambda r: (r["topic"], r["unit"]))
    units_per_topic = defaultdict(set)
    for topic, unit in groups:
        units_per_topic[topic].add(unit)
    conflicts = []
    for (topic, unit), values in groups.items():
        ranges_by_statement = defaultdict(set)
        for value in values:
            ranges_by_statement[value["statement"]].add((value["low"], value["high"]))
        disagree = any(a != b for s, t in combinations(ranges_by_statement, 2)
                       for a in ranges_by_statement[s] for b in ranges_by_statement[t])
        if disagree:
            label = _label(values)
            name = label if len(units_per_topic[topic]) == 1 else f"{label} in {unit}"
            conflicts.append(_conflict(name, values))
    return conflicts


def _dose_conflicts(rows: list[dict]) -> list[Conflict]:
    conflicts = []
    groups = _group(rows, lambda r: (r["topic"], r["unit"], r["frequency"]))
    for (_, unit, frequency), values in groups.items():
        involved = {v["node"]: v for v in _with_partner(values)}
        if len({v["statement"] for v in involved.values()}) >= 2:
            label = _label(values)
            per = f", {frequency}" if frequency else ""
            conflicts.append(_conflict(f"{label} dose ({unit}{per})", list(involved.values())))
    return conflicts


def _with_partner(values: list[dict]) -> list[dict]:
    """The doses that some dose of another guideline, by a route that may be the same, contradicts
    (ranges that do not overlap); the same as comparing every pair, in linear time.

    A dose has such a partner when, among the doses whose route matches its own, the lowest upper
    end from another guideline lies below its lower end, or the highest lower end from another
    guideline lies above its upper end. Keeping the two best of each from different guidelines is
    enough to answer that for every dose (pairs took 7 minutes for 13,500 doses at 10,000 guidelines).

    >>> d = lambda g, lo, hi, route=None: {"guideline": g, "low": lo, "high": hi, "route": route}
    >>> [(v["guideline"], v["low"]) for v in _with_partner([d("a", 1, 2), d("a", 5, 6), d("b", 1.5, 3), d("c", 1, 9, "IV")])]
    [('a', 5), ('b', 1.5)]
    """
    by_route: dict = defaultdict(list)
    for value in values:
        by_route[value["route"]].append(value)
    every = _extremes(values)
    unstated = by_route.get(None, [])
    compatible = {route: _extremes(unstated + group) if route is not None else every for route, group in by_route.items()}
    found = []
    for value in values:
        lowest_highs, highest_lows = compatible[value["route"]]
        below = next((high for high, guideline in lowest_highs if guideline != value["guideline"]), None)
        above = next((low for low, guideline in highest_lows if guideline != value["guideline"]), None)
        if (below is not None and below < value["low"]) or (above is not None and above > value["high"]):
            found.append(value)
    return found


def _extremes(values: list[dict]) -> tuple[list, list]:
    """The two lowest upper ends and the two highest lower ends, each pair from two guidelines."""
    def best_two(items):
        first = second = None
        for item in items:  # sorted: the best first, then the best of another guideline
            if first is None:
                first = item
            elif item[1] != first[1]:
                second = item
                break
        return [x for x in (first, second) if x is not None]

    highs = sorted(((v["high"], v["guideline"]) for v in values), key=lambda x: x[0])
    lows = sorted(((-v["low"], v["guideline"]) for v in values), key=lambda x: x[0])
    return best_two(highs), [(-low, guideline) for low, guideline in best_two(lows)]


# The reason names this many sources per value; the rest are counted. Every source stays in the
# conflict's statements and values, and the saved query gives one row each: a reason naming all of
# them would be repeated on each of those rows, and grow with the square of the library.
NAMED_SOURCES = 3


def _conflict(topic: str, values: list[dict]) -> Conflict:
    values = sorted(values, key=lambda v: (v["guideline"], v["line"], v["node"]))
    statements = tuple(dict.fromkeys(v["statement"] for v in values))
    public = tuple(
        {key: v.get(key) for key in ("statement", "guideline", "line", "low", "high", "unit", "population", "quote")}
        for v in values
    )
    return Conflict(statements=statements, reason=f"{topic}: {_listed(values)}", topic=topic, values=public)


def _listed(values: list[dict]) -> str:
    """Each distinct value once, in order of its first source, with the sources that give it.

    >>> v = lambda g, line, lo: {"guideline": g, "line": line, "low": lo, "high": lo, "unit": "mg"}
    >>> _listed([v("a", 1, 5), v("b", 2, 9), v("c", 3, 5), v("d", 4, 5), v("e", 5, 5), v("f", 6, 5)])
    '5 mg (a line 1, c line 3, d line 4 and 2 more), 9 mg (b line 2)'
    """
    sources: dict[str, dict[str, None]] = defaultdict(dict)  # dicts keep order and drop repeats
    for v in values:
        sources[_stated(v)][f"{v['guideline']} line {v['line']}"] = None
    return ", ".join(f"{stated} ({_sources(list(lines))})" for stated, lines in sources.items())


def _sources(lines: list[str]) -> str:
    named = ", ".join(lines[:NAMED_SOURCES])
    rest = len(lines) - NAMED_SOURCES
    return f"{named} and {rest} more" if rest > 0 else named


def _overlap(a: dict, b: dict) -> bool:
    return a["low"] <= b["high"] and b["low"] <= a["high"]


def _routes_match(a: dict, b: dict) -> bool:
    # A dose with no route written may be either; "IV" and "oral" doses are different regimens.
    return a["route"] is None or b["route"] is None or a["route"] == b["route"]


def _stated(value: dict) -> str:
    """A value in words, with the population it is for: "6-10 ng/mL for transplant"."""
    return _range(value) + (f" for {value['population']}" if value.get("population") else "")


def _range(value: dict) -> str:
    low, high = value["low"], value["high"]
    return f"{low} {value['unit']}" if low == high else f"{low}-{high} {value['unit']}"


def _label(values: list[dict]) -> str:
    return values[0]["label"] or str(values[0]["topic"]).rsplit("/", 1)[-1]


def _group(rows, key) -> dict:
    groups = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return dict(sorted(groups.items(), key=lambda item: tuple(str(k) for k in item[0])))


# ---------------------------------------------------------------- reading the graph


def _rows(graph, query: str) -> list[dict]:
    """Query results as dicts of plain Python values (str, int, float, bool, None)."""
    result = graph.query(query)
    names = [str(v) for v in result.vars]
    rows = [{name: _plain(row[name]) for name in names} for row in result]
    # One row per node: a node with two labels would otherwise be counted twice.
    unique = {}
    for row in rows:
        unique.setdefault(row.get("node"), row)
    return sorted(unique.values(), key=lambda r: (str(r.get("guideline")), r.get("line") or 0, str(r.get("node"))))


def _plain(term):
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        return value if isinstance(value, (int, float, bool)) else str(term)
    return str(term)


__all__ = ["Conflict", "find_conflicts", "conflict_triples", "conflict_iri", "dispute_text", "disputes_by_statement",
           "unit_findings", "conflicts_text"]
