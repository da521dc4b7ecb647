"""Answers kept between two loads: the same query is answered again without the engine, and a
different query, binding or row cap is never given another's answer."""

from __future__ import annotations

import pytest
from rdflib import Literal

from graph import KnowledgeBase
from graph.answers import Answers
from graph.console import run_console
from graph.sparql import QueryResult, QueryTimeout, run_query, saved_query


@pytest.fixture
def fresh_kb():
    """A knowledge base of its own: the answers it keeps are this test's only."""
    return KnowledgeBase.load(validate=False)


def test_the_second_run_of_a_query_is_answered_from_the_kept_answer(fresh_kb):
    query = saved_query("pitfalls")
    first = fresh_kb.query(query.text)
    again = fresh_kb.query(query.text)
    assert not first.cached and again.cached
    assert again.rows == first.rows and len(again.rows) == 13


def test_each_binding_has_its_own_answer(fresh_kb):
    query = saved_query("statements-mentioning")
    mmf = fresh_kb.query(query.text, bindings={"drug": "MMF"})
    rituximab = fresh_kb.query(query.text, bindings={"drug": "rituximab"})
    assert not rituximab.cached
    assert {str(n) for n in mmf.values("name")} == {"mycophenolate mofetil"}
    assert {str(n) for n in rituximab.values("name")} == {"rituximab"}
    # the kept answer is what the engine gives for that binding, without any kept answers
    alone = run_query(fresh_kb.graph, query.text, bindings={"drug": Literal("rituximab")})
    assert fresh_kb.query(query.text, bindings={"drug": "rituximab"}).rows == alone.rows


def test_each_row_cap_has_its_own_answer(fresh_kb):
    text = saved_query("pitfalls").text
    assert len(fresh_kb.query(text).rows) == 13
    capped = fresh_kb.query(text, max_rows=2)
    assert not capped.cached and len(capped.rows) == 2 and capped.truncated


def test_a_query_that_fails_is_not_kept(fresh_kb, monkeypatch):
    import graph.sparql as sparql

    text = "SELECT ?s WHERE { ?s a gg:Pitfall }"
    real = sparql._run_guarded

    def stopped(*args, **kwargs):
        raise QueryTimeout("query stopped at its time limit")

    monkeypatch.setattr(sparql, "_run_guarded", stopped)
    with pytest.raises(QueryTimeout):
        fresh_kb.query(text)
    monkeypatch.setattr(sparql, "_run_guarded", real)
    answer = fresh_kb.query(text)  # runs, rather than repeating the stop
    assert not answer.cached and len(answer.rows) == 13


def test_a_refused_query_is_refused_even_after_a_kept_answer(fresh_kb):
    from graph.sparql import QueryRefused

    text = "SELECT ?s WHERE { ?s a gg:Pitfall }"
    fresh_kb.query(text)
    with pytest.raises(QueryRefused):  # the guards run before the kept answers are looked at
        run_query(fresh_kb.graph, text, max_query_chars=10, answers=fresh_kb.answers)


def test_the_console_says_when_an_answer_was_kept(fresh_kb):
    query = saved_query("pitfalls")
    first = run_console(fresh_kb, query.text, saved=query)
    again = run_console(fresh_kb, query.text, saved=query)
    assert first.message == "13 rows" and first.elapsed_ms is not None
    assert again.message.startswith("13 rows (the answer kept") and again.elapsed_ms is None
    assert again.rows == first.rows


def test_the_oldest_answers_go_first_when_the_budget_is_spent():
    answers = Answers(row_budget=5)
    rows = lambda n: QueryResult("SELECT", variables=("x",), rows=tuple((Literal(i),) for i in range(n)))  # noqa: E731
    answers.put(("a",), rows(2))
    answers.put(("b",), rows(2))
    answers.get(("a",))  # used again: now the newest
    answers.put(("c",), rows(2))  # 6 rows: "b" goes
    assert answers.get(("b",)) is None and answers.get(("a",)) is not None and answers.get(("c",)) is not None
    answers.put(("big",), rows(6))  # larger than the whole budget: never kept
    assert answers.get(("big",)) is None and len(answers) == 2


@pytest.mark.parametrize("text", [
    "SELECT (STRUUID() AS ?u) WHERE {}",
    "SELECT (uuid() AS ?u) WHERE {}",
    "SELECT ?s WHERE { ?s a gg:Pitfall } ORDER BY RAND() LIMIT 2",
    "SELECT (NOW() AS ?t) WHERE {}",
])
def test_a_query_asking_for_a_new_value_each_run_is_never_kept(fresh_kb, text):
    """Before: NOW(), RAND() and UUID() gave their first value for the life of the server."""
    first, again = fresh_kb.query(text), fresh_kb.query(text)
    assert not first.cached and not again.cached


def test_a_new_uuid_each_run(fresh_kb):
    text = "SELECT (STRUUID() AS ?u) WHERE {}"
    assert fresh_kb.query(text).rows != fresh_kb.query(text).rows
