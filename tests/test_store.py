"""Store back-ends: Oxigraph in memory, Oxigraph on disk, a SPARQL 1.1 server (an `oxigraph serve`
started for these tests), and rdflib's memory store; the same answers on each, and a persistent
store that opens without parsing the library and notices when the library changed."""

from __future__ import annotations

import base64
import http.server
import os
import re
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from rdflib import RDF

from graph.bench import OxigraphServer
from graph.build import LazyDocuments
from graph.cli import main
from graph.errors import InputError
from graph.export.rdf import canonical_literal
from graph.kb import KnowledgeBase
from graph.library import Library
from graph.sparql import QueryRefused, saved_queries
from graph.store import KB_GRAPH, _chunks, _shares, load_ntriples, nt_term, open_store, parse_store
from graph.vocab import GG

CASES = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((Path(__file__).parent / "cases").glob("*.yaml"))}
# A value for each required saved-query parameter (the CLI's --bind examples).
BINDINGS = {"ref": 5, "drug": "MMF"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = OxigraphServer(tmp_path_factory.mktemp("oxigraph-server"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def disk_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("disk") / "kb.db"
    KnowledgeBase.load(store=f"oxigraph:{path}", rebuild=True, validate=False)
    return path


@pytest.fixture(scope="module")
def stores(server, disk_path) -> dict[str, KnowledgeBase]:
    """Every back-end, each opened the way a second command opens it (not the build's own object)."""
    KnowledgeBase.load(store=f"sparql:{server.url}", rebuild=True, validate=False)
    return {
        "oxigraph-disk": KnowledgeBase.load(store=f"oxigraph:{disk_path}", validate=False),
        "sparql-server": KnowledgeBase.load(store=f"sparql:{server.url}", validate=False),
        "rdflib": KnowledgeBase.load(store="rdflib", validate=False),
    }


STORE_NAMES = ("oxigraph-disk", "sparql-server", "rdflib")


# ---------------------------------------------------------------- specs


def test_store_specs_name_their_kind_and_endpoints(tmp_path):
    assert parse_store("memory").kind == "memory" and not parse_store("memory").persistent
    assert parse_store(f"oxigraph:{tmp_path}/kb.db").path == tmp_path / "kb.db"
    spec = parse_store("sparql:http://127.0.0.1:3030/ds/sparql")
    assert (spec.query_url, spec.update_url) == ("http://127.0.0.1:3030/ds/sparql", "http://127.0.0.1:3030/ds/sparql")
    assert parse_store("sparql:http://127.0.0.1:7878/").query_url == "http://127.0.0.1:7878/query"


@pytest.mark.parametrize("spec", ["postgres", "oxigraph:", "sparql:ftp://host/x", "sparql:nohost"])
def test_an_unknown_store_is_an_input_error_that_lists_the_kinds(spec):
    with pytest.raises(InputError, match="store"):
        parse_store(spec)


def test_an_unreachable_server_is_one_clear_error(capsys):
    code = main(["--store", "sparql:http://127.0.0.1:9/", "stats"])  # port 9: discard, nothing listens
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot reach the SPARQL server" in err
    assert "load" not in err  # building the store again would not help



@pytest.mark.parametrize("url, says", [
    ("http://127.0.0.1:abc/kb", "not valid: Port could not be cast"),
    ("http://[::1/kb", "not valid: Invalid IPv6 URL"),
    ("http://127.0.0.1:99999/kb", "not valid: Port out of range"),
    ("http://127.0.0.1:7878/my kb", "contains a space"),
    ("http://127.0.0.1:7878/kb#update=notaurl", "http(s) update URL"),
    ("http://127.0.0.1:7878/kb#update=ftp://h/u", "http(s) update URL"),
])
def test_a_malformed_server_url_is_a_usage_error_before_anything_is_sent(capsys, url, says):
    assert main(["--store", f"sparql:{url}", "stats"]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


@contextmanager
def _serving(handler):
    """A throwaway HTTP server on a free 127.0.0.1 port, answering with ``handler``; its port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.BaseHTTPRequestHandler):
    """A test server's handler that keeps http.server's request log off the test's stderr."""

    def log_message(self, *args):
        pass


class _Recorder(_Quiet):
    """A server that refuses everyone, noting the Authorization header it was sent."""

    seen: list[str | None] = []
    by_port: list[tuple[int, str | None]] = []

    def do_POST(self):  # noqa: N802 - http.server's hook
        self.seen.append(self.headers.get("Authorization"))
        self.by_port.append((self.server.server_port, self.headers.get("Authorization")))
        self.send_response(401)
        self.end_headers()
        self.wfile.write(b"wrong password")


def test_a_user_and_password_in_the_url_go_as_basic_authentication_and_are_never_shown(capsys):
    with _serving(_Recorder) as port:
        spec = f"sparql:http://me:s3cret@127.0.0.1:{port}/kb"
        assert main(["--store", spec, "stats"]) == 2
    assert _Recorder.seen and _Recorder.seen[0] == "Basic " + base64.b64encode(b"me:s3cret").decode()
    err = capsys.readouterr().err
    assert "HTTP 401: wrong password" in err and f"127.0.0.1:{port}/kb" in err
    assert "load" not in err  # building the store again would not help
    assert "s3cret" not in err
    assert parse_store(spec).shown == f"sparql:http://me:***@127.0.0.1:{port}/kb"



def test_each_url_gets_its_own_password_and_borrows_one_only_on_the_same_server():
    same = parse_store("sparql:http://me:pw@h:7200/kb#update=http://h:7200/kb/statements")
    assert same.auth == same.update_auth == ("me", "pw")
    elsewhere = parse_store("sparql:http://me:pw@h:7200/kb#update=http://other:7200/kb/statements")
    assert elsewhere.auth == ("me", "pw") and elsewhere.update_auth is None
    both = parse_store("sparql:http://a:A@h/kb#update=http://b:B@h/u")
    assert (both.auth, both.update_auth) == (("a", "A"), ("b", "B"))
    assert "pw" not in repr(same) and "A" not in repr(both).replace("StoreSpec", "")


def test_a_password_goes_only_to_the_url_it_was_given_for():
    """Before: one user and password went to both URLs, to a server it was not given for."""
    _Recorder.by_port.clear()
    with _serving(_Recorder) as query_port, _serving(_Recorder) as update_port:
        remote = open_store(f"sparql:http://me:s3cret@127.0.0.1:{query_port}/kb#update=http://127.0.0.1:{update_port}/u").store
        for send in (lambda: remote._query("ASK {}"), lambda: remote.post_update(b"CLEAR DEFAULT")):
            with pytest.raises(InputError, match="HTTP 401"):
                send()
    assert _Recorder.by_port == [(query_port, "Basic " + base64.b64encode(b"me:s3cret").decode()), (update_port, None)]


@pytest.mark.parametrize("spec, secret", [
    ("sparql:http://me:p@SECRET@127.0.0.1:9/kb", "SECRET"),
    ("sparql:http://me:WRONG#PW@127.0.0.1:9/kb", "WRONG"),
    ("sparql:http://TOKEN123@127.0.0.1:9/kb", "TOKEN123"),
    ("sparql:http://127.0.0.1:9/kb#update=http%3A%2F%2Fu%3AENCSECRET%40127.0.0.1%3A9%2Fu", "ENCSECRET"),
    ("sparql:http://me:s3cret@127.0.0.1:abc/kb", "s3cret"),
])
def test_no_message_shows_a_password_however_the_url_is_written(capsys, spec, secret):
    assert main(["--store", spec, "stats"]) == 2
    err = capsys.readouterr().err
    assert secret not in err and len(err.strip().splitlines()) == 1


def test_a_query_string_in_the_server_url_is_kept_and_the_graph_parameter_added_to_it():
    """Before: `/query` went after the query string, and `?default-graph-uri` after another `?`."""
    assert parse_store("sparql:http://h:7878?timeout=5").query_url == "http://h:7878/query?timeout=5"
    server_side = []

    class Answer(_Quiet):
        def do_POST(self):  # noqa: N802 - http.server's hook
            server_side.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(b'{"head": {}, "boolean": true}')

    with _serving(Answer) as port:
        graph = open_store(f"sparql:http://127.0.0.1:{port}/kb?timeout=5")
        assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
    assert server_side == ["/kb?timeout=5&default-graph-uri=https%3A%2F%2Fw3id.org%2Fguidegraph%2Fgraph%2Fknowledge"]


@pytest.mark.parametrize("fragment", ["#updat=http://h/u", "#update=", "#"])
def test_anything_but_update_after_the_hash_is_refused(capsys, fragment):
    assert main(["--store", f"sparql:http://127.0.0.1:9/kb{fragment}", "stats"]) == 2
    assert "after # give update=URL" in capsys.readouterr().err


class _GraphEverywhere(_Quiet):
    """A server that answers every request with one triple in N-Triples: not what a SELECT asks for."""

    def do_POST(self):  # noqa: N802 - http.server's hook
        self.send_response(200)
        self.send_header("Content-Type", "application/n-triples")
        self.end_headers()
        self.wfile.write(b"<urn:a> <urn:b> <urn:c> .\n")


def test_a_server_answering_a_select_with_a_graph_is_refused_as_not_results(capsys):
    with _serving(_GraphEverywhere) as port:
        assert main(["--store", f"sparql:http://127.0.0.1:{port}/kb", "stats"]) == 2
    err = capsys.readouterr().err
    assert "answered application/n-triples to a SELECT query, not valid results" in err
    assert len(err.strip().splitlines()) == 1


def test_a_damaged_build_manifest_is_refused_with_the_command_that_rebuilds(tmp_path, capsys):
    import pyoxigraph as ox

    from graph.store import BUILD_GRAPH

    path = tmp_path / "kb.db"
    store = ox.Store(str(path))
    build, graph = ox.NamedNode("urn:build"), ox.NamedNode(str(BUILD_GRAPH))
    store.add(ox.Quad(build, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(GG.LibraryBuild)), graph))
    store.add(ox.Quad(build, ox.NamedNode(str(GG.formatVersion)), ox.Literal("abc"), graph))
    store.flush()
    del store
    assert main(["--store", f"oxigraph:{path}", "stats"]) == 2
    err = capsys.readouterr().err
    assert "build manifest cannot be read (ValueError" in err and f"--store oxigraph:{path} load" in err
    assert len(err.strip().splitlines()) == 1

# ---------------------------------------------------------------- parity


@pytest.mark.parametrize("store", STORE_NAMES)
@pytest.mark.parametrize("case_id", sorted(CASES))
def test_golden_case_gives_the_same_result_on_every_store(kb, stores, store, case_id):
    facts = CASES[case_id]["facts"]
    assert stores[store].recommend(facts).to_dict() == kb.recommend(facts).to_dict()


def _rows(result) -> list[tuple]:
    # One spelling per literal (Oxigraph writes "x"^^xsd:string and canonical numbers; rdflib keeps
    # the file's): the values compared, not their spelling.
    return [tuple(canonical_literal(term) for term in row) for row in result.rows]


@pytest.mark.parametrize("store", STORE_NAMES)
@pytest.mark.parametrize("name", [q.name for q in saved_queries()])
def test_saved_query_gives_the_same_rows_on_every_store(kb, stores, store, name):
    query = next(q for q in saved_queries() if q.name == name)
    bindings = {p.name: BINDINGS[p.name] for p in query.parameters if p.required}
    expected = _rows(kb.query(query.text, bindings=bindings, max_rows=100_000))
    assert expected, f"{name} finds nothing on the seed library: a parity test of nothing"
    assert _rows(stores[store].query(query.text, bindings=bindings, max_rows=100_000)) == expected



def test_a_query_sees_the_knowledge_graph_only_and_no_named_graphs_on_every_store(kb, stores):
    """Before: `GRAPH ?g` found the knowledge graph's own name in memory, the build manifest (with
    its megabytes of JSON) on disk, and nothing on a server. Now nothing anywhere, as a server's
    dataset of one default graph gives."""
    graphs = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    everything = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    triples = len(kb.graph)
    for name, store in {"memory": kb, "oxigraph-disk": stores["oxigraph-disk"], "sparql-server": stores["sparql-server"]}.items():
        assert not store.query(graphs).rows, name
        assert store.query(everything).rows[0][0].toPython() == triples, name

def test_stats_and_conflicts_are_the_same_on_every_store(kb, stores):
    for store in STORE_NAMES:
        assert stores[store].stats() == kb.stats(), store
        assert [c.to_dict() for c in stores[store].conflicts] == [c.to_dict() for c in kb.conflicts], store


def test_the_explorer_offers_the_same_start_nodes_on_every_store(kb, stores, monkeypatch):
    import graph.explore
    from graph.build import read_start_nodes
    from graph.explore import searchable_nodes, start_nodes

    expected = searchable_nodes(kb.graph)
    assert len(expected) > 100
    for store in STORE_NAMES:
        assert searchable_nodes(stores[store].graph) == expected, store
        assert start_nodes(stores[store]) == expected, store
    # A persistent store gives the list its build saved, not one listed again from the graph.
    monkeypatch.setattr(graph.explore, "searchable_nodes", lambda graph: pytest.fail("listed from the graph"))
    for store in ("oxigraph-disk", "sparql-server"):
        assert read_start_nodes(stores[store].graph) == expected, store
        assert start_nodes(stores[store]) == expected, store
    assert read_start_nodes(stores["rdflib"].graph) is None


def test_selected_rows_answer_by_name_as_rdflib_rows_do(kb, stores):
    from graph.store import select_rows

    query = """PREFIX gg: <https://w3id.org/guidegraph/ontology#>
    SELECT ?s ?line ?source WHERE { ?s gg:sourceLine ?line OPTIONAL { ?s gg:noSuchPredicate ?source } }
    ORDER BY ?s"""
    expected = [(row.s, row.line.toPython(), row.source) for row in kb.graph.query(query)]
    assert len(expected) > 100 and expected[0][1] > 0 and expected[0][2] is None
    for store, graph in {"memory": kb.graph, **{name: stores[name].graph for name in STORE_NAMES}}.items():
        rows = list(select_rows(graph, query))
        assert [(row.s, row["line"].toPython(), row[2]) for row in rows] == expected, store
        with pytest.raises(AttributeError):
            rows[0].guideline


@pytest.mark.parametrize("store", STORE_NAMES)
def test_exports_are_byte_identical_on_every_store(kb, stores, store):
    from graph.export.rdf import serialize_library
    from graph.export.tree import export_tree

    assert serialize_library(stores[store], "nt") == serialize_library(kb, "nt")
    assert export_tree(stores[store], fmt="mermaid") == export_tree(kb, fmt="mermaid")


def test_a_remote_store_still_refuses_service_and_updates(stores):
    remote = stores["sparql-server"]
    with pytest.raises(QueryRefused):
        remote.query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    with pytest.raises(QueryRefused):
        remote.query("DELETE WHERE { ?s ?p ?o }")
    assert remote.query("ASK { ?s a gg:Pitfall }").boolean is True  # the knowledge graph is still there


def test_a_server_whose_data_changes_is_asked_again_every_time(stores, server):
    import urllib.request

    remote, ask = stores["sparql-server"], "SELECT ?p WHERE { ?p a gg:Pitfall }"
    before = len(remote.query(ask).rows)

    def update(operation: str) -> None:
        text = f"{operation} DATA {{ GRAPH <{KB_GRAPH}> {{ <urn:example:pitfall> a <{GG.Pitfall}> }} }}"
        request = urllib.request.Request(f"{server.url}/update", data=text.encode(),
                                         headers={"Content-Type": "application/sparql-update"})
        urllib.request.urlopen(request, timeout=10).close()

    update("INSERT")  # another program changes the server's data: no kept answer may hide it
    try:
        after = remote.query(ask)
        assert len(after.rows) == before + 1 and not after.cached
    finally:
        update("DELETE")
    assert len(remote.query(ask).rows) == before


# ---------------------------------------------------------------- a persistent store


def test_an_opened_store_reads_its_manifest_instead_of_parsing(stores, kb):
    opened = stores["oxigraph-disk"]
    assert "open_s" in opened.timings and "parse_s" not in opened.timings
    assert isinstance(opened.documents, LazyDocuments)
    assert sorted(opened.documents) == sorted(kb.documents)
    assert opened.build.documents == tuple(sorted(kb.documents))


def test_the_reader_parses_a_document_of_an_opened_store_on_first_use(stores, kb):
    doc = stores["oxigraph-disk"].documents["lupus-tacrolimus-rebound"]
    assert doc.to_dict() == kb.documents["lupus-tacrolimus-rebound"].to_dict()


def test_a_changed_library_is_detected_and_load_is_asked_for(tmp_path):
    library = tmp_path / "library"
    shutil.copytree(Library.at(None).root, library)
    store = f"oxigraph:{tmp_path / 'kb.db'}"
    KnowledgeBase.load(library, store=store, validate=False)
    document = library / "lupus-tacrolimus-rebound.txt"
    document.chmod(0o644)
    document.write_text(document.read_text(encoding="utf-8").rstrip("\n") + "\n- A new bullet 1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"lupus-tacrolimus-rebound\.txt \(changed\).*load"):
        KnowledgeBase.load(library, store=store, validate=False)
    rebuilt = KnowledgeBase.load(library, store=store, validate=False, rebuild=True)
    assert rebuilt.stats()["statements"] == 81


def test_an_edit_that_keeps_the_size_and_sets_the_old_time_back_is_seen(tmp_path):
    """Before, a file whose size and modification time matched the manifest was taken as unchanged
    unread, so an edit followed by `touch -r` (or a tool that keeps times) went unseen and the
    store answered from the old text. The change time cannot be set back."""
    library = tmp_path / "library"
    shutil.copytree(Library.at(None).root, library)
    store = f"oxigraph:{tmp_path / 'kb.db'}"
    statements = KnowledgeBase.load(library, store=store, validate=False).stats()["statements"]
    document = library / "lupus-tacrolimus-rebound.txt"
    document.chmod(0o644)
    before, text = document.stat(), document.read_text(encoding="utf-8")
    edited = text.replace("50-80%", "60-90%", 1)  # rituximab's response rates, same length
    assert edited != text and len(edited) == len(text)
    while document.stat().st_ctime_ns == before.st_ctime_ns:  # the change clock is coarse: wait for its next tick
        time.sleep(0.01)
        document.write_text(edited, encoding="utf-8")
        os.utime(document, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (document.stat().st_size, document.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    with pytest.raises(InputError, match=r"lupus-tacrolimus-rebound\.txt \(changed\)"):
        KnowledgeBase.load(library, store=store, validate=False)
    # The same text back, with new times: hashed, found unchanged, and the store opens.
    document.write_text(text, encoding="utf-8")
    assert KnowledgeBase.load(library, store=store, validate=False).stats()["statements"] == statements


def test_the_advice_after_a_library_change_is_a_command_that_rebuilds_from_that_library(tmp_path, capsys):
    """Before, the advice left out --library, and the command as printed rebuilt the store from
    the bundled library, so the next command still found the library changed."""
    import shlex

    library = tmp_path / "our guidelines"  # a space: the advice must quote it
    shutil.copytree(Library.at(None).root, library)
    store = f"oxigraph:{tmp_path / 'kb.db'}"
    assert main(["--library", str(library), "--store", store, "load", "--no-validate"]) == 0
    document = library / "lupus-tacrolimus-rebound.txt"
    document.chmod(0o644)
    document.write_text(document.read_text(encoding="utf-8").rstrip("\n") + "\n- A new bullet 1\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--store", store, "stats"]) == 2  # the library the store records
    advice = re.search(r"run `(.+?)` again", capsys.readouterr().err)[1]
    assert main(shlex.split(advice)[1:] + ["--no-validate"]) == 0
    assert main(["--library", str(library), "--store", store, "stats"]) == 0
    assert re.search(r"^statements +81$", capsys.readouterr().out, re.M)
    # a store of the bundled library is built again without naming it
    bundled = f"oxigraph:{tmp_path / 'seeds.db'}"
    assert main(["--store", bundled, "load", "--no-validate"]) == 0
    from graph.build import _load_command

    assert _load_command(parse_store(bundled), str(Library.at(None).root)) == f"guidegraph --store {bundled} load"



def test_a_store_opened_with_another_library_names_the_library_it_was_built_from(tmp_path, capsys):
    """Before: "the library changed", listing every file of both folders, with advice (`load` with
    the other library) that would have replaced the store."""
    ours, other = tmp_path / "ours", tmp_path / "other"
    shutil.copytree(Library.at(None).root, ours)
    shutil.copytree(Library.at(None).root, other)
    (other / "lupus-tacrolimus-rebound.txt").unlink()
    store = f"oxigraph:{tmp_path / 'kb.db'}"
    assert main(["--library", str(ours), "--store", store, "load", "--no-validate"]) == 0
    capsys.readouterr()
    assert main(["--library", str(other), "--store", store, "stats"]) == 2
    err = capsys.readouterr().err
    assert f"the store was built from the library {ours}, not {other}: give --library {ours}" in err
    assert "(removed)" not in err and len(err.strip().splitlines()) == 1
    assert main(["--library", str(ours), "--store", store, "stats"]) == 0


def test_a_moved_and_edited_library_gets_the_advice_for_its_new_folder(tmp_path, capsys):
    """Before: "give --library OLD", a folder that is not there any more."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(Library.at(None).root, old)
    store = f"oxigraph:{tmp_path / 'kb.db'}"
    assert main(["--library", str(old), "--store", store, "load", "--no-validate"]) == 0
    old.rename(new)
    document = new / "lupus-tacrolimus-rebound.txt"
    document.write_text(document.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--library", str(new), "--store", store, "stats"]) == 2
    err = capsys.readouterr().err
    assert f"the store was built from the library {old}, which is not there any more, and {new} differs " \
           "from it (lupus-tacrolimus-rebound.txt" in err
    assert f"run `guidegraph --library {new} --store {store} load` to build it from this one" in err
    assert f"--library {old}" not in err and len(err.strip().splitlines()) == 1
    assert main(["--store", store, "stats"]) == 0  # without --library: the store as built
    assert re.search(r"^guidelines +2$", capsys.readouterr().out, re.M)


def _library_that_does_not_conform(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(Library.at(None).terminology_file, folder)
    (folder / "mini.txt").write_text("Mini\nGive prednisone 30 mg daily. 1\n", encoding="utf-8")
    (folder / "bad.pathway.ttl").write_text(  # a dose whose low end is above its high end
        "@prefix gg: <https://w3id.org/guidegraph/ontology#> .\n"
        "<https://w3id.org/guidegraph/kb/mini/lead/1> gg:hasDose <https://w3id.org/guidegraph/kb/mini/lead/1/dose/9> .\n"
        "<https://w3id.org/guidegraph/kb/mini/lead/1/dose/9> a gg:Dose ; gg:drug <https://w3id.org/guidegraph/kb/drug/prednisone> ;\n"
        "  gg:low 60.0 ; gg:high 30.0 ; gg:unit \"mg/d\" .\n", encoding="utf-8")
    return folder


def test_validating_a_store_built_without_validation_saves_the_report_into_it(tmp_path, capsys, monkeypatch):
    """Before: the report was thrown away, so later commands did not warn that the library does
    not conform, and every `validate` checked the whole library again (minutes at 1,000)."""
    library = _library_that_does_not_conform(tmp_path / "lib")
    store = ["--library", str(library), "--store", f"oxigraph:{tmp_path / 'kb.db'}"]
    assert main([*store, "load", "--no-validate"]) == 0
    assert main([*store, "stats"]) == 0
    assert "does not conform" not in capsys.readouterr().err  # nothing is known yet
    assert main([*store, "validate"]) == 1
    assert "kb/mini/lead/1/dose/9" in capsys.readouterr().err
    assert main([*store, "stats"]) == 0
    assert "note: the library does not conform (1 violation" in capsys.readouterr().err
    monkeypatch.setattr(KnowledgeBase, "validate", lambda self, progress=None: pytest.fail("validated again"))
    assert main([*store, "validate"]) == 1
    assert "kb/mini/lead/1/dose/9" in capsys.readouterr().err



def test_a_report_is_not_saved_into_a_build_newer_than_the_one_validated(tmp_path):
    """Before: the app opened a store, the library was fixed and built again, and the app's
    report of the old library went into the new build: `validate` then listed a finding that was
    no longer there, for good."""
    import subprocess
    import sys

    library = _library_that_does_not_conform(tmp_path / "lib")
    store = f"oxigraph:{tmp_path / 'kb.db'}"

    def load_elsewhere():  # another process, as `guidegraph load` beside the app
        done = subprocess.run([sys.executable, "-m", "graph.cli", "--library", str(library), "--store", store, "load",
                               "--no-validate"], capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
        assert done.returncode == 0, done.stderr

    load_elsewhere()
    opened = KnowledgeBase.load(library, store=store, validate=False)  # as the app opens it
    (library / "bad.pathway.ttl").unlink()  # the library is fixed and built again
    load_elsewhere()
    assert not opened.validated_report().conforms  # the findings of the build it opened
    assert opened.unsaved_report == "it was built again since it was opened; that build is validated on its own"
    assert KnowledgeBase.load(library, store=store, validate=True).report.conforms


def test_two_builds_within_one_second_are_told_apart(tmp_path, monkeypatch):
    """Before, a build's time was cut to the second, so a report could be saved into a build made
    in the same second as the one it described (CI caught it on a fast run of the test above)."""
    from datetime import datetime

    import graph.build

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 12, 3, 12, 0, 0, 400000, tzinfo=tz)

    monkeypatch.setattr(graph.build, "datetime", Clock)
    kb = KnowledgeBase.load(store=f"oxigraph:{tmp_path / 'kb.db'}", validate=False)
    assert kb.build.built == "2026-12-03T12:00:00.400000+00:00"


def test_a_report_that_cannot_be_saved_says_so(tmp_path, capsys, monkeypatch):
    import graph.build

    store = ["--store", f"oxigraph:{tmp_path / 'kb.db'}"]
    assert main([*store, "load", "--no-validate"]) == 0

    def refuse(path):
        raise InputError("cannot open the Oxigraph store: another process has it open for writing (a running `load`?)",
                         where=str(path))

    monkeypatch.setattr(graph.build, "writable_disk_store", refuse)
    capsys.readouterr()
    assert main([*store, "validate"]) == 0
    err = capsys.readouterr().err
    assert f"note: the validation report could not be saved into the store ({tmp_path / 'kb.db'}: cannot open the " \
           "Oxigraph store: another process has it open for writing (a running `load`?)); the next command validates again" in err

def test_oxigraph_server_serves_a_built_store_with_the_rows_guidegraph_gives(disk_path, kb):
    """The README's hand-over: `oxigraph serve-read-only` on a folder `load` built answers the saved
    queries over the knowledge graph as its default graph, while guidegraph reads the folder too."""
    import json
    import urllib.parse
    import urllib.request

    opened = KnowledgeBase.load(store=f"oxigraph:{disk_path}", validate=False)  # a reader beside the server
    server = OxigraphServer(disk_path, read_only=True)
    try:
        for name in ("pitfalls", "drug-doses"):
            query = next(q for q in saved_queries() if q.name == name)
            request = urllib.request.Request(f"{server.url}/query", data=urllib.parse.urlencode({"query": query.text}).encode(),
                                             headers={"Accept": "application/sparql-results+json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.load(response)
            served = [{k: v["value"] for k, v in row.items()} for row in answer["results"]["bindings"]]
            ours = [{k: str(v) for k, v in zip(r.variables, row) if v is not None} for r in [kb.query(query.text)] for row in r.rows]
            assert served == ours and len(ours) > 3
        assert len(opened.graph) == len(kb.graph)
    finally:
        server.stop()


def test_a_store_of_an_earlier_layout_is_refused_with_load_asked_for(tmp_path):
    """Format 2 kept the knowledge graph in a named graph on disk: read with today's layout it
    would look empty, so it is refused, never misread."""
    store = f"oxigraph:{tmp_path / 'kb.db'}"
    kb = KnowledgeBase.load(store=store, validate=False)
    kb.graph.store._inner.update("""PREFIX gg: <https://w3id.org/guidegraph/ontology#>
        DELETE { GRAPH ?g { ?b gg:formatVersion ?v } } INSERT { GRAPH ?g { ?b gg:formatVersion 2 } }
        WHERE { GRAPH ?g { ?b gg:formatVersion ?v } }""")
    with pytest.raises(InputError, match=r"built by another version of guidegraph; run `guidegraph --store oxigraph:.* load`"):
        KnowledgeBase.load(store=store, validate=False)


def test_a_folder_that_is_not_a_store_is_never_written_into(tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="not an Oxigraph store"):
        KnowledgeBase.load(store=f"oxigraph:{tmp_path}", validate=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_load_builds_a_persistent_store_and_refuses_a_memory_one(tmp_path, capsys):
    assert main(["--store", f"oxigraph:{tmp_path / 'kb.db'}", "load", "--no-validate"]) == 0
    assert "loaded 2 documents" in capsys.readouterr().out
    assert main(["--store", f"oxigraph:{tmp_path / 'kb.db'}", "stats", "--format", "json"]) == 0
    assert '"statements": 80' in capsys.readouterr().out
    assert main(["load"]) == 2
    assert "persistent store" in capsys.readouterr().err


def test_a_reading_command_says_when_it_built_the_store_it_was_pointed_at(tmp_path, capsys):
    """A mistyped store path is built from the library given; the user is told, once."""
    library = tmp_path / "ours"
    shutil.copytree(Library.at(None).root, library)
    (library / "autoimmune-tacrolimus-rebound.txt").unlink()
    store = f"oxigraph:{tmp_path / 'typo.db'}"
    assert main(["--library", str(library), "--store", store, "stats"]) == 0
    err = capsys.readouterr().err
    assert f"{tmp_path / 'typo.db'} held no build; built it from {library} (1 guideline)" in err
    assert main(["--library", str(library), "--store", store, "stats"]) == 0
    assert "held no build" not in capsys.readouterr().err
    assert main(["--store", f"oxigraph:{tmp_path / 'loaded.db'}", "load", "--no-validate"]) == 0
    assert "held no build" not in capsys.readouterr().err  # load says what it built in its own words


def test_a_build_names_each_phase_on_stderr_as_it_starts(tmp_path, capsys):
    """A build of a large library takes minutes: the user sees which part it is in, in order;
    stdout keeps the one summary line, and opening the store or a memory store says nothing."""
    store = f"oxigraph:{tmp_path / 'kb.db'}"
    assert main(["--store", store, "load"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("loaded 2 documents") and out.count("\n") == 1
    phases = [line.removeprefix("progress: ") for line in err.splitlines() if line.startswith("progress: ")]
    assert [phase.split()[0] for phase in phases] == [
        "parsing", "loading", "finding", "indexing", "saving", "listing", "validating", "compacting"]
    assert phases[0] == f"parsing 2 documents of {Library.at(None).root}"
    assert phases[1] == f"loading the triples into {store}"
    assert main(["--store", store, "stats"]) == 0
    assert "progress:" not in capsys.readouterr().err
    assert main(["stats"]) == 0
    assert "progress:" not in capsys.readouterr().err


def test_validating_a_store_built_without_it_reports_its_progress(tmp_path, monkeypatch, capsys):
    store = f"oxigraph:{tmp_path / 'kb.db'}"
    assert main(["--store", store, "load", "--no-validate"]) == 0
    real = KnowledgeBase.validate

    def validate(kb, progress=None):  # the seeds are too few for parts: say what parts would say
        progress("validated 2 of 2 documents")
        return real(kb, progress=progress)

    monkeypatch.setattr(KnowledgeBase, "validate", validate)
    capsys.readouterr()
    assert main(["--store", store, "validate"]) == 0
    assert capsys.readouterr().err.splitlines() == ["progress: validated 2 of 2 documents"]


def test_a_build_for_a_server_says_it_uploads_last(tmp_path, capsys):
    server = OxigraphServer(tmp_path / "server")  # its own: the parity tests' server keeps its build
    try:
        assert main(["--store", f"sparql:{server.url}", "load", "--no-validate"]) == 0
    finally:
        server.stop()
    phases = [line for line in capsys.readouterr().err.splitlines() if line.startswith("progress: ")]
    assert phases[1] == "progress: loading the triples into a local stage"
    assert phases[-1] == f"progress: uploading to {server.url}/update"  # SPARQL Update, not the query URL
    assert not any("validating" in line or "compacting" in line for line in phases)


def test_kill_stops_a_load_with_its_workers(tmp_path):
    """`kill PID` (SIGTERM to the command alone) left the parsing and validation workers running
    forever, holding the store's files; it now ends the command as Ctrl-C does."""
    import os
    import signal
    import subprocess
    import sys

    from graph.synthetic import generate_library
    from tests.helpers import kill_processes_naming, processes_left, wait_for_processes

    library = generate_library(60, seed=3, out_dir=tmp_path / "lib").root
    load = subprocess.Popen([sys.executable, "-m", "graph.cli", "--library", str(library), "--store",
                             f"oxigraph:{tmp_path / 'kb.db'}", "load"], cwd=Path(__file__).resolve().parent.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        # the command and a worker it forked
        wait_for_processes(library, 2, load, "the load never worked in parallel")
        os.kill(load.pid, signal.SIGTERM)
        assert load.wait(timeout=60) == 143
        assert load.stderr.read().decode().splitlines()[-1] == "guidegraph: stopped (SIGTERM)"
        assert processes_left(library) == []
    finally:
        kill_processes_naming(library)



def _long_task(seconds: float) -> float:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.05)
    return seconds


def test_an_interrupt_ends_the_workers_at_once_not_after_their_tasks():
    """Before: the pool finished the tasks its workers held (a validation part takes seconds, and
    a worker took the Ctrl-C as its task's failure and went on to the next): 9 to 77 s after a
    Ctrl-C during the validation of 1,000 guidelines."""
    from graph.build import worker_pool

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with worker_pool(2) as pool:
            [pool.submit(_long_task, 30) for _ in range(4)]
            time.sleep(0.5)
            workers = list(pool._processes.values())
            raise KeyboardInterrupt
    assert time.monotonic() - started < 10
    assert len(workers) == 2 and not any(_running(worker.pid) for worker in workers)


def _running(pid: int) -> bool:
    """Whether the process runs (not gone, not a zombie): multiprocessing's is_alive() stays True
    for a worker that the pool's own thread reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")

def test_the_store_option_defaults_to_the_environment(monkeypatch, tmp_path):
    from graph.cli import main

    monkeypatch.setenv("GUIDEGRAPH_STORE", f"oxigraph:{tmp_path / 'kb.db'}")
    assert main(["load", "--no-validate"]) == 0  # `load` refuses the memory store: this one is the variable's
    assert KnowledgeBase.load(store=f"oxigraph:{tmp_path / 'kb.db'}", validate=False).build is not None


# ---------------------------------------------------------------- N-Triples and loading


def test_n_triples_terms_escape_what_would_break_a_line():
    import pyoxigraph as ox
    from rdflib import Literal, URIRef

    text = 'a "quoted" \\ back\nslash'
    line = f"{nt_term(URIRef('http://e/s'))} {nt_term(URIRef('http://e/p'))} {nt_term(Literal(text))} .\n"
    (triple,) = ox.parse(line.encode(), format=ox.RdfFormat.N_TRIPLES)
    assert triple.object.value == text


def test_update_chunks_never_split_a_source():
    blocks = [b"a" * 5, b"b" * 5, b"c" * 12, b"d"]
    assert list(_chunks(blocks, 10)) == [b"a" * 5 + b"b" * 5, b"c" * 12, b"d"]


def test_shares_keep_every_block_whole_and_balance_the_sizes():
    blocks = [bytes([65 + i]) * size for i, size in enumerate([9, 1, 4, 4, 3, 7])]
    shares = _shares(blocks, 3)
    assert sorted(b for share in shares for b in share) == sorted(blocks)
    assert sorted(sum(map(len, share)) for share in shares) == [9, 9, 10]
    assert _shares(blocks[:1], 4) == [blocks[:1]]


def test_a_disk_load_in_parallel_shares_holds_what_one_load_in_memory_holds(tmp_path, monkeypatch):
    """Shares are loaded side by side by separate loader calls: no triple may be lost or doubled,
    and a blank node (a dose, a list cell) keeps all its triples."""
    from rdflib.compare import isomorphic

    from graph.build import parse_library
    from graph.export.rdf import to_memory_graph

    parsed = parse_library()
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    disk = open_store(f"oxigraph:{tmp_path / 'kb.db'}")
    load_ntriples(disk, parsed.blocks)
    memory = open_store("memory")
    load_ntriples(memory, parsed.blocks)
    assert len(disk) == len(memory) > 1_000
    assert isomorphic(to_memory_graph(disk), to_memory_graph(memory))


def test_an_on_disk_store_keeps_the_knowledge_graph_as_its_default_graph(tmp_path):
    """The folder is guidegraph's own: the knowledge graph is its default graph (three indexes, not
    six), the manifest a named graph, and a rebuild leaves nothing of an older layout behind."""
    import pyoxigraph as ox

    path = tmp_path / "kb.db"
    older = ox.Store(str(path))  # a build of the named-graph layout, as earlier versions wrote it
    older.add(ox.Quad(ox.NamedNode("https://e/s"), ox.NamedNode("https://e/p"), ox.Literal("old"), ox.NamedNode(str(KB_GRAPH))))
    del older
    kb = KnowledgeBase.load(store=f"oxigraph:{path}", rebuild=True, validate=False)
    store = kb.graph.store._inner
    names = {name.value for name in store.named_graphs()}
    assert names == {"https://w3id.org/guidegraph/graph/build"}
    held = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    assert held == len(kb.graph) == kb.timings["triples"]


def test_a_store_whose_load_was_stopped_is_built_again_when_opened(tmp_path):
    """A load stopped half-way (Ctrl-C) leaves triples and no manifest. Before, the next command
    opened the folder read-only to look for the manifest, then could not open it to build and
    said "the store is open read-only in this process"."""
    import pyoxigraph as ox

    path = tmp_path / "kb.db"
    stopped = ox.Store(str(path))
    stopped.add(ox.Quad(ox.NamedNode("https://e/s"), ox.NamedNode("https://e/p"), ox.Literal("half"), ox.DefaultGraph()))
    del stopped
    kb = KnowledgeBase.load(store=f"oxigraph:{path}", validate=False)
    assert kb.build is not None and kb.stats()["statements"] == 80
    assert not kb.graph.query("ASK { ?s ?p 'half' }").askAnswer  # a build empties the store first


# ---------------------------------------------------------------- the app on a persistent store


def _pathway_page():
    from graph.ui import pathway_page

    pathway_page.render()


def test_the_app_serves_a_built_store_named_by_the_environment(disk_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from graph.ui.common import current_kb

    monkeypatch.setenv("GUIDEGRAPH_STORE", f"oxigraph:{disk_path}")
    at = AppTest.from_function(_pathway_page, default_timeout=60)
    at.query_params.update({"condition": "lupus_nephritis", "tacrolimus_stopped": "abruptly", "flare": "true",
                            "severity": "severe", "weight_kg": "70", "first_line_response": "not_started"})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    text = "\n".join(m.value for m in at.markdown)
    assert "Rituximab (B-cell depleting therapy)" in text
    assert "**35–70 mg/d for this patient** (70 kg)" in text
    assert current_kb().store == f"oxigraph:{disk_path}"


@pytest.mark.parametrize("store", ["oxigraph-disk", "sparql-server"])
def test_the_endpoint_serves_a_persistent_store_with_the_same_rows(kb, stores, store, monkeypatch, capsys):
    """`guidegraph --store ... serve`: the endpoint is built over the knowledge base the store option opens."""
    import csv
    import io

    from fastapi.testclient import TestClient

    import graph.server
    from graph.server import create_app

    served = {}
    monkeypatch.setattr(graph.server, "serve", lambda kb, **options: served.update(kb=kb, **options))
    spec = stores[store].store
    assert main(["--store", spec, "serve", "--port", "7999"]) == 0
    assert served["kb"].store == spec and served["port"] == 7999
    query = next(q for q in saved_queries() if q.name == "trough-targets")
    answer = TestClient(create_app(served["kb"])).post("/sparql", data={"query": query.text},
                                                       headers={"Accept": "text/csv"})
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    expected = kb.query(query.text)
    assert len(rows) == len(expected.rows) == 7
    assert [r["line"] for r in rows] == [str(v) for v in expected.values("line")]
