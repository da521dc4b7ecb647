"""Query results as text: SPARQL 1.1 results formats, RDF formats and a plain table.

pyoxigraph writes the standard formats (Query Results JSON, XML, CSV and TSV; Turtle, JSON-LD and
N-Triples); only the text table for people at a terminal is written here. The rows of a result
(possibly cut at the row cap) reach pyoxigraph's results writer as Query Results JSON, the one
format whose escaping Python's ``json`` module gets right.
"""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from .errors import InputError, with_article
from .sparql import QueryResult, to_ox
from .vocab import PREFIXES

RESULTS_FORMATS = {
    "table": "text/plain",
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "xml": "application/rdf+xml",
    "table": "text/plain",
}
FORMATS = ("table", "json", "csv", "tsv", "xml", "ttl", "jsonld", "nt")

_OX_RESULTS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_OX_GRAPH = {"ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD, "nt": ox.RdfFormat.N_TRIPLES,
             "xml": ox.RdfFormat.RDF_XML}
_PREFIX_STRINGS = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def default_format(result: QueryResult) -> str:
    """A table for rows and booleans, Turtle for graphs."""
    return "ttl" if result.is_graph else "table"


def media_type(result: QueryResult, fmt: str) -> str:
    """The media type of ``result`` written in ``fmt``."""
    check_format(result, fmt)
    return (GRAPH_FORMATS if result.is_graph else RESULTS_FORMATS)[fmt]


def check_format(result: QueryResult, fmt: str) -> None:
    """Refuse a format that does not fit the result: rows are not a graph, and a graph is not rows."""
    allowed = GRAPH_FORMATS if result.is_graph else RESULTS_FORMATS
    if fmt not in allowed:
        kind = "a graph" if result.is_graph else ("a boolean" if result.form == "ASK" else "rows")
        raise InputError(f"{with_article(result.form)} query gives {kind}; write it as one of: {', '.join(allowed)}")


def format_result(result: QueryResult, fmt: str | None = None) -> str:
    """``result`` as text in ``fmt`` (see ``FORMATS``; None picks :func:`default_format`).

    Examples
    --------
    >>> from rdflib import Literal
    >>> format_result(QueryResult("SELECT", ("drug", "n"), ((Literal("tacrolimus"), Literal(3)),)), "csv").splitlines()
    ['drug,n', 'tacrolimus,3']
    >>> format_result(QueryResult("ASK", boolean=True), "json")
    '{"head":{},"boolean":true}'
    """
    fmt = fmt or default_format(result)
    check_format(result, fmt)
    if fmt == "xml":
        problem = xml_problem(result)
        if problem:
            raise InputError(problem)
    if fmt == "table":
        return format_table(result)
    if result.is_graph:
        triples = [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in result.triples]
        prefixes = _used_prefixes(result.triples) if fmt in ("ttl", "xml") else None
        return ox.serialize(triples, format=_OX_GRAPH[fmt], prefixes=prefixes).decode("utf-8")
    return _ox_results(result).serialize(format=_OX_RESULTS[fmt]).decode("utf-8")


# XML 1.0's characters (https://www.w3.org/TR/xml/#charsets): no control character but tab,
# line feed and carriage return, no surrogate, no U+FFFE or U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# An RDF/XML property element is named by the end of the predicate's IRI, which must be an XML name.
_XML_NAME_END = re.compile(r"[^\W\d][\w.-]*$")


