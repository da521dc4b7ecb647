"""Decision pathways: the curated decision layer as networkx graphs, three-valued criteria, traversal.

A pathway (``gg:Pathway``) is a directed acyclic graph of decision nodes; a branch leads from one node
to another when its criterion holds for the patient. Criteria are evaluated with three values:
True, False and None (unknown, because a fact they need is absent). ``allOf``, ``anyOf`` and ``not``
follow Kleene's logic, so an unknown fact decides nothing unless the other operands already do
(``anyOf`` with one true operand is true; ``allOf`` with one false operand is false).

Traversal starts at the entry, follows EVERY branch whose criterion is true, never one that is false
or unknown, and records why: the words of the criteria that held, the alternatives that did not
apply, and the facts that block the branches still undecided.

The structural checks SHACL cannot express (acyclic, every node reachable from the entry, no
dangling reference) are here too, as rules for :func:`graph.validate.validate_graph`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Mapping

import networkx as nx
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from .patient import FactSpec, PatientForm
from .validate import Finding
from .vocab import GG

# Operators by local name, as the vocabulary declares them.
OPERATORS = ("equals", "notEquals", "in", "lessThan", "lessOrEqual", "greaterThan", "greaterOrEqual", "isTrue", "isFalse")
ORDER_SIGNS = {"lessThan": "<", "lessOrEqual": "≤", "greaterThan": ">", "greaterOrEqual": "≥"}


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class Criterion:
    """A condition over patient facts: a comparison (``fact``, ``operator``, ``values``) or a
    combination (``operator`` "allOf", "anyOf" or "not" over ``parts``)."""

    operator: str
    fact: str | None = None
    values: tuple = ()
    parts: tuple["Criterion", ...] = ()

    def facts(self) -> set[str]:
        """Every fact key the criterion reads."""
        if self.fact is not None:
            return {self.fact}
        return set().union(*(part.facts() for part in self.parts)) if self.parts else set()


@dataclass(frozen=True)
class Branch:
    iri: str
    label: str
    source: str
    target: str
    criterion: Criterion


@dataclass(frozen=True)
class Node:
    iri: str
    label: str
    recommends: tuple[str, ...]
    order: int = 0  # the earliest source line the node recommends: siblings read in document order


@dataclass(frozen=True)
class Pathway:
    """One pathway: its nodes and branches as a networkx DiGraph.

    Nodes of ``digraph`` are node IRIs with attribute ``node`` (a :class:`Node`); each edge carries
    ``branches``, the list of :class:`Branch` between the two nodes.
    """

    iri: str
    label: str
    guideline: str | None
    entry: str
    digraph: nx.DiGraph = field(compare=False, repr=False)

    def node(self, iri: str) -> Node:
        return self.digraph.nodes[iri]["node"]

    def branches_from(self, iri: str) -> list[Branch]:
        """The branches leaving a node, in the document order of their targets."""
        found = [b for _, _, data in self.digraph.out_edges(iri, data=True) for b in data["branches"]]
        return sorted(found, key=lambda b: (self.node(b.target).order, b.target, b.iri))

    def branches(self) -> list[Branch]:
        return [b for source in self.order() for b in self.branches_from(source)]

    def order(self) -> list[str]:
        """Node IRIs in topological order, siblings in document order."""
        return list(nx.lexicographical_topological_sort(self.digraph, key=lambda n: (self.node(n).order, n)))

    def statements_below(self, iri: str) -> set[str]:
        """The statements a node and everything reachable from it recommend."""
        reach = nx.descendants(self.digraph, iri) | {iri}
        return {s for n in reach for s in self.node(n).recommends}


# ---------------------------------------------------------------- as plain data (saved with a build)


def pathway_data(pathway: Pathway) -> dict:
    """A decision graph as JSON data that :func:`pathway_from_data` reads back, node and edge order
    kept: a persistent store saves its pathways so that opening it never rebuilds them.

    Raises ValueError for a criterion value JSON cannot carry exactly (such a pathway is not saved).

    >>> from graph import KnowledgeBase
    >>> from graph.catalogue import catalogue_of
    >>> pathway = next(iter(catalogue_of(KnowledgeBase.load(validate=False)).all().values()))
    >>> again = pathway_from_data(pathway_data(pathway))
    >>> pathway_data(again) == pathway_data(pathway), again.branches() == pathway.branches()
    (True, True)
    """
    nodes = [pathway.node(iri) for iri in pathway.digraph.nodes]
    return {
        "iri": pathway.iri,
        "label": pathway.label,
        "guideline": pathway.guideline,
        "entry": pathway.entry,
        "nodes": [[n.iri, n.label, list(n.recommends), n.order] for n in nodes],
        "edges": [[source, target, [[b.iri, b.label, _criterion_data(b.criterion)] for b in data["branches"]]]
                  for source, target, data in pathway.digraph.edges(data=True)],
    }


def pathway_from_data(data: dict) -> Pathway:
    """The :class:`Pathway` that :func:`pathway_data` wrote."""
    digraph = nx.DiGraph()
    for iri, label, recommends, order in data["nodes"]:
        digraph.add_node(iri, node=Node(iri, label, tuple(recommends), order))
    for source, target, branches in data["edges"]:
        items = [Branch(iri, label, source, target, _criterion_from_data(when)) for iri, label, when in branches]
        digraph.add_edge(source, target, branches=items)
    return Pathway(iri=data["iri"], label=data["label"], guideline=data["guideline"], entry=data["entry"],
                   digraph=digraph)


# A criterion value as [type, JSON value]: JSON alone would turn Decimal("0.5") into a float and
# cannot tell an IRI from a string.
_VALUE_TYPES = {"str": str, "bool": bool, "int": int, "float": float, "decimal": Decimal, "iri": URIRef}


def _criterion_data(criterion: Criterion) -> dict:
    data: dict = {"op": criterion.operator}
    if criterion.fact is not None:
        data["fact"] = criterion.fact
    if criterion.values:
        data["values"] = [_value_data(v) for v in criterion.values]
    if criterion.parts:
        data["parts"] = [_criterion_data(part) for part in criterion.parts]
    return data


def _criterion_from_data(data: dict) -> Criterion:
    return Criterion(data["op"], fact=data.get("fact"),
                     values=tuple(_VALUE_TYPES[kind](value) for kind, value in data.get("values", ())),
                     parts=tuple(_criterion_from_data(part) for part in data.get("parts", ())))


def _value_data(value) -> list:
    kind = next((name for name, cls in _VALUE_TYPES.items() if type(value) is cls), None)
    if kind is None:
        raise ValueError(f"a criterion value of type {type(value).__name__} cannot be saved as JSON")
    return [kind, str(value) if kind in ("decimal", "iri") else value]


def load_pathways(graph: Graph) -> dict[str, Pathway]:
    """Every well-formed pathway of a graph as a :class:`Pathway`, by IRI, sorted by guideline id.

    A pathway whose decision layer has a cycle is left out: ``validate`` reports it
    (rule ``pathway-acyclic``), and the engine never loops.
    """
    lines = _source_lines(graph)
    pathways = {}
    for iri in sorted(set(graph.subjects(RDF.type, GG.Pathway)), key=str):
        entry = graph.value(iri, GG.entry)
        if entry is None:
            continue
        digraph = _decision_graph(graph, entry, lines)
        if not nx.is_directed_acyclic_graph(digraph):
            continue
        guideline = graph.value(iri, GG.guideline)
        pathways[str(iri)] = Pathway(
            iri=str(iri),
            label=str(graph.value(iri, RDFS.label) or _local(iri)),
            guideline=_guideline_id(graph, guideline),
            entry=str(entry),
            digraph=digraph,
        )
    return dict(sorted(pathways.items(), key=lambda item: (item[1].guideline or "", item[0])))


def guideline_id_of(graph: Graph, pathway) -> str | None:
    """The id of the guideline a pathway is for (``lupus-tacrolimus-rebound``), or None."""
    return _guideline_id(graph, graph.value(URIRef(str(pathway)), GG.guideline))


def _guideline_id(graph: Graph, guideline) -> str | None:
    if guideline is None:
        return None
    identifier = graph.value(guideline, DCTERMS.identifier)
    return str(identifier) if identifier is not None else _local(guideline)


def _source_lines(graph: Graph) -> dict[str, int]:
    return {str(s): int(line) for s, line in graph.subject_objects(GG.sourceLine)}


def _decision_graph(graph: Graph, entry, lines: Mapping[str, int]) -> nx.DiGraph:
    """The nodes reachable from ``entry`` through branches, as a DiGraph."""
    digraph = nx.DiGraph()
    todo, seen = [entry], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        recommends = tuple(sorted({str(s) for s in graph.objects(node, GG.recommends)}, key=lambda s: (lines.get(s, 0), s)))
        order = min((lines[s] for s in recommends if s in lines), default=0)
        label = graph.value(node, RDFS.label)
        digraph.add_node(str(node), node=Node(str(node), str(label) if label is not None else _local(node), recommends, order))
        for branch in graph.objects(node, GG.branch):
            target, when = graph.value(branch, GG.to), graph.value(branch, GG.when)
            if target is None or when is None:
                continue  # validate reports it; traversal cannot follow it
            label = graph.value(branch, RDFS.label)
            item = Branch(str(branch), str(label) if label is not None else _local(branch), str(node), str(target),
                          read_criterion(graph, when))
            if digraph.has_edge(str(node), str(target)):
                digraph.edges[str(node), str(target)]["branches"].append(item)
            else:
                digraph.add_edge(str(node), str(target), branches=[item])
            todo.append(target)
    return digraph


def read_criterion(graph: Graph, node, _depth: int = 0) -> Criterion:
    """A ``gg:Criterion`` node as a :class:`Criterion`; an unreadable one is never true.

    An RDF list that loops, a criterion nested past any sensible depth, or an unknown operator gives
    an empty ``anyOf``, which is false: a broken criterion must not open a branch. SHACL and
    ``validate`` report the defect itself.
    """
    never = Criterion("anyOf")
    if _depth > 32:
        return never
    for combination in ("allOf", "anyOf"):
        listed = graph.value(node, GG[combination])
        if listed is not None:
            try:
                members = list(graph.items(listed))  # ValueError on a list that loops
            except Exception:  # a malformed list: report through validate, never follow
                return never
            return Criterion(combination, parts=tuple(read_criterion(graph, m, _depth + 1) for m in members))
    negated = graph.value(node, GG["not"])
    if negated is not None:
        return Criterion("not", parts=(read_criterion(graph, negated, _depth + 1),))
    fact, operator = graph.value(node, GG.fact), graph.value(node, GG.operator)
    name = _local(operator) if operator is not None else None
    if fact is None or name not in OPERATORS:
        return never
    key = graph.value(fact, GG.key)
    values = tuple(sorted((v.toPython() for v in graph.objects(node, GG.value)), key=repr))
    return Criterion(name, fact=str(key) if key is not None else _local(fact), values=values)


def _owning_branch(graph: Graph, criterion):
    """The branch whose ``gg:when`` holds a (possibly nested, blank) criterion, or None."""
    node, seen = criterion, set()
    while node is not None and node not in seen:
        seen.add(node)
        branch = next(graph.subjects(GG.when, node), None)
        if branch is not None:
            return branch
        parent = next((s for p in (GG["not"], GG.allOf, GG.anyOf, RDF.first, RDF.rest) for s in graph.subjects(p, node)), None)
        node = parent
    return None


def _local(term) -> str:
    return str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


# ---------------------------------------------------------------- evaluation (three-valued)


@dataclass(frozen=True)
class Evaluation:
    """A criterion's value for one patient: True, False or None (unknown), with the reasons.

    ``held``: the comparisons that decided a true value, in words; ``failed``: those that decided a
    false value; ``blocking``: the absent facts that keep an unknown value undecided.
    """

    value: bool | None
    held: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    blocking: frozenset[str] = frozenset()


def evaluate(criterion: Criterion, facts: Mapping, form: PatientForm | None = None) -> Evaluation:
    """A criterion's three-valued value for the given facts (absent key: unknown).

    Examples
    --------
    >>> severe = Criterion("in", fact="severity", values=("organ_threatening", "severe"))
    >>> evaluate(severe, {"severity": "severe"}).held
    ('severity is severe',)
    >>> evaluate(severe, {}).value is None
    True
    >>> either = Criterion("anyOf", parts=(severe, Criterion("equals", fact="first_line_response", values=("inadequate",))))
    >>> evaluate(either, {"severity": "severe"}).value       # the unknown operand does not matter
    True
    >>> evaluate(either, {"severity": "mild"}).blocking
    frozenset({'first_line_response'})
    """
    if criterion.fact is not None:
        return _compare(criterion, facts, form)
    parts = [evaluate(part, facts, form) for part in criterion.parts]
    if criterion.operator == "not":
        (inner,) = parts or (Evaluation(False),)
        if inner.value is None:
            return Evaluation(None, blocking=inner.blocking)
        # "not" swaps which words explain the outcome: what failed inside is why the negation holds.
        return Evaluation(not inner.value, held=inner.failed, failed=inner.held)
    if criterion.operator == "allOf":
        if any(p.value is False for p in parts):
            return Evaluation(False, failed=_words(p.failed for p in parts if p.value is False))
        if all(p.value is True for p in parts):
            return Evaluation(True, held=_words(p.held for p in parts))
        return Evaluation(None, blocking=frozenset().union(*(p.blocking for p in parts if p.value is None)))
    # anyOf (an empty anyOf is false: nothing can make it hold)
    if any(p.value is True for p in parts):
        return Evaluation(True, held=_words(p.held for p in parts if p.value is True))
    if all(p.value is False for p in parts):
        return Evaluation(False, failed=_words(p.failed for p in parts))
    return Evaluation(None, blocking=frozenset().union(*(p.blocking for p in parts if p.value is None)))


def _words(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for word in group:
            seen.setdefault(word, None)
    return tuple(seen)


def _compare(criterion: Criterion, facts: Mapping, form: PatientForm | None) -> Evaluation:
    key, op, values = criterion.fact, criterion.operator, criterion.values
    spec = _spec(form, key)
    if facts.get(key) is None:
        return Evaluation(None, blocking=frozenset({key}))
    actual = facts[key]
    value = _holds(op, actual, values)
    label, shown = spec.label, spec.describe(actual)
    if op in ("isTrue", "isFalse"):
        words = f"{label}: {shown}"
        return Evaluation(value, held=(words,) if value else (), failed=() if value else (words,))
    listed = [v for v in spec.options if v in values] + [v for v in values if v not in spec.options]
    wanted = _either([spec.describe(v) for v in listed])
    if op in ORDER_SIGNS:
        sign = ORDER_SIGNS[op]
        held, failed = f"{label} is {shown} ({sign} {wanted})", f"{label} is {shown} (needs {sign} {wanted})"
    elif op == "notEquals":
        held, failed = f"{label} is {shown} (not {wanted})", f"{label} is {shown}"
    else:
        held, failed = f"{label} is {shown}", f"{label} is {shown} (needs {wanted})"
    return Evaluation(value, held=(held,) if value else (), failed=() if value else (failed,))


def _either(words: list[str]) -> str:
    """ "a", "a or b", "a, b or c": values in the order the fact lists them."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _holds(op: str, actual, values: tuple) -> bool:
    if op == "isTrue":
        return actual is True
    if op == "isFalse":
        return actual is False
    if op == "in":
        return any(_same(actual, v) for v in values)
    if not values:
        return False
    wanted = values[0]
    if op == "equals":
        return _same(actual, wanted)
    if op == "notEquals":
        return not _same(actual, wanted)
    if isinstance(actual, bool) or not isinstance(actual, (int, float)) or not _is_number(wanted):
        return False  # an order comparison of a non-number never holds
    wanted = float(wanted)
    return {"lessThan": actual < wanted, "lessOrEqual": actual <= wanted,
            "greaterThan": actual > wanted, "greaterOrEqual": actual >= wanted}[op]


