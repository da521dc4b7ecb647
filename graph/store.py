"""Store back-ends behind one rdflib ``Graph`` interface.

A store spec names where the knowledge graph lives:

``memory`` (the default)
    Oxigraph in memory through oxrdflib: rdflib's own SPARQL engine is 40 to 70 times slower on
    the same queries.
``rdflib``
    rdflib's memory store, kept as the benchmark baseline.
``oxigraph:PATH``
    Oxigraph on disk (a RocksDB folder): built once by ``guidegraph load`` with Oxigraph's bulk
    loader, then opened without parsing the library again.
``sparql:URL``
    Any SPARQL 1.1 server: queries through the SPARQL 1.1 Protocol, loading through SPARQL 1.1
    UPDATE (``INSERT DATA``), which Oxigraph server, Jena Fuseki, GraphDB, Virtuoso and QLever all
    speak. A bare server address (``http://127.0.0.1:7878``) means Oxigraph server's layout
    (``/query`` and ``/update``); any other URL is the query endpoint, and the update endpoint is
    the same URL unless the spec says otherwise after ``#update=`` (a URL fragment is never sent
    to the server): ``sparql:http://host:7200/repositories/kb#update=http://host:7200/repositories/kb/statements``.

The knowledge graph is the named graph :data:`KB_GRAPH` in the memory stores and on a server, so a
server can hold other data beside it; an on-disk store's folder holds guidegraph's data only, and
there it is the default graph, which Oxigraph keeps in three indexes instead of the six of a named
graph (the bulk load of 1,000 guidelines: 4.5 s instead of 6.9 s). What a query sees is the same
everywhere: queries go to the knowledge graph as their default graph (SPARQL Protocol
``default-graph-uri`` for a server), with no named graphs (``GRAPH ?g`` matches nothing). The
build manifest of a persistent store (:mod:`graph.build`) lives in its own named graph,
:data:`BUILD_GRAPH`.
"""

from __future__ import annotations

import html
import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Iterable, Iterator

from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore
from rdflib.query import Result

from .errors import InputError
from .vocab import bind_prefixes

STORE_KINDS = ("memory", "rdflib", "oxigraph:PATH", "sparql:URL")
KB_GRAPH = URIRef("https://w3id.org/guidegraph/graph/knowledge")
BUILD_GRAPH = URIRef("https://w3id.org/guidegraph/graph/build")
REMOTE_TIMEOUT_S = 120  # one HTTP request to a SPARQL server; loading sends large ones
UPDATE_CHUNK_BYTES = 8_000_000  # INSERT DATA requests of about this size: servers cap request bodies


@dataclass(frozen=True)
class StoreSpec:
    """A parsed ``--store`` value.

    Examples
    --------
    >>> parse_store("oxigraph:./kb.db").kind
    'oxigraph'
    >>> spec = parse_store("sparql:http://127.0.0.1:7878")
    >>> spec.query_url, spec.update_url
    ('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/update')
    >>> parse_store("sparql:http://h/ds#update=http://h/ds/update").update_url
    'http://h/ds/update'
    """

    text: str = field(repr=False)  # as given: it may hold a password (see ``shown``)
    kind: str  # "memory" | "rdflib" | "oxigraph" | "sparql"
    path: Path | None = None
    query_url: str | None = None
    update_url: str | None = None
    # HTTP Basic authentication for each URL, from its user:password@ (never shown)
    auth: tuple[str, str] | None = field(default=None, repr=False)
    update_auth: tuple[str, str] | None = field(default=None, repr=False)

    @property
    def shown(self) -> str:
        """The spec as messages show it: never a password."""
        return masked(self.text) if self.kind == "sparql" else self.text

    @property
    def persistent(self) -> bool:
        """A store that outlives the process, so it keeps a build manifest and is opened, not rebuilt."""
        return self.kind in ("oxigraph", "sparql")

    @property
    def where(self) -> str:
        return str(self.path) if self.path is not None else (self.query_url or self.kind)


def store_from_environment() -> str:
    """The store ``GUIDEGRAPH_STORE`` names, for the CLI's default and the app; memory when it is
    unset, empty or blank (such a value is an unset shell variable, not a store)."""
    return (os.environ.get("GUIDEGRAPH_STORE") or "").strip() or "memory"


