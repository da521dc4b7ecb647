"""Building a knowledge graph from a library into a store, and opening a store built before.

A build parses the library's documents (in parallel where there are many), turns documents,
ontology, terminology and pathways into N-Triples, and hands them to the store's fastest loader
(:func:`graph.store.load_ntriples`: Oxigraph's bulk loader, rdflib's parser for the baseline,
``INSERT DATA`` for a SPARQL server). Conflicts are found in the loaded graph and added to it.

A persistent store (``oxigraph:PATH``, ``sparql:URL``) also gets a manifest, a ``gg:LibraryBuild``
node in its own named graph: the library folder, a SHA-256 of every input file (documents,
pathways, terminology, ontology, and the code that turns them into triples), the conflicts and the
validation report. Opening such a store reads the manifest instead of parsing the library, and
refuses to serve a library that changed since (the user runs ``load`` again). The manifest is
written last, so a build that stopped half-way is never taken for a finished one.

What needs the parsed documents: only the reader views (a document's lines, ``kb.documents``) and
the TriG export (which splits the graph by document). An opened store parses a document from the
library the first time it is asked for (:class:`LazyDocuments`); recommend, query, stats,
conflicts and the other exports read the graph alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from .errors import InputError
from .ingest import Document, parse
from .library import DEFAULT_LIBRARY, ONTOLOGY_DIR, PROJECT_ROOT, Library
from .store import (BUILD_GRAPH, StoreSpec, clear_graph, clear_store, flush, holds_disk_store, is_oxigraph, load_ntriples,
                    nt_term, ntriples, open_store, optimize, ox_graph_name, parse_store, parse_turtle, pyoxigraph_store,
                    release_disk_store, sibling, writable_disk_store)
from .terminology import Lexicon
from .vocab import GG

# Bump when what a store holds changes in a way the file hashes do not show. 3: on disk, the
# knowledge graph is the default graph (2 kept it in a named graph, which 3 would read as empty).
FORMAT_VERSION = 3
BUILD_NODE = URIRef(f"{BUILD_GRAPH}#build")
# The code that turns files into triples: a change to it changes the graph as much as a new file.
CODE_FILES = ("ingest.py", "extract.py", "rdfmodel.py", "terminology.py", "units.py", "conflicts.py", "vocab.py", "build.py",
              "catalogue.py", "explore.py")
PARALLEL_FROM = 48  # documents; below this, starting worker processes costs more than it saves


# ---------------------------------------------------------------- the manifest


@dataclass(frozen=True)
class InputFile:
    """What a build read of one file: its SHA-256, and its size, modification time and change
    time, which let opening skip the hash of a file that was not touched since. The change time
    is the one a program cannot set back (``touch -r`` sets the modification time and moves the
    change time to now); None in a manifest written before it was kept."""

    sha256: str
    size: int
    mtime_ns: int
    ctime_ns: int | None = None

    def looks_unchanged(self, stat: os.stat_result) -> bool:
        """Size, modification and change time as recorded: the file was not written since."""
        return (stat.st_size, stat.st_mtime_ns) == (self.size, self.mtime_ns) and \
            self.ctime_ns in (None, stat.st_ctime_ns)


@dataclass(frozen=True)
class LibraryBuild:
    """The manifest of a persistent store: what was built, from which files, and what was found.

    ``conflicts`` is kept as the JSON text it is stored as (tens of megabytes on a large library)
    and read when first asked for (:attr:`conflict_list`).
    """

    library: str
    files: dict[str, InputFile]
    documents: tuple[str, ...]
    triples: int
    built: str
    conflicts_json: str = "[]"
    report: dict | None = None
    entry_index: dict | None = None  # graph.catalogue.Catalogue.index(): pathways by entry criteria
    format_version: int = FORMAT_VERSION

    def conflict_list(self) -> list:
        from .conflicts import Conflict

        return [Conflict(tuple(c["statements"]), c["reason"], c["topic"], tuple(c["values"]))
                for c in json.loads(self.conflicts_json)]

    def changes(self, library: Library) -> list[str]:
        """Input files added, removed or changed since this build, by name (sorted). A file whose
        size, modification time and change time are as recorded is taken as unchanged; any other
        is hashed.

        >>> import tempfile; from pathlib import Path
        >>> lib = Library(Path(tempfile.mkdtemp()))
        >>> build = LibraryBuild(str(lib.root), current_files(lib), (), 0, "")
        >>> _ = (lib.root / "new.txt").write_text("A title")
        >>> build.changes(lib)
        ['new.txt (added)']
        """
        current = input_files(library)
        found = []
        for name in sorted(set(self.files) | set(current)):
            if name not in current:
                found.append(f"{name} (removed)")
            elif name not in self.files:
                found.append(f"{name} (added)")
            else:
                recorded = self.files[name]
                if not recorded.looks_unchanged(current[name].stat()) and _sha256(current[name]) != recorded.sha256:
                    found.append(f"{name} (changed)")
        return found


def input_files(library: Library) -> dict[str, Path]:
    """Every file a build reads, by the name the manifest gives it."""
    from .review import reviewed_file

    files = {f"{doc_id}.txt": library.document_path(doc_id) for doc_id in library.document_ids()}
    files.update({path.name: path for path in library.pathway_files()})
    # what the curator checked: validate reads it, and the saved report must follow it
    files.update({path.name: path for path in map(reviewed_file, library.pathway_files()) if path.exists()})
    files["terminology.ttl"] = library.terminology_file
    for path in [ONTOLOGY_DIR / "guideline.ttl", ONTOLOGY_DIR / "shapes.ttl", *sorted((ONTOLOGY_DIR / "checks").glob("*.rq"))]:
        files[str(path.relative_to(PROJECT_ROOT))] = path
    for name in CODE_FILES:
        files[f"graph/{name}"] = PROJECT_ROOT / "graph" / name
    return files


def current_files(library: Library) -> dict[str, InputFile]:
    """Hash, size and modification time of every input file (read before parsing, so a file
    changed during a build is seen as changed the next time)."""
    found = {}
    for name, path in input_files(library).items():
        stat = path.stat()
        found[name] = InputFile(_sha256(path), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    return found


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_triples(build: LibraryBuild, decision_graphs: dict[str, str] | None = None,
                     start_nodes: str | None = None) -> Iterator[tuple]:
    """The manifest as triples; ``decision_graphs``: each pathway's decision graph as JSON text
    (:func:`graph.pathway.pathway_data`), saved on the pathway's node; ``start_nodes``: the
    explorer's start nodes as JSON text (:func:`start_nodes_json`)."""
    node = BUILD_NODE
    files = {name: [f.sha256, f.size, f.mtime_ns, f.ctime_ns] for name, f in sorted(build.files.items())}
    yield node, RDF.type, GG.LibraryBuild
    yield node, GG.libraryFolder, Literal(build.library)
    yield node, GG.formatVersion, Literal(build.format_version)
    yield node, GG.tripleCount, Literal(build.triples)
    yield node, PROV.generatedAtTime, Literal(build.built, datatype=XSD.dateTime)
    yield node, GG.inputFilesJson, Literal(json.dumps({"documents": list(build.documents), "files": files}))
    yield node, GG.conflictsJson, Literal(build.conflicts_json)
    if build.report is not None:
        yield node, GG.reportJson, Literal(json.dumps(build.report, ensure_ascii=False))
    if build.entry_index is not None:
        yield node, GG.entryIndexJson, Literal(json.dumps(build.entry_index, ensure_ascii=False))
    if start_nodes is not None:
        yield node, GG.startNodesJson, Literal(start_nodes)
    for pathway, text in (decision_graphs or {}).items():
        yield URIRef(pathway), GG.decisionGraphJson, Literal(text)


