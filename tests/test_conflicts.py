"""Conflicts: numeric disagreements between statements, shown with every source, never resolved."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from graph.cli import main
from graph.conflicts import Conflict, conflict_iri, conflict_triples, find_conflicts, unit_findings
from graph.vocab import GG, KB

AUTO, LUPUS = "autoimmune-tacrolimus-rebound", "lupus-tacrolimus-rebound"


def tacrolimus_conflict(conflicts) -> Conflict:
    [conflict] = [c for c in conflicts if c.topic == "tacrolimus trough level"]
    return conflict


# ---------------------------------------------------------------- the seeds


def test_tacrolimus_trough_targets_of_both_seeds_are_one_conflict(kb):
    conflict = tacrolimus_conflict(kb.conflicts)
    values = {(v["guideline"], v["line"], v["low"], v["high"], v["population"]) for v in conflict.values}
    assert values == {
        (LUPUS, 33, 4, 6, None),
        (LUPUS, 52, 3, 6, None),
        (AUTO, 9, 0.6, 1, None),
        (AUTO, 15, 6, 6, None),
        (AUTO, 26, 0.6, 1, "autoimmune"),
        (AUTO, 26, 6, 10, "transplant"),
    }
    assert {v["unit"] for v in conflict.values} == {"ng/mL"}
    assert len(conflict.statements) == 5  # line 26 states two ranges in one statement
    assert {s.split("/kb/")[1].split("/")[0] for s in conflict.statements} == {AUTO, LUPUS}


def test_reason_lists_each_value_with_guideline_and_line(kb):
    reason = tacrolimus_conflict(kb.conflicts).reason
    assert reason.startswith("tacrolimus trough level: ")
    for part in (
        f"4-6 ng/mL ({LUPUS} line 33)",
        f"3-6 ng/mL ({LUPUS} line 52)",
        f"0.6-1 ng/mL ({AUTO} line 9)",
        f"6 ng/mL ({AUTO} line 15)",
        f"0.6-1 ng/mL for autoimmune ({AUTO} line 26)",
        f"6-10 ng/mL for transplant ({AUTO} line 26)",
    ):
        assert part in reason


def test_overlapping_mmf_doses_are_not_a_conflict(kb):
    # lupus "MMF 2-3 g/day" (lines 2, 17, 53) and autoimmune "mycophenolate mofetil 2 g daily" (35, 49)
    assert not [c for c in kb.conflicts if "mycophenolate" in c.topic]
    # nor do the seeds' other doses disagree: tacrolimus 2-3 mg/day (lupus) lies inside 1-6 mg daily (autoimmune)
    assert [c.topic for c in kb.conflicts] == ["tacrolimus trough level"]


def test_conflicts_are_in_the_graph_and_conform_to_the_shapes(kb):
    conflict = tacrolimus_conflict(kb.conflicts)
    node = KB["conflict/tacrolimus-trough-level"]
    assert conflict_iri(conflict) == node
    assert (node, RDF.type, GG.Conflict) in kb.graph
    assert {str(s) for s in kb.graph.objects(node, GG.statement)} == set(conflict.statements)
    assert str(kb.graph.value(node, GG.reason)) == conflict.reason
    assert str(kb.graph.value(node, RDFS.label)) == "conflict: tacrolimus trough level"
    assert kb.report.conforms, kb.report.text()


def test_finding_conflicts_is_deterministic_and_ignores_the_conflict_nodes(kb):
    again = find_conflicts(kb.graph)  # the graph now also holds the gg:Conflict nodes
    assert [c.to_dict() for c in again] == [c.to_dict() for c in kb.conflicts]


def test_to_dict_has_the_result_shape(kb):
    data = tacrolimus_conflict(kb.conflicts).to_dict()
    assert set(data) >= {"statements", "reason", "topic", "values"}
    assert all(isinstance(s, str) for s in data["statements"])
    assert set(data["values"][0]) >= {"statement", "guideline", "line", "low", "high", "unit", "population"}
    json.dumps(data)  # plain values only


def test_restated_tacrolimus_range_agrees_in_both_units(kb):
    [finding] = unit_findings(kb.graph)
    assert (finding["guideline"], finding["line"]) == (LUPUS, 33)
    assert (finding["low"], finding["high"], finding["unit"]) == (4, 6, "ng/mL")
    assert (finding["stated_low"], finding["stated_high"], finding["stated_unit"]) == (5, 7.4, "nmol/L")
    assert finding["agrees"] is True
    assert "4.98-7.46 nmol/L at 804.02 g/mol" in finding["explanation"]


# ---------------------------------------------------------------- inline graphs

HEAD = """
@prefix gg: <https://w3id.org/guidegraph/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix kb: <https://w3id.org/guidegraph/kb/> .
kb:g1 dcterms:identifier "g1" .
kb:g2 dcterms:identifier "g2" .
kb:drug-x rdfs:label "drug x" .
"""


def dose_statement(name, guideline, line, low, high, unit="mg/d", extra=""):
    return f"""
