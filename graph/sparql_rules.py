"""SPARQL 1.1's rules on grouping and variable scope, checked on a parsed query.

rdflib's parser accepts queries that break these rules; Oxigraph then refuses them with a message
about its own grammar ("expected [_]", "expected OPTIONAL"), and rdflib's engine answers them with
rows that mean nothing. Here each broken rule is one line naming the rule and the variable:

- grouping (SPARQL 1.1, 11.4 and 18.2.4.1): in a query that groups (GROUP BY, or an aggregate such
  as COUNT in SELECT, HAVING or ORDER BY), a selected variable must be grouped or inside an
  aggregate, and ``SELECT *`` is not allowed;
- SELECT scope (18.2.1): a variable is selected once, and ``(expr AS ?v)`` must not name a
  variable the query already binds;
- BIND scope (18.2.1): ``BIND(expr AS ?v)`` must not name a variable that is in scope before it
  in the same group.

Every function here is pure: it reads rdflib's parse tree (``parseQuery(text)``) and returns the
first broken rule's message, or None.
"""

from __future__ import annotations

import re

from pyparsing import ParseResults
from rdflib import URIRef, Variable
from rdflib.namespace import XSD
from rdflib.plugins.sparql.parserutils import CompValue

_AGGREGATES = {"Aggregate_Count", "Aggregate_Sum", "Aggregate_Min", "Aggregate_Max", "Aggregate_Avg",
               "Aggregate_Sample", "Aggregate_GroupConcat"}
_EXISTS = {"Builtin_EXISTS", "Builtin_NOTEXISTS"}


def rule_violation(tree) -> str | None:
    """The first grouping or scope rule the parsed query breaks, as one line; None if it keeps them.

    >>> from rdflib.plugins.sparql.parser import parseQuery
    >>> rule_violation(parseQuery("SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s ?p ?o }"))
    'SPARQL grouping rule: ?s is selected but not grouped; add GROUP BY ?s, or select (SAMPLE(?s) AS ?s1)'
    >>> rule_violation(parseQuery("SELECT (1 AS ?x) ?x WHERE { }"))
    'SPARQL scope rule: ?x is selected twice in the SELECT clause; give each column its own name'
    >>> rule_violation(parseQuery("SELECT * WHERE { ?s ?p ?o BIND(1 AS ?s) }"))
    'SPARQL scope rule: BIND(... AS ?s) assigns ?s, which is already bound before it in the same group; choose a new name'
    >>> rule_violation(parseQuery("SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s")) is None
    True
    """
    query = tree[1]
    for select in _selects(query):
        message = _projection_violation(select)
        if message:
            return message
    for group in _groups(query):
        message = _bind_violation(group)
        if message:
            return message
    return None


# ---------------------------------------------------------------- walking the tree


def _children(node):
    if isinstance(node, CompValue):
        return list(node.values())
    if isinstance(node, (list, tuple, ParseResults)):
        return list(node)
    return []


def _walk(node):
    """Every node under ``node``, itself included, depth first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_children(current)))


def _selects(query):
    """The query itself when it is a SELECT, and every subquery."""
    return [n for n in _walk(query) if isinstance(n, CompValue) and n.name in ("SelectQuery", "SubSelect")]


def _groups(query):
    return [n for n in _walk(query) if isinstance(n, CompValue) and n.name == "GroupGraphPatternSub"]


def _get(node: CompValue, key: str):
    """A clause of a node, or None: ``CompValue.get`` answers a missing key with its name."""
    return node[key] if key in node else None


def _variables(node, *, skip_aggregates: bool = False) -> list[Variable]:
    """Variables of an expression, in order; inside aggregates and EXISTS patterns left out when
    ``skip_aggregates`` (those are computed per group, or are patterns of their own)."""
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Variable):
            found.append(current)
            continue
        if skip_aggregates and isinstance(current, CompValue) and current.name in _AGGREGATES | _EXISTS:
            continue
        stack.extend(reversed(_children(current)))
    return found


def _has_aggregate(node) -> bool:
    """Whether an expression calls an aggregate outside any subquery of its own."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, CompValue):
            if current.name in _AGGREGATES:
                return True
            if current.name == "SubSelect" or current.name in _EXISTS:
                continue
        stack.extend(_children(current))
    return False


# ---------------------------------------------------------------- variables in scope


def in_scope(pattern) -> set[Variable]:
    """The variables a graph pattern binds (SPARQL 1.1, 18.2.1): those of its triples, OPTIONAL,
    UNION, GRAPH, BIND and VALUES parts and the columns of its subqueries; not those of FILTER
    or MINUS."""
    if pattern is None:
        return set()
    if isinstance(pattern, CompValue) and pattern.name == "SubSelect":
        return _projected(pattern)
    found: set[Variable] = set()
    for part in _parts(pattern):
        found |= _part_scope(part)
    return found


