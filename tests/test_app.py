"""The Streamlit app, page by page, through Streamlit's AppTest (no browser): what each page shows.

Each page is run on its own (``AppTest.from_function``) and ``app.py`` once as a whole. The
knowledge base is cached per process (``st.cache_resource``), so it is loaded once for all tests.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from graph.cli import main
from graph.kb import KnowledgeBase
from graph.views import CARDS_AT_MOST, PATHWAYS_SHOWN
from tests.conftest import MANY_PATHWAYS
from tests.helpers import (
    APP_PAGES,
    APP_TIMEOUT,
    conflicts_page,
    explorer_page,
    export_page,
    pathway_page,
    reader_page,
    run_page,
    sparql_page,
)

APP = Path(__file__).resolve().parent.parent / "app.py"
XSS = "<img src=x onerror=alert(1)>"
SEVERE_FLARE = {
    "condition": "lupus_nephritis", "tacrolimus_stopped": "abruptly", "flare": "true",
    "severity": "severe", "weight_kg": "70", "first_line_response": "not_started",
}


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def everything(at: AppTest) -> str:
    """All text the page shows in Markdown, captions, alerts and headings."""
    parts = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success", "title", "header",
                                   "subheader") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def hostile_library(tmp_path, monkeypatch):
    """The seed library plus a document whose title, heading and statement hold an HTML tag."""
    for path in (Path(__file__).resolve().parent.parent / "guidelines").iterdir():
        if path.suffix in (".txt", ".ttl"):
            shutil.copy(path, tmp_path)
    (tmp_path / "hostile-labels.txt").write_text(
        f"Hostile {XSS} labels\nTreatment {XSS} options\n- Consider {XSS} prednisone 10 mg daily for a flare 1\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GUIDEGRAPH_LIBRARY", str(tmp_path))
    return tmp_path


# ---------------------------------------------------------------- the app as a whole


def test_the_app_opens_on_the_patient_pathway_with_the_safety_header():
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    at.query_params.update(SEVERE_FLARE)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Patient pathway"
    assert "options from the listed sources, for a clinician to check** — not orders" in at.info[0].value


@pytest.mark.parametrize("page", APP_PAGES, ids=lambda p: p.__name__)
def test_every_page_says_what_the_tool_is(page):
    at = run_page(page)
    assert "not orders" in at.info[0].value


# ---------------------------------------------------------------- patient pathway


def test_a_deep_link_restores_the_patient_and_shows_rituximab_and_the_prednisone_dose():
    at = run_page(pathway_page, **SEVERE_FLARE)
    assert at.selectbox(key="fact_severity").value == "severe"
    assert at.number_input(key="fact_weight_kg").value == 70
    assert at.radio(key="fact_flare").value is True
    text = markdown(at)
    assert "Rituximab (B-cell depleting therapy)" in text
    assert "prednisone: source 0.5–1 mg/kg/d → **35–70 mg/d for this patient** (70 kg)" in text
    assert [s.value for s in at.main.subheader] == ["First line", "Second line", "Not tied to a line of therapy"]
    assert "Source: lupus-tacrolimus-rebound · Second-Line Approach: Add Biologic Therapy · line 24" in everything(at)


def test_changing_one_fact_updates_the_doses_and_the_address():
    at = run_page(pathway_page, **SEVERE_FLARE)
    at.number_input(key="fact_weight_kg").set_value(80.0).run()
    assert "→ **40–80 mg/d for this patient** (80 kg)" in markdown(at)
    assert at.query_params["weight_kg"] == "80"
    at.selectbox(key="fact_first_line_response").set_value("inadequate").run()
    assert "for this patient" not in markdown(at)  # the first-line node with prednisone is left
    assert at.query_params["first_line_response"] == "inadequate"


def test_the_form_shows_the_given_facts_and_the_open_questions_first():
    at = run_page(pathway_page, condition="lupus_nephritis")
    sidebar = at.sidebar
    labels = [w.label for w in sidebar.selectbox] + [w.label for w in sidebar.radio]
    assert "Which condition has flared?" in labels
    asked = markdown(at)
    assert "Open questions, most decisive first" in asked and "Was tacrolimus stopped" in asked
    more = sidebar.expander[0]
    assert more.label.startswith("More facts (") and "MELD" in " ".join(w.label for w in more.number_input)


@pytest.mark.parametrize(
    "params, words",
    [
        ({"weight_kg": "heavy"}, "patient fact 'weight_kg': expected a number in kg, got \"heavy\""),
        ({"weight_kg": "700"}, "700 is outside the allowed range 2 to 350 kg"),
        ({"severity": "extreme"}, "'extreme' is not one of mild, moderate, severe, organ_threatening"),
        ({"flare": "maybe"}, "patient fact 'flare': expected true or false"),
        ({"sevrity": "severe"}, "unknown patient fact 'sevrity': did you mean 'severity'?"),
    ],
    ids=["not-a-number", "out-of-range", "not-allowed", "not-boolean", "misspelt"],
)
def test_a_bad_value_in_the_address_is_one_clear_message(params, words):
    at = run_page(pathway_page, **{**SEVERE_FLARE, **params})
    errors = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]  # as shown: Markdown escapes undone
    assert len(errors) == 1 and words in errors[0] and "Traceback" not in errors[0]
    assert at.selectbox(key="fact_condition").value == "lupus_nephritis"  # the good facts are kept
    assert at.query_params.get("sevrity") is None


def test_conflicting_sources_are_flagged_next_to_the_statements_they_touch():
    at = run_page(pathway_page, **{**SEVERE_FLARE, "tacrolimus_side_effects": "tolerable"})
    flags = [e.value for e in at.error]
    assert any(f.startswith("**Sources disagree:** tacrolimus trough level") for f in flags)
    beside = [f for f in flags if f.startswith("**Sources disagree** (not resolved here")]
    assert beside and "4-6 ng/mL (lupus-tacrolimus-rebound line 33)" in beside[0]


def test_options_from_the_incomplete_lupus_document_carry_a_warning():
    lupus = run_page(pathway_page, **SEVERE_FLARE)
    notes = [w.value for w in lupus.warning if w.value.startswith("**Incomplete source:**")]
    assert len(notes) == 1 and "'Consider repeat biopsy if:' (line 60)" in notes[0]
    liver = run_page(pathway_page, condition="autoimmune_hepatitis", tacrolimus_stopped="abruptly", flare="true")
    assert not [w for w in liver.warning if "Incomplete source" in w.value]


def test_a_patient_no_pathway_applies_to_is_told_which_fact_ruled_them_out():
    at = run_page(pathway_page, condition="lupus_nephritis", tacrolimus_stopped="not_stopped", flare="true")
    notes = [i.value for i in at.info if i.value.startswith("No pathway applies")]
    assert len(notes) == 1 and "tacrolimus stopped is not stopped (needs abruptly or tapered)" in notes[0]
    assert not [i for i in run_page(pathway_page, **SEVERE_FLARE).info if i.value.startswith("No pathway applies")]
    # With no question open, the empty Options tab does not send the user to answer questions.
    infos = [i.value for i in at.info]
    assert "No options: no pathway applies to these facts (see above)." in infos
    assert not any("answer the open questions" in i for i in infos)
    asking = run_page(pathway_page, condition="lupus_nephritis", flare="true")
    assert "No options yet: answer the open questions." in [i.value for i in asking.info]


def test_pitfalls_are_warnings_and_the_schedule_is_a_timeline():
    at = run_page(pathway_page, **SEVERE_FLARE)
    assert any("Delaying treatment in a lupus flare" in w.value for w in at.warning)
    chart = at.get("vega_lite_chart")[0].proto
    assert "weeks after restarting therapy" in chart.spec
    assert "1. **3–4 wk**: Improvement should be evident within 3-4 weeks" in markdown(at)


def test_the_decision_tree_highlights_the_patients_path():
    at = run_page(pathway_page, **SEVERE_FLARE)
    charts = [c.proto.spec for c in at.get("graphviz_chart")]
    assert len(charts) == 2  # the two pathways this patient enters
    lupus = next(c for c in charts if "Rebound lupus" in c)
    biologics = next(line for line in lupus.splitlines() if "Second line: adding a biologic" in line and "label=<" in line)
    assert "penwidth=2.5" in biologics


def timed_pathway_page():
    import time

    import streamlit as st

    from graph.ui import pathway_page

    start = time.perf_counter()
    pathway_page.render()
    st.session_state["render_seconds"] = time.perf_counter() - start


def test_the_first_render_and_a_fact_change_are_fast():
    """Server time of the page script: the first render loads the knowledge base (under 3 s), one
    fact change re-renders in under 300 ms. Measured on the seeds: about 1.4 s and 100 ms."""
    from graph.ui.common import knowledge_base

    knowledge_base.clear()  # the first render of a fresh process loads the library
    at = AppTest.from_function(timed_pathway_page, default_timeout=APP_TIMEOUT)
    at.query_params.update(SEVERE_FLARE)
    at.run()
    first = at.session_state["render_seconds"]
    changes = []
    for weight in (71.0, 72.0, 73.0):
        at.number_input(key="fact_weight_kg").set_value(weight).run()
        changes.append(at.session_state["render_seconds"])
    assert "→ **36.5–73 mg/d for this patient** (73 kg)" in markdown(at)
    print(f"first render {first * 1000:.0f} ms; one fact change {sorted(changes)[1] * 1000:.0f} ms (median of 3)")
    assert first < 3.0 and sorted(changes)[1] < 0.3


# ---------------------------------------------------------------- guideline reader


def test_the_reader_shows_all_43_statements_of_the_lupus_seed_and_marks_it_incomplete():
    at = run_page(reader_page, guideline="lupus-tacrolimus-rebound")
    body = at.get("html")[0].proto.body
    assert len(re.findall(r'class="gg-line gg-statement"', body)) == 43
    assert "43 of 43 statements shown" in at.caption[0].value
    assert "Incomplete document" in at.warning[0].value and "Consider repeat biopsy if:" in at.warning[0].value


def test_reader_filters_narrow_the_statements():
    at = run_page(reader_page, guideline="lupus-tacrolimus-rebound")
    at.multiselect[1].select("rituximab").run()  # drug
    body = at.get("html")[0].proto.body
    shown = len(re.findall(r'class="gg-line gg-statement"', body))
    assert 0 < shown < 43 and "Rituximab (B-cell depleting therapy)" in body
    assert f"{shown} of 43 statements shown" in at.caption[0].value


def test_the_reader_shows_a_label_with_markup_as_text(hostile_library):
    at = run_page(reader_page, guideline="hostile-labels")
    body = at.get("html")[0].proto.body
    assert XSS not in body and body.count("&lt;img src=x onerror=alert(1)&gt;") == 3


# ---------------------------------------------------------------- graph explorer


def test_the_explorer_draws_the_chosen_nodes_neighbourhood():
    at = run_page(explorer_page, node="https://w3id.org/guidegraph/kb/drug/rituximab")
    assert at.selectbox[0].value[:2] == ("drug", "rituximab")
    page = at.get("iframe")[0].proto.srcdoc
    assert "vis.Network" in page and '"id": "https://w3id.org/guidegraph/kb/drug/rituximab"' in page
    assert "drug class" in page  # the legend names the types present
    assert at.query_params["node"] == "https://w3id.org/guidegraph/kb/drug/rituximab"


def test_the_explorer_caps_a_big_view_with_a_message(monkeypatch):
    # The seeds reach at most about 300 nodes at the deepest view; a lower cap shows the same path.
    monkeypatch.setattr("graph.ui.explorer_page.MAX_VIEW_NODES", 100)
    at = run_page(explorer_page, node="https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound")
    assert not at.warning
    at.slider[0].set_value(4).run()
    assert "This neighbourhood has 252 nodes; the view is capped at the 100 nearest" in at.warning[0].value
    assert "(capped: 252 nodes were in reach" in at.get("iframe")[0].proto.srcdoc


def test_the_explorer_refuses_an_unknown_node_with_a_message():
    at = run_page(explorer_page, node="https://example.org/nothing")
    assert "The graph has no node https://example.org/nothing" in at.error[0].value
    assert at.selectbox[0].value[1] == "tacrolimus"


def test_the_explorer_shows_a_label_with_markup_as_text(hostile_library):
    at = run_page(explorer_page, node="https://w3id.org/guidegraph/kb/hostile-labels")
    page = at.get("iframe")[0].proto.srcdoc
    assert XSS not in page and "\\u003cimg src=x onerror=alert(1)\\u003e" in page


# ---------------------------------------------------------------- SPARQL console


def test_a_saved_query_returns_rows_in_the_console():
    at = run_page(sparql_page, saved="pitfalls")
    assert at.text_area(key="sparql_text").value.startswith("# title: Pitfalls with their citations")
    at.button[0].click().run()
    assert at.success[0].value.startswith("13 rows in ")
    table = at.dataframe[0].value
    assert len(table) == 13 and "Delaying treatment in a lupus flare risks irreversible organ damage, particularly renal" in set(table["text"])
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download JSON"]


@pytest.mark.parametrize(
    "query, words",
    [
        ("SELECT ?x WHERE { ?x a }", "Not valid SPARQL: "),
        ("DELETE WHERE { ?s ?p ?o }", "Query refused: "),
        ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "Query refused: "),
    ],
    ids=["syntax", "update", "service"],
)
def test_the_console_explains_a_query_it_cannot_run(query, words):
    at = run_page(sparql_page)
    at.text_area(key="sparql_text").input(query)
    at.button[0].click().run()
    assert at.error[0].value.startswith(words) and not at.dataframe


def test_the_console_runs_a_query_with_the_time_limit_chosen(monkeypatch):
    from graph import console

    monkeypatch.setattr(console, "TIME_LIMITS_MS", (console.DEFAULT_TIMEOUT_MS, 400))
    at = run_page(sparql_page)
    assert at.selectbox(key="sparql_time_limit").value == console.DEFAULT_TIMEOUT_MS
    at.text_area(key="sparql_text").input("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    at.selectbox(key="sparql_time_limit").select(400)
    at.button[0].click().run()
    assert at.error[0].value.startswith("Query stopped: too slow")
    assert "time limit of 400 ms" in at.error[0].value


# ---------------------------------------------------------------- conflicts and consistency


def test_the_conflicts_page_shows_the_tacrolimus_trough_values_side_by_side():
    at = run_page(conflicts_page)
    assert at.subheader[0].value == "tacrolimus trough level: 6 values from 5 statements"
    values = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert values == ["#### 0.6–1 ng/mL", "#### 6 ng/mL", "#### 0.6–1 ng/mL for autoimmune", "#### 6–10 ng/mL for transplant",
                      "#### 4–6 ng/mL", "#### 3–6 ng/mL"]
    assert any("Line 33:" in m.value and "4-6 ng/ml (5-7.4 nmol/l)" in m.value for m in at.markdown)
    units = at.dataframe[0].value
    assert list(units["also stated as"]) == ["5–7.4 nmol/L"] and list(units["agree"]) == ["yes"]
    assert at.success[-1].value == "The library conforms: no findings."


def test_the_unit_check_is_made_once_per_load_not_on_every_interaction(monkeypatch):
    import graph.ui.common as common
    from graph.conflicts import unit_findings

    calls = []
    monkeypatch.setattr(common, "unit_findings", lambda graph: calls.append(graph) or unit_findings(graph))
    common.unit_checks.clear()
    for _ in range(2):
        at = run_page(conflicts_page)
        assert list(at.dataframe[0].value["agree"]) == ["yes"]
    assert len(calls) == 1


# ---------------------------------------------------------------- export


def test_the_export_page_offers_every_format_and_highlights_the_patient_from_the_session():
    at = AppTest.from_function(export_page, default_timeout=APP_TIMEOUT)
    at.session_state["patient_facts"] = {"condition": "lupus_nephritis", "flare": True}
    at.run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels[:3] == ["DOT (Graphviz source)", "Mermaid", "Interactive HTML"]
    assert {"Turtle", "JSON-LD", "FHIR R4 Bundle (PlanDefinition, ActivityDefinition)"} <= set(labels)
    assert at.toggle[0].value is True and "condition: lupus nephritis; flare since tacrolimus was stopped: yes" in at.caption[0].value
    assert "this patient" in at.get("iframe")[0].proto.srcdoc


# ---------------------------------------------------------------- a library of many pathways


@pytest.fixture
def many_library(many_pathways, monkeypatch):
    """The app opens the 25-pathway library (tests/conftest.py)."""
    monkeypatch.setenv("GUIDEGRAPH_LIBRARY", str(many_pathways))
    return many_pathways


def test_with_nothing_known_the_pathway_page_draws_a_few_trees_and_counts_the_rest(many_library):
    at = run_page(pathway_page)
    note = f"Showing the first {PATHWAYS_SHOWN} of {MANY_PATHWAYS} pathways that may apply"
    assert len(at.get("graphviz_chart")) == PATHWAYS_SHOWN
    assert any(i.value.startswith(note) for i in at.info)
    assert any(c.value.startswith(note) for c in at.caption)  # the path's steps, in their expander
    assert "Path through the decision trees (25 steps)" in [e.label for e in at.expander]
    # Each open question names a few of the nodes it decides and counts the rest.
    questions = next(m.value for m in at.markdown if m.value.startswith("1. "))
    assert re.search(r"— decides: ([^;]+; ){4}[^;]+ and \d+ more decision nodes", questions)


def test_the_conflicts_page_tabulates_a_conflict_of_many_values(many_library):
    at = run_page(conflicts_page)
    subheaders = [h.value for h in at.subheader]
    many = [h for h in subheaders if int(re.search(r": (\d+) values", h)[1]) > CARDS_AT_MOST]
    assert many and len(many) < len(subheaders)  # the few-valued ones are still cards
    tables = at.dataframe
    # Each many-valued conflict: its distinct values, then every value with its source line.
    counts = [int(re.search(r": (\d+) values", h)[1]) for h in many]
    every = [t.value for t in tables if "source line" in t.value.columns]
    assert sorted(len(t) for t in every) == sorted(counts)
    summaries = [t.value for t in tables if list(t.value.columns) == ["value", "for", "statements", "guidelines"]]
    assert len(summaries) == len(many)
    assert all(t["statements"].sum() == n for t, n in zip(summaries, [len(e) for e in every]))
    assert all(row.strip() for t in every for row in t["source line"])


def test_the_export_page_previews_one_pathway_of_a_large_library(many_library):
    at = run_page(export_page)
    assert at.selectbox[0].value == at.selectbox[0].options[1]  # the first pathway, not all of them
    assert len(at.get("iframe")) == 1
    at.selectbox[0].select_index(0).run()  # "all pathways"
    assert not at.get("iframe") and f"The library has {MANY_PATHWAYS} pathways" in at.info[-1].value
    assert [b.label for b in at.get("download_button")][:3] == ["DOT (Graphviz source)", "Mermaid", "Interactive HTML"]


def test_the_app_says_in_its_terminal_when_it_built_the_store_it_was_given(tmp_path, monkeypatch, capsys):
    """GUIDEGRAPH_STORE with a mistyped path builds a store there; the app's terminal says so."""
    monkeypatch.setenv("GUIDEGRAPH_STORE", f"oxigraph:{tmp_path / 'typo.db'}")
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT).run()
    assert not at.exception
    assert f"{tmp_path / 'typo.db'} held no build; built it from" in capsys.readouterr().err


