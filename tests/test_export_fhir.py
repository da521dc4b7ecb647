"""The FHIR export: an R4 Bundle in the Clinical Practice Guidelines pattern, checked with the
``fhir.resources`` models (its R4B module: FHIR 4.3, whose PlanDefinition, ActivityDefinition and
Bundle are those of R4 4.0.1 for every element used here; the package's default module is R5)."""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal

import pytest

from graph import cli
from graph.export.fhir import PLAN_TYPE_SYSTEM, UCUM, fhir_bundle
from graph.export.tree import pathway_trees
from graph.vocab import GG

r4b = pytest.importorskip("fhir.resources.R4B")
from fhir.resources.R4B.bundle import Bundle  # noqa: E402

LIBRARIES = [pytest.param("kb", id="seeds"), pytest.param("sample_kb", id="sample")]


@pytest.fixture(params=LIBRARIES)
def library(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def bundle(library):
    return fhir_bundle(library)


def resources(bundle, resource_type=None, plan_type=None):
    found = [e["resource"] for e in bundle["entry"]]
    if resource_type:
        found = [r for r in found if r["resourceType"] == resource_type]
    if plan_type:
        found = [r for r in found if r.get("type", {}).get("coding", [{}])[0].get("code") == plan_type]
    return found


def walk_actions(actions):
    for action in actions:
        yield action
        yield from walk_actions(action.get("action", []))


def test_bundle_validates_and_every_resource_parses(bundle):
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection" and len(parsed.entry) == len(bundle["entry"])
    for entry in bundle["entry"]:
        model = r4b.get_fhir_model_class(entry["resource"]["resourceType"])
        model.model_validate(entry["resource"])
    # Through JSON text as well: what a FHIR server receives.
    Bundle.model_validate_json(json.dumps(bundle))


def test_one_clinical_protocol_per_pathway(library, bundle):
    protocols = resources(bundle, "PlanDefinition", "clinical-protocol")
    assert sorted(p["url"] for p in protocols) == sorted(str(s) for s in library.graph.subjects(GG.entry, None))
    for protocol in protocols:
        assert protocol["type"]["coding"][0]["system"] == PLAN_TYPE_SYSTEM


def test_actions_mirror_the_decision_nodes(library, bundle):
    for tree in pathway_trees(library.graph):
        protocol = next(p for p in resources(bundle, "PlanDefinition") if p["url"] == tree.iri)
        top = protocol["action"]
        assert len(top) == 1 and top[0]["title"] == tree.node(tree.entry).label and "condition" not in top[0]
        node_actions = [a for a in walk_actions(top) if "id" in a]
        assert {re.sub(r"-\d+$", "", a["id"]) for a in node_actions} == {n.key for n in tree.nodes}
        by_id = {a["id"]: a for a in node_actions}
        for branch in tree.branches:
            parent = by_id[branch.source]
            child = next(a for a in parent["action"] if a.get("id", "").startswith(branch.target)
                         and a["condition"][0]["expression"]["expression"] == branch.expression)
            condition = child["condition"][0]
            assert condition["kind"] == "applicability"
            assert condition["expression"]["language"] == "text/plain"
            assert condition["expression"]["description"] == branch.criterion
        for node in tree.nodes:
            listed = [a["definitionCanonical"] for a in by_id[node.key].get("action", []) if "definitionCanonical" in a]
            assert listed == [s.iri for s in node.statements]


def test_every_recommended_statement_is_an_eca_rule(library, bundle):
    recommended = {str(s) for s in library.graph.objects(None, GG.recommends)}
    rules = {r["url"]: r for r in resources(bundle, "PlanDefinition", "eca-rule")}
    assert set(rules) == recommended
    for tree in pathway_trees(library.graph):
        for node in tree.nodes:
            for statement in node.statements:
                rule = rules[statement.iri]
                assert rule["description"] == statement.text
                assert rule["topic"][0]["text"] == statement.kind
                citations = [a for a in rule["relatedArtifact"] if a["type"] == "citation"]
                assert [int(a["label"]) for a in citations] == list(statement.citations)
                source = next(a for a in rule["relatedArtifact"] if a["type"] == "derived-from")
                assert source["label"] == statement.guideline and f"line {statement.line}" in source["display"]


def _graph_doses(library):
    """(statement, drug, low, high, unit) of every dose of every recommendation a pathway recommends."""
    g = library.graph
    doses = Counter()
    for statement in set(g.objects(None, GG.recommends)):
        if (statement, None, GG.Recommendation) not in g:
            continue
        for dose in g.objects(statement, GG.hasDose):
            if g.value(dose, GG.taperStep) is not None and g.value(dose, GG.taperStep).toPython():
                continue
            drug = str(g.value(g.value(dose, GG.drug), __import__("rdflib").RDFS.label))
            low, high = Decimal(str(g.value(dose, GG.low))), Decimal(str(g.value(dose, GG.high)))
            doses[(str(statement), drug, low, high, str(g.value(dose, GG.unit)))] += 1
    return doses


def _bundle_doses(bundle):
    doses = Counter()
    for activity in resources(bundle, "ActivityDefinition"):
        statement = activity["url"].rsplit("/activity/", 1)[0]
        drug = activity["productCodeableConcept"]["text"]
        for dosage in activity["dosage"]:
            amount = dosage["doseAndRate"][0]
            if "doseQuantity" in amount:
                q = amount["doseQuantity"]
                low = high = q
            else:
                low, high = amount["doseRange"].get("low"), amount["doseRange"].get("high")
                low, high = low or high, high or low  # a bound: the one side the source gives
            for q in (low, high):
                assert q["system"] == UCUM and q["code"] == q["unit"]
            doses[(statement, drug, Decimal(str(low["value"])), Decimal(str(high["value"])), low["code"])] += 1
    return doses


def test_every_dose_of_the_recommendations_is_a_dosage(library, bundle):
    expected = _graph_doses(library)
    assert expected, "the library's pathways recommend doses"
    assert _bundle_doses(bundle) == expected
    for activity in resources(bundle, "ActivityDefinition"):
        assert activity["kind"] == "MedicationRequest" and activity["intent"] == "proposal"


def test_doses_of_other_statements_stay_in_their_words_and_propose_nothing(library, bundle):
    """A pitfall's or evidence's dose is no proposal: it is in the statement's text, not an ActivityDefinition."""
    rules = {r["url"]: r for r in resources(bundle, "PlanDefinition", "eca-rule")}
    proposed = {a["url"].rsplit("/activity/", 1)[0] for a in resources(bundle, "ActivityDefinition")}
    others = [s for t in pathway_trees(library.graph) for n in t.nodes for s in n.statements
              if s.kind != "recommendation" and s.doses]
    assert others, "the pathways recommend pitfalls or evidence that quote doses"
    for statement in others:
        assert statement.iri not in proposed
        assert "definitionCanonical" not in rules[statement.iri]["action"][0]
        for dose in statement.doses:
            assert dose.quote and dose.quote in rules[statement.iri]["description"]


def test_a_taper_step_is_no_dose_to_give(kb):
    # autoimmune line 6: "... reduce prednisone by 10 mg and azathioprine by 50 mg monthly ..."
    bundle = fhir_bundle(kb, pathway="autoimmune-tacrolimus-rebound")
    line6 = [a for a in resources(bundle, "ActivityDefinition") if a["url"].endswith(("/6/activity/prednisone", "/6/activity/azathioprine"))]
    assert line6 == []
    [rule] = [r for r in resources(bundle, "PlanDefinition", "eca-rule")
              if r["url"].startswith("https://w3id.org/guidegraph/kb/autoimmune-tacrolimus-rebound/") and "reduce prednisone by 10 mg" in r["description"]]
    assert "azathioprine by 50 mg monthly" in rule["description"]
    assert "definitionCanonical" not in rule["action"][0]


def test_a_statement_in_a_disagreement_says_so_in_its_usage(kb):
    bundle = fhir_bundle(kb, pathway="autoimmune-tacrolimus-rebound")
    rules = {r["url"].rsplit("/kb/", 1)[1]: r for r in resources(bundle, "PlanDefinition", "eca-rule")}
    [line15] = [r for r in rules.values() if "trough levels of 6 ng/mL" in r["description"]]
    assert "Sources disagree on tacrolimus trough level: 0.6-1 ng/mL, 6 ng/mL," in line15["usage"]
    assert line15["usage"].endswith("guidegraph does not pick one.")
    [renal] = [r for r in rules.values() if r["description"].startswith("Monitor renal function regularly")]
    assert "disagree" not in renal["usage"]


def test_per_kg_doses_stay_per_kg_and_ranges_are_ranges(kb):
    bundle = fhir_bundle(kb, pathway="lupus-tacrolimus-rebound")
    hydroxychloroquine = next(
        a for a in resources(bundle, "ActivityDefinition") if a["productCodeableConcept"]["text"] == "hydroxychloroquine"
    )
    dosage = hydroxychloroquine["dosage"][0]
    assert dosage["doseAndRate"][0]["doseQuantity"] == {"value": 5, "unit": "mg/kg/d", "system": UCUM, "code": "mg/kg/d"}
    assert dosage["additionalInstruction"] == [{"text": "dose by actual body weight"}]
    mmf = next(a for a in resources(bundle, "ActivityDefinition") if a["productCodeableConcept"]["text"] == "mycophenolate mofetil")
    assert mmf["dosage"][0]["doseAndRate"][0]["doseRange"] == {
        "low": {"value": 2, "unit": "g/d", "system": UCUM, "code": "g/d"},
        "high": {"value": 3, "unit": "g/d", "system": UCUM, "code": "g/d"},
    }
    assert mmf["dosage"][0]["text"] == "2-3 g/day"


def test_no_terminology_codes_and_stable_valid_ids(kb):
    bundle = fhir_bundle(kb)
    text = json.dumps(bundle)
    systems = set(re.findall(r'"system": "([^"]+)"', text))
    assert systems == {PLAN_TYPE_SYSTEM, UCUM, "urn:ietf:rfc:3986"}
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", i) for i in ids)
    assert [e["resource"]["id"] for e in fhir_bundle(kb)["entry"]] == ids
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls) and all(u.startswith("urn:uuid:") for u in full_urls)


