"""The benchmark: load, recommend and saved-query speed, and memory, per library size and store.

``run_benchmark(sizes=..., stores=...)`` generates a synthetic library per size
(:mod:`graph.synthetic`), and for each store measures, in the same run:

* ``load_s``: ``KnowledgeBase.load`` from the library folder (parse, store load, conflicts; no
  validation), and ``triples_per_s`` over it; ``parse_s`` and ``store_load_s`` split it, and
  ``bulk_triples_per_s`` is the store's loader alone (Oxigraph's bulk loader; rdflib's parser);
  a persistent build also saves its pathways (``pathways_s``) and the explorer's start nodes
  (``start_nodes_s``);
* ``recommend_p50_ms`` / ``recommend_p95_ms`` over a fixed set of patients, each asked ``repeat``
  times after a first (cold) pass whose latencies are ``recommend_cold_p50_ms`` / ``_p95_ms``:
  the cold pass also builds the decision graphs the patient needs; ``recommend_first_ms`` is the
  very first call of the process (it also reads the entry index and the patient form), and
  ``recommend_no_facts_ms`` a patient of whom nothing is known (every pathway is a candidate);
* ``sparql_p50_ms`` / ``sparql_p95_ms`` over the first run of every saved query (``kb.query``,
  default row cap, time limit raised so slow queries are measured rather than stopped): the
  engine's time, each query's in ``queries_ms``; ``sparql_kept_p50_ms`` / ``_p95_ms`` over
  ``query_repeat`` runs more of each, answered from the answers kept since load
  (:mod:`graph.answers`), as a user who opens a saved query again is;
* ``rss_mb``: resident memory of the process holding the knowledge base (psutil when installed,
  else ``/proc/self/status``; a SPARQL server's own memory is ``server_rss_mb``).

Every (size, store) is measured in a fresh process, so memory figures do not mix. An on-disk
Oxigraph store is built in one process and measured in another that opens it (``open_s``), as a
user's next command would. ``sparql`` starts a local ``oxigraph serve`` on a free port.

The targets of the issue are checked by :func:`check_targets` and printed PASS / FAIL, never by
timed unit tests.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .store import masked, parse_store

BENCH_STORES = ("memory", "oxigraph", "rdflib", "sparql")
JSON_KEYS = ("store", "guidelines", "triples", "load_s", "triples_per_s", "recommend_p50_ms", "recommend_p95_ms",
             "sparql_p50_ms", "sparql_p95_ms", "rss_mb")
QUERY_TIMEOUT_MS = 120_000  # measure slow queries instead of stopping them at the interactive limit
# Patient templates: fact combinations of the seed pathways (the facts the seed pathways declare); each
# benchmark patient takes one, with the condition of one made-up condition family.
TEMPLATES = (
    {"flare": True, "tacrolimus_stopped": "abruptly", "severity": "moderate", "first_line_response": "not_started", "weight_kg": 70},
    {"flare": True, "tacrolimus_stopped": "abruptly", "severity": "severe", "first_line_response": "inadequate", "weight_kg": 58},
    {"flare": True, "tacrolimus_stopped": "tapered", "severity": "organ_threatening", "prior_tacrolimus_response": "good",
     "tacrolimus_side_effects": "tolerable", "weight_kg": 82},
    {"flare": True, "tacrolimus_stopped": "abruptly", "adherence_concern": True, "fatigue": True, "on_hydroxychloroquine": False},
    {"flare": False, "tacrolimus_stopped": "tapered"},
    {"flare": True, "tacrolimus_stopped": "abruptly", "decompensated_cirrhosis": True, "meld": 18, "years_on_treatment": 5,
     "relapse_count": 3, "months_normal_labs": 6, "weight_kg": 64},
    {},  # nothing known yet: every pathway of the family is undecided and asks
)
CONDITIONS = ("lupus_nephritis", "sle_extrarenal", "autoimmune_hepatitis", "vasculitis", "other_autoimmune")


@dataclass(frozen=True)
class TargetCheck:
    """One target of the issue, checked against the measured rows."""

    name: str
    status: str  # "PASS" | "FAIL" | "NOT RUN"
    detail: str

    def line(self) -> str:
        return f"{self.status:<7} {self.name}: {self.detail}"


# ---------------------------------------------------------------- running


def run_benchmark(
    *,
    sizes=(10, 100, 1000),
    stores=("memory", "oxigraph", "rdflib"),
    seed: int = 0,
    patients: int = 20,
    repeat: int = 5,
    query_repeat: int = 3,
    queries=None,
    query_timeout_ms: int = QUERY_TIMEOUT_MS,
    work_dir: str | Path | None = None,
    progress=None,
) -> list[dict]:
    """Measure every store at every size; return the rows (JSON_KEYS and more, see the module).

    Parameters
    ----------
    sizes : numbers of synthetic guidelines.
    stores : any of "memory", "oxigraph" (on disk), "rdflib" (the baseline), "sparql" (a local
        Oxigraph server started for the run) or "sparql:URL" (an existing server: its two
        guidegraph named graphs are replaced).
    queries : names of the saved queries to time (default: all of them).
    query_timeout_ms : a query that takes longer is stopped and counted at this time (a lower
        bound), in ``sparql_timeouts``.
    work_dir : where libraries and stores go (kept); default a temporary folder, removed after.
    progress : a function taking one line of text (default: stderr).

    A measurement that fails (a server that does not start, a store that cannot open) gives a
    row with ``error`` and no numbers; the others still run.
    """
    from .sparql import MAX_TIMEOUT_MS

    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    sizes = [_positive(size, "size") for size in sizes]
    for value, what in ((patients, "patient count"), (repeat, "repeat"), (query_repeat, "query repeat"),
                        (query_timeout_ms, "query time limit in ms")):
        _positive(value, what)
    if query_timeout_ms > MAX_TIMEOUT_MS:
        raise InputError(f"a benchmark query time limit is at most {MAX_TIMEOUT_MS} ms, not {query_timeout_ms}")
    stores = [_checked_store(store) for store in stores]
    if not sizes or not stores:
        raise InputError(f"a benchmark needs at least one {'size' if not sizes else 'store'}")
    names = _checked_queries(queries)
    root = _work_folder(work_dir)
    rows = []
    try:
        for size in sizes:
            from .synthetic import generate_library

            say(f"size {size}: generating {size} synthetic guidelines ...")  # minutes at 100,000: say so first
            started = time.perf_counter()
            library = generate_library(size, seed=seed, out_dir=root / f"library-{size}")
            say(f"size {size}: generated {size} synthetic guidelines in {time.perf_counter() - started:.1f} s")
            for store in stores:
                shown = masked(store)  # rows, table and JSON never hold a server's password
                say(f"size {size}: {shown} ...")
                job = {"library": str(library.root), "size": size, "seed": seed, "patients": patients, "repeat": repeat,
                       "query_repeat": query_repeat, "queries": names, "query_timeout_ms": query_timeout_ms}
                try:
                    row = _measure_store(store, size, root, job)
                except Exception as error:  # noqa: BLE001 - one failed measurement must not lose the others
                    row = {key: None for key in JSON_KEYS} | {"store": shown, "guidelines": size,
                                                              "error": " ".join(str(error).split())[:300]}
                    say(f"size {size}: {shown}: FAILED: {row['error']}")
                else:
                    say(f"size {size}: {shown}: " + ", ".join(f"{k} {_show(row.get(k))}" for k in JSON_KEYS[2:]))
                rows.append(row)
    finally:
        if work_dir is None:
            shutil.rmtree(root, ignore_errors=True)
    return rows


def _work_folder(work_dir) -> Path:
    """The folder for libraries and stores: ``work_dir`` (made if missing), else a new temporary one."""
    if work_dir is None:
        return Path(tempfile.mkdtemp(prefix="guidegraph-bench-"))
    root = Path(work_dir)
    if root.exists() and not root.is_dir():
        raise InputError("is a file, not a folder for the benchmark's libraries and stores", where=str(root))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot make the benchmark's work folder: {error.strerror or error}", where=str(root)) from None
    return root


def _positive(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"a benchmark {what} is a positive integer, not {value!r}")
    return value


def _checked_store(store: str) -> str:
    if store in BENCH_STORES:
        return store
    if store.startswith("sparql:"):
        parse_store(store)  # a malformed URL is refused before any library is generated
        return store
    raise InputError(f"unknown benchmark store {store!r}; use some of: {', '.join(BENCH_STORES)} (or sparql:URL)")


def _checked_queries(queries) -> list[str]:
    from .sparql import saved_queries

    known = [q.name for q in saved_queries()]
    if queries is None:
        return known
    unknown = [name for name in queries if name not in known]
    if unknown or not queries:
        raise InputError(f"no saved query {', '.join(unknown) or '(none given)'}; the saved queries are: {', '.join(known)}")
    return list(queries)


def _measure_store(store, size, root, job: dict) -> dict:
    server = None
    try:
        if store == "oxigraph":
            path = root / f"store-{size}.oxigraph"
            shutil.rmtree(path, ignore_errors=True)
            spec = f"oxigraph:{path}"
            built = _in_fresh_process(_build_job, {**job, "store": spec})
            measured = _in_fresh_process(_query_job, {**job, "store": spec})
            row = {**built, **measured, "store_size_mb": round(_folder_mb(path), 1)}
        elif store.startswith("sparql"):
            if store == "sparql":
                server = OxigraphServer(root / f"server-{size}")
                spec = f"sparql:{server.url}"
            else:
                spec = store
            built = _in_fresh_process(_build_job, {**job, "store": spec})
            measured = _in_fresh_process(_query_job, {**job, "store": spec})
            row = {**built, **measured}
            if server is not None:
                row["server_rss_mb"] = server.rss_mb()
        else:
            row = _in_fresh_process(_build_and_query_job, {**job, "store": store})
    finally:
        if server is not None:
            server.stop()
    row["store"] = masked(store)
    row["guidelines"] = size
    return {key: row.get(key) for key in JSON_KEYS} | {k: v for k, v in row.items() if k not in JSON_KEYS}


def _in_fresh_process(function, job: dict) -> dict:
    """Run ``function(job)`` in a new interpreter: its memory is its own.

    A plain subprocess rather than multiprocessing's spawn, which re-runs the parent's
    ``__main__`` (a Streamlit script, a test runner) in the child.
    """
    with tempfile.TemporaryDirectory(prefix="guidegraph-bench-") as folder:
        out = Path(folder) / "row.json"
        code = ("import json, sys; from graph import bench; "
                "row = getattr(bench, sys.argv[1])(json.loads(sys.argv[2])); "
                "open(sys.argv[3], 'w').write(json.dumps(row))")
        # A session of its own: the job's build forks parsing workers, and an interrupt (Ctrl-C
        # reaches the whole foreground group) would leave them behind when the job dies first.
        # Here the job and its workers are ended together, whatever stops the benchmark.
        process = subprocess.Popen([sys.executable, "-c", code, function.__name__, json.dumps(job, default=str), str(out)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            _, stderr = process.communicate()
        finally:
            _end_group(process)
        if process.returncode != 0 or not out.exists():
            last = (stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"{function.__name__} failed: {last}")
        return json.loads(out.read_text())


def _end_group(process: subprocess.Popen) -> None:
    """Stop every process of ``process``'s group that is still running (its own workers included)."""
    for signal_number in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, signal_number)
        except ProcessLookupError:  # the group is gone: nothing is left
            break
        if signal_number == signal.SIGTERM:
            time.sleep(0.2)
    if process.poll() is None:
        process.wait()


