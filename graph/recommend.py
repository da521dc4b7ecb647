"""Recommend: from one patient's facts to the options the guidelines give, with reasons and sources.

``recommend(kb, facts)`` checks the facts, walks every pathway whose entry is not false for the
patient, and collects the statements the reached nodes make applicable: each with its guideline,
section, source line and citations, its drugs, source doses with the patient's dose beside them,
targets with their equivalents in other units, why it applies and why the alternatives did not.
It also lists the questions still open (most decisive first), the monitoring schedule, and the
conflicts between sources that touch the result. The result is options for a clinician to check,
never orders; the tool does not pick a winner where sources disagree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping

from .dosing import patient_dose, target_equivalents
from .catalogue import catalogue_of, facts_graph
from .pathway import Pathway, Traversal, evaluate, load_pathways, traverse, undecided
from .patient import PatientForm, check_facts, patient_form, unit_words
from .schedule import monitoring_schedule
from .views import INCOMPLETE_NOTE, conflicts_by_statement, dose_label, number_text
from .store import select_rows
from .vocab import KINDS
from .units import describe_frequency

SAFETY_LINE = "Options from the listed sources, for a clinician to check — not orders."
#: Pathways the text report names, with the facts that ruled each out, when none applies.
RULED_OUT_SHOWN = 5

# Result lists by statement kind; rationale, evidence and timeline statements go to "other".
LISTS = {"recommendation": "recommendations", "pitfall": "pitfalls", "monitoring": "monitoring", "assessment": "assessments"}
LIST_NAMES = ("recommendations", "pitfalls", "monitoring", "assessments", "other")


# ---------------------------------------------------------------- what the graph holds, once per load


def pathways_of(kb) -> dict[str, Pathway]:
    """The knowledge base's pathways as networkx graphs, built once per load."""
    if "pathways" not in kb._cache:
        kb._cache["pathways"] = catalogue_of(kb).all()  # shares the decision graphs recommend builds
    return kb._cache["pathways"]


def patient_form_of(kb) -> PatientForm:
    """The knowledge base's declared patient facts, read once per load."""
    if "patient_form" not in kb._cache:
        kb._cache["patient_form"] = patient_form(facts_graph(kb.graph))  # a local copy: works on every store
    return kb._cache["patient_form"]


def titles_of(kb) -> dict[str, str]:
    """Guideline id to title, read once per load (from the graph: an opened store need not parse
    its documents for them)."""
    if "titles" not in kb._cache:
        kb._cache["titles"] = guideline_titles(kb.graph)
    return kb._cache["titles"]


_TITLES_QUERY = """PREFIX gg: <https://w3id.org/guidegraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?id ?title WHERE { ?guideline a gg:Guideline ; dcterms:identifier ?id . OPTIONAL { ?guideline dcterms:title ?title } }"""


def guideline_titles(graph) -> dict[str, str]:
    """Guideline id to title ("" for a guideline without one), in id order."""
    rows = ((str(row.id), str(row.title) if row.title is not None else "") for row in graph.query(_TITLES_QUERY))
    return dict(sorted(rows))


def guidelines_of(kb) -> list[dict]:
    """:func:`guideline_rows` of the knowledge base, read once per load."""
    if "guideline_rows" not in kb._cache:
        kb._cache["guideline_rows"] = guideline_rows(kb.graph)
    return kb._cache["guideline_rows"]


_GUIDELINES_QUERY = """PREFIX gg: <https://w3id.org/guidegraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?id ?title ?complete ?reason (COUNT(?statement) AS ?statements) WHERE {
  ?guideline a gg:Guideline ; dcterms:identifier ?id .
  OPTIONAL { ?guideline dcterms:title ?title }
  OPTIONAL { ?guideline gg:complete ?complete }
  OPTIONAL { ?guideline gg:incompleteReason ?reason }
  OPTIONAL { ?statement a gg:Statement ; gg:guideline ?guideline }
} GROUP BY ?id ?title ?complete ?reason"""


