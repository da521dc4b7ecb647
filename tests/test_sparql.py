"""Guarded SPARQL: the guards, as a matrix of entry points x hostile queries, and the results.

Nothing a query does may reach the network or the file system. Two witnesses check that during
every hostile query: the test-wide Python audit hook of conftest.py, here strict (``audit.watching()``:
nothing at all may be reached, it sees rdflib and everything else written in Python, in this process
and in the forked query workers), and a TCP listener on 127.0.0.1 that a SERVICE clause points at
(it sees connections from Oxigraph's own HTTP client, which no Python hook sees).
"""

from __future__ import annotations

import csv
import io
import json
import socket
import time
from enum import Enum

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from graph import cli
from graph.errors import InputError
from graph.isolation import WAIT_FACTOR
from graph.library import PROJECT_ROOT
from graph.sparql import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT_MS,
    PARSE_MIN_MS,
    Guardrails,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    check_bindings,
    check_query,
    parse_binding,
    parse_term,
    read_saved_query,
    run_query,
    saved_queries,
    saved_query,
)
from graph.sparql_formats import FORMATS, format_result
from graph.vocab import GG, KB
from tests.helpers import try_to_connect_beyond_this_machine

CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PITFALLS = "SELECT ?s WHERE { ?s a gg:Pitfall }"
SHORT_MS = 300
# A query past its limit is stopped within this: on a busy machine the clock allows the worker
# WAIT_FACTOR times its processor-time limit, then killing and reaping it. CROSS_JOIN alone would
# compute for hours.
STOPPED_WITHIN_S = SHORT_MS * WAIT_FACTOR / 1000 + 1.0


# ---------------------------------------------------------------- witnesses


