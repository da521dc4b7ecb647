"""RDF exports: Turtle, N-Triples, JSON-LD with a context, TriG with a named graph per guideline.

Exports live in version control, so the same library must give byte-identical files, across loads
and across processes (whose hash seeds differ), and every format must read back as the same graph.
"""

from __future__ import annotations

import enum
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import to_isomorphic
from rdflib.namespace import RDF

from graph import KnowledgeBase, cli
from graph.errors import InputError
from graph.export.rdf import guideline_graphs, jsonld_context, serialize_library, to_dataset, to_memory_graph
from graph.vocab import GG, KB, PREFIXES

PROJECT = Path(__file__).resolve().parent.parent


class RdfFormat(enum.Enum):
    TTL = ("ttl", "turtle")
    NT = ("nt", "nt")
    JSONLD = ("jsonld", "json-ld")
    TRIG = ("trig", "trig")


def reparse(text: str, fmt: RdfFormat) -> Graph:
    """The union of every graph in the text, as one graph."""
    if fmt is RdfFormat.TRIG:
        dataset = Dataset()
        dataset.parse(data=text, format="trig")
        union = Graph()
        for s, p, o, _ in dataset.quads():
            union.add((s, p, o))
        return union
    return Graph().parse(data=text, format=fmt.value[1])


@pytest.fixture(scope="module")
def exports(kb) -> dict[RdfFormat, str]:
    """The seed library in every format, made once for the module."""
    return {fmt: serialize_library(kb, fmt.value[0]) for fmt in RdfFormat}


@pytest.fixture(scope="module")
def canonical_kb(kb):
    # rdflib writes the decimal 1 as "1.0": the same value, so both sides are compared in canonical form.
    return to_isomorphic(to_memory_graph(kb.graph))


@pytest.mark.parametrize("fmt", list(RdfFormat), ids=lambda f: f.value[0])
def test_export_reparses_isomorphic_to_the_graph(kb, exports, canonical_kb, fmt):
    back = reparse(exports[fmt], fmt)
    assert len(back) == len(kb.graph)
    assert to_isomorphic(to_memory_graph(back)) == canonical_kb


_EXPORT_ALL = """
import sys
from pathlib import Path
from graph import KnowledgeBase
from graph.export.rdf import serialize_library
from graph.export.tree import export_tree
from graph.export.fhir import bundle_json, fhir_bundle
kb = KnowledgeBase.load(validate=False)
out = Path(sys.argv[1])
for fmt in ("ttl", "nt", "jsonld", "trig"):
    (out / f"kb.{fmt}").write_text(serialize_library(kb, fmt), encoding="utf-8")
for fmt in ("dot", "mermaid", "html"):
    (out / f"tree.{fmt}").write_text(export_tree(kb, fmt=fmt), encoding="utf-8")
(out / "bundle.json").write_text(bundle_json(fhir_bundle(kb)), encoding="utf-8")
"""


EXPORT_FILES = ["bundle.json", "kb.jsonld", "kb.nt", "kb.trig", "kb.ttl", "tree.dot", "tree.html", "tree.mermaid"]


@pytest.fixture(scope="module", autouse=True)
def _other_process_started(tmp_path_factory):
    """Started when the module starts, so the other process works while the tests here run."""
    folder = tmp_path_factory.mktemp("other-process")
    seed = "1" if os.environ.get("PYTHONHASHSEED") == "0" else "0"
    process = subprocess.Popen([sys.executable, "-c", _EXPORT_ALL, str(folder)], cwd=PROJECT,
                               env={**os.environ, "PYTHONHASHSEED": seed},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield folder, process
    if process.poll() is None:
        process.kill()
        process.communicate()


@pytest.fixture(scope="module")
def other_process(_other_process_started) -> dict[str, bytes]:
    """Every export made by another process, loading the library anew, with another hash seed than
    this one's: set and dict order must leak into no file."""
    folder, process = _other_process_started
    _, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def this_process(kb, exports) -> dict[str, bytes]:
    from graph.export.fhir import bundle_json, fhir_bundle
    from graph.export.tree import export_tree

    files = {f"kb.{fmt.value[0]}": text for fmt, text in exports.items()}
    files.update({f"tree.{fmt}": export_tree(kb, fmt=fmt) for fmt in ("dot", "mermaid", "html")})
    files["bundle.json"] = bundle_json(fhir_bundle(kb))
    return {name: text.encode("utf-8") for name, text in files.items()}


@pytest.mark.parametrize("name", EXPORT_FILES)
def test_two_loads_give_byte_identical_exports(other_process, this_process, name):
    assert sorted(other_process) == sorted(this_process) == EXPORT_FILES
    assert len(this_process[name]) > 1000 and other_process[name] == this_process[name]


def test_jsonld_carries_its_context_inline(exports):
    data = json.loads(exports[RdfFormat.JSONLD])
    assert data["@context"] == {prefix: str(ns) for prefix, ns in PREFIXES.items()} == jsonld_context()
    ids = {node["@id"] for node in data["@graph"]}
    assert "kb:lupus-tacrolimus-rebound" in ids  # IRIs are compacted with the context's prefixes


def test_trig_puts_each_guideline_in_its_own_named_graph(kb, exports):
    dataset = Dataset()
    dataset.parse(data=exports[RdfFormat.TRIG], format="trig")
    named = {g.identifier: g for g in dataset.graphs() if len(g) and g.identifier != dataset.default_graph.identifier}
    assert set(named) == {KB["lupus-tacrolimus-rebound"], KB["autoimmune-tacrolimus-rebound"]}
    default = dataset.default_graph
    for doc_id in kb.documents:
        graph = named[KB[doc_id]]
        statements = set(graph.subjects(RDF.type, GG.Statement))
        assert statements == {s for s in kb.graph.subjects(RDF.type, GG.Statement) if str(s).startswith(str(KB[doc_id]) + "/")}
        assert (KB[doc_id], RDF.type, GG.Guideline) in graph
        assert not set(graph.subjects(RDF.type, GG.Pathway))
    # Ontology, terminology and pathways are in the default graph, and no statement is.
    assert (URIRef("https://w3id.org/guidegraph/ontology"), None, None) in default
    assert set(default.subjects(RDF.type, GG.Pathway)) == set(kb.graph.subjects(RDF.type, GG.Pathway))
    assert not set(default.subjects(RDF.type, GG.Statement))


def test_named_graphs_hold_exactly_what_parse_makes_of_each_document(kb):
    owned = guideline_graphs(kb)
    dataset = to_dataset(kb)
    for name, triples in owned.items():
        assert set(dataset.graph(name)) == triples


def test_unknown_rdf_format_is_an_input_error(kb):
    with pytest.raises(InputError, match="unknown RDF format 'rdfxml'"):
        serialize_library(kb, "rdfxml")


@pytest.mark.parametrize("fmt", [RdfFormat.JSONLD, RdfFormat.TRIG], ids=lambda f: f.value[0])
def test_cli_export_graph_writes_the_new_formats(exports, tmp_path, fmt, capsys):
    out = tmp_path / f"kb.{fmt.value[0]}"
    assert cli.main(["export", "graph", "--format", fmt.value[0], "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == exports[fmt]
    assert cli.main(["export", "graph", "--format", fmt.value[0], "-o", str(out)]) == 2
    assert "exists already; pass --force" in capsys.readouterr().err