_VERSION_QUERY = """
PREFIX gg: <https://w3id.org/guidegraph/ontology#>
SELECT ?version WHERE { ?build a gg:LibraryBuild ; gg:formatVersion ?version }"""

_MANIFEST_QUERY = """
PREFIX gg: <https://w3id.org/guidegraph/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?folder ?version ?triples ?built ?files ?conflicts ?report ?entryIndex WHERE {
  ?build a gg:LibraryBuild ; gg:libraryFolder ?folder ; gg:formatVersion ?version ; gg:tripleCount ?triples ;
         prov:generatedAtTime ?built ; gg:inputFilesJson ?files ; gg:conflictsJson ?conflicts .
  OPTIONAL { ?build gg:reportJson ?report }
  OPTIONAL { ?build gg:entryIndexJson ?entryIndex }
}"""


class ManifestUnreadable(InputError):
    """A store's build manifest that is there but cannot be understood (not a server that cannot
    be reached: building again is the cure for this one only)."""


def read_manifest(graph) -> LibraryBuild | None:
    """The manifest of the store under ``graph``, or None when it holds no finished build.

    Raises
    ------
    ManifestUnreadable : the manifest is there but cannot be read (written by hand, or damaged).
    """
    manifest = sibling(graph, BUILD_GRAPH)
    versions = _select(manifest, _VERSION_QUERY)
    if not versions:
        return None
    try:
        return _manifest_from(versions[0]["version"], lambda: _select(manifest, _MANIFEST_QUERY))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        # json.JSONDecodeError is a ValueError; a missing or malformed field surfaces as one of these.
        raise ManifestUnreadable(f"the store's build manifest cannot be read ({type(error).__name__}: {error})") from None


