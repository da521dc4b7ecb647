"""docs/authoring.md, followed step by step with the CLI: a new document, a new condition and a
pathway, from `parse` to the options a patient gets. The document is a test fixture, not guidance."""

from __future__ import annotations

import json
import shutil

from graph.cli import main
from graph.library import DEFAULT_LIBRARY

DOCUMENT = "Example Guideline\nTreatment of a Flare\n- Give prednisone 30 mg daily for a flare 1\n"
CONDITION = """
condition:examplo_disease a gg:Condition ;
    rdfs:label "examplo disease" ;
    skos:notation "examplo_disease" .
"""


def pathway(statement: str) -> str:
    return f"""@prefix gg: <https://w3id.org/guidegraph/ontology#> .
@prefix kb: <https://w3id.org/guidegraph/kb/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix fact: <https://w3id.org/guidegraph/kb/fact/> .
@base <https://w3id.org/guidegraph/kb/example-guideline/pathway/> .

<https://w3id.org/guidegraph/kb/example-guideline/pathway> a gg:Pathway ;
    rdfs:label "Example flare" ; gg:guideline kb:example-guideline ; gg:entry <start> .
<start> a gg:DecisionNode ; rdfs:label "Has the example disease flared?" ;
    gg:pathway <https://w3id.org/guidegraph/kb/example-guideline/pathway> ; gg:branch <start/to-treat> .
<start/to-treat> a gg:Branch ; rdfs:label "a flare of the example disease" ;
    gg:when <start/to-treat/when> ; gg:to <treat> .
<start/to-treat/when> a gg:Criterion ; gg:allOf (
    [ a gg:Criterion ; gg:fact fact:condition ; gg:operator gg:equals ; gg:value "examplo_disease" ]
    [ a gg:Criterion ; gg:fact fact:flare ; gg:operator gg:isTrue ] ) .
<treat> a gg:DecisionNode ; rdfs:label "Treating the flare" ;
    gg:pathway <https://w3id.org/guidegraph/kb/example-guideline/pathway> ; gg:recommends <{statement}> .
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_authoring_guide_leads_from_a_new_document_to_a_patients_options(tmp_path, capsys):
    library = tmp_path / "library"
    shutil.copytree(DEFAULT_LIBRARY, library)
    source = tmp_path / "example-guideline.txt"
    source.write_text(DOCUMENT, encoding="utf-8")
    lib = ("--library", str(library))

    # 1. parse: the statement's address, for the pathway
    code, out, _ = run(capsys, *lib, "parse", str(source), "--format", "json")
    (statement,) = [s for section in json.loads(out)["sections"] for s in section["statements"]]
    assert code == 0 and statement["line"] == 3
    assert statement["iri"] == "https://w3id.org/guidegraph/kb/example-guideline/treatment-of-a-flare/1"

    # 2. ingest
    assert run(capsys, *lib, "ingest", str(source), "--id", "example-guideline")[0] == 0

    # 3. the pathway, over a condition the library does not know yet: the finding names both files
    (library / "example-guideline.pathway.ttl").write_text(pathway(statement["iri"]), encoding="utf-8")
    code, _, err = run(capsys, *lib, "validate")
    assert code == 1 and "[CriterionValueFitsFact]" in err
    assert "(example-guideline.pathway.ttl) compares the fact condition with examplo_disease" in err
    assert "fact/condition (autoimmune-tacrolimus-rebound.pathway.ttl) is declared" in err

    # the guide's three edits for a new condition
    with (library / "terminology.ttl").open("a", encoding="utf-8") as terminology:
        terminology.write(CONDITION)
    facts = library / "autoimmune-tacrolimus-rebound.pathway.ttl"
    text = facts.read_text(encoding="utf-8")
    text = text.replace('"vasculitis", "other_autoimmune" ;\n    sh:in', '"vasculitis", "other_autoimmune", "examplo_disease" ;\n    sh:in', 1)
    text = text.replace('"vasculitis" "other_autoimmune" ) ;', '"vasculitis" "other_autoimmune" "examplo_disease" ) ;', 1)
    facts.write_text(text, encoding="utf-8")

    # 4. validate: it conforms, and asks for the record of what was checked
    code, out, _ = run(capsys, *lib, "validate")
    assert code == 0 and out.startswith("conforms, with warnings: 1 finding(s)") and "[pathway-unreviewed]" in out

    # 5. review, and validate has nothing left to say
    code, out, _ = run(capsys, *lib, "review", "example-guideline")
    assert code == 0 and out == "example-guideline.reviewed.json: 1 statement(s) recorded as checked (a new file)\n"
    assert run(capsys, *lib, "validate")[1] == "conforms: no findings\n"

    # 6. a patient with the new condition gets the statement, with its line and dose
    patient = tmp_path / "patient.json"
    patient.write_text(json.dumps({"condition": "examplo_disease", "flare": True}), encoding="utf-8")
    code, out, _ = run(capsys, *lib, "recommend", str(patient), "--format", "json")
    result = json.loads(out)
    assert code == 0
    assert [(r["guideline"], r["line"]) for r in result["recommendations"]] == [("example-guideline", 3)]
    (dose,) = result["recommendations"][0]["doses"]
    assert (dose["drug"], dose["low"], dose["unit"]) == ("prednisone", 30, "mg/d")
