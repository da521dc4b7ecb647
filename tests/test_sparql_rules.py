"""SPARQL 1.1's grouping and scope rules: one line naming the rule and the variable, from Python,
the command line (exit 2) and the endpoint (400), instead of an engine's grammar message or rows
that mean nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from rdflib.plugins.sparql.parser import parseQuery

from graph import cli
from graph.server import create_app
from graph.sparql import QueryRuleError, QuerySyntaxError, saved_queries
from graph.sparql_rules import rule_violation

GROUPING = "SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s ?p ?o }"
GROUPING_SAYS = "SPARQL grouping rule: ?s is selected but not grouped; add GROUP BY ?s, or select (SAMPLE(?s) AS ?s1)"
TWICE = "SELECT (1 AS ?x) ?x WHERE { ?s a gg:Pitfall }"
TWICE_SAYS = "SPARQL scope rule: ?x is selected twice in the SELECT clause; give each column its own name"
BIND = "SELECT ?s WHERE { ?s a gg:Pitfall . BIND(1 AS ?s) }"
BIND_SAYS = ("SPARQL scope rule: BIND(... AS ?s) assigns ?s, which is already bound before it in the same group; "
             "choose a new name")


@pytest.mark.parametrize("text, says", [
    (GROUPING, GROUPING_SAYS),
    (TWICE, TWICE_SAYS),
    (BIND, BIND_SAYS),
    ("SELECT * WHERE { ?a ?b ?c } GROUP BY ?a", "SPARQL grouping rule: SELECT * cannot be used with GROUP BY"),
    ("SELECT ?a (COUNT(*) AS ?n) WHERE { ?a ?b ?c } GROUP BY (STR(?a))", "?a is selected but not grouped"),
    ("SELECT (STR(?b) AS ?x) (COUNT(*) AS ?n) WHERE { ?a ?b ?c } GROUP BY ?a", "(... AS ?x) uses ?b, which is neither grouped"),
    ("SELECT ?b WHERE { ?a ?b ?c } HAVING (COUNT(?b) > 1)", "?b is selected but not grouped"),
    ("SELECT (COUNT(*) AS ?n) (?n * 2 AS ?m) WHERE { ?a ?b ?c }", "(... AS ?m) uses ?n, another column of this SELECT"),
    ("SELECT (1 AS ?s) WHERE { ?s ?p ?o }", "(... AS ?s) assigns ?s, which the query already binds"),
    ("SELECT (1 AS ?x) WHERE { } VALUES ?x { 1 }", "(... AS ?x) assigns ?x, which the query already binds"),
    ("SELECT ?x ?x WHERE { ?x ?p ?o }", "?x is selected twice"),
    ("SELECT * WHERE { OPTIONAL { ?s ?p ?o } BIND(1 AS ?s) }", "BIND(... AS ?s) assigns ?s"),
    ("SELECT * WHERE { VALUES ?s { 1 } BIND(2 AS ?s) }", "BIND(... AS ?s) assigns ?s"),
    ("SELECT * WHERE { BIND(1 AS ?s) BIND(2 AS ?s) }", "BIND(... AS ?s) assigns ?s"),
    ("ASK { ?s ?p ?o BIND(1 AS ?s) }", "BIND(... AS ?s) assigns ?s"),
    ("SELECT ?a WHERE { { SELECT ?q (SAMPLE(?a) AS ?x) WHERE { ?a ?q ?r } } }", "?q is selected but not grouped"),
])
def test_a_broken_rule_is_named_with_its_variable(text, says):
    message = rule_violation(parseQuery(text))
    assert message is not None and says in message and "\n" not in message


@pytest.mark.parametrize("text", [
    "SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { ?a ?b ?c } GROUP BY (STR(?a) AS ?g)",
    "SELECT (STR(?a) AS ?x) (COUNT(*) AS ?n) WHERE { ?a ?b ?c } GROUP BY ?a",
    "SELECT ?a (COUNT(?b) AS ?b) WHERE { ?a ?b ?c } GROUP BY ?a",
    "SELECT (COUNT(?b) AS ?a) WHERE { ?a ?b ?c }",
    "SELECT ?a WHERE { ?a ?b ?c } GROUP BY ?a HAVING (COUNT(?b) > 1) ORDER BY ?c",
    "SELECT * WHERE { BIND(1 AS ?s) ?s ?p ?o }",
    "SELECT * WHERE { ?a ?b ?c MINUS { ?s ?p ?o } BIND(1 AS ?s) }",
    "SELECT * WHERE { ?a ?b ?c FILTER(?s) BIND(1 AS ?s) }",
    "SELECT * WHERE { { SELECT ?a WHERE { ?a ?b ?s } } BIND(1 AS ?s) }",
    "SELECT ?x WHERE { ?x ?p ?o { BIND(1 AS ?x) } }",
    "SELECT ?x WHERE { ?x ?p ?o FILTER EXISTS { BIND(1 AS ?x) } }",
    "SELECT ?x WHERE { ?x ?p ?o } VALUES ?x { 1 }",
])
def test_queries_that_keep_the_rules_pass(text):
    assert rule_violation(parseQuery(text)) is None


@pytest.mark.parametrize("query", saved_queries(), ids=lambda q: q.name)
def test_every_saved_query_keeps_the_rules(query):
    assert rule_violation(parseQuery(query.text)) is None


def test_a_broken_rule_is_a_syntax_error_of_the_query(kb):
    with pytest.raises(QueryRuleError, match=r"^SPARQL grouping rule: \?s is selected") as raised:
        kb.query(GROUPING)
    assert isinstance(raised.value, QuerySyntaxError)


def test_rdflib_store_refuses_too():
    """Before: rdflib's engine answered the grouping query with rows."""
    from graph import KnowledgeBase

    rdflib_kb = KnowledgeBase.load(store="rdflib", validate=False)
    with pytest.raises(QueryRuleError, match="grouping rule"):
        rdflib_kb.query(GROUPING)


@pytest.mark.parametrize("text, says", [(GROUPING, GROUPING_SAYS), (TWICE, TWICE_SAYS), (BIND, BIND_SAYS)])
def test_cli_says_the_rule_in_one_line_and_exits_2(capsys, monkeypatch, kb, text, says):
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: kb)
    assert cli.main(["sparql", text]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"guidegraph: error: {says}\n"


@pytest.mark.parametrize("text, says", [(GROUPING, GROUPING_SAYS), (TWICE, TWICE_SAYS), (BIND, BIND_SAYS)])
def test_endpoint_answers_400_with_the_rule(kb, text, says):
    response = TestClient(create_app(kb)).get("/sparql", params={"query": text})
    assert response.status_code == 400 and response.text == says + "\n"
