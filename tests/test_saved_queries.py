"""The saved queries in ontology/queries/: each one's answer on the seed library.

The expected rows were read off the seed documents (guidelines/*.txt) and pathways
(guidelines/*.pathway.ttl) by hand, not copied from a query's output.
"""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from graph.errors import InputError
from graph.sparql import QUERIES_DIR, _parsed_form, check_query, read_saved_query, run_query, saved_queries, saved_query
from graph.store import query_form
from graph.sparql_formats import display
from graph.vocab import KB

A, L = "autoimmune-tacrolimus-rebound", "lupus-tacrolimus-rebound"
REQUIRED = {
    "drug-doses", "trough-targets", "pitfalls", "recommendations-by-line", "statements-citing",
    "monitoring-intervals", "conflicts", "pathway-facts", "pathway-branches", "uncited-statements",
    "incomplete-guidelines", "weight-based-doses",
}


def value(term):
    """Numbers as numbers (so 1.0 == 1 whatever the store's spelling), everything else as shown."""
    if isinstance(term, Literal) and not isinstance(term.toPython(), (str, Literal)):
        return term.toPython()
    return display(term)


def answer(kb, name, *columns, **bindings):
    query = saved_query(name)
    result = run_query(kb.graph, query.text, bindings=query.check_bindings(bindings))
    assert not result.truncated
    return [tuple(value(record.get(c)) if record.get(c) is not None else None for c in columns) for record in result.records()]


def citations(text) -> set[int]:
    return {int(n) for n in str(text or "").split(",") if n.strip()}


# ---------------------------------------------------------------- the catalogue


def test_the_catalogue_holds_the_required_queries():
    names = {q.name for q in saved_queries()}
    assert REQUIRED <= names and len(names) >= 12


@pytest.mark.parametrize("path", sorted(QUERIES_DIR.glob("*.rq")), ids=lambda p: p.stem)
def test_each_file_opens_with_title_description_and_prefixes_and_parses(path):
    query = read_saved_query(path)
    lines = query.text.splitlines()
    assert lines[0].startswith("# title: ") and lines[1].startswith("# description: ")
    assert query.title and len(query.description) > 20
    assert "PREFIX gg: <https://w3id.org/guidegraph/ontology#>" in query.text  # portable to other tools
    # Parsed and checked here as any query is: check_query trusts the bundled texts without parsing.
    assert _parsed_form(query.text) == query_form(query.text) == check_query(query.text) == "SELECT"


def test_only_the_bundled_texts_skip_the_parse(monkeypatch):
    import graph.sparql as sparql

    parsed = []
    monkeypatch.setattr(sparql, "_checked_form", lambda text, timeout_ms: parsed.append(text) or "SELECT")
    pitfalls = saved_query("pitfalls").text
    assert check_query(pitfalls) == "SELECT" and parsed == []
    edited = pitfalls.replace("ORDER BY", "SERVICE <http://example.org/> { } ORDER BY")
    check_query(edited)  # any change, even one character, is parsed and checked
    assert parsed == [edited]


