"""The read-only SPARQL 1.1 Protocol endpoint: protocol, negotiation, errors, concurrency, a real client."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Namespace, URIRef

from graph import cli
from graph.server import DEFAULT_HOST, DEFAULT_PORT, create_app
from graph.sparql import Guardrails, SavedQuery, saved_query

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SELECT = "SELECT ?line WHERE { ?s a gg:Pitfall ; gg:sourceLine ?line } ORDER BY ?line"
CONSTRUCT = "CONSTRUCT WHERE { ?s a gg:Citation ; gg:referenceNumber ?n }"
CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def client(kb):
    return TestClient(create_app(kb, Guardrails(timeout_ms=5000, max_rows=50)))


@pytest.fixture(scope="module")
def hasty(kb):
    """An endpoint with a short time limit, for the queries that must be stopped."""
    return TestClient(create_app(kb, Guardrails(timeout_ms=500)))


def lines(response) -> list[int]:
    return sorted(int(b["line"]["value"]) for b in response.json()["results"]["bindings"])


# ---------------------------------------------------------------- the protocol


def test_get_post_body_and_post_form_give_the_same_answer(client):
    by_get = client.get("/sparql", params={"query": SELECT})
    by_body = client.post("/sparql", content=SELECT.encode(), headers={"Content-Type": "application/sparql-query"})
    by_form = client.post("/sparql", data={"query": SELECT})
    assert by_get.status_code == by_body.status_code == by_form.status_code == 200
    assert lines(by_get) == lines(by_body) == lines(by_form) == [39, 40, 42, 43, 45, 45, 46, 46, 48, 49, 50, 52, 53]


@pytest.mark.parametrize(
    "accept, media, check",
    [
        ("application/sparql-results+json", "application/sparql-results+json", lambda t: json.loads(t)["head"]["vars"] == ["line"]),
        ("application/sparql-results+xml", "application/sparql-results+xml", lambda t: len(list(ox.parse_query_results(t, ox.QueryResultsFormat.XML))) == 13),
        ("text/csv", "text/csv", lambda t: t.splitlines()[:2] == ["line", "39"]),
        ("text/tab-separated-values", "text/tab-separated-values", lambda t: t.splitlines()[:2] == ["?line", "39"]),
        ("text/plain", "text/plain", lambda t: t.splitlines()[-1] == "13 rows"),
        ("text/html", "text/html", lambda t: "<td>39</td>" in t),
        ("*/*", "application/sparql-results+json", lambda t: "bindings" in t),
        ("", "application/sparql-results+json", lambda t: "bindings" in t),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml", lambda t: "<sparql" in t),
        ("application/sparql-results+xml;q=0, text/csv", "text/csv", lambda t: t.startswith("line")),
        ("text/*;q=0.9, application/*;q=0.5", "text/csv", lambda t: t.startswith("line")),
        ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml", lambda t: "<sparql" in t),
        ("text/csv;q=0.2, text/plain;q=0.9, */*;q=0.1", "text/plain", lambda t: t.endswith("13 rows\n")),
        ("TEXT/CSV", "text/csv", lambda t: t.startswith("line")),
    ],
)
def test_select_results_in_the_format_the_client_accepts(client, accept, media, check):
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert check(response.text)


@pytest.mark.parametrize(
    "accept, media, rdflib_format",
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("*/*", "text/turtle", "turtle"),
        ("application/sparql-results+json, text/turtle;q=0.1", "text/turtle", "turtle"),
    ],
)
def test_graphs_in_the_format_the_client_accepts(client, accept, media, rdflib_format):
    response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    assert len(Graph().parse(data=response.text, format=rdflib_format)) == 26  # 13 citations, 2 triples each


def test_ask_answers_a_boolean(client):
    assert client.get("/sparql", params={"query": "ASK { ?s a gg:Pitfall }"}).json() == {"head": {}, "boolean": True}
    xml = client.get("/sparql", params={"query": "ASK { ?s a gg:None }"}, headers={"Accept": "application/sparql-results+xml"})
    assert "<boolean>false</boolean>" in xml.text


def test_a_format_parameter_overrides_accept(client):
    response = client.get("/sparql", params={"query": SELECT, "format": "csv"}, headers={"Accept": "application/sparql-results+json"})
    assert response.headers["content-type"].startswith("text/csv")
    response = client.get("/sparql", params={"query": CONSTRUCT, "format": "json"})
    assert response.headers["content-type"].startswith("application/ld+json")


def test_a_cut_result_says_so_in_a_header(client):
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert len(response.json()["results"]["bindings"]) == 50
    assert response.headers["x-guidegraph-truncated"] == "cut at 50 rows"
    assert "x-guidegraph-truncated" not in client.get("/sparql", params={"query": SELECT}).headers


def test_get_without_a_query_describes_the_service(client):
    response = client.get("/sparql")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    description = Graph().parse(data=response.text, format="turtle")
    assert (None, SD.endpoint, URIRef("http://testserver/sparql")) in description
    assert (None, SD.supportedLanguage, SD.SPARQL11Query) in description
    assert (None, SD.supportedLanguage, SD.SPARQL11Update) not in description


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "send, status, words",
    [
        (lambda c: c.post("/sparql", data={"update": "DELETE WHERE { ?s ?p ?o }"}), 403, "UPDATE is refused"),
        (lambda c: c.post("/sparql", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update"}), 403, "UPDATE is refused"),
        (lambda c: c.get("/sparql", params={"update": "DROP ALL"}), 403, "UPDATE is refused"),
        (lambda c: c.get("/sparql", params={"query": "INSERT DATA { <urn:a> <urn:b> 1 }"}), 403, "UPDATE is refused"),
        (lambda c: c.post("/sparql", data={"query": "CLEAR ALL"}), 403, "UPDATE is refused"),
        (lambda c: c.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s ?p }"}), 400, "line 2, column 3"),
        (lambda c: c.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "file:///etc/passwd"}), 403, "default-graph-uri"),
        (lambda c: c.post("/sparql", data={"query": "ASK {}", "named-graph-uri": "http://example.org/"}), 403, "named-graph-uri"),
        (lambda c: c.get("/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")]), 400, "one query"),
        (lambda c: c.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"}), 415, "application/sparql-query"),
        (lambda c: c.post("/sparql", content=b"#" * 500_000, headers={"Content-Type": "application/sparql-query"}), 413, "larger than"),
        (lambda c: c.post("/sparql", data={"format": "csv"}), 400, "no query"),
        (lambda c: c.get("/sparql", params={"query": "ASK {}", "format": "ttl"}), 400, "write it as one of"),
    ],
)
def test_errors_are_one_line_with_a_fitting_status(client, send, status, words):
    response = send(client)
    assert response.status_code == status
    assert words in response.text and len(response.text.strip().splitlines()) == 1


def test_a_query_past_its_time_is_a_503_and_the_endpoint_answers_after_it(hasty):
    response = hasty.get("/sparql", params={"query": CROSS_JOIN})
    assert response.status_code == 503 and response.text == "query stopped at its time limit of 500 ms (timeout_ms); narrow it or raise the limit\n"
    assert hasty.get("/sparql", params={"query": "ASK { ?s a gg:Pitfall }"}).json()["boolean"] is True


# ---------------------------------------------------------------- pages


def test_home_page_has_a_form_and_every_saved_query(client):
    page = client.get("/").text
    assert '<form action="/sparql" method="get">' in page and "<textarea" in page
    assert "Pitfalls with their citations" in page and "Statements citing a reference" in page
    assert "&lt;https://w3id.org/guidegraph/ontology#&gt;" in page  # query text escaped
    assert "5000 ms and 50 rows" in page  # the limits this endpoint enforces


def test_home_page_escapes_everything(kb, monkeypatch):
    hostile = SavedQuery("x", "<script>alert(1)</script>", 'desc "<b>"', "SELECT * WHERE { ?s ?p '</pre><script>' }")
    monkeypatch.setattr("graph.server.saved_queries", lambda: [hostile])
    page = TestClient(create_app(kb)).get("/").text
    assert "<script>" not in page and "</pre><script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and 'desc &quot;&lt;b&gt;&quot;' in page


def test_results_page_escapes_values(client):
    page = client.get("/sparql", params={"query": 'SELECT ?x WHERE { BIND("<img src=x onerror=alert(1)>" AS ?x) }', "format": "html"}).text
    assert "<img" not in page and "&lt;img src=x" in page


def test_saved_queries_as_json(client):
    queries = {q["name"]: q for q in client.get("/queries").json()}
    assert queries["statements-citing"]["parameters"][0] == {
        "name": "ref", "description": "the reference number: --bind ref=5", "required": True, "kind": "integer",
    }
    assert queries["statements-mentioning"]["parameters"][0]["kind"] == "text"
    assert queries["pitfalls"]["text"] == saved_query("pitfalls").text


# ---------------------------------------------------------------- a real server


@pytest.fixture(scope="module")
def live(kb):
    """The endpoint under uvicorn on a free 127.0.0.1 port, in a thread; stopped afterwards."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(kb, Guardrails(timeout_ms=1500)), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}/sparql"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_a_slow_query_does_not_hold_up_a_fast_one(live):
    import httpx

    slow = {}

    def run_slow():
        started = time.monotonic()
        slow["status"] = httpx.get(live, params={"query": CROSS_JOIN}, timeout=10).status_code
        slow["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.2)  # the slow query is running now
    started = time.monotonic()
    fast = httpx.get(live, params={"query": "ASK { ?s a gg:Pitfall }"}, timeout=10)
    fast_seconds = time.monotonic() - started
    slow_had_finished = "status" in slow
    thread.join()
    assert fast.status_code == 200 and fast.json()["boolean"] is True
    # Answered while the slow one was still running: a server that queued queries would answer
    # the fast one only after the slow one's 503. (Not a speed bound: a busy 2-core CI machine
    # has taken 0.7 s for the fast one.)
    assert not slow_had_finished and fast_seconds < 1.2
    assert slow["status"] == 503 and slow["seconds"] > 1.4


@pytest.mark.parametrize("method", ["GET", "POST-form", "POST-direct"])
def test_sparqlwrapper_gets_the_rows_the_cli_prints(live, capsys, method):
    from SPARQLWrapper import GET, JSON, POST, POSTDIRECTLY, URLENCODED, SPARQLWrapper

    query = saved_query("weight-based-doses")
    client = SPARQLWrapper(live)
    client.setQuery(query.text)
    client.setReturnFormat(JSON)
    client.setMethod(GET if method == "GET" else POST)
    client.setRequestMethod(POSTDIRECTLY if method == "POST-direct" else URLENCODED)
    data = client.query().convert()
    variables = data["head"]["vars"]
    over_http = [[b.get(v, {}).get("value", "") for v in variables] for b in data["results"]["bindings"]]

    assert cli.main(["sparql", "--saved", "weight-based-doses", "--format", "csv"]) == 0
    printed = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert printed[0] == variables and printed[1:] == over_http and len(over_http) == 7


def test_sparqlwrapper_update_is_refused(live):
    from SPARQLWrapper import POST, SPARQLWrapper

    client = SPARQLWrapper(live, updateEndpoint=live)
    client.setMethod(POST)
    client.setQuery("DELETE WHERE { ?s ?p ?o }")
    with pytest.raises(Exception, match="403|Forbidden|refused"):
        client.query()
    ask = SPARQLWrapper(live)
    ask.setQuery("ASK { ?s a gg:Pitfall }")
    ask.setReturnFormat("json")
    assert ask.query().convert()["boolean"] is True  # and nothing was deleted


# ---------------------------------------------------------------- the command


def test_serve_binds_to_this_machine_by_default(monkeypatch):
    calls = []
    monkeypatch.setattr("graph.server.serve", lambda kb, **options: calls.append(options))
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: "kb")
    monkeypatch.setattr("graph.server.listening_socket", lambda host, port: None)  # 7878 may be taken here
    assert cli.main(["serve", "--timeout-ms", "700"]) == 0
    (options,) = calls
    assert (options["host"], options["port"]) == (DEFAULT_HOST, DEFAULT_PORT) == ("127.0.0.1", 7878)
    assert options["guardrails"] == Guardrails(timeout_ms=700, max_rows=1000)


