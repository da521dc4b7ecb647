"""Decision pathways: three-valued criteria, traversal, the seed pathways, and the structural checks."""

from __future__ import annotations

import itertools
import shutil
import json

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.namespace import RDF

from graph import KnowledgeBase
from graph.cli import main
from graph.library import DEFAULT_LIBRARY
from graph.pathway import Criterion, check_decision_layer, evaluate, load_pathways, read_criterion, traverse
from graph.patient import FactSpec, PatientForm
from graph.vocab import GG, KB
from tests.helpers import MINI_PATHWAY, write_mini_library

LUPUS = str(KB["lupus-tacrolimus-rebound/pathway"])
AUTOIMMUNE = str(KB["autoimmune-tacrolimus-rebound/pathway"])

FORM = PatientForm((
    FactSpec("flare", "flare", "?", "boolean"),
    FactSpec("severity", "severity", "?", "choice", ("mild", "moderate", "severe", "organ_threatening")),
    FactSpec("meld", "MELD score", "?", "integer", min=6, max=40),
))


def fact(op, key, *values):
    return Criterion(op, fact=key, values=values)


# ---------------------------------------------------------------- comparisons


@pytest.mark.parametrize("criterion, facts, value", [
    (fact("equals", "severity", "severe"), {"severity": "severe"}, True),
    (fact("equals", "severity", "severe"), {"severity": "mild"}, False),
    (fact("notEquals", "severity", "severe"), {"severity": "mild"}, True),
    (fact("notEquals", "severity", "severe"), {"severity": "severe"}, False),
    (fact("in", "severity", "severe", "organ_threatening"), {"severity": "organ_threatening"}, True),
    (fact("in", "severity", "severe", "organ_threatening"), {"severity": "moderate"}, False),
    (fact("lessThan", "meld", 15), {"meld": 14}, True),
    (fact("lessThan", "meld", 15), {"meld": 15}, False),
    (fact("lessOrEqual", "meld", 15), {"meld": 15}, True),
    (fact("greaterThan", "meld", 15), {"meld": 15}, False),
    (fact("greaterOrEqual", "meld", 15), {"meld": 15}, True),
    (fact("greaterOrEqual", "meld", 15), {"meld": 14}, False),
    (fact("isTrue", "flare"), {"flare": True}, True),
    (fact("isTrue", "flare"), {"flare": False}, False),
    (fact("isFalse", "flare"), {"flare": False}, True),
    (fact("isFalse", "flare"), {"flare": True}, False),
])
def test_comparison(criterion, facts, value):
    assert evaluate(criterion, facts, FORM).value is value


@pytest.mark.parametrize("criterion", [
    fact("equals", "severity", "severe"), fact("notEquals", "severity", "severe"), fact("isFalse", "flare"),
    fact("isTrue", "flare"), fact("lessThan", "meld", 15), fact("greaterOrEqual", "meld", 15),
])
def test_a_comparison_over_an_absent_fact_is_unknown_and_names_it(criterion):
    outcome = evaluate(criterion, {}, FORM)
    assert outcome.value is None and outcome.blocking == {criterion.fact}


def test_reasons_are_words_a_clinician_reads():
    assert evaluate(fact("in", "severity", "severe", "organ_threatening"), {"severity": "severe"}, FORM).held == (
        "severity is severe",
    )
    assert evaluate(fact("in", "severity", "organ_threatening", "severe"), {"severity": "mild"}, FORM).failed == (
        "severity is mild (needs severe or organ threatening)",  # values in the fact's own order
    )
    assert evaluate(fact("greaterOrEqual", "meld", 15), {"meld": 18}, FORM).held == ("MELD score is 18 (≥ 15)",)
    assert evaluate(fact("isTrue", "flare"), {"flare": False}, FORM).failed == ("flare: no",)


# ---------------------------------------------------------------- Kleene logic