def guideline_rows(graph) -> list[dict]:
    """Each guideline as the graph holds it, by id: ``{"id", "title", "statements" (a count),
    "complete", "incomplete_reason"}`` (one query: an opened store need not parse its documents)."""
    rows = [
        {
            "id": str(row.id),
            "title": _text(row.title) or "",
            "statements": int(row.statements),
            "complete": row.complete is None or bool(row.complete.toPython()),
            "incomplete_reason": _text(row.reason),
        }
        for row in graph.query(_GUIDELINES_QUERY)
    ]
    return sorted(rows, key=lambda row: row["id"])


def statements_of(kb) -> dict[str, dict]:
    """Every statement as a result item without the patient-specific parts, read once per load."""
    if "statement_items" not in kb._cache:
        kb._cache["statement_items"] = read_statements(kb.graph)
    return kb._cache["statement_items"]


PREFIXES = """
PREFIX gg: <https://w3id.org/guidegraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX cito: <http://purl.org/spar/cito/>
"""

STATEMENTS_QUERY = PREFIXES + """
SELECT ?s ?kind ?text ?source ?line ?guideline ?section ?lot WHERE {
  ?s a gg:Statement ; a ?kind ; gg:text ?text ; gg:sourceLine ?line ; gg:guideline ?g .
  ?g dcterms:identifier ?guideline .
  FILTER (?kind != gg:Statement)
  OPTIONAL { ?s gg:sourceText ?source }
  OPTIONAL { ?s dcterms:isPartOf ?sec . ?sec dcterms:title ?section }
  OPTIONAL { ?s gg:lineOfTherapy ?l . ?l skos:prefLabel ?lot }
}"""

CITATIONS_QUERY = PREFIXES + "SELECT ?s ?n WHERE { ?s cito:cites ?c . ?c gg:referenceNumber ?n }"

DRUGS_QUERY = PREFIXES + """
SELECT ?s ?label ?name WHERE {
  ?s gg:mentionsDrug ?d . ?d rdfs:label ?label .
  { ?d rdfs:label ?name } UNION { ?d skos:altLabel ?name }
}"""

DOSES_QUERY = PREFIXES + """
SELECT ?s ?dose ?drug ?low ?high ?unit ?route ?basis ?frequency ?comparator ?taper ?quote WHERE {
  ?s gg:hasDose ?dose . ?dose gg:low ?low ; gg:high ?high ; gg:unit ?unit .
  OPTIONAL { ?dose gg:drug ?d . ?d rdfs:label ?drug }
  OPTIONAL { ?dose gg:route ?route }
  OPTIONAL { ?dose gg:basis ?basis }
  OPTIONAL { ?dose gg:frequency ?frequency }
  OPTIONAL { ?dose gg:comparator ?comparator }
  OPTIONAL { ?dose gg:taperStep ?taper }
  OPTIONAL { ?dose gg:quote ?quote }
}"""

TARGETS_QUERY = PREFIXES + """
SELECT ?s ?target ?analyte ?low ?high ?unit ?population ?quote ?slow ?shigh ?sunit ?mass WHERE {
  ?s gg:hasTarget ?target . ?target gg:low ?low ; gg:high ?high ; gg:unit ?unit .
  OPTIONAL { ?target gg:analyte ?a . ?a rdfs:label ?analyte
             OPTIONAL { ?a gg:drug ?d . ?d gg:molarMass ?mass } }
  OPTIONAL { ?target gg:population ?population }
  OPTIONAL { ?target gg:quote ?quote }
  OPTIONAL { ?target gg:statedAs ?q . ?q gg:low ?slow ; gg:high ?shigh ; gg:unit ?sunit }
}"""

DURATIONS_QUERY = PREFIXES + """
SELECT ?s ?duration ?low ?high ?unit ?qualifier ?quote WHERE {
  ?s gg:hasDuration ?duration . ?duration gg:low ?low ; gg:high ?high ; gg:unit ?unit .
  OPTIONAL { ?duration gg:qualifier ?qualifier }
  OPTIONAL { ?duration gg:quote ?quote }
}"""


#: Statements read per query (a VALUES block): measured on the 8,729 statements of the conflicts of
#: 1,000 guidelines on disk, batches of 500 take 4.6 s, of 100 5.4 s, and of 2,000 40 s.
STATEMENTS_PER_QUERY = 500


