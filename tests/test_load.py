"""The load test's own checks (tests/load/endpoint_load.py runs for 30 s in .ci/run, not here): a
short run against a real `guidegraph serve` reports numbers, and a run against an endpoint that does
not answer fails."""

from __future__ import annotations

import importlib.util
import socket
import sys

import pytest

from graph.library import PROJECT_ROOT


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("endpoint_load", PROJECT_ROOT / "tests" / "load" / "endpoint_load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_a_short_load_run_keeps_the_endpoint_answering(load, capsys):
    assert load.main(["--clients", "5", "--seconds", "2", "--timeout-ms", "400", "--json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: 5 clients for ") and "0 failures" in out and "per second" in out
    assert "slow query answered" in out and "[503]" in out  # the slow query was in flight and stopped


def test_the_load_run_fails_when_the_endpoint_does_not_answer(load, capsys):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert load.main(["--clients", "2", "--seconds", "1", "--url", f"http://127.0.0.1:{port}/sparql"]) == 1
    assert capsys.readouterr().out.startswith("FAILED: no query answered")