def parse_store(spec: str | StoreSpec) -> StoreSpec:
    """Read a store spec; an unknown one lists the kinds there are, a malformed URL says what is wrong.

    >>> spec = parse_store("sparql:http://me:pw@h:7200/kb?infer=false#update=http://h:7200/kb/statements")
    >>> spec.query_url, spec.update_url, spec.update_auth == spec.auth == ("me", "pw")
    ('http://h:7200/kb?infer=false', 'http://h:7200/kb/statements', True)
    >>> parse_store("sparql:http://h:7878/?x=1").query_url  # Oxigraph server's layout, the query string kept
    'http://h:7878/query?x=1'
    """
    if isinstance(spec, StoreSpec):
        return spec
    text = (spec or "memory").strip()
    if text in ("memory", "rdflib"):
        return StoreSpec(text, text)
    kind, _, rest = text.partition(":")
    if kind in ("oxigraph", "sparql") and not rest.strip():
        raise InputError(f"store {text!r} names no {'folder' if kind == 'oxigraph' else 'server'}; "
                         f"give {'oxigraph:PATH' if kind == 'oxigraph' else 'sparql:URL'}")
    if kind == "oxigraph" and rest:
        return StoreSpec(text, "oxigraph", path=Path(rest).expanduser())
    if kind == "sparql" and rest:
        url, hash_sign, fragment = rest.partition("#")
        options = dict(urllib.parse.parse_qsl(fragment, keep_blank_values=True))
        unknown = sorted(set(options) - {"update"})
        if unknown or (hash_sign and not options.get("update")):
            raise InputError(f"store {masked(text)!r}: after # give update=URL (the update endpoint), "
                             f"not {fragment.split('=')[0] if fragment else 'nothing'!r}")
        query_url, auth = _server_url(url, text)
        update_url, update_auth = _server_url(options["update"], text, "update ") if hash_sign else (None, None)
        parts = urllib.parse.urlsplit(query_url)
        if parts.path in ("", "/"):  # a bare server address: Oxigraph server's endpoints
            query_url = urllib.parse.urlunsplit(parts._replace(path="/query"))
            update_url = update_url or urllib.parse.urlunsplit(parts._replace(path="/update"))
        update_url = update_url or query_url
        if _origin(update_url) == _origin(query_url):  # a URL without a password borrows the other's here only
            auth, update_auth = auth or update_auth, update_auth or auth
        return StoreSpec(text, "sparql", query_url=query_url, update_url=update_url, auth=auth, update_auth=update_auth)
    raise InputError(f"unknown store {masked(text)!r}; use one of: {', '.join(STORE_KINDS)}")


def _origin(url: str) -> tuple:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


_ENCODE_IN_PASSWORDS = "@ : / # ? % must be written %40 %3A %2F %23 %3F %25"