def _is_number(value) -> bool:
    from decimal import Decimal

    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _same(actual, wanted) -> bool:
    if isinstance(actual, bool) or isinstance(wanted, bool):  # True is not 1 for a patient fact
        return isinstance(actual, bool) and isinstance(wanted, bool) and actual == wanted
    if _is_number(actual) and _is_number(wanted):
        try:
            return float(actual) == float(wanted)
        except (OverflowError, ValueError):  # an integer past float range, a signalling NaN
            return not isinstance(actual, Decimal) and actual == wanted
    return str(actual) == str(wanted)


def _spec(form: PatientForm | None, key: str) -> FactSpec:
    if form is not None and key in form:
        return form[key]
    return FactSpec(key, key.replace("_", " "), key, "choice")


# ---------------------------------------------------------------- traversal


@dataclass(frozen=True)
class Step:
    """A branch that did not open: ``value`` False (with ``failed`` words) or None (``blocking``)."""

    branch: Branch
    value: bool | None
    failed: tuple[str, ...] = ()
    blocking: frozenset[str] = frozenset()


@dataclass
class Traversal:
    """Where one patient's facts lead through one pathway.

    ``reached``: node IRIs in traversal order; ``why``: per reached node, the words of the criteria
    that held on the way; ``taken``: the branches followed; ``closed``: per node, the branches that
    were false or unknown there; ``entry_value``: whether the pathway applies at all (its entry's
    branches: True when one holds, False when all fail, None when undecided; True for an entry with
    no branch).
    """

    pathway: Pathway
    reached: list[str] = field(default_factory=list)
    why: dict[str, list[str]] = field(default_factory=dict)
    taken: list[Branch] = field(default_factory=list)
    closed: dict[str, list[Step]] = field(default_factory=dict)
    entry_value: bool | None = True

    def blocked(self) -> list[Step]:
        return [step for steps in self.closed.values() for step in steps if step.value is None]

    def parents(self, iri: str) -> list[Branch]:
        """The taken branches that lead to a node."""
        return [b for b in self.taken if b.target == iri]