# ---------------------------------------------------------------- the jobs (run in fresh processes)


def _build(job: dict):
    from .kb import KnowledgeBase

    started = time.perf_counter()
    kb = KnowledgeBase.load(job["library"], store=job["store"], validate=False, rebuild=True)
    load_s = time.perf_counter() - started
    triples = kb.timings["triples"]
    store_load_s = kb.timings.get("store_load_s", 0.0) + kb.timings.get("remote_load_s", 0.0)
    return kb, {
        "triples": triples,
        "load_s": round(load_s, 3),
        "triples_per_s": round(triples / load_s) if load_s else None,
        "parse_s": round(kb.timings.get("parse_s", 0.0), 3),
        "store_load_s": round(store_load_s, 3),
        "bulk_triples_per_s": round(triples / store_load_s) if store_load_s else None,
        "conflicts_s": round(kb.timings.get("conflicts_s", 0.0), 3),
        "optimize_s": round(kb.timings["optimize_s"], 3) if "optimize_s" in kb.timings else None,
        # a persistent build's pathways: the entry index and the decision graphs it saves
        "pathways_s": round(kb.timings.get("entry_index_s", 0.0) + kb.timings.get("decision_graphs_s", 0.0), 3),
        "start_nodes_s": round(kb.timings.get("start_nodes_s", 0.0), 3),  # the explorer's list, saved too
        "build_rss_mb": round(_rss_mb(), 1),
    }