def _manifest_from(version: str, rows) -> LibraryBuild:
    if int(version) != FORMAT_VERSION:  # another layout: say so rather than misread it
        return LibraryBuild("", {}, (), 0, "", format_version=int(version))
    row = rows()[0]
    inputs = json.loads(row["files"])
    return LibraryBuild(
        library=row["folder"],
        files={name: InputFile(*values) for name, values in inputs["files"].items()},
        documents=tuple(inputs["documents"]),
        triples=int(row["triples"]),
        built=row["built"],
        conflicts_json=row["conflicts"],
        report=json.loads(row["report"]) if row.get("report") is not None else None,
        entry_index=json.loads(row["entryIndex"]) if row.get("entryIndex") is not None else None,
        format_version=int(row["version"]),
    )


def _select(graph, query: str) -> list[dict[str, str | None]]:
    """SELECT rows as lexical values; on Oxigraph straight from pyoxigraph (rdflib's conversion of
    a literal of megabytes, or of thousands of rows, takes seconds)."""
    if is_oxigraph(graph):
        solutions = pyoxigraph_store(graph).query(query, default_graph=ox_graph_name(graph))
        names = [v.value for v in solutions.variables]
        return [{n: (t.value if t is not None else None) for n, t in zip(names, row)} for row in solutions]
    result = graph.query(query)
    names = [str(v) for v in result.vars]
    return [{n: (str(row[n]) if row[n] is not None else None) for n in names} for row in result]


def write_manifest(graph, build: LibraryBuild, decision_graphs: dict[str, str] | None = None,
                   start_nodes: str | None = None) -> None:
    manifest = sibling(graph, BUILD_GRAPH)
    clear_graph(manifest)
    load_ntriples(manifest, [ntriples(manifest_triples(build, decision_graphs, start_nodes))])
    flush(graph)


def start_nodes_json(graph) -> str:
    """The explorer's start nodes (:func:`graph.explore.searchable_nodes`) as JSON text, to save
    with a build: listing them takes two whole-library queries, 5 s at 1,000 guidelines on disk."""
    from .explore import searchable_nodes

    return json.dumps(searchable_nodes(graph), ensure_ascii=False, separators=(",", ":"))


def read_start_nodes(graph) -> list[tuple[str, str, str]] | None:
    """The start nodes a build saved, as (type, label, IRI); None when it saved none (a store
    built in memory, or by a version that did not save them)."""
    query = """PREFIX gg: <https://w3id.org/guidegraph/ontology#>
SELECT ?json WHERE { ?build a gg:LibraryBuild ; gg:startNodesJson ?json }"""
    rows = _select(sibling(graph, BUILD_GRAPH), query)
    return [tuple(node) for node in json.loads(rows[0]["json"])] if rows else None


