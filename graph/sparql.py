"""Guarded, read-only SPARQL over the knowledge graph: one query function for Python, the CLI,
the app and the HTTP endpoint, and the catalogue of saved queries in ``ontology/queries/``.

The guards, in the order a query meets them:

1. The text is parsed (rdflib's SPARQL 1.1 parser) before anything runs. An update of any form
   (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP, COPY, MOVE, ADD) is refused, and so are ``SERVICE``
   and ``FROM`` / ``FROM NAMED``: a query reads this graph and nothing else, never the network or
   the disk. The decision comes from the parse tree, so a keyword in a comment or a string literal
   neither triggers nor hides it.
2. Values from users enter only as bindings: RDF terms substituted for variables by the engine,
   never spliced into the query text.
3. The query runs in a forked child (:mod:`graph.isolation`) that is killed at the time limit or
   when it grows past the memory limit; the calling process stays usable. The child has no network
   where the kernel allows that.
4. At most ``max_rows`` rows (or triples) come back; a longer result is cut and says so
   (``QueryResult.truncated``).

On the Oxigraph store the query goes to pyoxigraph directly as a string (a query prepared with
rdflib's ``prepareQuery`` makes oxrdflib fall back, silently, to rdflib's engine, 40 to 70 times
slower). On the ``rdflib`` store, rdflib's engine runs with ``SPARQL_LOAD_GRAPHS`` off.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import re
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache, partial
from pathlib import Path

import pyoxigraph as ox
import rdflib.plugins.sparql as rdflib_sparql
from pyparsing import ParseException, ParseResults
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Identifier
from rdflib.util import from_n3

from .errors import InputError, with_article
from .isolation import ChildFailed, Stopped, can_isolate, run_isolated
from .library import ONTOLOGY_DIR
from .sparql_rules import rule_violation, unknown_calls, unsupported_function, with_calls_as_iris
from .store import is_oxigraph, is_remote, ox_graph_name
from .vocab import PREFIXES

# ---------------------------------------------------------------- guardrails

DEFAULT_TIMEOUT_MS = 2000  # interactive use: a query that needs longer is almost always a mistake
DEFAULT_MAX_ROWS = 1000  # rows (or triples) returned; more are cut and the result says so
DEFAULT_MAX_MEMORY_MB = 512  # growth of the query worker; a cross join with ORDER BY takes 1 GB in 2 s
MAX_QUERY_CHARS = 100_000  # a query text longer than this is refused before parsing
MAX_TIMEOUT_MS = 600_000  # upper bounds of what a caller may ask for
MAX_ROWS_LIMIT = 1_000_000
QUERIES_DIR = ONTOLOGY_DIR / "queries"


@dataclass(frozen=True)
class Guardrails:
    """The limits every query runs under, as named settings.

    Examples
    --------
    >>> Guardrails()
    Guardrails(timeout_ms=2000, max_rows=1000, max_memory_mb=512, max_query_chars=100000)
    >>> Guardrails(timeout_ms=0)
    Traceback (most recent call last):
    ...
    graph.errors.InputError: timeout_ms must be an integer from 1 to 600000, not 0
    """

    timeout_ms: int = DEFAULT_TIMEOUT_MS
    max_rows: int = DEFAULT_MAX_ROWS
    max_memory_mb: int = DEFAULT_MAX_MEMORY_MB
    max_query_chars: int = MAX_QUERY_CHARS

    def __post_init__(self):
        for name, upper in (
            ("timeout_ms", MAX_TIMEOUT_MS),
            ("max_rows", MAX_ROWS_LIMIT),
            ("max_memory_mb", 1_000_000),
            ("max_query_chars", 10_000_000),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
                raise InputError(f"{name} must be an integer from 1 to {upper}, not {value!r}")


DEFAULT_GUARDRAILS = Guardrails()

# ---------------------------------------------------------------- errors


class QueryError(InputError):
    """A query that cannot be answered as asked (exit code 2)."""


class QuerySyntaxError(QueryError):
    """Not SPARQL 1.1: the message gives the line and column."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line, self.column = line, column


class QueryRefused(QueryError):
    """A query the guards do not run: ``reason`` is "update", "service", "dataset" or "size"."""

    def __init__(self, message: str, *, reason: str = ""):
        super().__init__(message)
        self.reason = reason


class QueryRuleError(QuerySyntaxError):
    """A query that breaks one of SPARQL 1.1's grouping or scope rules (:mod:`graph.sparql_rules`):
    the message names the rule and the variable."""


class QueryUnsupported(QueryError):
    """A query that calls a function this graph's engines do not have."""


class QueryTimeout(QueryError):
    """A query stopped at its time limit."""


class QueryTooLarge(QueryError):
    """A query stopped at its memory limit."""


class QueryFailed(QueryError):
    """The engine failed on a query it had accepted."""


# ---------------------------------------------------------------- results

FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}


@dataclass(frozen=True)
class QueryResult:
    """The answer to one query, in rdflib terms.

    ``form`` is "SELECT", "ASK", "CONSTRUCT" or "DESCRIBE". SELECT fills ``variables`` and ``rows``
    (None where a variable is unbound); ASK fills ``boolean``; CONSTRUCT and DESCRIBE fill
    ``triples``. ``truncated`` is True when more rows or triples matched than ``max_rows``.
    """

    form: str
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Identifier | None, ...], ...] = ()
    boolean: bool | None = None
    triples: tuple[tuple[Identifier, Identifier, Identifier], ...] = ()
    truncated: bool = False
    max_rows: int = DEFAULT_MAX_ROWS
    elapsed_ms: float = 0.0
    cached: bool = False  # answered from the answers kept since load (graph.answers), not by the engine

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def __len__(self) -> int:
        return len(self.triples) if self.is_graph else len(self.rows)

    def records(self) -> list[dict[str, Identifier]]:
        """SELECT rows as dictionaries, leaving out unbound variables."""
        return [{v: t for v, t in zip(self.variables, row) if t is not None} for row in self.rows]

    def values(self, variable: str) -> list[Identifier | None]:
        """One column of a SELECT result."""
        index = self.variables.index(variable)
        return [row[index] for row in self.rows]

    @property
    def graph(self) -> Graph:
        """CONSTRUCT or DESCRIBE triples as an rdflib memory graph with the project's prefixes."""
        from .vocab import bind_prefixes

        graph = Graph()
        bind_prefixes(graph)
        for triple in self.triples:
            graph.add(triple)
        return graph