def _server_url(url: str, text: str, role: str = "") -> tuple[str, tuple[str, str] | None]:
    """A server URL without its ``user:password@`` part (sent as HTTP Basic authentication instead),
    and that user and password; a URL the HTTP client cannot use is refused here, not mid-load.

    >>> _server_url("http://me:s3cret@h:7200/kb", "sparql:...")
    ('http://h:7200/kb', ('me', 's3cret'))
    """
    shown = f"store {masked(text)!r}"
    has_user = "@" in url
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it: "Port could not be cast to integer value"
    except ValueError as error:
        # urllib's words may quote part of a password, cut at a character it took for a delimiter
        detail = f"a password's {_ENCODE_IN_PASSWORDS}" if has_user else error
        raise InputError(f"{shown}: the {role}URL is not valid: {detail}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError(f"{shown}: give the server's http(s) {role}URL, e.g. sparql:http://127.0.0.1:7878")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise InputError(f"{shown}: the {role}URL contains a space; write it as %20")
    if has_user and (parts.username is None or "@" in parts.netloc.rpartition("@")[0]):
        raise InputError(f"{shown}: the {role}URL's user or password holds an @ or another delimiter: "
                         f"a password's {_ENCODE_IN_PASSWORDS}")
    auth = None
    if parts.username is not None:
        auth = (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), auth


def masked(text: str) -> str:
    """A store spec as it may be shown: a user's password (or a user alone, often a token) becomes
    ``***``, up to the URL's last ``@`` (a password may hold one), in an encoded ``#update=`` URL too.

    >>> masked("sparql:http://me:s3cret@h:7200/kb")
    'sparql:http://me:***@h:7200/kb'
    >>> masked("sparql:http://me:p@ss#x/y@h:7200/kb#update=http%3A%2F%2FTOKEN%40h%2Fu")
    'sparql:http://me:***@h:7200/kb#update=http://***@h/u'
    """
    head, sep, fragment = text.partition("#")
    return _masked_urls(head + sep + urllib.parse.unquote(fragment))


def _masked_urls(text: str) -> str:
    pieces = text.split("://")
    for i in range(1, len(pieces)):
        piece = pieces[i]
        at = piece.rfind("@")
        if at >= 0:
            user, has_password, _ = piece[:at].partition(":")
            pieces[i] = (f"{user}:***" if has_password else "***") + piece[at:]
    return "://".join(pieces)


def open_store(spec: str | StoreSpec = "memory", *, read_only: bool = False, name: URIRef = KB_GRAPH) -> Graph:
    """The graph ``name`` (by default the knowledge graph) on the store ``spec`` names.

    ``memory`` and ``rdflib`` give a new, empty graph. ``oxigraph:PATH`` opens (or creates) the
    folder; ``read_only`` opens it so that other processes may read it at the same time (the
    app, the endpoint and the CLI), and refuses writes. ``sparql:URL`` connects to the server
    (nothing is sent until the first query).
    """
    spec = parse_store(spec)
    if spec.kind == "memory":
        from oxrdflib import OxigraphStore

        graph = Graph(store=OxigraphStore(), identifier=name)
    elif spec.kind == "rdflib":
        graph = Graph(identifier=name)
    elif spec.kind == "oxigraph":
        identifier = DATASET_DEFAULT_GRAPH_ID if name == KB_GRAPH else name
        graph = Graph(store=_disk_store(spec.path, read_only=read_only), identifier=identifier)
    else:
        remote = RemoteStore(spec.query_url, spec.update_url, auth=spec.auth, update_auth=spec.update_auth)
        graph = Graph(store=remote, identifier=name)
    bind_prefixes(graph)
    return graph


# One pyoxigraph Store per folder and process: RocksDB must not be opened twice by one process (a
# read-only handle beside a writing one reads files the writer has compacted away).
_DISK_STORES: dict[Path, tuple[object, bool]] = {}


def _disk_store(path: Path, *, read_only: bool):
    import pyoxigraph as ox
    from oxrdflib import OxigraphStore

    if path.exists() and not path.is_dir():
        raise InputError("is a file, not a store folder", where=str(path))
    if read_only and not path.exists():
        raise InputError("no store here: build it with `guidegraph --store oxigraph:PATH load`", where=str(path))
    key = path.resolve()
    held = _DISK_STORES.get(key)
    if held is not None and (read_only or not held[1]):
        return OxigraphStore(store=held[0])
    if held is not None:
        raise InputError("the store is open read-only in this process; open it for writing in a new process", where=str(path))
    inner = _open_folder(path, read_only=read_only)
    _DISK_STORES[key] = (inner, read_only)
    return OxigraphStore(store=inner)


def _open_folder(path: Path, *, read_only: bool):
    import pyoxigraph as ox

    try:
        return ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
    except (OSError, RuntimeError) as error:
        reason = " ".join(str(error).split())
        if "lock" in reason.lower():
            reason = "another process has it open for writing (a running `load`?)"
        raise InputError(f"cannot open the Oxigraph store: {reason}", where=str(path)) from None


@contextmanager
def writable_disk_store(path: Path):
    """The pyoxigraph store of the folder ``path``, open for writing for a small change to a built
    store (flushed at the end). A read-only handle this process holds keeps reading its snapshot
    (a write this small adds one file and sets off no compaction that could remove its files);
    it is let go of, so that the next opening in this process sees the change."""
    held = _DISK_STORES.get(path.resolve())
    store = held[0] if held is not None and not held[1] else _open_folder(path, read_only=False)
    try:
        yield store
        store.flush()
    finally:
        del store
        release_disk_store(path)


def holds_disk_store(path: Path) -> bool:
    """Whether this process has the store folder ``path`` open."""
    return path.resolve() in _DISK_STORES


def release_disk_store(path: Path) -> None:
    """Let go of this process's read-only handle on ``path`` (closed once no graph uses it), so
    that the folder can be opened for writing: how a store found to hold no build gets built."""
    key = path.resolve()
    if key in _DISK_STORES and _DISK_STORES[key][1]:
        del _DISK_STORES[key]


def sibling(graph: Graph, name: URIRef) -> Graph:
    """Another named graph of the same store (the build manifest beside the knowledge graph)."""
    other = Graph(store=graph.store, identifier=name)
    return other


def is_oxigraph(graph: Graph) -> bool:
    return type(graph.store).__name__ == "OxigraphStore"


def is_remote(graph: Graph) -> bool:
    return isinstance(graph.store, RemoteStore)


def local_copy(graph: Graph) -> Graph:
    """``graph`` itself, or for a SPARQL server a copy in Oxigraph memory (one CONSTRUCT): code
    that walks blank nodes (RDF lists of criteria, SHACL) cannot ask a server for them, since a
    blank node has no name a query could use."""
    if not is_remote(graph):
        return graph
    copy = open_store("memory", name=graph.identifier)
    result = graph.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    load_ntriples(copy, [ntriples(result)])
    return copy


def pyoxigraph_store(graph: Graph):
    """The pyoxigraph ``Store`` under an Oxigraph-backed graph."""
    return graph.store._inner  # oxrdflib creates an in-memory one on first use


class Row(tuple):
    """A SELECT row as rdflib gives it: by position, by variable name (``row["s"]``) or as an
    attribute (``row.s``); None where the variable is unbound."""

    __slots__ = ()
    _index: dict[str, int] = {}

    @classmethod
    def of(cls, names) -> type[Row]:
        """The row type for these variable names, in the query's order."""
        return type("Row", (cls,), {"__slots__": (), "_index": {name: i for i, name in enumerate(names)}})

    def __getattr__(self, name: str):
        try:
            return tuple.__getitem__(self, self._index[name])
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key):
        return tuple.__getitem__(self, self._index[key] if isinstance(key, str) else key)


