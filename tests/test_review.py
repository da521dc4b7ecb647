"""What a curator checked: a document edited under its pathway is caught, not silently followed."""

from __future__ import annotations

import json
import shutil

import pytest

from graph import KnowledgeBase
from graph.cli import main
from graph.library import DEFAULT_LIBRARY
from graph.review import read_reviewed

from .helpers import MINI_PATHWAY, write_mini_library

LUPUS = "lupus-tacrolimus-rebound"
RITUXIMAB = ("- Rituximab (B-cell depleting therapy) shows 50-80% response rates in refractory lupus, with complete "
             "and partial response rates of 46% and 32% respectively 1")
NEW_BULLET = "- Check hepatitis B status before any B-cell depleting therapy 1"


@pytest.fixture
def library(tmp_path):
    """A copy of the seed library, with the records of what its pathways' curators checked."""
    root = tmp_path / "library"
    shutil.copytree(DEFAULT_LIBRARY, root)
    return root


def insert_line(path, before: str, line: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, text in enumerate(lines) if text.startswith(before))
    lines.insert(at, line + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def review_findings(report):
    return [f for f in report.findings if f.rule in ("pathway-statement-changed", "pathway-unreviewed")]


def test_the_seed_pathways_recommend_the_words_their_curators_checked(kb):
    assert review_findings(kb.report) == []
    _, statements = read_reviewed(DEFAULT_LIBRARY / f"{LUPUS}.reviewed.json")
    rituximab = statements[f"https://w3id.org/guidegraph/kb/{LUPUS}/second-line-approach-add-biologic-therapy/2"]
    assert rituximab == {"line": 24, "source": RITUXIMAB}


def test_a_bullet_added_above_recommended_ones_is_a_violation_naming_old_and_new_words(library, capsys):
    """Before: the pathway's addresses shifted to other bullets, and validate said "conforms"."""
    insert_line(library / f"{LUPUS}.txt", "- Rituximab", NEW_BULLET)
    report = KnowledgeBase.load(library).report
    changed = [f for f in review_findings(report) if f.rule == "pathway-statement-changed"]
    assert not report.conforms
    assert [(f.focus.rsplit("/", 1)[-1], f.line) for f in changed] == [("biologics", 24), ("biologics", 25),
                                                                       ("biologics", 26), ("biologics", 27)]
    first = changed[0]
    assert first.severity == "violation" and first.guideline == LUPUS
    assert first.message == (
        f"{LUPUS}.pathway.ttl: node 'biologics' recommends second-line-approach-add-biologic-therapy/2, whose words "
        f"changed since the pathway was checked: it read {RITUXIMAB!r} (line 24) and now reads {NEW_BULLET!r} "
        "(line 24); those words are now second-line-approach-add-biologic-therapy/3 (line 25); check the node, "
        f"then run `guidegraph review {LUPUS}`")
    assert main(["--library", str(library), "validate"]) == 1
    assert "[pathway-statement-changed]" in capsys.readouterr().err


def test_a_statement_that_only_moved_to_another_line_is_still_the_one_checked(library):
    # a bullet added at the end of the first section moves every later line down by one
    insert_line(library / f"{LUPUS}.txt", "Immediate Assessment Required", "- Ask about recent infections 1")
    kb = KnowledgeBase.load(library)
    assert review_findings(kb.report) == []
    assert kb.report.conforms


def test_review_records_the_new_words_and_says_what_changed(library, capsys):
    insert_line(library / f"{LUPUS}.txt", "- Rituximab", NEW_BULLET)
    assert main(["--library", str(library), "review", LUPUS]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{LUPUS}.reviewed.json: 42 statement(s) recorded as checked"
    assert ("words changed: second-line-approach-add-biologic-therapy/2, second-line-approach-add-biologic-therapy/3, "
            "second-line-approach-add-biologic-therapy/4, second-line-approach-add-biologic-therapy/5") in out
    kb = KnowledgeBase.load(library)
    assert review_findings(kb.report) == [] and kb.report.conforms
    _, statements = read_reviewed(library / f"{LUPUS}.reviewed.json")
    assert statements[f"https://w3id.org/guidegraph/kb/{LUPUS}/second-line-approach-add-biologic-therapy/2"] == {
        "line": 24, "source": NEW_BULLET}


def test_a_pathway_no_one_recorded_as_checked_is_a_warning_with_the_command(tmp_path, capsys):
    library = write_mini_library(tmp_path / "library", MINI_PATHWAY, reviewed=False)
    kb = KnowledgeBase.load(library)
    (finding,) = review_findings(kb.report)
    assert (finding.rule, finding.severity, finding.guideline) == ("pathway-unreviewed", "warning", "mini")
    assert finding.message == ("mini.pathway.ttl: no mini.reviewed.json records the statements this pathway "
                               "recommends as checked; after checking them, run `guidegraph review mini`")
    assert kb.report.conforms  # a warning: a new pathway still answers while it is being written
    assert main(["--library", str(library), "review", "mini"]) == 0
    assert capsys.readouterr().out == "mini.reviewed.json: 1 statement(s) recorded as checked (a new file)\n"
    assert review_findings(KnowledgeBase.load(library).report) == []


def test_a_newly_recommended_statement_is_a_warning_until_reviewed(library):
    pathway = library / f"{LUPUS}.pathway.ttl"
    text = pathway.read_text(encoding="utf-8")
    biopsy = f"<https://w3id.org/guidegraph/kb/{LUPUS}/role-of-repeat-kidney-biopsy/1>"
    pathway.write_text(text.replace("gg:recommends why:1,", f"gg:recommends {biopsy}, why:1,", 1), encoding="utf-8")
    (finding,) = review_findings(KnowledgeBase.load(library).report)
    assert (finding.rule, finding.severity, finding.line) == ("pathway-unreviewed", "warning", 60)
    assert finding.message == (f"{LUPUS}.pathway.ttl: node 'rebound-flare' recommends role-of-repeat-kidney-biopsy/1 "
                               f"(line 60), which {LUPUS}.reviewed.json does not record as checked")


def test_review_refuses_an_unknown_guideline_and_writes_nothing(library, capsys):
    before = (library / f"{LUPUS}.reviewed.json").read_bytes()
    insert_line(library / f"{LUPUS}.txt", "- Rituximab", NEW_BULLET)
    assert main(["--library", str(library), "review", LUPUS, "no-such-guideline"]) == 2
    err = capsys.readouterr().err
    assert err == ("guidegraph: error: no pathway of the guideline 'no-such-guideline' recommends a statement: "
                   "nothing to record\n")
    assert (library / f"{LUPUS}.reviewed.json").read_bytes() == before


@pytest.mark.parametrize("content, says", [
    ("{not json", "not JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
    ('{"pathway": "x"}', 'not a reviewed-statements file'),
])
def test_a_broken_record_is_one_line_naming_the_file(library, capsys, content, says):
    path = library / f"{LUPUS}.reviewed.json"
    path.write_text(content, encoding="utf-8")
    assert main(["--library", str(library), "validate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"guidegraph: error: {path}: {says}") and err.count("\n") == 1


def test_the_record_is_sorted_json_that_reads_well_in_a_diff():
    text = (DEFAULT_LIBRARY / f"{LUPUS}.reviewed.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data["statements"]) == sorted(data["statements"])
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
