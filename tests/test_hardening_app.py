"""Markup in labels and texts: every page of the app and every HTML-bearing export shows it as text.

A library whose document, terminology and pathway hold ``<img src=x onerror=alert(1)>`` and
``<script>alert(1)</script>`` in the title, headings, statements, a drug's label and synonyms, node
and fact labels, and a fact's question; and page addresses and queries that carry them too.

Every element each page sends to the browser is read from Streamlit's AppTest tree (the protobuf
messages the browser receives). In the fields a browser interprets as markup (Markdown bodies and
widget labels and help, ``st.html`` bodies, iframe documents, Graphviz DOT) the raw tags must not
appear; they must appear escaped (so the test cannot pass by showing nothing); and no element may
switch on raw HTML (``allow_html``, which ``unsafe_allow_html=True`` sets). Plain-text fields
(select options, text inputs, table cells) are drawn as text by the browser and are not checked.
The audit of graph/ui for HTML paths, done once by hand, is kept honest by
``test_no_page_switches_on_raw_html``.
"""

from __future__ import annotations

import re
import shutil

import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from graph.library import DEFAULT_LIBRARY, PROJECT_ROOT
from tests.helpers import conflicts_page, explorer_page, export_page, pathway_page, reader_page, run_page, sparql_page

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
#: In HTML (an iframe's page, st.html, DOT's HTML-like labels) the hostile tags themselves; the
#: page's own <script> elements are fine. In Markdown, any "<img" or "<script" not escaped.
RAW = ("<img src=x", "<script>alert", "alert(1)</script>")
MARKDOWN_TAG = re.compile(r"(?<!\\)<\s*/?\s*(?:img|script)\b", re.IGNORECASE)
ESCAPED = ("\\<img", "\\<script\\>", "&lt;img", "&lt;script&gt;", "\\u003cimg", "\\u003cscript", "#lt;img", "#lt;script")
#: Fields the browser reads as markup (Markdown or HTML or DOT labels).
MARKUP_FIELDS = {"body", "label", "help", "srcdoc", "spec", "caption", "placeholder"}
DOC = "hostile-labels"
PATHWAY_IRI = f"https://w3id.org/guidegraph/kb/{DOC}/pathway"
DRUG_IRI = "https://w3id.org/guidegraph/kb/drug/scriptamab"

DOCUMENT = f"""Hostile {IMG} guide {SCRIPT}
Treatment {IMG} options {SCRIPT}
- Give scriptamab 10 mg daily for a flare {SCRIPT} 1
- Give {IMG} prednisone 20 mg daily for a flare 2
- Give scriptamab 40 mg daily for a severe flare 2
- Target tacrolimus trough levels of 2-3 ng/mL {IMG} 1
Consider {IMG} repeat biopsy if {SCRIPT}:
"""

TERMINOLOGY = f"""
<{DRUG_IRI}> a gg:Drug ;
    rdfs:label "scriptamab {SCRIPT}" ;
    skos:altLabel "scriptamab", "{IMG} mab" .
"""


def _pathway(statements: list[str]) -> str:
    recommends = ", ".join(f"<{s}>" for s in statements)
    return f"""@prefix gg: <https://w3id.org/guidegraph/ontology#> .
@prefix kb: <https://w3id.org/guidegraph/kb/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix hp: <{PATHWAY_IRI}/> .
<{PATHWAY_IRI}> a gg:Pathway ; rdfs:label "Hostile {IMG} pathway {SCRIPT}" ;
    dcterms:identifier "{DOC}" ; gg:guideline kb:{DOC} ; gg:entry hp:start .
hp:start a gg:DecisionNode ; gg:pathway <{PATHWAY_IRI}> ; rdfs:label "Start {SCRIPT}" ;
    gg:question "Flared {IMG}?" ; gg:branch hp:start-treat .
hp:start-treat a gg:Branch ; rdfs:label "flared {SCRIPT}" ; gg:to hp:treat ;
    gg:when [ a gg:Criterion ; gg:fact kb:fact\\/hostile_flare ; gg:operator gg:isTrue ] .
hp:treat a gg:DecisionNode ; gg:pathway <{PATHWAY_IRI}> ; rdfs:label "Treat {IMG}" ; gg:recommends {recommends} .
kb:fact\\/hostile_flare a gg:PatientFact ; gg:key "hostile_flare" ; rdfs:label "flare {SCRIPT}" ;
    gg:question "Has it flared {IMG}?" ; gg:datatype "boolean" .
"""


