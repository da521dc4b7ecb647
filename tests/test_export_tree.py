"""Decision-tree diagrams: the model read from the pathways, DOT drawn by Graphviz, Mermaid checked.

The matrix (STYLE.md item 8): every pathway of the seed library and the sample pathway
(tests/data/sample.pathway.ttl) x every diagram format.
"""

from __future__ import annotations

import enum
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from graph import KnowledgeBase, cli
from graph.catalogue import Catalogue, catalogue_of
from graph.errors import InputError
from graph.export import dot as dot_module
from graph.export.dot import INSTALL_HINT, render_dot, to_dot
from graph.export.mermaid import check_flowchart, escape_label, to_mermaid
from tests.conftest import MANY_PATHWAYS
from graph.export.tree import (
    BRANCH_WIDTH,
    LABEL_WIDTH,
    STATEMENT_WIDTH,
    UNDECIDED_NOTE,
    PatientPath,
    branch_lines,
    export_tree,
    FEW_IDS,
    highlight,
    library_trees,
    node_lines,
    patient_path,
    pathway_ids,
    pathway_trees,
    question_lines,
    statement_lines,
)

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (apt-get install graphviz)")


class Library(enum.Enum):
    SEEDS = "kb"
    SAMPLE = "sample_kb"


PATHWAYS = [
    (Library.SEEDS, "lupus-tacrolimus-rebound"),
    (Library.SEEDS, "autoimmune-tacrolimus-rebound"),
    (Library.SAMPLE, "sample-lupus"),
]


def pathway_params():
    return [pytest.param(library, pathway, id=pathway) for library, pathway in PATHWAYS]


@pytest.fixture
def library(request):
    """The knowledge base a parametrized case names (session fixtures, loaded once)."""
    return lambda which: request.getfixturevalue(which.value)


def svg_texts_by_node(svg: bytes) -> dict[str, list[str]]:
    """The visible text lines of every node in a Graphviz SVG, by node name (its <title>)."""
    root = ET.fromstring(svg)
    texts = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        title = group.find(f"{SVG}title").text
        texts[title] = [t.text or "" for t in group.iter(f"{SVG}text")]
    return texts


def svg_edge_texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for g in root.iter(f"{SVG}g") if g.get("class") == "edge" for t in g.iter(f"{SVG}text")]


# ---------------------------------------------------------------- the model


def test_sample_pathway_is_read_in_document_order_with_its_statements(sample_kb):
    tree = pathway_trees(sample_kb.graph, pathway="sample-lupus")[0]
    # Parents before children, siblings in the order of the source lines they recommend.
    assert [(n.label, n.depth) for n in tree.nodes] == [
        ("Tacrolimus stopped", 0),
        ("Flare: restart immunosuppression", 1),
        ("Second line: add biologic therapy", 2),
        ("Third line: consider restarting tacrolimus", 2),
        ("Extreme fatigue", 2),
        ("No flare: follow the expected response", 1),
    ]
    flare = tree.nodes[1]
    assert [s.line for s in flare.statements] == [2, 17, 19]
    line_19 = flare.statements[2]
    assert line_19.heading() == "Recommendation, first-line · line 19 [1]"
    assert [d.words() for d in line_19.doses] == ["prednisone 0.5–1 mg/kg/d"]
    fatigue = tree.nodes[4]
    assert [d.words() for s in fatigue.statements for d in s.doses] == [
        "prednisone 0.5–1 mg/kg/d",
        "hydroxychloroquine 5 mg/kg/d (actual body weight)",
    ]
    assert tree.source() == (
        "Source: Management of Rebound Lupus Symptoms After Tacrolimus Discontinuation (lupus-tacrolimus-rebound)"
    )