def statement_items(kb, iris) -> dict[str, dict]:
    """The items of these statements (a statement the graph does not hold is left out), read on
    first use and kept per load: recommend reads the few it shows, never the whole library."""
    return _read_once(kb, "statement_items_by_iri", iris, lambda graph, batch: read_statements(graph, iris=batch))


def statement_texts(kb, iris) -> dict[str, dict]:
    """Kind, text, guideline, section, line, line of therapy and source text of these statements:
    what a side-by-side view of a conflict shows, without the citations, drugs and quantities
    that :func:`statement_items` also reads (two thirds of its time). Kept per load."""
    return _read_once(kb, "statement_texts_by_iri", iris, _statement_rows)


def _read_once(kb, cache_name: str, iris, read) -> dict[str, dict]:
    """``read(graph, batch)`` for the statements not read before, a batch at a time."""
    cache = kb._cache.setdefault(cache_name, {})
    missing = sorted(set(iris) - cache.keys())
    for start in range(0, len(missing), STATEMENTS_PER_QUERY):
        batch = missing[start : start + STATEMENTS_PER_QUERY]
        found = read(kb.graph, batch)
        cache.update({iri: found.get(iri) for iri in batch})
    return {iri: cache[iri] for iri in iris if cache.get(iri) is not None}


def _only(query: str, iris) -> str:
    """The query restricted to the statements ``iris`` (None: all of them)."""
    if iris is None:
        return query
    values = " ".join(f"<{iri}>" for iri in iris if not any(c in iri for c in '<>"{}|^`\\ '))
    return query.replace("WHERE {", "WHERE {\n  VALUES ?s { " + values + " }", 1)


def _statement_rows(graph, iris=None) -> dict[str, dict]:
    """Each statement's own fields, from its one row (a statement of no known kind is left out)."""
    kinds = {str(cls): name for name, cls in KINDS.items()}
    rows = {}
    for row in select_rows(graph, _only(STATEMENTS_QUERY, iris)):
        kind = kinds.get(str(row.kind))
        if kind is not None:
            rows[str(row.s)] = {
                "id": str(row.s), "kind": kind, "text": str(row.text), "guideline": str(row.guideline),
                "section": _text(row.section), "line": int(row.line), "line_of_therapy": _text(row.lot),
                "source_text": _text(row.source),
            }
    return rows


def read_statements(graph, *, iris=None) -> dict[str, dict]:
    """Statement IRI to its result item (docs/result.md's Item without why, why_not, for_patient);
    ``iris``: only these statements."""
    if iris is not None and not iris:
        return {}  # an empty VALUES block is one rdflib's engine cannot evaluate
    items = {
        iri: {
            "id": row["id"], "kind": row["kind"], "text": row["text"], "guideline": row["guideline"],
            "section": row["section"], "line": row["line"], "citations": [],
            "line_of_therapy": row["line_of_therapy"], "drugs": [], "doses": [], "targets": [], "durations": [],
            "source_text": row["source_text"], "why": [], "why_not": [],
        }
        for iri, row in _statement_rows(graph, iris).items()
    }
    for row in select_rows(graph, _only(CITATIONS_QUERY, iris)):
        if str(row.s) in items:
            items[str(row.s)]["citations"].append(int(row.n))
    names: dict[str, dict[str, set[str]]] = {}
    for row in select_rows(graph, _only(DRUGS_QUERY, iris)):
        names.setdefault(str(row.s), {}).setdefault(str(row.label), set()).add(str(row.name))
    for iri, by_label in names.items():
        if iri in items:
            items[iri]["drugs"] = _in_text_order(items[iri]["text"], by_label)
    _attach(items, select_rows(graph, _only(DOSES_QUERY, iris)), "doses", "dose", _dose)
    _attach(items, select_rows(graph, _only(TARGETS_QUERY, iris)), "targets", "target", _target)
    _attach(items, select_rows(graph, _only(DURATIONS_QUERY, iris)), "durations", "duration", _duration)
    for item in items.values():
        item["citations"] = sorted(set(item["citations"]))
    return items