@pytest.fixture(scope="module")
def hostile_library(tmp_path_factory):
    """The seed library plus a hostile document, drug and pathway; the app opens it."""
    from graph.ingest import parse
    from graph.kb import read_turtle
    from graph.rdfmodel import statement_iri
    from graph.terminology import Lexicon

    root = tmp_path_factory.mktemp("hostile-library")
    for path in DEFAULT_LIBRARY.iterdir():
        if path.suffix in (".txt", ".ttl"):
            shutil.copy(path, root)
    with (root / "terminology.ttl").open("a", encoding="utf-8") as terminology:
        terminology.write(TERMINOLOGY)
    (root / f"{DOC}.txt").write_text(DOCUMENT, encoding="utf-8")
    doc = parse(DOCUMENT, doc_id=DOC, lexicon=Lexicon.from_graph(read_turtle(root / "terminology.ttl")))
    statements = [str(statement_iri(DOC, s.section_slug, s.ordinal)) for s in doc.statements]
    (root / f"{DOC}.pathway.ttl").write_text(_pathway(statements), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GUIDEGRAPH_LIBRARY", str(root))
        yield root


def elements(at: AppTest):
    """(type, message as a dict) of every element on the page, sidebar and containers included."""
    stack = [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None:
            yield getattr(node, "type", type(node).__name__), MessageToDict(proto)
        stack.extend(getattr(node, "children", {}).values())


def strings(value, field=None):
    """(field name, string) pairs of a message dict, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, field)
    elif isinstance(value, str):
        yield field, value


def markup_of(at: AppTest) -> list[tuple[str, str, str]]:
    """(element type, field, text) of every field a browser reads as markup."""
    return [(kind, field, text) for kind, message in elements(at) for field, text in strings(message)
            if field in MARKUP_FIELDS]


DOT_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def leaks(kind: str, field: str, text: str) -> bool:
    if field == "spec" and text.lstrip().startswith(("digraph", "graph")):
        # DOT: a "quoted string" is text to Graphviz (it escapes it in the SVG); only an HTML-like
        # label <...> is markup, and in it every tag from a label must be escaped.
        text = DOT_STRING.sub('""', text)
    if kind == "html" or field in ("srcdoc", "spec"):
        return any(raw in text for raw in RAW)
    return bool(MARKDOWN_TAG.search(text))


def assert_shown_as_text(at: AppTest, *, at_least: int = 1) -> None:
    found = markup_of(at)
    leaks_found = [(kind, field, text[:200]) for kind, field, text in found if leaks(kind, field, text)]
    assert not leaks_found, leaks_found
    shown = sum(text.count(e) for _, _, text in found for e in ESCAPED)
    assert shown >= at_least, "the hostile labels must be shown (escaped), not dropped"
    assert not any(message.get("allowHtml") for _, message in elements(at))


# ---------------------------------------------------------------- each page


def test_patient_pathway_page_shows_markup_as_text(hostile_library):
    at = run_page(pathway_page, hostile_flare="true")
    assert_shown_as_text(at, at_least=6)  # statements, drug, fact label and question, node labels
    body = "\n".join(m.value for m in at.markdown)
    assert "scriptamab \\<script\\>alert(1)\\</script\\>" in body and "Line 3" in body
    dot = [m["spec"] for kind, m in elements(at) if "spec" in m and "digraph" in m["spec"]]
    assert dot and any("Treat &lt;img src=x onerror=alert(1)&gt;" in spec for spec in dot)


@pytest.mark.parametrize("params", [
    {"severity": SCRIPT},
    {"severity": "[open the results](https://evil.example/phish)"},
    {"weight_kg": f"70{IMG}"},
    {f"x{SCRIPT}": "1"},
], ids=["script-value", "markdown-link", "img-in-number", "script-key"])
def test_a_hostile_address_is_shown_as_text(hostile_library, params):
    at = run_page(pathway_page, **params)
    (error,) = at.error
    assert "left out" in error.value and not re.search(r"(?<!\\)[\[<]", error.value)  # no link, no tag
    assert_shown_as_text(at)


def test_guideline_reader_shows_markup_as_text(hostile_library):
    at = run_page(reader_page, guideline=DOC)
    assert_shown_as_text(at, at_least=5)  # title, heading, statements, incomplete lead-in
    assert "Incomplete document" in at.warning[0].value and "\\<img" in at.warning[0].value


@pytest.mark.parametrize("node", [DRUG_IRI, f"https://w3id.org/guidegraph/kb/{DOC}", PATHWAY_IRI])
def test_graph_explorer_shows_markup_as_text(hostile_library, node):
    at = run_page(explorer_page, node=node)
    assert_shown_as_text(at)


def test_graph_explorer_shows_a_hostile_node_address_as_text(hostile_library):
    at = run_page(explorer_page, node=f"https://example.org/{SCRIPT}")
    assert "\\<script\\>" in at.error[0].value
    assert_shown_as_text(at)


def test_sparql_console_shows_markup_in_results_and_errors_as_text(hostile_library):
    at = run_page(sparql_page)
    at.text_area(key="sparql_text").set_value(f"SELECT ?label WHERE {{ <{DRUG_IRI}> rdfs:label ?label }}")
    at.button[0].click().run()
    assert list(at.dataframe[0].value["label"]) == [f"scriptamab {SCRIPT}"]  # a table cell: text
    at.text_area(key="sparql_text").set_value(f"SELECT {SCRIPT} WHERE {{ ?s ?p ?o }}")
    at.button[0].click().run()
    assert "Not valid SPARQL" in at.error[0].value and "found '\\<'" in at.error[0].value
    assert_shown_as_text(at, at_least=0)  # the labels are in a table, drawn as text


def test_conflicts_page_shows_markup_as_text(hostile_library):
    at = run_page(conflicts_page)
    assert_shown_as_text(at)
    quoted = [m.value for m in at.markdown if m.value.startswith("**Line 6:**")]  # the 2-3 ng/mL trough line
    assert quoted and all("\\<img src=x onerror=alert(1)\\>" in q for q in quoted)


def test_export_page_shows_markup_as_text(hostile_library):
    at = run_page(export_page)
    at.selectbox[0].set_value(DOC).run()
    assert_shown_as_text(at)


def test_no_page_switches_on_raw_html():
    """The audit of graph/ui: no unsafe_allow_html anywhere; the only HTML paths are st.html of the
    reader (escaped by views.reader_html) and st.iframe of generated pages (export/visnetwork.py,
    export/html.py), each tested above with hostile labels."""
    sources = {p.name: p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "graph" / "ui").glob("*.py")}
    sources["views.py"] = (PROJECT_ROOT / "graph" / "views.py").read_text(encoding="utf-8")
    sources["app.py"] = (PROJECT_ROOT / "app.py").read_text(encoding="utf-8")
    assert not [name for name, text in sources.items() if "unsafe_allow_html" in text]
    html_calls = sorted((name, call) for name, text in sources.items() for call in re.findall(r"st\.(html|iframe|components)\b", text))
    assert html_calls == [("explorer_page.py", "iframe"), ("export_page.py", "iframe"), ("reader_page.py", "html")]


# ---------------------------------------------------------------- HTML-bearing exports


@pytest.fixture(scope="module")
def hostile_kb(hostile_library):
    from graph import KnowledgeBase

    return KnowledgeBase.load(hostile_library, validate=False)


@pytest.mark.parametrize("fmt", ["html", "dot", "mermaid", "svg"])
def test_tree_exports_show_markup_as_text(hostile_kb, fmt):
    from graph.export.tree import export_tree

    if fmt == "svg" and shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed")
    drawn = export_tree(hostile_kb, fmt=fmt, pathway=DOC, facts={"hostile_flare": True})
    text = drawn.decode("utf-8") if isinstance(drawn, bytes) else drawn
    assert not leaks("file", "spec" if fmt == "dot" else "srcdoc", text)
    assert any(e in text for e in ESCAPED)


def test_explorer_page_export_shows_markup_as_text(hostile_kb):
    from graph.explore import neighbourhood
    from graph.export.visnetwork import neighbourhood_page

    page = neighbourhood_page(neighbourhood(hostile_kb.graph, DRUG_IRI, depth=2, max_nodes=500))
    assert not [raw for raw in RAW if raw in page] and "\\u003cscript" in page


def test_endpoint_results_page_shows_markup_as_text(hostile_kb):
    from fastapi.testclient import TestClient

    from graph.server import create_app

    query = f"SELECT ?label WHERE {{ <{DRUG_IRI}> ?p ?label }}"
    page = TestClient(create_app(hostile_kb)).get("/sparql", params={"query": query, "format": "html"}).text
    assert not [raw for raw in RAW if raw in page] and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
