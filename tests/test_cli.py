"""The `guidegraph` command: outputs, exit codes and one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

from graph.cli import main
from graph.library import DEFAULT_LIBRARY

LUPUS = str(DEFAULT_LIBRARY / "lupus-tacrolimus-rebound.txt")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_json_shows_statements_and_incompleteness(capsys):
    code, out, err = run(capsys, "parse", LUPUS, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == "lupus-tacrolimus-rebound" and data["complete"] is False
    assert sum(len(s["statements"]) for s in data["sections"]) == 43
    assert "incomplete" in err and "line 60" in err


def test_parse_json_gives_each_statement_the_address_a_pathway_names_it_by(capsys, kb):
    """Before: an author writing gg:recommends had to read the addresses out of the Turtle."""
    from rdflib import URIRef

    from graph.vocab import GG

    _, out, _ = run(capsys, "parse", LUPUS, "--format", "json")
    statements = {s["iri"]: s for section in json.loads(out)["sections"] for s in section["statements"]}
    rituximab = statements["https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound/second-line-approach-add-biologic-therapy/2"]
    assert rituximab["line"] == 24 and rituximab["text"].startswith("Rituximab (B-cell depleting therapy)")
    # every address is the one the loaded graph gives the statement on that line
    for iri, statement in statements.items():
        assert kb.graph.value(URIRef(iri), GG.sourceLine).toPython() == statement["line"]


def test_parse_ttl_is_turtle_of_the_document(capsys):
    code, out, _ = run(capsys, "parse", LUPUS, "--format", "ttl")
    assert code == 0
    graph = Graph().parse(data=out, format="turtle")
    assert len(graph) > 500


def test_parse_changes_nothing(capsys, tmp_path):
    before = sorted(p.name for p in DEFAULT_LIBRARY.iterdir())
    run(capsys, "parse", LUPUS)
    assert sorted(p.name for p in DEFAULT_LIBRARY.iterdir()) == before


def test_validate_conforms(capsys):
    code, out, _ = run(capsys, "validate")
    assert code == 0 and out.startswith("conforms")


def test_validate_names_node_and_rule_and_exits_1(capsys, tmp_path):
    library = tmp_path / "lib"
    library.mkdir()
    shutil.copy(DEFAULT_LIBRARY / "terminology.ttl", library)
    (library / "mini.txt").write_text("Mini\nGive prednisone 30 mg daily. 1\n", encoding="utf-8")
    (library / "bad.pathway.ttl").write_text(
        "@prefix gg: <https://w3id.org/guidegraph/ontology#> .\n"
        "<https://w3id.org/guidegraph/kb/mini/lead/1> gg:hasDose <https://w3id.org/guidegraph/kb/mini/lead/1/dose/9> .\n"
        "<https://w3id.org/guidegraph/kb/mini/lead/1/dose/9> a gg:Dose ; gg:drug <https://w3id.org/guidegraph/kb/drug/prednisone> ;\n"
        "  gg:low 60.0 ; gg:high 30.0 ; gg:unit \"mg/d\" .\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "--library", str(library), "validate")
    assert code == 1
    assert "does not conform" in err
    assert "kb/mini/lead/1/dose/9" in err and "mini" in err and "line 2" in err


def test_stats_json(capsys):
    code, out, _ = run(capsys, "stats", "--format", "json")
    assert code == 0
    stats = json.loads(out)
    assert (stats["guidelines"], stats["statements"], stats["citations"]) == (2, 80, 13)


def test_stats_text_lists_counts(capsys):
    code, out, _ = run(capsys, "stats")
    assert code == 0 and "statements" in out and "pitfall" in out


def test_export_graph_to_file_and_refuse_overwrite(capsys, tmp_path):
    target = tmp_path / "kb.ttl"
    assert run(capsys, "export", "graph", "--format", "ttl", "-o", str(target))[0] == 0
    assert len(Graph().parse(target, format="turtle")) > 2000
    code, _, err = run(capsys, "export", "graph", "-o", str(target))
    assert code == 2 and "--force" in err and len(err.strip().splitlines()) == 1
    assert run(capsys, "export", "graph", "-o", str(target), "--force")[0] == 0


@pytest.mark.parametrize(
    "make_path, message",
    [
        (lambda tmp: tmp / "missing" / "kb.ttl", "does not exist"),
        (lambda tmp: tmp, "is a folder"),
    ],
)
def test_export_to_bad_paths(capsys, tmp_path, make_path, message):
    code, out, err = run(capsys, "export", "graph", "-o", str(make_path(tmp_path)))
    assert code == 2 and message in err and out == ""


# ---------------------------------------------------------------- ingest


@pytest.fixture
def library(tmp_path) -> Path:
    root = tmp_path / "library"
    shutil.copytree(DEFAULT_LIBRARY, root)
    return root


def test_ingest_adds_a_document(capsys, library, tmp_path):
    source = Path(__file__).parent / "data" / "format-sample.txt"
    code, out, _ = run(capsys, "--library", str(library), "ingest", str(source), "--id", "format-sample")
    assert code == 0 and "12 statements" in out
    assert (library / "format-sample.txt").read_bytes() == source.read_bytes()
    code, out, _ = run(capsys, "--library", str(library), "stats", "--format", "json")
    assert json.loads(out)["guidelines"] == 3


@pytest.mark.parametrize(
    "doc_id, message",
    [
        ("lupus-tacrolimus-rebound", "exists already"),
        ("../escape", "must be lower-case"),
        ("Has Spaces", "must be lower-case"),
        ("", "must be lower-case"),
    ],
)
def test_ingest_refuses_bad_ids_and_leaves_library_unchanged(capsys, library, doc_id, message):
    before = sorted(p.name for p in library.iterdir())
    code, _, err = run(capsys, "--library", str(library), "ingest", LUPUS, "--id", doc_id)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in library.iterdir()) == before


def test_ingest_refuses_a_document_that_does_not_validate(capsys, library, tmp_path):
    source = tmp_path / "reversed.txt"
    source.write_text("Reversed Range\nGive prednisone 60-30 mg daily. 1\n", encoding="utf-8")
    before = sorted(p.name for p in library.iterdir())
    code, _, err = run(capsys, "--library", str(library), "ingest", str(source), "--id", "reversed")
    assert code == 1 and "line 2" in err
    assert sorted(p.name for p in library.iterdir()) == before


NO_DRUG = ('a dose with no drug named before it in its sentence or right after it ("500 mg of X"); '
           'it is left out: name the drug in the same sentence')


def test_a_dose_tied_to_no_drug_is_a_warning_quoting_its_words(capsys, library, tmp_path):
    """Before: "Give 2 g daily" under an MMF lead-in became an MMF dose the text never states."""
    source = tmp_path / "examplo.txt"
    source.write_text("Examplo Guideline\nExamplo Treatment\nMMF is preferred:\n- Give 2 g daily for flares 1\n",
                      encoding="utf-8")
    code, out, err = run(capsys, "--library", str(library), "ingest", str(source), "--id", "examplo")
    assert code == 0 and "ingested" in out
    assert (f'warning: examplo, Examplo Treatment, line 4: "2 g daily": {NO_DRUG} [quantity-drug-unknown]'
            in err)
    code, out, _ = run(capsys, "--library", str(library), "validate", "--format", "json")
    (finding,) = [f for f in json.loads(out)["findings"] if f["guideline"] == "examplo"]
    assert finding == {
        "rule": "quantity-drug-unknown", "message": f'"2 g daily": {NO_DRUG}',
        "focus": "https://w3id.org/guidegraph/kb/examplo/examplo-treatment/2/note/1", "severity": "warning",
        "guideline": "examplo", "section": "Examplo Treatment", "line": 4, "words": "2 g daily"}
    code, out, _ = run(capsys, "--library", str(library), "sparql", "--format", "json",
                       "SELECT ?words ?reason WHERE { ?s gg:sourceLine 4 ; gg:guideline kb:examplo ; "
                       "gg:readingNote [ a gg:ReadingNote ; gg:noteCode 'quantity-drug-unknown' ; "
                       "gg:quote ?words ; gg:reason ?reason ] }")
    (row,) = json.loads(out)["results"]["bindings"]
    assert (row["words"]["value"], row["reason"]["value"]) == ("2 g daily", NO_DRUG)
    code, out, _ = run(capsys, "--library", str(library), "sparql", "--format", "csv",
                       "SELECT ?d WHERE { ?s gg:guideline kb:examplo ; gg:hasDose ?d }")
    assert out.strip().splitlines() == ["d"]  # no dose was made up


def test_a_heading_that_states_a_quantity_is_a_warning_naming_its_line(capsys, library, tmp_path):
    source = tmp_path / "examplo.txt"
    source.write_text("Examplo Guideline\nExamplo Treatment\n- Give prednisone 30 mg daily 1\n"
                      "Keep examplomab going for 6 weeks\n- Review the response 1\n", encoding="utf-8")
    code, _, err = run(capsys, "--library", str(library), "ingest", str(source), "--id", "examplo")
    assert code == 0
    assert ('warning: examplo, Keep examplomab going for 6 weeks, line 4: "Keep examplomab going for 6 weeks": '
            'this line is read as a heading (no full stop, no citation), and it states "for 6 weeks"') in err
    assert "[quantity-in-heading]" in err


@pytest.mark.parametrize("written", ["60-30", "60 to 30", "between 60 and 30"])
def test_a_reversed_range_is_refused_with_a_finding_that_quotes_its_words(capsys, library, tmp_path, written):
    """Before: "60 to 30 mg" was read as a dose of 30 mg, and the document was ingested."""
    source = tmp_path / "reversed.txt"
    source.write_text(f"Reversed Range\nGive prednisone {written} mg daily. 1\n", encoding="utf-8")
    before = sorted(p.name for p in library.iterdir())
    code, _, err = run(capsys, "--library", str(library), "ingest", str(source), "--id", "reversed")
    assert code == 1
    assert (f'line 2: gg:low must not be greater than gg:high. The words: "prednisone {written} mg daily". '
            '[LowNotAboveHigh]') in err
    assert sorted(p.name for p in library.iterdir()) == before


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty"), (b"\x00\x01\x02binary", "NUL"), (b"Title\n\xff\xfe bad 1\n", "not UTF-8")],
)
def test_ingest_and_parse_refuse_unreadable_documents(capsys, library, tmp_path, content, message):
    source = tmp_path / "bad.txt"
    source.write_bytes(content)
    for argv in (["parse", str(source)], ["--library", str(library), "ingest", str(source), "--id", "bad"]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (library / "bad.txt").exists()


def test_missing_file_and_unknown_command(capsys):
    code, _, err = run(capsys, "parse", "/no/such/file.txt")
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err and len(err.strip().splitlines()) == 1


def test_a_library_that_is_a_file_was_said_not_to_exist(capsys, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a library\n", encoding="utf-8")
    code, out, err = run(capsys, "--library", str(notes), "stats")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert f"library folder {str(notes)!r} is a file, not a folder" in err
    code, _, err = run(capsys, "--library", str(tmp_path / "missing"), "stats")
    assert code == 2 and "does not exist" in err


def test_console_script_runs_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "graph.cli", "parse", str(tmp_path / "missing.txt")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("option, words", [
    ("--library", "give a guideline library folder"),  # before: the current folder, an empty library
    ("--store", "give memory, rdflib, oxigraph:PATH or sparql:URL"),  # before: the memory store
])
def test_an_empty_library_or_store_is_refused(capsys, option, words):
    code, out, err = run(capsys, option, "", "stats")
    assert code == 2 and out == ""
    assert err == f"guidegraph: error: argument {option}: is empty; {words}\n"


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_or_blank_store_variable_means_the_default_store(capsys, monkeypatch, value):
    monkeypatch.setenv("GUIDEGRAPH_STORE", value)
    code, out, _ = run(capsys, "stats", "--format", "json")
    assert code == 0 and json.loads(out)["guidelines"] == 2


@pytest.mark.parametrize("value, words", [
    ("bogus", "unknown store 'bogus'; use one of: memory, rdflib, oxigraph:PATH, sparql:URL"),
    ("oxigraph:", "store 'oxigraph:' names no folder; give oxigraph:PATH"),
    ("sparql: ", "store 'sparql:' names no server; give sparql:URL"),
])
def test_a_bad_store_variable_is_blamed_on_the_variable(capsys, monkeypatch, value, words):
    monkeypatch.setenv("GUIDEGRAPH_STORE", value)
    code, out, err = run(capsys, "stats")
    assert (code, out) == (2, "")
    assert err == f"guidegraph: error: GUIDEGRAPH_STORE: {words}\n"
    # the option, when given, wins over the variable
    code, out, _ = run(capsys, "--store", "memory", "stats", "--format", "json")
    assert code == 0 and json.loads(out)["guidelines"] == 2


def test_a_store_option_without_its_path_says_so(capsys):
    code, _, err = run(capsys, "--store", "oxigraph:", "stats")
    assert (code, err) == (2, "guidegraph: error: store 'oxigraph:' names no folder; give oxigraph:PATH\n")