def test_a_busy_port_is_one_line_before_the_library_is_loaded(monkeypatch, capsys):
    loaded = []
    monkeypatch.setattr(cli, "_load", lambda args, validate=True: loaded.append(args))
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 2
    assert capsys.readouterr().err == f"guidegraph: error: cannot listen on 127.0.0.1 port {port}: Address already in use\n"
    assert loaded == []  # said at once, not after building the knowledge graph


@pytest.mark.parametrize("port", ["99999", "-1", "http", "\u0663\u0663\u0663", "\u00b2"])
def test_a_port_out_of_range_is_a_usage_error(capsys, port):
    assert cli.main(["serve", "--port", port]) == 2
    assert capsys.readouterr().err == f"guidegraph: error: serve: argument --port: {port!r} is not a port number (0 to 65535)\n"


def test_port_0_serves_on_a_free_port_and_announces_it(monkeypatch, capsys, kb):
    import uvicorn

    from graph.server import serve

    bound = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets: bound.append(sockets[0].getsockname()[1]))
    serve(kb, port=0)
    (port,) = bound
    assert port != 0
    assert f"read-only SPARQL endpoint at http://127.0.0.1:{port}/sparql" in capsys.readouterr().err


def test_a_query_posted_with_a_byte_order_mark_is_answered(client):
    """Before: 400, a syntax error at line 1, column 1."""
    body = "\ufeff" + SELECT
    by_body = client.post("/sparql", content=body.encode("utf-8"), headers={"Content-Type": "application/sparql-query"})
    by_form = client.post("/sparql", data={"query": body})
    by_get = client.get("/sparql", params={"query": body})
    assert by_body.status_code == by_form.status_code == by_get.status_code == 200
    assert lines(by_body) == lines(by_form) == lines(by_get) == lines(client.get("/sparql", params={"query": SELECT}))


