"""The vocabulary (ontology/guideline.ttl) and the SHACL shapes (ontology/shapes.ttl).

The vocabulary must declare every public term (DESIGN.md's vocabulary table, docs/model.md), each with
a label and a comment. The shapes must be well-formed SHACL, accept a small library written as
docs/model.md describes, and reject each defect below with the message that names the broken rule.
Statements are typed gg:Statement explicitly in the data, so validation runs without inference.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import re
import sys
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from graph.validate import library_checks, validate_graph

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "guideline.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"

GG = Namespace("https://w3id.org/guidegraph/ontology#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SCHEMA = Namespace("http://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")

# DESIGN.md, "Vocabulary (public contract)": every gg: name of the table. Hard-coded on purpose: the
# design file lives outside the repository.
DESIGN_TERMS = """
Guideline sourceFile complete Section order Statement text sourceLine guideline
Recommendation Pitfall Monitoring Assessment Rationale Evidence Timeline
lineOfTherapy FirstLine SecondLine ThirdLine Alternative
Citation referenceNumber Drug mentionsDrug
Dose drug low high unit route basis hasDose
TargetRange analyte Analyte hasTarget Duration hasDuration Condition appliesTo
Pathway DecisionNode Branch Criterion entry branch recommends when to fact operator value allOf anyOf not
PatientFact key question datatype allowedValue min max
Conflict statement reason
""".split()

# docs/model.md: the gg: names it uses beyond the table, plus the names the ontology adds for them.
MODEL_TERMS = """
incompleteReason lineCount isLead sourceText uncited isLeadIn leadIn mentionsDrugClass DrugClass
frequency comparator taperStep quote population statedAs Quantity unitsAgree qualifier drugClass
molarMass LinesOfTherapy pathway Operator
equals notEquals in lessThan lessOrEqual greaterThan greaterOrEqual isTrue isFalse
""".split()

DECLARING_TYPES = {
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.NamedIndividual,
    SKOS.Concept,
    SKOS.ConceptScheme,
}

PREFIXES = """
@prefix gg:      <https://w3id.org/guidegraph/ontology#> .
@prefix kb:      <https://w3id.org/guidegraph/kb/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix cito:    <http://purl.org/spar/cito/> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@base <https://w3id.org/guidegraph/kb/> .
"""

# A small library written as docs/model.md describes: one guideline with a lead section and one
# section, three statements, two citations, a dose, a target with a second unit, a duration, and a
# pathway over three patient facts. It must conform with no violations and no warnings.
GOOD = PREFIXES + """
<lupus-tacrolimus-rebound> a gg:Guideline ;
    dcterms:title "Management of Rebound Lupus Symptoms After Tacrolimus Discontinuation" ;
    dcterms:identifier "lupus-tacrolimus-rebound" ;
    gg:sourceFile "lupus-tacrolimus-rebound.txt" ;
    gg:complete true ;
    gg:lineCount 59 ;
    gg:appliesTo <condition/lupus_nephritis> .

<lupus-tacrolimus-rebound/lead> a gg:Section ;
    dcterms:title "Management of Rebound Lupus Symptoms After Tacrolimus Discontinuation" ;
    dcterms:isPartOf <lupus-tacrolimus-rebound> ;
    gg:guideline <lupus-tacrolimus-rebound> ;
    gg:order 0 ; gg:sourceLine 1 ; gg:isLead true .

<lupus-tacrolimus-rebound/first-line-approach> a gg:Section ;
    dcterms:title "First-Line Approach: Switch to Alternative Immunosuppression" ;
    dcterms:isPartOf <lupus-tacrolimus-rebound> ;
    gg:guideline <lupus-tacrolimus-rebound> ;
    gg:order 5 ; gg:sourceLine 16 ;
    gg:lineOfTherapy gg:FirstLine .

<lupus-tacrolimus-rebound/ref/1> a gg:Citation ;
    gg:referenceNumber 1 ; gg:guideline <lupus-tacrolimus-rebound> ;
    rdfs:label "reference 1 of lupus-tacrolimus-rebound" .

<lupus-tacrolimus-rebound/ref/7> a gg:Citation ;
    gg:referenceNumber 7 ; gg:guideline <lupus-tacrolimus-rebound> ;
    rdfs:label "reference 7 of lupus-tacrolimus-rebound" .

<lupus-tacrolimus-rebound/first-line-approach/1> a gg:Statement, gg:Recommendation ;
    gg:text "Mycophenolate mofetil (MMF) 2-3 g/day with glucocorticoids is the preferred option for managing this rebound flare:" ;
    gg:sourceText "Mycophenolate mofetil (MMF) 2-3 g/day with glucocorticoids is the preferred option for managing this rebound flare 1:" ;
    gg:sourceLine 17 ;
    dcterms:isPartOf <lupus-tacrolimus-rebound/first-line-approach> ;
    gg:guideline <lupus-tacrolimus-rebound> ;
    gg:order 1 ;
    cito:cites <lupus-tacrolimus-rebound/ref/1> ;
    gg:isLeadIn true ;
    gg:lineOfTherapy gg:FirstLine ;
    gg:mentionsDrug <drug/mycophenolate-mofetil> ;
    gg:mentionsDrugClass <drug-class/glucocorticoids> ;
    gg:appliesTo <condition/lupus_nephritis> ;
    gg:hasDose <lupus-tacrolimus-rebound/first-line-approach/1/dose/1> ;
    gg:hasDuration <lupus-tacrolimus-rebound/first-line-approach/1/duration/1> .

