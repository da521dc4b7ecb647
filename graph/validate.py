"""Checks of a library graph: SHACL shapes plus structural rules SHACL cannot say.

Every finding names the rule that failed and, where the node comes from a document, the guideline,
section and source line, so an author can go straight to the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF

from .vocab import GG, SH


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the library, located as precisely as the graph allows."""

    rule: str
    message: str
    focus: str
    severity: str = "violation"
    guideline: str | None = None
    section: str | None = None
    line: int | None = None
    #: The document's words the finding is about (a dose's quote, a reading note's words), or None.
    words: str | None = None

    def where(self) -> str:
        parts = [p for p in (self.guideline, self.section) if p]
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts) or self.focus

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "message": self.message,
            "focus": self.focus,
            "severity": self.severity,
            "guideline": self.guideline,
            "section": self.section,
            "line": self.line,
            "words": self.words,
        }

    def __str__(self) -> str:
        return f"{self.severity}: {self.where()}: {self.message} [{self.rule}] ({self.focus})"


@dataclass(frozen=True)
class Report:
    """The outcome of validating a library: it conforms when no finding is a violation."""

    findings: tuple[Finding, ...]

    @property
    def conforms(self) -> bool:
        return not any(f.severity == "violation" for f in self.findings)

    def text(self) -> str:
        if not self.findings:
            return "conforms: no findings"
        head = "conforms, with warnings" if self.conforms else "does not conform"
        return "\n".join([f"{head}: {len(self.findings)} finding(s)"] + [str(f) for f in self.findings])

    def to_dict(self) -> dict:
        return {"conforms": self.conforms, "findings": [f.to_dict() for f in self.findings]}

    def warning(self) -> str | None:
        """One line for a command that uses a library which does not conform, or None.

        >>> Report((Finding("pathway-acyclic", "a cycle", "kb:p/start"),)).warning()
        'note: the library does not conform (1 violation: pathway-acyclic); answers may be incomplete; `guidegraph validate` lists the findings'
        """
        violations = [f for f in self.findings if f.severity == "violation"]
        if not violations:
            return None
        rules = ", ".join(sorted({f.rule for f in violations}))
        count = f"{len(violations)} violation{'' if len(violations) == 1 else 's'}"
        return (f"note: the library does not conform ({count}: {rules}); answers may be incomplete; "
                "`guidegraph validate` lists the findings")


StructuralRule = Callable[[Graph], Iterable[Finding]]


def locate(graph: Graph, node) -> dict:
    """Guideline id, section title and source line of a node, following doses to their statement."""
    statement = node
    for predicate in (GG.hasDose, GG.hasTarget, GG.hasDuration):
        owner = next(graph.subjects(predicate, node), None)
        if owner is not None:
            statement = owner
            break
    guideline = graph.value(statement, GG.guideline)
    section = graph.value(statement, DCTERMS.isPartOf)
    line = graph.value(statement, GG.sourceLine)
    identifier = graph.value(guideline, DCTERMS.identifier) if guideline is not None else None
    if (statement, RDF.type, GG.Section) in graph:
        section = statement  # a heading's own finding: the section is the heading itself
    title = graph.value(section, DCTERMS.title) if section is not None else None
    return {
        "guideline": str(identifier) if identifier is not None else None,
        "section": str(title) if title is not None else None,
        "line": int(line) if line is not None else None,
    }


def shacl_findings(data: Graph, shapes: Graph, *, inplace: bool = False, located_in: Graph | None = None,
                   use_shapes: list[str] | None = None) -> list[Finding]:
    """Run pySHACL (no inference: every statement is typed explicitly) and locate each result.

    ``inplace``: validate ``data`` itself instead of pySHACL's copy of it (a graph made for this
    validation alone). ``located_in``: the graph to locate findings in, when ``data`` is a part of it.
    ``use_shapes``: the IRIs of the only shapes to run (None: all).
    """
    if use_shapes is not None and not use_shapes:
        return []  # pySHACL reads an empty list as "all"
    _, results, _ = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
                                   inplace=inplace, use_shapes=use_shapes)
    where = data if located_in is None else located_in
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        component = results.value(result, SH.sourceConstraintComponent)
        shape = results.value(result, SH.sourceShape)
        severity = results.value(result, SH.resultSeverity)
        rule_name = _local_name(shape) if isinstance(shape, URIRef) else _local_name(component)
        text = str(message) if message is not None else f"fails {_local_name(component)} on {_local_name(path)}"
        words = quoted_words(where, focus)
        if words is not None:
            text = f'{text} The words: "{words}".'
        findings.append(
            Finding(
                rule=rule_name,
                message=text,
                focus=str(focus),
                severity="violation" if severity == SH.Violation else _local_name(severity).lower(),
                **locate(where, focus),
                words=words,
            )
        )
    return sorted(findings, key=finding_order)


