"""The test-wide audit of tests/conftest.py: it must see what it claims to see (a witness that sees
nothing proves nothing), allow what the tool needs, and the default store and the app run under it."""

from __future__ import annotations

import os
import socket
import sys
import tempfile

import pytest

from graph.isolation import can_isolate, run_isolated
from graph.library import PROJECT_ROOT
from tests.helpers import try_to_connect_beyond_this_machine


class Sock:
    """A stand-in socket for the rule table: only its family is read."""

    def __init__(self, family):
        self.family = family


@pytest.mark.parametrize("event, args, allowed", [
    ("socket.connect", (Sock(socket.AF_INET), ("127.0.0.1", 7878)), True),
    ("socket.connect", (Sock(socket.AF_INET), ("127.8.9.10", 80)), True),
    ("socket.connect", (Sock(socket.AF_INET6), ("::1", 80, 0, 0)), True),
    ("socket.connect", (Sock(socket.AF_INET), ("localhost", 80)), True),
    ("socket.connect", (Sock(socket.AF_UNIX), "/run/some.sock"), True),
    ("socket.connect", (Sock(socket.AF_INET), ("93.184.216.34", 443)), False),
    ("socket.connect", (Sock(socket.AF_INET6), ("2606:2800:220:1::", 443, 0, 0)), False),
    ("socket.sendto", (Sock(socket.AF_INET), ("8.8.8.8", 53)), False),
    ("socket.bind", (Sock(socket.AF_INET), ("0.0.0.0", 7878)), False),
    ("socket.bind", (Sock(socket.AF_INET), ("127.0.0.1", 0)), True),
    ("socket.getaddrinfo", ("localhost", 80, 0, 0, 0), True),
    ("socket.getaddrinfo", ("example.org", 443, 0, 0, 0), False),
    ("socket.gethostbyname", ("example.org",), False),
    ("open", ("/etc/passwd", "r", os.O_RDONLY), False),
    ("open", (os.path.expanduser("~/.bashrc"), "r", os.O_RDONLY), False),
    ("open", ("/etc/mime.types", "r", os.O_RDONLY), True),
    ("open", (os.path.join(sys.base_prefix, "lib", "json.py"), "r", os.O_RDONLY), True),
    ("open", (os.path.join(sys.base_prefix, "lib", "x.py"), "w", os.O_WRONLY | os.O_CREAT), False),
    ("open", (str(PROJECT_ROOT / "README.md"), "r", os.O_RDONLY), True),
    ("open", (str(PROJECT_ROOT / "tests" / "artifacts" / "x.png"), "wb", os.O_WRONLY | os.O_CREAT), True),
    ("open", (os.path.join(tempfile.gettempdir(), "x"), "w", os.O_WRONLY | os.O_CREAT), True),
    ("open", (os.path.join(sys.prefix, "lib", "x.pyc"), None, os.O_WRONLY | os.O_CREAT), True),
    ("open", ("/etc/cron.d/evil", None, os.O_WRONLY | os.O_CREAT), False),
    ("open", ("/dev/null", "w", os.O_WRONLY), True),
    ("open", (7, "r", os.O_RDONLY), True),  # a file descriptor: opened (and checked) before
    ("os.mkdir", ("/var/guidegraph", 0o777, -1), False),
    ("os.rename", (os.path.join(tempfile.gettempdir(), "a"), "/usr/local/bin/b", -1, -1), False),
    ("os.remove", ("/etc/hosts", -1), False),
    ("shutil.copyfile", (str(PROJECT_ROOT / "README.md"), "/root/README.md"), False),
])
def test_the_rules(audit, event, args, allowed):
    assert (audit._check(event, args) is None) is allowed


def test_the_witness_sees_a_read_a_write_and_a_connection_in_this_process(audit):
    with pytest.raises(AssertionError, match="open /etc/passwd"):
        with audit.watching():
            open("/etc/passwd").close()
    with pytest.raises(AssertionError, match="for writing"):
        with audit.watching():
            with pytest.raises(OSError):  # the hook sees the attempt; the folder does not exist
                open("/nonexistent-guidegraph-folder/out.txt", "w")
    with pytest.raises(AssertionError, match=r"socket.connect \('192.0.2.1', 9\)"):
        with audit.watching():
            try_to_connect_beyond_this_machine()
    with pytest.raises(AssertionError, match="socket.bind"):
        with audit.watching():
            with socket.socket() as s:
                s.bind(("0.0.0.0", 0))  # every interface: a test server listens on loopback only


@pytest.mark.skipif(not can_isolate(), reason="needs fork")
def test_the_witness_sees_a_forked_query_worker(audit):
    def peek():
        with open("/etc/passwd", "rb") as stream:
            return len(stream.read(1))

    with pytest.raises(AssertionError, match="open /etc/passwd"):
        with audit.watching():
            run_isolated(peek, timeout_ms=5000, max_memory_mb=64)


def test_a_violation_fails_the_test_that_made_it(tmp_path):
    import subprocess

    suite = tmp_path / "suite" / "tests"
    suite.mkdir(parents=True)
    (suite / "conftest.py").write_text((PROJECT_ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    (suite / "test_reach.py").write_text(
        "def test_reads_outside():\n"
        "    open('/etc/passwd').close()\n\n"
        "def test_stays_inside(tmp_path):\n"
        "    (tmp_path / 'x').write_text('fine')\n"
    )
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)],
                            capture_output=True, text=True, timeout=120, cwd=suite,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert "1 failed, 1 passed" in result.stdout, result.stdout
    assert "test_reads_outside (call) reached outside" in result.stdout and "open /etc/passwd" in result.stdout


def test_the_default_store_and_the_app_run_under_the_audit(audit):
    from streamlit.testing.v1 import AppTest

    from graph import KnowledgeBase

    def page():
        from graph.ui import pathway_page

        pathway_page.render()

    with audit.watching():
        kb = KnowledgeBase.load()  # the default: Oxigraph in memory, validated
        assert kb.store == "memory" and kb.report.conforms
        assert kb.query("ASK { ?s a gg:Pitfall }").boolean is True
        at = AppTest.from_function(page, default_timeout=60)
        at.query_params.update({"condition": "lupus_nephritis", "flare": "true"})
        at.run()
        assert not at.exception and at.title[0].value == "Patient pathway"
