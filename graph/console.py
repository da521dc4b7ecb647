"""The SPARQL console: one query's outcome as the console shows it.

The query goes through the guarded query function (:meth:`graph.kb.KnowledgeBase.query`); this
module only turns its answer into a table of readable cells, the files to download, and one clear
message for each way a query can fail (not SPARQL, refused, too slow, too large).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .errors import InputError
from .sparql import (
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT_MS,
    QueryError,
    QueryFailed,
    QueryRefused,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    QueryUnsupported,
    SavedQuery,
    parse_term,
)
from .sparql_formats import display, format_result

#: Downloads offered per result form: (format, file extension, media type).
DOWNLOADS = {
    "rows": (("csv", "csv", "text/csv"), ("json", "json", "application/sparql-results+json")),
    "boolean": (("json", "json", "application/sparql-results+json"),),
    "graph": (("ttl", "ttl", "text/turtle"), ("jsonld", "jsonld", "application/ld+json"), ("nt", "nt", "application/n-triples")),
}

#: The time limits the console offers, the default first: a query over the whole of a large
#: library (the saved ones, at 10,000 guidelines) computes for longer than the default.
TIME_LIMITS_MS = (DEFAULT_TIMEOUT_MS, 10_000, 30_000, 60_000)


def time_limit_label(ms: int) -> str:
    """How the console names a time limit.

    >>> time_limit_label(2000), time_limit_label(60_000)
    ('2 s (the default)', '60 s')
    """
    return f"{ms / 1000:g} s" + (" (the default)" if ms == DEFAULT_TIMEOUT_MS else "")


def intro(timeout_ms: int = DEFAULT_TIMEOUT_MS, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """The line the console opens with: what a query may do, the prefixes it needs no PREFIX line
    for (every one of ``graph.vocab.PREFIXES``) and the limits.

    >>> intro().split(". ")[1]
    'The prefixes gg:, kb:, cito:, schema:, dcterms:, skos:, prov:, rdf:, rdfs:, owl:, xsd:, sh: need no PREFIX line'
    """
    from .vocab import PREFIXES

    prefixes = ", ".join(f"{prefix}:" for prefix in PREFIXES)
    return (
        f"Read-only SPARQL 1.1 over the whole knowledge graph. The prefixes {prefixes} need no PREFIX line. "
        f"Limits: {timeout_ms} ms unless you choose more, {max_rows} rows; updates, SERVICE and FROM are "
        "refused (a query reads this graph only, never the network or the disk)."
    )


#: What went wrong, by error class, in the words the console heads its message with.
PROBLEMS = (
    (QuerySyntaxError, "syntax", "Not valid SPARQL"),
    (QueryRefused, "refused", "Query refused"),
    (QueryTimeout, "timeout", "Query stopped: too slow"),
    (QueryTooLarge, "too large", "Query stopped: too much memory"),
    (QueryUnsupported, "unsupported", "Unknown function"),
    (QueryFailed, "failed", "Query failed"),
)


def headed(heading: str, message: str) -> str:
    """The console's message: its heading, then the error's words, without saying the heading
    twice when the error already opens with it ("query failed: ...", "... is not supported here").

    >>> headed("Query failed", "query failed: the engine stopped")
    'Query failed: the engine stopped'
    >>> headed("Query refused", "SERVICE is refused")
    'Query refused: SERVICE is refused'
    """
    lead = heading.lower() + ":"
    if message.lower().startswith(lead):
        message = message[len(lead):].lstrip()
    return f"{heading}: {message}"


@dataclass(frozen=True)
class Download:
    label: str
    data: str
    file_name: str
    mime: str


@dataclass(frozen=True)
class ConsoleOutcome:
    """What the console shows for one query.

    ``problem`` is None on success, else "syntax", "refused", "timeout", "too large", "unsupported"
    (a function the engine does not have), "failed" or "input" (a bad binding value), with ``message`` saying what to do.
    """

    message: str
    problem: str | None = None
    form: str | None = None
    columns: tuple[str, ...] = ()
    rows: tuple[dict, ...] = ()
    boolean: bool | None = None
    truncated: bool = False
    elapsed_ms: float | None = None
    downloads: tuple[Download, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.problem is None


def read_bindings(values: Mapping[str, str]) -> dict:
    """Typed values for a saved query's parameters: empty fields are left out; each value is read
    as an RDF term (``kb:drug/rituximab``, ``<iri>``, ``3``, plain text).

    >>> read_bindings({"drug": "kb:drug/rituximab", "ref": " "})
    {'drug': rdflib.term.URIRef('https://w3id.org/guidegraph/kb/drug/rituximab')}
    """
    return {name: parse_term(text) for name, text in values.items() if text and text.strip()}


def run_console(
    kb,
    text: str,
    *,
    bindings: Mapping[str, str] | None = None,
    saved: SavedQuery | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    max_rows: int = DEFAULT_MAX_ROWS,
    name: str = "query",
) -> ConsoleOutcome:
    """Run one query typed in the console (or a saved one) and shape its answer for display.

    Parameters
    ----------
    kb : a loaded KnowledgeBase; the query runs through ``kb.query`` and its guardrails.
    text : the query text.
    bindings : parameter name to the text typed for it.
    saved : the saved query ``text`` came from, whose declared parameters the bindings must match.
    timeout_ms, max_rows : the guardrails.
    name : the stem of the download file names.

    Examples
    --------
    >>> from graph import KnowledgeBase
    >>> kb = KnowledgeBase.load(validate=False)
    >>> outcome = run_console(kb, "SELECT ?d WHERE { ?d a gg:Drug } ORDER BY ?d LIMIT 2")
    >>> outcome.ok, outcome.columns, outcome.message
    (True, ('d',), '2 rows')
    >>> run_console(kb, "DELETE WHERE { ?s ?p ?o }").problem
    'refused'
    """
    if not text.strip():
        return ConsoleOutcome("Type a query, or pick a saved query.", problem="input")
    try:
        terms = read_bindings(bindings or {})
        if saved is not None and saved.text == text:
            terms = saved.check_bindings(terms)
        result = kb.query(text, bindings=terms or None, timeout_ms=timeout_ms, max_rows=max_rows)
    except QueryError as error:
        for cls, problem, heading in PROBLEMS:
            if isinstance(error, cls):
                return ConsoleOutcome(headed(heading, str(error)), problem=problem)
        return ConsoleOutcome(f"Query not run: {error}", problem="input")
    except InputError as error:
        return ConsoleOutcome(f"Query not run: {error}", problem="input")
    return _outcome(result, name)


def _outcome(result: QueryResult, name: str) -> ConsoleOutcome:
    if result.form == "ASK":
        kind, columns, rows = "boolean", (), ()
        message = f"ASK: {'true' if result.boolean else 'false'}"
    elif result.is_graph:
        kind, columns = "graph", ("subject", "predicate", "object")
        rows = tuple({c: display(t) for c, t in zip(columns, triple)} for triple in result.triples)
        message = _count(len(rows), "triple")
    else:
        kind, columns = "rows", result.variables
        rows = tuple({c: display(t) for c, t in zip(columns, row)} for row in result.rows)
        message = _count(len(rows), "row")
    if result.truncated:
        message += f" (cut at the row cap of {result.max_rows}: more matched)"
    if result.cached:  # no time to show: the engine did not run
        message += " (the answer kept from its first run since the library was loaded)"
    downloads = tuple(
        Download(fmt.upper() if fmt != "jsonld" else "JSON-LD", format_result(result, fmt), f"{name}.{ext}", mime)
        for fmt, ext, mime in DOWNLOADS[kind]
    )
    return ConsoleOutcome(message, form=result.form, columns=tuple(columns), rows=rows, boolean=result.boolean,
                          truncated=result.truncated, elapsed_ms=None if result.cached else result.elapsed_ms,
                          downloads=downloads)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


__all__ = ["run_console", "intro", "read_bindings", "ConsoleOutcome", "Download", "DOWNLOADS", "PROBLEMS"]