def quoted_words(graph: Graph, node) -> str | None:
    """The statement's words a dose, target range, duration or reading note was read from (its
    gg:quote; for the second unit of a target range, the range's), or None for another node."""
    quote = graph.value(node, GG.quote)
    if quote is None:
        owner = next(graph.subjects(GG.statedAs, node), None)
        quote = graph.value(owner, GG.quote) if owner is not None else None
    return str(quote) if quote is not None else None


def finding_order(finding: Finding) -> tuple:
    """Findings in the order of the library: by guideline, source line, node, rule and message."""
    return finding.guideline or "", finding.line or 0, finding.focus, finding.rule, finding.message


def _local_name(term) -> str:
    text = str(term)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


@dataclass(frozen=True)
class SparqlCheck:
    """A whole-library check: a SELECT whose rows are findings (``?this`` the focus node)."""

    rule: str
    severity: str
    message: str
    query: str

    def __call__(self, graph: Graph, *, sources: Mapping[str, str] | None = None) -> list[Finding]:
        """The findings; ``sources`` (subject IRI to the pathway file that writes it) name the file
        beside each IRI the message gives, which is where the curator makes the change."""
        sources = sources or {}

        def shown(value) -> str:
            text = str(value) if value is not None else ""
            return f"{text} ({sources[text]})" if text in sources else text

        findings = []
        for row in graph.query(self.query):
            values = row.asdict()
            message = re.sub(r"\{\?(\w+)\}", lambda m: shown(values.get(m.group(1))), self.message)
            focus = values.get("this")
            # A row may name its own rule (a reading note's code) and the words it is about.
            rule = str(values["rule"]) if values.get("rule") is not None else self.rule
            words = str(values["words"]) if values.get("words") is not None else None
            findings.append(
                Finding(rule, message, str(focus), self.severity, **locate(graph, values.get("value", focus)),
                        words=words)
            )
        return findings


def read_check(path: Path) -> SparqlCheck:
    """A check file: `# rule:`, `# severity:` and `# message:` header comments, then the query."""
    text = path.read_text(encoding="utf-8")
    header = dict(re.findall(r"^#\s*(rule|severity|message):\s*(.+)$", text, flags=re.MULTILINE))
    return SparqlCheck(header.get("rule", path.stem), header.get("severity", "violation"), header["message"], text)


def library_checks(directory: Path) -> list[SparqlCheck]:
    """Every check of a folder, in file-name order."""
    return [read_check(path) for path in sorted(directory.glob("*.rq"))]


def unread_document_findings(library) -> list[Finding]:
    """``library-file-name`` (a warning): a ``.txt`` file of the library that is not read, because
    its name is no document id; copied by hand, it would otherwise be left out without a word."""
    findings = []
    for path in library.unread_documents():
        suggested = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
        rename = f": rename it {suggested}.txt" if suggested else ""
        findings.append(Finding(
            "library-file-name", f"not read: a document's file name is its id, lower-case letters, digits and "
                                 f"single hyphens{rename}", str(path), "warning"))
    return findings


def validate_graph(data: Graph, *, shapes: Graph, rules: Iterable[StructuralRule] = (),
                   shacl: Callable[[Graph, Graph], list[Finding]] = shacl_findings) -> Report:
    """SHACL and structural checks of one graph.

    Parameters
    ----------
    data : the library graph (ontology, terminology, documents and pathways merged).
    shapes : the SHACL shapes graph (ontology/shapes.ttl).
    rules : functions from graph to findings, for what SHACL cannot say (cycles, reachability).
    shacl : how the shapes are run, from ``(data, shapes)`` to findings (one pass by default).
    """
    # The rules' findings first: each names the file and node, and where a rule and a shape see the
    # same mistake (a recommended statement that is not there) the rule says it more plainly.
    findings = [finding for rule in rules for finding in rule(data)]
    findings.extend(shacl(data, shapes))
    return Report(tuple(findings))
