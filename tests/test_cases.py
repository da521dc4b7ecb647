"""Golden patient cases: one YAML file per patient under tests/cases/, parametrized by case id.

Each case gives the patient's facts and what a clinician should see: statements present and absent
(by guideline and source line), the patient's doses, the open questions (in order, or as a set), and
the path. A case that documents a known gap says so with ``known_gap: reason`` and is expected to
fail; it is never deleted. Together the cases must take every branch of every pathway.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from graph.pathway import traverse
from graph.recommend import pathways_of, patient_form_of
from graph.vocab import KB

CASES_DIR = Path(__file__).parent / "cases"
CASE_KEYS = {"description", "facts", "expect", "known_gap"}
EXPECT_KEYS = {"statements", "absent", "doses", "questions", "path"}


def load_cases() -> dict[str, dict]:
    return {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(CASES_DIR.glob("*.yaml"))}


CASES = load_cases()


def case_params():
    for case_id, case in CASES.items():
        marks = [pytest.mark.xfail(reason=case["known_gap"], strict=True)] if case.get("known_gap") else []
        yield pytest.param(case_id, marks=marks, id=case_id)


def test_there_are_at_least_twenty_cases_that_are_not_known_gaps():
    assert len([c for c in CASES.values() if not c.get("known_gap")]) >= 20


@pytest.mark.parametrize("case_id", list(CASES))
def test_case_file_is_well_formed(case_id):
    case = CASES[case_id]
    assert set(case) <= CASE_KEYS and {"description", "facts", "expect"} <= set(case), case_id
    assert set(case["expect"]) <= EXPECT_KEYS, case_id
    assert case["description"].strip()


@pytest.mark.parametrize("case_id", list(case_params()))
def test_case(kb, case_id):
    case = CASES[case_id]
    result = kb.recommend(case["facts"])
    expect = case["expect"]
    found = {(i["guideline"], i["line"]) for i in result.items()}

    wanted = {(s["guideline"], s["line"]) for s in expect.get("statements") or []}
    assert wanted <= found, f"missing: {sorted(wanted - found)}"
    if expect.get("statements") == []:
        assert found == set(), f"expected no statement, got {sorted(found)}"
    unwanted = {(s["guideline"], s["line"]) for s in expect.get("absent") or []}
    assert not unwanted & found, f"should be absent: {sorted(unwanted & found)}"

    for dose in expect.get("doses") or []:
        candidates = [
            d for i in result.items() for d in i["doses"]
            if d["drug"] == dose["drug"]
            and dose.get("guideline", i["guideline"]) == i["guideline"]
            and dose.get("line", i["line"]) == i["line"]
        ]
        assert candidates, f"no {dose['drug']} dose at {dose.get('guideline')} line {dose.get('line')}"
        assert any(_same_dose(d["for_patient"], dose["for_patient"]) for d in candidates), (
            f"{dose['drug']}: for_patient {[d['for_patient'] for d in candidates]}, expected {dose['for_patient']}"
        )

    if "questions" in expect:
        keys = [q["key"] for q in result.questions]
        questions = expect["questions"]
        if isinstance(questions, dict):
            assert sorted(keys) == sorted(questions["unordered"])
        else:
            assert keys == questions

    if "path" in expect:
        assert [step["node"] for step in result.path] == [str(KB[node]) for node in expect["path"]]


def _same_dose(actual: dict | None, expected: dict | None) -> bool:
    if actual is None or expected is None:
        return actual is expected
    return (
        actual["unit"] == expected["unit"]
        and actual["low"] == pytest.approx(expected["low"])
        and actual["high"] == pytest.approx(expected["high"])
    )


def test_the_cases_take_every_branch_of_every_pathway(kb):
    """Branch coverage over all cases that are not known gaps: a branch never taken fails here."""
    pathways, form = pathways_of(kb), patient_form_of(kb)
    every = {b.iri for p in pathways.values() for b in p.branches()}
    taken: set[str] = set()
    for case in CASES.values():
        if case.get("known_gap"):
            continue
        for pathway in pathways.values():
            taken |= {b.iri for b in traverse(pathway, case["facts"], form).taken}
    assert every, "the seed library has pathways"
    assert sorted(every - taken) == []


def test_the_cases_reach_every_decision_node(kb):
    pathways, form = pathways_of(kb), patient_form_of(kb)
    every = {n for p in pathways.values() for n in p.digraph}
    reached = {
        n
        for case in CASES.values() if not case.get("known_gap")
        for p in pathways.values()
        for n in traverse(p, case["facts"], form).reached
    }
    assert sorted(every - reached) == []
