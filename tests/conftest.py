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


@pytest.fixture(scope="session")
def hostile_label() -> str:
    """The label every writer must draw as plain text (see generated_pathway)."""
    return HOSTILE_LABEL
