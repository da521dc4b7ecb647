"""The synthetic library generator: deterministic, varied like a growing library, valid, and
clearly marked as benchmark data."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph

from graph.cli import main
from graph.errors import InputError
from graph.kb import KnowledgeBase
from graph.library import DEFAULT_LIBRARY
from graph.synthetic import FACTS_FILE, MARKER_FILE, SYNTHETIC_TITLE, generate_library, read_library_info
from graph.vocab import GG


def _files(root) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


@pytest.fixture(scope="module")
def six(tmp_path_factory):
    return generate_library(6, seed=3, out_dir=tmp_path_factory.mktemp("six"))


def test_the_same_seed_gives_the_same_files(six, tmp_path):
    again = generate_library(6, seed=3, out_dir=tmp_path / "again")
    assert _files(again.root) == _files(six.root)


def test_another_seed_gives_other_documents(six, tmp_path):
    other = generate_library(6, seed=4, out_dir=tmp_path / "other")
    assert (other.root / "synthetic-00000.txt").read_bytes() != (six.root / "synthetic-00000.txt").read_bytes()


def test_a_smaller_library_is_the_start_of_a_larger_one(six, tmp_path):
    three = generate_library(3, seed=3, out_dir=tmp_path / "three")
    for i in range(3):
        for suffix in (".txt", ".pathway.ttl"):
            name = f"synthetic-{i:05d}{suffix}"
            assert (three.root / name).read_bytes() == (six.root / name).read_bytes(), name


def test_every_document_is_marked_synthetic(six):
    for doc_id in six.documents:
        assert (six.root / f"{doc_id}.txt").read_text(encoding="utf-8").startswith(SYNTHETIC_TITLE)
    assert "not clinical guidance" in (six.root / MARKER_FILE).read_text(encoding="utf-8").replace("NOT", "not")
    assert read_library_info(six.root).documents == six.documents


def test_the_generated_library_validates_and_every_pathway_reference_resolves(six, capsys):
    assert main(["--library", str(six.root), "validate"]) == 0, capsys.readouterr().err
    kb = KnowledgeBase.load(six.root, validate=False)
    assert kb.stats()["pathways"] == 6
    for node, statement in kb.graph.subject_objects(GG.recommends):
        assert (statement, GG.text, None) in kb.graph, f"{node} recommends the missing {statement}"


def test_documents_vary_drugs_doses_conditions_and_order(tmp_path):
    lib = generate_library(20, seed=0, out_dir=tmp_path / "twenty")
    texts = [(lib.root / f"{d}.txt").read_text(encoding="utf-8") for d in lib.documents]
    lupus = [t for t in texts if "Rebound" in t.splitlines()[0] and "Symptoms" in t.splitlines()[0]]
    # Drugs: the seed's calcineurin inhibitor is swapped for others of its class in some documents.
    stopped = {re.search(r"After (\w+) Discontinuation", t.splitlines()[0])[1] for t in lupus}
    assert len(stopped) > 1, stopped
    # Doses: the seed's "2-3 g/day" in the lead is scaled in some documents.
    first_doses = {re.search(r"([\d.]+(?:-[\d.]+)?) g/day", t.splitlines()[1])[1] for t in lupus}
    assert len(first_doses) > 1, first_doses
    # Conditions: one made-up condition per family of five documents; no seed condition is named.
    assert not [t for t in texts if re.search(r"\blupus\b|\bSLE\b|autoimmune hepatitis", t, re.I)]
    keys = lib.condition_keys
    assert len(keys) == 4 * 5 and len(set(keys)) == len(keys)
    facts = Graph().parse(lib.root / FACTS_FILE, format="turtle")
    allowed = {str(v) for v in facts.objects(None, GG.allowedValue)}
    assert set(keys) <= allowed
    # Order: some bullet runs are shuffled, so statement IRIs of the same line differ from the seed's.
    seed_lines = (DEFAULT_LIBRARY / "lupus-tacrolimus-rebound.txt").read_text(encoding="utf-8").splitlines()
    assert any(t.splitlines()[4:8] != seed_lines[4:8] for t in lupus)


def test_the_generator_refuses_the_bundled_library_and_a_folder_of_other_files(tmp_path):
    with pytest.raises(InputError, match="never write them into guidelines"):
        generate_library(1, out_dir=DEFAULT_LIBRARY / "synthetic")
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not empty"):
        generate_library(1, out_dir=tmp_path)
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"
