"""A decision pathway as a diagram a guideline team can publish.

The model every diagram writer draws (``dot``, ``mermaid``, ``html``): decision nodes as questions,
branches labelled with their criteria in words, the statements each node makes applicable with their
kind, source line, reference numbers, drugs and doses, a legend, and, for one patient, the path taken
(other nodes and branches greyed). The writers never read RDF; this module does.

The decision layer comes from :mod:`graph.pathway` (``load_pathways``: each pathway as a networkx
DAG, nodes in topological and document order, criteria parsed) and the statements from
:mod:`graph.recommend` (``read_statements``: the result items ``recommend`` shows), so a diagram
shows exactly what the engine walks. This module adds the criteria in words and the layout model.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Iterable, Iterator, Mapping

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS

from ..catalogue import catalogue_of, checked_iri
from ..errors import InputError
from ..pathway import ORDER_SIGNS, Criterion, Pathway, load_pathways
from ..patient import FactSpec, PatientForm, patient_form
from ..units import describe_frequency

#: Widest line, in characters, of a wrapped decision-node label and of a statement line.
LABEL_WIDTH = 34
STATEMENT_WIDTH = 46
BRANCH_WIDTH = 30

#: What every published diagram says about itself.
SAFETY_NOTE = "Options from named sources for a clinician to check; never orders."
SOURCE_NOTE = ("[n]: the guideline's reference numbers; line: the source line of the statement; "
               "⚠: the sources disagree on this number, and guidegraph does not pick one.")
DISPUTE_COLOUR = "#b00020"  # the "⚠ sources disagree" lines, in every writer that has colour

#: One colour scheme for every writer, so a DOT, Mermaid and HTML diagram of a tree look alike.
COLOURS = {
    "decision": {"fill": "#e8f0fa", "stroke": "#2f5d8a", "font": "#1b2b3a"},
    "statements": {"fill": "#fff8e1", "stroke": "#a8892c", "font": "#2b2410"},
    "path": {"fill": "#fde7e4", "stroke": "#c0392b", "font": "#1b1b1b"},
    "off": {"fill": "#f3f3f3", "stroke": "#bdbdbd", "font": "#9e9e9e"},
    # Not decided yet: a fact it needs is unknown. Drawn dashed, never as "not taken".
    "undecided": {"fill": "#ffffff", "stroke": "#6b6b6b", "font": "#3a3a3a"},
    "branch": {"stroke": "#4a4a4a", "font": "#303030"},
    "taken": {"stroke": "#c0392b", "font": "#c0392b"},
    "not-taken": {"stroke": "#cfcfcf", "font": "#b0b0b0"},
}
#: The legend's words for the undecided style (every writer draws it dashed).
UNDECIDED_NOTE = "not decided yet: a fact it needs is not known (see the open questions)"

_ORDER_CODES = {"lessThan": "<", "lessOrEqual": "<=", "greaterThan": ">", "greaterOrEqual": ">="}


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class DoseLine:
    """One dose as a statement gives it."""

    drug: str | None
    low: Decimal
    high: Decimal
    unit: str
    route: str | None = None
    basis: str | None = None
    frequency: str | None = None
    comparator: str | None = None
    taper_step: bool = False
    quote: str | None = None

    def words(self) -> str:
        """The dose in one line.

        >>> DoseLine("prednisone", Decimal("0.5"), Decimal("1"), "mg/kg/d").words()
        'prednisone 0.5–1 mg/kg/d'
        >>> DoseLine("prednisone", Decimal(10), Decimal(10), "mg", frequency="1/mo", taper_step=True).words()
        'prednisone taper step 10 mg once monthly'
        >>> DoseLine("prednisone", Decimal(30), Decimal(30), "mg/d", comparator="<").words()
        'prednisone < 30 mg/d'
        """
        amount = number_text(self.low) if self.low == self.high else f"{number_text(self.low)}–{number_text(self.high)}"
        parts = [self.drug or "(drug not named)"]
        if self.taper_step:
            parts.append("taper step")
        if self.comparator:
            parts.append(self.comparator)
        parts.append(f"{amount} {self.unit}")
        if self.frequency:
            parts.append(describe_frequency(self.frequency))
        if self.route:
            parts.append(self.route)
        if self.basis:
            parts.append(f"({self.basis})")
        return " ".join(parts)


@dataclass(frozen=True)
class StatementLine:
    """A statement a decision node makes applicable, with what a reader checks it by."""

    iri: str
    kind: str
    text: str
    guideline: str
    line: int
    citations: tuple[int, ...]
    line_of_therapy: str | None
    drugs: tuple[str, ...]
    doses: tuple[DoseLine, ...]
    section: str = ""
    disputes: tuple[str, ...] = ()  # a line per conflict the statement is in (graph.conflicts.dispute_text)

    def heading(self) -> str:
        """Kind, line of therapy, source line and reference numbers.

        >>> StatementLine("x", "recommendation", "t", "g", 19, (1, 3), "first-line", (), ()).heading()
        'Recommendation, first-line · line 19 [1, 3]'
        >>> StatementLine("x", "pitfall", "t", "g", 4, (), None, (), ()).heading()
        'Pitfall · line 4 (uncited)'
        """
        kind = self.kind.capitalize() + (f", {self.line_of_therapy}" if self.line_of_therapy else "")
        refs = f"[{', '.join(map(str, self.citations))}]" if self.citations else "(uncited)"
        return f"{kind} · line {self.line} {refs}"


@dataclass(frozen=True)
class TreeNode:
    """A decision node. ``state`` is None without a patient, else "path", "undecided" (a fact
    that decides whether the patient gets there is unknown) or "off" (not reached)."""

    key: str
    iri: str
    label: str
    question: str | None
    statements: tuple[StatementLine, ...]
    depth: int
    state: str | None = None

    @property
    def statements_key(self) -> str:
        """Key of the box that lists this node's statements in a diagram."""
        return f"{self.key}__s"


