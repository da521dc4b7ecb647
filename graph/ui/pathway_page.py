"""Patient pathway: a form generated from the declared patient facts, and the options the
guidelines give for that patient, with doses, sources, reasons, pitfalls, schedule and tree."""

from __future__ import annotations

import streamlit as st

from ..errors import InputError
from ..export.tree import library_trees, pathway_ids, patient_path
from ..patient import FactSpec, check_facts
from ..recommend import patient_form_of
from ..share import facts_to_show, params_from_facts
from ..timeline import checkpoint_lines, timeline_rows, timeline_spec
from ..views import (
    INCOMPLETE_NOTE,
    conflicts_by_statement,
    decision_tree_dot,
    fact_choice_text,
    fact_question,
    facts_text,
    form_layout,
    form_value,
    item_caption,
    item_markdown,
    md_escape,
    option_groups,
    path_steps,
    question_text,
    no_options_text,
    ruled_out_text,
    unused_text,
    shown_pathways,
)
from .common import PATIENT_FACTS, current_kb, header, titles

SYNCED = "pathway_synced"  # the query parameters this page last wrote
PROBLEMS = "pathway_problems"


def _key(spec: FactSpec) -> str:
    return f"fact_{spec.key}"


def _fact_changed() -> None:
    st.session_state.pop(PROBLEMS, None)


def _clear(form) -> None:
    for spec in form:
        st.session_state[_key(spec)] = None
    st.session_state.pop(PROBLEMS, None)


def _widget(spec: FactSpec) -> None:
    """One form field, by the fact's declared type; "not known" is always a choice."""
    common = {"key": _key(spec), "help": f"{md_escape(spec.label)} (`{spec.key}`)", "on_change": _fact_changed}
    label = md_escape(fact_question(spec))  # a label is Markdown: the pathway file's words stay text
    if spec.type == "boolean":
        st.radio(label, [None, True, False], horizontal=True, format_func=lambda v: fact_choice_text(spec, v), **common)
    elif spec.type == "choice":
        st.selectbox(label, [None, *spec.options], format_func=lambda v: fact_choice_text(spec, v),
                     placeholder="not known", **common)
    else:
        whole = spec.type == "integer"
        bound = int if whole else float
        st.number_input(
            label,
            min_value=bound(spec.min) if spec.min is not None else None,
            max_value=bound(spec.max) if spec.max is not None else None,
            step=1 if whole else 1.0, format="%d" if whole else "%g", placeholder="not known", **common,
        )


def _restore(form) -> None:
    """Take the facts from the address when it changed since this page wrote it (a shared link, a
    hand edit, the first visit); coming back from another page restores the session's facts."""
    params = {name: st.query_params.get_all(name) for name in st.query_params}
    widgets_hold_facts = all(_key(s) in st.session_state for s in form)  # not after a visit to another page
    shown = facts_to_show(params, form, written=st.session_state.get(SYNCED) if widgets_hold_facts else None,
                          session_facts=st.session_state.get(PATIENT_FACTS))
    if shown is None:
        return
    facts, problems = shown
    for spec in form:
        st.session_state[_key(spec)] = form_value(spec, facts.get(spec.key))
    st.session_state[PROBLEMS] = problems


@st.cache_resource(show_spinner=False)
def _trees(_kb, store_id: int, pathway: str) -> list:
    """A pathway's tree, read once per knowledge base (reading takes longer than drawing)."""
    return library_trees(_kb, pathway=pathway)


def _item(item: dict, *, names: dict, disputes: dict, weight, warn: bool = False) -> None:
    """One statement: the source line quoted with its drugs, doses (source and this patient's) and
    targets; where it comes from, why and why not; the conflicts it is part of."""
    with st.container(border=True):
        (st.warning if warn else st.markdown)(item_markdown(item, weight_kg=weight))
        for reason in disputes.get(item["id"], ()):
            st.error(f"**Sources disagree** (not resolved here; see Conflicts and consistency): {md_escape(reason)}",
                     icon=":material/compare_arrows:")
        st.caption(item_caption(item, names))


def _items(items: list[dict], **context) -> None:
    for item in items:
        _item(item, **context)