def test_a_store_built_without_validation_is_validated_once_by_the_conflicts_page(tmp_path, monkeypatch):
    """The report the page makes is saved into the store: the next start of the app (or a command)
    does not validate the library again (about a minute at 1,000 guidelines)."""
    store = f"oxigraph:{tmp_path / 'kb.db'}"
    assert main(["--store", store, "load", "--no-validate"]) == 0
    assert KnowledgeBase.load(store=store, validate=False).report is None
    monkeypatch.setenv("GUIDEGRAPH_STORE", store)
    at = run_page(conflicts_page)
    assert at.success[-1].value == "The library conforms: no findings."
    assert KnowledgeBase.load(store=store, validate=False).report.conforms


def test_the_console_names_every_prefix_it_declares():
    """Before: the caption was a copy that named 7 of the 12 prefixes (no prov:, rdf:, owl:, xsd:, sh:)."""
    from graph import console
    from graph.vocab import PREFIXES

    at = run_page(sparql_page)
    caption = at.caption[0].value
    assert caption == console.intro()
    assert all(f"{prefix}:" in caption for prefix in PREFIXES) and "need no PREFIX line" in caption


def test_the_console_says_an_unknown_function_once():
    at = run_page(sparql_page)
    at.text_area(key="sparql_text").input("SELECT ?x WHERE { BIND(<http://example.org/f>(1) AS ?x) }")
    at.button[0].click().run()
    message = at.error[0].value
    assert message.startswith("Unknown function: the function \\<http://example.org/f\\> is not supported here")
    assert "failed" not in message.lower()


def test_the_patient_page_names_the_given_facts_no_pathway_asks_about():
    at = run_page(pathway_page, **SEVERE_FLARE, meld="18")
    assert any(c.value.startswith("Not used by the pathways that apply") and "MELD score" in c.value for c in at.caption)