T, F, U = fact("isTrue", "flare"), fact("isFalse", "flare"), fact("equals", "severity", "severe")
KNOWN = {"flare": True}  # T is true, F is false, U is unknown (severity absent)


@pytest.mark.parametrize("criterion, value", [
    (Criterion("allOf", parts=(T, U)), None),
    (Criterion("allOf", parts=(F, U)), False),
    (Criterion("allOf", parts=(T, T)), True),
    (Criterion("anyOf", parts=(T, U)), True),
    (Criterion("anyOf", parts=(F, U)), None),
    (Criterion("anyOf", parts=(F, F)), False),
    (Criterion("not", parts=(U,)), None),
    (Criterion("not", parts=(F,)), True),
    (Criterion("not", parts=(T,)), False),
    (Criterion("anyOf"), False),  # an empty anyOf can never hold
])
def test_kleene_logic(criterion, value):
    assert evaluate(criterion, KNOWN, FORM).value is value


def test_unknown_combinations_name_only_the_undecided_facts():
    both = Criterion("allOf", parts=(U, fact("greaterOrEqual", "meld", 15), T))
    assert evaluate(both, KNOWN, FORM).blocking == {"severity", "meld"}


# Property tests: random criteria over three facts, random partial patients.
VALUES = {"flare": [True, False], "severity": ["mild", "moderate", "severe", "organ_threatening"], "meld": [6, 14, 15, 16, 40]}
comparisons = st.one_of(
    st.sampled_from(["isTrue", "isFalse"]).map(lambda op: fact(op, "flare")),
    st.tuples(st.sampled_from(["equals", "notEquals"]), st.sampled_from(VALUES["severity"])).map(lambda t: fact(t[0], "severity", t[1])),
    st.lists(st.sampled_from(VALUES["severity"]), min_size=1, max_size=3, unique=True).map(lambda vs: fact("in", "severity", *vs)),
    st.tuples(st.sampled_from(["lessThan", "lessOrEqual", "greaterThan", "greaterOrEqual"]), st.sampled_from([10, 15, 20])).map(
        lambda t: fact(t[0], "meld", t[1])),
)
criteria = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda ps: Criterion("allOf", parts=tuple(ps))),
        st.lists(inner, min_size=1, max_size=3).map(lambda ps: Criterion("anyOf", parts=tuple(ps))),
        inner.map(lambda p: Criterion("not", parts=(p,))),
    ),
    max_leaves=8,
)
partial_patients = st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in VALUES.items()})


def completions(facts: dict):
    missing = [k for k in VALUES if k not in facts]
    for combo in itertools.product(*(VALUES[k] for k in missing)):
        yield {**facts, **dict(zip(missing, combo))}


@settings(max_examples=300, deadline=None)
@given(criteria, partial_patients)
def test_unknown_never_becomes_true_or_false_by_accident(criterion, facts):
    """A decided value holds for every value the absent facts could take; an undecided one names
    only absent facts that the criterion reads."""
    outcome = evaluate(criterion, facts, FORM)
    if outcome.value is None:
        assert outcome.blocking and outcome.blocking <= criterion.facts() - set(facts)
    else:
        assert all(evaluate(criterion, full, FORM).value is outcome.value for full in completions(facts))


@settings(max_examples=300, deadline=None)
@given(criteria, partial_patients)
def test_a_criterion_whose_facts_are_all_absent_is_unknown(criterion, facts):
    absent = {k: v for k, v in facts.items() if k not in criterion.facts()}
    assert evaluate(criterion, absent, FORM).value is None


@settings(max_examples=200, deadline=None)
@given(criteria, partial_patients, st.sampled_from(sorted(VALUES)), st.data())
def test_adding_a_fact_never_undoes_a_decided_value(criterion, facts, key, data):
    if key in facts:
        return
    before = evaluate(criterion, facts, FORM).value
    after = evaluate(criterion, {**facts, key: data.draw(st.sampled_from(VALUES[key]))}, FORM).value
    assert before is None or after is before


# ---------------------------------------------------------------- reading criteria from RDF