# ---------------------------------------------------------------- checking


BOM = "\ufeff"


def without_bom(text: str) -> str:
    """The query text without the byte order mark an editor on Windows puts at the start of a
    UTF-8 file (``q.rq`` saved by Notepad, a body POSTed from such a file): it is no part of the
    query, and SPARQL's grammar has no place for it.

    >>> without_bom("\ufeffASK { ?s ?p ?o }")
    'ASK { ?s ?p ?o }'
    >>> without_bom("ASK { ?s ?p '\ufeff' }")
    "ASK { ?s ?p '\ufeff' }"
    """
    return text[1:] if text.startswith(BOM) else text


#: Parsing has a limit of its own, never below this: a short query time limit is meant for the
#: evaluation, and a parse that takes milliseconds must not be stopped because a busy machine kept
#: its worker waiting (a query of 5,000 triple patterns takes 1.8 s to parse, and is stopped).
PARSE_MIN_MS = 1000


def check_query(text: str, *, max_chars: int = MAX_QUERY_CHARS, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> str:
    """Parse a query and apply the guards; return its form ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE").
    A byte order mark at the start of the text is left out (see :func:`without_bom`).

    Raises
    ------
    QuerySyntaxError : not a SPARQL 1.1 query (the message gives line and column).
    QueryRuleError : a query that breaks SPARQL's grouping or scope rules (:mod:`graph.sparql_rules`).
    QueryUnsupported : a call of a function other than SPARQL's own and the XSD casts.
    QueryRefused : an update, SERVICE, FROM / FROM NAMED, or a text longer than ``max_chars``.
    QueryTimeout : a query so long that parsing it takes longer than ``timeout_ms``, or
        ``PARSE_MIN_MS`` where that is longer.

    Examples
    --------
    >>> check_query("SELECT * WHERE { ?s ?p ?o } # DELETE WHERE { ?s ?p ?o }")
    'SELECT'
    >>> check_query('ASK { ?s ?p "SERVICE <http://example.org/> {}" }')
    'ASK'
    >>> check_query("DELETE WHERE { ?s ?p ?o }")
    Traceback (most recent call last):
    ...
    graph.sparql.QueryRefused: SPARQL UPDATE is refused: the knowledge graph is read-only
    >>> check_query("SELECT * WHERE { ?s ?p }")
    Traceback (most recent call last):
    ...
    graph.sparql.QuerySyntaxError: SPARQL syntax error at line 1, column 18: expected SelectQuery, found '?'
    """
    if isinstance(text, str):
        text = without_bom(text)
    if not isinstance(text, str) or not text.strip():
        raise QuerySyntaxError("empty query: give a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    if len(text) > max_chars:
        raise QueryRefused(f"the query is {len(text):,} characters; the limit is {max_chars:,}", reason="size")
    bundled = _bundled_forms().get(text)
    if bundled is not None:  # a saved query of the product, parsed and checked by its tests
        return bundled
    return _checked_form(text, max(timeout_ms, PARSE_MIN_MS))


@lru_cache(maxsize=1)
def _bundled_forms() -> dict[str, str]:
    """The product's saved queries (``ontology/queries/``), text to form. rdflib's parser takes 11
    to 124 ms a query (it is pure Python), as long as Oxigraph takes to answer one at 100
    guidelines; these texts are the product's own, and tests/test_saved_queries.py parses and
    checks each as any query is checked, so they need not be parsed again on every first run."""
    from .store import query_form

    return {q.text: query_form(q.text) for q in saved_queries()}



# rdflib's SPARQL grammar (pyparsing) must not run in two threads at once: pyparsing learns each
# parse action's arity on its first calls, and two threads learning together leave it wrong for
# good (every later parse raises "TypeError: ... missing 1 required positional argument"). The
# endpoint and the app run queries in threads. So a query is parsed in a forked worker, like its
# evaluation: workers share nothing, run on every core, and are stopped at the time limit (a
# 95,000-character query of ORs takes rdflib 23 s to parse; in this process that would hold up
# every other query). Where no worker can be forked, parses take turns under PARSER_LOCK; and no
# worker is forked in the middle of a parse in this process (it would inherit a half-learnt
# grammar). tests/test_hardening.py::test_concurrent_first_queries_broke_the_parser_for_good.
PARSER_LOCK = threading.Lock()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=PARSER_LOCK.acquire, after_in_parent=PARSER_LOCK.release,
                        after_in_child=PARSER_LOCK.release)


def _warm_up_parser() -> None:
    """Parse one query of the common forms here, once, so that the workers forked later inherit a
    grammar that has learnt its parse actions (a cold parse costs a worker 45 to 70 ms, a warm one
    12 to 35 ms: measured on the saved queries)."""
    with PARSER_LOCK:
        for text in (_WARM_UP, "ASK { ?s ?p ?o }", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "DESCRIBE <urn:x>"):
            parseQuery(text)
        parseUpdate("DELETE WHERE { ?s ?p ?o }")


_WARM_UP = """PREFIX gg: <https://w3id.org/guidegraph/ontology#>
SELECT DISTINCT ?s (COUNT(?o) AS ?n) (GROUP_CONCAT(STR(?o); separator=", ") AS ?all) WHERE {
  ?s a gg:Statement ; gg:sourceLine ?line ; ^gg:recommends|gg:hasDose/gg:drug ?o .
  OPTIONAL { ?s gg:text ?text FILTER(CONTAINS(LCASE(?text), "mg") && ?line >= 1 || !BOUND(?text)) }
  FILTER NOT EXISTS { ?s gg:uncited true } MINUS { ?s a gg:Pitfall }
  { ?s ?p "x"@en } UNION { VALUES ?p { gg:low gg:high } BIND(IF(isIRI(?s), 1, 2.5e0) AS ?k) }
} GROUP BY ?s HAVING (COUNT(?o) > 0) ORDER BY DESC(?n) ?s LIMIT 10 OFFSET 1"""


@lru_cache(maxsize=256)
def _checked_form(text: str, timeout_ms: int) -> str:
    # Cached: parsing takes about 30 ms for a page-long query (plus 6 ms for the worker), and saved
    # queries repeat.
    if not can_isolate():  # pragma: no cover - no fork (Windows): in this process, one parse at a time
        with PARSER_LOCK:
            try:
                return _parsed_form(text)
            except RecursionError:
                raise QueryRefused("the query nests too deeply to parse", reason="size") from None
    try:
        # rdflib's grammar recurses once per triple pattern: the worker has room to recurse (a
        # query of about 100 patterns passes Python's default limit).
        return run_isolated(partial(_parsed_form, text, depth=_DEEP_RECURSION), timeout_ms=timeout_ms,
                            max_memory_mb=DEFAULT_MAX_MEMORY_MB).value
    except Stopped:
        raise QueryTimeout(f"the query is too long to parse: parsing passed its limit of {timeout_ms:,} ms") from None
    except (ChildFailed, RecursionError):
        raise QueryRefused("the query nests too deeply to parse", reason="size") from None


_DEEP_RECURSION = 100_000
_warm_up_parser()


def _parsed_form(text: str, *, depth: int | None = None) -> str:
    if depth:
        sys.setrecursionlimit(depth)  # only ever in an isolated worker
    try:
        tree = parseQuery(text)
    except ParseException as error:
        raise _not_a_query(text, error) from None
    query = tree[1]
    if "datasetClause" in query:  # CompValue.get answers the key's name when it is absent
        raise QueryRefused(
            "FROM and FROM NAMED are refused: a query reads this knowledge graph only", reason="dataset"
        )
    if _contains_service(tree):
        raise QueryRefused("SERVICE is refused: a query never leaves this knowledge graph", reason="service")
    broken = rule_violation(tree)
    if broken:
        raise QueryRuleError(broken)
    function = unsupported_function(tree, PREFIXES)
    if function:
        raise QueryUnsupported(_unsupported_message(function))
    return FORMS[query.name]


def _unsupported_message(function: str) -> str:
    return (f"the function {function} is not supported here: use SPARQL 1.1's built-in functions "
            "(STRLEN, CONTAINS, ...) or an XSD cast such as xsd:integer(?x)")


def _not_a_query(text: str, error: ParseException) -> QueryError:
    """Why a text that is not a query was rejected: an update, a SERVICE clause, or a syntax error."""
    try:
        update = parseUpdate(text)
    except ParseException:
        update = None
    if update is not None and "request" in update:  # a bare prologue also parses, as an empty update
        return QueryRefused("SPARQL UPDATE is refused: the knowledge graph is read-only", reason="update")
    if _is_service_query(text):
        return QueryRefused("SERVICE is refused: a query never leaves this knowledge graph", reason="service")
    calls = unknown_calls(text)
    if calls and _parses(with_calls_as_iris(text, calls)):  # the unknown names were the only fault
        name, _, line, column, close = calls[0]
        hint = f"; did you mean {close}?" if close else ""
        return QueryUnsupported(_unsupported_message(f"{name} (line {line}, column {column})") + hint)
    expected = error.msg[:1].lower() + error.msg[1:]
    return QuerySyntaxError(
        f"SPARQL syntax error at line {error.lineno}, column {error.col}: {expected}, found {error.found}",
        line=error.lineno,
        column=error.col,
    )


def _parses(text: str) -> bool:
    try:
        parseQuery(text)
    except ParseException:
        return False
    return True


def _is_service_query(text: str) -> bool:
    """Whether a query rdflib could not parse fails only for its SERVICE clause.

    rdflib's parser rejects a valid SERVICE clause that follows a '#' (as in an IRI) on the same
    line: its SERVICE parse action searches the whole text with comments skipped. Such a query is
    refused either way; this finds out whether to say "SERVICE" rather than "syntax error" by
    parsing a copy with each SERVICE on a line of its own. Never used to let a query run.
    """
    spread = re.sub(r"(?i)\bSERVICE\b", "\nSERVICE", text)
    if spread == text:
        return False
    try:
        return _contains_service(parseQuery(spread))
    except ParseException:
        return False


def _contains_service(node) -> bool:
    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            return True
        return any(_contains_service(value) for value in node.values())
    if isinstance(node, (list, tuple, ParseResults)):  # ParseResults is not a list subclass
        return any(_contains_service(item) for item in node)
    return False


# ---------------------------------------------------------------- bindings

_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")
_DOUBLE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")
# A quoted literal whole, as Turtle writes it: "text" or """text""", then @lang or ^^datatype, and
# nothing after. rdflib's reader alone takes '"abc' for "" and '"a"b' for "a", silently.
_ESCAPE = r"""\\(?:[tbnrf"'\\]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})"""
_QUOTED_LITERAL = re.compile(
    rf'''(?:"(?:[^"\\\n\r]|{_ESCAPE})*"|"""(?:"{{0,2}}(?:[^"\\]|{_ESCAPE}))*""")'''
    r'''(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(?:<[^\x00-\x20<>"{}|\\^`]*>|[A-Za-z][\w.-]*:[\w.-]*))?''',
    re.DOTALL,
)


def to_term(value) -> Identifier:
    """An RDF term for a binding: IRIs and literals as given, Python values as typed literals.

    A Python ``str`` is a plain string literal, never an IRI: pass ``URIRef`` for an IRI.

    >>> to_term(3)
    rdflib.term.Literal('3', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
    >>> to_term("tacrolimus")
    rdflib.term.Literal('tacrolimus')
    """
    if isinstance(value, BNode):
        raise InputError("a blank node cannot be bound: it names nothing outside one result")
    if isinstance(value, (URIRef, Literal)):
        return value
    if isinstance(value, (bool, int, float, Decimal, str, _dt.date, _dt.datetime, _dt.time)):
        return Literal(value)
    raise InputError(f"cannot bind {with_article(type(value).__name__)}: give an IRI (URIRef), a literal or a plain value")


def check_bindings(bindings: dict | None) -> dict[str, Identifier]:
    """Variable names without '?', each with an RDF term; refuse anything else."""
    checked = {}
    for name, value in (bindings or {}).items():
        bare = str(name).lstrip("?$")
        if not _VARIABLE.match(bare):
            raise InputError(f"{name!r} is not a variable name: use letters, digits and '_'")
        checked[bare] = to_term(value)
    return checked


def parse_term(text: str) -> Identifier:
    """A value typed by a user, read as an RDF term (the CLI's ``--bind name=value``).

    ``<iri>`` and ``prefix:name`` (with the project's prefixes) are IRIs; ``"text"``,
    ``"text"@en`` and ``"5"^^xsd:integer`` are literals as in Turtle; integers, decimals, doubles
    and true/false are typed literals; anything else is a plain string literal.

    >>> parse_term("3")
    rdflib.term.Literal('3', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
    >>> parse_term("kb:lupus-tacrolimus-rebound")
    rdflib.term.URIRef('https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound')
    >>> parse_term("tacrolimus")
    rdflib.term.Literal('tacrolimus')
    >>> parse_term('"a b"'), parse_term('"rash"@en'), parse_term('"3"^^xsd:integer')
    (rdflib.term.Literal('a b'), rdflib.term.Literal('rash', lang='en'), rdflib.term.Literal('3', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer')))

    A quoted value that does not end where its literal ends is refused, not cut short, and so are
    an IRI without its closing ``>`` and a literal that its datatype cannot read:

    >>> parse_term("<https://w3id.org/guidegraph/kb/x")
    Traceback (most recent call last):
    ...
    graph.errors.InputError: cannot read '<https://w3id.org/guidegraph/kb/x' as an IRI: write <https://...>, with no space, quote or <> inside
    >>> parse_term('"x"^^xsd:integer')
    Traceback (most recent call last):
    ...
    graph.errors.InputError: cannot read '"x"^^xsd:integer' as a literal: 'x' is not a valid xsd:integer

    >>> parse_term('"abc')
    Traceback (most recent call last):
    ...
    graph.errors.InputError: cannot read '"abc' as a literal: write "text", "text"@en or "text"^^xsd:type, with \\" for a quote inside
    >>> parse_term('"a"b')
    Traceback (most recent call last):
    ...
    graph.errors.InputError: cannot read '"a"b' as a literal: write "text", "text"@en or "text"^^xsd:type, with \\" for a quote inside
    """
    text = text.strip()
    if _INTEGER.match(text):
        return Literal(text, datatype=XSD.integer)
    if _DECIMAL.match(text):
        return Literal(text, datatype=XSD.decimal)
    if _DOUBLE.match(text):
        return Literal(text, datatype=XSD.double)
    if text in ("true", "false"):
        return Literal(text == "true")
    if text.startswith('"') and not _QUOTED_LITERAL.fullmatch(text):
        raise InputError(f'cannot read {text!r} as a literal: write "text", "text"@en or "text"^^xsd:type, '
                         'with \\" for a quote inside')
    if text.startswith("<") and not (text.endswith(">") and _is_iri(text[1:-1])):
        raise InputError(f"cannot read {text!r} as an IRI: write <https://...>, with no space, quote or <> inside")
    if text.startswith(("<", '"')):
        from .vocab import bind_prefixes

        names = Graph()
        bind_prefixes(names)
        try:
            with _quiet_rdflib_terms():
                term = from_n3(text, nsm=names.namespace_manager)
        except Exception:  # noqa: BLE001 - rdflib raises several types for a malformed term
            term = None
        if not isinstance(term, (URIRef, Literal)) or (isinstance(term, URIRef) and not _is_iri(str(term))):
            raise InputError(f"cannot read {text!r} as an IRI or a literal")
        if isinstance(term, Literal) and term.ill_typed:
            datatype = names.namespace_manager.normalizeUri(term.datatype)
            raise InputError(f"cannot read {text!r} as a literal: {str(term)!r} is not a valid {datatype}")
        return term
    prefix, colon, local = text.partition(":")
    if colon and prefix in PREFIXES and " " not in local:
        return URIRef(str(PREFIXES[prefix]) + local)
    return Literal(text)


@contextmanager
def _quiet_rdflib_terms():
    """rdflib logs a traceback for a literal whose text does not fit its datatype; such a value
    is refused here in one line instead (``Literal.ill_typed``)."""
    import logging

    logger = logging.getLogger("rdflib.term")
    quiet = logging.Filter("nothing")  # passes only records of a logger named "nothing"
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def parse_binding(text: str) -> tuple[str, Identifier]:
    """``name=value`` as a variable name and an RDF term (see :func:`parse_term`).

    >>> parse_binding("ref=3")[0]
    'ref'
    """
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise InputError(f"a binding is name=value, not {text!r}")
    (bare, term), = check_bindings({name.strip(): parse_term(value)}).items()
    return bare, term


def parse_bindings(texts) -> dict[str, Identifier]:
    """Several ``name=value`` texts (the CLI's ``--bind`` options) as bindings; a variable given
    twice is refused rather than the last value silently winning.

    >>> parse_bindings(["ref=3", "guideline=kb:x"])["ref"]
    rdflib.term.Literal('3', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
    >>> parse_bindings(["ref=3", "?ref=4"])
    Traceback (most recent call last):
    ...
    graph.errors.InputError: ref is bound twice (--bind ref=3, then ref=4): give each variable one value
    """
    bindings: dict[str, Identifier] = {}
    given: dict[str, str] = {}
    for text in texts:
        name, term = parse_binding(text)
        if name in bindings:
            raise InputError(f"{name} is bound twice (--bind {given[name]}, then {text.lstrip('?$')}): "
                             "give each variable one value")
        bindings[name], given[name] = term, text.lstrip("?$")
    return bindings


def check_listing_request(query: str | None, saved: str | None, bindings) -> None:
    """``--list`` lists the saved queries and runs none: a query, ``--saved`` or ``--bind`` beside
    it would be ignored, so it is refused.

    >>> check_listing_request(None, None, [])
    >>> check_listing_request(None, "pitfalls", [])
    Traceback (most recent call last):
    ...
    graph.errors.InputError: --list lists the saved queries and runs none: leave out --saved, or leave out --list to run it
    """
    given = [what for what, present in (("the query", query is not None), ("--saved", saved is not None),
                                         ("--bind", bool(bindings))) if present]
    if given:
        raise InputError(f"--list lists the saved queries and runs none: leave out {' and '.join(given)}, "
                         "or leave out --list to run it")


def _is_iri(text: str) -> bool:
    return bool(text) and not re.search(r'[\s<>"{}|\\^`]', text)


# ---------------------------------------------------------------- running


def run_query(
    graph: Graph,
    text: str,
    *,
    bindings: dict | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_memory_mb: int = DEFAULT_MAX_MEMORY_MB,
    max_query_chars: int = MAX_QUERY_CHARS,
    answers=None,
) -> QueryResult:
    """Run one read-only SPARQL query under the guardrails.

    Parameters
    ----------
    graph : the knowledge graph (``kb.graph``), on the Oxigraph or the rdflib store.
    text : a SPARQL 1.1 query; the project's prefixes (gg:, kb:, cito:, dcterms:, ...) need no
        PREFIX declaration.
    bindings : values for variables, as RDF terms or plain Python values (see :func:`to_term`).
    timeout_ms, max_rows, max_memory_mb, max_query_chars : the limits (see :class:`Guardrails`).
    answers : a :class:`graph.answers.Answers` to keep the answer in and answer from (the
        knowledge base's, see ``KnowledgeBase.query``); the query is checked before either.

    Returns
    -------
    QueryResult

    Raises
    ------
    QuerySyntaxError, QueryRefused, QueryTimeout, QueryTooLarge, QueryFailed (all InputError).

    Examples
    --------
    >>> from graph import KnowledgeBase
    >>> kb = KnowledgeBase.load(validate=False)
    >>> result = run_query(kb.graph, "SELECT ?n WHERE { ?c gg:referenceNumber ?n } ORDER BY ?n", max_rows=2)
    >>> [int(n) for n in result.values("n")], result.truncated
    ([1, 1], True)
    >>> run_query(kb.graph, "ASK { ?s a gg:Pitfall }").boolean
    True
    """
    limits = Guardrails(
        timeout_ms=timeout_ms, max_rows=max_rows, max_memory_mb=max_memory_mb, max_query_chars=max_query_chars
    )
    if isinstance(text, str):
        text = without_bom(text)  # the engine and the kept answers see the query as checked
    form = check_query(text, max_chars=limits.max_query_chars, timeout_ms=timeout_ms)
    terms = check_bindings(bindings)
    if _VOLATILE.search(text):
        answers = None  # a new answer each run, as the query asks
    key = answers.key(text, terms, max_rows) if answers is not None else None
    if key is not None and (kept := answers.get(key)) is not None:
        return kept
    result = _run_guarded(graph, text, terms, form=form, limits=limits)
    if key is not None:
        answers.put(key, result)
    return result


# Functions whose value is new on each run (SPARQL 1.1, 17.4): a query that calls one is never
# answered from the kept answers. Found as words anywhere in the text, so that a word in a string
# or a comment only costs a kept answer, and no spelling of a call slips through.
_VOLATILE = re.compile(r"\b(?:NOW|RAND|UUID|STRUUID|BNODE)\b", re.IGNORECASE)


def _run_guarded(graph: Graph, text: str, terms: dict, *, form: str, limits: Guardrails) -> QueryResult:
    """The checked query in the isolated worker, its stops turned into one-line errors."""
    timeout_ms, max_rows, max_memory_mb = limits.timeout_ms, limits.max_rows, limits.max_memory_mb
    if can_isolate():
        work = partial(_evaluate_isolated, graph, text, terms, form=form, max_rows=max_rows, deadline=None)
    else:  # pragma: no cover - no fork (Windows): rows that stream are checked against the deadline
        deadline = time.monotonic() + timeout_ms / 1000
        work = partial(_evaluate, graph, text, terms, form=form, max_rows=max_rows, deadline=deadline)
    try:
        # A remote store is reached over the network; SERVICE and FROM are refused above all the same.
        outcome = run_isolated(work, timeout_ms=timeout_ms, max_memory_mb=max_memory_mb, network=is_remote(graph))
    except Stopped as stop:
        if stop.reason == "time":
            raise QueryTimeout(
                f"query stopped at its time limit of {timeout_ms} ms (timeout_ms); narrow it or raise the limit"
            ) from None
        raise QueryTooLarge(
            f"query stopped at its memory limit of {max_memory_mb} MB (max_memory_mb); narrow it or raise the limit"
        ) from None
    except ChildFailed as failure:
        raise QueryFailed(f"query failed: {failure}") from None
    except InputError:
        raise
    except Exception as error:  # an engine error the guards did not foresee: one line, never a traceback
        raise QueryFailed(f"query failed: {type(error).__name__}: {' '.join(str(error).split())}") from None
    return replace(outcome.value, elapsed_ms=round(outcome.elapsed_ms, 1))


def _evaluate(graph: Graph, text: str, bindings: dict, *, form: str, max_rows: int, deadline: float | None):
    """The query itself, in this process (see :func:`_evaluate_isolated` for the worker)."""
    if is_oxigraph(graph):
        return _evaluate_oxigraph(graph, text, bindings, form=form, max_rows=max_rows, deadline=deadline)
    return _evaluate_rdflib(graph, text, bindings, form=form, max_rows=max_rows, deadline=deadline)


def _evaluate_isolated(*args, **kwargs):
    """:func:`_evaluate` in the isolated worker, where rdflib's engine may recurse as deep as a
    long query needs (the raised limit dies with the worker)."""
    sys.setrecursionlimit(_DEEP_RECURSION)
    if _VOLATILE.search(args[1]):
        # A forked worker inherits the random generator of the thread that forked it, so RAND()
        # and UUID() would repeat from one query to the next; a new thread seeds its own.
        return _in_new_thread(partial(_evaluate, *args, **kwargs))
    return _evaluate(*args, **kwargs)


def _in_new_thread(work):
    outcome = []

    def run():
        try:
            outcome.append((True, work()))
        except BaseException as error:  # noqa: BLE001 - raised again in the calling thread
            outcome.append((False, error))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


_OX_PREFIXES = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def _evaluate_oxigraph(graph, text, bindings, *, form, max_rows, deadline) -> QueryResult:
    store = graph.store._inner  # oxrdflib's pyoxigraph Store (created on first use)
    try:
        answer = store.query(
            text,
            prefixes=_OX_PREFIXES,
            default_graph=ox_graph_name(graph),  # where the knowledge graph's triples are (on disk, the default graph)
            named_graphs=[],  # GRAPH ?g sees nothing, as on a server: not the knowledge graph's name, nor the manifest
            substitutions={ox.Variable(name): to_ox(term) for name, term in bindings.items()},
        )
    except SyntaxError as error:
        raise _oxigraph_syntax_error(str(error), text) from None
    except RuntimeError as error:
        unprojected = re.search(r"variable \?(\w+) in its SELECT projection", str(error))
        if unprojected:  # Oxigraph binds as SEP-0007 says: only variables the query returns
            name = unprojected[1]
            message = f"cannot bind ?{name}: a bound variable must be in the SELECT clause (add ?{name})"
            raise InputError(message) from None
        unknown = re.search(r"custom function (\S+) is not supported", str(error))
        if unknown:  # an XSD cast Oxigraph does not have (the others are refused before the engine)
            raise QueryUnsupported(_unsupported_message(unknown[1])) from None
        raise QueryFailed(f"query failed: {' '.join(str(error).split())}") from None
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(form, boolean=bool(answer), max_rows=max_rows)
    if isinstance(answer, ox.QuerySolutions):
        variables = tuple(v.value for v in answer.variables)
        rows, truncated = _take(answer, max_rows, deadline)
        seen: dict = {}  # rdflib terms are slow to make (a literal about 10 us); rows repeat many values

        def term(x):
            if x is None:
                return None
            found = seen.get(x)
            if found is None:
                found = seen[x] = from_ox(x)
            return found

        converted = tuple(tuple(term(value) for value in row) for row in rows)
        return QueryResult(form, variables=variables, rows=converted, truncated=truncated, max_rows=max_rows)
    triples, truncated = _take(answer, max_rows, deadline)
    converted = tuple((from_ox(s), from_ox(p), from_ox(o)) for s, p, o in triples)
    return QueryResult(form, triples=converted, truncated=truncated, max_rows=max_rows)


def _evaluate_rdflib(graph, text, bindings, *, form, max_rows, deadline) -> QueryResult:
    # Never fetch FROM graphs (they are refused above; this is the second lock). In the isolated
    # child this changes nothing for the parent.
    rdflib_sparql.SPARQL_LOAD_GRAPHS = False
    try:
        answer = graph.query(text, initNs=PREFIXES, initBindings=bindings)
    except ParseException as error:
        raise _not_a_query(text, error) from None
    except Exception as error:  # rdflib raises plain Exception for an unknown prefix
        if "prefix" in str(error).lower():
            raise QuerySyntaxError(f"SPARQL syntax error: {error}") from None
        raise QueryFailed(f"query failed: {' '.join(str(error).split())}") from None
    if answer.type == "ASK":
        return QueryResult(form, boolean=bool(answer.askAnswer), max_rows=max_rows)
    if answer.type == "SELECT":
        rows, truncated = _take((tuple(row) for row in answer), max_rows, deadline)
        variables = tuple(str(v) for v in answer.vars)
        return QueryResult(form, variables=variables, rows=tuple(rows), truncated=truncated, max_rows=max_rows)
    triples, truncated = _take(iter(answer.graph), max_rows, deadline)
    return QueryResult(form, triples=tuple(triples), truncated=truncated, max_rows=max_rows)


def _take(items, max_rows: int, deadline: float | None) -> tuple[list, bool]:
    """Up to ``max_rows`` items, and whether there were more; checks the deadline as rows stream
    (only needed where no isolated child enforces it)."""
    taken = []
    for item in items:
        if len(taken) == max_rows:
            return taken, True
        if deadline is not None and time.monotonic() > deadline:
            raise QueryTimeout("query stopped at its time limit (timeout_ms); narrow it or raise the limit")
        taken.append(tuple(item))
    return taken, False


def _oxigraph_syntax_error(message: str, text: str) -> QuerySyntaxError:
    """Oxigraph's "error at 3:7: expected ..." as one line with line and column."""
    match = re.match(r"error at (\d+):(\d+):\s*(.*)", message, re.S)
    if not match:
        return QuerySyntaxError(f"SPARQL syntax error: {' '.join(message.split())[:200]}")
    line, column, detail = int(match[1]), int(match[2]), " ".join(match[3].split())
    if "Prefix not found" in detail:
        before = text.splitlines()[line - 1][: column - 1] if line <= len(text.splitlines()) else ""
        names = re.findall(r"([A-Za-z][\w.-]*)?:[\w.-]*$", before)
        name = f"{names[-1]}:" if names else "a prefix"
        detail = f"prefix {name} is not declared (add PREFIX {name} <IRI>)"
    if len(detail) > 160:
        detail = detail[:157] + "..."
    return QuerySyntaxError(f"SPARQL syntax error at line {line}, column {column}: {detail}", line=line, column=column)


# ---------------------------------------------------------------- terms between rdflib and pyoxigraph

_XSD_STRING = str(XSD.string)


def _iri(value: str) -> URIRef:
    """The rdflib IRI of an Oxigraph IRI. URIRef(value) checks the text again, a third of the
    time of listing 50,000 start nodes; Oxigraph admits only valid IRIs, and URIRef is a plain
    str subclass whose constructor otherwise only makes the string.

    >>> _iri("urn:a") == URIRef("urn:a"), type(_iri("urn:a")) is URIRef, hash(_iri("urn:a")) == hash(URIRef("urn:a"))
    (True, True, True)
    """
    return str.__new__(URIRef, value)


def from_ox(term) -> Identifier | None:
    """A pyoxigraph term as an rdflib term ("x"^^xsd:string becomes the simple literal "x")."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return _iri(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=_iri(term.datatype.value))
    return Literal(str(term))  # an RDF-star triple term: rdflib has no such term


class TermConverter:
    """:func:`from_ox` with a memo keyed by each term's text, for results that repeat terms (a
    CONSTRUCT of decision layers, rows of a SELECT). Making an rdflib term costs microseconds and
    hashing a pyoxigraph term more than that; a Python string hashes in nanoseconds.

    >>> convert = TermConverter()
    >>> convert(ox.NamedNode("urn:a")) is convert(ox.NamedNode("urn:a"))
    True
    >>> convert(ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))).toPython()
    5
    """

    def __init__(self):
        self._named: dict[str, URIRef] = {}
        self._blank: dict[str, BNode] = {}
        self._literal: dict[tuple, Literal] = {}

    def __call__(self, term) -> Identifier | None:
        kind = type(term)
        if kind is ox.NamedNode:
            value = term.value
            found = self._named.get(value)
            if found is None:
                found = self._named[value] = _iri(value)
            return found
        if kind is ox.BlankNode:
            value = term.value
            found = self._blank.get(value)
            if found is None:
                found = self._blank[value] = BNode(value)
            return found
        if kind is ox.Literal:
            key = (term.value, term.datatype.value, term.language)
            found = self._literal.get(key)
            if found is None:
                found = self._literal[key] = from_ox(term)
            return found
        return from_ox(term)


def to_ox(term: Identifier):
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise InputError(f"not an RDF term: {term!r}")


# ---------------------------------------------------------------- saved queries


@dataclass(frozen=True)
class QueryParameter:
    """A variable a saved query expects as a binding (``# param: ref (required, integer) ...``).

    ``kind`` says what the value must be, so that a value of the wrong kind is refused instead of
    quietly matching nothing: ``iri``, ``integer`` or ``text`` (a literal, read as its words); empty
    for any term.
    """

    name: str
    description: str
    required: bool = True
    kind: str = ""

    @property
    def takes(self) -> str:
        """``required``, ``optional, integer``: how the listing and the endpoint's page show it."""
        return ", ".join(filter(None, ("required" if self.required else "optional", self.kind)))

    def check(self, value: Identifier) -> Identifier:
        """The value, if it is of this parameter's kind (text is given as a plain string literal)."""
        if self.kind == "iri" and isinstance(value, URIRef):
            return value
        if self.kind == "integer" and isinstance(value, Literal) and value.datatype == XSD.integer:
            return value
        if self.kind == "text" and isinstance(value, Literal):
            return value if value.datatype is None else Literal(str(value))
        if not self.kind:
            return value
        wanted = {"iri": "an IRI", "integer": "an integer", "text": "text"}[self.kind]
        shown = f"<{value}>" if isinstance(value, URIRef) else repr(str(value))
        raise InputError(f"{self.name} takes {wanted} ({self.description}), not {shown}")


@dataclass(frozen=True)
class SavedQuery:
    """A query from ``ontology/queries/NAME.rq``; its opening comments give title and description."""

    name: str
    title: str
    description: str
    text: str
    parameters: tuple[QueryParameter, ...] = field(default=())

    def to_dict(self) -> dict:
        """Name, title, description, parameters and text, as the endpoint and ``--list`` give them."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "parameters": [
                {"name": p.name, "description": p.description, "required": p.required, "kind": p.kind or None}
                for p in self.parameters
            ],
            "text": self.text,
        }

    def check_bindings(self, bindings: dict | None) -> dict[str, Identifier]:
        """The bindings, checked against the declared parameters: all required, none unknown."""
        checked = check_bindings(bindings)
        declared = {p.name for p in self.parameters}
        unknown = sorted(set(checked) - declared)
        if unknown:
            takes = ", ".join(sorted(declared)) or "no bindings"
            raise InputError(f"saved query {self.name!r} takes {takes}; not {', '.join(unknown)}")
        missing = [p for p in self.parameters if p.required and p.name not in checked]
        if missing:
            first = missing[0]
            raise InputError(f"saved query {self.name!r} needs a value for {first.name}: {first.description}")
        kinds = {p.name: p for p in self.parameters}
        try:
            return {name: kinds[name].check(value) for name, value in checked.items()}
        except InputError as error:
            raise InputError(f"saved query {self.name!r}: {error}") from None


_HEADER = re.compile(r"^#\s*(title|description|param)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s*\((required|optional)(?:\s*,\s*(iri|integer|text))?\)\s*(.*)$")


def read_saved_query(path: str | Path) -> SavedQuery:
    """One ``.rq`` file as a :class:`SavedQuery`; the file must open with title and description."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    parameters = []
    last = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if match and match[1] == "param":
            param = _PARAM.match(match[2])
            if not param:
                message = (f"a parameter is '# param: NAME (required|optional[, iri|integer|text]) what it is', "
                           f"not {line!r}")
                raise InputError(message, where=str(path))
            parameters.append(QueryParameter(param[1], param[4].strip(), param[2] == "required", param[3] or ""))
            last = None
        elif match:
            last = match[1]
            fields[last] = match[2].strip()
        elif last and line[1:].strip():  # a continuation line of title or description
            fields[last] += " " + line[1:].strip()
        else:
            last = None
    for key in ("title", "description"):
        if not fields.get(key):
            raise InputError(f"a saved query opens with '# {key}: ...'", where=str(path))
    return SavedQuery(path.stem, fields["title"], fields["description"], text, tuple(parameters))


def saved_queries(folder: str | Path | None = None) -> list[SavedQuery]:
    """The saved queries in ``ontology/queries/`` (or ``folder``), by name.

    >>> "pitfalls" in [q.name for q in saved_queries()]
    True
    """
    root = Path(folder) if folder is not None else QUERIES_DIR
    return [read_saved_query(path) for path in sorted(root.glob("*.rq"))]


def saved_queries_listing(fmt: str | None = "text") -> str:
    """The saved queries as the CLI's ``sparql --list`` gives them: one line each with the
    ``--bind`` options a query takes (``text`` or ``table``), JSON, or CSV/TSV rows of name, title,
    description and parameters.

    >>> print(saved_queries_listing().splitlines()[0])  # doctest: +ELLIPSIS
    conflicts ...
    >>> print(saved_queries_listing("csv").splitlines()[0])
    name,title,description,parameters
    """
    queries = saved_queries()
    if fmt == "json":
        return json.dumps([q.to_dict() for q in queries], indent=2, ensure_ascii=False) + "\n"
    if fmt in ("csv", "tsv"):
        return _listing_rows(queries, "," if fmt == "csv" else "\t")
    if fmt not in (None, "text", "table"):
        raise InputError(f"the list of saved queries is written as table, json, csv or tsv; not {fmt}")
    lines = []
    for q in queries:
        takes = " ".join(f"--bind {p.name}={(p.kind or '...').upper()}" + ("" if p.required else " (optional)")
                         for p in q.parameters)
        lines.append(f"{q.name:<26} {q.title}" + (f"  [{takes}]" if takes else ""))
    return "\n".join(lines) + "\n"


def _listing_rows(queries: list[SavedQuery], delimiter: str) -> str:
    header = ["name", "title", "description", "parameters"]
    rows = [
        [q.name, q.title, q.description,
         "; ".join(f"{p.name} ({p.takes})" for p in q.parameters)]
        for q in queries
    ]
    if delimiter == "\t":  # TSV has no quoting: runs of white space (tabs, line breaks) become one space
        return "".join("\t".join(" ".join(field.split()) for field in row) + "\n" for row in [header, *rows])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])  # RFC 4180, as the query results
    return out.getvalue()


