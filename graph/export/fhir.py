"""The decision layer as a FHIR R4 Bundle, in the pattern of the HL7 Clinical Practice Guidelines
implementation guide (CPG on FHIR).

- One ``PlanDefinition`` of type ``clinical-protocol`` per pathway. Its actions mirror the decision
  nodes, nested as the tree is: a node's action holds an action per statement the node makes
  applicable and an action per branch target, whose ``condition`` (kind ``applicability``) carries
  the branch's criteria.
- One ``PlanDefinition`` of type ``eca-rule`` per statement a pathway recommends (any kind: a pitfall
  is shown as much as a recommendation), with the statement's text, kind and line of therapy.
- One ``ActivityDefinition`` (kind ``MedicationRequest``, intent ``proposal``) per drug of a
  *recommendation* that gives a dose, its ``dosage`` in UCUM quantities: ranges as ``doseRange``,
  per-kg doses in ``mg/kg/d``. Doses quoted by pitfalls, evidence and rationale statements stay in
  their statement's text: a proposal to give them would turn a warning into an order. So do taper
  steps ("reduce prednisone by 10 mg monthly"): FHIR's Dosage has no amount to reduce by, and as a
  ``doseQuantity`` the step would read as a dose of 10 mg to give monthly.
- ``usage`` on every resource: the safety note and, for a statement in a disagreement between
  sources, the disagreement (topic and every value), since guidegraph does not pick one.
- ``relatedArtifact`` on every resource: ``derived-from`` the guideline (section and source line),
  and one ``citation`` per reference number the statement cites.

Conditions are written in ``text/plain``: the criteria as text over the patient-fact keys
(``severity in ('severe', 'organ_threatening')``) with the same criteria in words as the description.
No CQL library exists behind them, so ``text/cql-identifier`` would name identifiers a CDS engine
cannot resolve; plain text says truthfully that a person or a mapping reads them.

No terminology codes are written (no RxNorm, SNOMED CT, LOINC): none is verified. Products are
``CodeableConcept.text`` only. Resource ids are derived from the IRIs (readable part plus a hash),
so the same library always gives the same ids, and ``url`` is the IRI itself.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from decimal import Decimal

from .tree import SAFETY_NOTE, DoseLine, StatementLine, Tree, TreeNode, library_trees
from ..units import frequency_timing

PLAN_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
UCUM = "http://unitsofmeasure.org"
IRI_SYSTEM = "urn:ietf:rfc:3986"
#: The language of applicability conditions; see the module docstring for why not CQL.
EXPRESSION_LANGUAGE = "text/plain"
KB_PREFIX = "https://w3id.org/guidegraph/kb/"
_PERIOD_UNITS = ("s", "min", "h", "d", "wk", "mo", "a")


def resource_id(iri: str) -> str:
    """A FHIR id (``[A-Za-z0-9\\-\\.]{1,64}``) derived from an IRI: readable, unique, stable.

    >>> resource_id("https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound/pathway")
    'lupus-tacrolimus-rebound-pathway-cb609d5df3'
    >>> len(resource_id("https://w3id.org/guidegraph/kb/" + "x/" * 80)) <= 64
    True
    """
    tail = iri[len(KB_PREFIX):] if iri.startswith(KB_PREFIX) else iri
    readable = re.sub(r"[^A-Za-z0-9]+", "-", tail).strip("-")[:53].rstrip("-")
    digest = hashlib.sha1(iri.encode("utf-8")).hexdigest()[:10]
    return f"{readable}-{digest}" if readable else digest


def _computable_name(text: str) -> str:
    """A FHIR computable name: letters and digits, starting with a capital.

    >>> _computable_name("Rebound lupus after tacrolimus was stopped")
    'ReboundLupusAfterTacrolimusWasStopped'
    """
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[:1].isalpha() else "G" + name


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _quantity(value: Decimal, unit: str) -> dict:
    return {"value": _number(value), "unit": unit, "system": UCUM, "code": unit}


def _timing(frequency: str | None) -> dict | None:
    """A UCUM rate such as "2/d" or "1/mo" as a FHIR timing.

    >>> _timing("1/mo")
    {'repeat': {'frequency': 1, 'period': 1, 'periodUnit': 'mo'}}
    >>> _timing("0.5/wk"), _timing("1/(3.wk)")
    ({'repeat': {'frequency': 1, 'period': 2, 'periodUnit': 'wk'}}, {'repeat': {'frequency': 1, 'period': 3, 'periodUnit': 'wk'}})
    >>> _timing("1/2.wk") is None
    True
    """
    timing = frequency_timing(frequency)
    if timing is None or timing[2] not in _PERIOD_UNITS:
        return None
    times, period, unit = timing
    return {"repeat": {"frequency": times, "period": period, "periodUnit": unit}}


def dosage(dose: DoseLine, *, sequence: int) -> dict:
    """One FHIR Dosage: a range as ``doseRange``, one value as ``doseQuantity``, a bound ("less than
    30 mg") as a range open on one side; the source's words in ``text``.

    >>> dosage(DoseLine("prednisone", Decimal("0.5"), Decimal("1"), "mg/kg/d"), sequence=1)["doseAndRate"]
    [{'doseRange': {'low': {'value': 0.5, 'unit': 'mg/kg/d', 'system': 'http://unitsofmeasure.org', 'code': 'mg/kg/d'}, 'high': {'value': 1, 'unit': 'mg/kg/d', 'system': 'http://unitsofmeasure.org', 'code': 'mg/kg/d'}}}]
    """
    if dose.comparator in ("<", "<="):
        amount = {"doseRange": {"high": _quantity(dose.high, dose.unit)}}
    elif dose.comparator in (">", ">="):
        amount = {"doseRange": {"low": _quantity(dose.low, dose.unit)}}
    elif dose.low == dose.high:
        amount = {"doseQuantity": _quantity(dose.low, dose.unit)}
    else:
        amount = {"doseRange": {"low": _quantity(dose.low, dose.unit), "high": _quantity(dose.high, dose.unit)}}
    result: dict = {"sequence": sequence, "text": dose.quote or dose.words()}
    instructions = []
    if dose.comparator:
        instructions.append({"text": f"bound stated by the source: {dose.comparator} {dose.words()}"})
    if dose.basis:
        instructions.append({"text": f"dose by {dose.basis}"})
    if instructions:
        result["additionalInstruction"] = instructions
    timing = _timing(dose.frequency)
    if timing:
        result["timing"] = timing
    if dose.route:
        result["route"] = {"text": dose.route}
    result["doseAndRate"] = [amount]
    return result


# ---------------------------------------------------------------- related artifacts


def _derived_from(guideline: str, title: str, where: str = "") -> dict:
    return {"type": "derived-from", "label": guideline, "display": f"{title or guideline} ({guideline}){where}"}


def statement_artifacts(statement: StatementLine, titles: dict[str, str]) -> list[dict]:
    """derived-from the guideline (section, line), and a citation per reference number."""
    title = titles.get(statement.guideline, "")
    where = f", section {statement.section!r}, line {statement.line}" if statement.section else f", line {statement.line}"
    artifacts = [_derived_from(statement.guideline, title, where)]
    for number in statement.citations:
        artifacts.append(
            {
                "type": "citation",
                "label": str(number),
                "display": f"Reference {number} of {title or statement.guideline} ({statement.guideline})",
                "citation": f"{statement.guideline}, reference {number}",
            }
        )
    return artifacts


# ---------------------------------------------------------------- resources


def _meta(url: str) -> dict:
    return {"id": resource_id(url), "url": url, "identifier": [{"system": IRI_SYSTEM, "value": url}]}


def _plan_type(code: str, display: str) -> dict:
    return {"coding": [{"system": PLAN_TYPE_SYSTEM, "code": code, "display": display}]}


def activity_url(statement: StatementLine, drug: str) -> str:
    return f"{statement.iri}/activity/{re.sub(r'[^a-z0-9]+', '-', drug.lower()).strip('-')}"


def activity_definitions(statement: StatementLine, titles: dict[str, str]) -> list[dict]:
    """One MedicationRequest proposal per drug a recommendation doses (none for other kinds, none
    for a taper step)."""
    if statement.kind != "recommendation":
        return []
    by_drug: dict[str, list[DoseLine]] = {}
    for dose in statement.doses:
        if dose.drug and not dose.taper_step:
            by_drug.setdefault(dose.drug, []).append(dose)
    resources = []
    for drug, doses in by_drug.items():
        url = activity_url(statement, drug)
        resources.append(
            {
                "resourceType": "ActivityDefinition",
                **_meta(url),
                "name": _computable_name(f"{drug} {statement.guideline} line {statement.line}"),
                "title": f"{drug}: {statement.guideline}, line {statement.line}",
                "status": "draft",
                "description": statement.text,
                "usage": _usage(statement),
                "relatedArtifact": statement_artifacts(statement, titles),
                "kind": "MedicationRequest",
                "intent": "proposal",
                "productCodeableConcept": {"text": drug},
                "dosage": [dosage(d, sequence=i) for i, d in enumerate(doses, start=1)],
            }
        )
    return resources


def _usage(statement: StatementLine) -> str:
    """The safety note, and each disagreement the statement is in: a system that reads the resource
    alone must not take one side of it for the sources' agreement."""
    return " ".join([SAFETY_NOTE, *(f"{d}; guidegraph does not pick one." for d in statement.disputes)])


def recommendation_plan(statement: StatementLine, titles: dict[str, str], activities: list[dict]) -> dict:
    """An eca-rule PlanDefinition: the statement, its kind and line of therapy, its proposals."""
    topics = [{"text": statement.kind}] + ([{"text": statement.line_of_therapy}] if statement.line_of_therapy else [])
    if activities:
        actions = [
            {"title": a["title"], "description": statement.text, "definitionCanonical": a["url"]} for a in activities
        ]
    else:
        actions = [{"title": statement.heading(), "description": statement.text}]
    return {
        "resourceType": "PlanDefinition",
        **_meta(statement.iri),
        "name": _computable_name(f"{statement.guideline} {statement.section} {statement.line}"),
        "title": f"{statement.kind.capitalize()}: {statement.guideline}, line {statement.line}",
        "type": _plan_type("eca-rule", "ECA Rule"),
        "status": "draft",
        "description": statement.text,
        "usage": _usage(statement),
        "topic": topics,
        "relatedArtifact": statement_artifacts(statement, titles),
        "action": actions,
    }


def _node_action(tree: Tree, node: TreeNode, condition: dict | None, seen: dict[str, int], stack: tuple[str, ...]) -> dict:
    seen[node.key] = seen.get(node.key, 0) + 1
    action: dict = {"id": node.key if seen[node.key] == 1 else f"{node.key}-{seen[node.key]}", "title": node.label}
    if node.question:
        action["description"] = node.question
    if condition:
        action["condition"] = [condition]
    children = [
        {"title": s.heading(), "description": s.text, "definitionCanonical": s.iri} for s in node.statements
    ]
    for branch in tree.branches:
        if branch.source != node.key or branch.target in stack:
            continue  # pathways are acyclic (validate checks); the guard keeps a broken one finite
        condition = {
            "kind": "applicability",
            "expression": {"description": branch.criterion, "language": EXPRESSION_LANGUAGE, "expression": branch.expression},
        }
        children.append(_node_action(tree, tree.node(branch.target), condition, seen, stack + (node.key,)))
    if children:
        action["selectionBehavior"] = "any"
        action["action"] = children
    return action


def pathway_plan(tree: Tree) -> dict:
    """A clinical-protocol PlanDefinition whose nested actions mirror the pathway's decision nodes."""
    return {
        "resourceType": "PlanDefinition",
        **_meta(tree.iri),
        "name": _computable_name(tree.title),
        "title": tree.title,
        "type": _plan_type("clinical-protocol", "Clinical Protocol"),
        "status": "draft",
        "description": f"Decision pathway ({tree.id}). {tree.source()}.",
        "usage": SAFETY_NOTE,
        "relatedArtifact": [_derived_from(doc_id, title) for doc_id, title in tree.sources],
        "action": [_node_action(tree, tree.node(tree.entry), None, {}, ())],
    }


def fhir_bundle(kb, *, pathway: str | None = None) -> dict:
    """The decision layer as a FHIR R4 Bundle of type collection (a plain dict, JSON-ready).

    Parameters
    ----------
    kb : a loaded KnowledgeBase.
    pathway : one pathway id or IRI; None exports every pathway.

    Examples
    --------
    >>> from graph import KnowledgeBase
    >>> bundle = fhir_bundle(KnowledgeBase.load(validate=False))
    >>> bundle["resourceType"], bundle["type"]
    ('Bundle', 'collection')
    >>> sorted({e["resource"]["type"]["coding"][0]["code"] for e in bundle["entry"] if "type" in e["resource"]})
    ['clinical-protocol', 'eca-rule']
    """
    trees = library_trees(kb, pathway=pathway)
    titles = {doc_id: title for tree in trees for doc_id, title in tree.sources}
    titles.update({doc_id: doc.title for doc_id, doc in getattr(kb, "documents", {}).items()})
    statements: dict[str, StatementLine] = {}
    for tree in trees:
        for node in tree.nodes:
            for statement in node.statements:
                statements.setdefault(statement.iri, statement)
    ordered = sorted(statements.values(), key=lambda s: (s.guideline, s.line, s.iri))
    resources = [pathway_plan(tree) for tree in trees]
    activities = []
    for statement in ordered:
        own = activity_definitions(statement, titles)
        activities += own
        resources.append(recommendation_plan(statement, titles, own))
    resources += activities
    return {
        "resourceType": "Bundle",
        "id": "guidegraph-" + (resource_id(trees[0].iri) if pathway else "library"),
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, r['url'])}", "resource": r} for r in resources
        ],
    }


def bundle_json(bundle: dict) -> str:
    """The bundle as JSON text, two-space indented, in construction order (the same every time)."""
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