CRITERION_TTL = """
@prefix gg: <https://w3id.org/guidegraph/ontology#> .
@prefix fact: <https://w3id.org/guidegraph/kb/fact/> .
<urn:c> a gg:Criterion ; gg:anyOf (
    [ a gg:Criterion ; gg:fact fact:meld ; gg:operator gg:greaterOrEqual ; gg:value 15 ]
    [ a gg:Criterion ; gg:not [ a gg:Criterion ; gg:fact fact:flare ; gg:operator gg:isTrue ] ]
) .
fact:meld gg:key "meld" . fact:flare gg:key "flare" .
<urn:broken> a gg:Criterion ; gg:fact fact:meld ; gg:operator gg:approximately ; gg:value 15 .
"""


def test_read_criterion_from_turtle():
    from rdflib import URIRef

    graph = Graph().parse(data=CRITERION_TTL, format="turtle")
    criterion = read_criterion(graph, URIRef("urn:c"))
    assert criterion.operator == "anyOf" and criterion.facts() == {"meld", "flare"}
    assert evaluate(criterion, {"meld": 10, "flare": False}, FORM).value is True
    assert evaluate(criterion, {"meld": 10, "flare": True}, FORM).value is False


def test_an_unreadable_criterion_never_opens_a_branch():
    from rdflib import URIRef

    graph = Graph().parse(data=CRITERION_TTL, format="turtle")
    assert evaluate(read_criterion(graph, URIRef("urn:broken")), {"meld": 20}, FORM).value is False


# ---------------------------------------------------------------- the seed pathways


@pytest.fixture(scope="module")
def pathways(kb):
    return load_pathways(kb.graph)


def test_one_pathway_per_seed_each_a_dag_from_its_entry(pathways):
    assert list(pathways) == [AUTOIMMUNE, LUPUS]
    for pathway in pathways.values():
        assert nx.is_directed_acyclic_graph(pathway.digraph)
        assert set(pathway.digraph) == nx.descendants(pathway.digraph, pathway.entry) | {pathway.entry}
    assert (len(pathways[LUPUS].digraph), len(pathways[LUPUS].branches())) == (13, 12)
    assert (len(pathways[AUTOIMMUNE].digraph), len(pathways[AUTOIMMUNE].branches())) == (17, 17)


def test_nodes_recommend_only_statements_of_their_own_guideline(kb, pathways):
    for pathway in pathways.values():
        for node in pathway.digraph:
            for statement in pathway.node(node).recommends:
                assert statement.startswith(str(KB[pathway.guideline]) + "/"), (node, statement)
                assert (KB[statement.removeprefix(str(KB))], RDF.type, GG.Statement) in kb.graph


def test_every_statement_is_reachable_from_a_pathway_but_the_cut_off_biopsy_line(kb, pathways):
    referenced = {s for p in pathways.values() for n in p.digraph for s in p.node(n).recommends}
    statements = {str(s) for s in kb.graph.subjects(RDF.type, GG.Statement)}
    assert statements - referenced == {str(KB["lupus-tacrolimus-rebound/role-of-repeat-kidney-biopsy/1"])}


def test_every_node_has_a_label_and_siblings_are_in_document_order(pathways):
    lupus = pathways[LUPUS]
    targets = [b.target.rsplit("/", 1)[-1] for b in lupus.branches_from(str(KB["lupus-tacrolimus-rebound/pathway/rebound-flare"]))]
    assert targets[:5] == ["abrupt-stop", "first-line", "iv-cyclophosphamide", "biologics", "restart-tacrolimus"]
    assert all(lupus.node(n).label for n in lupus.digraph)


def test_each_fact_is_declared_in_exactly_one_pathway_file():
    declared: dict[str, list[str]] = {}
    for path in sorted(DEFAULT_LIBRARY.glob("*.pathway.ttl")):
        for fact_iri in Graph().parse(path, format="turtle").subjects(RDF.type, GG.PatientFact):
            declared.setdefault(str(fact_iri), []).append(path.name)
    assert len(declared) == 20
    assert {k: v for k, v in declared.items() if len(v) > 1} == {}