@dataclass(frozen=True)
class TreeBranch:
    """A branch: from ``source`` to ``target`` (node keys) when ``criterion`` (in words) holds.

    ``expression`` is the criterion over fact keys (see :func:`criterion_expression`);
    ``state`` is None without a patient, else "taken", "undecided" (its criterion, or one above it,
    waits for an unknown fact) or "not-taken".
    """

    iri: str
    source: str
    target: str
    criterion: str
    label: str | None
    expression: str = ""
    state: str | None = None


@dataclass(frozen=True)
class Tree:
    """One pathway, ready to draw."""

    iri: str
    id: str
    title: str
    sources: tuple[tuple[str, str], ...]
    entry: str
    nodes: tuple[TreeNode, ...]
    branches: tuple[TreeBranch, ...]
    patient: bool = False

    def node(self, key: str) -> TreeNode:
        return next(n for n in self.nodes if n.key == key)

    def source(self) -> str:
        """The guidelines the pathway is curated from, as a diagram names them."""
        names = [f"{title} ({doc_id})" if title else doc_id for doc_id, title in self.sources]
        return "Source: " + ("; ".join(names) if names else "not stated")

    def legend(self) -> list[tuple[str, str]]:
        """(style, words) pairs; the style names a key of :data:`COLOURS`."""
        entries = [
            ("decision", "decision node: a question about the patient"),
            ("statements", "statements the node makes applicable: kind, source line, [references], drug and dose"),
            ("branch", "branch: followed when its criteria hold"),
        ]
        if self.patient:
            entries += [("path", "this patient's path"), ("undecided", UNDECIDED_NOTE),
                        ("off", "not reached or not taken for this patient")]
        return entries


@dataclass(frozen=True)
class PatientPath:
    """Where one patient's traversal went: the nodes reached (IRIs, in order) and the branches
    taken (IRIs). Without ``branches``, a branch counts as taken when both its ends were reached.
    ``undecided_branches`` and ``undecided_nodes``: what waits for an unknown fact
    (:func:`graph.pathway.undecided`), drawn apart from what the facts rule out."""

    nodes: tuple[str, ...]
    branches: frozenset[str] | None = None
    undecided_branches: frozenset[str] = frozenset()
    undecided_nodes: frozenset[str] = frozenset()

    @classmethod
    def from_result(cls, result, branches: frozenset[str] | None = None) -> "PatientPath":
        """From a ``recommend`` result (object or its ``to_dict()``): ``path`` is [{"node", "label"}]."""
        data = result.to_dict() if hasattr(result, "to_dict") else result
        return cls(tuple(str(step["node"]) for step in data.get("path", [])), branches)

    def took(self, branch: str, source: str, target: str) -> bool:
        """Whether the traversal followed this branch (IRIs of the branch and its ends).

        >>> PatientPath(("a", "b")).took("a-b", "a", "b"), PatientPath(("a", "b"), frozenset()).took("a-b", "a", "b")
        (True, False)
        """
        if self.branches is not None:
            return branch in self.branches
        return source in self.nodes and target in self.nodes


