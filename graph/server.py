"""A read-only SPARQL 1.1 Protocol endpoint over the knowledge graph (``guidegraph serve``).

``GET /sparql?query=...``, ``POST /sparql`` with an ``application/sparql-query`` body or a
form-encoded ``query=``; results in the format the ``Accept`` header (or a ``format`` parameter)
asks for: SPARQL results JSON, XML, CSV, TSV, or Turtle, JSON-LD and N-Triples for graphs.
Every query goes through :func:`graph.sparql.run_query` with the same guardrails as the CLI.
Updates are refused with 403; a syntax error is a 400 naming line and column; a query stopped at
its time or memory limit is a 503.

Queries run in worker threads (each evaluates in its own forked child), so a slow query does not
hold up the others; at most ``max_concurrent`` run at once (one more than the processors), so that
a burst of heavy queries can take neither the machine's memory nor the quick queries' processor
time; the others wait in line up to ``QUEUE_WAIT_MS``.
"""

from __future__ import annotations

import html
import ipaddress
import os
import socket
import sys
import threading
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import InputError, with_article
from .sparql import (
    DEFAULT_GUARDRAILS,
    Guardrails,
    QueryFailed,
    QueryRefused,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    QueryUnsupported,
    run_query,
    saved_queries,
)
from .sparql_formats import GRAPH_FORMATS, RESULTS_FORMATS, check_format, display, format_result

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
#: Queries evaluated at once: one more than the processors, at most 8. More would only share the
#: processors, and on a busy endpoint quick queries would then miss their time limit (measured with
#: tests/load/endpoint_load.py on 2 cores: 8 at once stopped 1 % of quick queries at 2 s; 3 at once
#: none). The extra one keeps a slow query from holding up the rest.
MAX_CONCURRENT_QUERIES = min(8, (os.cpu_count() or 1) + 1)
#: How long a request waits for a query slot before it is answered 503 (busy): waiting in line is
#: not the query's own time, so it does not count against timeout_ms.
QUEUE_WAIT_MS = 10_000

# Media types a client may ask for, and the format that answers each; the first is the default,
# and among equally wanted types (``text/*``) the earlier one is given.
_RESULTS_MEDIA = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/plain": "table",
    "text/html": "html",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
_GRAPH_MEDIA = {
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "text/plain": "nt",
    "text/html": "html",
    "application/x-turtle": "ttl",
    "application/json": "jsonld",
    "application/xml": "xml",
    "text/xml": "xml",
}
_DATASET_PARAMETERS = ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri")
# format= names: the endpoint's own and those SPARQLWrapper sends (it sends format=, output= and
# results=, some twice: format=tsv&format=text/tab-separated-values).
_FORMAT_NAMES = {
    "json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv", "html": "html", "table": "table", "text": "table",
    "ttl": "ttl", "turtle": "ttl", "n3": "ttl", "jsonld": "jsonld", "json-ld": "jsonld",
    "nt": "nt", "ntriples": "nt", "n-triples": "nt", "rdf+xml": "xml", "rdf": "xml", "rdfxml": "xml",
}
_GRAPH_NAMES = {"json": "jsonld", "rdf": "xml", "rdf+xml": "xml", "rdfxml": "xml"}


class NotAcceptable(Exception):
    """None of the media types a request accepts can carry the result (406)."""


class _Busy(Exception):
    """Every query slot stayed taken for the whole time limit."""