def select_rows(graph: Graph, query: str) -> Iterator[tuple]:
    """A SELECT's rows as :class:`Row` tuples of rdflib terms, in the query's variable order. On
    Oxigraph straight from pyoxigraph, each repeated term made once: oxrdflib's conversion of tens
    of thousands of rows costs several times the query."""
    if not is_oxigraph(graph):
        yield from graph.query(query)  # rdflib's rows already answer by position and by name
        return
    from .sparql import TermConverter

    convert = TermConverter()
    solutions = pyoxigraph_store(graph).query(query, default_graph=ox_graph_name(graph))
    row = Row.of(variable.value for variable in solutions.variables)
    for solution in solutions:
        yield row(None if term is None else convert(term) for term in solution)


# ---------------------------------------------------------------- loading


def parse_turtle(path: Path) -> list:
    """A Turtle file's triples as pyoxigraph terms, parsed by Oxigraph (blank nodes get labels
    unique to this read). A syntax error names the file and line, as :func:`graph.kb.read_turtle`
    does; a file that cannot be read says why.
    """
    import pyoxigraph as ox

    from .errors import InputError

    try:
        return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=Path(path).resolve().as_uri()))
    except SyntaxError as error:
        raise InputError(f"cannot read Turtle: {' '.join(str(error).split())}", where=str(path)) from None
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", where=str(path)) from None