def _parts(group) -> list:
    if isinstance(group, CompValue) and "part" in group:
        part = group["part"]
        return list(part) if isinstance(part, (list, ParseResults)) else [part]
    return []


def _part_scope(part) -> set[Variable]:
    if not isinstance(part, CompValue):
        return set()
    name = part.name
    if name in ("TriplesBlock", "InlineData", "ValuesClause"):
        return set(_variables(part))
    if name in ("OptionalGraphPattern", "ServiceGraphPattern"):
        return in_scope(part["graph"])
    if name == "GraphGraphPattern":
        term = part["term"]
        return in_scope(part["graph"]) | ({term} if isinstance(term, Variable) else set())
    if name == "GroupOrUnionGraphPattern":
        graphs = part["graph"]
        found: set[Variable] = set()
        for graph in graphs if isinstance(graphs, (list, ParseResults)) else [graphs]:
            found |= in_scope(graph)
        return found
    if name == "Bind":
        return {part["var"]}
    return set()  # Filter, MinusGraphPattern


def _projected(select: CompValue) -> set[Variable]:
    projection = _get(select, "projection")
    if projection is None:  # SELECT *
        return in_scope(_get(select, "where"))
    return {item["evar"] if "evar" in item else item["var"] for item in projection}


# ---------------------------------------------------------------- the rules


def _projection_violation(select: CompValue) -> str | None:
    projection = _get(select, "projection")
    group_clause = _get(select, "groupby")
    grouped = group_clause is not None or any(
        _has_aggregate(clause) for clause in (projection, _get(select, "having"), _get(select, "orderby"))
        if clause is not None
    )
    group_vars = _group_variables(group_clause)
    if projection is None:
        if grouped:
            return "SPARQL grouping rule: SELECT * cannot be used with GROUP BY or an aggregate; name the selected variables"
        return None
    where = in_scope(_get(select, "where")) | set(_variables(_get(select, "valuesClause") or []))
    bound_before = group_vars if grouped else where
    seen: set[Variable] = set()
    for item in projection:
        if "evar" in item:
            name = item["evar"]
            if name in seen:
                return _twice(name)
            if name in bound_before:
                return (f"SPARQL scope rule: (... AS ?{name}) assigns ?{name}, which the query already binds"
                        f"{' (GROUP BY)' if grouped else ''}; choose a new name")
            if grouped:
                for used in _variables(item["expr"], skip_aggregates=True):
                    if used in seen:
                        return (f"SPARQL grouping rule: (... AS ?{name}) uses ?{used}, another column of this "
                                f"SELECT; repeat the expression that computes ?{used} instead")
                    if used not in group_vars:
                        return (f"SPARQL grouping rule: (... AS ?{name}) uses ?{used}, which is neither grouped nor "
                                f"inside an aggregate; add GROUP BY ?{used} or use an aggregate such as SAMPLE(?{used})")
        else:
            name = item["var"]
            if name in seen:
                return _twice(name)
            if grouped and name not in group_vars:
                return (f"SPARQL grouping rule: ?{name} is selected but not grouped; add GROUP BY ?{name}, "
                        f"or select (SAMPLE(?{name}) AS ?{name}1)")
        seen.add(name)
    return None


def _twice(name: Variable) -> str:
    return f"SPARQL scope rule: ?{name} is selected twice in the SELECT clause; give each column its own name"


def _group_variables(group_clause) -> set[Variable]:
    """The variables GROUP BY groups on: ``GROUP BY ?v`` and ``GROUP BY (expr AS ?v)``; a bare
    expression (``GROUP BY STR(?v)``) groups on no variable."""
    if group_clause is None:
        return set()
    found = set()
    for condition in group_clause["condition"]:
        if isinstance(condition, Variable):
            found.add(condition)
        elif isinstance(condition, CompValue) and condition.name == "GroupAs" and "var" in condition:
            found.add(condition["var"])
    return found


def _bind_violation(group: CompValue) -> str | None:
    bound: set[Variable] = set()
    for part in _parts(group):
        if isinstance(part, CompValue) and part.name == "Bind" and part["var"] in bound:
            name = part["var"]
            return (f"SPARQL scope rule: BIND(... AS ?{name}) assigns ?{name}, which is already bound before it "
                    "in the same group; choose a new name")
        bound |= _part_scope(part)
    return None


# ---------------------------------------------------------------- functions