def _build_job(job: dict) -> dict:
    return _build(job)[1]


def _query_job(job: dict) -> dict:
    from .kb import KnowledgeBase

    started = time.perf_counter()
    kb = KnowledgeBase.load(job["library"], store=job["store"], validate=False)
    open_s = time.perf_counter() - started
    return {"open_s": round(open_s, 3), **_latencies(kb, job), "rss_mb": round(_rss_mb(), 1)}


def _build_and_query_job(job: dict) -> dict:
    kb, built = _build(job)  # a memory store lives in the process that built it
    return {**built, **_latencies(kb, job), "rss_mb": round(_rss_mb(), 1)}


def _latencies(kb, job: dict) -> dict:
    from .sparql import QueryTimeout, check_query, saved_queries
    from .synthetic import read_library_info

    facts = bench_patients(read_library_info(job["library"]).families, job["patients"])
    first = _timed(kb.recommend, facts[0])  # once per process too: entry index, patient form, pint's registry
    cold = [_timed(kb.recommend, f) for f in facts[1:]]  # first time per patient: builds its pathways' graphs
    warm = [_timed(kb.recommend, f) for _ in range(job["repeat"]) for f in facts]
    no_facts = _timed(kb.recommend, {})  # nothing known: every pathway may apply, so every one is built
    query_times: dict[str, list[float]] = {}
    bindings = _bindings(kb)
    queries = [q for q in saved_queries() if q.name in job["queries"]]
    kept_times: list[float] = []
    timeouts = 0
    for query in queries:
        check_query(query.text)  # rdflib parses a query once per process (cached): not what is measured
    # The first run of each query is the engine's; later runs of the same query are answered from
    # the answers kept since load (graph.answers), timed separately. A query stopped at the time
    # limit keeps nothing, so it is not run again.
    for query in queries:
        needed = {p.name: bindings[p.name] for p in query.parameters if p.required}
        run = lambda: kb.query(query.text, bindings=needed, timeout_ms=job["query_timeout_ms"])  # noqa: E731
        try:
            query_times[query.name] = [_timed(run)]
        except QueryTimeout:
            query_times[query.name], timeouts = [float(job["query_timeout_ms"])], timeouts + 1
            continue
        kept_times += [_timed(run) for _ in range(job["query_repeat"])]
    every_query = [ms for times in query_times.values() for ms in times]
    return {
        "recommend_first_ms": round(first, 1),
        "recommend_no_facts_ms": round(no_facts, 1),
        "sparql_timeouts": timeouts,
        "recommend_p50_ms": _percentile(warm, 50),
        "recommend_p95_ms": _percentile(warm, 95),
        "recommend_cold_p50_ms": _percentile(cold, 50),
        "recommend_cold_p95_ms": _percentile(cold, 95),
        "sparql_p50_ms": _percentile(every_query, 50),
        "sparql_p95_ms": _percentile(every_query, 95),
        "sparql_kept_p50_ms": _percentile(kept_times, 50),
        "sparql_kept_p95_ms": _percentile(kept_times, 95),
        "queries_ms": {name: _percentile(times, 50) for name, times in sorted(query_times.items())},
    }


