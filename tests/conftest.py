"""Shared fixtures: the bundled seed library, loaded once per test session; and the test-wide
audit that fails any test which reaches the network or writes a file where it should not.

The audit (PEP 578, ``sys.addaudithook``) watches every test's setup, call and teardown, in this
process, its threads (a uvicorn server in a thread) and its forked children (the SPARQL query
workers of graph/isolation.py inherit the hook, and report through a pipe). The rules, exactly:

* network: a socket may connect to, send to, or bind on a loopback address only (127.0.0.0/8,
  ::1, the name "localhost") or be a Unix socket; resolving any other name is a violation too;
* files opened for writing (and files or folders created, renamed or removed): only inside the
  project, the temporary folder (``tempfile.gettempdir()``) and the virtual environment
  (``sys.prefix``), or ``/dev/null``;
* files opened for reading: those places, plus Python's own installation (``sys.base_prefix``:
  the standard library) and the read-only system paths in ``SYSTEM_READS`` that the libraries
  need (CA certificates, time zones, MIME types, shared libraries, the /proc entries of this
  process and its children).

Anything else fails the test, naming the event and the path or address. Processes started with
``subprocess`` (the CLI through ``python -m graph.cli``, ``streamlit run``, ``uvicorn``, Graphviz,
Chromium, an Oxigraph server) are outside the hook: a PEP 578 hook lives in one interpreter.
tests/test_sparql.py and tests/test_hardening.py use ``AUDIT.watching()`` to assert that one block
of a test reaches nothing, and tests/test_hardening.py proves the audit sees what it must.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from graph.kb import KnowledgeBase, read_turtle
from graph.library import Library
from graph.terminology import Lexicon


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return Lexicon.from_graph(read_turtle(Library.at(None).terminology_file))


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.fixture(scope="session")
def sample_kb(tmp_path_factory) -> KnowledgeBase:
    """The lupus seed document with tests/data/sample.pathway.ttl, a small pathway that uses every
    criterion form (the export tests draw it)."""
    import shutil
    from pathlib import Path

    library = tmp_path_factory.mktemp("sample-library")
    shutil.copy(Library.at(None).document_path("lupus-tacrolimus-rebound"), library)
    shutil.copy(Path(__file__).parent / "data" / "sample.pathway.ttl", library)
    return KnowledgeBase.load(library)


# Characters that end a label, open markup, start an entity or a Mermaid keyword, all in one label.
HOSTILE_LABEL = 'say "stop" <b>now</b> & #1; \\ {x} |y| end [z] `q` href <img src="http://127.0.0.1:9/x.png">'


def _turtle_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generated_pathway(n_nodes: int, *, hostile_every: int = 7):
    """A ternary tree of ``n_nodes`` decision nodes with long labels (every ``hostile_every``-th
    holds HOSTILE_LABEL), one choice fact, and a branch per parent-child pair, as an rdflib Graph."""
    from rdflib import Graph

    lines = [
        "@prefix gg: <https://w3id.org/guidegraph/ontology#> .",
        "@prefix kb: <https://w3id.org/guidegraph/kb/> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix g: <https://w3id.org/guidegraph/kb/generated/pathway/> .",
        '<https://w3id.org/guidegraph/kb/generated/pathway> a gg:Pathway ; rdfs:label "Generated tree" ; gg:entry g:n0 .',
        'kb:fact\\/step a gg:PatientFact ; gg:key "step" ; rdfs:label "step" ; gg:question "Which step?" ;',
        '    gg:datatype "choice" ; gg:allowedValue "a", "b", "c" .',
    ]
    for i in range(n_nodes):
        words = (
            f"Step {i}: consider the long-named intervention number {i} with an "
            "extraordinarily-long-hyphenated-qualifier and its monitoring plan"
        )
        label = f"{HOSTILE_LABEL} {words}" if hostile_every and i % hostile_every == 3 else words
        children = [c for c in range(3 * i + 1, 3 * i + 4) if c < n_nodes]
        branches = ", ".join(f"g:n{i}-to-{c}" for c in children)
        lines.append(f"g:n{i} a gg:DecisionNode ; rdfs:label {_turtle_string(label)}" + (f" ; gg:branch {branches}" if children else "") + " .")
        for k, c in enumerate(children):
            lines.append(
                f"g:n{i}-to-{c} a gg:Branch ; gg:to g:n{c} ; gg:when [ a gg:Criterion ; gg:fact kb:fact\\/step ; "
                f'gg:operator gg:equals ; gg:value "{"abc"[k]}" ] .'
            )
    return Graph().parse(data="\n".join(lines), format="turtle")


@pytest.fixture(scope="session")
def large_pathway():
    """A generated 100-node pathway graph with long and hostile labels."""
    return generated_pathway(100)


#: Pathways in the ``many_pathways`` library: more than a page draws (graph.views.PATHWAYS_SHOWN).
MANY_PATHWAYS = 25


@pytest.fixture(scope="session")
def many_pathways(tmp_path_factory) -> Path:
    """A synthetic library of 25 guidelines, each with its pathway, and conflicts of up to 43
    values: the size at which pages must start to summarise."""
    from graph.synthetic import generate_library

    return generate_library(MANY_PATHWAYS, seed=5, out_dir=tmp_path_factory.mktemp("many") / "library").root


@pytest.fixture(scope="session")
def hostile_label() -> str:
    """The label every writer must draw as plain text (see generated_pathway)."""
    return HOSTILE_LABEL


# ---------------------------------------------------------------- the test-wide audit (PEP 578)

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Read-only system paths that code running in the tests opens from Python (found by running the
#: whole suite with GUIDEGRAPH_AUDIT=report and nothing allowed here), each with its reader.
SYSTEM_READS = (
    "/etc/mime.types",  # mimetypes, through Starlette and Streamlit
    "/etc/localtime", "/usr/share/zoneinfo/",  # zoneinfo: Streamlit's and pandas' time zones
    "/proc/version",  # platform details Streamlit reads once
    "/proc/self/",  # this process's own status
    "/dev/null", "/dev/urandom",
    os.path.expanduser("~/.pdbrc"),  # pdb's settings: pytest's doctest runner makes a debugger
)
_WRITE_EVENTS = {
    "os.mkdir": 0, "os.rename": 1, "os.replace": 1, "os.remove": 0, "os.rmdir": 0, "os.symlink": 1,
    "os.link": 1, "os.truncate": 0, "shutil.copyfile": 1, "shutil.rmtree": 0,
}
_NET_EVENTS = {"socket.connect", "socket.sendto", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname"}
_WATCHED = {"open", *_WRITE_EVENTS, *_NET_EVENTS}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _roots(*paths: str) -> tuple[str, ...]:
    """Each folder as given and resolved, with a trailing separator (so /tmpfoo is not /tmp)."""
    found = set()
    for path in paths:
        for form in (os.path.abspath(path), os.path.realpath(path)):
            found.add(form.rstrip(os.sep) + os.sep)
    return tuple(sorted(found))


class Audit:
    """Records network use and file access outside the allowed places (the module docstring says
    which). Violations go through a pipe, so that forked children, which inherit the hook, report
    them too; the test-wide hooks below fail the test that caused them."""

    def __init__(self):
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self.writable = _roots(PROJECT, tempfile.gettempdir(), sys.prefix)
        self.readable = self.writable + _roots(sys.base_prefix, sys.base_exec_prefix, sys.exec_prefix)
        self.pending: list[str] = []
        self.active = True
        self.extra_reads: tuple[str, ...] = ()  # a test's own @pytest.mark.audit_reads(folder, reason=...)

    def hook(self, event: str, args) -> None:
        if event not in _WATCHED or not self.active:
            return
        try:
            problem = self._check(event, args)
        except Exception as error:  # noqa: BLE001 - a hook that raises would break the code it watches
            problem = f"{event}: the audit could not read its arguments ({error!r})"
        if problem:
            try:
                os.write(self._write, (problem + "\n").encode("utf-8", "replace"))
            except OSError:
                pass

    def _check(self, event: str, args) -> str | None:
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int) or path is None:
                return None
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            return self._check_path(os.fsdecode(path), writing=bool(writing), event=event)
        if event in _WRITE_EVENTS:
            target = args[_WRITE_EVENTS[event]]
            if isinstance(target, int):
                return None
            return self._check_path(os.fsdecode(target), writing=True, event=event)
        if event in ("socket.getaddrinfo", "socket.gethostbyname"):
            host = args[0]
            if host is None or _is_loopback(os.fsdecode(host) if isinstance(host, bytes) else str(host)):
                return None
            return f"{event} {host!r}: a test resolved a name other than localhost"
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) == socket.AF_UNIX or isinstance(address, (str, bytes)):
            return None
        if isinstance(address, tuple) and address and _is_loopback(str(address[0])):
            return None
        return f"{event} {address!r}: a test used the network beyond this machine"

    def _check_path(self, path: str, *, writing: bool, event: str) -> str | None:
        full = os.path.abspath(path)
        if writing:
            if full.startswith(self.writable) or full == os.devnull:
                return None
            return f"{event} {full} for writing: outside the project, the temporary folder and the venv"
        if (full.startswith(self.readable) or full.startswith(SYSTEM_READS) or full.startswith(self.extra_reads)
                or re.fullmatch(r"/proc/\d+/statm?", full)):  # graph/isolation.py watches a worker's memory and time
            return None
        return f"{event} {full}: outside the project, the temporary folder, the venv and Python's library"

    def take(self) -> list[str]:
        """The violations recorded since the last call, oldest first."""
        data = b""
        while True:
            try:
                chunk = os.read(self._read, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
        found, self.pending = self.pending + data.decode("utf-8", "replace").splitlines(), []
        return found

    @contextmanager
    def watching(self):
        """Assert that the block reaches nothing (AssertionError naming what it reached); what
        happened before the block is kept for the test-wide check."""
        earlier = self.take()
        try:
            yield self
        finally:
            found = self.take()
            self.pending = earlier
        assert not found, f"a query reached outside: {found}"


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    return host in ("localhost", "::1", "0:0:0:0:0:0:0:1") or host.startswith(("127.", "::ffff:127."))


AUDIT = Audit()
sys.addaudithook(AUDIT.hook)  # for the whole session: an audit hook cannot be removed


@pytest.fixture(scope="session")
def audit() -> Audit:
    """The test-wide audit, for tests that assert one block reaches nothing (``audit.watching()``)."""
    return AUDIT


#: GUIDEGRAPH_AUDIT=report lists every violation in tests/artifacts/audit-report.txt instead of
#: failing (to see at once what a new library reads); the default fails the test.
_REPORT_ONLY = os.environ.get("GUIDEGRAPH_AUDIT") == "report"


def _complain(message: str, found: list[str]) -> None:
    if not _REPORT_ONLY:
        pytest.fail(f"{message}: {found}", pytrace=False)
    os.makedirs(os.path.join(PROJECT, "tests", "artifacts"), exist_ok=True)
    with open(os.path.join(PROJECT, "tests", "artifacts", "audit-report.txt"), "a", encoding="utf-8") as report:
        report.writelines(f"{message}: {line}\n" for line in found)


def _audited(phase: str):
    @pytest.hookimpl(wrapper=True)
    def wrapper(item):
        if phase == "setup":
            before = AUDIT.take()  # between tests: collection, the previous test's last teardown
            if before:
                _complain(f"before {item.nodeid}: reached outside", before)
            marks = list(item.iter_markers("audit_reads"))
            AUDIT.extra_reads = _roots(*(folder for mark in marks for folder in mark.args)) if marks else ()
        try:
            result = yield
        except BaseException:
            AUDIT.take()  # the phase failed anyway; its own error says more
            raise
        found = AUDIT.take()
        if found:
            _complain(f"{item.nodeid} ({phase}) reached outside the project, the temporary folder and "
                      "the venv, or the network beyond this machine", found)
        return result

    return wrapper


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "audit_reads(*folders, reason): this test may also read these folders (say why)"
    )


pytest_runtest_setup = _audited("setup")
pytest_runtest_call = _audited("call")
pytest_runtest_teardown = _audited("teardown")