def create_app(
    kb, guardrails: Guardrails = DEFAULT_GUARDRAILS, *, max_concurrent: int = MAX_CONCURRENT_QUERIES
) -> FastAPI:
    """The endpoint as an ASGI app over ``kb``; ``uvicorn`` serves it, tests call it directly.

    Examples
    --------
    >>> from fastapi.testclient import TestClient
    >>> from graph import KnowledgeBase
    >>> client = TestClient(create_app(KnowledgeBase.load(validate=False)))
    >>> client.get("/sparql", params={"query": "ASK { ?s a gg:Pitfall }"}).json()
    {'head': {}, 'boolean': True}
    """
    app = FastAPI(title="guidegraph SPARQL endpoint", docs_url=None, redoc_url=None, openapi_url=None)
    slots = threading.BoundedSemaphore(max_concurrent)

    def answer(text: str, accept: str, fmt: list[str] | None) -> Response:
        if not slots.acquire(timeout=QUEUE_WAIT_MS / 1000):
            raise _Busy()
        try:
            result = run_query(
                kb.graph,
                text,
                timeout_ms=guardrails.timeout_ms,
                max_rows=guardrails.max_rows,
                max_memory_mb=guardrails.max_memory_mb,
                max_query_chars=guardrails.max_query_chars,
                answers=kb.answers,
            )
        finally:
            slots.release()
        return _respond(result, _negotiate(result, accept, fmt))

    async def run(request: Request, text: str | None, fmt: list[str] | None) -> Response:
        if text is None:
            return _error(400, "no query: give query=... (GET or form POST) or an application/sparql-query body")
        try:
            return await run_in_threadpool(answer, text, request.headers.get("accept", "*/*"), fmt)
        except _Busy:
            return _error(503, "the endpoint is busy with other queries; try again")
        except NotAcceptable as error:
            return _error(406, str(error))
        except (QuerySyntaxError, QueryUnsupported) as error:  # the query's own fault: 400
            return _error(400, str(error))
        except QueryRefused as error:
            return _error(413 if error.reason == "size" else 403, str(error))
        except (QueryTimeout, QueryTooLarge) as error:
            return _error(503, str(error))
        except QueryFailed as error:
            return _error(500, str(error))
        except InputError as error:  # a format that does not fit the result, a bad parameter
            return _error(400, str(error))

    @app.api_route("/sparql", methods=["GET", "HEAD"])
    async def sparql_get(request: Request) -> Response:
        params = request.query_params
        if "update" in params:
            return _error(403, "SPARQL UPDATE is refused: the knowledge graph is read-only")
        if _dataset_params(params):
            return _dataset_refused()
        if "query" not in params:
            return Response(_service_description(str(request.url_for("sparql_get"))), media_type="text/turtle")
        if len(params.getlist("query")) > 1:
            return _error(400, "give one query parameter, not several")
        return await run(request, params["query"], params.getlist("format"))

    @app.post("/sparql")
    async def sparql_post(request: Request) -> Response:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            body = await _read_body(request, guardrails.max_query_chars * 4)
        except ValueError as error:
            return _error(413, str(error))
        params = request.query_params
        if media == "application/sparql-update":
            return _error(403, "SPARQL UPDATE is refused: the knowledge graph is read-only")
        if media == "application/sparql-query":
            if _dataset_params(params):
                return _dataset_refused()
            return await run(request, _decode(body), params.getlist("format"))
        if media == "application/x-www-form-urlencoded":
            form = parse_qs(_decode(body), keep_blank_values=True)
            if "update" in form:
                return _error(403, "SPARQL UPDATE is refused: the knowledge graph is read-only")
            if _dataset_params(form) or _dataset_params(params):
                return _dataset_refused()
            if len(form.get("query", [])) > 1:
                return _error(400, "give one query parameter, not several")
            fmt = form.get("format") or params.getlist("format")
            return await run(request, (form.get("query") or [None])[0], fmt)
        return _error(415, "POST a query as application/sparql-query or application/x-www-form-urlencoded")

    @app.api_route("/queries", methods=["GET", "HEAD"])
    def queries() -> list[dict]:
        return [q.to_dict() for q in saved_queries()]

    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def home() -> str:
        return _home_page(guardrails)

    for path in ROUTES:
        app.add_api_route(path, _options(path), methods=["OPTIONS"], include_in_schema=False)

    @app.exception_handler(StarletteHTTPException)
    async def plain_http_error(request: Request, error: StarletteHTTPException) -> Response:
        # Starlette's own answers (no such page, a method the page does not take) as one line of
        # text like every other error here, not FastAPI's JSON.
        path = request.url.path
        if error.status_code == 404:
            return _error(404, f"no such page: {path}; the SPARQL endpoint is /sparql, and / and /queries describe it")
        if error.status_code == 405 and path in ROUTES:
            allowed = ", ".join(ROUTES[path])
            response = _error(405, f"{request.method} is not allowed on {path}; allowed: {allowed}")
            response.headers["Allow"] = allowed
            return response
        return _error(error.status_code, str(error.detail))

    return app


