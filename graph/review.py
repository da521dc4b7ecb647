"""What a curator reviewed: the source text of each statement a pathway recommends.

A pathway names statements by address (``kb:{id}/{section}/{n}``, the n-th statement of a section).
Edit the document, a bullet added at the top of a section say, and the same address names other
words: the pathway would recommend them without anyone having read them in its place. So beside
each ``NAME.pathway.ttl`` lies ``NAME.reviewed.json``, the exact source line of every statement the
pathway recommended when a curator last checked it (``guidegraph review NAME``). ``validate``
compares: a statement whose words changed is a violation until the pathway is checked again; a
statement that only moved to another line keeps its words and is fine.

The file, sorted and indented so that a change reads well in a diff::

    {"pathway": "https://w3id.org/guidegraph/kb/NAME/pathway",
     "statements": {"https://w3id.org/guidegraph/kb/NAME/lead/1": {"line": 3, "source": "..."}}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from rdflib import Graph, Literal

from .errors import InputError
from .library import PATHWAY_SUFFIX
from .validate import Finding
from .vocab import GG

REVIEWED_SUFFIX = ".reviewed.json"


@dataclass(frozen=True)
class Recommended:
    """A statement as a pathway recommends it now: the node, and the statement's line and words."""

    pathway: str
    node: str
    statement: str
    line: int | None
    source: str | None


def reviewed_file(pathway_file: Path) -> Path:
    """``NAME.pathway.ttl`` -> ``NAME.reviewed.json``, beside it."""
    return pathway_file.with_name(pathway_file.name[: -len(PATHWAY_SUFFIX)] + REVIEWED_SUFFIX)


_RECOMMENDED = """
PREFIX gg: <https://w3id.org/guidegraph/ontology#>
SELECT ?pathway ?node ?statement ?line ?source WHERE {
  ?node gg:pathway ?pathway ; gg:recommends ?statement .
  OPTIONAL { ?statement gg:sourceLine ?line }
  OPTIONAL { ?statement gg:sourceText ?source }
}"""


def recommended(graph: Graph) -> list[Recommended]:
    """Every (node, statement) a pathway recommends, with the statement's line and source text (one
    query: a library of 1,000 guidelines recommends some 50,000; on Oxigraph read as plain strings,
    which is a fraction of the time of making rdflib terms of them)."""
    from .store import is_oxigraph, ox_graph_name, pyoxigraph_store

    if is_oxigraph(graph):
        solutions = pyoxigraph_store(graph).query(_RECOMMENDED, default_graph=ox_graph_name(graph))
        values = ([None if term is None else term.value for term in solution] for solution in solutions)
    else:
        values = ([None if term is None else str(term) for term in row] for row in graph.query(_RECOMMENDED))
    rows = [Recommended(pathway, node, statement, int(line) if line is not None else None, source)
            for pathway, node, statement, line, source in values]
    return sorted(rows, key=lambda r: (r.pathway, r.node, r.statement))


def read_reviewed(path: Path) -> tuple[str, dict[str, dict]]:
    """The pathway IRI and the reviewed statements of one file; one clear error naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read it: {error}", where=str(path)) from None
    except json.JSONDecodeError as error:
        raise InputError(f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}", where=str(path)) from None
    statements = data.get("statements") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("pathway"), str) or not isinstance(statements, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("source"), str) for v in statements.values()
    ):
        raise InputError('not a reviewed-statements file: {"pathway": IRI, "statements": {IRI: {"line", "source"}}}',
                         where=str(path))
    return data["pathway"], statements


def reviewed_text(pathway: str, statements: Mapping[str, tuple[int | None, str]]) -> str:
    """The file that records ``statements`` (IRI to line and source text) of one pathway as reviewed."""
    recorded = {iri: {"line": line, "source": source} for iri, (line, source) in sorted(statements.items())}
    return json.dumps({"pathway": pathway, "statements": recorded}, indent=2, ensure_ascii=False) + "\n"


def review_findings(graph: Graph, files: Iterable[Path], *, sources: Mapping[str, str] | None = None) -> list[Finding]:
    """``pathway-statement-changed`` (a violation): a recommended statement whose source words are
    not the ones reviewed; ``pathway-unreviewed`` (a warning): a pathway with no reviewed file, or
    a statement it recommends that the file does not hold."""
    from .pathway import guideline_id_of

    sources = dict(sources or {})
    by_pathway: dict[str, list[Recommended]] = {}
    for row in recommended(graph):
        by_pathway.setdefault(row.pathway, []).append(row)
    files_of = {str(iri): name for iri, name in sources.items()}
    reviewed: dict[str, tuple[Path, dict]] = {}
    for pathway_file in files:
        path = reviewed_file(Path(pathway_file))
        if path.exists():
            pathway, statements = read_reviewed(path)
            reviewed[pathway] = (path, statements)
    findings = []
    for pathway, rows in sorted(by_pathway.items()):
        file = files_of.get(pathway, "")
        where = f"{file}: " if file else ""
        guideline = guideline_id_of(graph, pathway)
        if pathway not in reviewed:
            name = reviewed_file(Path(file)).name if file else f"NAME{REVIEWED_SUFFIX}"
            findings.append(Finding(
                "pathway-unreviewed", f"{where}no {name} records the statements this pathway recommends as "
                                      f"checked; after checking them, run `guidegraph review {guideline}`",
                pathway, "warning", guideline=guideline))
            continue
        path, statements = reviewed[pathway]
        for row in rows:
            if row.source is None:
                continue  # no such statement: pathway-recommends-statement says so
            seen = statements.get(row.statement)
            if seen is None:
                findings.append(Finding(
                    "pathway-unreviewed", f"{where}node {_local(row.node)!r} recommends {_short(row.statement)} "
                                          f"(line {row.line}), which {path.name} does not record as checked",
                    row.node, "warning", guideline=guideline, line=row.line))
            elif seen["source"] != row.source:
                findings.append(Finding(
                    "pathway-statement-changed",
                    f"{where}node {_local(row.node)!r} recommends {_short(row.statement)}, whose words changed since "
                    f"the pathway was checked: it read {seen['source']!r}{_at(seen.get('line'))} and now reads "
                    f"{row.source!r}{_at(row.line)}{_moved(graph, seen['source'], row.statement)}; check the node, "
                    f"then run `guidegraph review {guideline}`",
                    row.node, "violation", guideline=guideline, line=row.line))
    return findings


def _at(line) -> str:
    return f" (line {line})" if line is not None else ""


def _moved(graph: Graph, source: str, statement: str) -> str:
    """Where the reviewed words are now, when a statement of the same guideline still has them."""
    guideline = statement.rstrip("/").rsplit("/", 2)[0]
    for other in graph.subjects(GG.sourceText, Literal(source)):
        if str(other).startswith(guideline + "/") and str(other) != statement:
            line = graph.value(other, GG.sourceLine)
            return f"; those words are now {_short(str(other))}{_at(line)}"
    return ""


def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _short(iri: str) -> str:
    """``kb:lupus-x/lead/1`` -> ``lead/1``: the statement's address within its guideline."""
    return "/".join(iri.rstrip("/").split("/")[-2:])