def _attach(items, rows, key, node_var, build) -> None:
    """Quantities in text order (their IRIs end in /dose/k, /target/k, /duration/k)."""
    found: dict[str, dict[str, dict]] = {}
    for row in rows:
        if str(row.s) in items:
            found.setdefault(str(row.s), {}).setdefault(str(row[node_var]), build(row))
    for iri, by_node in found.items():
        items[iri][key] = [by_node[n] for n in sorted(by_node, key=_ordinal)]


def _ordinal(iri: str) -> tuple[int, str]:
    tail = iri.rsplit("/", 1)[-1]
    return (int(tail), iri) if tail.isdigit() else (0, iri)


def _in_text_order(text: str, by_label: Mapping[str, set[str]]) -> list[str]:
    """Drug labels in the order the statement names them (by any of their names)."""
    lowered = text.lower()

    def first(label: str) -> tuple[int, str]:
        spots = [lowered.find(n.lower()) for n in by_label[label] | {label}]
        spots = [s for s in spots if s >= 0]
        return (min(spots) if spots else len(text), label)

    return sorted(by_label, key=first)


def _text(term) -> str | None:
    return str(term) if term is not None else None


def _number(term):
    """A literal number as JSON shows it: 2 rather than 2.0, 0.075 as a float."""
    if term is None:
        return None
    value = term.toPython() if hasattr(term, "toPython") else term
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _dose(row) -> dict:
    return {
        "drug": _text(row.drug), "low": _number(row.low), "high": _number(row.high), "unit": str(row.unit),
        "route": _text(row.route), "basis": _text(row.basis), "frequency": _text(row.frequency),
        "comparator": _text(row.comparator), "taper_step": bool(row.taper.toPython()) if row.taper is not None else False,
        "quote": _text(row.quote),
    }


def _target(row) -> dict:
    stated = None
    if row.sunit is not None:
        stated = {"low": _number(row.slow), "high": _number(row.shigh), "unit": str(row.sunit)}
    return {
        "analyte": _text(row.analyte), "low": _number(row.low), "high": _number(row.high), "unit": str(row.unit),
        "population": _text(row.population), "quote": _text(row.quote), "stated_as": stated,
        "molar_mass": _number(row.mass),
    }


def _duration(row) -> dict:
    return {"low": _number(row.low), "high": _number(row.high), "unit": str(row.unit),
            "qualifier": _text(row.qualifier), "quote": _text(row.quote)}


# ---------------------------------------------------------------- the result


@dataclass(frozen=True)
class Result:
    """What ``recommend`` finds for one patient; ``to_dict()`` is the result shape of docs/result.md."""

    patient: dict
    path: list[dict]
    recommendations: list[dict]
    pitfalls: list[dict]
    monitoring: list[dict]
    assessments: list[dict]
    other: list[dict]
    questions: list[dict]
    conflicts: list[dict]
    schedule: list[dict] = field(default_factory=list)
    pathways: list[str] = field(default_factory=list)
    incomplete: list[dict] = field(default_factory=list)
    ruled_out: list[dict] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    def items(self) -> list[dict]:
        """Every item of every list, in list order."""
        return [item for name in LIST_NAMES for item in getattr(self, name)]

    def statement_ids(self) -> set[str]:
        return {item["id"] for item in self.items()}

    def to_dict(self) -> dict:
        return {
            "patient": dict(self.patient),
            "path": [dict(step) for step in self.path],
            **{name: [dict(item) for item in getattr(self, name)] for name in LIST_NAMES},
            "questions": [dict(q) for q in self.questions],
            "conflicts": [dict(c) for c in self.conflicts],
            "schedule": [dict(s) for s in self.schedule],
            "pathways": list(self.pathways),
            "incomplete": [dict(g) for g in self.incomplete],
            "ruled_out": [dict(r) for r in self.ruled_out],
            "unused": list(self.unused),
        }

    def to_text(self) -> str:
        """The result as a readable report (the CLI's ``--format text``)."""
        return render_text(self)


