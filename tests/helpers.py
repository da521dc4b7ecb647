"""Helpers that more than one test file uses, kept in one place: the app's pages for AppTest
(tests/test_app.py, tests/test_hardening_app.py), the one-pathway "mini" library
(tests/test_pathway.py, tests/test_hardening.py) and a connection the audit must see
(tests/test_audit.py, tests/test_sparql.py). Fixtures live in tests/conftest.py."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from graph.library import DEFAULT_LIBRARY

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

# ---------------------------------------------------------------- the app's pages, for AppTest

#: Seconds an AppTest run may take (the first run of a process loads the knowledge base).
APP_TIMEOUT = 60


# AppTest.from_function runs a function from its source text, so each page function imports its
# page inside its body: the source must stand on its own.


def pathway_page():
    from graph.ui import pathway_page

    pathway_page.render()


def reader_page():
    from graph.ui import reader_page

    reader_page.render()


def explorer_page():
    from graph.ui import explorer_page

    explorer_page.render()


def sparql_page():
    from graph.ui import sparql_page

    sparql_page.render()


def conflicts_page():
    from graph.ui import conflicts_page

    conflicts_page.render()


def export_page():
    from graph.ui import export_page

    export_page.render()


#: Every page of the app, as functions for AppTest.from_function.
APP_PAGES = (pathway_page, reader_page, explorer_page, sparql_page, conflicts_page, export_page)


def run_page(page, **params) -> AppTest:
    """Run one page function with these query parameters through AppTest, failing on any exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(page, default_timeout=APP_TIMEOUT)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


# ---------------------------------------------------------------- the mini library

#: A one-statement document: prednisone 30 mg daily for flares, from reference 1 (on line 2).
MINI_DOCUMENT = "Mini Guideline\nGive prednisone 30 mg daily for flares. 1\n"
MINI_PREFIXES = """@prefix gg: <https://w3id.org/guidegraph/ontology#> .
@prefix kb: <https://w3id.org/guidegraph/kb/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix fact: <https://w3id.org/guidegraph/kb/fact/> .
@prefix lead: <https://w3id.org/guidegraph/kb/mini/lead/> .
@base <https://w3id.org/guidegraph/kb/mini/pathway/> .
"""
#: A valid two-node pathway for MINI_DOCUMENT: "Flare?" -> "Treat", which recommends lead:1. Tests
#: name its lines (the "Treat" node is on line 14), so change it with care.
MINI_PATHWAY = MINI_PREFIXES + """
<https://w3id.org/guidegraph/kb/mini/pathway> a gg:Pathway ;
    rdfs:label "mini" ; gg:guideline kb:mini ; gg:entry <start> .
<start> a gg:DecisionNode ; rdfs:label "Flare?" ;
    gg:pathway <https://w3id.org/guidegraph/kb/mini/pathway> ; gg:branch <start/to-treat> .
<start/to-treat> a gg:Branch ; rdfs:label "flare" ; gg:when <start/to-treat/when> ; gg:to <treat> .
<start/to-treat/when> a gg:Criterion ; gg:fact fact:flare ; gg:operator gg:isTrue .
<treat> a gg:DecisionNode ; rdfs:label "Treat" ;
    gg:pathway <https://w3id.org/guidegraph/kb/mini/pathway> ; gg:recommends lead:1 .
fact:flare a gg:PatientFact ; gg:key "flare" ; rdfs:label "flare" ;
    gg:question "Has the disease flared?" ; gg:datatype "boolean" .
"""


#: MINI_DOCUMENT's statement as its pathway's curator checked it (graph/review.py).
MINI_REVIEWED = {"https://w3id.org/guidegraph/kb/mini/lead/1": (2, "Give prednisone 30 mg daily for flares. 1")}


def write_mini_library(root: Path, pathway_turtle: str, *, reviewed: bool = True) -> Path:
    """Make the folder ``root`` a library of the seed terminology, MINI_DOCUMENT and this pathway
    (and, with ``reviewed``, the record that its statement was checked)."""
    from graph.review import reviewed_text

    root.mkdir()
    shutil.copy(DEFAULT_LIBRARY / "terminology.ttl", root)
    (root / "mini.txt").write_text(MINI_DOCUMENT, encoding="utf-8")
    (root / "mini.pathway.ttl").write_text(pathway_turtle, encoding="utf-8")
    if reviewed:
        (root / "mini.reviewed.json").write_text(
            reviewed_text("https://w3id.org/guidegraph/kb/mini/pathway", MINI_REVIEWED), encoding="utf-8")
    return root


# ---------------------------------------------------------------- the network beyond this machine


def try_to_connect_beyond_this_machine() -> None:
    """Try for 10 ms to connect to 192.0.2.1 port 9 (TEST-NET-1: reserved, never routed)."""
    with socket.socket() as s:
        s.settimeout(0.01)
        try:
            s.connect(("192.0.2.1", 9))
        except OSError:
            pass


# ---------------------------------------------------------------- processes a command leaves


def processes_naming(marker) -> list[str]:
    """Processes whose command line holds ``marker`` (read by a child: /proc is outside the audit)."""
    import subprocess
    import sys

    code = ("import os, sys\n"
            "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
            "    try: line = open(f'/proc/{pid}/cmdline', 'rb').read()\n"
            "    except OSError: continue\n"
            "    if sys.argv[1].encode() in line and int(pid) != os.getpid(): print(pid)\n")
    found = subprocess.run([sys.executable, "-c", code, str(marker)], capture_output=True, text=True, check=True)
    return found.stdout.split()


def wait_for_processes(marker, count: int, command, why: str, timeout_s: float = 120) -> None:
    """Wait until ``count`` processes name ``marker`` while ``command`` (a Popen) still runs."""
    import time

    deadline = time.monotonic() + timeout_s
    while len(processes_naming(marker)) < count:
        assert command.poll() is None and time.monotonic() < deadline, why
        time.sleep(0.02)


def processes_left(marker, grace_s: float = 10) -> list[str]:
    """The processes still naming ``marker`` after up to ``grace_s`` seconds for them to end."""
    import time

    deadline = time.monotonic() + grace_s
    while processes_naming(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return processes_naming(marker)


def kill_processes_naming(marker) -> None:
    import os
    import signal

    for pid in processes_naming(marker):
        os.kill(int(pid), signal.SIGKILL)