@dataclass(frozen=True)
class ReviewOutcome:
    """What ``guidegraph review`` recorded for one pathway, against what its file held before."""

    path: Path
    recorded: int
    first: bool  # no file recorded this pathway before
    changed: tuple[str, ...]
    added: tuple[str, ...]
    dropped: tuple[str, ...]

    def text(self) -> str:
        parts = [f"{self.path.name}: {self.recorded} statement(s) recorded as checked"
                 + (" (a new file)" if self.first else "" if self.changed or self.added or self.dropped else
                    " (as before)")]
        for label, items in (("words changed", self.changed), ("newly recommended", self.added),
                             ("no longer recommended", self.dropped)):
            if items:
                parts.append(f"  {label}: {', '.join(items)}")
        return "\n".join(parts)


def plan_review(graph: Graph, guideline_id: str, pathway_files: Iterable[Path], *,
                sources: Mapping[str, str]) -> tuple[ReviewOutcome, str]:
    """What recording the pathway of ``guideline_id`` as checked would write, and how it differs
    from the file now; nothing is written (so that every id is checked before any file changes)."""
    from .pathway import guideline_id_of

    rows_of: dict[str, list[Recommended]] = {}
    for row in recommended(graph):
        rows_of.setdefault(row.pathway, []).append(row)
    pathways = sorted(p for p in rows_of if guideline_id_of(graph, p) == guideline_id)
    files = {Path(f).name: Path(f) for f in pathway_files}
    if not pathways:
        raise InputError(f"no pathway of the guideline {guideline_id!r} recommends a statement: nothing to record")
    (pathway, *more) = pathways
    if more:
        raise InputError(f"the guideline {guideline_id!r} has {len(pathways)} pathways; a file records one")
    pathway_file = files.get(sources.get(pathway, ""))
    if pathway_file is None:
        raise InputError(f"the pathway of {guideline_id!r} comes from no pathway file of the library")
    path = reviewed_file(pathway_file)
    first = not path.exists()
    before = {} if first else read_reviewed(path)[1]
    rows = rows_of[pathway]
    now = {r.statement: r.source for r in rows if r.source is not None}
    outcome = ReviewOutcome(
        path, len(now), first,
        changed=tuple(_short(s) for s in sorted(now) if s in before and before[s]["source"] != now[s]),
        added=() if first else tuple(_short(s) for s in sorted(now) if s not in before),
        dropped=tuple(_short(s) for s in sorted(before) if s not in now),
    )
    return outcome, reviewed_text(pathway, {r.statement: (r.line, r.source) for r in rows if r.source is not None})


def review_guidelines(kb, guideline_ids: Iterable[str]) -> list[ReviewOutcome]:
    """``guidegraph review ID ...``: record the statements each guideline's pathway recommends now
    as checked by a curator. Every id is checked first; then each file is written whole."""
    from .files import write_atomic
    from .pathway import pathway_sources

    files = kb.library.pathway_files()
    sources = pathway_sources(files)
    plans = [plan_review(kb.graph, doc_id, files, sources=sources) for doc_id in guideline_ids]
    for outcome, text in plans:
        write_atomic(outcome.path, text, force=True)
    return [outcome for outcome, _ in plans]