<lupus-tacrolimus-rebound/first-line-approach/1/dose/1> a gg:Dose ;
    gg:drug <drug/mycophenolate-mofetil> ;
    gg:low 2.0 ; gg:high 3.0 ; gg:unit "g/d" ;
    gg:route "oral" ; gg:quote "2-3 g/day" .

<lupus-tacrolimus-rebound/first-line-approach/1/duration/1> a gg:Duration ;
    gg:low 3.0 ; gg:high 5.0 ; gg:unit "a" ; gg:qualifier "at least" ; gg:quote "at least 3-5 years" .

<lupus-tacrolimus-rebound/first-line-approach/2> a gg:Statement, gg:Recommendation ;
    gg:text "Tacrolimus targeting trough levels of 4-6 ng/ml (5-7.4 nmol/l), 1 mg twice daily" ;
    gg:sourceText "- Tacrolimus targeting trough levels of 4-6 ng/ml (5-7.4 nmol/l), 1 mg twice daily 7" ;
    gg:sourceLine 18 ;
    dcterms:isPartOf <lupus-tacrolimus-rebound/first-line-approach> ;
    gg:guideline <lupus-tacrolimus-rebound> ;
    gg:order 2 ;
    cito:cites <lupus-tacrolimus-rebound/ref/7> ;
    gg:leadIn <lupus-tacrolimus-rebound/first-line-approach/1> ;
    gg:mentionsDrug <drug/tacrolimus> ;
    gg:hasDose <lupus-tacrolimus-rebound/first-line-approach/2/dose/1> ;
    gg:hasTarget <lupus-tacrolimus-rebound/first-line-approach/2/target/1> .

<lupus-tacrolimus-rebound/first-line-approach/2/dose/1> a gg:Dose ;
    gg:drug <drug/tacrolimus> ;
    gg:low 1.0 ; gg:high 1.0 ; gg:unit "mg" ; gg:frequency "2/d" ; gg:quote "1 mg twice daily" .

<lupus-tacrolimus-rebound/first-line-approach/2/target/1> a gg:TargetRange ;
    gg:analyte <analyte/tacrolimus-trough> ;
    gg:low 4.0 ; gg:high 6.0 ; gg:unit "ng/mL" ; gg:population "autoimmune" ;
    gg:statedAs <lupus-tacrolimus-rebound/first-line-approach/2/target/1/stated-as> ;
    gg:unitsAgree true ; gg:quote "4-6 ng/ml (5-7.4 nmol/l)" .

<lupus-tacrolimus-rebound/first-line-approach/2/target/1/stated-as> a gg:Quantity ;
    gg:low 5.0 ; gg:high 7.4 ; gg:unit "nmol/L" .

<lupus-tacrolimus-rebound/first-line-approach/3> a gg:Statement, gg:Pitfall ;
    gg:text "Do not stop immunosuppression abruptly" ;
    gg:sourceText "- Do not stop immunosuppression abruptly" ;
    gg:sourceLine 19 ;
    dcterms:isPartOf <lupus-tacrolimus-rebound/first-line-approach> ;
    gg:guideline <lupus-tacrolimus-rebound> ;
    gg:order 3 ;
    gg:uncited true .

<drug/mycophenolate-mofetil> a gg:Drug ;
    rdfs:label "mycophenolate mofetil" ; skos:altLabel "MMF" ;
    gg:drugClass <drug-class/immunosuppressants> .
<drug/tacrolimus> a gg:Drug ;
    rdfs:label "tacrolimus" ; gg:molarMass 804.02 ;
    gg:drugClass <drug-class/immunosuppressants> .
<drug-class/glucocorticoids> a gg:DrugClass ; rdfs:label "glucocorticoids" .
<drug-class/immunosuppressants> a gg:DrugClass ; rdfs:label "immunosuppressants" .
<analyte/tacrolimus-trough> a gg:Analyte ;
    rdfs:label "tacrolimus trough level" ; gg:drug <drug/tacrolimus> .
<condition/lupus_nephritis> a gg:Condition ;
    rdfs:label "lupus nephritis" ; skos:notation "lupus_nephritis" .

<lupus-tacrolimus-rebound/pathway> a gg:Pathway ;
    rdfs:label "rebound lupus after tacrolimus" ;
    gg:entry <lupus-tacrolimus-rebound/pathway/start> .

<lupus-tacrolimus-rebound/pathway/start> a gg:DecisionNode ;
    rdfs:label "start" ;
    gg:pathway <lupus-tacrolimus-rebound/pathway> ;
    gg:recommends <lupus-tacrolimus-rebound/first-line-approach/3> ;
    gg:branch <lupus-tacrolimus-rebound/pathway/start/to-first-line> .

<lupus-tacrolimus-rebound/pathway/start/to-first-line> a gg:Branch ;
    gg:when <lupus-tacrolimus-rebound/pathway/start/to-first-line/when> ;
    gg:to <lupus-tacrolimus-rebound/pathway/first-line> .