def recommend(kb, facts: Mapping) -> Result:
    """The options the library's pathways give for one patient.

    Parameters
    ----------
    kb : a loaded :class:`~graph.kb.KnowledgeBase`.
    facts : patient fact key to value; an absent key (or None) is unknown and leads to a question.

    Returns
    -------
    Result : path, statements by kind with why / why_not, questions, conflicts, schedule.

    Raises
    ------
    InputError : a fact of the wrong type, out of range, not allowed, or an unknown key.

    Examples
    --------
    >>> from graph import KnowledgeBase
    >>> result = KnowledgeBase.load().recommend({"condition": "autoimmune_hepatitis"})
    >>> [q["key"] for q in result.questions][:2]
    ['tacrolimus_stopped', 'flare']
    """
    form = patient_form_of(kb)
    patient = check_facts(facts, form)
    # Only the pathways whose entry can hold are walked (graph.catalogue), and only the statements
    # their reached nodes recommend are read.
    walked = [traverse(p, patient, form) for p in catalogue_of(kb).candidates(patient)]
    traversals = [t for t in walked if t.entry_value is not False]
    statements = statement_items(kb, {s for t in traversals for n in t.reached for s in t.pathway.node(n).recommends})

    chosen: dict[str, dict] = {}
    for traversal in traversals:
        for node_iri in traversal.reached:
            node = traversal.pathway.node(node_iri)
            why, why_not = traversal.why[node_iri], _why_not(traversal, node_iri, form)
            for statement in node.recommends:
                if statement not in statements:
                    continue  # validate reports a dangling reference; the result never invents one
                item = chosen.get(statement)
                if item is None:
                    item = chosen[statement] = _patient_item(statements[statement], patient)
                item["nodes"].append(node_iri)
                _merge(item["why"], why)
                _merge(item["why_not"], why_not)

    lists: dict[str, list[dict]] = {name: [] for name in LIST_NAMES}
    for item in sorted(chosen.values(), key=lambda i: (i["guideline"], i["line"], i["id"])):
        lists[LISTS.get(item["kind"], "other")].append(item)
    everything = [item for name in LIST_NAMES for item in lists[name]]
    return Result(
        patient=patient,
        path=[{"node": n, "label": t.pathway.node(n).label, "pathway": t.pathway.iri} for t in traversals for n in t.reached],
        **lists,
        questions=_questions(traversals, set(chosen), everything, patient, form),
        conflicts=_conflicts(kb, set(chosen)),
        schedule=monitoring_schedule(everything),
        pathways=[t.pathway.iri for t in traversals],
        incomplete=incomplete_sources(kb, everything),
        ruled_out=[_ruled_out(t) for t in walked if t.entry_value is False and _for_condition(t, patient, form)],
        unused=_unused(patient, traversals, form),
    )


def _unused(patient: Mapping, traversals: list[Traversal], form: PatientForm) -> list[str]:
    """Given facts that no branch this patient reaches, or may still reach, asks about: a
    clinician should not think they shaped the options (a MELD score given for lupus nephritis).
    Weight is never listed: it turns per-kg doses into the patient's, wherever they appear. Empty
    when no pathway applies (``ruled_out`` says why)."""
    asked = {"weight_kg"}
    for traversal in traversals:
        _, open_nodes = undecided(traversal, patient, form)
        for node in [*traversal.reached, *open_nodes]:
            for branch in traversal.pathway.branches_from(node):
                asked |= branch.criterion.facts()
    return [key for key in patient if key not in asked] if traversals else []


def _for_condition(traversal: Traversal, patient: Mapping, form: PatientForm) -> bool:
    """Whether a pathway is for the patient's condition (or the condition is unknown): only such
    pathways are named as ruled out. Those for other conditions are many in a large library, and
    the entry index does not walk them, so naming them would make the answer depend on it."""
    if patient.get("condition") is None:
        return True
    only = {"condition": patient["condition"]}
    pathway = traversal.pathway
    return any(evaluate(b.criterion, only, form).value is not False for b in pathway.branches_from(pathway.entry))


def _ruled_out(traversal: Traversal) -> dict:
    """A pathway whose entry the facts make false, and the facts that did it, in words."""
    reasons: list[str] = []
    for step in traversal.closed.get(traversal.pathway.entry, []):
        _merge(reasons, list(step.failed))
    return {"pathway": traversal.pathway.iri, "label": traversal.pathway.label, "reasons": reasons}


