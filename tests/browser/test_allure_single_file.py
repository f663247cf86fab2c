"""The README's Allure command writes one self-contained HTML file that opens from disk (not a spinner, not a blank
page: `cutover-gate allure` declares the page's data before Allure's app looks for it).

Rendering needs Node (`npx -y allure@3`, the npm package `allure`): without Node the test skips, saying so. The
page is then opened from its file in headless Chromium (offline: Allure 3's report asks for an analytics script
that is refused here) when there is one, several times: a page that renders one open in six is not a report.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import chromium_executable
from tests.e2e.conftest import ROOT, GateRun

README_COMMAND = "cutover-gate allure reports"
OPENS = 6


@pytest.fixture(scope="session")
def allure_report(gate_runs: Callable[[str], GateRun]) -> Path:
    """The GO run's Allure results rendered with the README's command (its reports dir for `reports/`)."""
    npx = shutil.which("npx")
    if npx is None or shutil.which("node") is None:
        pytest.skip("no Node on this machine: Allure 3 renders with `npx -y allure@3` (apt-get install nodejs npm)")
    assert README_COMMAND in (ROOT / "README.md").read_text(encoding="utf-8"), "the README names another command"
    run = gate_runs("go")
    proc = subprocess.run([sys.executable, "-m", "cutover_gate.cli", "allure", str(run.reports)], capture_output=True,
                          text=True, timeout=900, check=False, cwd=run.reports)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.strip() == str(run.reports / "allure-report" / "index.html")
    return run.reports / "allure-report"


def test_the_allure_report_is_one_self_contained_file(allure_report: Path) -> None:
    pages = sorted(p.name for p in allure_report.rglob("*.html"))
    assert pages == ["index.html"], pages
    assert not [p for p in allure_report.iterdir() if p.is_dir()], "a multi-file report (its data fetched at load)"
    assert not [p for p in allure_report.rglob("*") if p.suffix in (".js", ".css", ".woff", ".woff2")]
    html = (allure_report / "index.html").read_text(encoding="utf-8")
    local = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(?!https?:|data:)([^"]+)"', html)
    assert not local, f"the page loads files beside it: {local[:5]}"
    assert len(html) > 100_000  # the app and the results are inside the file


def test_the_allure_report_renders_from_a_file_in_chromium(allure_report: Path, browser_page: Any) -> None:
    assert chromium_executable() is not None
    reports = allure_report.parent
    decision = json.loads((reports / "decision.json").read_text(encoding="utf-8"))
    tests = ElementTree.parse(reports / "junit.xml").getroot().iter("testsuite")
    total = sum(int(suite.get("tests", "0")) for suite in tests)
    page = browser_page
    body = page.locator("body")
    for _ in range(OPENS):  # each open parses the page again: its app and its data race every time
        page.goto((allure_report / "index.html").as_uri())
        expect(body).to_contain_text(f"Results {total}", timeout=30_000)  # the results were read: not blank
    expect(body).to_contain_text("release.sha")  # the environment the gate wrote beside the results
    expect(body).to_contain_text(decision["release_sha"])
    expect(page.get_by_text(f"Cutover gate: {decision['decision']} for")).to_be_visible()
    page.screenshot(path=str(reports / "allure-report.png"))
