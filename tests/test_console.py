"""The SPARQL console's outcomes: rows and downloads, or one message per way a query fails."""

from __future__ import annotations

import json

import pytest

from graph.console import run_console
from graph.sparql import saved_query


def test_a_saved_query_gives_rows_and_csv_and_json_downloads(kb):
    query = saved_query("pitfalls")
    outcome = run_console(kb, query.text, saved=query, name="pitfalls")
    assert outcome.ok and outcome.form == "SELECT"
    assert len(outcome.rows) == 13 and outcome.message == "13 rows"
    assert {"guideline", "line", "text"} <= set(outcome.columns)
    csv, js = outcome.downloads
    assert csv.file_name == "pitfalls.csv" and csv.data.splitlines()[0].startswith("guideline,")
    assert len(json.loads(js.data)["results"]["bindings"]) == 13


def test_a_saved_query_with_a_parameter_takes_its_binding(kb):
    query = saved_query("statements-mentioning")
    outcome = run_console(kb, query.text, saved=query, bindings={"drug": "MMF"})
    assert outcome.ok and len(outcome.rows) > 0
    missing = run_console(kb, query.text, saved=query, bindings={"drug": " "})
    assert missing.problem == "input" and "needs a value for drug" in missing.message
    wrong = run_console(kb, query.text, saved=query, bindings={"drug": "kb:drug/mycophenolate"})
    assert wrong.problem == "input" and "drug takes text" in wrong.message and not wrong.rows


def test_cells_are_readable_terms(kb):
    outcome = run_console(kb, "SELECT ?d WHERE { ?d a gg:Drug ; rdfs:label 'rituximab' }")
    assert outcome.rows == ({"d": "kb:drug/rituximab"},)


@pytest.mark.parametrize(
    "text, problem, words",
    [
        ("SELECT ?x WHERE { ?x a }", "syntax", "Not valid SPARQL"),
        ("DELETE WHERE { ?s ?p ?o }", "refused", "Query refused"),
        ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "refused", "Query refused"),
        ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "refused", "Query refused"),
        ("   ", "input", "Type a query"),
    ],
    ids=["syntax", "update", "service", "from", "empty"],
)
def test_each_failure_is_one_clear_message(kb, text, problem, words):
    outcome = run_console(kb, text)
    assert outcome.problem == problem and outcome.message.startswith(words)
    assert not outcome.rows and not outcome.downloads


def test_a_slow_query_is_stopped_at_its_time_limit(kb):
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    outcome = run_console(kb, heavy, timeout_ms=200)
    assert outcome.problem == "timeout" and "200 ms" in outcome.message


def test_a_graph_query_downloads_as_rdf(kb):
    outcome = run_console(kb, "CONSTRUCT { ?d rdfs:label ?l } WHERE { ?d a gg:Drug ; rdfs:label ?l }")
    assert outcome.columns == ("subject", "predicate", "object")
    assert [d.file_name for d in outcome.downloads] == ["query.ttl", "query.jsonld", "query.nt"]


def test_a_cut_result_says_so(kb):
    outcome = run_console(kb, "SELECT ?s WHERE { ?s a gg:Statement }", max_rows=5)
    assert outcome.truncated and len(outcome.rows) == 5 and "cut at the row cap of 5" in outcome.message


@pytest.mark.parametrize("text, says", [
    ("SELECT ?x WHERE { BIND(<http://example.org/f>(1) AS ?x) }",
     "Unknown function: the function <http://example.org/f> is not supported here"),
    ('SELECT ?x WHERE { BIND(STRLENN("a") AS ?x) }',
     "Unknown function: the function STRLENN (line 1, column 24) is not supported here"),
])
def test_an_unknown_function_is_said_once(kb, text, says):
    """Before: "Query failed: query failed: The custom function <...> is not supported"."""
    outcome = run_console(kb, text)
    assert outcome.problem == "unsupported" and outcome.message.startswith(says)
    assert outcome.message.lower().count("query failed") == 0 and outcome.message.count("not supported") == 1


def test_an_engine_failure_says_query_failed_once(kb, monkeypatch):
    from graph.sparql import QueryFailed

    def fail(*args, **kwargs):
        raise QueryFailed("query failed: the engine stopped")

    monkeypatch.setattr(kb, "query", fail)
    outcome = run_console(kb, "ASK { ?s ?p ?o }")
    assert (outcome.problem, outcome.message) == ("failed", "Query failed: the engine stopped")