def bench_patients(families, n: int) -> list[dict]:
    """``n`` benchmark patients: template ``i`` with a condition of family ``i * 7`` (spread over
    the library), always the same for a library.

    >>> bench_patients([{"conditions": {"vasculitis": "vasculitis_kavobi"}}], 1)[0]["condition"]
    'vasculitis_kavobi'
    """
    patients = []
    for i in range(n):
        family = families[(i * 7) % len(families)]["conditions"]
        seed_condition = CONDITIONS[i % len(CONDITIONS)]
        condition = family.get(seed_condition) or next(iter(family.values()))
        patients.append({"condition": condition, **TEMPLATES[i % len(TEMPLATES)]})
    return patients


def _bindings(kb) -> dict:
    """A value for each saved-query parameter: common ones, the same at every size."""
    from rdflib import URIRef

    first = sorted(kb.build.documents)[0] if kb.build is not None else sorted(kb.documents)[0]
    return {"ref": 1, "drug": "MMF", "guideline": URIRef(f"https://w3id.org/guidegraph/kb/{first}"),
            "pathway": URIRef(f"https://w3id.org/guidegraph/kb/{first}/pathway")}


def _timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


def _percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank), rounded to 0.1.

    >>> _percentile([1, 2, 3, 4, 100], 95), _percentile([1, 2, 3, 4, 100], 50)
    (100, 3)
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1], 1)