<https://w3id.org/guidegraph/kb/{name}> gg:guideline kb:{guideline} ; gg:sourceLine {line} ;
    gg:hasDose <https://w3id.org/guidegraph/kb/{name}/dose/1> .
<https://w3id.org/guidegraph/kb/{name}/dose/1> gg:drug kb:drug-x ; gg:low {low} ; gg:high {high} ;
    gg:unit "{unit}" {extra} .
"""


def graph_of(*parts) -> Graph:
    return Graph().parse(data=HEAD + "".join(parts), format="turtle")


def test_non_overlapping_doses_in_different_guidelines_are_flagged():
    graph = graph_of(dose_statement("a", "g1", 5, 10, 20), dose_statement("b", "g2", 7, 40, 60))
    [conflict] = find_conflicts(graph)
    assert conflict.topic == "drug x dose (mg/d)"
    assert conflict.statements == (str(KB["a"]), str(KB["b"]))
    assert conflict.reason == "drug x dose (mg/d): 10-20 mg/d (g1 line 5), 40-60 mg/d (g2 line 7)"
    assert [(v["low"], v["high"]) for v in conflict.values] == [(10, 20), (40, 60)]


@pytest.mark.parametrize(
    "second, why",
    [
        (dose_statement("b", "g2", 7, 15, 30), "ranges overlap"),
        (dose_statement("b", "g2", 7, 20, 20), "touching at 20 is overlap"),
        (dose_statement("b", "g1", 7, 40, 60), "same guideline: its own alternatives"),
        (dose_statement("b", "g2", 7, 40, 60, unit="mg/kg/d"), "different units are not compared"),
        (dose_statement("b", "g2", 7, 40, 60, unit="mg", extra='; gg:taperStep true ; gg:frequency "1/mo"'),
         "a taper step is not a dose to give"),
        (dose_statement("b", "g2", 7, 40, 40, extra='; gg:comparator "<"'), "a bound is not a dose to give"),
    ],
)
def test_dose_pairs_that_are_not_conflicts(second, why):
    graph = graph_of(dose_statement("a", "g1", 5, 10, 20), second)
    assert find_conflicts(graph) == [], why


def test_different_routes_are_different_regimens():
    oral = dose_statement("a", "g1", 5, 10, 20, extra='; gg:route "oral"')
    iv = dose_statement("b", "g2", 7, 500, 1000, extra='; gg:route "IV"')
    unstated = dose_statement("c", "g2", 9, 500, 1000)
    assert find_conflicts(graph_of(oral, iv)) == []
    [conflict] = find_conflicts(graph_of(oral, unstated))
    assert conflict.statements == (str(KB["a"]), str(KB["c"]))


def target_statement(name, guideline, line, ranges):
    lines = [f"<https://w3id.org/guidegraph/kb/{name}> gg:guideline kb:{guideline} ; gg:sourceLine {line} ."]
    for k, (low, high, population) in enumerate(ranges, start=1):
        node = f"<https://w3id.org/guidegraph/kb/{name}/target/{k}>"
        pop = f'; gg:population "{population}"' if population else ""
        lines.append(f"<https://w3id.org/guidegraph/kb/{name}> gg:hasTarget {node} .")
        lines.append(f'{node} gg:analyte kb:level ; gg:low {low} ; gg:high {high} ; gg:unit "ng/mL" {pop} .')
    return "\n".join(lines) + '\nkb:level rdfs:label "drug x level" .\n'


def test_targets_disagree_within_one_guideline_too():
    graph = graph_of(target_statement("a", "g1", 3, [(4, 6, None)]), target_statement("b", "g1", 9, [(3, 6, None)]))
    [conflict] = find_conflicts(graph)
    assert conflict.topic == "drug x level"
    assert conflict.reason == "drug x level: 4-6 ng/mL (g1 line 3), 3-6 ng/mL (g1 line 9)"


def test_a_value_given_by_several_sources_is_named_once_with_each_line():
    graph = graph_of(
        target_statement("a", "g1", 3, [(4, 6, None)]),
        target_statement("b", "g2", 9, [(3, 6, None)]),
        target_statement("c", "g2", 12, [(4, 6, None)]),
    )
    [conflict] = find_conflicts(graph)
    assert conflict.reason == "drug x level: 4-6 ng/mL (g1 line 3, g2 line 12), 3-6 ng/mL (g2 line 9)"


def many_agreeing(n: int) -> Graph:
    # n guidelines give 4-6 ng/mL, one gives 3-6: one conflict of n + 1 statements
    named = "".join(f'kb:g{k:02} dcterms:identifier "g{k:02}" .\n' for k in range(n)) + 'kb:z dcterms:identifier "z" .\n'
    parts = [target_statement(f"s{k}", f"g{k:02}", 1, [(4, 6, None)]) for k in range(n)]
    return graph_of(named, *parts, target_statement("odd", "z", 7, [(3, 6, None)]))


def test_a_reason_names_three_sources_per_value_and_counts_the_rest():
    [conflict] = find_conflicts(many_agreeing(10))
    assert conflict.reason == "drug x level: 4-6 ng/mL (g00 line 1, g01 line 1, g02 line 1 and 7 more), 3-6 ng/mL (z line 7)"
    assert len(conflict.statements) == len(conflict.values) == 11  # every source is still in the conflict


def test_a_reason_does_not_grow_with_the_number_of_sources():
    # The saved query repeats the reason on each statement's row: a reason naming every source
    # made that answer grow with the square of the library (344 MB at 1,000 synthetic guidelines).
    small, large = (find_conflicts(many_agreeing(n))[0] for n in (10, 400))
    assert len(large.statements) == 401
    assert len(large.reason) - len(small.reason) == len("397") - len("7")


def test_identical_targets_and_one_statements_population_contrast_are_not_conflicts():
    same = graph_of(target_statement("a", "g1", 3, [(4, 6, None)]), target_statement("b", "g2", 9, [(4, 6, None)]))
    assert find_conflicts(same) == []
    contrast = graph_of(target_statement("a", "g1", 3, [(0.6, 1, "autoimmune"), (6, 10, "transplant")]))
    assert find_conflicts(contrast) == []


def test_conflict_triples_give_one_node_per_conflict():
    graph = graph_of(dose_statement("a", "g1", 5, 10, 20), dose_statement("b", "g2", 7, 40, 60))
    conflicts = find_conflicts(graph)
    triples = set(conflict_triples(conflicts))
    node = KB["conflict/drug-x-dose-mg-d"]
    assert (node, RDF.type, GG.Conflict) in triples
    assert {o for s, p, o in triples if p == GG.statement} == {URIRef(KB["a"]), URIRef(KB["b"])}
    assert (node, GG.reason, Literal(conflicts[0].reason)) in triples


def test_a_restated_range_that_does_not_agree_is_reported():
    graph = graph_of(
        target_statement("a", "g1", 3, [(4, 6, None)]),
        """
        kb:level gg:drug kb:drug-x . kb:drug-x gg:molarMass 804.02 .
        <https://w3id.org/guidegraph/kb/a/target/1> gg:statedAs <https://w3id.org/guidegraph/kb/a/target/1/stated-as> ;
            gg:unitsAgree false .
        <https://w3id.org/guidegraph/kb/a/target/1/stated-as> gg:low 10 ; gg:high 15 ; gg:unit "nmol/L" .
        """,
    )
    [finding] = unit_findings(graph)
    assert finding["agrees"] is False
    assert "does not agree" in finding["explanation"]


# ---------------------------------------------------------------- command line


def test_cli_conflicts_text_lists_each_value_with_its_source(capsys):
    code = main(["conflicts"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert "tacrolimus trough level: 5 statements disagree" in out
    assert f'4-6 ng/mL  {LUPUS} line 33  "trough levels of 4-6 ng/ml (5-7.4 nmol/l)"' in out
    assert f"6-10 ng/mL (transplant)  {AUTO} line 26" in out
    assert "does not pick one" in out


def test_cli_conflicts_json(capsys):
    code = main(["conflicts", "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 0
    [conflict] = json.loads(out)
    assert conflict["topic"] == "tacrolimus trough level" and len(conflict["values"]) == 6
