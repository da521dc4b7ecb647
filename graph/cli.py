"""The `guidegraph` command: a thin layer over the package's functions.

Exit codes: 0 success, 1 the checked thing is wrong (validation fails), 2 bad input or usage,
3 an internal error (a bug), 130 stopped by Ctrl-C, 143 stopped by SIGTERM. Errors are one line
on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .errors import GuideGraphError, InputError

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
EXIT_INTERNAL = 3  # a bug in guidegraph, reported in one line
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + the signal's number, as shells report it


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        command = self.prog.removeprefix("guidegraph").strip()  # main() already says "guidegraph: error:"
        raise InputError(f"{command}: {message}" if command else message)


def _emit(text: str, target: Path | None, force: bool) -> None:
    """Write ``text`` to ``target`` (from ``files.output_path``, checked before the work), or to
    standard output when it is None."""
    if target is not None:
        from .files import write_atomic

        print(f"wrote {write_atomic(target, text, force=force)}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _limit(upper: int):
    """argparse type of a query limit (--timeout-ms, --max-rows): a whole number from 1 to ``upper``,
    refused under the option's own name."""
    def check(text: str) -> int:
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= upper:
            raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {upper}, not {text!r}")
        return int(text)

    return check


def _port(text: str) -> int:
    """argparse type of ``--port``: a TCP port number, 0 for any free one."""
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


def _named(what: str):
    """argparse type of an option naming a place: refuses an empty value, which would otherwise
    mean the current folder (``--library ""``) or the memory store (``--store ""``), mostly an
    unset shell variable."""
    def check(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"is empty; give {what}")
        return text

    return check


def _environment_store() -> str:
    """The store ``GUIDEGRAPH_STORE`` names, checked here so that a bad value is blamed on the
    variable, not on a --store option the user never typed."""
    from .store import parse_store, store_from_environment

    spec = store_from_environment()
    try:
        parse_store(spec)
    except InputError as error:
        raise InputError(str(error), where="GUIDEGRAPH_STORE") from None
    return spec


def _progress_line(line: str) -> None:
    """A build's progress, on stderr: stdout keeps the command's own output."""
    print(f"progress: {line}", file=sys.stderr, flush=True)


def _load(args, *, validate: bool = True):
    from .build import build_notice
    from .kb import KnowledgeBase
    from .store import parse_store

    # A memory store is built by every command (seconds for a hospital's library): no progress
    # lines there; a persistent store is built once and may take minutes.
    progress = _progress_line if parse_store(args.store).persistent else None
    kb = KnowledgeBase.load(args.library, store=args.store, validate=validate, progress=progress)
    notice = build_notice(kb)
    if notice:
        print(notice, file=sys.stderr)
    # A store opened from a build carries its validation report: free to check, so say so.
    warning = kb.report.warning() if kb.report is not None and not validate else None
    if warning:
        print(warning, file=sys.stderr)
    return kb


# ---------------------------------------------------------------- commands


def cmd_parse(args) -> int:
    from .export.rdf import serialize_graph
    from .files import output_path
    from .kb import parse_file
    from .rdfmodel import document_graph

    target = output_path(args.output, force=args.force)  # refuse before the work, not after
    doc = parse_file(args.file, library=args.library)
    if args.format == "json":
        _emit(json.dumps(doc.to_dict(), indent=2, ensure_ascii=False), target, args.force)
    else:
        from .kb import read_turtle
        from .library import Library
        from .terminology import Lexicon

        lexicon = Lexicon.from_graph(read_turtle(Library.at(args.library).terminology_file))
        _emit(serialize_graph(document_graph(doc, lexicon), "ttl"), target, args.force)
    if not doc.complete:
        print(f"note: {args.file}: incomplete: {doc.incomplete_reason}", file=sys.stderr)
    return EXIT_OK