def load_ntriples(graph: Graph, blocks: Iterable[bytes]) -> None:
    """Add N-Triples to ``graph`` the fastest way its store has.

    Oxigraph in memory: the bulk loader, one call over all the bytes. Oxigraph on disk: one bulk
    loader call per CPU, each over a share of the blocks, in threads (see :func:`_disk_bulk_load`).
    Both skip the loader's IRI checks (``lenient``, a fifth of its time in memory): every block was
    written by Oxigraph's strict Turtle parser or by :func:`ntriples` from IRIs minted here from
    checked document ids. rdflib's store: its N-Triples parser (the baseline). A SPARQL server:
    ``INSERT DATA`` requests of about ``UPDATE_CHUNK_BYTES``. A block is never split, so its
    blank nodes stay together.
    """
    if is_oxigraph(graph):
        import pyoxigraph as ox

        if _is_disk(graph):
            _disk_bulk_load(graph, list(blocks))
            return
        data = b"".join(blocks)
        if data:
            pyoxigraph_store(graph).bulk_load(input=data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox_graph_name(graph), lenient=True)
    elif is_remote(graph):
        for chunk in _chunks(blocks, UPDATE_CHUNK_BYTES):
            graph.store.post_update(
                b"INSERT DATA { GRAPH <" + str(graph.identifier).encode() + b"> {\n" + chunk + b"\n} }"
            )
    else:
        data = b"".join(blocks)
        if data:
            graph.parse(data=data.decode("utf-8"), format="nt")


def _is_disk(graph: Graph) -> bool:
    store = pyoxigraph_store(graph)
    return any(held is store for held, _ in _DISK_STORES.values())


def _disk_bulk_load(graph: Graph, blocks: list[bytes]) -> None:
    """Bulk-load blocks into an on-disk store with one loader call per CPU, run side by side.

    Oxigraph's disk loader parses on one thread and hands batches of a million triples to its
    workers, so a library of up to a million triples is one batch on one core; two calls over
    halves of it, each writing its own files, take less than half the time on 2 cores (16.3 s
    down to 6.9 s at 1,000 guidelines, measured alone). The loader releases the GIL, so threads
    suffice.
    """
    import pyoxigraph as ox

    store, name = pyoxigraph_store(graph), ox_graph_name(graph)
    shares = [b"".join(share) for share in _shares(blocks, os.cpu_count() or 1)]
    errors: list[BaseException] = []

    def load(data: bytes) -> None:
        try:
            store.bulk_load(input=data, format=ox.RdfFormat.N_TRIPLES, to_graph=name, lenient=True)
        except BaseException as error:  # re-raised below, in the caller's thread
            errors.append(error)

    threads = [threading.Thread(target=load, args=(data,)) for data in shares if data]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _shares(blocks: list[bytes], n: int) -> list[list[bytes]]:
    """Whole blocks dealt into ``n`` shares of about equal size, largest first.

    >>> [sum(map(len, s)) for s in _shares([b"aaaa", b"bb", b"ccc", b"d"], 2)]
    [5, 5]
    """
    shares: list[list[bytes]] = [[] for _ in range(max(1, n))]
    sizes = [0] * len(shares)
    for block in sorted(blocks, key=len, reverse=True):
        smallest = sizes.index(min(sizes))
        shares[smallest].append(block)
        sizes[smallest] += len(block)
    return [share for share in shares if share]


def clear_graph(graph: Graph) -> None:
    """Remove every triple of ``graph`` (and nothing else of its store)."""
    if is_oxigraph(graph):
        import pyoxigraph as ox

        store = pyoxigraph_store(graph)
        name = ox_graph_name(graph)
        if isinstance(name, ox.DefaultGraph):
            store.clear_graph(name)
        elif store.contains_named_graph(name):
            store.remove_graph(name)
    elif is_remote(graph):
        graph.store.post_update(f"DROP SILENT GRAPH <{graph.identifier}>".encode())
    else:
        graph.remove((None, None, None))


def flush(graph: Graph) -> None:
    """Make what was loaded durable (an on-disk Oxigraph store; a no-op elsewhere)."""
    if is_oxigraph(graph):
        pyoxigraph_store(graph).flush()