@pytest.mark.parametrize("query, says", [
    ("SELECT ?x WHERE { BIND(<http://example.org/f>(1) AS ?x) }", "the function <http://example.org/f> is not supported here"),
    ("SELECT ?x WHERE { BIND(xsd:frobnicate(1) AS ?x) }", "the function <http://www.w3.org/2001/XMLSchema#frobnicate> is not supported here"),
    ('SELECT ?x WHERE { BIND(STRLENN("a") AS ?x) }', "the function STRLENN (line 1, column 24) is not supported here"),
])
def test_an_unknown_function_is_a_400_saying_it_is_not_supported(client, query, says):
    """Before: 500 "query failed: The custom function ... is not supported", and for STRLENN a
    syntax error pointing at the BIND before it."""
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 400 and response.text.startswith(says) and response.text.count("\n") == 1


@pytest.mark.parametrize("query, accept, says", [
    ('SELECT ?x WHERE { BIND("a\u0001" AS ?x) }', "application/sparql-results+xml", "row 1, column ?x holds U+0001"),
    ('CONSTRUCT { <urn:a> gg:text ?x } WHERE { BIND("a\u0001" AS ?x) }', "application/rdf+xml", "triple 1, object holds U+0001"),
])
def test_xml_that_xml_cannot_carry_is_a_400(client, query, accept, says):
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 400 and response.text.startswith(says) and response.text.count("\n") == 1