def cmd_ingest(args) -> int:
    from .kb import ingest_document

    outcome = ingest_document(args.file, doc_id=args.id, library=args.library)
    if not outcome.report.conforms:
        print(outcome.report.text(), file=sys.stderr)
        return EXIT_INVALID
    print(f"ingested {args.file} as {outcome.doc_id}: {outcome.statements} statements -> {outcome.path}")
    for finding in outcome.report.findings:  # warnings: what the reader left out, and why
        print(finding, file=sys.stderr)
    if not outcome.complete:
        print(f"note: {outcome.doc_id}: incomplete: {outcome.incomplete_reason}", file=sys.stderr)
    return EXIT_OK


def cmd_validate(args) -> int:
    kb = _load(args)
    report = kb.report
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.text(), file=sys.stdout if report.conforms else sys.stderr)
    return EXIT_OK if report.conforms else EXIT_INVALID


def cmd_review(args) -> int:
    from .review import review_guidelines

    for outcome in review_guidelines(_load(args, validate=False), args.ids):
        print(outcome.text())
    return EXIT_OK


def cmd_stats(args) -> int:
    stats = _load(args, validate=False).stats()
    if args.format == "json":
        print(json.dumps(stats, indent=2))
    else:
        for key, value in stats.items():
            if isinstance(value, dict):
                print(f"{key}:")
                for sub, n in value.items():
                    print(f"  {sub:<18} {n}")
            else:
                print(f"{key:<22} {value}")
    return EXIT_OK


def cmd_recommend(args) -> int:
    from .files import output_path
    from .patient import read_patient

    target = output_path(args.output, force=args.force)  # refuse before the work, not after
    facts = read_patient(args.patient)  # a malformed file is refused before anything is loaded
    result = _load(args, validate=False).recommend(facts)
    if args.format == "json":
        _emit(json.dumps(result.to_dict(), indent=2, ensure_ascii=False), target, args.force)
    else:
        _emit(result.to_text(), target, args.force)
    return EXIT_OK


def cmd_conflicts(args) -> int:
    from .conflicts import conflicts_text

    conflicts = _load(args, validate=False).conflicts
    if args.format == "json":
        print(json.dumps([c.to_dict() for c in conflicts], indent=2, ensure_ascii=False))
    else:
        print(conflicts_text(conflicts))
    return EXIT_OK  # a disagreement between sources is information, not an error


def cmd_export_graph(args) -> int:
    from .export.rdf import serialize_library
    from .files import output_path

    target = output_path(args.output, force=args.force)  # refuse before the work, not after
    kb = _load(args, validate=False)
    _emit(serialize_library(kb, args.format), target, args.force)
    return EXIT_OK


def cmd_export_tree(args) -> int:
    from .export.tree import check_tree_format, export_tree
    from .files import output_path, write_atomic
    from .patient import read_patient

    target = output_path(args.output, force=args.force)  # refuse before the work, not after
    check_tree_format(args.format, to_file=target is not None)  # Graphviz missing: say how to install it
    facts = read_patient(args.patient) if args.patient else None
    diagram = export_tree(_load(args, validate=False), fmt=args.format, pathway=args.pathway, facts=facts)
    if isinstance(diagram, bytes):
        print(f"wrote {write_atomic(target, diagram, force=args.force)}", file=sys.stderr)
    else:
        _emit(diagram, target, args.force)
    return EXIT_OK


def cmd_export_fhir(args) -> int:
    from .export.fhir import bundle_json, fhir_bundle
    from .files import output_path

    target = output_path(args.output, force=args.force)  # refuse before the work, not after
    _emit(bundle_json(fhir_bundle(_load(args, validate=False), pathway=args.pathway)), target, args.force)
    return EXIT_OK


def cmd_sparql(args) -> int:
    from .files import output_path
    from .sparql import check_listing_request, parse_bindings, resolve_query, saved_queries_listing
    from .sparql_formats import format_result

    if args.list:
        check_listing_request(args.query, args.saved, args.bind)
    target = output_path(args.output, force=args.force)  # refuse before the work, not after
    if args.list:
        _emit(saved_queries_listing(args.format), target, args.force)
        return EXIT_OK
    bindings = parse_bindings(args.bind)
    query = sys.stdin.read() if args.query == "-" else args.query
    text, saved = resolve_query(query, saved=args.saved)
    if saved is not None:
        bindings = saved.check_bindings(bindings)
    kb = _load(args, validate=False)
    result = kb.query(text, bindings=bindings, timeout_ms=args.timeout_ms, max_rows=args.max_rows)
    _emit(format_result(result, args.format), target, args.force)
    if result.truncated:
        print(f"note: the result was cut at {result.max_rows} rows; --max-rows raises the cap", file=sys.stderr)
    return EXIT_OK


