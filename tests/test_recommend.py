"""recommend: the result a clinician gets for one patient, through the API and the CLI."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.cli import main
from graph.errors import InputError
from graph.recommend import SAFETY_LINE, pathways_of, patient_form_of
from graph.vocab import KB

LUPUS = str(KB["lupus-tacrolimus-rebound/pathway"])
AUTOIMMUNE = str(KB["autoimmune-tacrolimus-rebound/pathway"])
DESIGN_KEYS = {"patient", "path", "recommendations", "pitfalls", "monitoring", "assessments", "other", "questions", "conflicts"}
ITEM_KEYS = {"id", "kind", "text", "guideline", "section", "line", "citations", "line_of_therapy", "drugs", "doses", "targets", "why"}

LN_FLARE = {"condition": "lupus_nephritis", "tacrolimus_stopped": "abruptly", "flare": True}
AIH_FLARE = {"condition": "autoimmune_hepatitis", "tacrolimus_stopped": "abruptly", "flare": True}
SLE_FLARE = {"condition": "sle_extrarenal", "tacrolimus_stopped": "tapered", "flare": True}


def lines(items, guideline):
    return [i["line"] for i in items if i["guideline"] == guideline]


def item(result, guideline, line):
    (found,) = [i for i in result.items() if i["guideline"] == guideline and i["line"] == line]
    return found


# ---------------------------------------------------------------- the shape of the result


def test_result_has_the_design_shape_plus_its_extensions(kb):
    data = kb.recommend({**LN_FLARE, "severity": "severe", "weight_kg": 70, "first_line_response": "not_started"}).to_dict()
    assert set(data) == DESIGN_KEYS | {"schedule", "pathways", "incomplete", "ruled_out", "unused"}
    json.dumps(data, allow_nan=False)  # plain JSON, no Decimal, no NaN
    for name in ("recommendations", "pitfalls", "monitoring", "assessments", "other"):
        for entry in data[name]:
            assert ITEM_KEYS | {"why_not", "durations", "source_text"} <= set(entry)
            assert entry["line_of_therapy"] in (None, "first-line", "second-line", "third-line", "alternative")
            for dose in entry["doses"]:
                assert {"drug", "low", "high", "unit", "for_patient"} <= set(dose)
            for target in entry["targets"]:
                assert {"analyte", "low", "high", "unit", "equivalents"} <= set(target)
    assert {step["pathway"] for step in data["path"]} == {LUPUS, AUTOIMMUNE}
    assert all(set(step) == {"node", "label", "pathway"} for step in data["path"])


def test_statements_go_to_the_list_of_their_kind(kb):
    result = kb.recommend({**SLE_FLARE, "fatigue": True})
    assert {i["kind"] for i in result.recommendations} == {"recommendation"}
    assert {i["kind"] for i in result.pitfalls} == {"pitfall"}
    assert {i["kind"] for i in result.assessments} == {"assessment"}
    assert {i["kind"] for i in result.other} <= {"rationale", "evidence", "timeline"}
    assert lines(result.assessments, "lupus-tacrolimus-rebound") == [10, 11, 12, 13, 14, 36, 37, 38]


def test_items_carry_source_line_section_citations_and_source_text(kb):
    belimumab = item(kb.recommend({**SLE_FLARE, "severity": "severe"}), "lupus-tacrolimus-rebound", 26)
    assert belimumab["citations"] == [1, 3]
    assert belimumab["section"] == "Second-Line Approach: Add Biologic Therapy"
    assert belimumab["line_of_therapy"] == "second-line"
    assert belimumab["source_text"].startswith("- Belimumab added to standard therapy")
    assert belimumab["drugs"][0] == "belimumab"


def test_a_lupus_nephritis_patient_gets_both_sources_grouped_by_guideline_then_line(kb):
    result = kb.recommend(LN_FLARE)
    order = [(i["guideline"], i["line"]) for i in result.recommendations]
    assert order == sorted(order)
    assert lines(result.recommendations, "autoimmune-tacrolimus-rebound") == [18, 19]
    assert 2 in lines(result.recommendations, "lupus-tacrolimus-rebound")
    assert result.pathways == [AUTOIMMUNE, LUPUS]


def test_a_pathway_whose_entry_is_false_is_not_evaluated(kb):
    result = kb.recommend({"condition": "sle_extrarenal"})
    assert result.pathways == [LUPUS]
    assert {step["pathway"] for step in result.path} == {LUPUS}
    result = kb.recommend({"condition": "vasculitis", "flare": True})
    assert result.pathways == [AUTOIMMUNE]
    assert [q["key"] for q in result.questions] == ["tacrolimus_stopped"]


def test_a_statement_two_nodes_recommend_appears_once_with_both_reasons(kb):
    result = kb.recommend({**AIH_FLARE, "decompensated_cirrhosis": True, "meld": 18, "ascites": True})
    ascites = [i for i in result.items() if i["line"] == 54]
    assert len(ascites) == 1
    assert len(ascites[0]["nodes"]) == 2
    assert {"decompensated cirrhosis: yes", "MELD score is 18 (≥ 15)", "ascites: yes"} <= set(ascites[0]["why"])
    assert len({i["id"] for i in result.items()}) == len(result.items())


# ---------------------------------------------------------------- why and why not


def test_why_says_which_criteria_held(kb):
    result = kb.recommend({**SLE_FLARE, "severity": "severe", "first_line_response": "inadequate"})
    rituximab = item(result, "lupus-tacrolimus-rebound", 24)
    assert rituximab["why"][:3] == ["condition is sle extrarenal", "flare since tacrolimus was stopped: yes",
                                    "tacrolimus stopped is tapered"]
    assert {"first-line response is inadequate", "severity is severe"} <= set(rituximab["why"])


def test_why_not_says_what_failed_for_the_alternatives(kb):
    result = kb.recommend({**SLE_FLARE, "severity": "moderate", "first_line_response": "not_started",
                           "tacrolimus_side_effects": "intolerable"})
    mmf = item(result, "lupus-tacrolimus-rebound", 17)
    biologics = [r for r in mmf["why_not"] if r.startswith("Second line: adding a biologic")]
    assert biologics == ["Second line: adding a biologic (rituximab, belimumab, obinutuzumab): not applicable — "
                         "first-line response is not started (needs inadequate); "
                         "severity is moderate (needs severe or organ threatening)"]
    assert any(r.startswith("Third line: restarting tacrolimus") and "tacrolimus side effects is intolerable" in r
               for r in mmf["why_not"])
    assert any("not decided — not known: extreme fatigue" in r for r in mmf["why_not"])


# ---------------------------------------------------------------- questions


def test_questions_most_decisive_first_with_their_options(kb):
    questions = kb.recommend(LN_FLARE).questions
    assert [q["key"] for q in questions][:3] == ["first_line_response", "tacrolimus_side_effects", "severity"]
    first = questions[0]
    assert first["type"] == "choice" and first["options"] == ["not_started", "adequate", "inadequate"]
    assert first["question"].endswith("?")
    assert first["opens"] > questions[1]["opens"] >= questions[2]["opens"]


def test_number_questions_carry_their_range_and_unit(kb):
    questions = {q["key"]: q for q in kb.recommend({**AIH_FLARE, "decompensated_cirrhosis": True}).questions}
    assert (questions["meld"]["type"], questions["meld"]["min"], questions["meld"]["max"]) == ("integer", 6, 40)
    assert questions["years_on_treatment"]["unit"] == "a"


def test_the_text_report_says_a_number_questions_unit_in_words(kb):
    # The JSON keeps the UCUM code ("a", "mo"); the report a clinician reads says years and months.
    text = kb.recommend({**AIH_FLARE, "first_line_response": "inadequate"}).to_text()
    assert "(years_on_treatment: number from 0 to 80 years)" in text
    assert "(months_normal_labs: number from 0 to 600 months)" in text
    assert " 80 a)" not in text and " 600 mo)" not in text


def test_weight_is_asked_last_when_a_per_kg_dose_needs_it(kb):
    result = kb.recommend({**AIH_FLARE, "tacrolimus_side_effects": "intolerable"})
    assert result.questions[-1]["key"] == "weight_kg"
    assert "line 45" in result.questions[-1]["decides"][0]
    given = kb.recommend({**AIH_FLARE, "tacrolimus_side_effects": "intolerable", "weight_kg": 70})
    assert "weight_kg" not in [q["key"] for q in given.questions]


def test_a_fully_described_patient_has_no_open_question(kb):
    facts = {**LN_FLARE, "severity": "moderate", "first_line_response": "adequate", "tacrolimus_side_effects": "tolerable",
             "persistent_proteinuria": False, "adherence_concern": False, "fatigue": False,
             "on_hydroxychloroquine": True, "weight_kg": 64}
    assert kb.recommend(facts).questions == []


# ---------------------------------------------------------------- doses, targets, schedule, conflicts


def test_per_kg_doses_become_the_patients_dose_and_fixed_doses_stay_as_written(kb):
    result = kb.recommend({**SLE_FLARE, "first_line_response": "not_started", "weight_kg": 70})
    (prednisone,) = item(result, "lupus-tacrolimus-rebound", 19)["doses"]
    assert (prednisone["low"], prednisone["high"], prednisone["unit"]) == (0.5, 1, "mg/kg/d")
    assert prednisone["for_patient"] == {"low": 35, "high": 70, "unit": "mg/d"}
    (mmf,) = item(result, "lupus-tacrolimus-rebound", 17)["doses"]
    assert mmf["for_patient"] is None


def test_a_fixed_dose_and_a_per_kg_dose_of_the_same_drug_are_both_shown(kb):
    """Autoimmune line 9: tacrolimus 1-6 mg daily, typically starting at 0.075 mg/kg daily."""
    result = kb.recommend({"condition": "autoimmune_hepatitis", "tacrolimus_stopped": "abruptly", "flare": True,
                           "prior_tacrolimus_response": "good", "refractory": True, "severity": "moderate",
                           "weight_kg": 80})
    doses = item(result, "autoimmune-tacrolimus-rebound", 9)["doses"]
    shown = sorted((d["drug"], d["low"], d["high"], d["unit"], d["for_patient"] and d["for_patient"]["low"]) for d in doses)
    assert shown == [("tacrolimus", 0.075, 0.075, "mg/kg/d", 6), ("tacrolimus", 1, 6, "mg/d", None)]


def test_targets_show_their_equivalents_in_nmol_per_litre(kb):
    result = kb.recommend({**SLE_FLARE, "tacrolimus_side_effects": "tolerable"})
    (target,) = item(result, "lupus-tacrolimus-rebound", 33)["targets"]
    assert (target["low"], target["high"], target["unit"]) == (4, 6, "ng/mL")
    assert any(e["unit"] == "nmol/L" for e in target["equivalents"])


def test_the_schedule_lists_checkpoints_of_the_patients_statements(kb):
    schedule = kb.recommend(AIH_FLARE).schedule
    labs = str(KB["autoimmune-tacrolimus-rebound/laboratory-surveillance/1"])
    assert any(s["statement"] == labs and (s["from"], s["unit"]) == (2, "wk") for s in schedule)
    assert set(schedule[0]) >= {"from", "to", "unit", "what", "statement"}


def test_the_text_schedule_says_a_recurring_checkpoint_recurs(kb):
    # Line 16, "Monitor liver enzymes every 2 weeks initially": a check every 2 weeks, not once at week 2.
    text = kb.recommend({**AIH_FLARE, "first_line_response": "not_started"}).to_text()
    schedule = text.split("Schedule (from the restart of therapy)")[1].split("\n\n")[0]
    assert "  every 2 wk: Monitor liver enzymes every 2 weeks initially" in schedule
    assert "  2 wk: Measure disease-specific markers" in schedule  # line 22, "within 2 weeks": once


def test_conflicts_touching_the_result_are_shown_and_others_not(kb):
    result = kb.recommend({**SLE_FLARE, "tacrolimus_side_effects": "tolerable"})
    (conflict,) = result.conflicts
    assert str(KB["lupus-tacrolimus-rebound/third-line-consider-restarting-tacrolimus/5"]) in conflict["statements"]
    assert "tacrolimus" in conflict["reason"]
    assert kb.recommend({"condition": "other_autoimmune", "flare": True, "tacrolimus_stopped": "tapered"}).conflicts == []


def test_options_from_an_incomplete_document_say_so(kb):
    # the lupus seed ends on "Consider repeat biopsy if:" (line 60) with nothing under it
    result = kb.recommend(LN_FLARE)
    assert lines(result.recommendations, "lupus-tacrolimus-rebound")
    [source] = result.incomplete
    assert source["guideline"] == "lupus-tacrolimus-rebound" and source["title"].startswith("Management of Rebound Lupus")
    assert "'Consider repeat biopsy if:' (line 60)" in source["reason"]
    text = result.to_text()
    assert "Incomplete source: lupus-tacrolimus-rebound ends on the lead-in 'Consider repeat biopsy if:'" in text
    # only the autoimmune seed answers for autoimmune hepatitis, and it is complete
    only_autoimmune = kb.recommend(AIH_FLARE)
    assert {i["guideline"] for i in only_autoimmune.items()} == {"autoimmune-tacrolimus-rebound"}
    assert only_autoimmune.incomplete == [] and "Incomplete source" not in only_autoimmune.to_text()


def test_the_text_report_quotes_the_source_and_names_a_pitfalls_dose_as_the_one_it_warns_about(kb):
    facts = {**AIH_FLARE, "tacrolimus_stopped": "tapered", "severity": "mild", "first_line_response": "not_started"}
    text = kb.recommend(facts).to_text()
    # line 5's imperative is the source's, in quotes, with its line
    assert "- \u201cStart high-dose prednisone at 60 mg daily as monotherapy" in text
    assert "\n          - Start high-dose" not in text
    # pitfall line 39: "Starting with insufficient corticosteroid doses (less than 30 mg daily) ..."
    assert "dose in this pitfall: glucocorticoid < 30 mg/d (source: \u201cless than 30 mg daily\u201d)" in text
    assert "    dose: glucocorticoid" not in text
    assert "dose: prednisone 60 mg/d (source: \u201cprednisone at 60 mg daily\u201d)" in text


def test_the_text_report_prints_the_patients_dose_the_json_gives(kb):
    # 65.5 kg: prednisone 0.5-1 mg/kg/day (line 19) is 32.75-65.5 mg/d, hydroxychloroquine 5 mg/kg
    # (line 42) 327.5 mg/d; the report once printed 32.8 and 328.
    facts = {**SLE_FLARE, "weight_kg": 65.5, "first_line_response": "not_started", "on_hydroxychloroquine": False}
    result = kb.recommend(facts)
    mine = {(i["line"], d["drug"]): d["for_patient"] for i in result.items() for d in i["doses"] if d["for_patient"]}
    assert mine[(19, "prednisone")] == {"low": 32.75, "high": 65.5, "unit": "mg/d"}
    assert mine[(42, "hydroxychloroquine")] == {"low": 327.5, "high": 327.5, "unit": "mg/d"}
    text = result.to_text()
    assert "for this patient: 32.75-65.5 mg/d" in text and "for this patient: 327.5 mg/d" in text
    assert "32.8" not in text and "328" not in text


def test_a_pitfall_that_gives_the_dose_to_use_is_not_said_to_warn_about_it(kb):
    # Lupus line 52, a pitfall: "If restarting tacrolimus, use lower doses (2-3 mg/day) ...". The
    # report once labelled 2-3 mg/d "dose it warns about", the opposite of what the source says.
    facts = {**SLE_FLARE, "tacrolimus_side_effects": "tolerable"}
    text = kb.recommend(facts).to_text()
    assert "use lower doses (2-3 mg/day)" in text
    assert "dose in this pitfall: tacrolimus 2-3 mg/d (source: \u201c2-3 mg/day\u201d)" in text
    assert "warns about" not in text


def test_the_rdflib_store_gives_the_same_result(kb):
    from graph import KnowledgeBase

    facts = {**AIH_FLARE, "first_line_response": "inadequate", "cyp3a_inhibitor": True, "weight_kg": 70}
    baseline = KnowledgeBase.load(store="rdflib", validate=False)
    assert baseline.recommend(facts).to_dict() == kb.recommend(facts).to_dict()


# ---------------------------------------------------------------- input


def test_invalid_facts_are_refused_before_anything_is_computed(kb):
    with pytest.raises(InputError, match="'severity'"):
        kb.recommend({**LN_FLARE, "severity": "catastrophic"})


def test_null_is_unknown_like_an_absent_key(kb):
    assert kb.recommend({**LN_FLARE, "severity": None}).to_dict() == kb.recommend(LN_FLARE).to_dict()


# ---------------------------------------------------------------- property: facts only add


def _facts_on_the_way(kb) -> dict[str, set[str]]:
    """Statement IRI to every fact a criterion reads on any path from an entry to a node recommending it."""
    used: dict[str, set[str]] = {}
    for pathway in pathways_of(kb).values():
        for node in pathway.digraph:
            upstream = nx.ancestors(pathway.digraph, node) | {node}
            facts = {key for b in pathway.branches() if b.target in upstream for key in b.criterion.facts()}
            for statement in pathway.node(node).recommends:
                used.setdefault(statement, set()).update(facts)
    return used


def _fact_values(kb):
    values = {}
    for spec in patient_form_of(kb):
        if spec.type == "boolean":
            values[spec.key] = st.booleans()
        elif spec.type == "choice":
            values[spec.key] = st.sampled_from(spec.options)
        elif spec.type == "integer":
            values[spec.key] = st.integers(int(spec.min), int(spec.max))
        else:  # the bounds and values around the pathways' thresholds (4 years, 12 months)
            values[spec.key] = st.sampled_from(sorted({x for x in (spec.min, spec.max, 3.5, 4.0, 11.0, 12.0, 70.0)
                                                       if spec.min <= x <= spec.max}))
    return values


def test_adding_a_fact_never_removes_a_statement_whose_criteria_did_not_use_it(kb):
    used = _facts_on_the_way(kb)
    values = _fact_values(kb)
    # Patients mostly inside the pathways (a rebound flare), so the property is tested where it bites.
    patients = st.fixed_dictionaries(
        {"flare": st.just(True), "tacrolimus_stopped": st.sampled_from(["abruptly", "tapered"])},
        optional={k: v for k, v in values.items() if k not in ("flare", "tacrolimus_stopped")},
    )

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(patients, st.sampled_from(sorted(values)), st.data())
    def check(facts, key, data):
        if key in facts:
            return
        before = kb.recommend(facts).statement_ids()
        after = kb.recommend({**facts, key: data.draw(values[key])}).statement_ids()
        removed = before - after
        assert all(key in used[s] for s in removed), (key, sorted(removed))

    check()


# ---------------------------------------------------------------- the CLI


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_recommend_json_prints_the_result(capsys, tmp_path, kb):
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps({**AIH_FLARE, "weight_kg": 60}), encoding="utf-8")
    code, out, err = run(capsys, "recommend", str(patient), "--format", "json")
    assert code == 0 and err == ""
    assert json.loads(out) == kb.recommend({**AIH_FLARE, "weight_kg": 60}).to_dict()


def test_cli_recommend_text_is_a_readable_report(capsys, monkeypatch):
    facts = {**SLE_FLARE, "severity": "severe", "first_line_response": "not_started", "weight_kg": 70,
             "tacrolimus_side_effects": "tolerable"}
    code, out, _ = run(capsys, "recommend", "-", stdin=json.dumps(facts), monkeypatch=monkeypatch)
    assert code == 0
    assert out.startswith(SAFETY_LINE)
    for expected in ("Path", "from lupus-tacrolimus-rebound:", "first-line:", "second-line:", "[1, 3]",
                     "guideline line 26", "for this patient: 35-70 mg/d", "why: ", "Pitfalls", "Assessments",
                     "Conflicts between sources", "Questions still open", "target: tacrolimus trough level 4-6 ng/mL"):
        assert expected in out, expected


def test_cli_recommend_asks_for_what_it_still_needs(capsys, monkeypatch):
    code, out, _ = run(capsys, "recommend", "-", stdin='{"condition": "autoimmune_hepatitis"}', monkeypatch=monkeypatch)
    assert code == 0
    assert "1. Was tacrolimus stopped" in out and "2. Has the disease flared" in out
    # a choice is shown as the patient file takes it back: true / false, not yes / no
    assert "(flare: true / false)" in out and "(tacrolimus_stopped: abruptly / tapered" in out
    code, out, _ = run(capsys, "recommend", "-", stdin='{"condition": "autoimmune_hepatitis", "flare": true}', monkeypatch=monkeypatch)
    assert code == 0 and "Has the disease flared" not in out


# Every invalid input: exit 2, one line on stderr naming the problem or the key, nothing on stdout.
INVALID_INPUT = [
    ('{"weight_kg": "70"}', "'weight_kg'"),
    ('{"weight_kg": true}', "'weight_kg'"),
    ('{"weight_kg": 400}', "'weight_kg'"),
    ('{"weight_kg": NaN}', "'weight_kg'"),
    ('{"meld": Infinity}', "'meld'"),
    ('{"meld": 12.5}', "'meld'"),
    ('{"severity": "extreme"}', "'severity'"),
    ('{"flare": "yes"}', "'flare'"),
    ('{"sevrity": "mild"}', "did you mean 'severity'"),
    ('{"flare": true, "flare": false}', "'flare' is given twice"),
    ("not json", "not JSON"),
    ("[]", "not an array"),
    ("", "empty input"),
    ("[" * 3000 + "]" * 3000, "nested too deeply"),
]


@pytest.mark.parametrize("text, names", INVALID_INPUT, ids=[t[:24] for t, _ in INVALID_INPUT])
def test_cli_invalid_input_exits_2_with_one_line(capsys, monkeypatch, text, names):
    code, out, err = run(capsys, "recommend", "-", stdin=text, monkeypatch=monkeypatch)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and names in err and "Traceback" not in err


def test_cli_missing_patient_file_exits_2(capsys, tmp_path):
    code, out, err = run(capsys, "recommend", str(tmp_path / "nope.json"))
    assert code == 2 and "no such file" in err and out == ""


def test_cli_reads_a_patient_file_saved_with_a_byte_order_mark(capsys, tmp_path):
    # Windows Notepad saves UTF-8 with a byte order mark; the file was refused as "not JSON".
    plain, marked = tmp_path / "plain.json", tmp_path / "marked.json"
    facts = json.dumps({**LN_FLARE, "weight_kg": 70})
    plain.write_text(facts, encoding="utf-8")
    marked.write_bytes(b"\xef\xbb\xbf" + facts.encode("utf-8"))
    code, expected, _ = run(capsys, "recommend", str(plain), "--format", "json")
    assert code == 0
    code, out, err = run(capsys, "recommend", str(marked), "--format", "json")
    assert code == 0 and err == "" and out == expected


def test_an_empty_report_says_which_facts_ruled_the_pathways_out(kb):
    # Tacrolimus not stopped: neither rebound pathway applies; the report once said only "no pathway
    # applies to these facts", leaving the clinician to guess which fact did it.
    result = kb.recommend({"condition": "lupus_nephritis", "tacrolimus_stopped": "not_stopped", "flare": True})
    assert result.path == [] and result.items() == []
    gone = {r["pathway"]: r["reasons"] for r in result.to_dict()["ruled_out"]}
    assert gone == {LUPUS: ["tacrolimus stopped is not stopped (needs abruptly or tapered)"],
                    AUTOIMMUNE: ["tacrolimus stopped is not stopped (needs abruptly or tapered)"]}
    text = result.to_text()
    assert "  - lupus-tacrolimus-rebound: tacrolimus stopped is not stopped (needs abruptly or tapered)" in text
    # A patient a pathway applies to: the report stays as it was; the JSON still names the others.
    applies = kb.recommend({**AIH_FLARE, "flare": False})
    assert "  - autoimmune-tacrolimus-rebound: flare since tacrolimus was stopped: no" in applies.to_text()
    assert kb.recommend(LN_FLARE).to_dict()["ruled_out"] == []


def test_the_text_report_flags_a_disagreement_beside_the_statement_it_touches(kb):
    # Lupus line 33's trough (4-6 ng/ml) disagrees with line 52's (3-6) and the other guideline's;
    # the report listed that only at its end, far below the target a clinician reads.
    facts = {**SLE_FLARE, "tacrolimus_side_effects": "tolerable"}
    result = kb.recommend(facts)
    text = result.to_text()
    reason = result.conflicts[0]["reason"]
    item = text.split("\u201cTarget trough levels of 4-6 ng/ml")[1].split("\n    - ")[0]
    assert f"\u26a0 sources disagree (not resolved by this tool): {reason}" in item
    statements = set(result.conflicts[0]["statements"])
    flagged = text.count("\u26a0 sources disagree")
    assert flagged == len(statements & result.statement_ids())


def test_a_dose_frequency_reads_as_words_and_stays_beside_the_patients_dose(kb):
    # Autoimmune line 6, "reduce prednisone by 10 mg ... monthly": the report printed "× 1/mo".
    text = kb.recommend({**AIH_FLARE, "first_line_response": "not_started"}).to_text()
    assert "dose: prednisone reduce by 10 mg once monthly (source:" in text
    assert "1/mo" not in text
    # A per-kg dose given per administration: the patient's amount keeps its frequency, so
    # "10 mg/kg twice daily" at 70 kg is 700 mg two times a day, never read as 700 mg a day.
    from graph.recommend import _dose_text

    dose = {"drug": "x", "low": 10, "high": 10, "unit": "mg/kg", "frequency": "2/d",
            "for_patient": {"low": 700, "high": 700, "unit": "mg", "frequency": "2/d"}}
    assert _dose_text(dose).endswith("for this patient: 700 mg twice daily")


def test_given_facts_no_applicable_pathway_asks_about_are_named(kb):
    # A MELD score and a CYP3A inhibitor given for lupus nephritis shape nothing (only the
    # autoimmune hepatitis branches read them); the report showed them with the facts it used.
    result = kb.recommend({**LN_FLARE, "weight_kg": 70, "meld": 18, "cyp3a_inhibitor": True, "fatigue": True})
    assert result.to_dict()["unused"] == ["meld", "cyp3a_inhibitor"]
    assert "Not used by the pathways that apply (they do not ask about it): meld, cyp3a_inhibitor" in result.to_text()
    # Facts the pathways read, decided or still open below an open question, are used.
    aih = kb.recommend({**AIH_FLARE, "meld": 18, "cyp3a_inhibitor": True, "fatigue": True})
    assert aih.unused == ["fatigue"]
    assert kb.recommend({**LN_FLARE, "tacrolimus_stopped": "not_stopped", "meld": 18}).unused == []