def resolve_query(query: str | None = None, *, saved: str | None = None) -> tuple[str, SavedQuery | None]:
    """The query a user means: a saved query by name, a query file (``.rq``), or the text itself.

    Returns the text and, for a saved query, the :class:`SavedQuery` (whose parameters the
    bindings must match).

    >>> text, saved = resolve_query(saved="pitfalls")
    >>> saved.title
    'Pitfalls with their citations'
    >>> resolve_query("ASK { ?s ?p ?o }")
    ('ASK { ?s ?p ?o }', None)
    """
    if (query is None) == (saved is None):
        raise InputError("give a query, a query file or --saved NAME (one of them)")
    if saved is not None:
        found = saved_query(saved)
        return found.text, found
    candidate = Path(query)
    looks_like_path = "\n" not in query and len(query) < 4096 and not re.search(r"[{}?]", query)
    if looks_like_path and candidate.is_file():
        from .library import read_document_file

        return read_document_file(candidate, check_lines=False), None
    if looks_like_path and candidate.suffix in (".rq", ".sparql"):
        raise InputError("no such query file", where=query)
    if looks_like_path and query.strip() in {q.name for q in saved_queries()}:
        # a bare word is never a query; the user meant the saved one
        raise InputError(f"{query.strip()!r} is a saved query: run it with --saved {query.strip()}")
    return query, None


def saved_query(name: str, folder: str | Path | None = None) -> SavedQuery:
    """The saved query called ``name``; an unknown name lists the known ones."""
    queries = {q.name: q for q in saved_queries(folder)}
    if name not in queries:
        raise InputError(f"no saved query {name!r}; the saved queries are: {', '.join(queries) or 'none'}")
    return queries[name]
