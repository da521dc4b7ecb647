"""What the app's pages show, as plain data: package results turned into the rows, groups, words and
escaped markup a page lays out, so that the Streamlit pages hold no logic of their own.

Source text is shown as its author wrote it and never becomes markup: Markdown goes through
:func:`md_escape`, HTML through ``html.escape``.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from typing import Iterable, Mapping
from urllib.parse import quote

from .explore import NODE_STYLES
from .patient import UNIT_WORDS, FactSpec, PatientForm
from .reader import ReaderLine
from .vocab import KINDS, LINES_OF_THERAPY
from .units import describe_frequency

# ---------------------------------------------------------------- text

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|$~])")
_MD_LINE_START = re.compile(r"^(\s*)([-+]|\d+[.)])(?=\s)")


def md_escape(text: str) -> str:
    """Text that Streamlit's Markdown shows literally: no emphasis, links, HTML, maths or list.

    >>> md_escape("- Give *2* mg <b>now</b> $5")
    '\\\\- Give \\\\*2\\\\* mg \\\\<b\\\\>now\\\\</b\\\\> \\\\$5'
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def number_text(value) -> str:
    """A number as a clinician reads it: 35 not 35.0, 0.075 kept.

    >>> number_text(35.0), number_text(0.075), number_text(None)
    ('35', '0.075', '')
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def range_text(low, high) -> str:
    """``low–high``, or one number when they are equal.

    >>> range_text(0.5, 1), range_text(60, 60)
    ('0.5–1', '60')
    """
    return number_text(low) if low == high else f"{number_text(low)}–{number_text(high)}"


def citations_text(citations: Iterable[int]) -> str:
    """Reference numbers in brackets, or "uncited".

    >>> citations_text([1, 3]), citations_text([])
    ('[1, 3]', 'uncited')
    """
    numbers = list(citations)
    return f"[{', '.join(str(n) for n in numbers)}]" if numbers else "uncited"


# ---------------------------------------------------------------- library and reader

KIND_COLOURS = {name: colour for name, _, colour, _ in NODE_STYLES}


def library_rows(guidelines: Iterable[Mapping]) -> list[dict]:
    """One row per guideline: id, title, statement count and whether the text is complete.

    guidelines : ``graph.recommend.guideline_rows`` (the graph's guidelines, with their counts).

    >>> library_rows([{"id": "g", "title": "G", "statements": 3, "complete": False, "incomplete_reason": "ends early"}])
    [{'id': 'g', 'title': 'G', 'statements': 3, 'complete': 'no: ends early'}]
    """
    return [
        {
            "id": g["id"],
            "title": g["title"],
            "statements": g["statements"],
            "complete": "yes" if g["complete"] else f"no: {g['incomplete_reason']}",
        }
        for g in guidelines
    ]


def reader_facets(lines: Iterable[ReaderLine]) -> dict[str, list[str]]:
    """The filter choices a document offers: its kinds, drugs and lines of therapy, in a stable order."""
    statements = [line for line in lines if line.role == "statement"]
    present_kinds = {line.kind for line in statements}
    present_lines = {line.line_of_therapy for line in statements}
    return {
        "kinds": [kind for kind in KINDS if kind in present_kinds],
        "drugs": sorted({drug for line in statements for drug in line.drugs}),
        "lines_of_therapy": [name for name in LINES_OF_THERAPY if name in present_lines],
    }


READER_STYLE = """
<style>
.gg-doc { font-size: 0.95rem; line-height: 1.45; }
.gg-line { display: flex; gap: 0.6em; padding: 2px 4px; }
.gg-no { color: #888; font-family: monospace; min-width: 3.2em; text-align: right; user-select: none; }
.gg-title { font-size: 1.2rem; font-weight: 700; }
.gg-heading { font-weight: 650; margin-top: 0.5em; }
.gg-statement { border-left: 4px solid #ccc; background: #fafafa; }
.gg-badge { display: inline-block; font-size: 0.72rem; padding: 0 6px; border-radius: 8px; color: #fff; margin-right: 4px; white-space: nowrap; }
.gg-lot { background: #444; }
.gg-refs { color: #666; font-size: 0.8rem; white-space: nowrap; }
.gg-node { font-size: 0.8rem; white-space: nowrap; }
.gg-other { color: #555; }
</style>
"""


def _refs(citations) -> str:
    text = citations_text(citations)
    return text if text == "uncited" else f"refs {text}"


def reader_html(lines: Iterable[ReaderLine], *, explorer_path: str = "explorer") -> str:
    """A document as escaped HTML: every line numbered, statements marked by kind, line of therapy
    and references, each linked to its node in the graph explorer.

    Examples
    --------
    >>> line = ReaderLine(4, "- Give <img src=x onerror=alert(1)> 1", "statement",
    ...                   statement="https://w3id.org/guidegraph/kb/x/s/1", kind="pitfall", citations=(1,))
    >>> page = reader_html([line])
    >>> "<img" in page, "&lt;img src=x onerror=alert(1)&gt;" in page
    (False, True)
    >>> 'href="explorer?node=https%3A%2F%2Fw3id.org%2Fguidegraph%2Fkb%2Fx%2Fs%2F1"' in page
    True
    """
    rows = []
    for line in lines:
        number = f'<span class="gg-no">{line.number}</span>'
        text = html.escape(line.text.strip())
        indent = f' style="margin-left:{1.2 * line.depth:.1f}em"' if line.depth else ""
        if line.role == "title":
            rows.append(f'<div class="gg-line gg-title">{number}<span>{text}</span></div>')
        elif line.role == "heading":
            rows.append(f'<div class="gg-line gg-heading">{number}<span{indent}>{text}</span></div>')
        elif line.role == "statement":
            colour = KIND_COLOURS.get(line.kind or "", "#7f7f7f")
            badges = f'<span class="gg-badge" style="background:{colour}">{html.escape(line.kind or "statement")}</span>'
            if line.line_of_therapy:
                badges += f'<span class="gg-badge gg-lot">{html.escape(line.line_of_therapy)}</span>'
            refs = f'<span class="gg-refs">{html.escape(_refs(line.citations))}</span>'
            link = ""
            if line.statement:
                href = html.escape(f"{explorer_path}?node={quote(line.statement, safe='')}")
                link = f'<a class="gg-node" href="{href}" target="_blank" rel="noopener" title="{html.escape(line.statement)}">node ↗</a>'
            rows.append(
                f'<div class="gg-line gg-statement" style="border-left-color:{colour}" data-statement="{html.escape(line.statement or "")}">'
                f"{number}<span{indent}>{badges}{text} {refs} {link}</span></div>"
            )
        elif line.role == "other":
            rows.append(f'<div class="gg-line gg-other">{number}<span>{text}</span></div>')
    return READER_STYLE + '<div class="gg-doc">' + "".join(rows) + "</div>"


# ---------------------------------------------------------------- the patient form


def form_layout(form: PatientForm, facts: Mapping, questions: Iterable[Mapping]) -> tuple[list[FactSpec], list[FactSpec]]:
    """The facts to ask first and the rest.

    First: the facts already given (declaration order), then the result's open questions (most
    decisive first). The rest: every other declared fact, in declaration order, for a clinician who
    wants to say more than the pathway asks yet.

    >>> form = PatientForm((FactSpec("condition", "c", "?", "choice", ("a",)), FactSpec("flare", "f", "?", "boolean"),
    ...                     FactSpec("weight_kg", "w", "?", "number")))
    >>> first, rest = form_layout(form, {"condition": "a"}, [{"key": "weight_kg"}])
    >>> [s.key for s in first], [s.key for s in rest]
    (['condition', 'weight_kg'], ['flare'])
    """
    keys = [spec.key for spec in form if facts.get(spec.key) is not None]
    keys += [q["key"] for q in questions if q["key"] in form and q["key"] not in keys]
    first = [form[key] for key in keys]
    rest = [spec for spec in form if spec.key not in keys]
    return first, rest


def fact_question(spec: FactSpec) -> str:
    """The form label of a fact: its question, with the unit when the question does not name it.

    >>> fact_question(FactSpec("weight_kg", "weight", "What is the body weight, in kg?", "number", unit="kg"))
    'What is the body weight, in kg?'
    >>> fact_question(FactSpec("years_on_treatment", "years", "How long on treatment?", "number", unit="a"))
    'How long on treatment? (years)'
    >>> fact_question(FactSpec("years_on_treatment", "years", "For how many years?", "number", unit="a"))
    'For how many years?'
    """
    if not spec.unit:
        return spec.question
    words = UNIT_WORDS.get(spec.unit, spec.unit)
    if re.search(rf"\b{re.escape(words)}\b", spec.question, re.IGNORECASE):
        return spec.question
    return f"{spec.question} ({words})"




def fact_choice_text(spec: FactSpec, value) -> str:
    """How a form shows one choice: "not known" for None, else the value in words.

    >>> fact_choice_text(FactSpec("severity", "s", "?", "choice", ("organ_threatening",)), "organ_threatening")
    'organ threatening'
    >>> fact_choice_text(FactSpec("flare", "f", "?", "boolean"), None)
    'not known'
    """
    return "not known" if value is None else spec.describe(value)


def form_value(spec: FactSpec, value):
    """A fact value as its form widget holds it: numbers as float for "number" facts (Streamlit
    refuses an int value beside float bounds), ints for "integer" facts.

    >>> form_value(FactSpec("weight_kg", "w", "?", "number"), 70), form_value(FactSpec("meld", "m", "?", "integer"), 18)
    (70.0, 18)
    """
    if value is None or isinstance(value, bool):
        return value
    if spec.type == "number":
        return float(value)
    if spec.type == "integer":
        return int(value)
    return value


def facts_text(facts: Mapping, form: PatientForm) -> str:
    """The known facts in words, in declaration order.

    >>> form = PatientForm((FactSpec("flare", "flare", "?", "boolean"), FactSpec("weight_kg", "weight", "?", "number", unit="kg")))
    >>> facts_text({"weight_kg": 70.0, "flare": True}, form)
    'flare: yes; weight: 70 kg'
    """
    parts = [f"{spec.label}: {spec.describe(facts[spec.key])}" for spec in form if facts.get(spec.key) is not None]
    return "; ".join(parts) or "no facts given yet"


# ---------------------------------------------------------------- the patient's options

LINE_OF_THERAPY_TITLES = {
    "first-line": "First line",
    "second-line": "Second line",
    "third-line": "Third line",
    "alternative": "Alternatives",
    None: "Not tied to a line of therapy",
}


def option_groups(items: Iterable[Mapping], titles: Mapping[str, str] | None = None) -> list[dict]:
    """Items grouped by line of therapy (first, second, third, alternative, none), then by source.

    Returns ``[{"line_of_therapy", "title", "sources": [{"guideline", "title", "items"}]}]``; items
    keep the result's order (guideline, then source line) inside each source.

    >>> groups = option_groups([{"line_of_therapy": None, "guideline": "g"}, {"line_of_therapy": "second-line", "guideline": "g"}])
    >>> [(g["title"], len(g["sources"][0]["items"])) for g in groups]
    [('Second line', 1), ('Not tied to a line of therapy', 1)]
    """
    titles = titles or {}
    by_line: dict = defaultdict(lambda: defaultdict(list))
    for item in items:
        by_line[item.get("line_of_therapy")][item["guideline"]].append(item)
    groups = []
    for line in LINE_OF_THERAPY_TITLES:
        if line not in by_line:
            continue
        sources = [
            {"guideline": guideline, "title": titles.get(guideline, guideline), "items": found}
            for guideline, found in by_line[line].items()
        ]
        groups.append({"line_of_therapy": line, "title": LINE_OF_THERAPY_TITLES[line], "sources": sources})
    return groups


def dose_text(dose: Mapping, *, weight_kg=None) -> str:
    """A dose as the source gives it and, beside it, the patient's amount (Markdown-safe text).

    >>> dose_text({"drug": "prednisone", "low": 0.5, "high": 1, "unit": "mg/kg/d",
    ...            "for_patient": {"low": 35, "high": 70, "unit": "mg/d"}}, weight_kg=70.0)
    'prednisone: source 0.5–1 mg/kg/d → **35–70 mg/d for this patient** (70 kg)'
    >>> dose_text({"drug": "prednisone", "low": 0.5, "high": 1, "unit": "mg/kg/d", "for_patient": None})
    "prednisone: source 0.5–1 mg/kg/d → weight needed for this patient's dose"
    >>> dose_text({"drug": "prednisone", "low": 10, "high": 10, "unit": "mg", "taper_step": True, "frequency": "1/mo"})
    'prednisone: source taper step 10 mg once monthly'
    """
    amount = f"{range_text(dose['low'], dose['high'])} {dose['unit']}"
    if dose.get("comparator"):
        amount = f"{dose['comparator']} {amount}"
    if dose.get("taper_step"):
        amount = f"taper step {amount}"
    if dose.get("frequency"):
        amount += f" {describe_frequency(dose['frequency'])}"
    extras = ", ".join(x for x in (dose.get("route"), dose.get("basis")) if x)
    if extras:
        amount += f" ({extras})"
    text = f"{md_escape(dose.get('drug') or 'drug not named')}: source {md_escape(amount)}"
    mine = dose.get("for_patient")
    if mine:
        yours = f"{range_text(mine['low'], mine['high'])} {mine['unit']}"
        if mine.get("frequency"):
            yours += f" {describe_frequency(mine['frequency'])}"
        weight = f" ({number_text(weight_kg)} kg)" if weight_kg is not None else ""
        text += f" → **{md_escape(yours)} for this patient**{weight}"
    elif "/kg" in dose["unit"] and not dose.get("taper_step") and not dose.get("comparator"):
        text += " → weight needed for this patient's dose"
    return text


def target_text(target: Mapping) -> str:
    """A target range in its own unit and its equivalents (Markdown-safe).

    >>> target_text({"analyte": "tacrolimus trough level", "low": 4, "high": 6, "unit": "ng/mL",
    ...              "equivalents": [{"low": 4.98, "high": 7.46, "unit": "nmol/L"}]})
    'tacrolimus trough level: 4–6 ng/mL = 4.98–7.46 nmol/L'
    """
    text = f"{target.get('analyte') or 'level'}: {range_text(target['low'], target['high'])} {target['unit']}"
    same = [f"{range_text(e['low'], e['high'])} {e['unit']}" for e in target.get("equivalents") or ()]
    if same:
        text += " = " + ", ".join(same)
    if target.get("population"):
        text += f" ({target['population']})"
    return md_escape(text)


def source_text(item: Mapping, titles: Mapping[str, str] | None = None) -> str:
    """Where an item comes from: guideline, section, source line and references (Markdown-safe).

    >>> source_text({"guideline": "g", "section": "Second-Line", "line": 24, "citations": [1]}, {"g": "Guide"})
    'Guide (g) · Second-Line · line 24 · refs \\\\[1\\\\]'
    """
    titles = titles or {}
    guideline = item["guideline"]
    name = f"{titles[guideline]} ({guideline})" if guideline in titles else guideline
    refs = citations_text(item.get("citations") or ())
    parts = [name, item.get("section") or "", f"line {item['line']}", f"refs {refs}" if refs != "uncited" else "uncited"]
    return md_escape(" · ".join(p for p in parts if p))


_BULLET = re.compile(r"^\s*(?:[-*•‣◦–—]|\d{1,2}[.)])\s+")  # a list marker, not part of what the line says


def quoted_line(item: Mapping) -> str:
    """The source line as written (its bullet marker aside), quoted with its line number.

    >>> quoted_line({"line": 24, "source_text": "- Rituximab shows *50-80%* response 1", "text": "x"})
    '**Line 24:** “Rituximab shows \\\\*50-80%\\\\* response 1”'
    """
    written = _BULLET.sub("", item.get("source_text") or item.get("text") or "")
    return f"**Line {item['line']}:** “{md_escape(written)}”"


def source_caption(item: Mapping) -> str:
    """Document title, section and line; a statement before the first heading sits in the
    document's own section, whose heading is the title: it is named once.

    >>> source_caption({"title": "Guide", "section": "Guide", "line": 2})
    'Guide · line 2'
    >>> source_caption({"title": "Guide", "section": "Dosing", "line": 7})
    'Guide · Dosing · line 7'
    """
    parts = [item["title"]] + ([item["section"]] if item.get("section") and item["section"] != item["title"] else [])
    return md_escape(" · ".join(parts + [f"line {item['line']}"]))


#: Said wherever an option comes from an incomplete document (result ``incomplete``).
INCOMPLETE_NOTE = "what follows is missing, and may hold more options for this patient"


def dose_label(kind: str | None) -> str:
    """What a statement's dose is called. A pitfall's is the dose the pitfall names, in neutral
    words: some pitfalls warn about their dose ("less than 30 mg daily"), others give the dose to
    use instead ("If restarting tacrolimus, use lower doses (2-3 mg/day)"), and the quote beside
    it says which.

    >>> dose_label("pitfall"), dose_label("recommendation")
    ('dose in this pitfall', 'dose')
    """
    return "dose in this pitfall" if kind == "pitfall" else "dose"


def item_markdown(item: Mapping, *, weight_kg=None) -> str:
    """One statement for a clinician: the source line quoted, then its drugs, doses (source and this
    patient's) and targets (in both units).

    >>> print(item_markdown({"line": 19, "source_text": "- Can be combined with prednisone (starting 0.5-1 mg/kg/day) 1",
    ...     "drugs": ["prednisone"], "targets": [],
    ...     "doses": [{"drug": "prednisone", "low": 0.5, "high": 1, "unit": "mg/kg/d",
    ...                "for_patient": {"low": 35, "high": 70, "unit": "mg/d"}}]}, weight_kg=70))
    **Line 19:** “Can be combined with prednisone (starting 0.5-1 mg/kg/day) 1”
    <BLANKLINE>
    - Drugs: prednisone
    - Dose: prednisone: source 0.5–1 mg/kg/d → **35–70 mg/d for this patient** (70 kg)
    >>> print(item_markdown({"line": 39, "kind": "pitfall", "text": "Starting with less than 30 mg daily", "drugs": [],
    ...     "targets": [], "doses": [{"drug": "glucocorticoid", "low": 30, "high": 30, "unit": "mg/d", "comparator": "<"}]}))
    **Line 39:** “Starting with less than 30 mg daily”
    <BLANKLINE>
    - Dose in this pitfall: glucocorticoid: source \\< 30 mg/d
    """
    lines = [quoted_line(item), ""]
    if item.get("drugs"):
        lines.append("- Drugs: " + md_escape(", ".join(item["drugs"])))
    label = dose_label(item.get("kind")).capitalize()
    lines += [f"- {label}: {dose_text(dose, weight_kg=weight_kg)}" for dose in item.get("doses") or ()]
    lines += [f"- Target: {target_text(target)}" for target in item.get("targets") or ()]
    return "\n".join(lines).rstrip()


def item_caption(item: Mapping, titles: Mapping[str, str] | None = None) -> str:
    """Where a statement comes from, why it applies and why the alternatives do not, one per line.

    >>> print(item_caption({"guideline": "g", "section": "S", "line": 3, "citations": [2],
    ...                     "why": ["flare: yes"], "why_not": ["B: not applicable — severity is mild"]}))
    Source: g · S · line 3 · refs \\[2\\]  
    Why: flare: yes  
    Why not: B: not applicable — severity is mild
    """
    lines = ["Source: " + source_text(item, titles)]
    if item.get("why"):
        lines.append("Why: " + md_escape("; ".join(item["why"])))
    why_not = decided_why_not(item)
    if why_not:
        lines.append("Why not: " + md_escape("; ".join(why_not)))
    return "  \n".join(lines)


def decided_why_not(item: Mapping) -> list[str]:
    """The item's "why not" reasons that are decided; undecided alternatives are open questions.

    >>> decided_why_not({"why_not": ["A: not applicable — x", "B: not decided — not known: y"]})
    ['A: not applicable — x']
    """
    return [reason for reason in item.get("why_not") or () if ": not decided — " not in reason]


def conflicts_by_statement(conflicts: Iterable[Mapping]) -> dict[str, list[str]]:
    """Statement IRI to the reasons of the conflicts that touch it.

    >>> conflicts_by_statement([{"statements": ["a", "b"], "reason": "r"}])
    {'a': ['r'], 'b': ['r']}
    """
    found: dict[str, list[str]] = defaultdict(list)
    for conflict in conflicts:
        for statement in conflict["statements"]:
            found[statement].append(conflict["reason"])
    return dict(found)


def path_steps(path: Iterable[Mapping]) -> list[dict]:
    """The path as one list of labels per pathway: ``[{"pathway", "labels"}]``."""
    by_pathway: dict[str, list[str]] = {}
    for step in path:
        by_pathway.setdefault(step.get("pathway", ""), []).append(step["label"])
    return [{"pathway": pathway, "labels": labels} for pathway, labels in by_pathway.items()]


#: Pathways the patient page draws (trees, path steps) at most: with few facts known, a large
#: library has thousands that may apply, and a page of a thousand trees helps no one.
PATHWAYS_SHOWN = 12


def shown_pathways(pathways: list, limit: int = PATHWAYS_SHOWN) -> tuple[list, str | None]:
    """The first ``limit`` pathways, and when more may apply, a note that says how many were left out.

    >>> shown_pathways(["a", "b", "c"], 2)
    (['a', 'b'], 'Showing the first 2 of 3 pathways that may apply: answer the open questions to narrow them, or draw any pathway on the Export page.')
    >>> shown_pathways(["a"], 2)
    (['a'], None)
    """
    if len(pathways) <= limit:
        return list(pathways), None
    return list(pathways[:limit]), (f"Showing the first {limit} of {len(pathways):,} pathways that may apply: answer "
                                    "the open questions to narrow them, or draw any pathway on the Export page.")


#: Decision nodes an open question names; the rest are counted.
DECIDES_SHOWN = 5


def ruled_out_text(result: Mapping, *, shown: int = 5) -> str | None:
    """Why no pathway applies, when none does: each pathway the facts rule out and the facts that
    did it (Markdown-safe); None when a pathway applies or none was ruled out.

    >>> print(ruled_out_text({"path": [], "ruled_out": [{"pathway": "https://w3id.org/guidegraph/kb/x/pathway",
    ...     "label": "X", "reasons": ["tacrolimus stopped is not stopped (needs abruptly or tapered)"]}]}))
    No pathway applies to these facts. X: tacrolimus stopped is not stopped (needs abruptly or tapered).
    """
    gone = result.get("ruled_out") or []
    if result.get("path") or not gone:
        return None
    parts = [f"{r['label']}: {'; '.join(r['reasons']) or 'its entry does not hold'}" for r in gone[:shown]]
    more = f" And {len(gone) - shown:,} more pathways." if len(gone) > shown else ""
    return md_escape("No pathway applies to these facts. " + ". ".join(parts) + "." + more)


def no_options_text(result: Mapping) -> str:
    """What the Options tab says when it lists nothing: answer the questions when some are open;
    otherwise there is nothing to answer, and saying "answer the open questions" would send the
    user looking for questions that are not there.

    >>> no_options_text({"questions": [{"fact": "severity"}], "path": [{}], "ruled_out": []})
    'No options yet: answer the open questions.'
    >>> no_options_text({"questions": [], "path": [], "ruled_out": [{"label": "X"}]})
    'No options: no pathway applies to these facts (see above).'
    >>> no_options_text({"questions": [], "path": [{}], "ruled_out": []})
    'No options: the pathways these facts lead through recommend nothing here.'
    """
    if result.get("questions"):
        return "No options yet: answer the open questions."
    if not result.get("path"):
        return "No options: no pathway applies to these facts (see above)."
    return "No options: the pathways these facts lead through recommend nothing here."


def unused_text(result: Mapping, form: PatientForm) -> str | None:
    """The given facts no applicable pathway asks about, by their labels (Markdown-safe), or None.

    >>> from graph.patient import PatientForm
    >>> form = PatientForm((FactSpec("meld", "MELD score", "?", "integer"),))
    >>> unused_text({"unused": ["meld"]}, form)
    'Not used by the pathways that apply (they do not ask about it): MELD score'
    """
    keys = result.get("unused") or []
    if not keys:
        return None
    names = ", ".join(form[k].label if k in form else k for k in keys)
    return md_escape(f"Not used by the pathways that apply (they do not ask about it): {names}")


def question_text(question: Mapping) -> str:
    """An open question with what it decides (Markdown-safe).

    >>> question_text({"question": "Has it flared?", "decides": ["Restart"], "opens": 3})
    'Has it flared? — decides: Restart (3 more statements)'
    >>> question_text({"question": "Which condition?", "decides": [f"Step {n}" for n in range(1, 41)]})
    'Which condition? — decides: Step 1; Step 2; Step 3; Step 4; Step 5 and 35 more decision nodes'
    """
    text = question["question"]
    decides = question.get("decides") or []
    if decides:
        # With few facts known, one question can decide a node in every pathway of a large library.
        more = len(decides) - DECIDES_SHOWN
        text += " — decides: " + "; ".join(decides[:DECIDES_SHOWN]) + (f" and {more:,} more decision nodes" if more > 0 else "")
    if question.get("opens"):
        count = question["opens"]
        text += f" ({count} more statement{'s' if count != 1 else ''})"
    return md_escape(text)


# ---------------------------------------------------------------- conflicts and consistency


def conflict_sides(conflict: Mapping, statements: Mapping[str, Mapping], titles: Mapping[str, str] | None = None) -> list[dict]:
    """Each value of a conflict beside its statement, for a side-by-side view.

    Parameters
    ----------
    conflict : ``Conflict.to_dict()``.
    statements : statement IRI to its item (``graph.recommend.statement_texts(kb, iris)``: text,
        section, source_text).
    titles : guideline id to title.

    Returns ``[{"value", "population", "quote", "guideline", "title", "section", "line", "text",
    "source_text", "statement"}]`` in the conflict's order.

    >>> conflict = {"values": [{"statement": "s", "guideline": "g", "line": 9, "low": 0.6, "high": 1,
    ...                         "unit": "ng/mL", "population": None, "quote": "0.6-1.0 ng/mL"}]}
    >>> side, = conflict_sides(conflict, {"s": {"text": "Keep troughs at 0.6-1.0 ng/mL", "section": "Monitoring"}})
    >>> side["value"], side["section"], side["title"]
    ('0.6–1 ng/mL', 'Monitoring', 'g')
    """
    titles = titles or {}
    sides = []
    for value in conflict["values"]:
        statement = statements.get(value["statement"]) or {}
        sides.append({
            "value": f"{range_text(value['low'], value['high'])} {value['unit']}",
            "population": value.get("population"),
            "quote": value.get("quote"),
            "guideline": value["guideline"],
            "title": titles.get(value["guideline"], value["guideline"]),
            "section": statement.get("section") or "",
            "line": value["line"],
            "text": statement.get("text") or "",
            "source_text": statement.get("source_text") or statement.get("text") or "",
            "statement": value["statement"],
        })
    return sides


#: A conflict with more values than this is shown as tables (its distinct values, then every
#: value with its source line) rather than as cards: a large library's conflict can gather a
#: thousand statements, and a thousand cards are a page no one can read.
CARDS_AT_MOST = 9


def value_summary(sides: Iterable[Mapping]) -> list[dict]:
    """The distinct values of a conflict's sides, in order of first appearance, with how many
    statements and guidelines give each.

    >>> value_summary([{"value": "6 ng/mL", "population": None, "guideline": "a"},
    ...                {"value": "6 ng/mL", "population": None, "guideline": "b"},
    ...                {"value": "4–6 ng/mL", "population": "adults", "guideline": "a"}])
    [{'value': '6 ng/mL', 'for': '', 'statements': 2, 'guidelines': 2}, {'value': '4–6 ng/mL', 'for': 'adults', 'statements': 1, 'guidelines': 1}]
    """
    found: dict[tuple, dict] = {}
    for side in sides:
        key = (side["value"], side.get("population") or "")
        entry = found.setdefault(key, {"value": key[0], "for": key[1], "statements": 0, "guidelines": set()})
        entry["statements"] += 1
        entry["guidelines"].add(side["guideline"])
    return [{**entry, "guidelines": len(entry["guidelines"])} for entry in found.values()]


def side_rows(sides: Iterable[Mapping]) -> list[dict]:
    """A conflict's sides as table rows: each value with its guideline, section, line and the line as written.

    >>> side_rows([{"value": "6 ng/mL", "population": None, "guideline": "a", "section": "Dosing", "line": 4,
    ...             "source_text": "- Aim for 6 ng/mL", "text": "Aim for 6 ng/mL"}])
    [{'guideline': 'a', 'value': '6 ng/mL', 'for': '', 'section': 'Dosing', 'line': 4, 'source line': 'Aim for 6 ng/mL'}]
    """
    return [
        {
            "guideline": side["guideline"], "value": side["value"], "for": side.get("population") or "",
            "section": side.get("section") or "", "line": side["line"],
            "source line": _BULLET.sub("", side.get("source_text") or side.get("text") or ""),
        }
        for side in sides
    ]


def unit_finding_rows(findings: Iterable[Mapping]) -> list[dict]:
    """Unit consistency findings as table rows: where, the two statements of the range, agreement."""
    return [
        {
            "guideline": f["guideline"],
            "line": f["line"],
            "analyte": f["analyte"],
            "as written": f"{range_text(f['low'], f['high'])} {f['unit']}",
            "also stated as": f"{range_text(f['stated_low'], f['stated_high'])} {f['stated_unit']}",
            "agree": {True: "yes", False: "NO", None: "not checked"}[f["agrees"]],
            "explanation": f["explanation"],
        }
        for f in findings
    ]


def finding_rows(report) -> list[dict]:
    """A validation report's findings as table rows, most severe first."""
    order = {"violation": 0, "warning": 1, "info": 2}
    findings = sorted(report.findings, key=lambda f: (order.get(f.severity, 3), f.guideline or "", f.line or 0))
    return [
        {"severity": f.severity, "where": f.where(), "message": f.message, "words": f.words or "", "rule": f.rule,
         "node": f.focus}
        for f in findings
    ]




# ---------------------------------------------------------------- the graph explorer


def node_choice(graph, iri: str) -> tuple[str, str, str] | None:
    """(type, label, IRI) of a node for the explorer's picker, or None when the graph has no such node.

    >>> from graph import KnowledgeBase
    >>> kb = KnowledgeBase.load(validate=False)
    >>> node_choice(kb.graph, "https://w3id.org/guidegraph/kb/drug/rituximab")
    ('drug', 'rituximab', 'https://w3id.org/guidegraph/kb/drug/rituximab')
    >>> node_choice(kb.graph, "https://example.org/nothing") is None
    True
    """
    from rdflib import URIRef

    from .explore import node_label, node_type

    node = URIRef(iri)
    if next(graph.predicate_objects(node), None) is None and next(graph.subject_predicates(node), None) is None:
        return None
    return node_type(graph, node)[0], node_label(graph, node), iri


def node_choice_text(choice: tuple[str, str, str]) -> str:
    """How the picker shows a node: its type and label.

    >>> node_choice_text(("drug", "rituximab", "https://w3id.org/guidegraph/kb/drug/rituximab"))
    'drug: rituximab'
    """
    return f"{choice[0]}: {choice[1]}"


# ---------------------------------------------------------------- the decision tree on the patient page


def decision_tree_dot(trees: list, path) -> str:
    """DOT of pathways' decision nodes with one patient's path highlighted, drawn left to right.

    Parameters
    ----------
    trees : :class:`graph.export.tree.Tree` objects, as ``library_trees`` reads them (the page
        reads them once per knowledge base: reading takes longer than drawing).
    path : the patient's :class:`graph.export.tree.PatientPath` (``patient_path(kb, facts)``).

    The statements a node makes applicable are left out: the page lists them beside the tree, and
    without them a 20-node tree fits a page column readably (the Export page draws the full tree).
    Drawn by :func:`graph.export.dot.to_dot`, so both views share one style; its legend node is
    dropped, since the page says the colours once for all trees.

    >>> from graph import KnowledgeBase
    >>> from graph.export.tree import library_trees, patient_path
    >>> kb = KnowledgeBase.load(validate=False)
    >>> trees = library_trees(kb, pathway="lupus-tacrolimus-rebound")
    >>> text = decision_tree_dot(trees, patient_path(kb, {"condition": "lupus_nephritis", "flare": True}))
    >>> text.startswith("digraph"), "rankdir=LR;" in text, "shape=note" in text, '"legend"' in text
    (True, True, False, False)
    """
    from dataclasses import replace

    from .export.dot import to_dot
    from .export.tree import highlight

    compact = [replace(tree, nodes=tuple(replace(node, statements=()) for node in tree.nodes)) for tree in trees]
    drawn = to_dot([highlight(tree, path) for tree in compact])
    lines = [line for line in drawn.rstrip().splitlines() if not line.startswith('  "legend" [')]
    # A later graph attribute overrides the earlier one: the tree reads left to right, one level a column.
    return "\n".join(lines[:-1] + ["  rankdir=LR;", "}"]) + "\n"


__all__ = [
    "md_escape", "number_text", "range_text", "citations_text", "library_rows", "reader_facets", "reader_html",
    "form_layout", "fact_question", "fact_choice_text", "form_value", "facts_text", "option_groups", "dose_text",
    "target_text", "source_text", "quoted_line", "item_markdown", "item_caption", "decided_why_not",
    "conflicts_by_statement", "value_summary", "side_rows", "CARDS_AT_MOST", "path_steps", "shown_pathways", "PATHWAYS_SHOWN", "question_text", "ruled_out_text", "unused_text", "conflict_sides", "unit_finding_rows", "finding_rows",
    "no_options_text", "node_choice", "node_choice_text", "decision_tree_dot", "KIND_COLOURS", "LINE_OF_THERAPY_TITLES", "UNIT_WORDS",
]
