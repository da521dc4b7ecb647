"""The terminology graph and the lexicon read from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF, RDFS, SKOS

from graph.terminology import GENERIC_LEVEL_KEY, Lexicon, Term
from graph.vocab import GG

TERMINOLOGY = Path(__file__).resolve().parent.parent / "guidelines" / "terminology.ttl"

SEED_DRUGS = [
    "mycophenolate mofetil", "rituximab", "belimumab", "obinutuzumab", "tacrolimus", "cyclophosphamide",
    "prednisone", "hydroxychloroquine", "azathioprine", "cyclosporine", "methotrexate", "sirolimus",
]
OTHER_DRUGS = [
    "prednisolone", "methylprednisolone", "voclosporin", "anifrolumab", "mycophenolic acid", "budesonide",
    "leflunomide", "intravenous immunoglobulin",
]
CONDITION_KEYS = ["lupus_nephritis", "sle_extrarenal", "autoimmune_hepatitis", "vasculitis", "other_autoimmune"]


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph().parse(TERMINOLOGY, format="turtle")


@pytest.fixture(scope="module")
def lex(graph) -> Lexicon:
    return Lexicon.from_graph(graph)


# ---------------------------------------------------------------- the terminology file


def test_every_drug_of_both_seeds_and_the_field_is_there(lex):
    labels = {t.label for t in lex.drugs.values()}
    assert set(SEED_DRUGS + OTHER_DRUGS) <= labels


@pytest.mark.parametrize(
    "synonym, label",
    [
        ("MMF", "mycophenolate mofetil"), ("AZA", "azathioprine"), ("HCQ", "hydroxychloroquine"),
        ("cyclosporin", "cyclosporine"), ("ciclosporin", "cyclosporine"), ("CYC", "cyclophosphamide"),
        ("MTX", "methotrexate"), ("MPA", "mycophenolic acid"), ("IVIG", "intravenous immunoglobulin"),
        ("glucocorticoids", "glucocorticoid"), ("corticosteroids", "glucocorticoid"),
        ("corticosteroid", "glucocorticoid"), ("steroids", "glucocorticoid"),
        ("calcineurin inhibitors", "calcineurin inhibitor"),
    ],
)
def test_synonyms_resolve(lex, synonym, label):
    assert lex.drug_by_label(synonym).label == label


@pytest.mark.parametrize(
    "drug, cls",
    [
        ("tacrolimus", "calcineurin inhibitor"), ("cyclosporine", "calcineurin inhibitor"),
        ("voclosporin", "calcineurin inhibitor"), ("prednisone", "glucocorticoid"),
        ("methylprednisolone", "glucocorticoid"), ("azathioprine", "antimetabolite"),
        ("mycophenolate mofetil", "antimetabolite"), ("rituximab", "b-cell depleting agent"),
        ("obinutuzumab", "b-cell depleting agent"),
    ],
)
def test_drug_classes(lex, drug, cls):
    term = lex.drug_by_label(drug)
    assert lex.drug_classes[term.parent].label == cls


def test_b_cell_depleting_agents_are_biologics(lex):
    assert lex.drug_classes["b-cell-depleting-agent"].parent == "biologic"


@pytest.mark.parametrize(
    "drug, mass", [("tacrolimus", 804.02), ("cyclosporine", 1202.61), ("mycophenolic acid", 320.34)]
)
def test_molar_masses(lex, drug, mass):
    assert lex.drug_by_label(drug).molar_mass == pytest.approx(mass)


def test_biologics_have_no_molar_mass(lex):
    for label in ("rituximab", "belimumab", "obinutuzumab", "anifrolumab"):
        assert lex.drug_by_label(label).molar_mass is None


def test_conditions_are_keyed_by_the_patient_fact_values(lex):
    assert sorted(lex.conditions) == sorted(CONDITION_KEYS)
    assert lex.conditions["sle_extrarenal"].label == "systemic lupus erythematosus"
    assert {"lupus", "SLE"} <= set(lex.conditions["sle_extrarenal"].synonyms)
    assert "AIH" in lex.conditions["autoimmune_hepatitis"].synonyms
    assert {"autoimmune condition", "autoimmune conditions"} <= set(lex.conditions["other_autoimmune"].synonyms)
    assert lex.conditions["lupus_nephritis"].parent == "sle_extrarenal"
    assert lex.conditions["autoimmune_hepatitis"].parent == "other_autoimmune"
    assert lex.conditions["other_autoimmune"].parent is None
    assert lex.conditions["lupus_nephritis"].iri == "https://w3id.org/guidegraph/kb/condition/lupus_nephritis"


def test_analytes(lex):
    trough = lex.analytes["tacrolimus-trough"]
    assert trough.label == "tacrolimus trough level"
    assert trough.drug == "tacrolimus"
    assert trough.iri == "https://w3id.org/guidegraph/kb/analyte/tacrolimus-trough"
    assert lex.analytes["cyclosporine-trough"].drug == "cyclosporine"
    assert lex.analytes["mycophenolic-acid-level"].drug == "mycophenolic-acid"
    for key in ("proteinuria", "serum-creatinine", "aminotransferases", "complement-c3", "complement-c4", "anti-dsdna"):
        assert lex.analytes[key].drug is None
    assert "transaminases" in lex.analytes["aminotransferases"].synonyms
    assert lex.drug_level("tacrolimus") is trough
    assert lex.drug_level("prednisone") is None
    assert lex.generic_level.key == GENERIC_LEVEL_KEY


def test_iris_follow_the_model(lex):
    assert lex.drugs["mycophenolate-mofetil"].iri == "https://w3id.org/guidegraph/kb/drug/mycophenolate-mofetil"
    assert lex.drug_classes["glucocorticoid"].iri == "https://w3id.org/guidegraph/kb/drug-class/glucocorticoid"
    assert str(lex.drugs["tacrolimus"].iri_ref) == lex.drugs["tacrolimus"].iri


def test_drug_and_class_labels_are_lower_case(lex):
    for term in lex.terms(("drug", "drug_class")):
        assert term.label == term.label.lower(), term.label


def test_no_terminology_codes(graph):
    # Codes only where verified (docs/model.md); none could be verified for this file.
    assert not list(graph.triples((None, SKOS.exactMatch, None)))
    assert not list(graph.triples((None, SKOS.closeMatch, None)))


def test_every_reference_points_to_a_declared_term(graph):
    for predicate, rdf_class in ((GG.drugClass, GG.DrugClass), (GG.drug, GG.Drug)):
        for _, target in graph.subject_objects(predicate):
            assert (target, RDF.type, rdf_class) in graph, target
    for subject, target in graph.subject_objects(SKOS.broader):
        assert set(graph.objects(subject, RDF.type)) == set(graph.objects(target, RDF.type))


def test_every_term_has_one_label(graph):
    for rdf_class in (GG.Drug, GG.DrugClass, GG.Condition, GG.Analyte):
        for node in graph.subjects(RDF.type, rdf_class):
            assert len(list(graph.objects(node, RDFS.label))) == 1, node


def test_no_name_is_ambiguous(lex):
    """A name (label or synonym, as matched) belongs to one term only."""
    seen: dict[str, str] = {}
    for term in lex.terms():
        for name in term.names:
            key = name if name.isupper() else name.lower()
            assert seen.setdefault(key, term.iri) == term.iri, (name, seen[key], term.iri)


# ---------------------------------------------------------------- matching


def surfaces(lex, text, **kw):
    return [(m.term.label, m.surface) for m in lex.find(text, **kw)]


def test_find_longest_match_first(lex):
    found = surfaces(lex, "refractory lupus nephritis and systemic lupus erythematosus")
    assert found == [("lupus nephritis", "lupus nephritis"), ("systemic lupus erythematosus", "systemic lupus erythematosus")]
    assert surfaces(lex, "check mycophenolic acid levels") == [("mycophenolic acid level", "mycophenolic acid levels")]
    assert surfaces(lex, "check mycophenolic acid levels", kinds=("drug",)) == [("mycophenolic acid", "mycophenolic acid")]


def test_find_whole_words_only(lex):
    assert surfaces(lex, "prednisolone") == [("prednisolone", "prednisolone")]
    assert surfaces(lex, "lupuslike steroidogenic") == []


def test_find_case_insensitive_names_and_case_sensitive_abbreviations(lex):
    assert surfaces(lex, "Mycophenolate Mofetil (MMF)") == [
        ("mycophenolate mofetil", "Mycophenolate Mofetil"), ("mycophenolate mofetil", "MMF"),
    ]
    assert surfaces(lex, "aza and mmf in sle") == []
    assert surfaces(lex, "AZA and SLE") == [("azathioprine", "AZA"), ("systemic lupus erythematosus", "SLE")]


def test_find_plurals_and_hyphen_variants(lex):
    assert surfaces(lex, "calcineurin inhibitors") == [("calcineurin inhibitor", "calcineurin inhibitors")]
    assert surfaces(lex, "Rituximab (B-cell depleting therapy)") == [
        ("rituximab", "Rituximab"), ("b-cell depleting agent", "B-cell depleting therapy"),
    ]
    assert surfaces(lex, "B cell depleting therapy") == [("b-cell depleting agent", "B cell depleting therapy")]


def test_find_never_overlaps_and_keeps_text_order(lex):
    text = "proteinuria (spot urine protein/creatinine ratio), serum creatinine, complement levels (C3/C4), anti-dsDNA antibodies"
    found = lex.find(text)
    assert [m.term.label for m in found] == [
        "proteinuria", "proteinuria", "serum creatinine", "serum complement", "serum complement", "anti-dsDNA antibodies",
    ]
    for a, b in zip(found, found[1:]):
        assert a.end <= b.start
    for m in found:
        assert text[m.start:m.end] == m.surface


def test_find_kinds(lex):
    text = "prednisone and azathioprine for autoimmune hepatitis (AIH) with glucocorticoids"
    assert [m.term.kind for m in lex.find(text)] == ["drug", "drug", "condition", "condition", "drug_class"]
    assert [m.term.key for m in lex.find(text, kinds=("condition",))] == ["autoimmune_hepatitis", "autoimmune_hepatitis"]


def test_lookups_raise_for_unknown_names(lex):
    with pytest.raises(KeyError):
        lex.drug_by_label("aspirin")
    with pytest.raises(KeyError):
        lex.analyte_by_label("tacrolimus")
    assert lex.analyte_by_label("tacrolimus trough level").key == "tacrolimus-trough"


def test_empty_lexicon_finds_nothing():
    empty = Lexicon.empty()
    assert empty.find("tacrolimus 2 mg") == []
    assert empty.drugs == {} and empty.generic_level is None


def test_load_equals_from_graph(lex):
    loaded = Lexicon.load(TERMINOLOGY)
    assert loaded.drugs == lex.drugs and loaded.analytes == lex.analytes


def test_term_is_a_frozen_value():
    term = Term("https://example.org/x", "x", "x", (), "drug")
    with pytest.raises(AttributeError):
        term.label = "y"  # type: ignore[misc]
