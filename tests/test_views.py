"""What the pages show: source text kept literal, doses for the patient, groups, form order, sides."""

from __future__ import annotations

import re

import pytest

from graph.patient import FactSpec
from graph.reader import ReaderLine, filter_lines, reader_lines
from graph.recommend import guideline_rows, patient_form_of, statements_of
from graph.views import (
    conflict_sides,
    decision_tree_dot,
    fact_question,
    form_layout,
    item_caption,
    item_markdown,
    library_rows,
    md_escape,
    option_groups,
    reader_facets,
    reader_html,
)

XSS = "<img src=x onerror=alert(1)>"
SEVERE_FLARE = {"condition": "lupus_nephritis", "tacrolimus_stopped": "abruptly", "flare": True,
                "severity": "severe", "weight_kg": 70, "first_line_response": "not_started"}


@pytest.fixture(scope="module")
def severe_flare(kb):
    return kb.recommend(SEVERE_FLARE).to_dict()


# ---------------------------------------------------------------- reader


def test_the_reader_marks_all_43_lupus_statements_and_links_each_to_its_node(kb):
    doc = kb.documents["lupus-tacrolimus-rebound"]
    page = reader_html(reader_lines(doc, kb.library.read_document(doc.id)))
    statements = re.findall(r'data-statement="([^"]+)"', page)
    assert len(statements) == 43 == len(set(statements))
    assert page.count('href="explorer?node=https%3A%2F%2Fw3id.org%2Fguidegraph%2Fkb%2Flupus-tacrolimus-rebound%2F') == 43


def test_the_reader_shows_markup_in_a_source_line_as_text():
    line = ReaderLine(3, f"- Consider {XSS} 10 mg 1", "statement", statement="https://w3id.org/guidegraph/kb/h/s/1",
                      kind="recommendation", citations=(1,))
    page = reader_html([ReaderLine(1, f"Title {XSS}", "title"), ReaderLine(2, f"Heading {XSS}", "heading"), line])
    assert XSS not in page and "<img" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 3


def test_reader_filters_offer_what_the_document_holds(kb):
    doc = kb.documents["lupus-tacrolimus-rebound"]
    lines = reader_lines(doc, kb.library.read_document(doc.id))
    facets = reader_facets(lines)
    assert "rituximab" in facets["drugs"] and facets["lines_of_therapy"][0] == "first-line"
    assert facets["kinds"][0] == "recommendation"
    shown = filter_lines(lines, drugs={"rituximab"})
    assert any("Rituximab (B-cell depleting therapy)" in line.text for line in shown if line.role == "statement")


def test_the_library_table_marks_the_incomplete_lupus_document(kb):
    rows = {row["id"]: row for row in library_rows(guideline_rows(kb.graph))}
    assert rows["lupus-tacrolimus-rebound"]["statements"] == 43
    assert rows["lupus-tacrolimus-rebound"]["complete"].startswith("no: ends on the lead-in 'Consider repeat biopsy if:'")
    assert rows["autoimmune-tacrolimus-rebound"]["complete"] == "yes"


# ---------------------------------------------------------------- patient


def test_markdown_cannot_turn_source_text_into_markup():
    shown = md_escape(f"- *bold* [link](http://x) {XSS} $x$ `code`")
    for raw in (r"\*bold", r"\[link", r"<img", r"\$x", r"`code"):
        assert not re.search(r"(?<!\\)" + raw, shown), raw  # every markup character is backslash-escaped
    assert shown.startswith("\\-")


def test_the_prednisone_item_shows_the_source_dose_and_the_dose_for_70_kg(severe_flare):
    prednisone = next(i for i in severe_flare["recommendations"] if "prednisone" in i["drugs"])
    text = item_markdown(prednisone, weight_kg=70)
    assert "source 0.5–1 mg/kg/d → **35–70 mg/d for this patient** (70 kg)" in text
    assert text.startswith(f"**Line {prednisone['line']}:** “Can be combined with prednisone")
    assert "Source: lupus-tacrolimus-rebound · First-Line Approach" in item_caption(prednisone)


def test_without_a_weight_the_item_says_the_weight_is_needed(kb):
    result = kb.recommend({**SEVERE_FLARE, "weight_kg": None}).to_dict()
    prednisone = next(i for i in result["recommendations"] if "prednisone" in i["drugs"])
    assert "weight needed for this patient's dose" in item_markdown(prednisone)


def test_a_target_is_shown_in_both_units(kb):
    result = kb.recommend({**SEVERE_FLARE, "tacrolimus_side_effects": "tolerable"}).to_dict()
    items = [i for name in ("recommendations", "monitoring") for i in result[name] if i["targets"]]
    texts = [item_markdown(i) for i in items]
    assert any("4–6 ng/mL = 4.98–7.46 nmol/L" in t for t in texts)