def test_traversal_follows_every_branch_that_holds_and_stops_at_unknown(kb, pathways):
    from graph.recommend import patient_form_of

    facts = {"condition": "sle_extrarenal", "flare": True, "tacrolimus_stopped": "abruptly",
             "severity": "severe", "first_line_response": "not_started", "fatigue": True}
    walk = traverse(pathways[LUPUS], facts, patient_form_of(kb))
    leaves = [n.rsplit("/", 1)[-1] for n in walk.reached]
    assert leaves == ["start", "rebound-flare", "abrupt-stop", "first-line", "biologics", "fatigue"]
    blocked = {step.branch.target.rsplit("/", 1)[-1]: step.blocking for step in walk.blocked()}
    assert blocked == {
        "iv-cyclophosphamide": {"adherence_concern"}, "restart-tacrolimus": {"tacrolimus_side_effects"},
        "start-hydroxychloroquine": {"on_hydroxychloroquine"}, "continue-hydroxychloroquine": {"on_hydroxychloroquine"},
    }
    assert walk.why[str(KB["lupus-tacrolimus-rebound/pathway/biologics"])][-1] == "severity is severe"


def test_the_entry_decides_whether_a_pathway_applies(kb, pathways):
    from graph.recommend import patient_form_of

    form = patient_form_of(kb)
    assert traverse(pathways[LUPUS], {"condition": "autoimmune_hepatitis"}, form).entry_value is False
    assert traverse(pathways[LUPUS], {"condition": "lupus_nephritis"}, form).entry_value is None
    assert traverse(pathways[AUTOIMMUNE], {"condition": "lupus_nephritis", "flare": True,
                                           "tacrolimus_stopped": "tapered"}, form).entry_value is True


def test_the_pathways_are_built_once_per_load(kb):
    from graph.recommend import pathways_of

    assert pathways_of(kb) is pathways_of(kb)


# ---------------------------------------------------------------- structural checks

ORPHAN = """
<orphan> a gg:DecisionNode ; rdfs:label "never reached" ;
    gg:pathway <https://w3id.org/guidegraph/kb/mini/pathway> .
"""

CYCLE = """
<treat> gg:branch <treat/to-start> .
<treat/to-start> a gg:Branch ; rdfs:label "again" ; gg:when <treat/to-start/when> ; gg:to <start> .
<treat/to-start/when> a gg:Criterion ; gg:fact fact:flare ; gg:operator gg:isTrue .
"""

BROKEN = {
    "pathway-reachable": MINI_PATHWAY + ORPHAN,
    "pathway-acyclic": MINI_PATHWAY + CYCLE,
    "pathway-recommends-statement": MINI_PATHWAY.replace("gg:recommends lead:1", "gg:recommends lead:9"),
    "pathway-fact-declared": MINI_PATHWAY.replace("gg:fact fact:flare", "gg:fact fact:flair"),
    "pathway-branch-target": MINI_PATHWAY.replace("gg:to <treat>", "gg:to <treatment>"),
}
FOCUS = {
    "pathway-reachable": "mini/pathway/orphan",
    "pathway-acyclic": "mini/pathway/",
    "pathway-recommends-statement": "mini/pathway/treat",
    "pathway-fact-declared": "mini/pathway/start/to-treat",
    "pathway-branch-target": "mini/pathway/start/to-treat",
}


def pathway_findings(report):
    return [f for f in report.findings if f.rule.startswith("pathway-")]


def test_a_good_small_pathway_has_no_structural_finding(tmp_path):
    kb = KnowledgeBase.load(write_mini_library(tmp_path / "library", MINI_PATHWAY))
    assert pathway_findings(kb.report) == []
    assert [i["line"] for i in kb.recommend({"flare": True}).recommendations] == [2]