def test_cli_export_fhir(tmp_path, capsys):
    out = tmp_path / "bundle.json"
    assert cli.main(["export", "fhir", "-o", str(out)]) == 0
    parsed = Bundle.model_validate_json(out.read_text(encoding="utf-8"))
    assert len(parsed.entry) > 10
    assert cli.main(["export", "fhir", "-o", str(out)]) == 2
    assert cli.main(["export", "fhir", "--pathway", "nope"]) == 2
    assert "no pathway 'nope'" in capsys.readouterr().err


def test_an_every_two_weeks_dose_keeps_its_timing(tmp_path):
    """Before: the rate "0.5/wk" ("rituximab 1 g IV every 2 weeks") matched no timing pattern, and
    the Dosage lost how often the dose is given."""
    from graph import KnowledgeBase
    from tests.helpers import MINI_PATHWAY, write_mini_library

    root = write_mini_library(tmp_path / "lib", MINI_PATHWAY, reviewed=False)
    (root / "mini.txt").write_text("Mini Guideline\nGive rituximab 1 g IV every 2 weeks for flares. 1\n", encoding="utf-8")
    (activity,) = resources(fhir_bundle(KnowledgeBase.load(root)), "ActivityDefinition")
    (dosage,) = activity["dosage"]
    assert dosage["timing"] == {"repeat": {"frequency": 1, "period": 2, "periodUnit": "wk"}}
    assert dosage["doseAndRate"] == [{"doseQuantity": {"value": 1, "unit": "g", "system": UCUM, "code": "g"}}]