def traverse(pathway: Pathway, facts: Mapping, form: PatientForm | None = None) -> Traversal:
    """Follow every branch whose criterion holds, from the entry, in topological order."""
    result = Traversal(pathway)
    reached = {pathway.entry: []}
    for iri in pathway.order():
        if iri not in reached:
            continue
        result.reached.append(iri)
        result.why[iri] = reached[iri]
        for branch in pathway.branches_from(iri):
            outcome = evaluate(branch.criterion, facts, form)
            if outcome.value is True:
                result.taken.append(branch)
                words = reached.setdefault(branch.target, [])
                for word in [*reached[iri], *outcome.held]:
                    if word not in words:
                        words.append(word)
            else:
                result.closed.setdefault(iri, []).append(
                    Step(branch, outcome.value, outcome.failed, outcome.blocking)
                )
    entry_branches = pathway.branches_from(pathway.entry)
    if entry_branches:
        values = {evaluate(b.criterion, facts, form).value for b in entry_branches}
        result.entry_value = True if True in values else (None if None in values else False)
    return result


def undecided(traversal: Traversal, facts: Mapping, form: PatientForm | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """The branches and nodes a traversal has not decided yet: ``(branch IRIs, node IRIs)``.

    A branch from a reached node whose criterion is unknown (a fact it needs is absent) is
    undecided, and so is the node it leads to, unless another branch reached it. Below such a node,
    a branch whose criterion is not false is undecided too: the patient may still get there once
    the open questions are answered. A branch whose criterion is false is not taken, wherever it is.

    >>> from graph import KnowledgeBase
    >>> kb = KnowledgeBase.load(validate=False)
    >>> from graph.recommend import pathways_of
    >>> lupus = pathways_of(kb)["https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound/pathway"]
    >>> facts = {"condition": "lupus_nephritis", "tacrolimus_stopped": "tapered", "flare": True}
    >>> branches, nodes = undecided(traverse(lupus, facts), facts)
    >>> sorted(n.rsplit("/", 1)[-1] for n in nodes)[:3]
    ['biologics', 'continue-hydroxychloroquine', 'fatigue']
    >>> "first-line-nephritis" in {n.rsplit("/", 1)[-1] for n in nodes}   # below first-line, condition holds
    True
    """
    reached = set(traversal.reached)
    branches: set[str] = set()
    nodes: set[str] = set()
    for step in traversal.blocked():
        branches.add(step.branch.iri)
        if step.branch.target not in reached:
            nodes.add(step.branch.target)
    pathway = traversal.pathway
    for iri in pathway.order():
        if iri not in nodes:
            continue
        for branch in pathway.branches_from(iri):
            if evaluate(branch.criterion, facts, form).value is not False:
                branches.add(branch.iri)
                if branch.target not in reached:
                    nodes.add(branch.target)
    return frozenset(branches), frozenset(nodes)


def entry_value(pathway: Pathway, facts: Mapping, form: PatientForm | None = None) -> bool | None:
    """Whether a pathway applies to the patient: the Kleene "or" of its entry's branches."""
    return traverse(pathway, facts, form).entry_value


# ---------------------------------------------------------------- structural rules for validate


def pathway_rules(*, files: Iterable[Path] = (), sources: Mapping[str, str] | None = None
                  ) -> list[Callable[[Graph], list[Finding]]]:
    """The decision layer's structural rules, for ``validate_graph(rules=...)``.

    ``files`` are the library's pathway files; each finding names the file its node comes from
    (``sources``: :func:`pathway_sources` of them, where the caller has it already).
    """
    from .review import review_findings

    files = list(files)
    sources = pathway_sources(files) if sources is None else sources
    return [lambda graph: check_decision_layer(graph, sources=sources),
            lambda graph: check_node_labels(graph, sources=sources),
            lambda graph: review_findings(graph, files, sources=sources)]


def check_node_labels(graph: Graph, *, sources: Mapping[str, str] | None = None) -> list[Finding]:
    """``pathway-label-number`` (a warning): a decision node's label that states a dose, a target or
    an interval. The label is the curator's words, shown on the path and in the diagrams with no
    source line; the numbers belong to the statements the node recommends, which carry theirs.
    Branch labels are not checked: they say in words the criterion's own numbers.
    """
    from .extract import extract
    from .terminology import Lexicon

    sources = sources or {}
    lexicon = Lexicon.from_graph(graph)  # drug levels are known by their analytes' names
    findings = []
    for node in sorted(set(graph.subjects(RDF.type, GG.DecisionNode)), key=str):
        for label in graph.objects(node, RDFS.label):
            found = extract(str(label), lexicon)
            quotes = [x.quote for x in (*found.doses, *found.targets, *found.durations) if x.quote]
            if quotes:
                file = sources.get(str(node))
                pathway = graph.value(node, GG.pathway)
                guideline = graph.value(pathway, GG.guideline) if pathway is not None else None
                findings.append(Finding(
                    rule="pathway-label-number", severity="warning", focus=str(node),
                    message=f"{file + ': ' if file else ''}the label of decision node {_local(node)!r} states "
                            f"{', '.join(repr(q) for q in quotes)}: say it in the statements it recommends, "
                            "which carry their source lines",
                    guideline=_guideline_id(graph, guideline) if guideline is not None else None))
    return findings


def pathway_sources(files: Iterable[Path]) -> dict[str, str]:
    """Subject IRI to the name of the pathway file that writes it (for findings). Read with
    Oxigraph's parser: rdflib's took 22 s of a 1,000-guideline validation for these names."""
    from .kb import turtle_triples

    sources: dict[str, str] = {}
    for path in map(Path, files):
        for subject in sorted({str(s) for s, _, _ in turtle_triples(path) if isinstance(s, URIRef)}):
            sources.setdefault(subject, path.name)
    return sources


def check_decision_layer(graph: Graph, *, sources: Mapping[str, str] | None = None) -> list[Finding]:
    """Findings about the decision layer that SHACL cannot express.

    Rules: ``pathway-guideline`` (the pathway's guideline is a document of the library),
    ``pathway-acyclic`` (no cycle through branches), ``pathway-reachable`` (every node of a
    pathway is reachable from its entry), ``pathway-recommends-statement`` (``gg:recommends`` names
    a typed ``gg:Statement``), ``pathway-recommends-own-guideline`` (of the pathway's own guideline),
    ``pathway-fact-declared`` (every fact a criterion reads is a declared
    ``gg:PatientFact``), ``pathway-branch-target`` (a branch's ``gg:to`` is a declared decision node),
    ``pathway-fact-key-unique`` (no two facts share a key).
    """
    sources = sources or {}
    findings: list[Finding] = []

    def finding(rule: str, node, message: str, pathway=None) -> Finding:
        file = sources.get(str(node)) or (sources.get(str(pathway)) if pathway is not None else None)
        guideline = graph.value(pathway, GG.guideline) if pathway is not None else None
        where = f"{file}: " if file else ""
        return Finding(rule=rule, message=f"{where}{message}", focus=str(node),
                       guideline=_guideline_id(graph, guideline) if guideline is not None else None)

    decision_nodes = set(graph.subjects(RDF.type, GG.DecisionNode))
    owner = {node: graph.value(node, GG.pathway) for node in decision_nodes}
    nodes_of: dict = {}  # pathway -> its declared nodes: one pass, not one per pathway
    for node, pathway in owner.items():
        nodes_of.setdefault(pathway, []).append(node)
    reachable_somewhere: set = set()
    # A pathway whose document is not in the library: say that once, not once per statement it names.
    orphaned = set()
    for pathway in sorted(set(graph.subjects(RDF.type, GG.Pathway)), key=str):
        guideline = graph.value(pathway, GG.guideline)
        if guideline is not None and (guideline, RDF.type, GG.Guideline) not in graph:
            orphaned.add(pathway)
            doc_id = _local(guideline)
            findings.append(finding("pathway-guideline", pathway,
                                    f"the pathway is for the guideline {doc_id!r}, which is no document of the "
                                    f"library: its file would be {doc_id}.txt", pathway))
    for pathway in sorted(set(graph.subjects(RDF.type, GG.Pathway)), key=str):
        entry = graph.value(pathway, GG.entry)
        if entry is None:
            continue  # SHACL: a pathway has exactly one gg:entry
        digraph = nx.DiGraph()
        digraph.add_node(entry)
        todo, seen = [entry], set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for branch in graph.objects(node, GG.branch):
                target = graph.value(branch, GG.to)
                if target is None:
                    continue
                digraph.add_edge(node, target)
                todo.append(target)
        reachable_somewhere |= seen
        try:
            cycle = nx.find_cycle(digraph, source=entry)
        except nx.NetworkXNoCycle:
            cycle = []
        if cycle:
            path = " -> ".join(_local(a) for a, _ in cycle) + f" -> {_local(cycle[0][0])}"
            findings.append(finding("pathway-acyclic", cycle[0][0], f"branches form a cycle: {path}", pathway))
        for node in sorted((n for n in nodes_of.get(pathway, ()) if n not in seen), key=str):
            findings.append(finding("pathway-reachable", node,
                                    f"decision node {_local(node)!r} is not reachable from the entry {_local(entry)!r}", pathway))
    for node in sorted((n for n in decision_nodes if owner[n] is None and n not in reachable_somewhere), key=str):
        findings.append(finding("pathway-reachable", node, f"decision node {_local(node)!r} belongs to no pathway and no entry reaches it"))

    for node, statement in sorted(graph.subject_objects(GG.recommends), key=lambda so: (str(so[0]), str(so[1]))):
        if owner.get(node) in orphaned:
            continue
        if (statement, RDF.type, GG.Statement) not in graph:
            findings.append(finding("pathway-recommends-statement", node,
                                    f"recommends <{statement}>, which is no statement of the library", owner.get(node)))
            continue
        # A node speaks for its own guideline: another document's statement would be shown under
        # this guideline's pathway, as if this source said it.
        own = graph.value(owner.get(node), GG.guideline) if owner.get(node) is not None else None
        theirs = graph.value(statement, GG.guideline)
        if own is not None and theirs is not None and theirs != own:
            findings.append(finding("pathway-recommends-own-guideline", node,
                                    f"decision node {_local(node)!r} recommends <{statement}>, a statement of "
                                    f"{_guideline_id(graph, theirs)}; a pathway recommends only statements of its "
                                    f"own guideline, {_guideline_id(graph, own)}", owner.get(node)))
    for branch in sorted(set(graph.subjects(RDF.type, GG.Branch)) | set(graph.subjects(GG.to, None)), key=str):
        target = graph.value(branch, GG.to)
        source = next(graph.subjects(GG.branch, branch), None)
        if target is None or (target, RDF.type, GG.DecisionNode) not in graph:
            shown = f"<{target}>" if target is not None else "nothing"
            findings.append(finding("pathway-branch-target", branch,
                                    f"branch {_local(branch)!r} leads to {shown}, which is no decision node",
                                    owner.get(source)))
    for criterion, fact in sorted(graph.subject_objects(GG.fact), key=lambda so: (str(so[0]), str(so[1]))):
        if (fact, RDF.type, GG.PatientFact) not in graph:
            branch = _owning_branch(graph, criterion)
            source = next(graph.subjects(GG.branch, branch), None) if branch is not None else None
            findings.append(finding("pathway-fact-declared", branch if branch is not None else criterion,
                                    f"a criterion reads the fact <{fact}>, which is not declared as a gg:PatientFact",
                                    owner.get(source)))
    keys: dict[str, list] = {}
    for fact in graph.subjects(RDF.type, GG.PatientFact):
        for key in graph.objects(fact, GG.key):
            keys.setdefault(str(key), []).append(fact)
    for key, facts in sorted(keys.items()):
        if len(facts) > 1:
            findings.append(finding("pathway-fact-key-unique", sorted(facts, key=str)[1],
                                    f"the key {key!r} is declared by {len(facts)} facts: {', '.join(sorted(map(str, facts)))}"))
    return findings
