"""Shared fixtures: the bundled seed library, loaded once per test session."""

from __future__ import annotations

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