# ---------------------------------------------------------------- content negotiation


@pytest.mark.parametrize("query, accept, kind", [
    (SELECT, "image/png", "rows"),
    (SELECT, "application/sparql-results+json;q=0, text/*;q=0", "rows"),
    (CONSTRUCT, "application/sparql-results+json", "a graph"),
    ("ASK { ?s a gg:Pitfall }", "text/turtle", "a boolean"),
])
def test_nothing_acceptable_is_a_406_listing_what_is_available(client, query, accept, kind):
    """Before: a SELECT asked for as image/png was answered as JSON, 200."""
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 406 and response.text.count("\n") == 1
    assert f"can carry {kind} here; available: " in response.text
    available = response.text.split("available: ")[1].strip().split(", ")
    assert ("text/turtle" in available) == (query == CONSTRUCT) and "text/html" in available


@pytest.mark.parametrize("query, fmt, media", [
    (SELECT, "json", "application/sparql-results+json"),
    (SELECT, "xml", "application/sparql-results+xml"),
    (SELECT, "csv", "text/csv"),
    (SELECT, "tsv", "text/tab-separated-values"),
    (SELECT, "text/csv", "text/csv"),
    (SELECT, "application/sparql-results+xml", "application/sparql-results+xml"),
    (CONSTRUCT, "turtle", "text/turtle"),
    (CONSTRUCT, "n3", "text/turtle"),
    (CONSTRUCT, "rdf+xml", "application/rdf+xml"),
    (CONSTRUCT, "xml", "application/rdf+xml"),
    (CONSTRUCT, "json-ld", "application/ld+json"),
    (CONSTRUCT, "application/n-triples", "application/n-triples"),
])
def test_a_format_parameter_takes_names_and_media_types(client, query, fmt, media):
    response = client.get("/sparql", params={"query": query, "format": fmt}, headers={"Accept": "image/png"})
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)