# ---------------------------------------------------------------- text helpers


def number_text(value) -> str:
    """A decimal without trailing zeros.

    >>> number_text(Decimal("2.50")), number_text(Decimal("60")), number_text(Decimal("1E+2"))
    ('2.5', '60', '100')
    """
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters (long words are broken too).

    >>> wrap("Has the disease flared since tacrolimus was stopped?", 20)
    ['Has the disease', 'flared since', 'tacrolimus was', 'stopped?']
    """
    return textwrap.wrap(" ".join(str(text).split()), width=width, break_long_words=True, break_on_hyphens=True) or [""]


def node_lines(node: TreeNode) -> list[str]:
    """The wrapped lines of a decision node's label (the question is drawn separately)."""
    return wrap(node.label, LABEL_WIDTH)


def question_lines(node: TreeNode) -> list[str]:
    return wrap(node.question, LABEL_WIDTH) if node.question else []


def statement_lines(statement: StatementLine) -> list[tuple[str, str]]:
    """(style, line) pairs for one statement: "heading", "text", "dose" or "dispute" lines, each
    wrapped. A diagram shows a disagreement beside each number in it, as the app does."""
    lines = [("heading", line) for line in wrap(statement.heading(), STATEMENT_WIDTH)]
    lines += [("text", line) for line in wrap(statement.text, STATEMENT_WIDTH)]
    for dose in statement.doses:
        lines += [("dose", line) for line in wrap("▸ " + dose.words(), STATEMENT_WIDTH)]
    for dispute in statement.disputes:
        lines += [("dispute", line) for line in wrap("⚠ " + dispute, STATEMENT_WIDTH)]
    return lines


def branch_lines(branch: TreeBranch) -> list[str]:
    return wrap(branch.criterion, BRANCH_WIDTH)


def diagram_key(text: str) -> str:
    """An identifier every diagram language accepts: letters, digits and underscores.

    >>> diagram_key("lupus-tacrolimus-rebound/pathway/flare.2")
    'lupus_tacrolimus_rebound_pathway_flare_2'
    """
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "node"


# ---------------------------------------------------------------- criteria in words