#: The endpoint's pages and the methods each answers (the Allow header of OPTIONS and 405).
ROUTES = {
    "/sparql": ("GET", "HEAD", "POST", "OPTIONS"),
    "/queries": ("GET", "HEAD", "OPTIONS"),
    "/": ("GET", "HEAD", "OPTIONS"),
}


def _options(path: str):
    """The OPTIONS answer of one page: no body, the methods it takes in Allow."""
    def options() -> Response:
        return Response(status_code=204, headers={"Allow": ", ".join(ROUTES[path])})

    return options


def listening_socket(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> socket.socket:
    """The endpoint's socket, bound before the knowledge graph is loaded and the address announced:
    a busy port or an unknown host is one line at once, not uvicorn's log after a long build."""
    if not 0 <= port <= 65535:
        raise InputError(f"port {port} is not between 0 and 65535")
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except socket.gaierror as error:  # an unknown host name
        raise InputError(f"cannot listen on {host}: {error.strerror}") from None
    except OSError as error:  # create_server adds "(while attempting to bind ...)": the address is said here
        raise InputError(f"cannot listen on {host} port {port}: {os.strerror(error.errno) if error.errno else error}") from None


def serve(
    kb, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, guardrails: Guardrails = DEFAULT_GUARDRAILS,
    sock: socket.socket | None = None,
) -> None:
    """Serve ``kb`` until interrupted, on ``sock`` if given (see :func:`listening_socket`), else on a
    socket bound to ``host`` and ``port`` (port 0: any free port, announced)."""
    import uvicorn

    sock = sock if sock is not None else listening_socket(host, port)
    port = sock.getsockname()[1]
    if not _is_loopback(host):
        print(f"warning: listening on {host}: anyone who can reach this machine can query the graph", file=sys.stderr)
    shown = f"[{host}]" if ":" in host else host
    print(f"guidegraph: read-only SPARQL endpoint at http://{shown}:{port}/sparql (Ctrl-C stops)", file=sys.stderr)
    server = uvicorn.Server(uvicorn.Config(create_app(kb, guardrails), log_level="warning"))
    server.run(sockets=[sock])


# ---------------------------------------------------------------- protocol details


def _negotiate(result: QueryResult, accept: str, fmt) -> str:
    """The format to answer in: a ``format`` parameter that names one for this result, else the
    best match of the Accept header; :class:`NotAcceptable` when nothing acceptable can be made."""
    chosen = format_parameter(fmt, is_graph=result.is_graph, form=result.form)
    if chosen:
        if chosen != "html":
            check_format(result, chosen)
        return chosen
    offered = _GRAPH_MEDIA if result.is_graph else _RESULTS_MEDIA
    media = best_media(accept, list(offered))
    if media is None:
        kind = "a graph" if result.is_graph else ("a boolean" if result.form == "ASK" else "rows")
        raise NotAcceptable(f"no type the request accepts (Accept: {' '.join(accept.split())[:200]}) can carry {kind} "
                            f"here; available: {', '.join(offered)}")
    return offered[media]


def format_parameter(values, *, is_graph: bool, form: str = "SELECT") -> str | None:
    """The format a ``format=`` parameter names for this kind of result: a name (``json``,
    ``turtle``, ``rdf+xml``, ...) or a media type; the first of several that names one. None when
    none is known (the Accept header decides then); a known format that does not fit the result
    (``format=ttl`` for rows) is refused.

    >>> format_parameter(["tsv", "text/tab-separated-values"], is_graph=False)
    'tsv'
    >>> format_parameter("json", is_graph=True), format_parameter("rdf+xml", is_graph=True)
    ('jsonld', 'xml')
    >>> format_parameter("application/sparql-results+xml", is_graph=False), format_parameter("bogus", is_graph=False)
    ('xml', None)
    """
    if values is None:
        return None
    values = [values] if isinstance(values, str) else list(values)
    offered = _GRAPH_MEDIA if is_graph else _RESULTS_MEDIA
    names = set(offered.values()) | set(GRAPH_FORMATS if is_graph else RESULTS_FORMATS)  # "table" too
    unfit = None
    for value in values:
        value = value.strip().lower()
        if "/" in value:
            media = value.split(";")[0].strip()
            if media in offered:
                return offered[media]
            if media in _RESULTS_MEDIA or media in _GRAPH_MEDIA:
                unfit = unfit or media
            continue
        name = (_GRAPH_NAMES.get(value) if is_graph else None) or _FORMAT_NAMES.get(value)
        if name in names:
            return name
        if name is not None:
            unfit = unfit or value
    if unfit is not None:
        kind = "a graph" if is_graph else ("a boolean" if form == "ASK" else "rows")
        allowed = ", ".join(dict.fromkeys(offered.values()))
        raise InputError(f"{with_article(form)} query gives {kind}; write it as one of: {allowed} (not {unfit})")
    return None


def best_media(accept: str, offered: list[str]) -> str | None:
    """The offered media type an Accept header wants most (RFC 9110, 12.5.1): each type takes the
    quality of the most specific range that matches it (``text/csv`` before ``text/*`` before
    ``*/*``), q=0 excludes it; the highest quality wins, then the more specific match, then the
    range named first, then the order of ``offered``. None when the header accepts none of them;
    an empty header accepts anything.

    >>> offered = ["application/sparql-results+json", "text/csv", "text/plain"]
    >>> best_media("text/*;q=0.8, application/*;q=0.5", offered)
    'text/csv'
    >>> best_media("application/sparql-results+json;q=0, */*", offered)
    'text/csv'
    >>> best_media("text/csv;q=0.2, text/plain;q=0.9", offered)
    'text/plain'
    >>> best_media("image/png", offered) is None
    True
    """
    ranges = _accept_ranges(accept) or [("*", "*", 1.0, 0)]
    best, best_key = None, None
    for order, media in enumerate(offered):
        kind, _, sub = media.partition("/")
        matches = [(2 if (t, s) == (kind, sub) else 1 if (t, s) == (kind, "*") else 0, q, position)
                   for t, s, q, position in ranges if (t, s) in ((kind, sub), (kind, "*"), ("*", "*"))]
        if not matches:
            continue
        specificity = max(m[0] for m in matches)
        quality, position = max((q, -p) for sp, q, p in matches if sp == specificity)
        if quality <= 0:
            continue
        key = (quality, specificity, position, -order)
        if best_key is None or key > best_key:
            best, best_key = media, key
    return best


def _accept_ranges(accept: str) -> list[tuple[str, str, float, int]]:
    """The media ranges of an Accept header: type, subtype, quality, position."""
    ranges = []
    for position, part in enumerate((accept or "").split(",")):
        media, *options = [piece.strip() for piece in part.split(";")]
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub:
            continue
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((kind, sub, quality, position))
    return ranges


def _respond(result: QueryResult, fmt: str) -> Response:
    if fmt == "html":
        body, media = _results_page(result), "text/html"
    else:
        body = format_result(result, fmt)
        media = (GRAPH_FORMATS if result.is_graph else RESULTS_FORMATS)[fmt]
    headers = {"Vary": "Accept"}
    if result.truncated:
        headers["X-GuideGraph-Truncated"] = f"cut at {result.max_rows} rows"
    return Response(body, media_type=f"{media}; charset=utf-8", headers=headers)


def _error(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status)


def _dataset_params(params) -> bool:
    return any(key in params for key in _DATASET_PARAMETERS)


def _dataset_refused() -> PlainTextResponse:
    return _error(403, "default-graph-uri and named-graph-uri are refused: a query reads this knowledge graph only")


async def _read_body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ValueError(f"the request body is larger than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _service_description(endpoint: str) -> str:
    """A SPARQL 1.1 Service Description of this endpoint (what GET without a query returns)."""
    formats = " ,\n        ".join(
        f"<http://www.w3.org/ns/formats/{name}>"
        for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                     "Turtle", "JSON-LD", "N-Triples", "RDF_XML")
    )
    return (
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n\n"
        f"[] a sd:Service ;\n    sd:endpoint <{endpoint}> ;\n"
        "    sd:supportedLanguage sd:SPARQL11Query ;\n"
        f"    sd:resultFormat {formats} .\n"
    )


# ---------------------------------------------------------------- HTML pages (everything escaped)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}"
    "textarea{width:100%;font-family:monospace}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2rem .4rem;vertical-align:top;text-align:left}"
    "pre{background:#f5f5f5;padding:.5rem;overflow-x:auto}"
)


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def _home_page(guardrails: Guardrails) -> str:
    e = html.escape
    options = "".join(f"<option>{e(f)}</option>" for f in ("html", "json", "xml", "csv", "tsv", "ttl", "jsonld"))
    items = []
    for q in saved_queries():
        params = "".join(
            f"<li><code>?{e(p.name)}</code> ({e(p.takes)}): {e(p.description)}</li>"
            for p in q.parameters
        )
        run_link = (
            f' <a href="/sparql?format=html&amp;query={e(quote(q.text))}">run</a>'
            if not any(p.required for p in q.parameters)
            else " (needs a value: edit the query)"
        )
        params = f"<ul>{params}</ul>" if params else ""
        items.append(
            f"<li><b>{e(q.title)}</b> <code>{e(q.name)}</code>{run_link}<br>{e(q.description)}{params}"
            f"<details><summary>query</summary><pre>{e(q.text)}</pre></details></li>"
        )
    body = (
        "<h1>guidegraph SPARQL endpoint</h1>"
        "<p>Read-only SPARQL 1.1 over the guideline knowledge graph. It shows options from named sources "
        "for a clinician to check; it never gives orders.</p>"
        f"<p>Limits: {guardrails.timeout_ms} ms and {guardrails.max_rows} rows per query; "
        "no updates, no SERVICE, no FROM. Endpoint: <code>/sparql</code>.</p>"
        '<form action="/sparql" method="get">'
        '<textarea name="query" rows="10">SELECT ?guideline ?title WHERE {\n  ?g a gg:Guideline ; '
        "dcterms:identifier ?guideline ; dcterms:title ?title .\n}</textarea>"
        f'<p><label>format <select name="format">{options}</select></label> <button>Run</button></p></form>'
        f"<h2>Saved queries</h2><ul>{''.join(items)}</ul>"
    )
    return _page("guidegraph SPARQL", body)


def _results_page(result: QueryResult) -> str:
    e = html.escape
    if result.form == "ASK":
        body = f"<p>{'true' if result.boolean else 'false'}</p>"
    else:
        header = ("subject", "predicate", "object") if result.is_graph else result.variables
        rows = result.triples if result.is_graph else result.rows
        head = "".join(f"<th>{e(name)}</th>" for name in header)
        cells = "".join("<tr>" + "".join(f"<td>{e(display(t))}</td>" for t in row) + "</tr>" for row in rows)
        note = f" (cut at {result.max_rows}: more matched)" if result.truncated else ""
        noun = "triples" if result.is_graph else "rows"
        body = f"<table><tr>{head}</tr>{cells}</table><p>{len(rows)} {noun}{note}</p>"
    return _page("guidegraph query results", f'<p><a href="/">new query</a></p>{body}')