def test_branches_are_labelled_with_their_criteria_in_words(sample_kb):
    tree = pathway_trees(sample_kb.graph, pathway="sample-lupus")[0]
    words = {(b.source.split("__")[1], b.target.split("__")[1]): b.criterion for b in tree.branches}
    assert words == {
        ("start", "flare"): "disease flare: yes",
        ("start", "no_flare"): "disease flare: no",
        ("flare", "fatigue"): "fatigue: yes and body weight ≥ 40 kg",
        ("flare", "second_line"): "response to first-line therapy: inadequate and "
        "((severity: organ threatening or severe) or refractory before tacrolimus was stopped: yes)",
        ("flare", "third_line"): "not (tacrolimus side effects: intolerable)",
    }
    expressions = {b.target.split("__")[1]: b.expression for b in tree.branches}
    assert expressions["second_line"] == (
        "(first_line_response = 'inadequate') and ((severity in ('organ_threatening', 'severe')) or (refractory is true))"
    )


def test_unknown_pathway_names_the_known_ones(kb):
    with pytest.raises(InputError, match="no pathway 'nope'; the library has: autoimmune-tacrolimus-rebound, lupus-tacrolimus-rebound"):
        pathway_trees(kb.graph, pathway="nope")


def test_every_recommended_statement_appears_in_the_tree(kb):
    from graph.vocab import GG

    recommended = {str(s) for s in kb.graph.objects(None, GG.recommends)}
    drawn = {s.iri for t in pathway_trees(kb.graph) for n in t.nodes for s in n.statements}
    assert drawn == recommended and recommended


def test_a_statement_in_a_disagreement_carries_it_into_every_diagram(kb):
    # autoimmune line 15 gives a trough of 6 ng/mL; the sources give five other targets
    [tree] = library_trees(kb, pathway="autoimmune-tacrolimus-rebound")
    statements = {(s.guideline, s.line): s for n in tree.nodes for s in n.statements}
    disputed = statements[("autoimmune-tacrolimus-rebound", 15)]
    [dispute] = disputed.disputes
    assert dispute == ("Sources disagree on tacrolimus trough level: 0.6-1 ng/mL, 6 ng/mL, 0.6-1 ng/mL for autoimmune, "
                       "6-10 ng/mL for transplant, 4-6 ng/mL, 3-6 ng/mL")
    assert [line for style, line in statement_lines(disputed) if style == "dispute"][0].startswith("⚠ Sources disagree")
    assert statements[("autoimmune-tacrolimus-rebound", 27)].disputes == ()  # renal function: no number in dispute
    mermaid = to_mermaid([tree])
    assert "⚠ Sources disagree on tacrolimus trough level:" in mermaid
    assert 'COLOR="#b00020">⚠ Sources disagree on tacrolimus' in to_dot([tree])
    page = export_tree(kb, fmt="html", pathway="autoimmune-tacrolimus-rebound")
    assert '"disputes": ["Sources disagree on tacrolimus trough level:' in page


# ---------------------------------------------------------------- DOT and Graphviz


@needs_dot
@pytest.mark.parametrize("which, pathway", pathway_params())
def test_dot_draws_every_node_label_and_branch(library, which, pathway):
    tree = pathway_trees(library(which).graph, pathway=pathway)[0]
    svg = render_dot(to_dot([tree]), fmt="svg")
    texts = svg_texts_by_node(svg)
    for node in tree.nodes:
        assert texts[node.key] == node_lines(node) + question_lines(node), node.label
        if node.statements:
            drawn = [line for line in texts[node.statements_key] if line.strip()]  # blank lines part statements
            assert drawn == [line for s in node.statements for _, line in statement_lines(s)]
    edge_texts = svg_edge_texts(svg)
    for branch in tree.branches:
        for line in branch_lines(branch):
            assert line in edge_texts


@needs_dot
def test_svg_lists_drug_dose_and_citation_of_each_statement(kb):
    svg = render_dot(to_dot(pathway_trees(kb.graph, pathway="lupus-tacrolimus-rebound")), fmt="svg")
    lines = [line for texts in svg_texts_by_node(svg).values() for line in texts]
    assert "▸ mycophenolate mofetil 2–3 g/d" in lines
    assert "▸ hydroxychloroquine 5 mg/kg/d (actual body" in lines
    assert any(line.startswith("Recommendation · line 2 [1]") for line in lines)
    assert "Legend" in "".join(lines) and any("never orders" in line for line in lines)


