"""Conflicts and consistency: discordant statements side by side, unit checks, the SHACL report."""

from __future__ import annotations

import streamlit as st

from ..recommend import statement_texts
from ..views import (
    CARDS_AT_MOST,
    conflict_sides,
    finding_rows,
    md_escape,
    quoted_line,
    side_rows,
    source_caption,
    unit_finding_rows,
    value_summary,
)
from .common import current_kb, header, titles, unit_checks, validation_report

COLUMNS = 3


def _table(sides: list[dict]) -> None:
    """A conflict of many values: the distinct values, then every value with its source line."""
    summary = value_summary(sides)
    st.markdown(f"**{len(summary)} distinct values**, each with the statements and guidelines that give it:")
    st.dataframe(summary, hide_index=True, width="stretch")
    st.markdown("**Every value with its source line:**")
    st.dataframe(side_rows(sides), hide_index=True, width="stretch", height=360)


def render() -> None:
    header()
    kb = current_kb()
    names = titles(kb)
    st.title("Conflicts and consistency")

    st.header("Where the sources disagree")
    if not kb.conflicts:
        st.success("No numeric disagreements between statements.")
    st.caption("guidegraph does not pick a value: every number is shown with its source line, for a clinician to check.")
    conflicts = [conflict.to_dict() for conflict in kb.conflicts]
    statements = statement_texts(kb, [value["statement"] for data in conflicts for value in data["values"]])
    for data in conflicts:
        sides = conflict_sides(data, statements, names)
        st.subheader(f"{md_escape(data['topic'])}: {len(sides)} values from {len(data['statements'])} statements")
        if len(sides) > CARDS_AT_MOST:
            _table(sides)
            continue
        for start in range(0, len(sides), COLUMNS):
            for column, side in zip(st.columns(COLUMNS), sides[start:start + COLUMNS]):
                with column.container(border=True):
                    st.markdown(f":blue-badge[{md_escape(side['guideline'])}]")
                    st.markdown(f"#### {md_escape(side['value'])}"
                                + (f" for {md_escape(side['population'])}" if side["population"] else ""))
                    st.markdown(quoted_line(side))
                    st.caption(source_caption(side))

    st.header("Units stated twice")
    findings = unit_finding_rows(unit_checks(kb, id(kb)))
    if findings:
        st.caption("Where a source gives a range in two units, the two are converted and compared.")
        st.dataframe(findings, hide_index=True, width="stretch")
        if any(row["agree"] == "NO" for row in findings):
            st.error("A source's two units do not agree: check the source line.")
    else:
        st.info("No source states a range in two units.")

    st.header("Library validation (SHACL shapes and structural checks)")
    report = validation_report(kb, id(kb))
    rows = finding_rows(report)
    if report.conforms and not rows:
        st.success("The library conforms: no findings.")
    elif report.conforms:
        st.warning(f"The library conforms, with {len(rows)} warning(s).")
    else:
        st.error(f"The library does not conform: {len(rows)} finding(s).")
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