<lupus-tacrolimus-rebound/pathway/start/to-first-line/when> a gg:Criterion ;
    gg:allOf (
        [ a gg:Criterion ; gg:fact <fact/condition> ; gg:operator gg:in ;
          gg:value "lupus_nephritis", "sle_extrarenal" ]
        [ a gg:Criterion ; gg:fact <fact/flare> ; gg:operator gg:isTrue ]
        [ a gg:Criterion ; gg:not [ a gg:Criterion ; gg:fact <fact/weight_kg> ;
                                    gg:operator gg:lessThan ; gg:value 40 ] ]
    ) .

<lupus-tacrolimus-rebound/pathway/first-line> a gg:DecisionNode ;
    rdfs:label "first-line" ;
    gg:pathway <lupus-tacrolimus-rebound/pathway> ;
    gg:recommends <lupus-tacrolimus-rebound/first-line-approach/1>,
                  <lupus-tacrolimus-rebound/first-line-approach/2> .

<fact/condition> a gg:PatientFact ;
    gg:key "condition" ; rdfs:label "condition" ;
    gg:question "Which condition is being treated?" ;
    gg:datatype "choice" ;
    gg:allowedValue "lupus_nephritis", "sle_extrarenal", "autoimmune_hepatitis", "vasculitis", "other_autoimmune" .

<fact/flare> a gg:PatientFact ;
    gg:key "flare" ; rdfs:label "flare" ;
    gg:question "Has the disease flared or worsened since tacrolimus was stopped?" ;
    gg:datatype "boolean" .

<fact/weight_kg> a gg:PatientFact ;
    gg:key "weight_kg" ; rdfs:label "weight" ;
    gg:question "What is the patient's weight?" ;
    gg:datatype "number" ; gg:min 2 ; gg:max 350 ; gg:unit "kg" .

<conflict/1> a gg:Conflict ;
    gg:statement <lupus-tacrolimus-rebound/first-line-approach/1>,
                 <lupus-tacrolimus-rebound/first-line-approach/2> ;
    gg:reason "The two statements give different first-line drugs." .