def saved_decision_graphs(catalogue) -> dict[str, str]:
    """Every pathway's decision graph as JSON text, to save with a build; a pathway the engine
    leaves out (a cycle), or one whose criteria JSON cannot carry exactly, is built on use instead."""
    from .pathway import pathway_data

    saved = {}
    for iri, pathway in catalogue.all().items():
        try:
            saved[iri] = json.dumps(pathway_data(pathway), ensure_ascii=False, separators=(",", ":"))
        except ValueError:
            continue
    return saved


def read_decision_graphs(graph, iris: list[str]) -> dict[str, dict]:
    """The decision graphs a build saved for these pathways, as :func:`graph.pathway.pathway_data`
    wrote them (a pathway without one is left out)."""
    from .catalogue import pathway_values

    query = f"""PREFIX gg: <https://w3id.org/guidegraph/ontology#>
SELECT ?pathway ?json WHERE {{ {pathway_values(iris)} ?pathway gg:decisionGraphJson ?json }}"""
    return {row["pathway"]: json.loads(row["json"]) for row in _select(sibling(graph, BUILD_GRAPH), query)}


# ---------------------------------------------------------------- the parsed library as N-Triples


@dataclass
class ParsedLibrary:
    """A library read into N-Triples blocks (one per source file), with its parsed documents."""

    library: Library
    lexicon: Lexicon
    documents: dict[str, Document]
    blocks: list[bytes]
    seconds: float
    decision_blocks: int  # the leading blocks: the ontology, terminology and pathway files (decision_stage)

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.blocks)


# What a pathway reads of a document (graph.catalogue's CONSTRUCT): the guideline's identifier and
# its statements' source lines. A line of a document's N-Triples with one of these predicates
# between spaces is such a triple (or, if a text quotes one, a harmless extra triple of the graph).
_DECISION_PREDICATES = (b" <https://w3id.org/guidegraph/ontology#sourceLine> ", b" <http://purl.org/dc/terms/identifier> ")


def decision_stage(parsed: ParsedLibrary):
    """The decision layer alone in Oxigraph memory: the ontology, terminology and pathway files
    whole, and of each document the triples pathways read. A persistent build reads its decision
    graphs here: from an on-disk store the same reads are RocksDB lookups, which took half of a
    10,000-guideline load."""
    stage = open_store("memory")
    lines = [line for block in parsed.blocks[parsed.decision_blocks:] for line in block.splitlines(keepends=True)
             if any(predicate in line for predicate in _DECISION_PREDICATES)]
    load_ntriples(stage, parsed.blocks[: parsed.decision_blocks] + [b"".join(lines)])
    return stage


def parse_library(library: str | Path | Library | None = None, *, workers: int | None = None) -> ParsedLibrary:
    """Parse every document of a library and turn every source into N-Triples.

    ``workers``: processes that parse documents (default: one per CPU when the library holds at
    least ``PARALLEL_FROM`` documents; ``GUIDEGRAPH_WORKERS`` overrides).
    """
    started = time.perf_counter()
    lib = library if isinstance(library, Library) else Library.at(library)
    terminology = turtle_ntriples(lib.terminology_file)
    lexicon = Lexicon.load(lib.terminology_file)
    blocks = [turtle_ntriples(ONTOLOGY_DIR / "guideline.ttl"), terminology]
    blocks += [turtle_ntriples(path) for path in lib.pathway_files()]
    decision_blocks = len(blocks)
    ids = lib.document_ids()
    documents: dict[str, Document] = {}
    for doc_id, doc, block in _parse_documents(lib, ids, lexicon, worker_count(workers, len(ids))):
        documents[doc_id] = doc
        blocks.append(block)
    return ParsedLibrary(lib, lexicon, documents, blocks, time.perf_counter() - started, decision_blocks)


def turtle_ntriples(path: Path) -> bytes:
    """A Turtle file as N-Triples, parsed by Oxigraph (see :func:`graph.store.parse_turtle`)."""
    return "".join(f"{triple} .\n" for triple in parse_turtle(path)).encode("utf-8")