def test_a_file_without_a_title_is_refused(tmp_path):
    (tmp_path / "bad.rq").write_text("# description: no title\nSELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(InputError, match="title"):
        saved_queries(tmp_path)


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(InputError, match="no saved query 'doses'.*drug-doses"):
        saved_query("doses")


def test_parameters_are_declared_and_checked():
    query = saved_query("statements-citing")
    assert [(p.name, p.required) for p in query.parameters] == [("ref", True), ("guideline", False)]
    with pytest.raises(InputError, match="needs a value for ref"):
        query.check_bindings({})
    with pytest.raises(InputError, match="takes guideline, ref; not drug"):
        query.check_bindings({"ref": 1, "drug": "x"})


# ---------------------------------------------------------------- answers on the seeds

DRUG_DOSES = [
    ("azathioprine", A, 2, 1, 2, "mg/kg/d"),
    ("azathioprine", A, 5, 150, 150, "mg/d"),
    ("azathioprine", A, 6, 50, 50, "mg"),  # taper step: "azathioprine by 50 mg monthly"
    ("azathioprine", A, 35, 1, 2, "mg/kg/d"),
    ("cyclosporine", A, 45, 2, 5, "mg/kg/d"),
    ("glucocorticoid", A, 39, 30, 30, "mg/d"),  # bound: "less than 30 mg daily"
    ("hydroxychloroquine", L, 42, 5, 5, "mg/kg/d"),
    ("mycophenolate mofetil", A, 35, 2, 2, "g/d"),
    ("mycophenolate mofetil", A, 49, 2, 2, "g/d"),
    ("mycophenolate mofetil", L, 2, 2, 3, "g/d"),
    ("mycophenolate mofetil", L, 17, 2, 3, "g/d"),
    ("mycophenolate mofetil", L, 53, 2, 3, "g/d"),
    ("prednisone", A, 2, 30, 60, "mg/d"),
    ("prednisone", A, 5, 60, 60, "mg/d"),
    ("prednisone", A, 5, 30, 30, "mg/d"),
    ("prednisone", A, 6, 10, 10, "mg"),
    ("prednisone", A, 43, 10, 10, "mg"),
    ("prednisone", L, 19, 0.5, 1, "mg/kg/d"),
    ("prednisone", L, 41, 0.5, 1, "mg/kg/d"),
    ("tacrolimus", A, 9, 1, 6, "mg/d"),
    ("tacrolimus", A, 9, 0.075, 0.075, "mg/kg/d"),
    ("tacrolimus", L, 31, 2, 3, "mg/d"),
    ("tacrolimus", L, 52, 2, 3, "mg/d"),
]


def test_drug_doses_lists_every_dose_by_drug_and_guideline(kb):
    rows = answer(kb, "drug-doses", "drug", "guideline", "line", "low", "high", "unit")
    assert [(d, g, line, float(lo), float(hi), u) for d, g, line, lo, hi, u in rows] == DRUG_DOSES


def test_drug_doses_marks_taper_steps_bounds_and_basis(kb):
    rows = answer(kb, "drug-doses", "drug", "line", "taperStep", "comparator", "basis", "frequency")
    assert ("prednisone", 43, True, ">", None, "1/mo") in rows
    assert ("azathioprine", 6, True, None, None, "1/mo") in rows
    assert ("glucocorticoid", 39, None, "<", None, None) in rows
    assert ("hydroxychloroquine", 42, None, None, "actual body weight", None) in rows


def test_trough_targets_shows_every_range_side_by_side(kb):
    rows = answer(kb, "trough-targets", "analyte", "drug", "guideline", "line", "low", "high", "unit", "population")
    assert [(r[0], r[1], r[2], r[3], float(r[4]), float(r[5]), r[6], r[7]) for r in rows] == [
        ("cyclosporine trough level", "cyclosporine", A, 45, 100, 300, "ng/mL", None),
        ("tacrolimus trough level", "tacrolimus", A, 9, 0.6, 1.0, "ng/mL", None),
        ("tacrolimus trough level", "tacrolimus", A, 15, 6, 6, "ng/mL", None),
        ("tacrolimus trough level", "tacrolimus", A, 26, 0.6, 1.0, "ng/mL", "autoimmune"),
        ("tacrolimus trough level", "tacrolimus", A, 26, 6, 10, "ng/mL", "transplant"),
        ("tacrolimus trough level", "tacrolimus", L, 33, 4, 6, "ng/mL", None),
        ("tacrolimus trough level", "tacrolimus", L, 52, 3, 6, "ng/mL", None),
    ]


def test_trough_targets_gives_the_second_unit_the_source_states(kb):
    rows = answer(kb, "trough-targets", "guideline", "line", "statedLow", "statedHigh", "statedUnit")
    assert [(float(r[2]), float(r[3]), r[4]) for r in rows if r[:2] == (L, 33)] == [(5, 7.4, "nmol/L")]


def test_pitfalls_are_the_13_pitfall_lines_with_their_citations(kb):
    rows = answer(kb, "pitfalls", "guideline", "line", "citations")
    assert [(g, line, citations(c)) for g, line, c in rows] == [
        (A, 39, {1}), (A, 40, {1}), (A, 42, {1}), (A, 43, {1}), (A, 45, {1, 4}), (A, 46, {1}),
        (L, 45, {1}), (L, 46, {1}), (L, 48, {1}), (L, 49, {1}), (L, 50, {5}), (L, 52, {6, 7, 8}), (L, 53, {1}),
    ]


def test_pitfalls_name_their_section(kb):
    rows = answer(kb, "pitfalls", "guideline", "line", "section")
    assert (L, 50, "Don't Assume Tacrolimus Was Truly Ineffective") in rows
    assert (A, 43, "Premature Steroid Tapering") in rows


def test_recommendations_by_line_in_line_order(kb):
    rows = answer(kb, "recommendations-by-line", "lineOfTherapy", "guideline", "line", "citations")
    assert [(lot, g, line) for lot, g, line, _ in rows] == [
        ("first-line", A, 5), ("first-line", A, 6), ("first-line", A, 7),
        ("first-line", L, 17), ("first-line", L, 18), ("first-line", L, 19), ("first-line", L, 20),
        ("second-line", A, 49), ("second-line", A, 50),
        ("second-line", L, 23), ("second-line", L, 24), ("second-line", L, 25), ("second-line", L, 26), ("second-line", L, 27),
        ("third-line", A, 51),
        ("third-line", L, 29), ("third-line", L, 30), ("third-line", L, 32), ("third-line", L, 33),
        ("alternative", A, 9), ("alternative", A, 10), ("alternative", A, 11),
        ("alternative", L, 21),
    ]
    cited = {(g, line): citations(c) for _, g, line, c in rows}
    assert cited[(L, 26)] == {1, 3} and cited[(L, 30)] == {5, 6, 7} and cited[(L, 23)] == set()


@pytest.mark.parametrize(
    "bindings, expected",
    [
        pytest.param({"ref": 5}, [(L, 30), (L, 50), (L, 57)], id="ref-5"),
        pytest.param({"ref": 2}, [(A, 10), (A, 15), (A, 27), (L, 12), (L, 37), (L, 38)], id="ref-2-everywhere"),
        pytest.param({"ref": 2, "guideline": KB[A]}, [(A, 10), (A, 15), (A, 27)], id="ref-2-one-guideline"),
        pytest.param({"ref": 3}, [(A, 28), (L, 26)], id="ref-3"),
        pytest.param({"ref": 99}, [], id="no-such-ref"),
    ],
)
def test_statements_citing_a_reference(kb, bindings, expected):
    rows = answer(kb, "statements-citing", "guideline", "line", **bindings)
    assert [(g.removeprefix("kb:"), line) for g, line in rows] == expected


def test_statements_citing_a_reference_given_as_text_is_refused_not_guessed(kb):
    # The saved query declares ref an integer, so the string "5" is refused with the reason...
    with pytest.raises(InputError, match=r"statements-citing': ref takes an integer .*not '5'"):
        answer(kb, "statements-citing", "line", ref="5")
    # ...and a raw query shows why: the string "5" is not the integer 5, a binding is never pasted.
    text = saved_query("statements-citing").text
    assert run_query(kb.graph, text, bindings={"ref": "5"}).rows == ()
    assert run_query(kb.graph, text, bindings={"ref": 5}).rows != ()


def test_monitoring_intervals(kb):
    rows = answer(kb, "monitoring-intervals", "guideline", "line", "kind", "qualifier", "low", "unit")
    assert [(line, kind, q, low, unit) for g, line, kind, q, low, unit in rows if g == A] == [
        (16, "Recommendation", "every", 2, "wk"),  # "Monitor liver enzymes every 2 weeks"
        (22, "Monitoring", "within", 2, "wk"),
        (23, "Monitoring", "within", 2, "wk"),
        (24, "Monitoring", "after", 2, "wk"),
        (26, "Monitoring", None, None, None),
        (27, "Monitoring", None, None, None),  # "regularly": no interval in the text
        (28, "Monitoring", None, None, None),
    ]
    assert all(g == A for g, *_ in rows)


def test_conflicts_list_every_disagreeing_statement(kb):
    rows = answer(kb, "conflicts", "label", "guideline", "line")
    assert rows == [
        ("conflict: tacrolimus trough level", A, 9),
        ("conflict: tacrolimus trough level", A, 15),
        ("conflict: tacrolimus trough level", A, 26),
        ("conflict: tacrolimus trough level", L, 33),
        ("conflict: tacrolimus trough level", L, 52),
    ]
    reason = answer(kb, "conflicts", "reason")[0][0]
    assert "4-6 ng/mL" in reason and "0.6-1 ng/mL" in reason


LUPUS_FACTS = {
    "condition", "tacrolimus_stopped", "flare", "severity", "tacrolimus_side_effects", "first_line_response",
    "adherence_concern", "on_hydroxychloroquine", "fatigue", "persistent_proteinuria",
}
AUTOIMMUNE_FACTS = {
    "condition", "tacrolimus_stopped", "flare", "severity", "refractory", "prior_tacrolimus_response",
    "tacrolimus_side_effects", "first_line_response", "decompensated_cirrhosis", "meld", "ascites",
    "years_on_treatment", "relapse_count", "cyp3a_inhibitor", "months_normal_labs",
}


def test_pathway_facts_are_the_facts_each_pathways_criteria_test(kb):
    rows = answer(kb, "pathway-facts", "pathway", "key")
    assert {k for p, k in rows if p == f"kb:{L}/pathway"} == LUPUS_FACTS
    assert {k for p, k in rows if p == f"kb:{A}/pathway"} == AUTOIMMUNE_FACTS
    assert len(rows) == len(LUPUS_FACTS) + len(AUTOIMMUNE_FACTS)  # each fact once per pathway


def test_pathway_facts_for_one_pathway_in_form_order_with_ranges(kb):
    rows = answer(kb, "pathway-facts", "key", "datatype", "min", "max", "allowedValues", pathway=KB[f"{A}/pathway"])
    assert [key for key, *_ in rows][:3] == ["condition", "tacrolimus_stopped", "flare"]
    by_key = {key: rest for key, *rest in rows}
    assert by_key["meld"] == ["integer", 6, 40, None]
    assert by_key["severity"][3] == "mild, moderate, organ_threatening, severe"
    assert set(by_key) == AUTOIMMUNE_FACTS


def test_pathway_branches_with_their_criteria(kb):
    rows = answer(kb, "pathway-branches", "pathway", "branch", "logic", "criteria")
    lupus = {b.rsplit("/pathway/", 1)[1]: (logic, criteria) for p, b, logic, criteria in rows if p == f"kb:{L}/pathway"}
    assert len(lupus) == 12 and len(rows) == 12 + 17
    assert lupus["start/to-rebound-flare"] == (
        "all of", "condition in lupus_nephritis, sle_extrarenal; flare is true; tacrolimus_stopped in abruptly, tapered"
    )
    assert lupus["rebound-flare/to-biologics"] == (
        "any of", "first_line_response equals inadequate; severity in organ_threatening, severe"
    )
    assert lupus["rebound-flare/to-iv-cyclophosphamide"] == ("", "adherence_concern is true")
    assert lupus["rebound-flare/to-abrupt-stop"] == ("", "tacrolimus_stopped equals abruptly")


def test_pathway_branches_of_one_pathway(kb):
    rows = answer(kb, "pathway-branches", "pathway", pathway=KB[f"{L}/pathway"])
    assert rows == [(f"kb:{L}/pathway",)] * 12


def test_uncited_statements_are_the_four_lead_in_lines(kb):
    rows = answer(kb, "uncited-statements", "guideline", "line", "isLeadIn")
    assert rows == [(L, 10, True), (L, 23, True), (L, 29, True), (L, 60, True)]


def test_incomplete_guidelines(kb):
    rows = answer(kb, "incomplete-guidelines", "id", "lineCount", "reason")
    assert len(rows) == 1 and rows[0][:2] == (L, 60)
    assert "Consider repeat biopsy if:" in rows[0][2]


def test_weight_based_doses(kb):
    rows = answer(kb, "weight-based-doses", "drug", "guideline", "line", "low", "high", "unit", "basis")
    assert [(d, g, line, float(lo), float(hi), u, b) for d, g, line, lo, hi, u, b in rows] == [
        ("azathioprine", A, 2, 1, 2, "mg/kg/d", None),
        ("azathioprine", A, 35, 1, 2, "mg/kg/d", None),
        ("cyclosporine", A, 45, 2, 5, "mg/kg/d", None),
        ("hydroxychloroquine", L, 42, 5, 5, "mg/kg/d", "actual body weight"),
        ("prednisone", L, 19, 0.5, 1, "mg/kg/d", None),
        ("prednisone", L, 41, 0.5, 1, "mg/kg/d", None),
        ("tacrolimus", A, 9, 0.075, 0.075, "mg/kg/d", None),
    ]


@pytest.mark.parametrize("name", ["MMF", "mycophenolate mofetil", "CellCept"])
def test_statements_mentioning_a_drug_by_any_of_its_names(kb, name):
    rows = answer(kb, "statements-mentioning", "guideline", "line", drug=name)
    assert rows == [(A, 35), (A, 49), (L, 2), (L, 17), (L, 18), (L, 23), (L, 25), (L, 26), (L, 32), (L, 53)]


# ---------------------------------------------------------------- the same answers on both stores


@pytest.fixture(scope="module")
def rdflib_kb():
    from graph import KnowledgeBase

    return KnowledgeBase.load(store="rdflib", validate=False)


BINDINGS = {"statements-citing": {"ref": 5}, "statements-mentioning": {"drug": "MMF"}}


@pytest.mark.parametrize("name", sorted(q.name for q in saved_queries()))
def test_both_stores_give_the_same_rows(kb, rdflib_kb, name):
    def rows(graph):
        result = run_query(graph, saved_query(name).text, bindings=BINDINGS.get(name), timeout_ms=10_000)
        return sorted((tuple(str(value(t)) for t in row) for row in result.rows))

    assert rows(kb.graph) == rows(rdflib_kb.graph)


def test_a_binding_iri_is_an_iri_not_a_string(kb):
    # The same text as a string literal matches no guideline: bindings keep their RDF type.
    assert answer(kb, "statements-citing", "line", ref=2, guideline=URIRef(KB[A])) != []
    text = saved_query("statements-citing").text
    assert run_query(kb.graph, text, bindings={"ref": 2, "guideline": str(KB[A])}).rows == ()
    # The saved query says what it takes instead of answering nothing.
    with pytest.raises(InputError, match=r"guideline takes an IRI"):
        answer(kb, "statements-citing", "line", ref=2, guideline=str(KB[A]))


@pytest.mark.parametrize("name", ["mmf", "Mmf", "MMF", "MYCOPHENOLATE MOFETIL", "cellcept"])
def test_statements_mentioning_a_drug_in_any_case(kb, rdflib_kb, name):
    """Before: "mmf" and "Mmf" found no rows, though "MMF" found ten."""
    expected = answer(kb, "statements-mentioning", "guideline", "line", "name", drug="MMF")
    assert len(expected) == 10 and {n for *_, n in expected} == {"mycophenolate mofetil"}
    for store in (kb, rdflib_kb):
        assert answer(store, "statements-mentioning", "guideline", "line", "name", drug=name) == expected