def incomplete_sources(kb, items: list[dict]) -> list[dict]:
    """``{"guideline", "title", "reason"}`` of each guideline the items come from whose document is
    incomplete: what the source says after its last line is missing, so the options may be too."""
    used = {item["guideline"] for item in items}
    return [{"guideline": g["id"], "title": g["title"], "reason": g["incomplete_reason"] or "is incomplete"}
            for g in guidelines_of(kb) if g["id"] in used and not g["complete"]]


def _merge(target: list[str], words: list[str]) -> None:
    for word in words:
        if word not in target:
            target.append(word)


def _patient_item(base: dict, patient: Mapping) -> dict:
    """A statement's item with the patient's doses and the targets' equivalents."""
    item = {**base, "why": [], "why_not": [], "nodes": []}
    weight = patient.get("weight_kg")
    item["doses"] = [{**dose, "for_patient": patient_dose(dose, weight_kg=weight)} for dose in base["doses"]]
    targets = []
    for target in base["targets"]:
        shown = {k: v for k, v in target.items() if k != "molar_mass"}
        shown["equivalents"] = target_equivalents(shown, molar_mass=target.get("molar_mass"))
        targets.append(shown)
    item["targets"] = targets
    item["durations"] = [dict(d) for d in base["durations"]]
    return item


def _why_not(traversal: Traversal, node_iri: str, form: PatientForm) -> list[str]:
    """For each alternative on the node(s) that led here, what kept it from applying, in words."""
    reasons: list[str] = []
    for parent in traversal.parents(node_iri):
        for step in traversal.closed.get(parent.source, []):
            label = traversal.pathway.node(step.branch.target).label
            if step.value is False:
                reasons.append(f"{label}: not applicable — {'; '.join(step.failed)}")
            else:
                unknown = ", ".join(form[k].label if k in form else k for k in sorted(step.blocking, key=form.position))
                reasons.append(f"{label}: not decided — not known: {unknown}")
    return reasons


def _questions(traversals, chosen: set[str], items: list[dict], patient: Mapping, form: PatientForm) -> list[dict]:
    """Unknown facts that block branches, most decisive first: by how many statements not yet in
    the result the blocked branches would open, ties in declaration order."""
    opens: dict[str, set[str]] = {}
    decides: dict[str, list[str]] = {}
    for traversal in traversals:
        for step in traversal.blocked():
            below = traversal.pathway.statements_below(step.branch.target) - chosen
            label = traversal.pathway.node(step.branch.target).label
            for key in step.blocking:
                opens.setdefault(key, set()).update(below)
                if label not in decides.setdefault(key, []):
                    decides[key].append(label)
    ranked = sorted(opens, key=lambda k: (-len(opens[k]), form.position(k), k))
    questions = []
    for key in ranked:
        if key not in form:
            continue  # a fact no pathway declares: validate reports it, nobody can answer it
        questions.append({**form[key].to_question(), "decides": decides[key], "opens": len(opens[key])})
    # Weight decides no branch, but without it a per-kg dose cannot become the patient's dose.
    if "weight_kg" in form and "weight_kg" not in patient and "weight_kg" not in opens:
        per_kg = [item for item in items if any("/kg" in dose["unit"] for dose in item["doses"])]
        if per_kg:
            lines = ", ".join(f"{i['guideline']} line {i['line']}" for i in per_kg)
            questions.append({**form["weight_kg"].to_question(), "decides": [f"the patient's dose of the per-kg doses ({lines})"], "opens": 0})
    return questions


def _conflicts(kb, chosen: set[str]) -> list[dict]:
    # An index from statement to conflicts, once per load: a large library's conflicts name
    # thousands of statements, too many to scan for every patient.
    if "conflicts_by_statement" not in kb._cache:
        index: dict[str, set[int]] = {}
        for n, conflict in enumerate(kb.conflicts):
            for statement in conflict.statements:
                index.setdefault(str(statement), set()).add(n)
        kb._cache["conflicts_by_statement"] = index
    index = kb._cache["conflicts_by_statement"]
    hits = sorted({n for statement in chosen for n in index.get(statement, ())})
    return [{"statements": [str(s) for s in kb.conflicts[n].statements], "reason": kb.conflicts[n].reason} for n in hits]