def worker_count(asked: int | None, documents: int) -> int:
    """Processes for work over ``documents``: ``asked``, or one per CPU (``GUIDEGRAPH_WORKERS``
    overrides) from ``PARALLEL_FROM`` documents on, never more than there are documents."""
    if asked is None:
        asked = int(os.environ.get("GUIDEGRAPH_WORKERS", "0")) or (os.cpu_count() or 1)
        if documents < PARALLEL_FROM:
            asked = 1
    return max(1, min(asked, documents))


@contextmanager
def worker_pool(count: int):
    """``count`` forked worker processes (they inherit the parent's data instead of pickles). An
    interrupt or error cancels the work not yet started: the standard pool would first finish
    every queued task, 47 s of validation at 1,000 guidelines after a Ctrl-C."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("fork"))
    try:
        yield pool
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _stop_workers(pool) -> None:
    """Cancel what has not started and end the workers now. The pool hands each worker its next
    task ahead of time, and a worker takes a Ctrl-C or SIGTERM as the failure of its task (the
    pool catches it) and goes on to the next: a Ctrl-C during the validation of 1,000 guidelines
    took 9 to 77 s to end the command. The workers hold nothing to save, so they are killed."""
    kill = getattr(pool, "kill_workers", None)  # Python 3.14
    if kill is not None:
        kill()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.kill()
    for process in processes:
        process.join(timeout=5)
    pool.shutdown(wait=True)


def _parse_some(library: Library, ids: list[str], lexicon: Lexicon) -> list[tuple[str, Document, bytes]]:
    from .rdfmodel import document_triples

    out = []
    for doc_id in ids:
        doc = parse(library.read_document(doc_id), doc_id=doc_id, lexicon=lexicon)
        out.append((doc_id, doc, ntriples(document_triples(doc, lexicon))))
    return out


def _parse_documents(library: Library, ids: list[str], lexicon: Lexicon, workers: int):
    if workers <= 1:
        return _parse_some(library, ids, lexicon)
    size = max(1, len(ids) // (workers * 4))
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    with worker_pool(workers) as pool:  # the workers inherit the lexicon instead of rebuilding it
        results = pool.map(_parse_some, [library] * len(chunks), chunks, [lexicon] * len(chunks))
        return [item for chunk in results for item in chunk]


# ---------------------------------------------------------------- building and opening


def build(kb_class, library, store: str | StoreSpec, *, validate: bool, parsed: ParsedLibrary | None = None,
          progress: Callable[[str], None] | None = None):
    """Parse ``library`` and load it into ``store`` (emptied first); a persistent store gets its
    manifest. Returns a KnowledgeBase whose ``timings`` say where the time went.

    ``progress``: a function given one line as each phase starts (a build of 1,000 guidelines on
    disk takes minutes; the user sees which part it is in)."""
    spec = parse_store(store)
    from .conflicts import conflict_triples, find_conflicts

    if spec.kind == "oxigraph":
        _is_store_folder(spec.path)  # refuses a file, or a folder of other files, before anything is written

    timings: dict = {}
    phase = _Phases(timings, progress)
    lib = parsed.library if parsed else Library.at(library)
    hashes = current_files(lib) if spec.persistent else {}
    if parsed is None:
        phase.say(f"parsing {len(lib.document_ids()):,} documents of {lib.root}")
        parsed = parse_library(lib)
    timings["parse_s"] = parsed.seconds
    graph = open_store(spec)
    if spec.persistent:
        clear_graph(sibling(graph, BUILD_GRAPH))  # the old manifest goes first: a half-done build is never "finished"
        if not clear_store(graph):  # on disk the whole folder, whatever layout an earlier version wrote
            clear_graph(graph)
    with phase("store_load_s", f"loading the triples into {'a local stage' if spec.kind == 'sparql' else spec.text}"):
        if spec.kind == "sparql":
            # A server is loaded last, from a local stage where conflicts and validation are fast.
            target, graph = graph, open_store("memory")
        load_ntriples(graph, parsed.blocks)
        flush(graph)
    with phase("conflicts_s", "finding conflicts between sources"):
        conflicts = find_conflicts(graph)
        conflict_block = ntriples(conflict_triples(conflicts))
        load_ntriples(graph, [conflict_block])
    # N-Triples statements loaded: the store's own count (a COUNT over every triple) takes seconds
    # on a large store, and the sources repeat no triple but by accident.
    timings["triples"] = sum(block.count(b"\n") for block in parsed.blocks) + conflict_block.count(b"\n")
    kb = kb_class(graph=graph, library=parsed.library, lexicon=parsed.lexicon, documents=parsed.documents, store=spec.text)
    kb.conflicts = conflicts
    entry_index = None
    if spec.persistent:  # saved with the build: a large store then opens without reading every pathway's entry
        from .catalogue import Catalogue, catalogue_of

        with phase("entry_index_s", "indexing the pathways' entry criteria"):
            # A server's build has its whole graph in memory here; an on-disk one reads a stage of its own.
            catalogue = catalogue_of(kb) if spec.kind == "sparql" else Catalogue(decision_stage(parsed))
            entry_index = catalogue.index()
        # Saved too: a patient of whom little is known makes every pathway a candidate, and on a
        # large store building them all from the graph takes minutes of lookups.
        with phase("decision_graphs_s", "saving every pathway's decision graph"):
            decision_graphs = saved_decision_graphs(catalogue)
        del catalogue
        with phase("start_nodes_s", "listing the explorer's start nodes"):
            start_nodes = start_nodes_json(graph)
    if validate:
        with phase("validate_s", "validating (SHACL shapes and structural checks)"):
            kb.report = kb.validate(progress=phase.say)
    if spec.kind == "sparql":
        with phase("remote_load_s", f"uploading to {spec.update_url}"):
            load_ntriples(target, parsed.blocks + [conflict_block])
        kb.graph = graph = target
        for stale in ("catalogue", "answers"):  # read from, or kept for, the local stage
            kb._cache.pop(stale, None)
    if spec.persistent:
        manifest = LibraryBuild(
            library=str(parsed.library.root),
            files=hashes,
            documents=tuple(sorted(parsed.documents)),
            triples=timings["triples"],
            # To the microsecond: the time tells one build from the next (save_report writes a
            # report only into the build it describes), and two builds can finish in one second.
            built=datetime.now(timezone.utc).isoformat(),
            conflicts_json=json.dumps([c.to_dict() for c in conflicts], ensure_ascii=False),
            report=kb.report.to_dict() if kb.report is not None else None,
            entry_index=entry_index,
        )
        write_manifest(graph, manifest, decision_graphs, start_nodes)
        if spec.kind == "sparql" and read_manifest(graph) is None:
            # A server that answers 200 to an update yet keeps nothing (not a SPARQL store, a
            # read-only endpoint) would otherwise give every later command an empty graph.
            raise InputError("the server accepted the upload but does not give it back: is this a SPARQL 1.1 "
                             "server that allows updates?", where=spec.where)
        kb.build = manifest
        if spec.kind == "oxigraph":
            with phase("optimize_s", "compacting the store"):
                optimize(graph)
    kb.timings = timings
    return kb


class _Phases:
    """Times a build's phases into ``timings`` and names each to ``progress`` as it starts."""

    def __init__(self, timings: dict, progress: Callable[[str], None] | None):
        self.timings, self.progress = timings, progress

    def say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    @contextmanager
    def __call__(self, key: str, line: str):
        self.say(line)
        started = time.perf_counter()
        yield
        self.timings[key] = time.perf_counter() - started