@needs_dot
@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_graphviz_formats_are_real_files(sample_kb, fmt, magic):
    assert export_tree(sample_kb, fmt=fmt, pathway="sample-lupus").startswith(magic)


@needs_dot
def test_a_pdf_carries_no_time_of_drawing_so_two_exports_are_identical(sample_kb):
    first = export_tree(sample_kb, fmt="pdf", pathway="sample-lupus")
    assert re.findall(rb"/CreationDate \([^)]*\)", first) == [b"/CreationDate (D:19700101000000Z)"]
    assert export_tree(sample_kb, fmt="pdf", pathway="sample-lupus") == first
    # the stamp kept its length: the cross-reference table still points at its objects
    table = int(re.findall(rb"startxref\s+(\d+)", first)[-1])
    assert first[table:table + 4] == b"xref"
    offsets = [int(o) for o in re.findall(rb"(\d{10}) 00000 n", first[table:])]
    assert offsets and all(re.match(rb"\d+ 0 obj", first[o:]) for o in offsets)


@needs_dot
def test_a_hundred_node_tree_stays_readable(large_pathway, hostile_label):
    tree = pathway_trees(large_pathway)[0]
    assert len(tree.nodes) == 100
    svg = render_dot(to_dot([tree]), fmt="svg")
    texts = svg_texts_by_node(svg)
    assert {n.key for n in tree.nodes} <= set(texts)
    # Every drawn line is wrapped to the widest label allowed, and nothing is scaled down to fit.
    widest = max(LABEL_WIDTH, STATEMENT_WIDTH, BRANCH_WIDTH)
    node_lines_drawn = [line for key, lines in texts.items() if key != "legend" for line in lines]
    assert max(len(line) for line in node_lines_drawn) <= LABEL_WIDTH
    assert max(len(line) for line in svg_edge_texts(svg)) <= widest
    assert 'transform="scale(1 1)' in svg.decode()
    # The hostile label is drawn as text, character for character.
    hostile = next(n for n in tree.nodes if hostile_label in n.label)
    assert " ".join(texts[hostile.key]).startswith(hostile_label[:20])
    assert "".join(texts[hostile.key]).replace(" ", "") == hostile.label.replace(" ", "")


def test_missing_graphviz_says_how_to_install_it(sample_kb, monkeypatch):
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    with pytest.raises(InputError) as error:
        export_tree(sample_kb, fmt="svg")
    assert "apt-get install graphviz" in str(error.value) and "brew install graphviz" in str(error.value)
    assert INSTALL_HINT in str(error.value)
    # Text formats never need it.
    assert export_tree(sample_kb, fmt="dot").startswith('digraph "guidegraph"')
    assert check_flowchart(export_tree(sample_kb, fmt="mermaid")) == []