def _rss_mb() -> float:
    """This process's resident memory in MB (psutil when installed, else /proc, else getrusage)."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 1e6
    except ImportError:
        pass
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # peak, KiB on Linux


def _folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 1e6


# ---------------------------------------------------------------- a local Oxigraph server


class OxigraphServer:
    """``oxigraph serve`` on a free 127.0.0.1 port with its data in ``folder``; ``stop()`` ends it.
    ``read_only``: ``oxigraph serve-read-only``, which serves a store beside other readers (a store
    built by ``guidegraph load``, while the app or the CLI reads it too)."""

    def __init__(self, folder: str | Path, *, wait_s: float = 20, read_only: bool = False):
        binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
        if not Path(binary).exists():
            raise InputError("the `oxigraph` server is not installed: pip install oxigraph")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        command = "serve-read-only" if read_only else "serve"
        self.process = subprocess.Popen([binary, command, "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise InputError(f"the oxigraph server stopped at start (exit {self.process.returncode})")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise InputError(f"the oxigraph server did not answer on port {port} within {wait_s:.0f} s")

    def rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) * 1024 / 1e6, 1)
        except OSError:
            return None
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---------------------------------------------------------------- targets and output


def check_targets(rows: list[dict]) -> list[TargetCheck]:
    """The issue's targets at 1,000 guidelines (and 10,000 on disk) against the measured rows."""
    def row(store, size):  # a measurement that failed counts as not run; its error is in the JSON
        return next((r for r in rows if r["store"] == store and r["guidelines"] == size and not r.get("error")), None)

    checks = []
    memory, disk, baseline = row("memory", 1000), row("oxigraph", 1000), row("rdflib", 1000)
    for name, r in (("memory", memory), ("oxigraph", disk)):
        checks.append(_check(f"recommend p95 < 50 ms at 1,000 guidelines ({name})", r,
                             lambda r: r["recommend_p95_ms"] < 50,
                             lambda r: f"{r['recommend_p95_ms']} ms (cold pass p95 {r['recommend_cold_p95_ms']} ms)"))
        checks.append(_check(f"saved queries p95 < 100 ms at 1,000 guidelines, first run ({name})", r,
                             lambda r: r["sparql_p95_ms"] < 100, lambda r: f"{r['sparql_p95_ms']} ms (the engine)"))
        checks.append(_check(f"saved queries p95 < 100 ms at 1,000 guidelines, run again ({name})", r,
                             lambda r: (r.get("sparql_kept_p95_ms") or math.inf) < 100,
                             lambda r: f"{_show(r.get('sparql_kept_p95_ms'))} ms (the answers kept since load)"))
        checks.append(_check(f"bulk load >= 200,000 triples/s at 1,000 guidelines ({name})", r,
                             lambda r: (r.get("bulk_triples_per_s") or 0) >= 200_000,
                             lambda r: f"{_show(r.get('bulk_triples_per_s'))} triples/s in the store's loader; "
                                       f"{_show(r['triples_per_s'])} triples/s end to end with parsing"))
    if memory is not None and baseline is not None:
        ratio = baseline["sparql_p95_ms"] / memory["sparql_p95_ms"]
        per_query = {q: baseline["queries_ms"][q] / memory["queries_ms"][q] for q in memory["queries_ms"] if q in baseline["queries_ms"]}
        slowest = min(per_query, key=per_query.get) if per_query else None
        detail = f"p95 {baseline['sparql_p95_ms']} ms vs {memory['sparql_p95_ms']} ms = {ratio:.0f}x"
        if slowest:
            detail += f"; per query {min(per_query.values()):.0f}x ({slowest}) to {max(per_query.values()):.0f}x"
        checks.append(TargetCheck("saved queries >= 30x faster than rdflib's memory store at 1,000 guidelines",
                                  "PASS" if ratio >= 30 else "FAIL", detail))
    else:
        checks.append(TargetCheck("saved queries >= 30x faster than rdflib's memory store at 1,000 guidelines",
                                  "NOT RUN", "needs memory and rdflib at size 1000"))
    big = row("oxigraph", 10000)
    checks.append(_check("on-disk store of 10,000 guidelines opens in < 2 s", big,
                         lambda r: r["open_s"] < 2, lambda r: f"{r['open_s']} s"))
    checks.append(_check("on-disk store of 10,000 guidelines: recommend p95 < 100 ms", big,
                         lambda r: r["recommend_p95_ms"] < 100,
                         lambda r: f"{r['recommend_p95_ms']} ms (cold pass p95 {r['recommend_cold_p95_ms']} ms)"))
    return checks