def open_built(kb_class, store: str | StoreSpec, library=None):
    """A KnowledgeBase over a store built before, without parsing the library; None when the store
    holds no finished build (nothing was loaded, or a load stopped half-way).

    Raises
    ------
    InputError : the library changed since the build (the message names the files and says to
        run ``load`` again), or the store was written by another version of guidegraph.
    """
    from .validate import Finding, Report

    spec = parse_store(store)
    started = time.perf_counter()
    if spec.kind == "oxigraph" and not _is_store_folder(spec.path):
        return None
    opened_here = spec.kind == "oxigraph" and not holds_disk_store(spec.path)
    graph = open_store(spec, read_only=spec.kind == "oxigraph")
    try:
        manifest = read_manifest(graph)
    except ManifestUnreadable as error:
        raise InputError(f"{error.message}; run `{_load_command(spec, library)}` to build it again",
                         where=spec.where) from None
    if manifest is None:  # nothing loaded, or a load stopped half-way: the caller builds it
        if opened_here:
            del graph
            release_disk_store(spec.path)
        return None
    load_command = _load_command(spec, library if library is not None else manifest.library)
    if manifest.format_version != FORMAT_VERSION:
        raise InputError(f"the store was built by another version of guidegraph; run `{load_command}` again", where=spec.where)
    root = Path(library).expanduser() if library is not None else Path(manifest.library)
    if library is not None or root.is_dir():
        lib = Library.at(library if library is not None else root)
        changed = manifest.changes(lib)
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        if changed and lib.root != Path(manifest.library):
            # Another folder: its files are not "changes", and loading it would replace the store.
            if Path(manifest.library).is_dir():
                raise InputError(f"the store was built from the library {manifest.library}, not {lib.root}: give "
                                 f"--library {shlex.quote(manifest.library)}, or run `{load_command}` to build it "
                                 "from this one instead", where=spec.where)
            # The folder it was built from is gone (moved, perhaps to this one): it cannot be named.
            raise InputError(f"the store was built from the library {manifest.library}, which is not there any "
                             f"more, and {lib.root} differs from it ({shown}): run `{load_command}` to build it "
                             "from this one, or leave out --library to use the store as built", where=spec.where)
        if changed:
            raise InputError(f"the library changed since the store was built ({shown}); run `{load_command}` again",
                             where=spec.where)
        lexicon = Lexicon.load(lib.terminology_file)
    else:
        lib = Library(root)  # the library folder is not here: the graph is served as built
        lexicon = Lexicon.from_graph(graph)
    kb = kb_class(graph=graph, library=lib, lexicon=lexicon, documents=LazyDocuments(lib, manifest.documents, lexicon),
                  store=spec.text)
    kb.conflicts = LazyList(manifest.conflict_list)
    if manifest.report is not None:
        kb.report = Report(tuple(Finding(**f) for f in manifest.report["findings"]))
    kb.build = manifest  # graph.catalogue reads its entry index from here
    kb.timings = {"open_s": time.perf_counter() - started}
    return kb