def test_the_seed_library_has_no_structural_finding(kb):
    assert pathway_findings(kb.report) == []


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_a_broken_pathway_is_reported_with_its_file_node_and_rule(tmp_path, rule):
    kb = KnowledgeBase.load(write_mini_library(tmp_path / "library", BROKEN[rule]))
    assert not kb.report.conforms
    findings = [f for f in pathway_findings(kb.report) if f.rule == rule]
    assert len(findings) == 1, kb.report.text()
    (finding,) = findings
    assert FOCUS[rule] in finding.focus
    assert finding.message.startswith("mini.pathway.ttl: ")
    assert finding.guideline == "mini"


def test_a_node_recommending_another_guidelines_statement_is_a_violation(tmp_path, capsys):
    """Before: it validated, and the other document's statement was shown under this pathway."""
    other = "https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound/lead/1"
    library = write_mini_library(tmp_path / "library",
                                 MINI_PATHWAY.replace("gg:recommends lead:1", f"gg:recommends lead:1, <{other}>"))
    (library / "lupus-tacrolimus-rebound.txt").write_bytes((DEFAULT_LIBRARY / "lupus-tacrolimus-rebound.txt").read_bytes())
    kb = KnowledgeBase.load(library)
    (finding,) = [f for f in pathway_findings(kb.report) if f.severity == "violation"]
    assert (finding.rule, finding.guideline) == ("pathway-recommends-own-guideline", "mini")
    assert finding.focus.endswith("mini/pathway/treat")
    assert finding.message == (f"mini.pathway.ttl: decision node 'treat' recommends <{other}>, a statement of "
                               "lupus-tacrolimus-rebound; a pathway recommends only statements of its own guideline, mini")
    assert main(["--library", str(library), "validate"]) == 1
    assert "[pathway-recommends-own-guideline]" in capsys.readouterr().err


def test_a_pathway_without_its_document_is_one_finding_naming_the_missing_file(tmp_path):
    """Before: one finding per statement the pathway names, and none said the document was missing."""
    library = write_mini_library(tmp_path / "library", MINI_PATHWAY)
    (library / "mini.txt").rename(library / "Mini.txt")
    report = KnowledgeBase.load(library).report
    assert not report.conforms
    assert [(f.rule, f.severity) for f in report.findings[:2]] == [("library-file-name", "warning"),
                                                                   ("pathway-guideline", "violation")]
    misnamed, orphan = report.findings[:2]
    assert misnamed.focus == str(library / "Mini.txt")
    assert misnamed.message == ("not read: a document's file name is its id, lower-case letters, digits and single "
                                "hyphens: rename it mini.txt")
    assert orphan.message == ("mini.pathway.ttl: the pathway is for the guideline 'mini', which is no document of "
                              "the library: its file would be mini.txt")
    assert not [f for f in report.findings if f.rule == "pathway-recommends-statement"]


def test_a_misnamed_document_is_a_warning_and_the_rest_still_loads(tmp_path):
    library = write_mini_library(tmp_path / "library", MINI_PATHWAY)
    (library / "Notes on MMF.txt").write_text("Notes\n- Give prednisone 10 mg daily 1\n", encoding="utf-8")
    kb = KnowledgeBase.load(library)
    assert kb.report.conforms
    assert [(f.rule, f.focus.rsplit("/", 1)[-1]) for f in kb.report.findings] == [("library-file-name", "Notes on MMF.txt")]
    assert "rename it notes-on-mmf.txt" in kb.report.findings[0].message
    assert [i["line"] for i in kb.recommend({"flare": True}).recommendations] == [2]