def _check(name, row, passed, detail) -> TargetCheck:
    if row is None:
        return TargetCheck(name, "NOT RUN", "that size and store were not measured")
    return TargetCheck(name, "PASS" if passed(row) else "FAIL", detail(row))


_COLUMNS = (("store", "store"), ("guidelines", "guidelines"), ("triples", "triples"), ("load_s", "load s"),
            ("triples_per_s", "triples/s"), ("bulk_triples_per_s", "bulk triples/s"), ("open_s", "open s"),
            ("recommend_p50_ms", "recommend p50"), ("recommend_p95_ms", "recommend p95"),
            ("recommend_cold_p95_ms", "cold p95"), ("recommend_no_facts_ms", "no facts"),
            ("sparql_p50_ms", "queries p50"), ("sparql_p95_ms", "queries p95"), ("sparql_kept_p95_ms", "again p95"),
            ("rss_mb", "RSS MB"))


def format_table(rows: list[dict]) -> str:
    """The rows as a Markdown table (milliseconds for latencies)."""
    header = "| " + " | ".join(title for _, title in _COLUMNS) + " |"
    rule = "|" + "|".join("---" if key == "store" else "---:" for key, _ in _COLUMNS) + "|"
    lines = [header, rule]
    for row in rows:
        lines.append("| " + " | ".join(_show(row.get(key)) for key, _ in _COLUMNS) + " |")
    lines += [f"\nFAILED {row['store']} at {row['guidelines']:,} guidelines: {row['error']}" for row in rows if row.get("error")]
    return "\n".join(lines)


def _show(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def report_json(rows: list[dict]) -> str:
    return json.dumps(rows, indent=2) + "\n"