# ---------------------------------------------------------------- the text report


def render_text(result: Result) -> str:
    """A readable report: safety line, path, options by guideline and line of therapy with doses,
    targets, citations, source lines and reasons; pitfalls, monitoring, assessments, schedule,
    conflicts and open questions."""
    out = [SAFETY_LINE, ""]
    disputes = conflicts_by_statement(result.conflicts)  # shown beside each statement, as the app does
    known = ", ".join(f"{k}={_show(v)}" for k, v in result.patient.items()) or "no facts given"
    out.append(f"Patient: {known}")
    if result.unused:
        out.append(f"Not used by the pathways that apply (they do not ask about it): {', '.join(result.unused)}")
    for source in result.incomplete:
        out.append(f"Incomplete source: {source['guideline']} {source['reason']}; {INCOMPLETE_NOTE}.")
    out.append("")
    out.append("Path")
    if not result.path:
        out.append("  no pathway applies to these facts")
        for gone in result.ruled_out[:RULED_OUT_SHOWN]:
            out.append(f"  - {_tail(gone['pathway'])}: {'; '.join(gone['reasons']) or 'its entry does not hold'}")
        if len(result.ruled_out) > RULED_OUT_SHOWN:
            out.append(f"  - and {len(result.ruled_out) - RULED_OUT_SHOWN:,} more pathways (the JSON lists them under ruled_out)")
    by_pathway: dict[str, list[str]] = {}
    for step in result.path:
        by_pathway.setdefault(step.get("pathway", ""), []).append(step["label"])
    for pathway, labels in by_pathway.items():
        out.append(f"  {_tail(pathway)}:")
        out.extend(f"    {'→ ' if i else ''}{label}" for i, label in enumerate(labels))
    sections = [("Recommendations", result.recommendations), ("Pitfalls", result.pitfalls),
                ("Monitoring", result.monitoring), ("Assessments", result.assessments),
                ("Background (rationale, evidence, timeline)", result.other)]
    for title, items in sections:
        if not items:
            continue
        out += ["", title]
        for guideline in dict.fromkeys(i["guideline"] for i in items):
            out.append(f"  from {guideline}:")
            ours = [i for i in items if i["guideline"] == guideline]
            for line_of_therapy in dict.fromkeys(i["line_of_therapy"] for i in ours):
                group = [i for i in ours if i["line_of_therapy"] == line_of_therapy]
                indent = "    "
                if line_of_therapy and title == "Recommendations":
                    out.append(f"    {line_of_therapy}:")
                    indent = "      "
                for item in group:
                    out.extend(_item_lines(item, indent, disputes.get(item["id"], ())))
    if result.schedule:
        out += ["", "Schedule (from the restart of therapy)"]
        for entry in result.schedule:
            out.append(f"  {_span(entry)}: {entry.get('what', '')} [{_short(entry.get('statement', ''))}]")
    if result.conflicts:
        out += ["", "Conflicts between sources (not resolved by this tool)"]
        for conflict in result.conflicts:
            out.append(f"  - {conflict['reason']}")
            out.append(f"    statements: {', '.join(_short(s) for s in conflict['statements'])}")
    out += ["", "Questions still open"]
    if not result.questions:
        out.append("  none")
    for n, question in enumerate(result.questions, start=1):
        options = question.get("options") or []
        if question["type"] in ("number", "integer"):
            unit = f" {unit_words(question['unit'])}" if question.get("unit") else ""
            choices = f"{question['type']} from {_show(question['min'])} to {_show(question['max'])}{unit}"
        else:
            choices = " / ".join(_as_input(o) for o in options)
        out.append(f"  {n}. {question['question']} ({question['key']}: {choices})")
        if question.get("decides"):
            out.append(f"     decides: {'; '.join(question['decides'])}")
    return "\n".join(out) + "\n"