def test_a_value_a_fact_does_not_take_names_the_branch_and_both_files(tmp_path):
    """Before: "Criterion cc86...: compares this fact with ...", a blank node's id and no file, so a
    curator adding a condition could not tell which file to change."""
    library = tmp_path / "library"
    shutil.copytree(DEFAULT_LIBRARY, library)
    pathway = library / "lupus-tacrolimus-rebound.pathway.ttl"
    text = pathway.read_text(encoding="utf-8")
    pathway.write_text(text.replace('gg:value "lupus_nephritis", "sle_extrarenal" ]',
                                    'gg:value "lupus_nephritis", "sle_extrarenal", "examplo_disease" ]', 1), encoding="utf-8")
    (finding,) = [f for f in KnowledgeBase.load(library).report.findings if f.rule == "CriterionValueFitsFact"]
    assert finding.message.startswith(
        "The criterion of https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound/pathway/start/to-rebound-flare "
        "(lupus-tacrolimus-rebound.pathway.ttl) compares the fact condition with examplo_disease, which does not fit "
        "the fact's gg:datatype choice")
    assert ("a new value goes into gg:allowedValue and sh:in where the fact https://w3id.org/guidegraph/kb/fact/"
            "condition (autoimmune-tacrolimus-rebound.pathway.ttl) is declared") in finding.message


def test_a_cycle_is_named_and_the_engine_does_not_loop(tmp_path):
    kb = KnowledgeBase.load(write_mini_library(tmp_path / "library", BROKEN["pathway-acyclic"]))
    (finding,) = [f for f in kb.report.findings if f.rule == "pathway-acyclic"]
    assert "start -> treat -> start" in finding.message or "treat -> start -> treat" in finding.message
    assert kb.recommend({"flare": True}).path == []  # a cyclic pathway is never walked


def test_two_facts_with_one_key_are_reported(tmp_path):
    twice = MINI_PATHWAY + '\nfact:flare2 a gg:PatientFact ; gg:key "flare" ; gg:question "Flare?" ; gg:datatype "boolean" .\n'
    kb = KnowledgeBase.load(write_mini_library(tmp_path / "library", twice))
    assert [f.rule for f in pathway_findings(kb.report)] == ["pathway-fact-key-unique"]


def test_check_decision_layer_without_file_names_still_names_node_and_rule(tmp_path):
    graph = Graph().parse(data=BROKEN["pathway-recommends-statement"], format="turtle")
    graph.add((KB["mini"], RDF.type, GG.Guideline))  # its document, in short
    (finding,) = [f for f in check_decision_layer(graph) if f.rule == "pathway-recommends-statement"]
    assert finding.focus.endswith("mini/pathway/treat") and "mini/lead/9" in finding.message


def test_a_node_label_that_states_numbers_is_a_warning_naming_them(tmp_path):
    numbers = MINI_PATHWAY.replace('rdfs:label "Treat" ;',
                                   'rdfs:label "Treat: tacrolimus to a trough of 6 ng/mL, MMF 2 g daily for 2 weeks" ;')
    kb = KnowledgeBase.load(write_mini_library(tmp_path / "library", numbers))
    (finding,) = pathway_findings(kb.report)
    assert (finding.rule, finding.severity, finding.guideline) == ("pathway-label-number", "warning", "mini")
    assert finding.focus.endswith("mini/pathway/treat") and finding.message.startswith("mini.pathway.ttl: ")
    assert "states 'MMF 2 g daily', 'trough of 6 ng/mL', 'for 2 weeks'" in finding.message
    assert kb.report.conforms  # a warning: the library still loads and answers
    # a branch says its criterion's numbers in words, and a question may name them: neither is flagged
    words = MINI_PATHWAY.replace('rdfs:label "Treat" ;', 'rdfs:label "Treat the CYP3A4 interaction" ;')
    assert pathway_findings(KnowledgeBase.load(write_mini_library(tmp_path / "words", words)).report) == []