def _plain(value):
    """A criterion value as the patient form describes it: Decimal as int or float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _spec(form: PatientForm | None, key: str) -> FactSpec:
    if form is not None and key in form:
        return form[key]
    return FactSpec(key, key.replace("_", " "), key, "choice")


def _listed(values: tuple, spec: FactSpec) -> list:
    """Values in the order the fact lists its options (the form's order), others after."""
    return [v for v in spec.options if v in values] + [v for v in values if v not in spec.options]


def criterion_words(criterion: Criterion, form: PatientForm | None = None, *, nested: bool = False) -> str:
    """A criterion in words a reader checks against the patient, with the facts' labels and values
    as the patient form shows them.

    Examples
    --------
    >>> severe = Criterion("in", fact="severity", values=("organ_threatening", "severe"))
    >>> heavy = Criterion("greaterOrEqual", fact="weight_kg", values=(Decimal(40),))
    >>> criterion_words(Criterion("allOf", parts=(severe, heavy)))
    '(severity: organ threatening or severe) and weight kg ≥ 40'
    >>> criterion_words(Criterion("not", parts=(Criterion("isTrue", fact="flare"),)))
    'not (flare: yes)'
    """
    if criterion.fact is None:
        if criterion.operator == "not":
            return f"not ({criterion_words(criterion.parts[0], form)})" if criterion.parts else "(unreadable criterion)"
        if not criterion.parts:
            return "(unreadable criterion: never holds)"  # graph.pathway reads a broken criterion so
        joiner = " and " if criterion.operator == "allOf" else " or "
        words = joiner.join(criterion_words(part, form, nested=True) for part in criterion.parts)
        return f"({words})" if nested and len(criterion.parts) > 1 else words
    spec = _spec(form, criterion.fact)
    values = _listed(criterion.values, spec)
    if criterion.operator == "isTrue":
        return f"{spec.label}: yes"
    if criterion.operator == "isFalse":
        return f"{spec.label}: no"
    if criterion.operator in ORDER_SIGNS:
        amount = spec.describe(_plain(values[0])) if values else "?"
        return f"{spec.label} {ORDER_SIGNS[criterion.operator]} {amount}"
    words = " or ".join(spec.describe(_plain(v)) for v in values) or "?"
    words = f"{spec.label}: not {words}" if criterion.operator == "notEquals" else f"{spec.label}: {words}"
    return f"({words})" if nested and len(values) > 1 else words


def _code(value) -> str:
    value = _plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def criterion_expression(criterion: Criterion) -> str:
    """A criterion over the patient-fact keys, as the text of a FHIR applicability condition.

    >>> flare = Criterion("isTrue", fact="flare")
    >>> mild = Criterion("equals", fact="severity", values=("mild",))
    >>> criterion_expression(Criterion("anyOf", parts=(flare, Criterion("not", parts=(mild,)))))
    "(flare is true) or (not (severity = 'mild'))"
    """
    if criterion.fact is None:
        if criterion.operator == "not":
            return f"not ({criterion_expression(criterion.parts[0])})" if criterion.parts else "false"
        if not criterion.parts:
            return "false"
        joiner = " and " if criterion.operator == "allOf" else " or "
        return joiner.join(f"({criterion_expression(part)})" for part in criterion.parts)
    key, op = criterion.fact, criterion.operator
    values = [_code(v) for v in sorted(criterion.values, key=str)]
    if op in ("isTrue", "isFalse"):
        return f"{key} is {'true' if op == 'isTrue' else 'false'}"
    if op == "in":
        return f"{key} in ({', '.join(values)})"
    sign = {"equals": "=", "notEquals": "!=", **_ORDER_CODES}.get(op, "?")
    return f"{key} {sign} {values[0] if values else '?'}"


# ---------------------------------------------------------------- reading the library


#: Pathway ids an error about an unknown one lists.
FEW_IDS = 20

_QUERY_PREFIXES = """PREFIX gg: <https://w3id.org/guidegraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
_IDS_QUERY = _QUERY_PREFIXES + "SELECT ?p ?id WHERE { ?p a gg:Pathway ; dcterms:identifier ?id }"
_QUESTIONS_QUERY = _QUERY_PREFIXES + "SELECT ?node ?question WHERE { VALUES ?node { %s } ?node gg:question ?question }"
BATCH = 500  # IRIs or ids per VALUES block


def _text(graph: Graph, subject, predicate) -> str | None:
    value = graph.value(subject, predicate) if subject is not None else None
    return None if value is None else str(value)


def pathway_id(graph: Graph, pathway: URIRef | str) -> str:
    """The id a user names a pathway by: its dcterms:identifier, else the IRI's guideline segment.

    >>> pathway_id(Graph(), URIRef("https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound/pathway"))
    'lupus-tacrolimus-rebound'
    """
    return _text(graph, URIRef(str(pathway)), DCTERMS.identifier) or _id_in_iri(str(pathway))


def _id_in_iri(pathway: str) -> str:
    path = pathway.rstrip("/")
    if path.endswith("/pathway"):
        path = path[: -len("/pathway")]
    return path.rsplit("/", 1)[-1]


def pathway_ids(graph: Graph, iris: Iterable[str]) -> dict[str, str]:
    """:func:`pathway_id` of each of these pathways, from one query (not one lookup each).

    >>> pathway_ids(Graph(), ["https://w3id.org/guidegraph/kb/x/pathway"])
    {'https://w3id.org/guidegraph/kb/x/pathway': 'x'}
    """
    iris = list(iris)
    named = {str(row.p): str(row.id) for row in graph.query(_IDS_QUERY)} if iris else {}
    return {iri: named.get(iri) or _id_in_iri(iri) for iri in iris}


def find_pathway(pathways: Iterable[str], graph: Graph, pathway: str) -> str:
    """The IRI of the pathway a user names by id or IRI; an unknown one is an input error naming
    some of the ids (a large library has thousands)."""
    ids = pathway_ids(graph, pathways)
    for iri, name in ids.items():
        if pathway in (iri, name):
            return iri
    known = list(ids.values())
    shown = ", ".join(known[:FEW_IDS]) or "none"
    more = f" and {len(known) - FEW_IDS:,} more" if len(known) > FEW_IDS else ""
    raise InputError(f"no pathway {pathway!r}; the library has: {shown}{more}")


def dose_line(dose: dict) -> DoseLine:
    """A dose of a ``read_statements`` item."""
    return DoseLine(
        drug=dose.get("drug"),
        low=Decimal(str(dose["low"])),
        high=Decimal(str(dose["high"])),
        unit=dose["unit"],
        route=dose.get("route"),
        basis=dose.get("basis"),
        frequency=dose.get("frequency"),
        comparator=dose.get("comparator"),
        taper_step=bool(dose.get("taper_step")),
        quote=dose.get("quote"),
    )


def statement_line(item: dict, disputes: tuple[str, ...] = ()) -> StatementLine:
    """A statement from its ``read_statements`` item (the shape of a recommend result item)."""
    return StatementLine(
        iri=item["id"],
        kind=item["kind"],
        text=item["text"],
        guideline=item["guideline"],
        line=item["line"],
        citations=tuple(item["citations"]),
        line_of_therapy=item.get("line_of_therapy"),
        drugs=tuple(item.get("drugs", ())),
        doses=tuple(dose_line(d) for d in item.get("doses", ())),
        section=item.get("section") or "",
        disputes=disputes,
    )


def _node_keys(pathway_name: str, pathway: str, nodes: list[str]) -> dict[str, str]:
    """Readable keys, unique across pathways: the pathway id and the node IRI's last segments."""
    prefix = diagram_key(pathway_name)
    keys: dict[str, str] = {}
    for node in nodes:
        tail = node[len(pathway):] if node.startswith(pathway) else node.rsplit("/", 1)[-1]
        key, n = f"{prefix}__{diagram_key(tail)}", 2
        candidate = key
        while candidate in keys.values():
            candidate, n = f"{key}_{n}", n + 1
        keys[node] = candidate
    return keys


def _depths(pathway: Pathway) -> dict[str, int]:
    """Each node's level: its longest distance from the entry, so every branch points down a level
    or more, also where two branches lead to one node."""
    depth = {iri: 0 for iri in pathway.order()}
    for iri in pathway.order():
        for branch in pathway.branches_from(iri):
            depth[branch.target] = max(depth[branch.target], depth[iri] + 1)
    return depth


@dataclass(frozen=True)
class TreeTexts:
    """What trees show beyond the decision graphs and statements, read once for all the trees
    drawn: pathway ids, the nodes' questions and the source guidelines' titles."""

    ids: dict[str, str]
    questions: dict[str, str]
    titles: dict[str, str]


def tree_texts(graph: Graph, pathways: list[Pathway], statements: dict[str, dict]) -> TreeTexts:
    """The texts of these pathways' trees, by a few queries whatever the library's size."""
    from ..recommend import guideline_titles

    nodes = [iri for p in pathways for iri in p.order()]
    questions: dict[str, str] = {}
    for batch in _batches([f"<{checked_iri(iri)}>" for iri in nodes]):
        questions.update((str(row.node), str(row.question)) for row in graph.query(_QUESTIONS_QUERY % batch))
    return TreeTexts(ids=pathway_ids(graph, [p.iri for p in pathways]), questions=questions,
                     titles=guideline_titles(graph))


def _batches(terms: list[str]) -> Iterator[str]:
    for start in range(0, len(terms), BATCH):
        yield " ".join(terms[start : start + BATCH])


def _sources(pathway: Pathway, nodes: list[TreeNode], titles: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """(id, title) of the guidelines a pathway is curated from: its gg:guideline, else those of the
    statements it recommends."""
    ids = [pathway.guideline] if pathway.guideline else sorted({s.guideline for n in nodes for s in n.statements})
    return tuple((doc_id, titles.get(doc_id, "")) for doc_id in ids if doc_id)


def tree_of(pathway: Pathway, statements: dict[str, dict], form: PatientForm, texts: TreeTexts,
            disputes: Mapping[str, tuple[str, ...]] | None = None) -> Tree:
    """One pathway as a tree to draw (``texts``: :func:`tree_texts` of the trees drawn together;
    ``disputes``: :func:`graph.conflicts.disputes_by_statement`)."""
    disputes = disputes or {}
    order = pathway.order()
    keys = _node_keys(texts.ids[pathway.iri], pathway.iri, order)
    depth = _depths(pathway)
    nodes = []
    for iri in order:
        node = pathway.node(iri)
        nodes.append(
            TreeNode(
                key=keys[iri],
                iri=iri,
                label=node.label,
                question=texts.questions.get(iri),
                statements=tuple(statement_line(statements[s], disputes.get(s, ())) for s in node.recommends if s in statements),
                depth=depth[iri],
            )
        )
    branches = tuple(
        TreeBranch(
            iri=b.iri,
            source=keys[b.source],
            target=keys[b.target],
            criterion=criterion_words(b.criterion, form),
            label=b.label,
            expression=criterion_expression(b.criterion),
        )
        for b in pathway.branches()
    )
    return Tree(
        iri=pathway.iri,
        id=texts.ids[pathway.iri],
        title=pathway.label,
        sources=_sources(pathway, nodes, texts.titles),
        entry=keys[pathway.entry],
        nodes=tuple(nodes),
        branches=branches,
    )


def highlight(tree: Tree, path: PatientPath) -> Tree:
    """The tree with one patient's path marked, what waits for an unknown fact marked undecided,
    and everything else greyed."""
    iri_of = {node.key: node.iri for node in tree.nodes}

    def node_state(iri: str) -> str:
        if iri in path.nodes:
            return "path"
        return "undecided" if iri in path.undecided_nodes else "off"

    def branch_state(branch: TreeBranch) -> str:
        if path.took(branch.iri, iri_of[branch.source], iri_of[branch.target]):
            return "taken"
        return "undecided" if branch.iri in path.undecided_branches else "not-taken"

    nodes = tuple(replace(n, state=node_state(n.iri)) for n in tree.nodes)
    branches = tuple(replace(b, state=branch_state(b)) for b in tree.branches)
    return replace(tree, nodes=nodes, branches=branches, patient=True)


# ---------------------------------------------------------------- entry points


def pathway_trees(graph: Graph, *, pathway: str | None = None, path: PatientPath | None = None) -> list[Tree]:
    """The trees to draw from a graph: one pathway (by id or IRI) or all, highlighted for a patient
    when a path is given. Every pathway is built first; :func:`library_trees` reads only the one
    named from a loaded knowledge base.

    With a path and no pathway named, only the pathways the path goes through are drawn (all of
    them, greyed, when it enters none: a patient whose entry question is unanswered).
    """
    from ..conflicts import disputes_by_statement, find_conflicts
    from ..recommend import read_statements

    pathways = load_pathways(graph)
    chosen = list(pathways.values()) if pathway is None else [pathways[find_pathway(pathways, graph, pathway)]]
    statements = read_statements(graph, iris=_recommended(chosen))
    return _drawn(graph, chosen, statements, patient_form(graph), path=path, every=pathway is None,
                  disputes=disputes_by_statement(find_conflicts(graph)))


def library_trees(kb, *, pathway: str | None = None, path: PatientPath | None = None) -> list[Tree]:
    """:func:`pathway_trees` for a loaded knowledge base, from the decision graphs and statement
    items ``recommend`` keeps: one pathway of a large library is drawn without reading the others,
    on every store (a SPARQL server's criteria, blank nodes, come with the catalogue's copy)."""
    from ..conflicts import disputes_by_statement
    from ..recommend import patient_form_of, statement_items

    catalogue = catalogue_of(kb)
    if pathway is None:
        chosen = list(catalogue.all().values())
    else:
        iri = find_pathway(catalogue.iris(), kb.graph, pathway)
        chosen = [p for p in catalogue.pathways([iri]) if p is not None]
        if not chosen:
            raise InputError(f"pathway {pathway!r} cannot be drawn: its decision graph is not valid "
                             "(guidegraph validate says why)")
    statements = statement_items(kb, _recommended(chosen))
    return _drawn(kb.graph, chosen, statements, patient_form_of(kb), path=path, every=pathway is None,
                  disputes=disputes_by_statement(kb.conflicts))


def _recommended(pathways: list[Pathway]) -> list[str]:
    return sorted({s for p in pathways for iri in p.order() for s in p.node(iri).recommends})


def _drawn(graph: Graph, chosen: list[Pathway], statements: dict[str, dict], form: PatientForm, *,
           path: PatientPath | None, every: bool, disputes: Mapping[str, tuple[str, ...]]) -> list[Tree]:
    if not chosen:
        raise InputError("the library has no pathways (guidelines/*.pathway.ttl) to draw")
    texts = tree_texts(graph, chosen, statements)
    trees = [tree_of(p, statements, form, texts, disputes) for p in chosen]
    if path is None:
        return trees
    trees = [highlight(tree, path) for tree in trees]
    if every:
        touched = [t for t in trees if any(n.state == "path" for n in t.nodes)]
        trees = touched or trees
    return trees


def patient_path(kb, facts: dict) -> PatientPath:
    """The path ``kb.recommend`` takes for these facts: its nodes, and the branches the engine's
    traversal followed to reach them."""
    from ..patient import check_facts
    from ..pathway import traverse, undecided
    from ..recommend import patient_form_of

    result = kb.recommend(facts)
    form = patient_form_of(kb)
    patient = check_facts(facts, form)
    # Only the pathways whose entry can hold take a branch: the others are not walked, as in recommend.
    traversals = [traverse(p, patient, form) for p in catalogue_of(kb).candidates(patient)]
    taken = frozenset(b.iri for t in traversals for b in t.taken)
    open_branches: set[str] = set()
    open_nodes: set[str] = set()
    for traversal in traversals:
        if traversal.entry_value is False:
            continue
        branches, nodes = undecided(traversal, patient, form)
        open_branches |= branches
        open_nodes |= nodes
    base = PatientPath.from_result(result, taken)
    return replace(base, undecided_branches=frozenset(open_branches), undecided_nodes=frozenset(open_nodes))


#: Diagram formats: what ``export_tree`` returns for each (text or bytes) and whether it needs Graphviz.
TREE_FORMATS = {
    "dot": "text",
    "mermaid": "text",
    "html": "text",
    "svg": "graphviz",
    "png": "graphviz",
    "pdf": "graphviz",
}


def check_tree_format(fmt: str, *, to_file: bool = True) -> None:
    """Refuse, before any work, an unknown diagram format, or a drawn one (svg, png, pdf) when
    Graphviz is missing or when there is no file to write it to.

    The refusal names the drawing, not its bytes: png and pdf are binary but svg is text.

    >>> check_tree_format("svg", to_file=False)
    Traceback (most recent call last):
    ...
    graph.errors.InputError: --format svg (a Graphviz drawing) is written to a file only, not to standard output: name it with -o FILE
    """
    if fmt not in TREE_FORMATS:
        raise InputError(f"unknown diagram format {fmt!r}; use one of: {', '.join(TREE_FORMATS)}")
    if TREE_FORMATS[fmt] == "graphviz" and not to_file:
        raise InputError(f"--format {fmt} (a Graphviz drawing) is written to a file only, not to standard output: "
                         "name it with -o FILE")
    if TREE_FORMATS[fmt] == "graphviz":
        from .dot import dot_program

        dot_program()


def export_tree(kb, *, fmt: str, pathway: str | None = None, facts: dict | None = None) -> str | bytes:
    """A diagram of one pathway or all, optionally with a patient's path highlighted.

    Parameters
    ----------
    kb : a loaded KnowledgeBase.
    fmt : one of :data:`TREE_FORMATS`; svg, png and pdf run Graphviz ``dot`` and return bytes.
    pathway : a pathway id or IRI; None draws every pathway.
    facts : patient facts; the path ``kb.recommend(facts)`` takes is highlighted.

    Raises
    ------
    InputError
        Unknown format or pathway; Graphviz missing for svg, png or pdf.
    """
    check_tree_format(fmt)
    path = patient_path(kb, facts) if facts is not None else None
    trees = library_trees(kb, pathway=pathway, path=path)
    if fmt == "mermaid":
        from .mermaid import to_mermaid

        return to_mermaid(trees)
    if fmt == "html":
        from .html import to_html

        return to_html(trees)
    from .dot import render_dot, to_dot

    text = to_dot(trees)
    return text if fmt == "dot" else render_dot(text, fmt=fmt)