def optimize(graph: Graph) -> None:
    """Compact an on-disk Oxigraph store after a bulk load: its queries run 1.5 to 2 times faster
    after (measured at 1,000 guidelines); a no-op elsewhere."""
    if is_oxigraph(graph):
        store = pyoxigraph_store(graph)
        if any(held is store and not read_only for held, read_only in _DISK_STORES.values()):
            store.optimize()


def clear_store(graph: Graph) -> bool:
    """Empty the whole on-disk store under ``graph`` (its folder is guidegraph's own): a rebuild
    leaves nothing of an earlier build behind, whatever graph that build used. False, and nothing
    done, for any other store."""
    if is_oxigraph(graph) and _is_disk(graph):
        pyoxigraph_store(graph).clear()
        return True
    return False


def ox_graph_name(graph: Graph):
    """The pyoxigraph graph name that holds ``graph``'s triples (the default graph on disk)."""
    import pyoxigraph as ox

    if graph.identifier == DATASET_DEFAULT_GRAPH_ID:
        return ox.DefaultGraph()
    return ox.NamedNode(str(graph.identifier))


def _chunks(blocks: Iterable[bytes], size: int) -> Iterable[bytes]:
    chunk: list[bytes] = []
    total = 0
    for block in blocks:
        if chunk and total + len(block) > size:
            yield b"".join(chunk)
            chunk, total = [], 0
        chunk.append(block)
        total += len(block)
    if chunk:
        yield b"".join(chunk)


# ---------------------------------------------------------------- N-Triples


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r]')
_BNODE_LABEL = re.compile(r"[^A-Za-z0-9_]")


def nt_term(term) -> str:
    """One RDF term in N-Triples syntax.

    >>> nt_term(Literal('say "hi"\\n', lang="en"))
    '"say \\\\"hi\\\\"\\\\n"@en'
    >>> nt_term(URIRef("https://w3id.org/guidegraph/kb/x"))
    '<https://w3id.org/guidegraph/kb/x>'
    """
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m[0]], str(term))
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype is not None:
            return f'"{text}"^^<{term.datatype}>'
        return f'"{text}"'
    if isinstance(term, BNode):
        return "_:" + _BNODE_LABEL.sub("_", str(term))
    raise ValueError(f"not an RDF term: {term!r}")