@pytest.mark.parametrize("rule", ["pathway-acyclic", "pathway-reachable", "pathway-recommends-statement"])
def test_cli_validate_reports_a_broken_pathway_and_exits_1(tmp_path, capsys, rule):
    code = main(["--library", str(write_mini_library(tmp_path / "library", BROKEN[rule])), "validate"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"[{rule}]" in err and "mini.pathway.ttl" in err and FOCUS[rule] in err


# ---------------------------------------------------------------- properties (hardening): any value

from decimal import Decimal  # noqa: E402

ANY_VALUE = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=10**300, max_value=10**400),
        st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True, allow_infinity=True),
        st.text(max_size=20), st.sampled_from(["severe", "mild", "", "NaN", "1e400", Decimal("sNaN"), 10**400]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)
ANY_FACTS = st.dictionaries(st.sampled_from(["flare", "severity", "meld", "other"]), ANY_VALUE, max_size=4)


@settings(max_examples=400, deadline=None)
@given(criteria, ANY_FACTS)
def test_evaluate_never_raises_on_any_value(criterion, facts):
    outcome = evaluate(criterion, facts, FORM)
    assert outcome.value in (True, False, None)
    assert all(isinstance(word, str) for word in outcome.held + outcome.failed)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["lessThan", "lessOrEqual", "greaterThan", "greaterOrEqual"]), ANY_VALUE)
def test_an_order_comparison_holds_only_for_a_real_number(op, value):
    held = evaluate(fact(op, "meld", 15), {"meld": value}, FORM).value
    is_number = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    assert held is not True or is_number


def test_a_signalling_nan_raised_value_error():
    """Before: _same() converted Decimal("sNaN") to float, which raises ValueError."""
    assert evaluate(fact("equals", "meld", 15), {"meld": Decimal("sNaN")}, FORM).value is False
    assert evaluate(fact("in", "meld", 15, 16), {"meld": Decimal("sNaN")}, FORM).value is False


def test_criterion_values_keep_their_type_through_the_saved_form():
    from decimal import Decimal

    from rdflib import URIRef

    from graph.pathway import _criterion_data, _criterion_from_data

    values = ("severe", True, 3, 0.5, Decimal("1.50"), URIRef("https://w3id.org/guidegraph/kb/x"))
    criterion = Criterion("anyOf", parts=(Criterion("in", fact="f", values=values), Criterion("not", parts=(Criterion("isTrue", fact="g"),))))
    again = _criterion_from_data(json.loads(json.dumps(_criterion_data(criterion))))
    assert again == criterion
    assert [type(v) for v in again.parts[0].values] == [str, bool, int, float, Decimal, URIRef]


def test_a_value_the_saved_form_cannot_carry_exactly_is_refused():
    import datetime

    from graph.pathway import _criterion_data

    with pytest.raises(ValueError, match="date"):
        _criterion_data(Criterion("equals", fact="f", values=(datetime.date(2026, 1, 1),)))


def test_a_command_on_a_built_store_that_does_not_conform_says_so(tmp_path, capsys):
    import json as _json

    library, store = write_mini_library(tmp_path / "library", BROKEN["pathway-acyclic"]), f"oxigraph:{tmp_path / 'kb.db'}"
    assert main(["--library", str(library), "--store", store, "load"]) == 1  # built, with its failing report
    capsys.readouterr()
    patient = tmp_path / "p.json"
    patient.write_text(_json.dumps({"flare": True}), encoding="utf-8")
    assert main(["--library", str(library), "--store", store, "recommend", str(patient)]) == 0
    err = capsys.readouterr().err
    assert "does not conform (1 violation: pathway-acyclic)" in err and "guidegraph validate" in err


def test_a_command_on_a_conforming_built_store_says_nothing_of_validation(tmp_path, capsys):
    import json as _json

    library, store = write_mini_library(tmp_path / "library", MINI_PATHWAY), f"oxigraph:{tmp_path / 'kb.db'}"
    assert main(["--library", str(library), "--store", store, "load"]) == 0
    capsys.readouterr()
    patient = tmp_path / "p.json"
    patient.write_text(_json.dumps({"flare": True}), encoding="utf-8")
    assert main(["--library", str(library), "--store", store, "recommend", str(patient)]) == 0
    assert "conform" not in capsys.readouterr().err