def unsupported_function(tree, prefixes: dict) -> str | None:
    """The first function the query calls (as ``<IRI>``) that is not SPARQL's own nor an XSD cast (``xsd:integer(?x)``),
    or None. Oxigraph knows no other function, and rdflib's engine
    refuses them only while it evaluates.

    ``prefixes`` are the project's, which the query's own PREFIX lines override.

    >>> from rdflib.plugins.sparql.parser import parseQuery
    >>> unsupported_function(parseQuery("SELECT * WHERE { BIND(<http://example.org/f>(1) AS ?x) }"), {})
    '<http://example.org/f>'
    >>> unsupported_function(parseQuery("SELECT * WHERE { BIND(xsd:integer('1') AS ?x) }"), {"xsd": XSD})
    """
    declared = {**{k: str(v) for k, v in prefixes.items()}, **_declared_prefixes(tree[0])}
    for node in _walk(tree[1]):
        if isinstance(node, CompValue) and node.name == "Function":
            iri = _function_iri(node["iri"], declared)
            if iri is not None and not iri.startswith(str(XSD)):  # an undeclared prefix is said by the engine
                return f"<{iri}>"
    return None


def _declared_prefixes(prologue) -> dict[str, str]:
    found = {}
    for node in _walk(prologue):
        if isinstance(node, CompValue) and node.name == "PrefixDecl":
            found[node["prefix"] if "prefix" in node else ""] = str(node["iri"])
    return found


def _function_iri(iri, declared: dict[str, str]) -> str | None:
    if isinstance(iri, URIRef):
        return str(iri)
    if isinstance(iri, CompValue) and iri.name == "pname":
        prefix = iri["prefix"] if "prefix" in iri else ""
        if prefix in declared:
            return declared[prefix] + (iri["localname"] if "localname" in iri else "")
    return None


#: Words SPARQL 1.1 (and Oxigraph's SPARQL 1.2 additions) allows before an opening parenthesis:
#: its functions, aggregates and the keywords that open a bracketed part.
SPARQL_CALLS = frozenset("""
    STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE
    LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES
    SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT
    SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE EXISTS
    COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT
    LANGDIR STRLANGDIR HASLANG HASLANGDIR ISTRIPLE TRIPLE SUBJECT PREDICATE OBJECT
    FILTER BIND VALUES IN BY ASC DESC SELECT DISTINCT HAVING A WHERE GROUP ORDER
""".split())

_CALL_TOKENS = re.compile(
    r'''"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\''''  # long strings
    r'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*\''''  # strings
    r'''|<[^<>"{}|^`\\\s]*>|#[^\n]*'''  # IRIs, comments
    r'''|[?$]\w+|@[A-Za-z][\w-]*|[\w.-]*:[\w.-]*'''  # variables, language tags, prefixed names
    r'''|(?P<name>[A-Za-z_]\w*)(?=\s*\()|\w+''',
    re.DOTALL,
)


def unknown_calls(text: str) -> list[tuple[str, int, int, int, str | None]]:
    """Words called as functions (``STRLENN(?x)``) that SPARQL does not know: each with its offset,
    line and column (1-based), and the SPARQL function it is closest to. Words in strings,
    comments and IRIs are not calls. Meant for a query that did not parse.

    >>> unknown_calls('SELECT ?x WHERE {\\n  BIND(STRLENN("a") AS ?x) }')
    [('STRLENN', 25, 2, 8, 'STRLEN')]
    >>> unknown_calls('SELECT ?x WHERE { BIND(STRLEN("FOO(") AS ?x) } # BAR(')
    []
    """
    import difflib

    found = []
    for match in _CALL_TOKENS.finditer(text):
        name = match["name"]
        if name and name.upper() not in SPARQL_CALLS:
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            close = difflib.get_close_matches(name.upper(), sorted(SPARQL_CALLS), n=1, cutoff=0.75)
            found.append((name, match.start(), line, column, close[0] if close else None))
    return found


def with_calls_as_iris(text: str, calls) -> str:
    """``text`` with each of ``calls`` (from :func:`unknown_calls`) written as an IRI call, which
    is valid syntax whatever its arguments: if that parses, the unknown words were the only fault.

    >>> with_calls_as_iris("ASK { FILTER(FOO(1, 2)) }", unknown_calls("ASK { FILTER(FOO(1, 2)) }"))
    'ASK { FILTER(<urn:unknown:FOO>(1, 2)) }'
    """
    for name, start, *_ in reversed(calls):
        text = text[:start] + f"<urn:unknown:{name}>" + text[start + len(name):]
    return text