def _item_lines(item: dict, indent: str, disputes=()) -> list[str]:
    cites = f" [{', '.join(map(str, item['citations']))}]" if item["citations"] else " [uncited]"
    # The source's words in quotes: an imperative in a guideline ("Start ...") is the source's, not ours.
    lines = [f"{indent}- \u201c{item['text']}\u201d{cites} (guideline line {item['line']}, {item['section']})"]
    more = indent + "    "
    if item["drugs"]:
        lines.append(f"{more}drugs: {', '.join(item['drugs'])}")
    for dose in item["doses"]:
        lines.append(f"{more}{dose_label(item['kind'])}: {_dose_text(dose)}")
    for target in item["targets"]:
        lines.append(f"{more}target: {_target_text(target)}")
    for reason in disputes:
        lines.append(f"{more}\u26a0 sources disagree (not resolved by this tool): {reason}")
    if item["why"]:
        lines.append(f"{more}why: {'; '.join(item['why'])}")
    for reason in item["why_not"]:
        if ": not decided — " not in reason:  # undecided alternatives are the open questions below
            lines.append(f"{more}why not: {reason}")
    return lines


def _dose_text(dose: dict) -> str:
    amount = f"{_range(dose['low'], dose['high'])} {dose['unit']}"
    if dose.get("comparator"):
        amount = f"{dose['comparator']} {amount}"
    if dose.get("frequency"):
        amount += f" {describe_frequency(dose['frequency'])}"
    if dose.get("taper_step"):
        amount = f"reduce by {amount}"
    # The source's own words beside the normalised amount: "glucocorticoid < 30 mg/d" was "less than 30 mg daily".
    quote = f"\u201c{dose['quote']}\u201d" if dose.get("quote") else None
    extras = ", ".join(x for x in (dose.get("route"), dose.get("basis"), quote) if x)
    text = f"{dose.get('drug') or 'unnamed drug'} {amount} (source{': ' + extras if extras else ''})"
    mine = dose.get("for_patient")
    if mine:
        text += f"; for this patient: {_range(mine['low'], mine['high'])} {mine['unit']}"
        if mine.get("frequency"):
            text += f" {describe_frequency(mine['frequency'])}"
    elif "/kg" in dose["unit"]:
        text += "; for this patient: weight needed"
    return text


def _target_text(target: dict) -> str:
    text = f"{target.get('analyte') or 'level'} {_range(target['low'], target['high'])} {target['unit']}"
    if target.get("population"):
        text += f" ({target['population']})"
    same = [f"{_range(e['low'], e['high'])} {e['unit']}" for e in target.get("equivalents") or []]
    if same:
        text += f" = {', '.join(same)}"
    stated = target.get("stated_as")
    if stated:
        text += f" (the source writes {_range(stated['low'], stated['high'])} {stated['unit']})"
    return text


def _range(low, high) -> str:
    return _show(low) if low == high else f"{_show(low)}-{_show(high)}"


def _span(entry: dict) -> str:
    """When a checkpoint falls, as the app's schedule says it: a recurring one is "every ...".

    >>> _span({"from": 2, "to": 2, "unit": "wk", "recurring": True}), _span({"from": 3, "to": 4, "unit": "wk"})
    ('every 2 wk', '3-4 wk')
    """
    every = "every " if entry.get("recurring") else ""
    return f"{every}{_range(entry.get('from'), entry.get('to'))} {entry.get('unit', '')}".strip()


def _as_input(value) -> str:
    """A choice as the patient file writes it: the answer to a question is typed back in as JSON.

    >>> _as_input(True), _as_input("severe")
    ('true', 'severe')
    """
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _show(value) -> str:
    """A value as the report prints it: a number exactly as the result holds it (already rounded
    where it was computed), so the report, the JSON and the app show the same dose.

    >>> _show(32.75), _show(327.5), _show(1234.5), _show(60.0), _show(True)
    ('32.75', '327.5', '1234.5', '60', 'yes')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return number_text(value)
    return str(value)


def _short(iri: str) -> str:
    """A statement IRI as guideline/section/n, enough to find it."""
    return re.sub(r"^https://w3id\.org/guidegraph/kb/", "", iri)


def _tail(iri: str) -> str:
    return _short(iri).removesuffix("/pathway")