def test_options_are_grouped_by_line_of_therapy_then_source(severe_flare):
    groups = option_groups(severe_flare["recommendations"])
    assert [g["title"] for g in groups] == ["First line", "Second line", "Not tied to a line of therapy"]
    second = groups[1]["sources"][0]
    assert second["guideline"] == "lupus-tacrolimus-rebound"
    assert any("rituximab" in item["drugs"] for item in second["items"])


def test_the_form_asks_given_facts_and_open_questions_first(kb, severe_flare):
    form = patient_form_of(kb)
    first, rest = form_layout(form, SEVERE_FLARE, severe_flare["questions"])
    keys = [spec.key for spec in first]
    assert keys[:6] == ["condition", "tacrolimus_stopped", "flare", "severity", "weight_kg", "first_line_response"]
    assert keys[6:] == [q["key"] for q in severe_flare["questions"]]
    assert {spec.key for spec in rest} == set(form.keys()) - set(keys)
    empty_first, _ = form_layout(form, {}, kb.recommend({}).to_dict()["questions"])
    assert empty_first[0].key == "condition"


def test_a_unit_code_is_said_in_words_on_the_form():
    spec = FactSpec("relapse_years", "years", "How long since the last relapse?", "number", unit="a")
    assert fact_question(spec) == "How long since the last relapse? (years)"


def test_the_decision_tree_highlights_this_patients_path(kb):
    from graph.export.tree import pathway_trees, patient_path

    trees = pathway_trees(kb.graph, pathway="lupus-tacrolimus-rebound")
    text = decision_tree_dot(trees, patient_path(kb, SEVERE_FLARE))
    biologics = next(line for line in text.splitlines() if "Second line: adding a biologic" in line and "label=<" in line)
    adherence = next(line for line in text.splitlines() if "Alternative when adherence" in line and "label=<" in line)
    assert "penwidth=2.5" in biologics and "penwidth=1.2" in adherence
    assert "rankdir=LR;" in text


# ---------------------------------------------------------------- conflicts


def test_conflict_sides_put_each_trough_value_beside_its_source_line(kb):
    conflict = next(c for c in kb.conflicts if c.topic == "tacrolimus trough level").to_dict()
    sides = conflict_sides(conflict, statements_of(kb), {d: doc.title for d, doc in kb.documents.items()})
    assert {s["value"] for s in sides} >= {"0.6–1 ng/mL", "6 ng/mL", "6–10 ng/mL", "4–6 ng/mL", "3–6 ng/mL"}
    lupus = next(s for s in sides if s["value"] == "4–6 ng/mL")
    assert lupus["line"] == 33 and "4-6 ng/ml (5-7.4 nmol/l)" in lupus["source_text"]
    assert lupus["title"] == "Management of Rebound Lupus Symptoms After Tacrolimus Discontinuation"


def test_the_conflicts_page_reads_only_what_its_sides_show_and_gets_the_same_sides(monkeypatch, many_pathways):
    from graph import KnowledgeBase, recommend

    kb = KnowledgeBase.load(many_pathways, validate=False)
    monkeypatch.setattr(recommend, "STATEMENTS_PER_QUERY", 7)  # many batches, the last one short
    titles = {d: doc.title for d, doc in kb.documents.items()}
    assert sum(len(c.statements) for c in kb.conflicts) > 50
    for conflict in kb.conflicts:
        data = conflict.to_dict()
        iris = [value["statement"] for value in data["values"]]
        texts = recommend.statement_texts(kb, [*iris, f"{iris[0]}-not-a-statement"])
        assert set(texts) == set(iris)
        assert conflict_sides(data, texts, titles) == conflict_sides(data, statements_of(kb), titles)
        assert all(side["text"] and side["section"] for side in conflict_sides(data, texts, titles))


def test_the_graphs_guidelines_are_the_parsed_documents(kb, many_pathways):
    from graph import KnowledgeBase

    for base in (kb, KnowledgeBase.load(many_pathways, validate=False)):
        parsed = [{"id": d.id, "title": d.title, "statements": len(d.statements), "complete": d.complete,
                   "incomplete_reason": d.incomplete_reason} for d in base.documents.values()]
        assert guideline_rows(base.graph) == sorted(parsed, key=lambda row: row["id"])


def test_a_dose_frequency_is_shown_in_words_not_as_a_ucum_rate():
    from graph.views import dose_text

    taper = {"drug": "prednisone", "low": 10, "high": 10, "unit": "mg", "taper_step": True, "frequency": "1/mo"}
    assert dose_text(taper) == "prednisone: source taper step 10 mg once monthly"
    twice = {"drug": "x", "low": 10, "high": 10, "unit": "mg/kg", "frequency": "2/d",
             "for_patient": {"low": 700, "high": 700, "unit": "mg", "frequency": "2/d"}}
    assert dose_text(twice, weight_kg=70) == "x: source 10 mg/kg twice daily → **700 mg twice daily for this patient** (70 kg)"
