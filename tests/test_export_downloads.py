"""The Export page's files: made on demand, named, typed, and honest about a missing Graphviz."""

from __future__ import annotations

import json
import shutil

import pytest

from graph.export.downloads import graph_files, graphviz_missing, tree_files

SEVERE_FLARE = {"condition": "lupus_nephritis", "tacrolimus_stopped": "abruptly", "flare": True,
                "severity": "severe", "weight_kg": 70, "first_line_response": "not_started"}


def test_tree_files_cover_every_diagram_format_for_one_pathway(kb):
    files = tree_files(kb, pathway="lupus-tacrolimus-rebound")
    assert [f.file_name for f in files] == [f"lupus-tacrolimus-rebound.{ext}" for ext in ("dot", "mmd", "html", "svg", "png")]
    assert files[0].make().startswith('digraph "guidegraph"')
    assert files[1].make().lstrip().startswith(("flowchart", "%%", "---"))
    assert "vis.Network" in files[2].make()


def test_a_patients_tree_is_named_and_highlighted(kb):
    plain, highlighted = (tree_files(kb, pathway="lupus-tacrolimus-rebound", facts=f)[0] for f in (None, SEVERE_FLARE))
    assert highlighted.file_name == "lupus-tacrolimus-rebound-patient.dot"
    assert "this patient's path" in highlighted.make() and "this patient's path" not in plain.make()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_svg_is_drawn_when_graphviz_is_present(kb):
    svg = next(f for f in tree_files(kb, pathway="lupus-tacrolimus-rebound") if f.file_name.endswith(".svg"))
    assert svg.unavailable is None and svg.make().lstrip().startswith(b"<?xml")


def test_without_graphviz_the_drawn_formats_say_how_to_install_it(kb, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert "apt-get install graphviz" in graphviz_missing()
    files = {f.file_name.rsplit(".", 1)[1]: f for f in tree_files(kb)}
    assert files["svg"].unavailable and files["png"].unavailable and files["dot"].unavailable is None


def test_graph_files_are_rdf_and_a_fhir_bundle(kb):
    files = {f.file_name: f for f in graph_files(kb)}
    assert set(files) == {"guidegraph.ttl", "guidegraph.jsonld", "guidegraph.nt", "guidegraph.trig", "guidegraph-fhir.json"}
    assert "@prefix gg:" in files["guidegraph.ttl"].make()
    bundle = json.loads(files["guidegraph-fhir.json"].make())
    assert bundle["resourceType"] == "Bundle" and files["guidegraph-fhir.json"].mime == "application/fhir+json"