@pytest.fixture
def listener():
    """A TCP socket on 127.0.0.1 that nothing should ever connect to."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def assert_no_connection(server: socket.socket) -> None:
    try:
        connection, peer = server.accept()
    except BlockingIOError:
        return
    connection.close()
    pytest.fail(f"a query connected to the listener from {peer}")


def test_the_audit_witness_sees_what_it_must(audit, listener):
    # A witness that sees nothing proves nothing: it must catch an open, a connection, a visitor.
    with pytest.raises(AssertionError, match="open /etc/passwd"):
        with audit.watching():
            try:
                open("/etc/passwd").close()
            except OSError:
                pass
    with pytest.raises(AssertionError, match="connect"):
        with audit.watching():
            try_to_connect_beyond_this_machine()
    with socket.create_connection(listener.getsockname()):
        time.sleep(0.05)
        with pytest.raises(pytest.fail.Exception):
            assert_no_connection(listener)


def test_rdflib_engine_never_loads_from_graphs_even_without_the_guard(rdflib_kb, audit):
    # The second lock: SPARQL_LOAD_GRAPHS off in the engine itself, checked past check_query.
    from graph.sparql import _evaluate

    with audit.watching():
        result = _evaluate(
            rdflib_kb.graph, "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", {},
            form="SELECT", max_rows=10, deadline=None,
        )
    assert not any("root:" in str(term) for row in result.rows for term in row)  # rows of this graph only


# ---------------------------------------------------------------- the matrix


class Outcome(Enum):
    REFUSED = "refused"
    TIMEOUT = "timeout"
    SYNTAX = "syntax"


class Hostile(Enum):
    """Queries the guards must stop, each with what stops it and words of the one-line message."""

    DELETE_WHERE = ("DELETE WHERE { ?s ?p ?o }", Outcome.REFUSED, "UPDATE is refused")
    INSERT_DATA = ('INSERT DATA { <urn:x:a> <urn:x:b> "c" }', Outcome.REFUSED, "UPDATE is refused")
    LOAD = ("LOAD <http://example.org/evil.ttl>", Outcome.REFUSED, "UPDATE is refused")
    DROP_HIDDEN = ("# a comment\nPREFIX x: <http://x/>\ndrop   ALL", Outcome.REFUSED, "UPDATE is refused")
    SERVICE = ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", Outcome.REFUSED, "SERVICE is refused")
    SERVICE_TO_LISTENER = (
        "PREFIX gg: <https://w3id.org/guidegraph/ontology#> SELECT * WHERE { ?s a gg:Pitfall "
        "OPTIONAL { SERVICE SILENT <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } } }",
        Outcome.REFUSED,
        "SERVICE is refused",
    )
    FROM_FILE = ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", Outcome.REFUSED, "FROM")
    FROM_NAMED_URL = (
        "SELECT * FROM NAMED <http://127.0.0.1:{port}/g.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }",
        Outcome.REFUSED,
        "FROM",
    )
    CROSS_JOIN = (CROSS_JOIN, Outcome.TIMEOUT, f"time limit of {SHORT_MS} ms")
    SYNTAX_ERROR = ("SELECT * WHERE { ?s ?p }", Outcome.SYNTAX, "line 1, column 18")

    def __init__(self, text, outcome, words):
        self.text, self.outcome, self.words = text, outcome, words


class Entry(Enum):
    PYTHON = "python"
    CLI = "cli"
    HTTP = "http"


# What each entry point answers for each outcome: an exception class, an exit code, an HTTP status.
EXPECTED = {
    Entry.PYTHON: {Outcome.REFUSED: QueryRefused, Outcome.TIMEOUT: QueryTimeout, Outcome.SYNTAX: QuerySyntaxError},
    Entry.CLI: {Outcome.REFUSED: 2, Outcome.TIMEOUT: 2, Outcome.SYNTAX: 2},
    Entry.HTTP: {Outcome.REFUSED: 403, Outcome.TIMEOUT: 503, Outcome.SYNTAX: 400},
}


def matrix():
    for entry in Entry:
        for hostile in Hostile:
            yield pytest.param(entry, hostile, "memory", id=f"{entry.value}-{hostile.name.lower()}")
    for hostile in Hostile:  # the rdflib store: the same guards around rdflib's own engine
        yield pytest.param(Entry.PYTHON, hostile, "rdflib", id=f"python-rdflib-{hostile.name.lower()}")


@pytest.fixture(scope="module")
def rdflib_kb():
    from graph import KnowledgeBase

    return KnowledgeBase.load(store="rdflib", validate=False)


@pytest.fixture(scope="module")
def clients(kb):
    """Endpoints with the short and the default time limit, by limit."""
    from fastapi.testclient import TestClient

    from graph.server import create_app

    return {ms: TestClient(create_app(kb, Guardrails(timeout_ms=ms))) for ms in (SHORT_MS, DEFAULT_TIMEOUT_MS)}


def ask(entry: Entry, kb, text: str, *, clients, capsys, monkeypatch, timeout_ms=SHORT_MS):
    """Run ``text`` through one entry point; return (what it answered, the message, answered rows)."""
    if entry is Entry.PYTHON:
        try:
            result = kb.query(text, timeout_ms=timeout_ms)
        except InputError as error:
            return type(error), str(error), None
        return "ok", "", len(result)
    if entry is Entry.CLI:
        monkeypatch.setattr(cli, "_load", lambda args, validate=True: kb)  # loading is tested elsewhere
        capsys.readouterr()
        code = cli.main(["sparql", text, "--timeout-ms", str(timeout_ms), "--format", "csv"])
        out, err = capsys.readouterr()
        return code, err.strip(), len(out.splitlines()) - 1 if code == 0 else None
    response = clients[timeout_ms].get("/sparql", params={"query": text}, headers={"Accept": "text/csv"})
    rows = len(response.text.splitlines()) - 1 if response.status_code == 200 else None
    return response.status_code, response.text.strip(), rows


@pytest.mark.parametrize("entry, hostile, store", list(matrix()))
def test_hostile_query_is_stopped_and_nothing_leaves(
    entry, hostile, store, kb, rdflib_kb, clients, audit, listener, capsys, monkeypatch
):
    base = kb if store == "memory" else rdflib_kb
    text = hostile.text.replace("{port}", str(listener.getsockname()[1]))
    started = time.monotonic()
    with audit.watching():
        answered, message, _ = ask(entry, base, text, clients=clients, capsys=capsys, monkeypatch=monkeypatch)
    elapsed = time.monotonic() - started
    assert_no_connection(listener)
    assert answered == EXPECTED[entry][hostile.outcome], message
    assert hostile.words in message
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    if hostile.outcome is Outcome.TIMEOUT:
        assert elapsed < STOPPED_WITHIN_S  # stopped at the limit, not when the query would finish
    # The process stays usable: the next query through the same door answers.
    answered, _, rows = ask(
        entry, base, PITFALLS, clients=clients, capsys=capsys, monkeypatch=monkeypatch, timeout_ms=DEFAULT_TIMEOUT_MS
    )
    assert answered in ("ok", 0, 200) and rows == 13


def test_the_graph_is_unchanged_after_the_hostile_queries(kb):
    before = len(kb.graph)
    for hostile in Hostile:
        with pytest.raises(InputError):
            kb.query(hostile.text.replace("{port}", "9"), timeout_ms=SHORT_MS)
    assert len(kb.graph) == before
    assert kb.query("ASK { ?s a gg:Pitfall }").boolean is True


# ---------------------------------------------------------------- detection by parsing


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <urn:a> <urn:b> 1 }",
        "DELETE DATA { <urn:a> <urn:b> 1 }",
        "DELETE WHERE { ?s ?p ?o }",
        "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
        "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "LOAD SILENT <http://example.org/x.ttl> INTO GRAPH <urn:g>",
        "CLEAR DEFAULT",
        "CREATE GRAPH <urn:g>",
        "DROP ALL",
        "COPY DEFAULT TO <urn:g>",
        "MOVE <urn:a> TO <urn:b>",
        "ADD <urn:a> TO <urn:b>",
        "insert data { <urn:a> <urn:b> 1 }",
        "PREFIX gg: <https://w3id.org/guidegraph/ontology#>\nCLEAR ALL ; DROP ALL",
    ],
)
def test_every_update_form_is_refused(text):
    with pytest.raises(QueryRefused, match="UPDATE is refused") as caught:
        check_query(text)
    assert caught.value.reason == "update"


@pytest.mark.parametrize(
    "text",
    [
        "# DELETE WHERE { ?s ?p ?o }\nSELECT ?s WHERE { ?s ?p ?o }",
        'SELECT ?s WHERE { ?s ?p "SERVICE <http://example.org/> { }" }',
        'SELECT ?s WHERE { ?s ?p "FROM <file:///etc/passwd>" }',
        "SELECT ?s WHERE { ?s <http://example.org/service#from> ?o }",
        "ASK { ?s ?p ?o } # LOAD <http://example.org/>",
    ],
)
def test_words_in_comments_strings_and_iris_neither_trigger_nor_hide_a_guard(text):
    assert check_query(text) in ("SELECT", "ASK")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { OPTIONAL { SERVICE <http://example.org/> { ?s ?p ?o } } }",
        "SELECT * WHERE { { SELECT ?s WHERE { SERVICE SILENT ?endpoint { ?s ?p ?o } } } }",
        "ASK { FILTER EXISTS { SERVICE <http://example.org/> { ?s ?p ?o } } }",
        "CONSTRUCT { ?s ?p ?o } WHERE { service <http://example.org/> { ?s ?p ?o } }",
    ],
)
def test_service_anywhere_in_the_query_is_refused(text):
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_query(text)


@pytest.mark.parametrize("clause", ["FROM <urn:g>", "FROM NAMED <urn:g>", "FROM <http://example.org/a> FROM NAMED <urn:b>"])
def test_from_and_from_named_are_refused(clause):
    with pytest.raises(QueryRefused, match="FROM and FROM NAMED are refused"):
        check_query(f"SELECT * {clause} WHERE {{ ?s ?p ?o }}")


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "empty query"),
        ("   \n", "empty query"),
        ("PREFIX gg: <https://w3id.org/guidegraph/ontology#>", "line 1, column 51"),  # a prologue is no query
        ("SELECT ?s\nWHERE {\n  ?s ?p ?o\n", "line 4"),
        ("SELEC * WHERE { ?s ?p ?o }", "line 1, column 1"),
    ],
)
def test_syntax_errors_say_where(text, words):
    with pytest.raises(QuerySyntaxError) as caught:
        check_query(text)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_an_undeclared_prefix_is_named_with_its_position(kb):
    with pytest.raises(QuerySyntaxError, match=r"line 2, column \d+: prefix foo: is not declared"):
        kb.query("SELECT * WHERE {\n ?s foo:bar ?o }")


def test_the_project_prefixes_need_no_declaration(kb):
    assert len(kb.query("SELECT ?s WHERE { ?s a gg:Pitfall ; gg:guideline kb:lupus-tacrolimus-rebound }")) == 7


def test_an_overlong_query_is_refused_before_parsing():
    with pytest.raises(QueryRefused, match="limit is 100"):
        check_query("SELECT * WHERE { ?s ?p ?o }" + " " * 200, max_chars=100)


# ---------------------------------------------------------------- bindings


@pytest.mark.parametrize(
    "text, term",
    [
        ("3", Literal(3)),
        ("-2", Literal(-2)),
        ("0.5", Literal("0.5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))),
        ("true", Literal(True)),
        ('"5"', Literal("5")),
        ('"rash"@en', Literal("rash", lang="en")),
        ('"5"^^xsd:integer', Literal(5)),
        ('"5"^^<http://www.w3.org/2001/XMLSchema#integer>', Literal(5)),
        ('"a b"', Literal("a b")),
        ('"say \\"no\\""', Literal('say "no"')),
        ('"""say "no" twice"""', Literal('say "no" twice')),
        ('"caf\\u00e9"', Literal("café")),
        ('""', Literal("")),
        ("<https://example.org/x>", URIRef("https://example.org/x")),
        ("kb:lupus-tacrolimus-rebound/pathway", KB["lupus-tacrolimus-rebound/pathway"]),
        ("gg:Pitfall", GG.Pitfall),
        ("tacrolimus", Literal("tacrolimus")),
        ("mycophenolate mofetil", Literal("mycophenolate mofetil")),
        ("http://example.org/x", Literal("http://example.org/x")),  # unknown prefix "http": a string
    ],
)
def test_parse_term_reads_values_as_rdf_terms(text, term):
    assert parse_term(text) == term


@pytest.mark.parametrize("text", ["x=<not an iri>", "=3", "ref"])
def test_bad_bindings_are_refused(text):
    with pytest.raises(InputError):
        parse_binding(text)


@pytest.mark.parametrize(
    "value",
    ['"unterminated', '"a"b', '"a" b', '"a"@', '"a"^^', '"3"^^xsd:integer junk', '"a"^^<not an iri>',
     '"x"@en"y"', '"a\\qb"', '"', '"""a""""'],
)
def test_a_malformed_quoted_value_was_bound_cut_short(value):
    """Before: '"abc' was bound as "" and '"a"b' as "a", silently: a query answered for another value."""
    with pytest.raises(InputError) as refused:
        parse_binding(f"x={value}")
    assert f"cannot read {value!r} as a literal" in str(refused.value)


@pytest.mark.parametrize("value, says", [
    ("<https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound", "as an IRI"),
    ("<https://x>junk", "as an IRI"),
    ('"x"^^xsd:integer', "'x' is not a valid xsd:integer"),
    ('"2026-13-45"^^xsd:date', "is not a valid xsd:date"),
])
def test_an_unclosed_iri_or_an_ill_typed_literal_is_refused_in_one_line(capsys, value, says):
    """Before: an IRI without its > was bound as <https://>, and "x"^^xsd:integer printed rdflib's
    traceback and ran the query (exit 0)."""
    from graph.cli import main

    assert main(["sparql", "--saved", "statements-mentioning", "--bind", f"drug={value}"]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


def test_binding_names_and_values_are_checked():
    assert check_bindings({"?ref": 3}) == {"ref": Literal(3)}
    with pytest.raises(InputError, match="not a variable name"):
        check_bindings({"ref } DROP ALL": 3})
    with pytest.raises(InputError, match="blank node"):
        check_bindings({"s": BNode()})
    with pytest.raises(InputError, match="cannot bind a list"):
        check_bindings({"s": [1, 2]})
    with pytest.raises(InputError, match="cannot bind an object"):
        check_bindings({"s": object()})


def test_a_hostile_value_stays_a_literal(kb):
    before = len(kb.graph)
    hostile = '1 } } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o'
    result = kb.query("SELECT ?s ?text WHERE { ?s gg:text ?text }", bindings={"text": hostile})
    assert len(result) == 0 and len(kb.graph) == before


def test_a_binding_selects_rows(kb):
    result = kb.query("SELECT ?s ?line WHERE { ?s a gg:Pitfall ; gg:sourceLine ?line }", bindings={"line": 52})
    assert result.values("s") == [KB["lupus-tacrolimus-rebound/dont-restart-the-same-dose-without-reassessment/1"]]


def test_a_bound_variable_must_be_returned_on_oxigraph(kb):
    with pytest.raises(InputError, match=r"cannot bind \?line: a bound variable must be in the SELECT clause"):
        kb.query("SELECT ?s WHERE { ?s gg:sourceLine ?line }", bindings={"line": 52})


# ---------------------------------------------------------------- limits


def test_guardrail_defaults():
    assert (DEFAULT_TIMEOUT_MS, DEFAULT_MAX_ROWS) == (2000, 1000)
    assert Guardrails() == Guardrails(timeout_ms=2000, max_rows=1000, max_memory_mb=512, max_query_chars=100_000)


@pytest.mark.parametrize("field, value", [("timeout_ms", 0), ("max_rows", -1), ("max_rows", 10**9), ("timeout_ms", "2000"), ("max_rows", True)])
def test_guardrails_out_of_range_are_refused(field, value):
    with pytest.raises(InputError, match=field):
        Guardrails(**{field: value})


def test_the_default_row_cap_cuts_and_says_so(kb):
    result = kb.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert len(result) == 1000 and result.truncated
    assert "cut at the row cap of 1000" in format_result(result, "table")


def test_a_result_that_fits_the_cap_is_not_cut(kb):
    result = kb.query("SELECT ?s WHERE { ?s a gg:Pitfall }", max_rows=13)
    assert len(result) == 13 and not result.truncated


def test_the_row_cap_applies_to_graphs(kb):
    result = kb.query("CONSTRUCT WHERE { ?s gg:sourceLine ?line }", max_rows=5)
    assert len(result.triples) == 5 and result.truncated


def test_a_timeout_stops_the_query_and_the_next_query_runs(kb):
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=f"time limit of {SHORT_MS} ms"):
        kb.query(CROSS_JOIN, timeout_ms=SHORT_MS)
    assert time.monotonic() - started < STOPPED_WITHIN_S
    assert kb.query("ASK { ?s a gg:Pitfall }").boolean is True


def test_a_query_that_grows_past_the_memory_limit_is_stopped(kb):
    sorted_join = "SELECT ?a ?d ?g WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"
    with pytest.raises(QueryTooLarge, match="memory limit of 64 MB"):
        run_query(kb.graph, sorted_join, timeout_ms=20_000, max_memory_mb=64)
    assert kb.query("ASK { ?s a gg:Pitfall }").boolean is True


def test_rdflib_store_stops_too(rdflib_kb):
    with pytest.raises(QueryTimeout):
        rdflib_kb.query(CROSS_JOIN, timeout_ms=SHORT_MS)
    assert len(rdflib_kb.query(PITFALLS)) == 13


# ---------------------------------------------------------------- forms and formats

TRICKY = r'SELECT ?x ?n ?iri WHERE { BIND("tab\there\nnew \"quoted\", comma"@en AS ?x) BIND(2.50 AS ?n) BIND(gg:Pitfall AS ?iri) }'


def test_every_results_format_round_trips_a_tricky_literal(kb):
    result = kb.query(TRICKY)
    expected = {"x": ox.Literal('tab\there\nnew "quoted", comma', language="en"), "iri": ox.NamedNode(str(GG.Pitfall))}
    for fmt, parser in (("json", ox.QueryResultsFormat.JSON), ("xml", ox.QueryResultsFormat.XML), ("tsv", ox.QueryResultsFormat.TSV)):
        (solution,) = list(ox.parse_query_results(format_result(result, fmt), parser))
        assert solution["x"] == expected["x"] and solution["iri"] == expected["iri"], fmt
    (row,) = list(csv.DictReader(io.StringIO(format_result(result, "csv"))))
    assert row == {"x": 'tab\there\nnew "quoted", comma', "n": "2.5", "iri": str(GG.Pitfall)}


def test_json_is_the_sparql_results_json_shape(kb):
    data = json.loads(format_result(kb.query("SELECT ?s WHERE { ?s a gg:Pitfall }", max_rows=2), "json"))
    assert data["head"]["vars"] == ["s"] and len(data["results"]["bindings"]) == 2
    assert data["results"]["bindings"][0]["s"]["type"] == "uri"


def test_ask_answers_true_or_false(kb):
    assert format_result(kb.query("ASK { ?s a gg:Pitfall }"), "table") == "true\n"
    assert format_result(kb.query("ASK { ?s a gg:Nothing }"), "table") == "false\n"
    assert json.loads(format_result(kb.query("ASK { ?s a gg:Pitfall }"), "json")) == {"head": {}, "boolean": True}
    assert "<boolean>false</boolean>" in format_result(kb.query("ASK { ?s a gg:Nothing }"), "xml")


@pytest.mark.parametrize("fmt, rdflib_format", [("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt")])
def test_graph_formats_parse_back_to_the_same_graph(kb, fmt, rdflib_format):
    result = kb.query("CONSTRUCT WHERE { ?s gg:hasTarget ?t . ?t gg:low ?low ; gg:unit ?unit }")
    parsed = Graph().parse(data=format_result(result, fmt), format=rdflib_format)
    assert len(parsed) == len(result.triples) == 21 and isomorphic(parsed, result.graph)


def test_describe_gives_a_graph(kb):
    result = kb.query("DESCRIBE kb:lupus-tacrolimus-rebound")
    assert result.form == "DESCRIBE"
    assert (KB["lupus-tacrolimus-rebound"], URIRef("http://purl.org/dc/terms/identifier"), Literal("lupus-tacrolimus-rebound")) in set(result.triples)


def test_the_table_is_aligned_with_a_count(kb):
    text = format_result(kb.query("SELECT ?line ?s WHERE { ?s a gg:Pitfall ; gg:sourceLine ?line } ORDER BY ?line LIMIT 2"), "table")
    lines = text.splitlines()
    assert lines[0].split(" | ")[0].strip() == "line" and set(lines[1]) <= {"-", "+"}
    assert lines[2].startswith("39   | kb:autoimmune-tacrolimus-rebound/") and lines[-1] == "2 rows"
    assert lines[0].index("|") == lines[1].index("+") == lines[2].index("|")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_format_that_does_not_fit_the_result_is_refused(kb, fmt):
    select, construct = kb.query(PITFALLS, max_rows=1), kb.query("CONSTRUCT WHERE { ?s a gg:Pitfall }", max_rows=1)
    for result in (select, construct):
        try:
            text = format_result(result, fmt)
        except InputError as error:
            assert "write it as one of" in str(error)
            assert (fmt in ("ttl", "jsonld", "nt")) != result.is_graph
        else:
            assert text and ((fmt in ("ttl", "jsonld", "nt", "xml", "table")) if result.is_graph else fmt != "ttl")


# ---------------------------------------------------------------- the CLI end to end


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_saved_query_as_csv(capsys):
    code, out, err = run(capsys, "sparql", "--saved", "weight-based-doses", "--format", "csv")
    assert code == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["drug"], r["line"], r["unit"]) for r in rows][0] == ("azathioprine", "2", "mg/kg/d") and len(rows) == 7


def test_cli_query_file_bindings_and_output_file(capsys, tmp_path, monkeypatch, kb):
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: kb)
    query = tmp_path / "lines.rq"
    query.write_text("SELECT ?line ?s WHERE { ?s gg:sourceLine ?line ; a gg:Pitfall }", encoding="utf-8")
    target = tmp_path / "out.json"
    code, _, err = run(capsys, "sparql", str(query), "--bind", "line=52", "--format", "json", "-o", str(target))
    assert code == 0 and "wrote" in err
    assert json.loads(target.read_text())["results"]["bindings"][0]["line"]["value"] == "52"
    code, _, err = run(capsys, "sparql", str(query), "-o", str(target))
    assert code == 2 and "exists already" in err


def test_cli_truncation_is_said_on_stderr(capsys, monkeypatch, kb):
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: kb)
    code, out, err = run(capsys, "sparql", PITFALLS, "--max-rows", "3", "--format", "tsv")
    assert code == 0 and len(out.splitlines()) == 4 and "cut at 3 rows" in err


def test_cli_list_names_every_saved_query_with_parameters(capsys):
    code, out, _ = run(capsys, "sparql", "--list")
    assert code == 0 and "statements-citing" in out and "--bind ref=INTEGER --bind guideline=IRI (optional)" in out
    code, out, _ = run(capsys, "sparql", "--list", "--format", "json")
    assert {q["name"] for q in json.loads(out)} >= {"pitfalls", "drug-doses"}


@pytest.mark.parametrize("fmt, delimiter", [("csv", ","), ("tsv", "\t")])
def test_cli_list_as_csv_or_tsv_has_a_row_per_saved_query(capsys, fmt, delimiter):
    """Before: --format csv and tsv were ignored and the text listing came out."""
    code, out, _ = run(capsys, "sparql", "--list", "--format", fmt)
    rows = list(csv.reader(io.StringIO(out), delimiter=delimiter))
    assert code == 0 and rows[0] == ["name", "title", "description", "parameters"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {q.name for q in saved_queries()}
    assert by_name["statements-citing"][3] == "ref (required, integer); guideline (optional, iri)"
    assert by_name["pitfalls"][1] == "Pitfalls with their citations" and by_name["pitfalls"][3] == ""
    assert all(len(row) == 4 for row in rows)


@pytest.mark.parametrize("bind, says", [
    ("ref=five", "ref takes an integer (the reference number: --bind ref=5), not 'five'"),
    ("ref=5.0", "ref takes an integer"),
    ("ref=kb:drug/tacrolimus", "ref takes an integer"),
])
def test_cli_a_saved_query_refuses_a_value_of_the_wrong_kind(capsys, bind, says):
    """Before: ref=five was bound as a string and the query quietly answered no rows."""
    code, out, err = run(capsys, "sparql", "--saved", "statements-citing", "--bind", bind)
    assert code == 2 and out == ""
    assert err.startswith("guidegraph: error: saved query 'statements-citing': ") and says in err


def test_saved_query_parameters_check_their_kind():
    citing, mentioning = saved_query("statements-citing"), saved_query("statements-mentioning")
    guideline = URIRef("https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound")
    assert citing.check_bindings({"ref": 5, "guideline": guideline}) == {"ref": Literal(5), "guideline": guideline}
    with pytest.raises(InputError, match="guideline takes an IRI .*, not 'lupus'"):
        citing.check_bindings({"ref": 5, "guideline": "lupus"})
    with pytest.raises(InputError, match="drug takes text .*, not <https://w3id.org/guidegraph/kb/drug/x>"):
        mentioning.check_bindings({"drug": URIRef("https://w3id.org/guidegraph/kb/drug/x")})
    # text is matched against labels, which are plain strings: a number typed as a name still is one
    assert mentioning.check_bindings({"drug": Literal(6)}) == {"drug": Literal("6")}


def test_a_parameter_of_an_unknown_kind_is_refused_where_it_is_written(tmp_path):
    query = tmp_path / "q.rq"
    query.write_text("# title: t\n# description: d\n# param: x (required, number) x\nSELECT ?x WHERE {}\n")
    with pytest.raises(InputError, match="a parameter is '# param: NAME .*not '# param: x"):
        read_saved_query(query)


def test_cli_a_saved_query_name_given_as_the_query_says_to_use_saved(capsys):
    code, out, err = run(capsys, "sparql", "pitfalls")
    assert code == 2 and out == ""
    assert err == "guidegraph: error: 'pitfalls' is a saved query: run it with --saved pitfalls\n"


def test_cli_list_refuses_a_graph_format(capsys):
    code, out, err = run(capsys, "sparql", "--list", "--format", "ttl")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == ["guidegraph: error: the list of saved queries is written as table, json, csv or tsv; not ttl"]


def test_cli_list_writes_to_the_output_file_it_is_given(capsys, tmp_path):
    """Before: -o was ignored by --list, which printed to standard output."""
    listing = tmp_path / "queries.json"
    code, out, err = run(capsys, "sparql", "--list", "--format", "json", "-o", str(listing))
    assert code == 0 and out == "" and f"wrote {listing}" in err
    assert {q["name"] for q in json.loads(listing.read_text(encoding="utf-8"))} >= {"pitfalls", "drug-doses"}
    code, _, err = run(capsys, "sparql", "--list", "-o", str(listing))
    assert code == 2 and "exists already; pass --force" in err


@pytest.mark.parametrize(
    "argv, words",
    [
        (["sparql"], "give a query"),
        (["sparql", "ASK {}", "--saved", "pitfalls"], "one of them"),
        (["sparql", "missing.rq"], "no such query file"),
        (["sparql", "--saved", "nope"], "no saved query 'nope'"),
        (["sparql", "--saved", "statements-citing"], "needs a value for ref"),
        (["sparql", "ASK { ?s ?p ?o }", "--format", "ttl"], "an ASK query gives a boolean; write it as one of"),
        (["sparql", "SELECT * { ?s ?p ?o }", "--format", "ttl"], "a SELECT query gives rows; write it as one of"),
        (["sparql", "ASK { ?s ?p ?o }", "--timeout-ms", "0"], "argument --timeout-ms: must be a whole number from 1 to 600000, not '0'"),
        (["sparql", "ASK { ?s ?p ?o }", "--max-rows", "-5"], "argument --max-rows: must be a whole number from 1 to 1000000, not '-5'"),
        (["sparql", "ASK { ?s ?p ?o }", "--max-rows", "2000000"], "argument --max-rows: must be a whole number from 1 to 1000000"),
        (["sparql", "SELECT ?x WHERE { }", "--bind", 'x="abc'], """cannot read '"abc' as a literal"""),
        (["sparql", "SELECT ?x WHERE { }", "--bind", 'x="a"b'], """cannot read '"a"b' as a literal"""),
    ],
)
def test_cli_usage_errors_are_one_line_and_exit_2(capsys, monkeypatch, kb, argv, words):
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: kb)
    code, out, err = run(capsys, *argv)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1 and out == ""


def test_oxigraph_service_cannot_connect_even_without_the_guard(kb, listener):
    # The second lock under the parser: the query worker has no network (where the kernel allows).
    from functools import partial

    from graph.isolation import network_isolated, run_isolated
    from graph.sparql import _evaluate

    if not run_isolated(network_isolated, timeout_ms=2000, max_memory_mb=64).value:
        pytest.skip("unprivileged network namespaces are not allowed here: only the parser guard applies")
    port = listener.getsockname()[1]
    unguarded = partial(
        _evaluate, kb.graph, f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}", {},
        form="SELECT", max_rows=10, deadline=None,
    )
    with pytest.raises(OSError):
        run_isolated(unguarded, timeout_ms=3000, max_memory_mb=256)
    assert_no_connection(listener)


# ---------------------------------------------------------------- the README stays honest


def _readme_sparql_section() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## SPARQL")
    return readme[start : readme.index("\n## ", start + 1)]


def test_readme_documents_every_guardrail_with_its_default():
    from dataclasses import fields

    section = _readme_sparql_section()
    for setting in fields(Guardrails):
        assert f"`{setting.name}`" in section and f"| {getattr(Guardrails(), setting.name)} |" in section


def _readme_sparql_commands():
    import shlex

    block = _readme_sparql_section().split("```")[1]
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words[:2] == ["guidegraph", "sparql"] and not any(w.endswith(".rq") for w in words):
            yield pytest.param(words[1:], id=" ".join(words[2:4]))


@pytest.mark.parametrize("argv", list(_readme_sparql_commands()))
def test_readme_sparql_examples_run(argv, capsys, monkeypatch, kb):
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: kb)
    code, out, err = run(capsys, *argv)
    assert code == 0 and out.strip() and err == ""


# ---------------------------------------------------------------- long queries


def test_a_long_query_parses_in_a_worker_and_runs(kb):
    # rdflib's grammar recurses per triple pattern; 150 patterns pass Python's default limit.
    text = "SELECT ?s0 WHERE { " + "".join(f"?s{i} gg:sourceLine 52 . " for i in range(120)) + "}"
    result = kb.query(text, max_rows=5, timeout_ms=20_000)
    assert len(result) == 5 and result.truncated


def test_a_short_time_limit_is_for_the_evaluation_not_the_parse():
    # A limit of 1 ms would stop any worker before it parsed: the parse has PARSE_MIN_MS.
    text = "SELECT ?pitfall WHERE { ?pitfall a gg:Pitfall } # " + str(time.time_ns())  # never parsed before
    assert check_query(text, timeout_ms=1) == "SELECT"


def test_a_query_too_long_to_parse_in_time_is_stopped(kb):
    # About 3.5 s of parsing: past the parse limit of PARSE_MIN_MS, whatever the query's limit.
    text = "SELECT * WHERE { " + "".join(f"?s ?p ?o{i}." for i in range(7500)) + "}"
    with pytest.raises(QueryTimeout, match=f"too long to parse: parsing passed its limit of {PARSE_MIN_MS:,} ms"):
        kb.query(text, timeout_ms=SHORT_MS)
    assert kb.query("ASK { ?s a gg:Pitfall }").boolean is True


# ---------------------------------------------------------------- a byte order mark


def test_cli_a_query_file_saved_with_a_byte_order_mark_runs(capsys, tmp_path, monkeypatch, kb):
    """Before: a .rq file saved by a Windows editor was a syntax error at line 1, column 1."""
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: kb)
    query = tmp_path / "q.rq"
    query.write_bytes(b"\xef\xbb\xbfSELECT ?line WHERE { ?s a gg:Pitfall ; gg:sourceLine ?line } ORDER BY ?line LIMIT 2")
    code, out, err = run(capsys, "sparql", str(query), "--format", "csv")
    assert (code, err) == (0, "") and out.splitlines() == ["line", "39", "40"]


def test_a_byte_order_mark_inside_a_string_is_kept(kb):
    result = kb.query('SELECT ?x WHERE { BIND("\ufeffa" AS ?x) }')
    assert str(result.rows[0][0]) == "\ufeffa"


@pytest.mark.parametrize("text, says", [
    ('SELECT ?x WHERE { BIND(STRLENN("a") AS ?x) }', "the function STRLENN (line 1, column 24) is not supported here: "),
    ("SELECT ?x WHERE { BIND(<http://example.org/f>(?y) AS ?x) }", "the function <http://example.org/f> is not supported here: "),
])
def test_cli_an_unknown_function_is_one_line_exit_2(capsys, monkeypatch, kb, text, says):
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: kb)
    code, out, err = run(capsys, "sparql", text)
    assert code == 2 and out == "" and err.startswith(f"guidegraph: error: {says}") and err.count("\n") == 1
    assert "did you mean STRLEN?" in err if "STRLENN" in text else "did you mean" not in err


def test_a_syntax_error_beside_an_unknown_function_is_still_a_syntax_error(kb):
    with pytest.raises(QuerySyntaxError, match="SPARQL syntax error at line 1"):
        kb.query('SELECT ?x WHERE { BIND(FROB("a") AS ?x) ?s }')


# ---------------------------------------------------------------- options that would be ignored


@pytest.mark.parametrize("binds, says", [
    (["ref=5", "ref=6"], "ref is bound twice (--bind ref=5, then ref=6): give each variable one value"),
    (["ref=5", "?ref=5"], "ref is bound twice (--bind ref=5, then ref=5): give each variable one value"),
])
def test_cli_the_same_bind_twice_is_refused(capsys, monkeypatch, kb, binds, says):
    """Before: the last value won silently."""
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: kb)
    argv = ["sparql", "--saved", "statements-citing"] + [word for b in binds for word in ("--bind", b)]
    code, out, err = run(capsys, *argv)
    assert (code, out, err) == (2, "", f"guidegraph: error: {says}\n")


@pytest.mark.parametrize("extra, says", [
    (["ASK { ?s ?p ?o }"], "leave out the query,"),
    (["--saved", "pitfalls"], "leave out --saved,"),
    (["--bind", "ref=5"], "leave out --bind,"),
    (["--saved", "statements-citing", "--bind", "ref=5"], "leave out --saved and --bind,"),
])
def test_cli_list_with_a_query_saved_or_bind_is_refused(capsys, extra, says):
    """Before: --list printed the listing and ignored them."""
    code, out, err = run(capsys, "sparql", "--list", *extra)
    assert code == 2 and out == ""
    assert err == f"guidegraph: error: --list lists the saved queries and runs none: {says} or leave out --list to run it\n"


# ---------------------------------------------------------------- XML


def test_cli_a_graph_as_rdf_xml_is_the_same_graph_as_turtle(capsys, monkeypatch, kb):
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: kb)
    query = "CONSTRUCT WHERE { ?s a gg:Pitfall ; gg:text ?t ; gg:sourceLine ?line }"
    code, xml, err = run(capsys, "sparql", query, "--format", "xml")
    assert code == 0 and err == "" and xml.startswith('<?xml version="1.0"')
    code, turtle, _ = run(capsys, "sparql", query, "--format", "ttl")
    from rdflib.compare import isomorphic

    as_xml, as_turtle = Graph().parse(data=xml, format="xml"), Graph().parse(data=turtle, format="turtle")
    assert len(as_xml) == 39 and isomorphic(as_xml, as_turtle)


@pytest.mark.parametrize("query, says", [
    ('SELECT ?a ?x WHERE { BIND(1 AS ?a) BIND("dose\u0007" AS ?x) }',
     "row 1, column ?x holds U+0007, a character XML 1.0 cannot carry: ask for JSON, CSV or TSV instead"),
    ('CONSTRUCT { <urn:a> gg:text ?x } WHERE { BIND("dose\u0001" AS ?x) }',
     "triple 1, object holds U+0001, a character XML 1.0 cannot carry: ask for Turtle, N-Triples or JSON-LD instead"),
    ("CONSTRUCT { <urn:a> <urn:x:1> 1 } WHERE { }",
     "triple 1, predicate <urn:x:1> cannot be written in RDF/XML (its IRI does not end in an XML name)"),
])
def test_cli_xml_that_could_not_be_read_back_is_refused(capsys, monkeypatch, kb, query, says):
    """Before: the control character was written into the XML, which no XML reader then opens."""
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: kb)
    code, out, err = run(capsys, "sparql", query, "--format", "xml")
    assert code == 2 and out == "" and err.startswith(f"guidegraph: error: {says}") and err.count("\n") == 1
    assert run(capsys, "sparql", query, "--format", "json" if query.startswith("SELECT") else "nt")[0] == 0