def xml_problem(result: QueryResult) -> str | None:
    """Why ``result`` cannot be written as XML (SPARQL results XML, or RDF/XML for a graph), in
    one line naming the row and column (or the triple and its part); None when it can.

    XML 1.0 cannot carry most control characters, even escaped, so a value holding one would
    make a file no XML reader opens; and RDF/XML names each predicate by an XML name.

    >>> from rdflib import Literal
    >>> xml_problem(QueryResult("SELECT", ("x", "y"), ((Literal("a"), Literal("b\x01")),)))
    'row 1, column ?y holds U+0001, a character XML 1.0 cannot carry: ask for JSON, CSV or TSV instead'
    >>> xml_problem(QueryResult("SELECT", ("x",), ((Literal("a\tb"),),))) is None
    True
    """
    if result.is_graph:
        for number, triple in enumerate(result.triples, 1):
            for part, term in zip(("subject", "predicate", "object"), triple):
                bad = _NOT_XML.search(str(term))
                if bad:
                    return (f"triple {number}, {part} holds U+{ord(bad[0]):04X}, a character XML 1.0 cannot carry: "
                            "ask for Turtle, N-Triples or JSON-LD instead")
            if not _XML_NAME_END.search(str(triple[1])):
                return (f"triple {number}, predicate <{triple[1]}> cannot be written in RDF/XML (its IRI does "
                        "not end in an XML name): ask for Turtle, N-Triples or JSON-LD instead")
        return None
    for number, row in enumerate(result.rows, 1):
        for variable, term in zip(result.variables, row):
            bad = _NOT_XML.search(str(term)) if term is not None else None
            if bad:
                return (f"row {number}, column ?{variable} holds U+{ord(bad[0]):04X}, a character XML 1.0 cannot "
                        "carry: ask for JSON, CSV or TSV instead")
    return None


def _used_prefixes(triples) -> dict[str, str]:
    """The project prefixes that shorten some IRI of the triples to a plain name: an IRI with a '/'
    after the namespace (all of kb:'s) stays whole, as in the project's other Turtle."""
    iris = {str(term) for triple in triples for term in triple if isinstance(term, URIRef)}
    iris |= {str(o.datatype) for _, _, o in triples if isinstance(o, Literal) and o.datatype is not None}
    def plain(local: str) -> bool:
        return local.replace("-", "").replace("_", "").isalnum()

    return {
        prefix: namespace
        for prefix, namespace in _PREFIX_STRINGS.items()
        if any(iri.startswith(namespace) and plain(iri[len(namespace) :]) for iri in iris)
    }


def results_json(result: QueryResult) -> dict:
    """SELECT or ASK as the SPARQL 1.1 Query Results JSON object model."""
    if result.form == "ASK":
        return {"head": {}, "boolean": bool(result.boolean)}
    bindings = [
        {name: _json_term(term) for name, term in zip(result.variables, row) if term is not None}
        for row in result.rows
    ]
    return {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}


def _json_term(term) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    entry = {"type": "literal", "value": str(term)}
    if isinstance(term, Literal) and term.language:
        entry["xml:lang"] = term.language
    elif isinstance(term, Literal) and term.datatype is not None:
        entry["datatype"] = str(term.datatype)
    return entry


def _ox_results(result: QueryResult):
    """The result as pyoxigraph query results, so that pyoxigraph's writers can write it."""
    return ox.parse_query_results(json.dumps(results_json(result)), ox.QueryResultsFormat.JSON)


# ---------------------------------------------------------------- the text table


def display(term) -> str:
    """A term as people read it: literals as their text, IRIs shortened with the project's prefixes.

    >>> display(URIRef("https://w3id.org/guidegraph/kb/drug/tacrolimus"))
    'kb:drug/tacrolimus'
    >>> display(Literal("0.6"))
    '0.6'
    >>> display(None)
    ''
    """
    if term is None:
        return ""
    if isinstance(term, URIRef):
        text = str(term)
        for prefix, namespace in sorted(_PREFIX_STRINGS.items(), key=lambda item: -len(item[1])):
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace):]}"
        return f"<{text}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return " ".join(str(term).split())  # one line per row: newlines and tabs become spaces


def format_table(result: QueryResult) -> str:
    """Rows as an aligned text table with a count line; a cut result says so."""
    if result.form == "ASK":
        return "true\n" if result.boolean else "false\n"
    if result.is_graph:
        header, rows = ("subject", "predicate", "object"), result.triples
    else:
        header, rows = result.variables, result.rows
    cells = [[display(term) for term in row] for row in rows]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(header)]
    lines = [
        " | ".join(name.ljust(width) for name, width in zip(header, widths)).rstrip(),
        "-+-".join("-" * width for width in widths),
    ]
    lines += [" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]
    noun = "triple" if result.is_graph else "row"
    count = f"{len(rows)} {noun}{'' if len(rows) == 1 else 's'}"
    if result.truncated:
        count += f" (cut at the row cap of {result.max_rows}: more matched)"
    lines.append(count)
    return "\n".join(lines) + "\n"