def cmd_serve(args) -> int:
    from .server import listening_socket, serve
    from .sparql import DEFAULT_GUARDRAILS, Guardrails

    guardrails = Guardrails(
        timeout_ms=DEFAULT_GUARDRAILS.timeout_ms if args.timeout_ms is None else args.timeout_ms,
        max_rows=DEFAULT_GUARDRAILS.max_rows if args.max_rows is None else args.max_rows,
    )
    sock = listening_socket(args.host, args.port)  # before loading: a busy port is said at once
    serve(_load(args, validate=False), host=args.host, port=args.port, guardrails=guardrails, sock=sock)
    return EXIT_OK


def cmd_load(args) -> int:
    from .build import load_summary
    from .kb import KnowledgeBase
    from .store import parse_store

    if not parse_store(args.store).persistent:
        raise InputError("`load` builds a persistent store: give --store oxigraph:PATH or --store sparql:URL "
                         "(a memory store is built by every command)")
    kb = KnowledgeBase.load(args.library, store=args.store, validate=not args.no_validate, rebuild=True,
                            progress=_progress_line)
    print(load_summary(kb))
    if kb.report is not None and not kb.report.conforms:
        print(kb.report.text(), file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def cmd_bench(args) -> int:
    from .bench import check_targets, format_table, report_json, run_benchmark
    from .files import STANDARD_OUTPUT, output_path, write_atomic

    json_target = output_path(args.json, force=args.force, option="--json") if args.json is not None else None
    to_stdout = args.json == STANDARD_OUTPUT  # JSON for a pipe: the table and the checks go to stderr
    rows = run_benchmark(sizes=_int_list(args.sizes, "--sizes"), stores=[s for s in args.stores.split(",") if s],
                         seed=args.seed, patients=args.patients, repeat=args.repeat, query_repeat=args.query_repeat,
                         queries=[q for q in args.queries.split(",") if q] if args.queries else None,
                         query_timeout_ms=args.query_timeout_ms, work_dir=args.work)
    if json_target is not None:
        print(f"wrote {write_atomic(json_target, report_json(rows), force=args.force)}", file=sys.stderr)
    elif to_stdout:
        sys.stdout.write(report_json(rows))
    table = sys.stderr if to_stdout else sys.stdout
    print(format_table(rows), file=table)
    print(file=table)
    for check in check_targets(rows):
        print(check.line(), file=table)
    # A failed measurement makes the run incomplete; a missed target is a finding, not a failure.
    return EXIT_INVALID if any(row.get("error") for row in rows) else EXIT_OK


def _int_list(text: str, option: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"{option} takes whole numbers separated by commas, not {text!r}") from None


def _add_scale_commands(commands) -> None:
    p = commands.add_parser("load", help="build a persistent store (--store oxigraph:PATH or sparql:URL) from the library")
    p.add_argument("--no-validate", action="store_true",
                   help="skip SHACL and structural checks (they take minutes on thousands of documents)")
    p.set_defaults(run=cmd_load)

    p = commands.add_parser("bench", help="benchmark load, recommend and saved queries on synthetic libraries")
    p.add_argument("--sizes", default="10,100,1000", help="numbers of synthetic guidelines (default 10,100,1000)")
    p.add_argument("--stores", default="memory,oxigraph,rdflib",
                   help="memory, oxigraph (on disk), rdflib (the baseline), sparql (a local Oxigraph server), "
                        "sparql:URL (default memory,oxigraph,rdflib)")
    p.add_argument("--json", metavar="FILE", help="write the measured rows as JSON (- for standard output; "
                   "the table then goes to stderr)")
    p.add_argument("--force", action="store_true", help="replace an existing JSON file")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic libraries (default 0)")
    p.add_argument("--patients", type=int, default=20, help="benchmark patients (default 20)")
    p.add_argument("--repeat", type=int, default=5, help="timed recommend passes over the patients (default 5)")
    p.add_argument("--query-repeat", type=int, default=3, help="timed passes over the saved queries (default 3)")
    p.add_argument("--queries", metavar="NAME,...", help="time only these saved queries (default: all)")
    p.add_argument("--query-timeout-ms", type=int, default=120_000,
                   help="stop a query after this long and count it at this time (default 120000)")
    p.add_argument("--work", metavar="DIR", help="keep libraries and stores in DIR (default: a temporary folder)")
    p.set_defaults(run=cmd_bench)


def _add_sparql_commands(commands) -> None:
    from .sparql import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_MS, MAX_ROWS_LIMIT, MAX_TIMEOUT_MS
    from .sparql_formats import FORMATS

    p = commands.add_parser("sparql", help="a read-only SPARQL query: text, a .rq file, or --saved NAME")
    p.add_argument("query", nargs="?", help="the query text, a query file, or - for standard input")
    p.add_argument("--saved", metavar="NAME", help="a saved query from ontology/queries/ (see --list)")
    p.add_argument("--list", action="store_true", help="list the saved queries and their parameters")
    p.add_argument("--bind", action="append", default=[], metavar="NAME=VALUE",
                   help="a value for a variable: 5, true, \"text\", <iri>, kb:name; other words are strings")
    p.add_argument("--format", choices=FORMATS, help="default: table for rows, ttl for graphs")
    p.add_argument("--timeout-ms", type=_limit(MAX_TIMEOUT_MS), help=f"stop the query after this long (default {DEFAULT_TIMEOUT_MS})")
    p.add_argument("--max-rows", type=_limit(MAX_ROWS_LIMIT), help=f"cut the result after this many rows (default {DEFAULT_MAX_ROWS})")
    _output_options(p)
    p.set_defaults(run=cmd_sparql)

    p = commands.add_parser("serve", help="read-only SPARQL 1.1 Protocol endpoint (default http://127.0.0.1:7878/sparql)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=7878,
                   help="port (default 7878; 0: any free port, announced on stderr)")
    p.add_argument("--timeout-ms", type=_limit(MAX_TIMEOUT_MS), help=f"time limit per query (default {DEFAULT_TIMEOUT_MS})")
    p.add_argument("--max-rows", type=_limit(MAX_ROWS_LIMIT), help=f"row cap per query (default {DEFAULT_MAX_ROWS})")
    p.set_defaults(run=cmd_serve)


# ---------------------------------------------------------------- parser


def _output_options(parser) -> None:
    parser.add_argument("-o", "--output", help="write to this file instead of standard output (- is standard output)")
    parser.add_argument("--force", action="store_true", help="replace an existing output file")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="guidegraph",
        description="Clinical guidance as a knowledge graph: options from named sources, for a clinician to check.",
    )
    parser.add_argument("--library", default=None, type=_named("a guideline library folder"),
                        help="guideline library folder (default: the bundled seeds)")
    parser.add_argument(
        "--store", default=None,  # None: $GUIDEGRAPH_STORE, read after parsing (see _environment_store)
        type=_named("memory, rdflib, oxigraph:PATH or sparql:URL"),
        help="memory (default; or $GUIDEGRAPH_STORE), rdflib (the slow baseline), oxigraph:PATH (on disk, "
             "built by `load`), sparql:URL (a SPARQL 1.1 server)",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = commands.add_parser("parse", help="show what the parser finds in a document; changes nothing")
    p.add_argument("file")
    p.add_argument("--format", choices=["json", "ttl"], default="json")
    _output_options(p)
    p.set_defaults(run=cmd_parse)

    p = commands.add_parser("ingest", help="parse, check and add a document to the library")
    p.add_argument("file")
    p.add_argument("--id", required=True, help="the new guideline's id: [a-z0-9-]+")
    p.set_defaults(run=cmd_ingest)

    p = commands.add_parser("validate", help="SHACL and structural checks of the library; exit 1 when it fails")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=cmd_validate)

    p = commands.add_parser("review", help="record the statements a guideline's pathway recommends as checked, "
                                           "after checking them; validate reports any whose words change later")
    p.add_argument("ids", nargs="+", metavar="ID", help="a guideline id: lupus-tacrolimus-rebound")
    p.set_defaults(run=cmd_review)

    p = commands.add_parser("stats", help="what the library holds")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=cmd_stats)

    p = commands.add_parser("recommend", help="the options the pathways give for one patient (JSON facts)")
    p.add_argument("patient", help="patient facts: a JSON file, or - for standard input")
    p.add_argument("--format", choices=["text", "json"], default="text")
    _output_options(p)
    p.set_defaults(run=cmd_recommend)

    p = commands.add_parser("conflicts", help="statements that give different numbers for the same drug or drug level")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=cmd_conflicts)

    export = commands.add_parser("export", help="export the graph or diagrams")
    what = export.add_subparsers(dest="what", required=True, parser_class=_Parser)
    p = what.add_parser("graph", help="the whole knowledge graph as RDF (trig: a named graph per guideline)")
    p.add_argument("--format", choices=["ttl", "nt", "jsonld", "trig"], default="ttl")
    _output_options(p)
    p.set_defaults(run=cmd_export_graph)
    p = what.add_parser("tree", help="decision-tree diagrams of the pathways (svg, png, pdf need Graphviz)")
    p.add_argument("--pathway", help="one pathway id (default: every pathway)")
    p.add_argument("--patient", help="patient facts (JSON file, - for standard input): highlight the path taken")
    p.add_argument("--format", choices=["dot", "svg", "png", "pdf", "mermaid", "html"], default="dot")
    _output_options(p)
    p.set_defaults(run=cmd_export_tree)
    p = what.add_parser("fhir", help="the pathways as a FHIR R4 Bundle (Clinical Practice Guidelines pattern)")
    p.add_argument("--pathway", help="one pathway id (default: every pathway)")
    _output_options(p)
    p.set_defaults(run=cmd_export_fhir)
    _add_sparql_commands(commands)
    _add_scale_commands(commands)
    return parser