def save_report(kb) -> str | None:
    """Save the validation report of an opened store built with ``--no-validate`` into its
    manifest, so later commands warn from it (a library that does not conform) and ``validate``
    does not check the whole library again. Returns None, or why the report could not be saved
    (a folder or server this user may only read; a ``load`` writing at the moment; a build newer
    than the one validated, which keeps its own findings: the report is written only into the
    build it describes, in one update)."""
    spec = parse_store(kb.store)
    node, built = nt_term(BUILD_NODE), nt_term(Literal(kb.build.built))
    this_build = (f"{node} <{PROV.generatedAtTime}> ?built FILTER (STR(?built) = {built})")
    update = (f"DELETE {{ GRAPH <{BUILD_GRAPH}> {{ {node} <{GG.reportJson}> ?old }} }}\n"
              f"INSERT {{ GRAPH <{BUILD_GRAPH}> {{ {node} <{GG.reportJson}> "
              f"{nt_term(Literal(json.dumps(kb.report.to_dict(), ensure_ascii=False)))} }} }}\n"
              f"WHERE {{ GRAPH <{BUILD_GRAPH}> {{ {this_build} OPTIONAL {{ {node} <{GG.reportJson}> ?old }} }} }}")
    saved = f"ASK {{ GRAPH <{BUILD_GRAPH}> {{ {this_build} . {node} <{GG.reportJson}> ?report }} }}"
    try:
        if spec.kind == "oxigraph":
            with writable_disk_store(spec.path) as store:
                store.update(update)
                written = bool(store.query(saved))
        else:
            kb.graph.store.post_update(update.encode("utf-8"))
            # asked of the server's whole dataset: a query through the graph sees the knowledge graph alone
            written = bool(kb.graph.store._query(saved).askAnswer)
    except (InputError, OSError, RuntimeError) as error:  # str(): the message after where it happened
        return " ".join(str(error).split())
    return None if written else "it was built again since it was opened; that build is validated on its own"