"""

# Nodes the cases below change, as relative IRIs (base kb:).
STMT1 = "<lupus-tacrolimus-rebound/first-line-approach/1>"
STMT2 = "<lupus-tacrolimus-rebound/first-line-approach/2>"
STMT3 = "<lupus-tacrolimus-rebound/first-line-approach/3>"
DOSE1 = "<lupus-tacrolimus-rebound/first-line-approach/1/dose/1>"
DURATION1 = "<lupus-tacrolimus-rebound/first-line-approach/1/duration/1>"
TARGET2 = "<lupus-tacrolimus-rebound/first-line-approach/2/target/1>"
BRANCH = "<lupus-tacrolimus-rebound/pathway/start/to-first-line>"


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES)


def good_graph() -> Graph:
    return Graph().parse(data=GOOD, format="turtle")


def mutated(update: str) -> Graph:
    """The good graph after one SPARQL Update (prefixes included)."""
    graph = good_graph()
    graph.update(header() + update)
    return graph


def header() -> str:
    """PREFIXES as a SPARQL prologue."""
    return PREFIXES.replace("@prefix", "PREFIX").replace("@base", "BASE").replace(" .\n", "\n")


def validate(data: Graph, shapes: Graph) -> tuple[bool, list[dict]]:
    """What `guidegraph validate` runs: the shapes (no inference, warnings reported but not failing
    `conforms`) plus the whole-library SPARQL checks of ontology/checks/."""
    report = validate_graph(data, shapes=shapes, rules=library_checks(ROOT / "ontology" / "checks"))
    severities = {"violation": SH.Violation, "warning": SH.Warning, "info": SH.Info}
    results = [
        {"focus": URIRef(f.focus), "message": f.message, "severity": severities[f.severity]}
        for f in report.findings
    ]
    return report.conforms, results


def iri(name: str) -> URIRef:
    """The IRI of "gg:term" or of a relative instance reference such as "<drug/tacrolimus>"."""
    if name.startswith("gg:"):
        return GG[name[3:]]
    return URIRef("https://w3id.org/guidegraph/kb/" + name.strip("<>"))


def declared_terms(ontology: Graph) -> set[URIRef]:
    return {
        s
        for s, o in ontology.subject_objects(RDF.type)
        if isinstance(s, URIRef) and s.startswith(str(GG)) and o in DECLARING_TYPES
    }


# --------------------------------------------------------------------------------------------------
# the vocabulary
# --------------------------------------------------------------------------------------------------


def test_ontology_parses_and_has_metadata(ontology):
    ontology_iri = URIRef("https://w3id.org/guidegraph/ontology")
    assert (ontology_iri, RDF.type, OWL.Ontology) in ontology
    dcterms = Namespace("http://purl.org/dc/terms/")
    for prop in (dcterms.title, dcterms.description, OWL.versionInfo):
        assert ontology.value(ontology_iri, prop), prop


@pytest.mark.parametrize("name", DESIGN_TERMS + MODEL_TERMS)
def test_public_term_is_declared(ontology, name):
    assert GG[name] in declared_terms(ontology), f"gg:{name} is not declared"


def test_every_term_in_model_doc_is_declared(ontology):
    """docs/model.md (in the repository) names no gg: term the vocabulary lacks."""
    model = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    named = {GG[name] for name in re.findall(r"\bgg:([A-Za-z][A-Za-z0-9]*)", model)}
    assert named, "docs/model.md names no gg: terms"
    assert named <= declared_terms(ontology), sorted(named - declared_terms(ontology))


def test_every_declared_term_has_label_and_comment(ontology):
    missing = [
        str(term)
        for term in declared_terms(ontology)
        if not ontology.value(term, RDFS.label) or not ontology.value(term, RDFS.comment)
    ]
    assert not missing


def test_every_gg_term_used_is_declared(ontology, shapes):
    """Shapes and example data use no undeclared gg: name (a typo would silently match nothing)."""
    declared = declared_terms(ontology)
    for graph in (shapes, good_graph(), ontology):
        used = {t for triple in graph for t in triple if isinstance(t, URIRef) and t.startswith(str(GG))}
        assert used <= declared, sorted(used - declared)


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (GG.Guideline, SCHEMA.MedicalGuideline),
        (GG.Guideline, PROV.Entity),
        (GG.Recommendation, SCHEMA.MedicalGuidelineRecommendation),
        (GG.Drug, SCHEMA.Drug),
        (GG.DrugClass, SCHEMA.DrugClass),
        (GG.Dose, SCHEMA.DoseSchedule),
        (GG.Condition, SCHEMA.MedicalCondition),
    ]
    + [
        (GG[kind], GG.Statement)
        for kind in "Recommendation Pitfall Monitoring Assessment Rationale Evidence Timeline".split()
    ],
)
def test_alignment(ontology, child, parent):
    assert (child, RDFS.subClassOf, parent) in ontology


def test_lines_of_therapy_are_skos_concepts(ontology):
    labels = {}
    for concept in (GG.FirstLine, GG.SecondLine, GG.ThirdLine, GG.Alternative):
        assert (concept, RDF.type, SKOS.Concept) in ontology
        assert (concept, SKOS.inScheme, GG.LinesOfTherapy) in ontology
        labels[str(ontology.value(concept, SKOS.prefLabel))] = concept
    assert (GG.LinesOfTherapy, RDF.type, SKOS.ConceptScheme) in ontology
    assert set(labels) == {"first-line", "second-line", "third-line", "alternative"}
    vocab = load_graph_module("vocab")
    assert labels == vocab.LINES_OF_THERAPY


def test_statement_kinds_match_graph_vocab(ontology):
    vocab = load_graph_module("vocab")
    kinds = {c for c in ontology.subjects(RDFS.subClassOf, GG.Statement)}
    assert kinds == set(vocab.KINDS.values())


def test_operators_are_individuals(ontology):
    operators = set(ontology.subjects(RDF.type, GG.Operator))
    names = "equals notEquals in lessThan lessOrEqual greaterThan greaterOrEqual isTrue isFalse"
    assert operators == {GG[n] for n in names.split()}


# --------------------------------------------------------------------------------------------------
# the shapes graph itself
# --------------------------------------------------------------------------------------------------


def test_shapes_are_well_formed_shacl(shapes):
    """Validate the shapes against the SHACL-for-SHACL graph pySHACL ships."""
    shacl_shacl = Graph().parse(
        importlib.resources.files("pyshacl") / "assets" / "shacl-shacl.ttl", format="turtle"
    )
    conforms, _, text = pyshacl.validate(shapes, shacl_graph=shacl_shacl, inference="none")
    assert conforms, text


def test_every_constraint_has_a_message(shapes):
    """Each shape that carries constraints names its rule in words (sh:message)."""
    constraint_params = {
        SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH["in"], SH.pattern, SH.minLength,
        SH.minInclusive, SH.minExclusive, SH.lessThanOrEquals, SH.hasValue, SH["or"], SH.xone,
        SH.sparql,
    }  # fmt: skip
    # Operands of sh:or / sh:xone and qualified value shapes: the enclosing shape carries the message.
    operands = set(shapes.objects(None, SH.qualifiedValueShape))
    for logical in (SH["or"], SH.xone):
        for head in shapes.objects(None, logical):
            for member in shapes.items(head):
                operands.add(member)
                operands.update(shapes.objects(member, SH.property))
    missing = []
    for shape in set(shapes.subjects()) - operands:
        if shapes.value(shape, SH.select) is not None:  # a SPARQL constraint
            if shapes.value(shape, SH.message) is None:
                missing.append(shape)
            continue
        params = {p for p in shapes.predicates(shape) if p in constraint_params and p != SH.sparql}
        if params and shapes.value(shape, SH.message) is None:
            missing.append(shape)
    assert not missing, missing


def units_in_shapes(shapes: Graph, shape_name: str) -> list[str]:
    """The UCUM codes a unit shape allows: the alternatives of its "^(a|b|c)$" pattern."""
    shape = URIRef("https://w3id.org/guidegraph/shapes#" + shape_name)
    pattern = str(shapes.value(shape, SH.pattern))
    assert pattern.startswith("^(") and pattern.endswith(")$"), pattern
    return [code.replace("\\.", ".") for code in pattern[2:-2].split("|")]


def load_graph_module(name: str):
    """graph/<name>.py, loaded from its file so a half-built graph package does not hide it."""
    path = ROOT / "graph" / f"{name}.py"
    if not path.exists():
        pytest.skip(f"graph/{name}.py does not exist yet")
    spec = importlib.util.spec_from_file_location(f"graph_{name}_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_unit_lists_match_graph_units(shapes):
    """graph/units.py and ontology/shapes.ttl allow the same UCUM codes and frequency pattern."""
    units = load_graph_module("units")
    for shape_name, attribute in (
        ("DoseUnit", "DOSE_UNITS"),
        ("TargetUnit", "TARGET_UNITS"),
        ("DurationUnit", "DURATION_UNITS"),
    ):
        assert sorted(units_in_shapes(shapes, shape_name)) == sorted(getattr(units, attribute)), attribute
    frequency = {
        str(p)
        for shape in shapes.subjects(SH.path, GG.frequency)
        for p in shapes.objects(shape, SH.pattern)
    }
    assert frequency == {units.FREQUENCY_PATTERN}


def test_unit_lists_in_shapes(shapes):
    dose_units = units_in_shapes(shapes, "DoseUnit")
    assert {"mg", "g/d", "mg/kg/d", "mg/m2", "ug/kg/h"} <= set(dose_units)
    assert not {"mg/day", "mcg", "mcg/d"} & set(dose_units)  # UCUM writes micrograms "ug"
    assert units_in_shapes(shapes, "DurationUnit") == ["h", "d", "wk", "mo", "a"]
    assert {"ng/mL", "nmol/L", "mg.h/L", "%"} <= set(units_in_shapes(shapes, "TargetUnit"))


# --------------------------------------------------------------------------------------------------
# the shapes on data
# --------------------------------------------------------------------------------------------------


def test_good_graph_conforms_without_warnings(shapes):
    conforms, results = validate(good_graph(), shapes)
    assert conforms, results
    assert results == []


def test_good_graph_merged_with_ontology_conforms(shapes, ontology):
    """The knowledge base holds data and vocabulary in one graph; the vocabulary triggers no shape."""
    conforms, results = validate(good_graph() + ontology, shapes)
    assert conforms and results == [], results


KB = "https://w3id.org/guidegraph/kb/"
GUIDELINE = "<lupus-tacrolimus-rebound>"


def full(relative: str) -> str:
    return KB + relative.strip("<>")


# pytest.param(SPARQL update on the good graph, focus node, expected message start, id=case).
# Cross-node checks on statements report the guideline as focus node (they run once per guideline),
# and checks on comparisons report the patient fact they test; the message names the culprit.
VIOLATIONS = [
    pytest.param(
        f"DELETE {{ {DOSE1} gg:low ?x }} INSERT {{ {DOSE1} gg:low 4.0 }} WHERE {{ {DOSE1} gg:low ?x }}",
        DOSE1,
        "gg:low must not be greater than gg:high.",
        id="dose-low-above-high",
    ),
    pytest.param(
        f"DELETE WHERE {{ {STMT1} gg:sourceLine ?x }}",
        STMT1,
        "A statement has exactly one gg:sourceLine, an xsd:integer >= 1.",
        id="statement-without-source-line",
    ),
    pytest.param(
        f"DELETE WHERE {{ {STMT1} gg:sourceLine ?x }} ; INSERT DATA {{ {STMT1} gg:sourceLine 0 }}",
        STMT1,
        "A statement has exactly one gg:sourceLine, an xsd:integer >= 1.",
        id="statement-source-line-zero",
    ),
    pytest.param(
        f"DELETE WHERE {{ {STMT1} gg:sourceLine ?x }} ; INSERT DATA {{ {STMT1} gg:sourceLine 60 }}",
        GUIDELINE,
        f"{full(STMT1)} has gg:sourceLine 60, beyond the last line of its guideline (gg:lineCount 59).",
        id="statement-source-line-beyond-file",
    ),
    pytest.param(
        f"DELETE WHERE {{ {STMT1} cito:cites ?x }}",
        STMT1,
        "A statement either cites at least one gg:Citation (cito:cites) or is marked gg:uncited true.",
        id="statement-neither-cited-nor-uncited",
    ),
    pytest.param(
        f"DELETE WHERE {{ {STMT3} gg:uncited ?x }} ; INSERT DATA {{ {STMT3} gg:uncited false }}",
        STMT3,
        "gg:uncited is only ever true",
        id="statement-uncited-false",
    ),
    pytest.param(
        f"INSERT DATA {{ {STMT1} gg:uncited true }}",
        GUIDELINE,
        f"Statement {full(STMT1)} both cites a reference and is marked gg:uncited true",
        id="statement-cited-and-uncited",
    ),
    pytest.param(
        f"INSERT DATA {{ {STMT1} cito:cites <other/ref/1> . "
        "<other/ref/1> a gg:Citation ; gg:referenceNumber 1 ; gg:guideline <other> . "
        '<other> a gg:Guideline ; dcterms:title "Other" ; dcterms:identifier "other" ; gg:complete true }',
        GUIDELINE,
        f"Statement {full(STMT1)} cites {KB}other/ref/1 of another guideline",
        id="statement-cites-other-guideline",
    ),
    pytest.param(
        f"DELETE WHERE {{ {STMT3} dcterms:isPartOf ?x }} ; INSERT DATA {{ {STMT3} dcterms:isPartOf <other/lead> . "
        '<other/lead> a gg:Section ; dcterms:title "Other" ; dcterms:isPartOf <other> ; gg:guideline <other> . '
        '<other> a gg:Guideline ; dcterms:title "Other" ; dcterms:identifier "other" ; gg:complete true }',
        GUIDELINE,
        f"{full(STMT3)} is dcterms:isPartOf {KB}other/lead, which is not part of the same guideline.",
        id="statement-in-section-of-other-guideline",
    ),
    pytest.param(
        f'DELETE WHERE {{ {STMT3} gg:text ?x }} ; INSERT DATA {{ {STMT3} gg:text "  " }}',
        STMT3,
        "A statement has exactly one gg:text, a non-empty string.",
        id="statement-blank-text",
    ),
    pytest.param(
        f"DELETE WHERE {{ {STMT3} dcterms:isPartOf ?x }} ; "
        f"INSERT DATA {{ {STMT3} dcterms:isPartOf {GUIDELINE} }}",
        STMT3,
        "A statement is dcterms:isPartOf exactly one gg:Section.",
        id="statement-part-of-guideline-not-section",
    ),
    pytest.param(
        f"INSERT DATA {{ {STMT3} gg:lineOfTherapy gg:equals }}",
        STMT3,
        "gg:lineOfTherapy is at most one of gg:FirstLine",
        id="statement-line-of-therapy-not-a-line",
    ),
    pytest.param(
        f'DELETE WHERE {{ {DOSE1} gg:unit ?x }} ; INSERT DATA {{ {DOSE1} gg:unit "mg/day" }}',
        DOSE1,
        "A dose has exactly one gg:unit, a UCUM code from the dose unit list",
        id="dose-unit-not-ucum",
    ),
    pytest.param(
        f'DELETE WHERE {{ {DOSE1} gg:high ?x }} ; INSERT DATA {{ {DOSE1} gg:high "3" }}',
        DOSE1,
        "Exactly one gg:high, an xsd:decimal.",
        id="dose-high-not-decimal",
    ),
    pytest.param(
        f"DELETE WHERE {{ {DOSE1} gg:drug ?x }} ; INSERT DATA {{ {DOSE1} gg:drug <condition/lupus_nephritis> }}",
        DOSE1,
        "A dose's gg:drug is a gg:Drug or a gg:DrugClass.",
        id="dose-drug-not-a-drug",
    ),
    pytest.param(
        f'INSERT DATA {{ {DOSE1} gg:frequency "twice daily" }}',
        DOSE1,
        "A dose has at most one gg:frequency, a UCUM rate",
        id="dose-frequency-not-ucum",
    ),
    pytest.param(
        f'DELETE WHERE {{ {TARGET2} gg:unit ?x }} ; INSERT DATA {{ {TARGET2} gg:unit "ng/ml" }}',
        TARGET2,
        "A target range has exactly one gg:unit",
        id="target-unit-lower-case-ml",
    ),
    pytest.param(
        f"DELETE WHERE {{ {TARGET2} gg:analyte ?x }}",
        TARGET2,
        "A target range has exactly one gg:analyte, a gg:Analyte.",
        id="target-without-analyte",
    ),
    pytest.param(
        f'DELETE WHERE {{ {DURATION1} gg:unit ?x }} ; INSERT DATA {{ {DURATION1} gg:unit "years" }}',
        DURATION1,
        "A duration has exactly one gg:unit, a UCUM time code",
        id="duration-unit-not-ucum",
    ),
    pytest.param(
        f"DELETE WHERE {{ {GUIDELINE} gg:complete ?x }}",
        GUIDELINE,
        "A guideline has exactly one gg:complete",
        id="guideline-without-complete",
    ),
    pytest.param(
        f'DELETE WHERE {{ {GUIDELINE} dcterms:identifier ?x }} ; INSERT DATA {{ {GUIDELINE} dcterms:identifier "Lupus_Rebound" }}',
        GUIDELINE,
        "A guideline has exactly one dcterms:identifier",
        id="guideline-identifier-not-an-id",
    ),
    pytest.param(
        "DELETE WHERE { <lupus-tacrolimus-rebound/ref/7> gg:referenceNumber ?x }",
        "<lupus-tacrolimus-rebound/ref/7>",
        "A citation has exactly one gg:referenceNumber",
        id="citation-without-number",
    ),
    pytest.param(
        "DELETE WHERE { <lupus-tacrolimus-rebound/first-line-approach> dcterms:isPartOf ?x }",
        "<lupus-tacrolimus-rebound/first-line-approach>",
        "A section is dcterms:isPartOf exactly one parent.",
        id="section-without-parent",
    ),
    pytest.param(
        "DELETE WHERE { <lupus-tacrolimus-rebound/first-line-approach> dcterms:isPartOf ?x } ; "
        "INSERT DATA { <lupus-tacrolimus-rebound/first-line-approach> dcterms:isPartOf <drug/tacrolimus> }",
        "<lupus-tacrolimus-rebound/first-line-approach>",
        "A section's dcterms:isPartOf parent is a gg:Section or a gg:Guideline.",
        id="section-part-of-a-drug",
    ),
    pytest.param(
        f"DELETE WHERE {{ {BRANCH} gg:to ?x }}",
        BRANCH,
        "A branch has exactly one gg:to, a gg:DecisionNode.",
        id="branch-without-to",
    ),
    pytest.param(
        f"DELETE WHERE {{ {BRANCH} gg:when ?x }} ; INSERT DATA {{ {BRANCH} gg:when <fact/flare> }}",
        BRANCH,
        "A branch has exactly one gg:when, a gg:Criterion.",
        id="branch-when-not-a-criterion",
    ),
    pytest.param(
        "DELETE WHERE { <lupus-tacrolimus-rebound/pathway> gg:entry ?x }",
        "<lupus-tacrolimus-rebound/pathway>",
        "A pathway has exactly one gg:entry",
        id="pathway-without-entry",
    ),
    pytest.param(
        "INSERT DATA { <lupus-tacrolimus-rebound/pathway/first-line> gg:recommends <drug/tacrolimus> }",
        "<lupus-tacrolimus-rebound/pathway/first-line>",
        "A decision node's gg:recommends points to a gg:Statement.",
        id="node-recommends-non-statement",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:fact <condition/lupus_nephritis> ; gg:operator gg:isTrue }",
        "<c>",
        "A criterion's gg:fact is a gg:PatientFact.",
        id="criterion-fact-not-a-patient-fact",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:fact <fact/flare> }",
        "<c>",
        "A comparison criterion (one with gg:fact) has exactly one gg:operator.",
        id="criterion-without-operator",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:fact <fact/flare> ; gg:operator gg:isTrue ; gg:not <d> . "
        "<d> a gg:Criterion ; gg:fact <fact/flare> ; gg:operator gg:isFalse }",
        "<c>",
        "A criterion is exactly one of",
        id="criterion-two-forms",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:operator gg:isTrue }",
        "<c>",
        "A criterion is exactly one of",
        id="criterion-operator-without-fact",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:operator gg:isTrue ; gg:not <d> . "
        "<d> a gg:Criterion ; gg:fact <fact/flare> ; gg:operator gg:isFalse }",
        "<c>",
        "A combined criterion (gg:allOf, gg:anyOf, gg:not) has no gg:operator",
        id="criterion-combined-with-operator",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:allOf () }",
        "<c>",
        "gg:allOf and gg:anyOf hold a non-empty RDF list.",
        id="criterion-empty-all-of",
    ),
    pytest.param(
        'INSERT DATA { <c> a gg:Criterion ; gg:anyOf ( "flare" ) }',
        "<c>",
        "Every member of a gg:anyOf list is a gg:Criterion.",
        id="criterion-any-of-literal",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:fact <fact/flare> ; gg:operator gg:isGreat }",
        "<c>",
        "A criterion's gg:operator is one of",
        id="criterion-unknown-operator",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:fact <fact/weight_kg> ; gg:operator gg:greaterThan }",
        "gg:greaterThan",
        "A criterion with gg:equals, gg:notEquals or an order comparison has exactly one gg:value.",
        id="criterion-comparison-without-value",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:fact <fact/weight_kg> ; gg:operator gg:greaterThan ; gg:value 1, 2 }",
        "gg:greaterThan",
        "A criterion with gg:equals, gg:notEquals or an order comparison has exactly one gg:value.",
        id="criterion-comparison-with-two-values",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:fact <fact/condition> ; gg:operator gg:in }",
        "gg:in",
        "A criterion with gg:in has one gg:value per value it accepts, at least one.",
        id="criterion-in-without-values",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:fact <fact/flare> ; gg:operator gg:isTrue ; gg:value true }",
        "gg:isTrue",
        "A criterion with gg:isTrue or gg:isFalse takes no gg:value.",
        id="criterion-is-true-with-value",
    ),
    pytest.param(
        'INSERT DATA { <c> a gg:Criterion ; gg:fact <fact/condition> ; gg:operator gg:equals ; gg:value "lupus-nephritis" }',
        "<fact/condition>",
        f"The criterion of {KB}c compares the fact condition with lupus-nephritis, which does not fit the fact's "
        "gg:datatype choice",
        id="criterion-value-not-allowed",
    ),
    pytest.param(
        'INSERT DATA { <c> a gg:Criterion ; gg:fact <fact/weight_kg> ; gg:operator gg:lessThan ; gg:value "40" }',
        "<fact/weight_kg>",
        f"The criterion of {KB}c compares the fact weight_kg with 40, which does not fit the fact's gg:datatype number",
        id="criterion-number-compared-with-string",
    ),
    pytest.param(
        "INSERT DATA { <c> a gg:Criterion ; gg:fact <fact/condition> ; gg:operator gg:isTrue }",
        "gg:isTrue",
        'gg:isTrue and gg:isFalse test a fact of gg:datatype "boolean".',
        id="criterion-operator-does-not-fit-fact",
    ),
    pytest.param(
        'INSERT DATA { <c> a gg:Criterion ; gg:fact <fact/condition> ; gg:operator gg:lessThan ; gg:value "vasculitis" }',
        "gg:lessThan",
        "Order comparisons (gg:lessThan, gg:lessOrEqual, gg:greaterThan, gg:greaterOrEqual) test a fact",
        id="criterion-order-comparison-on-choice-fact",
    ),
    pytest.param(
        "DELETE WHERE { <fact/condition> gg:allowedValue ?x }",
        "<fact/condition>",
        'A patient fact of gg:datatype "choice" lists at least one gg:allowedValue.',
        id="choice-fact-without-values",
    ),
    pytest.param(
        'DELETE WHERE { <fact/flare> gg:key ?x } ; INSERT DATA { <fact/flare> gg:key "Flare" }',
        "<fact/flare>",
        "A patient fact has exactly one gg:key",
        id="fact-key-not-snake-case",
    ),
    pytest.param(
        'DELETE WHERE { <fact/flare> gg:datatype ?x } ; INSERT DATA { <fact/flare> gg:datatype "bool" }',
        "<fact/flare>",
        "A patient fact has exactly one gg:datatype",
        id="fact-datatype-unknown",
    ),
    pytest.param(
        "DELETE WHERE { <fact/weight_kg> gg:min ?x } ; INSERT DATA { <fact/weight_kg> gg:min 400 }",
        "<fact/weight_kg>",
        "A patient fact has at most one gg:min, not greater than its gg:max.",
        id="fact-min-above-max",
    ),
    pytest.param(
        'DELETE WHERE { <fact/weight_kg> gg:max ?x } ; INSERT DATA { <fact/weight_kg> gg:max "350" }',
        "<fact/weight_kg>",
        "A patient fact's gg:min and gg:max are numbers; 350 is not.",
        id="fact-max-not-a-number",
    ),
    pytest.param(
        f"DELETE WHERE {{ <conflict/1> gg:statement {STMT2} }}",
        "<conflict/1>",
        "A conflict names at least two gg:statement",
        id="conflict-with-one-statement",
    ),
]


STORES = ["memory", "oxigraph"]


def in_store(graph: Graph, store: str) -> Graph:
    """The same triples in rdflib's memory store or in oxrdflib's Oxigraph store."""
    if store == "memory":
        return graph
    copy = Graph(store="Oxigraph")
    copy += graph
    return copy


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize(("update", "focus", "message"), VIOLATIONS)
def test_violation(shapes, update, focus, message, store):
    conforms, results = validate(in_store(mutated(update), store), shapes)
    assert not conforms
    found = [r for r in results if r["focus"] == iri(focus) and r["message"].startswith(message)]
    assert found, results
    assert all(r["severity"] == SH.Violation for r in found)


WARNINGS = [
    pytest.param(
        "DELETE WHERE { <drug/tacrolimus> rdfs:label ?x } ; INSERT DATA { <drug/tacrolimus> rdfs:label \"Tacrolimus\" }",
        "<drug/tacrolimus>",
        "A drug or drug class rdfs:label is written in lower case",
        id="drug-label-capitalised",
    ),
    pytest.param(
        "DELETE WHERE { <lupus-tacrolimus-rebound> gg:complete ?x } ; "
        "INSERT DATA { <lupus-tacrolimus-rebound> gg:complete false }",
        "<lupus-tacrolimus-rebound>",
        "A guideline should give gg:incompleteReason exactly when it is gg:complete false.",
        id="incomplete-guideline-without-reason",
    ),
    pytest.param(
        f"DELETE WHERE {{ {TARGET2} gg:unitsAgree ?x }} ; INSERT DATA {{ {TARGET2} gg:unitsAgree false }}",
        TARGET2,
        "The source states this target range in two units that do not agree",
        id="target-units-disagree",
    ),
]


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize(("update", "focus", "message"), WARNINGS)
def test_warning_is_advice_not_a_violation(shapes, update, focus, message, store):
    conforms, results = validate(in_store(mutated(update), store), shapes)
    assert conforms, results
    assert [(r["focus"], r["severity"]) for r in results] == [(iri(focus), SH.Warning)]
    assert results[0]["message"].startswith(message)


def test_oxigraph_backed_graph_validates(shapes):
    """pySHACL validates a graph held in oxrdflib's Oxigraph store directly.

    Strings read back from Oxigraph carry an explicit ^^xsd:string, which rdflib does not treat as
    equal to a plain literal: the shapes must not use sh:in over strings (they use sh:pattern).
    """
    good = Graph(store="Oxigraph")
    good.parse(data=GOOD, format="turtle")
    unit = good.value(iri(DOSE1), GG.unit)
    assert unit == Literal("g/d", datatype=XSD_STRING) and unit != Literal("g/d")  # the trap
    conforms, results = validate(good, shapes)
    assert conforms and results == [], results

    bad = Graph(store="Oxigraph")
    bad.parse(data=GOOD, format="turtle")
    bad.update(
        header()
        + f'DELETE WHERE {{ {DOSE1} gg:unit ?x }} ; INSERT DATA {{ {DOSE1} gg:unit "mg/day" }} ; '
        + f"INSERT DATA {{ {STMT1} gg:uncited true }}"
    )
    conforms, results = validate(bad, shapes)
    assert not conforms
    assert sorted((r["focus"], r["message"][:40]) for r in results) == [
        (iri(GUIDELINE), f"Statement {full(STMT1)}"[:40]),
        (iri(DOSE1), "A dose has exactly one gg:unit, a UCUM c"),
    ]