class Terminated(BaseException):
    """SIGTERM (``kill PID``), raised where the command is so it ends as Ctrl-C does: worker
    processes stopped with it, no half-written file, instead of workers left running forever."""


def _terminate(signum, frame):
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `guidegraph` console script."""
    import signal
    import threading

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return _run(argv)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _run(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.store is None:
            args.store = _environment_store()
        return args.run(args)
    except Terminated:
        print("guidegraph: stopped (SIGTERM)", file=sys.stderr)
        return EXIT_TERMINATED
    except GuideGraphError as error:
        print(f"guidegraph: error: {_one_line(error)}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("guidegraph: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as error:
        if error.filename is None:  # not a file's problem: a bug, handled below
            return _internal_error(error)
        # A file or folder the system refused (no permission, a disk error): bad input, not a bug.
        print(f"guidegraph: error: {error.filename}: cannot read or write: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # a bug: still one line, never a traceback (GUIDEGRAPH_DEBUG=1 shows it)
        return _internal_error(error)


def _internal_error(error: Exception) -> int:
    if os.environ.get("GUIDEGRAPH_DEBUG"):
        raise error
    print(f"guidegraph: internal error: {type(error).__name__}: {_one_line(error)} "
          "(a bug in guidegraph; GUIDEGRAPH_DEBUG=1 shows where)", file=sys.stderr)
    return EXIT_INTERNAL


def _one_line(error: BaseException) -> str:
    """An error message on one line, shortened so that a hostile input cannot flood the terminal."""
    text = " ".join(str(error).split())
    return text if len(text) <= 2000 else text[:1997] + "..."


if __name__ == "__main__":
    sys.exit(main())