def ntriples(triples: Iterable[tuple]) -> bytes:
    """Triples as N-Triples bytes (the bulk loader's input)."""
    return "".join(f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n" for s, p, o in triples).encode("utf-8")


# ---------------------------------------------------------------- a SPARQL 1.1 server


def _streamed_formats() -> dict:
    import pyoxigraph as ox

    return {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
            "application/sparql-results+xml": ox.QueryResultsFormat.XML,
            "text/tab-separated-values": ox.QueryResultsFormat.TSV}


_STREAMED = _streamed_formats()


def _streamed_result(response, fmt, url: str) -> Result:
    """Solutions read from the HTTP response as they are needed (Oxigraph's parser): a caller that
    stops after ``max_rows`` rows never receives the rest, however large the server's answer."""
    import pyoxigraph as ox

    from .sparql import from_ox

    try:
        parsed = ox.parse_query_results(response, fmt)
    except SyntaxError as error:
        response.close()
        raise InputError(f"the SPARQL server's answer is not valid results: {error}", where=url) from None
    if isinstance(parsed, ox.QueryBoolean):
        response.close()
        result = Result("ASK")
        result.askAnswer = bool(parsed)
        return result
    result = Result("SELECT")
    result.vars = [Variable(v.value) for v in parsed.variables]
    seen: dict = {}

    def term(x):
        found = seen.get(x)
        if found is None:
            found = seen[x] = from_ox(x)
        return found

    def rows():
        try:
            for solution in parsed:
                yield {v: term(value) for v, value in zip(result.vars, solution) if value is not None}
        finally:
            response.close()

    result.bindings = rows()
    return result


_PROLOGUE_AND_FORM = re.compile(
    r"(?:\s+|#[^\n]*|PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s+<[^>]*>)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def query_form(query: str) -> str | None:
    """The form of a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE), read after its prologue.

    >>> query_form("PREFIX gg: <https://w3id.org/guidegraph/ontology#>  # the vocabulary\\nselect * {}")
    'SELECT'
    >>> query_form("INSERT DATA {}") is None
    True
    """
    found = _PROLOGUE_AND_FORM.match(query)
    return found[1].upper() if found else None


def _plain_text(body: str) -> str:
    """A server's error page as one line of its words (an HTML page without its markup).

    >>> _plain_text("<html><head><title>404</title><style>p {}</style></head><body><p>Not &amp;\t found</p></body></html>")
    '404 Not & found'
    """
    body = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", body)
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", body)).split())


def _basic_authorization(auth: tuple[str, str]) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode("utf-8")).decode("ascii")


class RemoteStore(SPARQLUpdateStore):
    """rdflib's SPARQL store with a stricter HTTP client: POSTed queries (long ones fit), a
    timeout, errors that say what the server answered, and bulk ``post_update`` for loading."""

    def __init__(self, query_url: str, update_url: str, *, timeout_s: float = REMOTE_TIMEOUT_S,
                 auth: tuple[str, str] | None = None, update_auth: tuple[str, str] | None = None):
        # rdflib's own client sends updates only (queries go through _query below)
        super().__init__(query_endpoint=query_url, update_endpoint=update_url, method="POST", autocommit=True,
                         auth=update_auth)
        self.timeout_s = timeout_s
        self._query_authorization = _basic_authorization(auth) if auth else None
        self._update_authorization = _basic_authorization(update_auth) if update_auth else None

    def _query(self, query: str, default_graph: str | None = None, named_graph: str | None = None) -> Result:
        self._queries += 1
        params = {"default-graph-uri": str(default_graph)} if isinstance(default_graph, (str, URIRef)) and not isinstance(default_graph, BNode) else {}
        joiner = "&" if urllib.parse.urlsplit(self.query_endpoint).query else "?"
        url = self.query_endpoint + (joiner + urllib.parse.urlencode(params) if params else "")
        accept = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8, application/sparql-results+xml;q=0.5"
        response = self._open(url, query.encode("utf-8"), "application/sparql-query", accept, self._query_authorization)
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        form = query_form(query)
        graph_answer = content_type in ("application/n-triples", "text/turtle")
        if form is not None and graph_answer != (form in ("CONSTRUCT", "DESCRIBE")):
            response.close()
            raise InputError(f"the SPARQL server answered {content_type or 'without a content type'} to a {form} query, "
                             "not valid results: is this a SPARQL query endpoint?", where=url)
        if content_type in _STREAMED:
            return _streamed_result(response, _STREAMED[content_type], url)
        with response:
            body = response.read()
        if graph_answer:
            import pyoxigraph as ox

            from .sparql import from_ox

            result = Result("CONSTRUCT")
            result.graph = Graph()
            fmt = ox.RdfFormat.N_TRIPLES if content_type == "application/n-triples" else ox.RdfFormat.TURTLE
            for triple in ox.parse(body, format=fmt):
                result.graph.add((from_ox(triple.subject), from_ox(triple.predicate), from_ox(triple.object)))
            return result
        try:
            return Result.parse(BytesIO(body), content_type=content_type)
        except Exception:  # noqa: BLE001 - rdflib has no parser for it, or cannot read it
            raise InputError(f"the server answered {content_type or 'without a content type'}, not SPARQL results: "
                             "is this a SPARQL query endpoint?", where=url) from None

    def post_update(self, update: bytes) -> None:
        """Send one SPARQL 1.1 UPDATE request."""
        with self._open(self.update_endpoint, update, "application/sparql-update", "*/*",
                        self._update_authorization) as response:
            response.read()

    def _open(self, url: str, data: bytes, content_type: str, accept: str, authorization: str | None):
        headers = {"Content-Type": content_type, "Accept": accept}
        if authorization:  # each URL's own user and password, never the other's
            headers["Authorization"] = authorization
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout_s)
        except urllib.error.HTTPError as error:
            detail = _plain_text(error.read().decode("utf-8", "replace"))[:200]
            raise InputError(f"the SPARQL server answered HTTP {error.code}: {detail or error.reason}", where=url) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise InputError(f"cannot reach the SPARQL server: {reason}", where=url) from None