def build_notice(kb) -> str | None:
    """What a reading command says when its persistent store held no build and was built just now
    (a mistyped store path would otherwise answer, silently, from whatever library was given), or
    when the validation report it made could not be saved into the store."""
    spec = parse_store(kb.store)
    if kb.unsaved_report:
        return (f"note: the validation report could not be saved into the store ({kb.unsaved_report}); "
                "the next command validates again")
    if not spec.persistent or "open_s" in kb.timings:
        return None
    count = len(kb.documents)
    return (f"note: {spec.where} held no build; built it from {kb.library.root} "
            f"({count} guideline{'' if count == 1 else 's'}); "
            "later commands open it without parsing")


def _load_command(spec: StoreSpec, library) -> str:
    """The command that builds this store again from ``library``, as a user would type it."""
    bundled = DEFAULT_LIBRARY.resolve()
    folder = Path(library).expanduser().resolve() if library else bundled
    with_library = "" if folder == bundled else f" --library {shlex.quote(str(folder))}"
    return f"guidegraph{with_library} --store {shlex.quote(spec.shown)} load"


def _is_store_folder(path: Path) -> bool:
    """An existing Oxigraph (RocksDB) folder; anything else is refused rather than written into."""
    if not path.exists():
        return False
    if not path.is_dir():
        raise InputError("is a file, not an Oxigraph store folder", where=str(path))
    if (path / "CURRENT").exists():
        return True
    if any(path.iterdir()):
        raise InputError("is a folder that holds other files, not an Oxigraph store", where=str(path))
    return False


class LazyList(Sequence):
    """A list made on first use (an opened store's conflicts: read when a view asks for them)."""

    def __init__(self, make):
        self._make, self._items = make, None

    def _list(self) -> list:
        if self._items is None:
            self._items = self._make()
        return self._items

    def __getitem__(self, index):
        return self._list()[index]

    def __len__(self) -> int:
        return len(self._list())

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, (list, Sequence)) else NotImplemented


class LazyDocuments(Mapping):
    """The parsed documents of an opened store, each parsed from the library on first use.

    Only views of a document's own lines need them (the reader, the TriG export); when the library
    folder is not on this machine they raise an error that says so.
    """

    def __init__(self, library: Library, ids, lexicon: Lexicon):
        self._library, self._ids, self._lexicon = library, tuple(ids), lexicon
        self._parsed: dict[str, Document] = {}

    def __getitem__(self, doc_id: str) -> Document:
        if doc_id not in self._ids:
            raise KeyError(doc_id)
        if doc_id not in self._parsed:
            if not self._library.root.is_dir():
                raise InputError(f"the library folder {self._library.root} is not here: the document's own lines "
                                 "cannot be shown (the graph can still be queried)")
            self._parsed[doc_id] = parse(self._library.read_document(doc_id), doc_id=doc_id, lexicon=self._lexicon)
        return self._parsed[doc_id]

    def __iter__(self):
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def load_summary(kb) -> str:
    """One line on what a build did and where the time went."""
    t = kb.timings
    named = (("parse_s", "parse"), ("store_load_s", "store load"), ("conflicts_s", "conflicts"),
             ("entry_index_s", "entry index"), ("decision_graphs_s", "decision graphs"),
             ("start_nodes_s", "explorer start nodes"), ("validate_s", "validation"),
             ("remote_load_s", "upload"), ("optimize_s", "compaction"))
    phases = ", ".join(f"{name} {t[key]:.1f} s" for key, name in named if key in t)
    total = sum(t[key] for key, _ in named if key in t)
    where = parse_store(kb.store).shown
    return (f"loaded {len(kb.documents)} documents, {t['triples']:,} triples into {where} in {total:.1f} s "
            f"({phases}); {len(kb.conflicts)} conflict(s)")