def render() -> None:
    header()
    kb = current_kb()
    form = patient_form_of(kb)
    names = titles(kb)
    st.title("Patient pathway")
    _restore(form)

    for problem in st.session_state.get(PROBLEMS, ()):
        st.error(f"The address holds a value that cannot be used, so it was left out: {md_escape(problem)}",
                 icon=":material/link_off:")
    given = {spec.key: st.session_state.get(_key(spec)) for spec in form}
    try:
        facts = check_facts(given, form)
    except InputError as error:  # widgets enforce types and ranges; this is a last guard
        st.error(md_escape(str(error)))
        facts = {}
    result = kb.recommend(facts).to_dict()
    st.session_state[PATIENT_FACTS] = facts
    params = params_from_facts(facts, form)
    if {k: [v] for k, v in params.items()} != {n: st.query_params.get_all(n) for n in st.query_params}:
        st.query_params.from_dict(params)
    st.session_state[SYNCED] = {k: [v] for k, v in params.items()}

    first, rest = form_layout(form, facts, result["questions"])
    with st.sidebar:
        st.subheader("Patient facts")
        st.caption("Unknown is not “no”: a fact left unknown stops the pathway where it matters and is asked here. "
                   "The page address holds the facts: copy it to share this view.")
        for spec in first:
            _widget(spec)
        with st.expander(f"More facts ({len(rest)})"):
            for spec in rest:
                _widget(spec)
        st.button("Clear all facts", on_click=_clear, args=(form,), icon=":material/restart_alt:")
    _results(kb, result, facts, names)


def _results(kb, result: dict, facts: dict, names: dict) -> None:
    weight = facts.get("weight_kg")
    disputes = conflicts_by_statement(result["conflicts"])
    context = {"names": names, "disputes": disputes, "weight": weight}
    st.markdown(f"**Patient:** {md_escape(facts_text(facts, patient_form_of(kb)))}")
    unused = unused_text(result, patient_form_of(kb))
    if unused:
        st.caption(unused)
    if result["questions"]:
        with st.container(border=True):
            st.markdown("**Open questions, most decisive first** (answer them on the left)")
            st.markdown("\n".join(f"{n}. {question_text(q)}" for n, q in enumerate(result["questions"][:5], 1)))
    for source in result["incomplete"]:
        st.warning(f"**Incomplete source:** {md_escape(source['title'] or source['guideline'])} "
                   f"{md_escape(source['reason'])}: {INCOMPLETE_NOTE}.",
                   icon=":material/warning:")
    for conflict in result["conflicts"]:
        st.error(f"**Sources disagree:** {md_escape(conflict['reason'])}. guidegraph does not pick one; check each source line.",
                 icon=":material/compare_arrows:")
    nothing = ruled_out_text(result)
    if nothing:
        st.info(nothing, icon=":material/block:")
    steps, left_out = shown_pathways(path_steps(result["path"]))
    if steps:
        ids = pathway_ids(kb.graph, [step["pathway"] for step in steps])
        with st.expander(f"Path through the decision trees ({len(result['path'])} steps)", expanded=False):
            if left_out:
                st.caption(left_out)
            for step in steps:
                st.markdown(f"**{md_escape(ids[step['pathway']])}**\n\n"
                            + "\n".join(f"{n}. {md_escape(label)}" for n, label in enumerate(step["labels"], 1)))

    counts = {name: len(result[name]) for name in ("recommendations", "pitfalls", "monitoring", "assessments", "other")}
    tabs = st.tabs([
        f"Options ({counts['recommendations']})", f"Pitfalls ({counts['pitfalls']})",
        f"Monitoring ({counts['monitoring']} · schedule {len(result['schedule'])})",
        f"Assessments ({counts['assessments']})", f"Background ({counts['other']})", "Decision tree",
    ])
    with tabs[0]:
        if not result["recommendations"]:
            st.info(no_options_text(result))
        for group in option_groups(result["recommendations"], names):
            st.subheader(group["title"])
            for source in group["sources"]:
                st.markdown(f"**{md_escape(source['title'])}** · `{source['guideline']}`")
                _items(source["items"], **{**context, "names": {}})
    with tabs[1]:
        if not result["pitfalls"]:
            st.info("No pitfalls for these facts yet.")
        _items(result["pitfalls"], warn=True, **context)
    with tabs[2]:
        if result["schedule"]:
            st.markdown("**Checkpoints after restarting therapy**")
            st.vega_lite_chart(timeline_spec(timeline_rows(result["schedule"])), width="stretch")
            st.markdown("\n".join(checkpoint_lines(result["schedule"])))
        else:
            st.info("No checkpoints for these facts yet.")
        _items(result["monitoring"], **context)
    with tabs[3]:
        _items(result["assessments"], **context)
    with tabs[4]:
        st.caption("Rationale, evidence and expected time course that the reached nodes point to.")
        _items(result["other"], **context)
    with tabs[5]:
        st.caption("Decision nodes only (the Options tab lists what each makes applicable). Bold red: this "
                   "patient's path; dashed: not decided yet, a fact it needs is not known (the open questions); grey: "
                   "not reached or not taken. Export draws the full trees with their statements.")
        path = patient_path(kb, facts)
        drawn, left_out = shown_pathways(result["pathways"])
        if left_out:
            st.info(left_out)
        for pathway, name in pathway_ids(kb.graph, drawn).items():
            st.markdown(f"**{md_escape(name)}**")
            st.graphviz_chart(decision_tree_dot(_trees(kb, id(kb), pathway), path), width="stretch")
