"""The app in a real browser: `streamlit run app.py` on a free localhost port, driven by Playwright
through Debian's Chromium (never a downloaded browser).

The server runs on the seed library plus one document whose title, heading and statement hold an
HTML tag, so the same server shows a patient's options and proves that labels stay text. Streamlit
renders asynchronously: every check waits for specific text, never for a fixed time. Screenshots go
to tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
XSS = "<img src=x onerror=alert(1)>"
SEVERE_FLARE = {
    "condition": "lupus_nephritis", "tacrolimus_stopped": "abruptly", "flare": "true",
    "severity": "severe", "weight_kg": "70", "first_line_response": "not_started",
}
WAIT_MS = 30_000

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium "
                                "(Debian package `chromium`; .ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("streamlit did not become healthy in time")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    library = tmp_path_factory.mktemp("browser-library")
    for path in (ROOT / "guidelines").iterdir():
        if path.suffix in (".txt", ".ttl"):
            shutil.copy(path, library)
    (library / "hostile-labels.txt").write_text(
        f"Hostile {XSS} labels\nTreatment {XSS} options\n- Consider {XSS} prednisone 10 mg daily for a flare 1\n",
        encoding="utf-8",
    )
    port = _free_port()
    env = {**os.environ, "GUIDEGRAPH_LIBRARY": str(library)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs  # an alert() would mean a label ran as script
    yield tab
    context.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_deep_link_shows_the_options_and_the_dose_and_a_changed_fact_updates_page_and_address(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/?{urlencode(SEVERE_FLARE)}")
    expect(page.get_by_text("35–70 mg/d for this patient").first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Rituximab (B-cell depleting therapy) shows 50-80% response rates", exact=False).first).to_be_visible()
    expect(page.get_by_text("Second line", exact=True).first).to_be_visible()
    weight = page.get_by_role("spinbutton", name="What is the patient's body weight, in kg?")
    expect(weight).to_have_value("70", timeout=WAIT_MS)  # the form restored from the address, drawn
    _shot(page, "pathway-deep-link")

    weight.fill("80")
    weight.press("Enter")
    expect(page.get_by_text("40–80 mg/d for this patient").first).to_be_visible(timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"^(?=.*[?&]weight_kg=80(&|$))(?=.*[?&]severity=severe(&|$))"), timeout=WAIT_MS)
    _shot(page, "pathway-weight-80")


def test_the_pathway_page_also_opens_at_its_own_name(server, page):
    """Before: /pathway showed Streamlit's "Page not found" (the page lives at the root)."""
    from playwright.sync_api import expect

    page.goto(f"{server}/pathway?{urlencode(SEVERE_FLARE)}")
    expect(page.get_by_text("35–70 mg/d for this patient").first).to_be_visible(timeout=WAIT_MS)
    assert page.get_by_text("Page not found").count() == 0


def test_a_bad_value_in_the_address_is_one_message_not_a_traceback(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/?{urlencode({**SEVERE_FLARE, 'weight_kg': 'heavy'})}")
    expect(page.get_by_text("patient fact 'weight_kg': expected a number in kg", exact=False)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Rituximab (B-cell depleting therapy)", exact=False).first).to_be_visible()
    assert page.get_by_text("Traceback").count() == 0
    _shot(page, "pathway-bad-address")


def test_the_reader_shows_a_label_with_markup_as_text(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/reader?guideline=hostile-labels")
    expect(page.get_by_text(f"Consider {XSS} prednisone", exact=False)).to_be_visible(timeout=WAIT_MS)
    assert page.locator("img[src='x']").count() == 0 and page.dialogs == []
    _shot(page, "reader-hostile-label")


def test_the_explorer_shows_a_label_with_markup_as_text(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/explorer?node=https://w3id.org/guidegraph/kb/hostile-labels")
    frame = page.frame_locator("iframe").first
    expect(frame.locator("#panel h3")).to_have_text(f"Hostile {XSS} labels", timeout=WAIT_MS)
    expect(frame.locator("canvas").first).to_be_visible()
    assert frame.locator("img[src='x']").count() == 0 and page.locator("img[src='x']").count() == 0
    assert page.dialogs == []
    _shot(page, "explorer-hostile-label")


def test_a_saved_query_runs_in_the_console_and_shows_its_rows(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/sparql?saved=trough-targets")
    expect(page.get_by_text("Drug-level targets across sources", exact=False).first).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Run query").click()
    expect(page.get_by_text(re.compile(r"\d+ rows? in \d+ ms")).first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Download CSV")).to_be_visible()
    _shot(page, "sparql-trough-targets")


def test_the_conflicts_page_shows_both_sources_of_a_disagreement(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/conflicts")
    expect(page.get_by_text("Where the sources disagree")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("lupus-tacrolimus-rebound", exact=True).first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("autoimmune-tacrolimus-rebound", exact=True).first).to_be_visible()
    expect(page.get_by_text("guidegraph does not pick a value", exact=False)).to_be_visible()
    _shot(page, "conflicts")


def test_the_export_page_offers_the_tree_and_the_graph_for_download(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/export")
    expect(page.get_by_text("Decision tree", exact=True).first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Knowledge graph", exact=True).first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name=re.compile("Mermaid")).first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name=re.compile("Turtle")).first).to_be_visible()
    _shot(page, "export")
