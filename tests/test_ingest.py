"""The document parser: every line of both seeds accounted for, with its line and citations."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import ParseError
from graph.ingest import parse, split_citations
from graph.library import DEFAULT_LIBRARY

DATA = Path(__file__).parent / "data"

# Every line of the seeds, read by hand: (line, what it is, citation numbers written on it).
# T title, P plain (lead) statement, H heading, B bullet, L lead-in ending in ':'.
LUPUS_LINES = [
    (1, "T", ()), (2, "P", (1,)), (3, "H", ()), (4, "H", ()), (5, "B", (1,)), (6, "B", (1,)),
    (7, "B", (1,)), (8, "B", (1,)), (9, "H", ()), (10, "L", ()), (11, "B", (1,)), (12, "B", (2,)),
    (13, "B", (1,)), (14, "B", (1,)), (15, "H", ()), (16, "H", ()), (17, "L", (1,)), (18, "B", (1,)),
    (19, "B", (1,)), (20, "B", (1,)), (21, "B", (1,)), (22, "H", ()), (23, "L", ()), (24, "B", (1,)),
    (25, "B", (1,)), (26, "B", (1, 3)), (27, "B", (1, 4)), (28, "H", ()), (29, "L", ()),
    (30, "B", (5, 6, 7)), (31, "B", (7, 8)), (32, "B", (9,)), (33, "B", (1,)), (34, "H", ()),
    (35, "H", ()), (36, "B", (1,)), (37, "B", (2,)), (38, "B", (2,)), (39, "H", ()), (40, "B", (1,)),
    (41, "B", (1,)), (42, "B", (1,)), (43, "H", ()), (44, "H", ()), (45, "B", (1,)), (46, "B", (1,)),
    (47, "H", ()), (48, "B", (1,)), (49, "B", (1,)), (50, "B", (5,)), (51, "H", ()),
    (52, "B", (6, 7, 8)), (53, "B", (1,)), (54, "H", ()), (55, "B", (1,)), (56, "B", (1,)),
    (57, "B", (5, 6, 7, 8)), (58, "B", (1,)), (59, "H", ()), (60, "L", ()),
]
AUTOIMMUNE_LINES = [
    (1, "T", ()), (2, "P", (1,)), (3, "H", ()), (4, "H", ()), (5, "B", (1,)), (6, "B", (1,)),
    (7, "B", (1,)), (8, "H", ()), (9, "B", (1,)), (10, "B", (2,)), (11, "B", (1,)), (12, "H", ()),
    (13, "H", ()), (14, "B", (1,)), (15, "B", (1, 2)), (16, "B", (1,)), (17, "H", ()), (18, "B", (1,)),
    (19, "B", (1,)), (20, "H", ()), (21, "H", ()), (22, "B", (1,)), (23, "B", (1,)), (24, "B", (1,)),
    (25, "H", ()), (26, "B", (1,)), (27, "B", (1, 2)), (28, "B", (3,)), (29, "H", ()), (30, "H", ()),
    (31, "B", (1,)), (32, "B", (1,)), (33, "B", (1,)), (34, "H", ()), (35, "B", (1,)), (36, "B", (1,)),
    (37, "H", ()), (38, "H", ()), (39, "B", (1,)), (40, "B", (1,)), (41, "H", ()), (42, "B", (1,)),
    (43, "B", (1,)), (44, "H", ()), (45, "B", (1, 4)), (46, "B", (1,)), (47, "H", ()), (48, "H", ()),
    (49, "B", (1,)), (50, "B", (1,)), (51, "B", (1,)), (52, "H", ()), (53, "B", (1,)), (54, "B", (1,)),
    (55, "H", ()), (56, "B", (1,)), (57, "B", (1,)), (58, "B", (1,)),
]
SEEDS = {
    "lupus-tacrolimus-rebound": LUPUS_LINES,
    "autoimmune-tacrolimus-rebound": AUTOIMMUNE_LINES,
}


def seed(doc_id, lexicon):
    return parse((DEFAULT_LIBRARY / f"{doc_id}.txt").read_text(encoding="utf-8"), doc_id=doc_id, lexicon=lexicon)


@pytest.mark.parametrize(
    "doc_id, total, leads, bullets, lead_ins",
    [("lupus-tacrolimus-rebound", 43, 1, 37, 5), ("autoimmune-tacrolimus-rebound", 37, 1, 36, 0)],
)
def test_seed_statement_counts(doc_id, total, leads, bullets, lead_ins, lexicon):
    doc = seed(doc_id, lexicon)
    statements = doc.statements
    assert len(statements) == total
    assert sum(1 for s in statements if s.is_lead_in) == lead_ins
    assert sum(1 for s in statements if s.source_text.startswith("- ")) == bullets
    assert sum(1 for sec in doc.sections if sec.heading is None for _ in sec.statements) == leads


@pytest.mark.parametrize("doc_id", sorted(SEEDS))
def test_every_seed_line_is_accounted_for(doc_id, lexicon):
    doc = seed(doc_id, lexicon)
    expected_statements = {line: cites for line, what, cites in SEEDS[doc_id] if what in "PBL"}
    expected_headings = {line for line, what, _ in SEEDS[doc_id] if what == "H"}
    found = {s.line: s.citations for s in doc.statements}
    assert found == expected_statements
    assert {sec.line for sec in doc.sections if sec.heading} == expected_headings
    assert doc.title_line == 1


@pytest.mark.parametrize("doc_id", sorted(SEEDS))
def test_statement_text_is_the_source_line_without_markers(doc_id, lexicon):
    source = (DEFAULT_LIBRARY / f"{doc_id}.txt").read_text(encoding="utf-8").split("\n")
    for statement in seed(doc_id, lexicon).statements:
        raw = source[statement.line - 1]
        assert statement.source_text == raw
        markers = ", ".join(str(n) for n in statement.citations)
        colon = ":" if statement.is_lead_in else ""
        rebuilt = " ".join(p for p in (statement.text.removesuffix(colon), markers) if p) + colon
        assert raw.removeprefix("- ") == rebuilt


def test_citation_before_final_colon_is_read(lexicon):
    lead_in = next(s for s in seed("lupus-tacrolimus-rebound", lexicon).statements if s.line == 17)
    assert lead_in.is_lead_in
    assert lead_in.citations == (1,)
    assert lead_in.text.endswith("rebound flare:")


def test_bullets_under_a_lead_in_point_to_it(lexicon):
    doc = seed("lupus-tacrolimus-rebound", lexicon)
    by_line = {s.line: s for s in doc.statements}
    assert [by_line[n].lead_in_line for n in (11, 12, 13, 14)] == [10] * 4
    assert [by_line[n].lead_in_line for n in (24, 25, 26, 27)] == [23] * 4
    assert by_line[5].lead_in_line is None


def test_section_tree_follows_heading_runs(lexicon):
    doc = seed("lupus-tacrolimus-rebound", lexicon)
    parents = {sec.heading: sec.parent for sec in doc.sections}
    assert parents["Why Rebound Occurred"] == "Understanding the Clinical Situation"
    assert parents["First-Line Approach: Switch to Alternative Immunosuppression"] == "Recommended Treatment Algorithm"
    assert parents["Second-Line Approach: Add Biologic Therapy"] == "Recommended Treatment Algorithm"
    assert parents["Third-Line: Consider Restarting Tacrolimus"] == "Recommended Treatment Algorithm"
    assert parents["Recommended Treatment Algorithm"] is None
    assert parents["Don't Restart the Same Dose Without Reassessment"] == "Critical Pitfalls to Avoid"


def test_lupus_seed_is_incomplete_and_says_where(lexicon):
    doc = seed("lupus-tacrolimus-rebound", lexicon)
    assert doc.complete is False
    assert "line 60" in doc.incomplete_reason and "Consider repeat biopsy if:" in doc.incomplete_reason


def test_autoimmune_seed_is_complete(lexicon):
    doc = seed("autoimmune-tacrolimus-rebound", lexicon)
    assert doc.complete is True and doc.incomplete_reason is None


@pytest.mark.parametrize(
    "doc_id, lines, kind",
    [
        ("lupus-tacrolimus-rebound", (5, 6, 7, 8), "rationale"),
        ("lupus-tacrolimus-rebound", (10, 11, 12, 13, 14, 36, 37, 38), "assessment"),
        ("lupus-tacrolimus-rebound", (45, 46, 48, 49, 50, 52, 53), "pitfall"),
        ("lupus-tacrolimus-rebound", (55, 56, 57, 58), "timeline"),
        ("lupus-tacrolimus-rebound", (31,), "evidence"),
        ("lupus-tacrolimus-rebound", (2, 17, 18, 19, 21, 23, 25, 26, 27, 32, 33, 41, 42, 60), "recommendation"),
        ("autoimmune-tacrolimus-rebound", (22, 23, 24, 26, 27, 28), "monitoring"),
        ("autoimmune-tacrolimus-rebound", (39, 40, 42, 43, 45, 46), "pitfall"),
        ("autoimmune-tacrolimus-rebound", (35, 36), "rationale"),
        ("autoimmune-tacrolimus-rebound", (2, 5, 6, 9, 14, 15, 18, 49, 50, 51, 53, 56), "recommendation"),
    ],
)
def test_statement_kinds(doc_id, lines, kind, lexicon):
    by_line = {s.line: s for s in seed(doc_id, lexicon).statements}
    assert {n: by_line[n].kind for n in lines} == {n: kind for n in lines}


@pytest.mark.parametrize(
    "doc_id, lines, line_of_therapy",
    [
        ("lupus-tacrolimus-rebound", (17, 18, 19, 20), "first-line"),
        ("lupus-tacrolimus-rebound", (21,), "alternative"),
        ("lupus-tacrolimus-rebound", (23, 24, 25, 26, 27), "second-line"),
        ("lupus-tacrolimus-rebound", (29, 30, 31, 32, 33), "third-line"),
        ("lupus-tacrolimus-rebound", (2, 45, 52), None),
        ("autoimmune-tacrolimus-rebound", (5, 6, 7), "first-line"),
        ("autoimmune-tacrolimus-rebound", (9, 10, 11), "alternative"),
        ("autoimmune-tacrolimus-rebound", (49, 50), "second-line"),
        ("autoimmune-tacrolimus-rebound", (51,), "third-line"),
    ],
)
def test_line_of_therapy(doc_id, lines, line_of_therapy, lexicon):
    by_line = {s.line: s for s in seed(doc_id, lexicon).statements}
    assert {n: by_line[n].line_of_therapy for n in lines} == {n: line_of_therapy for n in lines}


def test_context_drug_reaches_a_bare_trough_target(lexicon):
    by_line = {s.line: s for s in seed("lupus-tacrolimus-rebound", lexicon).statements}
    (target,) = by_line[33].extraction.targets
    assert (target.low, target.high, target.unit) == (4, 6, "ng/mL")
    assert "tacrolimus" in target.analyte


def test_json_shape(lexicon):
    data = seed("lupus-tacrolimus-rebound", lexicon).to_dict()
    assert set(data) >= {"id", "title", "complete", "sections"}
    lead = data["sections"][0]
    assert lead["heading"] is None and lead["statements"][0]["line"] == 2
    statement = lead["statements"][0]
    assert set(statement) >= {
        "text", "line", "kind", "line_of_therapy", "citations", "drugs", "doses", "targets", "durations", "condition",
    }
    assert statement["drugs"] == ["mycophenolate mofetil", "rituximab", "tacrolimus"]
    assert statement["doses"][0]["drug"] == "mycophenolate mofetil"


# ---------------------------------------------------------------- a third document and edge cases


def test_third_document_in_the_same_format(lexicon):
    doc = parse((DATA / "format-sample.txt").read_text(encoding="utf-8"), doc_id="format-sample", lexicon=lexicon)
    found = {s.line: (s.kind, s.citations, s.line_of_therapy) for s in doc.statements}
    assert found == {
        2: ("recommendation", (1, 2), None),
        5: ("recommendation", (1,), "first-line"),
        6: ("recommendation", (2, 3), "first-line"),
        7: ("recommendation", (1,), "first-line"),
        9: ("recommendation", (), "second-line"),
        10: ("recommendation", (4,), "second-line"),
        11: ("recommendation", (4,), "second-line"),
        12: ("recommendation", (), "second-line"),
        14: ("pitfall", (5,), None),
        16: ("monitoring", (1,), None),
        17: ("monitoring", (6,), None),
        18: ("monitoring", (1,), None),
    }
    assert doc.complete
    by_line = {s.line: s for s in doc.statements}
    assert [s.line for s in doc.statements if s.lead_in_line == 9] == [10, 11, 12]
    assert [(d.drug, d.low, d.high, d.unit, d.route) for d in by_line[5].extraction.doses] == [
        ("cyclophosphamide", 500, 500, "mg", "IV")
    ]
    assert [(d.drug, d.low, d.unit) for d in by_line[6].extraction.doses] == [("rituximab", 375, "mg/m2")]
    assert [(d.drug, d.low, d.unit, d.frequency) for d in by_line[10].extraction.doses] == [
        ("mycophenolate mofetil", 1, "g", "2/d")
    ]
    assert [(d.drug, d.low, d.unit) for d in by_line[11].extraction.doses] == [("azathioprine", 1.5, "mg/kg/d")]
    (target,) = by_line[17].extraction.targets
    assert (target.low, target.high, target.unit, target.stated_as[2]) == (5, 8, "ng/mL", "nmol/L")


def test_third_document_quantities_are_exactly_these(lexicon):
    """The same standard as the seeds' quantity table: every dose, target and duration of the
    third document, and nothing more."""
    doc = parse((DATA / "format-sample.txt").read_text(encoding="utf-8"), doc_id="format-sample", lexicon=lexicon)
    found = {
        s.line: (
            [(d.drug, d.low, d.high, d.unit, d.route, d.frequency, d.comparator) for d in s.extraction.doses],
            [(t.low, t.high, t.unit) for t in s.extraction.targets],
            [(d.low, d.high, d.unit, d.qualifier) for d in s.extraction.durations],
        )
        for s in doc.statements
        if s.extraction.doses or s.extraction.targets or s.extraction.durations
    }
    assert found == {
        5: ([("cyclophosphamide", 500, 500, "mg", "IV", "0.5/wk", None)], [], []),  # every 2 weeks is its frequency
        6: ([("rituximab", 375, 375, "mg/m2", None, "1/wk", None)], [], [(4, 4, "wk", "for")]),
        7: ([("prednisone", 1, 1, "mg/kg/d", None, None, None), ("prednisone", 60, 60, "mg/d", None, None, "<=")], [], []),
        9: ([], [], [(3, 3, "mo", "after")]),
        10: ([("mycophenolate mofetil", 1, 1, "g", None, "2/d", None)], [], []),
        11: ([("azathioprine", 1.5, 1.5, "mg/kg/d", None, None, None)], [], []),
        14: ([], [], [(3, 3, "wk", "at least")]),
        16: ([], [], [(2, 2, "wk", "every"), (3, 3, "mo", "over")]),
        17: ([], [(5, 8, "ng/mL")], []),
        18: ([], [], [(18, 18, "mo", "at least")]),
    }


def test_empty_document_is_refused(lexicon):
    with pytest.raises(ParseError, match="empty"):
        parse("", doc_id="empty", lexicon=lexicon)
    with pytest.raises(ParseError, match="empty"):
        parse("\n \n\t\n", doc_id="blank", lexicon=lexicon)


def test_document_without_headings(lexicon):
    doc = parse("A Title\nFirst statement 1\n- a bullet 2\nAnother plain statement. 3\n", doc_id="x", lexicon=lexicon)
    assert [(s.line, s.citations) for s in doc.statements] == [(2, (1,)), (3, (2,)), (4, (3,))]
    assert [sec.heading for sec in doc.sections] == [None]
    assert doc.complete


def test_only_headings_is_incomplete(lexicon):
    doc = parse("Title\nHeading One\nHeading Two\n", doc_id="x", lexicon=lexicon)
    assert doc.statements == []
    assert not doc.complete and "Heading Two" in doc.incomplete_reason


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_endings_keep_line_numbers(newline, lexicon):
    text = newline.join(["Title", "Lead 1", "Heading", "- bullet one 2", "- bullet two 3"])
    doc = parse(text, doc_id="x", lexicon=lexicon)
    assert [(s.line, s.text, s.citations) for s in doc.statements] == [
        (2, "Lead", (1,)), (4, "bullet one", (2,)), (5, "bullet two", (3,)),
    ]


def test_windows_line_endings_of_a_seed_give_the_same_statements(lexicon):
    text = (DEFAULT_LIBRARY / "lupus-tacrolimus-rebound.txt").read_text(encoding="utf-8")
    unix = parse(text, doc_id="lupus-tacrolimus-rebound", lexicon=lexicon)
    windows = parse(text.replace("\n", "\r\n"), doc_id="lupus-tacrolimus-rebound", lexicon=lexicon)
    assert windows.to_dict() == unix.to_dict()


def test_unicode_dashes_and_comparators(lexicon):
    doc = parse(
        "Title\nHeading\n- Proteinuria should fall by ≥30% within 12 weeks 1\n- Give prednisone 0.5–1 mg/kg/day 2\n",
        doc_id="x",
        lexicon=lexicon,
    )
    first, second = doc.statements
    assert first.citations == (1,) and first.text.startswith("Proteinuria should fall by ≥30%")
    assert [(d.drug, d.low, d.high, d.unit) for d in second.extraction.doses] == [("prednisone", 0.5, 1, "mg/kg/d")]


def test_bullet_without_citation_is_kept_and_uncited(lexicon):
    doc = parse("Title\nHeading\n- no citation here\n", doc_id="x", lexicon=lexicon)
    (statement,) = doc.statements
    assert statement.citations == () and statement.text == "no citation here"


@pytest.mark.parametrize(
    "line, text, citations",
    [
        ("Check levels at week 2", "Check levels at week 2", ()),
        ("Transplant if MELD ≥ 15", "Transplant if MELD ≥ 15", ()),
        ("take 5 mg 1", "take 5 mg", (1,)),
        ("Severe flare 1:", "Severe flare:", (1,)),
        ("Evidence 1,2,3", "Evidence", (1, 2, 3)),
        ("Response rate 46% 12", "Response rate 46%", (12,)),
    ],
)
def test_split_citations(line, text, citations):
    assert split_citations(line)[:2] == (text, citations)


def test_nul_bytes_are_refused(lexicon):
    with pytest.raises(ParseError, match="NUL"):
        parse("Title\x00\nx 1", doc_id="x", lexicon=lexicon)


def test_same_input_gives_the_same_document(lexicon):
    assert seed("lupus-tacrolimus-rebound", lexicon) == seed("lupus-tacrolimus-rebound", lexicon)


# ---------------------------------------------------------------- properties: any text parses or is refused as documented

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from graph.ingest import LINE_BREAK, MAX_LINE_CHARS  # noqa: E402

LINE_PIECES = st.sampled_from([
    "Treatment Options", "First-Line Approach", "- ", "* ", "1. ", "• ", "Give prednisone 30 mg daily", " 1", " 1, 3",
    " 12:", ":", ".", "If severe flare", "MELD ≥ 15", "at week 2", "0.5-1 mg/kg/day", "MMF", "tacrolimus trough 4-6 ng/mL",
    "Don't restart", "Monitoring", "Evidence", " ", "\t", "\u00a0", "\ufeff", "\u2028", "\x1c", "é", "٣", "−", "—",
])
LINE_ENDINGS = st.sampled_from(["\n", "\r\n", "\r", "\n\n"])
DOCUMENTS = st.one_of(
    st.text(max_size=400),
    st.lists(st.tuples(st.lists(LINE_PIECES, max_size=6).map("".join), LINE_ENDINGS), max_size=25).map(
        lambda lines: "".join(text + end for text, end in lines)),
)


def _documented_refusal(text: str) -> bool:
    """The ParseError cases the parser documents: NUL, no line with text, a line over the limit."""
    lines = LINE_BREAK.split(text.lstrip("\ufeff"))
    return "\x00" in text or not any(line.strip() for line in lines) or any(len(line) > MAX_LINE_CHARS for line in lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=DOCUMENTS)
def test_any_text_parses_or_is_refused_as_documented(lexicon, text):
    import json

    try:
        doc = parse(text, doc_id="any", lexicon=lexicon)
    except ParseError as error:
        assert _documented_refusal(text), error
        assert "\n" not in str(error)
        return
    assert not _documented_refusal(text)
    raw_lines = LINE_BREAK.split(text.lstrip("\ufeff"))
    for statement in doc.statements:
        assert 1 <= statement.line <= doc.line_count <= len(raw_lines)
        assert statement.source_text == raw_lines[statement.line - 1].rstrip()  # the very line it came from
        assert all(n >= 1 for n in statement.citations)
    json.dumps(doc.to_dict())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.text(min_size=1, max_size=60).filter(lambda s: s.strip() and not LINE_BREAK.search(s) and "\x00" not in s),
       ending=LINE_ENDINGS)
def test_line_endings_never_change_what_is_found(lexicon, line, ending):
    text = f"Title\nHeading\n- {line} 1\n- Give prednisone 30 mg daily 2\n"
    as_lf = parse(text, doc_id="t", lexicon=lexicon).to_dict()
    assert parse(text.replace("\n", ending), doc_id="t", lexicon=lexicon).to_dict() == as_lf or ending == "\n\n"


# ---------------------------------------------------------------- a heading that states a quantity


HEADING_NOTE = ('this line is read as a heading (no full stop, no citation), and it states "for 6 weeks"; a '
                "heading's numbers are not read: end the line with a full stop or its citation to make it a statement")


def test_a_heading_that_states_a_quantity_is_noted(lexicon):
    """Before: "Keep examplomab going for 6 weeks" became a heading, and its 6 weeks vanished unsaid."""
    text = ("Examplo Guideline\nExamplo Treatment\n- Give prednisone 30 mg daily for flares 1\n"
            "Keep examplomab going for 6 weeks\n- Review the response 1\n")
    doc = parse(text, doc_id="examplo", lexicon=lexicon)
    (section,) = [s for s in doc.sections if s.notes]
    assert (section.heading, section.line) == ("Keep examplomab going for 6 weeks", 4)
    assert section.to_dict()["notes"] == [
        {"code": "quantity-in-heading", "words": "Keep examplomab going for 6 weeks", "reason": HEADING_NOTE}]
    assert [d.durations for s in doc.sections for d in [s.statements[0].extraction] if s.statements] == [[], []]


def test_headings_without_quantities_have_no_notes(lexicon):
    for doc_id in ("lupus-tacrolimus-rebound", "autoimmune-tacrolimus-rebound"):
        doc = parse((DEFAULT_LIBRARY / f"{doc_id}.txt").read_text(encoding="utf-8"), doc_id=doc_id, lexicon=lexicon)
        assert [s.notes for s in doc.sections if s.notes] == []
        assert [st.extraction.notes for st in doc.statements if st.extraction.notes] == []
