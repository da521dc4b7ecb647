"""The interactive HTML tree: one self-contained page that opens offline and shows the tree.

The browser tests drive Debian's Chromium headless through Playwright (no browser download) and
record every request the page makes: a clinic's locked-down network must not be needed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graph import cli
from graph.export.html import to_html
from graph.export.tree import PatientPath, pathway_trees

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")

PATHWAYS = ["lupus-tacrolimus-rebound", "autoimmune-tacrolimus-rebound", None]


# ---------------------------------------------------------------- the page as text


@pytest.mark.parametrize("pathway", PATHWAYS, ids=lambda p: p or "all")
def test_page_links_nothing_outside_itself(kb, pathway):
    page = to_html(pathway_trees(kb.graph, pathway=pathway))
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", page, re.IGNORECASE)
    assert not re.search(r"<link\b", page, re.IGNORECASE)
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page and "bootstrap" not in page.lower()
    assert "vis.Network" in page  # vis-network is inlined


def test_labels_cannot_become_markup(large_pathway, hostile_label):
    page = to_html(pathway_trees(large_pathway))
    assert hostile_label not in page
    assert '<img src="http' not in page
    assert "\\u003cimg src=" in page  # the label is in the page, as escaped JSON text


def test_the_same_trees_give_the_same_page(kb):
    trees = pathway_trees(kb.graph)
    assert to_html(trees) == to_html(pathway_trees(kb.graph))


# ---------------------------------------------------------------- the page in a browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: the browser test needs Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_offline(browser, path: Path):
    """Open a page from a file, recording every request and script error; returns (page, requests, errors)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_function("window.guidegraphNetwork !== undefined", timeout=15000)
    return page, requests, errors


@pytest.mark.parametrize("pathway", PATHWAYS, ids=lambda p: p or "all")
def test_page_opens_offline_and_shows_the_tree(kb, browser, tmp_path, pathway):
    trees = pathway_trees(kb.graph, pathway=pathway)
    path = tmp_path / "tree.html"
    path.write_text(to_html(trees), encoding="utf-8")
    page, requests, errors = open_offline(browser, path)
    try:
        assert errors == []
        assert requests and all(url.startswith(LOCAL_SCHEMES) for url in requests), requests
        assert page.locator("#tree canvas").count() == 1
        drawn = page.evaluate("window.guidegraphNetwork.body.data.nodes.getIds()")
        assert sorted(drawn) == sorted(n.key for t in trees for n in t.nodes)
        edges = page.evaluate("window.guidegraphNetwork.body.data.edges.length")
        assert edges == sum(len(t.branches) for t in trees)
        # The canvas has been drawn on: not one blank colour.
        colours = page.evaluate(
            """() => { const c = document.querySelector('#tree canvas');
                       const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       const seen = new Set(); for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] + ',' + d[i+1] + ',' + d[i+2]);
                       return seen.size; }"""
        )
        assert colours > 3
        # Clicking a node lists its statements with kind, line, references, drug and dose.
        node = next(n for t in trees for n in t.nodes if any(s.doses for s in n.statements))
        page.evaluate("key => window.guidegraphShow(key)", node.key)
        panel = page.inner_text("#panel")
        assert node.label in panel
        for statement in node.statements:
            assert statement.heading() in panel
            for dose in statement.doses:
                assert dose.words() in panel
    finally:
        page.close()


def test_hostile_labels_stay_text_in_the_browser(browser, large_pathway, hostile_label, tmp_path):
    trees = pathway_trees(large_pathway)
    path = tmp_path / "large.html"
    path.write_text(to_html(trees), encoding="utf-8")
    page, requests, errors = open_offline(browser, path)
    try:
        assert errors == []
        assert all(url.startswith(LOCAL_SCHEMES) for url in requests), requests
        assert page.evaluate("window.guidegraphNetwork.body.data.nodes.length") == 100
        hostile = next(n for n in trees[0].nodes if hostile_label in n.label)
        page.evaluate("key => window.guidegraphShow(key)", hostile.key)
        assert hostile_label in page.inner_text("#panel")
        assert page.locator("#panel img, #panel b").count() == 0
        assert all(url.startswith(LOCAL_SCHEMES) for url in requests), requests
    finally:
        page.close()


def test_patient_path_is_drawn_in_the_path_colour(browser, sample_kb, tmp_path):
    base = "https://w3id.org/guidegraph/kb/sample-lupus/pathway/"
    path_nodes = PatientPath((base + "start", base + "flare", base + "fatigue"))
    trees = pathway_trees(sample_kb.graph, pathway="sample-lupus", path=path_nodes)
    file = tmp_path / "patient.html"
    file.write_text(to_html(trees), encoding="utf-8")
    page, _, errors = open_offline(browser, file)
    try:
        assert errors == []
        borders = page.evaluate(
            "Object.fromEntries(window.guidegraphNetwork.body.data.nodes.get().map(n => [n.id, n.color.border]))"
        )
        on_path = {n.key for n in trees[0].nodes if n.iri in path_nodes.nodes}
        assert {key for key, colour in borders.items() if colour == "#c0392b"} == on_path
        # The panel opens on the last node of the path that has statements.
        assert "Extreme fatigue" in page.inner_text("#panel")
    finally:
        page.close()


def test_cli_writes_the_page(tmp_path, capsys):
    out = tmp_path / "tree.html"
    assert cli.main(["export", "tree", "--format", "html", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Rebound lupus after tacrolimus was stopped" in page