def test_an_unknown_format_parameter_leaves_it_to_accept(client):
    """Before: 400 for format=bogus, whatever the Accept header said."""
    response = client.get("/sparql", params={"query": SELECT, "format": "bogus"}, headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    response = client.get("/sparql", params={"query": SELECT, "format": "bogus"}, headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_the_format_sparqlwrapper_sends_twice_is_read(client):
    """SPARQLWrapper sends format=tsv&format=text/tab-separated-values (and output=, results=)."""
    response = client.get(f"/sparql?query={SELECT}&format=tsv&format=text/tab-separated-values&output=tsv",
                          headers={"Accept": "text/tab-separated-values"})
    assert response.status_code == 200 and response.text.splitlines()[:2] == ["?line", "39"]


@pytest.mark.parametrize("return_format, check", [
    ("csv", lambda data: data.decode().splitlines()[0] == "line"),
    ("tsv", lambda data: data.decode().splitlines()[0] == "?line"),
    ("xml", lambda data: len(data.getElementsByTagName("result")) == 13),
])
def test_sparqlwrapper_gets_each_results_format(live, return_format, check):
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(live)
    client.setQuery(SELECT)
    client.setReturnFormat(return_format)
    assert check(client.query().convert())


@pytest.mark.parametrize("return_format", ["turtle", "n3", "xml", "rdf+xml", "json-ld"])
def test_sparqlwrapper_gets_a_graph_in_each_rdf_format(live, return_format):
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(live)
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(return_format)
    response = client.query()
    graph = response.convert()
    if not isinstance(graph, Graph):
        fmt = {"turtle": "turtle", "n3": "turtle", "json-ld": "json-ld"}[return_format]
        graph = Graph().parse(data=graph, format=fmt)
    assert len(graph) == 26


# ---------------------------------------------------------------- HTTP methods and pages


@pytest.mark.parametrize("path", ["/sparql?query=ASK%20%7B%20%3Fs%20a%20gg%3APitfall%20%7D", "/", "/queries", "/sparql"])
def test_head_answers_as_get_without_a_body(client, path):
    """Before: 405 with a JSON body."""
    head, get = client.head(path), client.get(path)
    assert head.status_code == get.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))


@pytest.mark.parametrize("path, allow", [
    ("/sparql", "GET, HEAD, POST, OPTIONS"), ("/", "GET, HEAD, OPTIONS"), ("/queries", "GET, HEAD, OPTIONS"),
])
def test_options_says_what_each_page_allows(client, path, allow):
    response = client.options(path)
    assert response.status_code == 204 and response.headers["allow"] == allow and response.content == b""


@pytest.mark.parametrize("method, path, allow", [
    ("DELETE", "/sparql", "GET, HEAD, POST, OPTIONS"),
    ("PUT", "/sparql", "GET, HEAD, POST, OPTIONS"),
    ("POST", "/", "GET, HEAD, OPTIONS"),
    ("DELETE", "/queries", "GET, HEAD, OPTIONS"),
])
def test_a_method_a_page_does_not_take_is_a_plain_405_with_allow(client, method, path, allow):
    """Before: a JSON body, and /sparql's Allow header said GET though it takes POST."""
    response = client.request(method, path)
    assert response.status_code == 405 and response.headers["allow"] == allow
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == f"{method} is not allowed on {path}; allowed: {allow}\n"


def test_no_such_page_is_a_plain_404(client):
    response = client.get("/query")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/plain")
    assert response.text == "no such page: /query; the SPARQL endpoint is /sparql, and / and /queries describe it\n"


def test_a_real_server_answers_head_without_a_body(live):
    import httpx

    response = httpx.head(live, params={"query": "ASK { ?s a gg:Pitfall }"}, timeout=10)
    assert response.status_code == 200 and response.content == b"" and int(response.headers["content-length"]) > 0


@pytest.mark.parametrize("fmt", ["table", "text"])
def test_a_graph_asked_for_as_a_table_is_a_table(client, fmt):
    response = client.get("/sparql", params={"query": CONSTRUCT, "format": fmt})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert response.text.splitlines()[0].split() == ["subject", "|", "predicate", "|", "object"]
