"""Tests that keep the documents honest (STYLE.md item 9): every command and exit code is in the
README, every saved query is listed, and every test SECURITY.md names as a proof exists."""

from __future__ import annotations

import argparse
import ast
import re

import pytest

from graph import cli, errors
from graph.library import PROJECT_ROOT
from graph.sparql import saved_queries

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
SECURITY = (PROJECT_ROOT / "SECURITY.md").read_text(encoding="utf-8")


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """Every command and sub-command of the CLI, as word tuples: ("export", "tree")."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield prefix + (name,)
                yield from commands(sub, prefix + (name,))


@pytest.mark.parametrize("command", [" ".join(c) for c in commands(cli.build_parser())])
def test_every_command_is_in_the_readme(command):
    assert re.search(rf"guidegraph(?: --[\w-]+(?: \S+)?)* {re.escape(command)}\b", README), (
        f"README.md shows no example of `guidegraph {command}`"
    )


def _exit_code_table() -> dict[int, str]:
    section = README[README.index("### Exit codes"):]
    return {int(code): meaning for code, meaning in re.findall(r"^\| (\d+) \| (.+?) \|$", section, re.MULTILINE)}


def test_every_exit_code_is_in_the_readme():
    used = {cli.EXIT_OK, cli.EXIT_INVALID, cli.EXIT_USAGE, cli.EXIT_INTERNAL, cli.EXIT_INTERRUPTED, cli.EXIT_TERMINATED}
    used |= {cls.exit_code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.GuideGraphError)}
    table = _exit_code_table()
    assert set(table) == used, f"README exit codes {sorted(table)}, the CLI uses {sorted(used)}"


@pytest.mark.parametrize("forms", ["SELECT and ASK", "CONSTRUCT and DESCRIBE"])
def test_every_sparql_output_format_is_in_the_readme(forms):
    from graph.sparql_formats import FORMATS, GRAPH_FORMATS, RESULTS_FORMATS

    text = " ".join(README.split())
    sentence = text[text.index("`--format`: for SELECT and ASK"):]
    sentence = sentence[:sentence.index(". ")]
    listed = re.search(rf"for {forms} ([^;]*)", sentence)[1]
    formats = RESULTS_FORMATS if forms == "SELECT and ASK" else GRAPH_FORMATS
    missing = [f for f in formats if f"`{f}`" not in re.sub(r"\(.*?\)", "", listed)]
    assert not missing and set(formats) <= set(FORMATS), f"README.md lists no {missing} for {forms}"


def test_every_saved_query_is_listed(capsys):
    assert cli.main(["sparql", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert listed == [q.name for q in saved_queries()] and len(listed) >= 10


# ---------------------------------------------------------------- SECURITY.md

NAMED_TEST = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _tests_in(path) -> set[str]:
    tree = ast.parse((PROJECT_ROOT / path).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_test_security_md_names_exists():
    named = NAMED_TEST.findall(SECURITY)
    assert len(named) >= 15
    missing = [f"{path}::{name}" for path, name in named
               if not (PROJECT_ROOT / path).is_file() or name not in _tests_in(path)]
    assert not missing, f"SECURITY.md names tests that do not exist: {missing}"


def test_every_defence_in_security_md_names_its_proof():
    defended = SECURITY[SECURITY.index("## What it defends against"):SECURITY.index("## What it does not do")]
    defences = re.split(r"^### ", defended, flags=re.MULTILINE)[1:]
    assert len(defences) >= 8
    for defence in defences:
        title = defence.splitlines()[0]
        assert NAMED_TEST.search(defence), f"the defence {title!r} names no test that proves it"


def test_security_md_says_what_the_tool_does_not_do():
    limits = SECURITY[SECURITY.index("## What it does not do"):]
    for words in ("authentication", "TLS", "proxy", "access control"):
        assert words in limits


def test_every_field_of_a_recommend_result_is_in_docs_result(kb):
    """docs/result.md is the contract a JSON consumer reads: a field the result gains must be there."""
    documented = set(re.findall(r'"(\w+)"', (PROJECT_ROOT / "docs" / "result.md").read_text(encoding="utf-8")))
    facts = {"condition": "autoimmune_hepatitis", "tacrolimus_stopped": "abruptly", "flare": True,
             "first_line_response": "inadequate", "prior_tacrolimus_response": "good", "severity": "severe"}
    result = kb.recommend(facts).to_dict()
    items = [i for name in ("recommendations", "pitfalls", "monitoring", "assessments", "other") for i in result[name]]
    records = [result, *result["path"], *items, *result["questions"], *result["conflicts"], *result["schedule"]]
    records += [part for i in items for key in ("doses", "targets", "durations") for part in i[key]]
    fields = {key for record in records for key in record}
    assert items and result["schedule"] and result["conflicts"] and any(i["targets"] for i in items)
    assert fields - documented == set()