def test_cli_without_graphviz_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    code = cli.main(["export", "tree", "--format", "png", "-o", str(tmp_path / "t.png")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "apt-get install graphviz" in err
    assert not (tmp_path / "t.png").exists()


# ---------------------------------------------------------------- a patient's path


def _sample_path(sample_kb, names):
    base = "https://w3id.org/guidegraph/kb/sample-lupus/pathway/"
    return PatientPath(tuple(base + n for n in names))


def test_highlight_marks_the_path_and_greys_the_rest(sample_kb):
    tree = pathway_trees(sample_kb.graph, pathway="sample-lupus")[0]
    lit = highlight(tree, _sample_path(sample_kb, ["start", "flare", "third-line"]))
    states = {n.key.split("__")[1]: n.state for n in lit.nodes}
    assert states == {"start": "path", "flare": "path", "third_line": "path",
                      "no_flare": "off", "fatigue": "off", "second_line": "off"}
    taken = {b.target.split("__")[1] for b in lit.branches if b.state == "taken"}
    assert taken == {"flare", "third_line"}
    text = to_dot([lit])
    path_line = next(line for line in text.splitlines() if line.strip().startswith('"sample_lupus__third_line" ['))
    off_line = next(line for line in text.splitlines() if line.strip().startswith('"sample_lupus__fatigue" ['))
    assert "penwidth=2.5" in path_line and 'color="#c0392b"' in path_line
    assert 'fontcolor="#9e9e9e"' in off_line
    assert "this patient's path" in text


UNDECIDED_LUPUS = {"condition": "lupus_nephritis", "tacrolimus_stopped": "tapered", "flare": True,
                   "severity": "mild", "adherence_concern": False}


def test_a_branch_waiting_for_an_unknown_fact_is_drawn_undecided_not_ruled_out(kb):
    # First-line response unknown: first line is an open question, not "not taken"; a tapered stop
    # and no adherence concern do rule out the abrupt-stop and cyclophosphamide nodes.
    path = patient_path(kb, UNDECIDED_LUPUS)
    tree = library_trees(kb, pathway="lupus-tacrolimus-rebound", path=path)[0]
    state = {n.iri.rsplit("/", 1)[-1]: n.state for n in tree.nodes}
    assert state["first-line"] == state["first-line-nephritis"] == state["biologics"] == "undecided"
    assert state["abrupt-stop"] == state["iv-cyclophosphamide"] == "off"
    assert state["lupus-nephritis"] == "path"
    branch = {b.iri.rsplit("/", 1)[-1]: b.state for b in tree.branches}
    assert branch["to-first-line"] == "undecided" and branch["to-abrupt-stop"] == "not-taken"
    assert ("undecided", UNDECIDED_NOTE) in tree.legend()
    # What recommend asks is what the diagram leaves open.
    asked = {q["key"] for q in kb.recommend(UNDECIDED_LUPUS).questions}
    assert "first_line_response" in asked
    text = to_dot([tree])
    first = next(line for line in text.splitlines() if line.strip().startswith('"lupus_tacrolimus_rebound__first_line" ['))
    abrupt = next(line for line in text.splitlines() if line.strip().startswith('"lupus_tacrolimus_rebound__abrupt_stop" ['))
    assert "dashed" in first and "dashed" not in abrupt
    assert "not decided yet" in text
    flowchart = to_mermaid([tree])
    assert check_flowchart(flowchart) == []
    assert "n_lupus_tacrolimus_rebound__rebound_flare -.->" in flowchart
    assert re.search(r"^  class .*n_lupus_tacrolimus_rebound__first_line[,\s].* undecided$", flowchart, re.MULTILINE)


RECOMMEND_CASES = [
    pytest.param(
        "lupus-tacrolimus-rebound",
        {"condition": "lupus_nephritis", "tacrolimus_stopped": "abruptly", "flare": True,
         "first_line_response": "not_started", "tacrolimus_side_effects": "tolerable", "on_hydroxychloroquine": False},
        id="lupus-nephritis-flare",
    ),
    pytest.param(
        "autoimmune-tacrolimus-rebound",
        {"condition": "autoimmune_hepatitis", "tacrolimus_stopped": "abruptly", "flare": True,
         "first_line_response": "inadequate", "ascites": True, "weight_kg": 60},
        id="autoimmune-hepatitis-inadequate",
    ),
]


def _recommend_path(kb, facts) -> list[str]:
    path = [step["node"] for step in kb.recommend(facts).to_dict()["path"]]
    assert len(path) > 2
    return path


@needs_dot
@pytest.mark.parametrize("pathway, facts", RECOMMEND_CASES)
def test_highlighted_path_is_the_path_of_recommend(kb, pathway, facts):
    path = _recommend_path(kb, facts)
    trees = pathway_trees(kb.graph, path=patient_path(kb, facts))
    # The pathways drawn are those the path goes through, and the path drawn is recommend's path.
    assert {t.iri for t in trees} == {p.rsplit("/", 1)[0] for p in path}
    assert pathway in {t.id for t in trees}
    assert {n.iri for t in trees for n in t.nodes if n.state == "path"} == set(path)
    # Every taken branch joins two nodes of the path, and every node after an entry is reached by one.
    for tree in trees:
        iri_of = {n.key: n.iri for n in tree.nodes}
        taken = [b for b in tree.branches if b.state == "taken"]
        assert all(iri_of[b.source] in path and iri_of[b.target] in path for b in taken)
        assert {iri_of[b.target] for b in taken} == {n.iri for n in tree.nodes if n.state == "path"} - {iri_of[tree.entry]}
    # Drawn: the path's nodes have the path's red border, and no other node has it.
    svg = render_dot(to_dot(trees), fmt="svg").decode()
    red = set()
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") == "node" and any(p.get("stroke") == "#c0392b" for p in group.iter(f"{SVG}path")):
            red.add(group.find(f"{SVG}title").text)
    assert red == {n.key for t in trees for n in t.nodes if n.iri in path}


@pytest.mark.parametrize("pathway, facts", RECOMMEND_CASES)
def test_cli_patient_option_highlights_the_recommend_path(kb, tmp_path, pathway, facts, capsys):
    path = _recommend_path(kb, facts)
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps(facts))
    out = tmp_path / "tree.dot"
    assert cli.main(["export", "tree", "--pathway", pathway, "--patient", str(patient), "--format", "dot", "-o", str(out)]) == 0
    tree = pathway_trees(kb.graph, pathway=pathway)[0]
    text = out.read_text()
    highlighted = {n.iri for n in tree.nodes if re.search(rf'^\s*"{n.key}" \[.*penwidth=2\.5', text, re.MULTILINE)}
    assert highlighted == {p for p in path if p.startswith(tree.iri + "/")}
    assert "this patient's path" in text


# ---------------------------------------------------------------- Mermaid


@pytest.mark.parametrize("which, pathway", pathway_params())
def test_mermaid_is_valid_and_names_every_node(library, which, pathway):
    tree = pathway_trees(library(which).graph, pathway=pathway)[0]
    text = to_mermaid([tree])
    assert check_flowchart(text) == []
    for node in tree.nodes:
        assert re.search(rf"^\s*n_{node.key}\{{\{{\"", text, re.MULTILINE), node.key
        for line in node_lines(node):
            assert escape_label(line) in text
    for branch in tree.branches:
        assert re.search(rf"n_{branch.source} (-->|==>)\|\".*\"\| n_{branch.target}$", text, re.MULTILINE)


def test_mermaid_of_hostile_labels_is_still_valid(large_pathway, hostile_label):
    text = to_mermaid(pathway_trees(large_pathway))
    assert check_flowchart(text) == []
    assert escape_label(hostile_label[:30]) in text and hostile_label not in text
    assert '<img src="http' not in text


def test_mermaid_patient_path_styles_taken_links(sample_kb):
    tree = highlight(pathway_trees(sample_kb.graph, pathway="sample-lupus")[0], _sample_path(sample_kb, ["start", "flare"]))
    text = to_mermaid([tree])
    assert check_flowchart(text) == []
    assert "n_sample_lupus__start ==>" in text
    assert re.search(r"^  class .*n_sample_lupus__flare[,\s].* path$", text, re.MULTILINE)
    assert re.search(r"^  linkStyle [\d,]+ stroke:#c0392b", text, re.MULTILINE)


BROKEN_FLOWCHARTS = [
    pytest.param("graph XY\n  a --> b\n", "starts with 'flowchart'", id="bad-direction"),
    pytest.param("  a --> b\n", "starts with 'flowchart'", id="no-header"),
    pytest.param('flowchart TB\n  a["open --> b\n', "never closes", id="unclosed-quote"),
    pytest.param('flowchart TB\n  a["say "hi""] --> b\n', "expected ']'", id="quote-in-label"),
    pytest.param("flowchart TB\n  a[unquoted (paren)] --> b\n", "unquoted label holds", id="paren-in-label"),
    pytest.param("flowchart TB\n  a[never closed --> b\n", "is not closed with ']'", id="unclosed-bracket"),
    pytest.param("flowchart TB\n  subgraph s\n  a --> b\n", "never closed with end", id="unclosed-subgraph"),
    pytest.param("flowchart TB\n  a --> b\n  end\n", "without an open subgraph", id="stray-end"),
    pytest.param("flowchart TB\n  end --> b\n", "'end' cannot be a node id", id="end-as-id"),
    pytest.param("flowchart TB\n  a --> b\n  linkStyle 1 stroke:#f00\n", "does not exist", id="linkstyle-range"),
    pytest.param("flowchart TB\n  a --> b\n  class a missing\n", "has no classDef", id="undefined-class"),
    pytest.param("flowchart TB\n  a -->|\"x\"| \n", "expected a node id", id="link-to-nothing"),
    pytest.param("flowchart TB\n  a ->> b\n", "expected a link", id="sequence-arrow"),
    pytest.param("flowchart TB\n  classDef x\n", "classDef needs", id="classdef-without-style"),
]


@pytest.mark.parametrize("text, problem", BROKEN_FLOWCHARTS)
def test_checker_rejects_broken_flowcharts(text, problem):
    problems = check_flowchart(text)
    assert problems and problem in problems[0], problems


def test_checker_accepts_the_common_flowchart_forms():
    text = """%% comment
flowchart LR
  a([start]) --> b[[sub]] -.-> c[(db)]
  c ==> d((circle)) --- e>flag] -- yes --> f{decide}
  f -->|no| g{{"hex #quot;q#quot;"}}:::warn
  subgraph s1["Group"]
    direction TB
    h
  end
  classDef warn fill:#fee,stroke:#c00
  class a,b warn
  style h fill:#eee
  linkStyle 0,5 stroke:#999
  linkStyle default stroke:#333
"""
    assert check_flowchart(text) == []


# ---------------------------------------------------------------- the CLI


class Format(enum.Enum):
    DOT = ("dot", b'digraph "guidegraph"')
    MERMAID = ("mermaid", b"%% guidegraph")
    HTML = ("html", b"<!DOCTYPE html>")
    SVG = ("svg", b"<?xml")
    PNG = ("png", b"\x89PNG")
    PDF = ("pdf", b"%PDF")


def cli_cases():
    """Every format for one pathway; all pathways for the formats that are quick to make (a PNG of
    both seed trees takes seconds to rasterise and tests nothing the SVG does not)."""
    for fmt in Format:
        yield pytest.param(fmt, "lupus-tacrolimus-rebound", id=f"one-{fmt.value[0]}")
        if fmt not in (Format.PNG, Format.PDF):
            yield pytest.param(fmt, None, id=f"all-{fmt.value[0]}")


@pytest.mark.parametrize("fmt, pathway", list(cli_cases()))
def test_cli_export_tree_writes_each_format(tmp_path, fmt, pathway, capsys):
    name, magic = fmt.value
    if name in ("svg", "png", "pdf") and shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed")
    out = tmp_path / f"tree.{name}"
    argv = ["export", "tree", "--format", name, "-o", str(out)] + (["--pathway", pathway] if pathway else [])
    assert cli.main(argv) == 0
    data = out.read_bytes()
    assert data.startswith(magic)
    if name == "dot":
        text = data.decode()
        assert ("cluster_autoimmune_tacrolimus_rebound" in text) == (pathway is None)
        assert "cluster_lupus_tacrolimus_rebound" in text


def test_cli_refuses_an_existing_file_unless_forced(tmp_path, capsys):
    out = tmp_path / "tree.mmd"
    out.write_text("keep me")
    assert cli.main(["export", "tree", "--format", "mermaid", "-o", str(out)]) == 2
    assert out.read_text() == "keep me"
    assert "exists already; pass --force" in capsys.readouterr().err
    assert cli.main(["export", "tree", "--format", "mermaid", "-o", str(out), "--force"]) == 0
    assert check_flowchart(out.read_text()) == []


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--format", "svg"], "--format svg (a Graphviz drawing) is written to a file only, not to standard output: name it with -o FILE"),
        (["--format", "png", "-o", "-"], "--format png (a Graphviz drawing) is written to a file only, not to standard output"),
        (["--format", "dot", "-o", "/no/such/folder/t.dot"], "folder '/no/such/folder' does not exist"),
        (["--format", "dot", "--pathway", "nope"], "no pathway 'nope'"),
        (["--format", "dot", "--patient", "/no/such/patient.json"], "no such file"),
        (["--format", "gif", "-o", "t.gif"], "invalid choice: 'gif'"),
    ],
    ids=["svg-to-stdout", "png-to-stdout", "missing-folder", "unknown-pathway", "missing-patient", "unknown-format"],
)
def test_cli_bad_input_exits_2_with_one_line(argv, message, capsys):
    assert cli.main(["export", "tree"] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_dot_text_is_accepted_by_the_dot_program_from_the_cli(tmp_path, capsys):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed")
    assert cli.main(["export", "tree", "--format", "dot"]) == 0
    text = capsys.readouterr().out
    done = subprocess.run(["dot", "-Tsvg"], input=text.encode(), capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith(b"<?xml"), done.stderr


# ---------------------------------------------------------------- a library of many pathways


@pytest.fixture
def many_kb(many_pathways):
    """The many-pathway library, loaded afresh: nothing read or built yet."""
    return KnowledgeBase.load(many_pathways, validate=False)


def test_the_knowledge_base_trees_are_the_graph_trees(kb, many_kb):
    for base in (kb, many_kb):
        assert library_trees(base) == pathway_trees(base.graph)
        for name in pathway_ids(base.graph, catalogue_of(base).iris()).values():
            assert library_trees(base, pathway=name) == pathway_trees(base.graph, pathway=name)
    facts = {"condition": "lupus_nephritis", "flare": True, "tacrolimus_stopped": "abruptly"}
    path = patient_path(kb, facts)
    assert library_trees(kb, path=path) == pathway_trees(kb.graph, path=path)
    assert any(n.state == "path" for t in library_trees(kb, path=path) for n in t.nodes)


def test_one_tree_of_a_large_library_reads_that_pathway_alone(many_kb, monkeypatch):
    read = []
    layer = Catalogue.layer
    monkeypatch.setattr(Catalogue, "layer", lambda self, iris: read.append(list(iris)) or layer(self, iris))
    names = pathway_ids(many_kb.graph, catalogue_of(many_kb).iris())
    iri, name = list(names.items())[7]
    tree, = library_trees(many_kb, pathway=name)
    assert read == [[iri]] and tree.iri == iri and tree.id == name
    # Its statements, sources and questions are those of that pathway's guideline only.
    assert {s.guideline for n in tree.nodes for s in n.statements} == {name}
    assert [doc_id for doc_id, _ in tree.sources] == [name] and tree.sources[0][1]


def test_an_unknown_pathway_in_a_large_library_names_a_few_and_counts_the_rest(many_kb):
    with pytest.raises(InputError) as error:
        library_trees(many_kb, pathway="nope")
    message = str(error.value)
    assert message.startswith("no pathway 'nope'; the library has: ")
    assert message.endswith(f" and {MANY_PATHWAYS - FEW_IDS} more") and message.count(", ") == FEW_IDS - 1


def test_a_patient_path_walks_only_the_pathways_that_can_apply(many_kb, many_pathways, monkeypatch):
    import graph.pathway as pathway_module
    from graph.bench import bench_patients
    from graph.synthetic import read_library_info

    walked = []
    traverse = pathway_module.traverse
    monkeypatch.setattr(pathway_module, "traverse", lambda p, *a, **k: walked.append(p.iri) or traverse(p, *a, **k))
    facts = bench_patients(read_library_info(many_pathways).families, 1)[0]
    path = patient_path(many_kb, facts)
    assert path.nodes and path.branches
    assert 0 < len(set(walked)) < MANY_PATHWAYS
