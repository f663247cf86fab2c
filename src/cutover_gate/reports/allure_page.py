"""The Allure report as one page that opens from its file, every time: `cutover-gate allure [REPORTS_DIR]`.

It runs Allure 3's own generator (`npx -y allure@3 generate --config=R/allurerc.json R/allure-results
--output=R/allure-report`, the npm package `allure`; `allurerc.json` asks for the awesome report's single file) and
then declares the page's data first. Hand-written because Allure 3 (3.18) writes its embedded data at the end of the
page, after its app: the app reads the data from `window.allureReportData` when that exists and otherwise fetches
`widgets/*.json`, which a browser refuses on `file://`. When the app looks before the parser has reached the data
(about one open in six in headless Chromium), the page stays blank. One line at the top of `<head>` declares the
(empty) data map before the app runs, so the app waits for Allure's own "ready" flag, which the data script sets
once it has filled the map. Nothing else of the page changes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from cutover_gate.reports.allure_results import ALLURE_CONFIG

ALLURE = "allure@3"
DECLARE_DATA_FIRST = "<script>window.allureReportData = window.allureReportData || {};</script>"
"""Allure's own data map, declared before its app can look for it (its data script keeps and fills it)."""


class AllurePageError(Exception):
    """Why the page could not be written, in words for the operator."""


def generate_command(reports: Path) -> list[str]:
    npx = shutil.which("npx")
    if npx is None:
        raise AllurePageError("no npx on this machine: Allure 3 renders with Node (`npx -y allure@3`); install Node "
                              "and npm (apt-get install nodejs npm)")
    if not (reports / ALLURE_CONFIG).is_file():
        raise AllurePageError(f"{reports / ALLURE_CONFIG} is missing: run the gate first, with this reports dir (it "
                              "writes the Allure results and their configuration)")
    return [npx, "-y", ALLURE, "generate", f"--config={reports / ALLURE_CONFIG}", str(reports / "allure-results"),
            f"--output={reports / 'allure-report'}"]


def declare_data_first(page: Path) -> bool:
    """Put `DECLARE_DATA_FIRST` at the top of the page's `<head>`; False when it was there already (idempotent).
    Raises AllurePageError when the page has no `<head>` or no embedded data (not a single-file report)."""
    html = page.read_text(encoding="utf-8")
    if DECLARE_DATA_FIRST in html:
        return False
    if "window.allureReportData" not in html:
        raise AllurePageError(f"{page} embeds no report data: not Allure's single-file report (is singleFile on in "
                              f"{ALLURE_CONFIG}?)")
    head = html.find("<head>")
    if head < 0:
        raise AllurePageError(f"{page} has no <head>")
    at = head + len("<head>")
    page.write_text(html[:at] + "\n    " + DECLARE_DATA_FIRST + html[at:], encoding="utf-8")
    return True


def write_page(reports: Path) -> Path:
    """Allure's generator, then the data declared first; returns the page."""
    proc = subprocess.run(generate_command(reports), capture_output=True, text=True, check=False, timeout=900)
    if proc.returncode != 0:
        raise AllurePageError(f"{ALLURE} generate failed (exit {proc.returncode}): "
                              f"{(proc.stderr or proc.stdout).strip()[-1500:]}")
    page = reports / "allure-report" / "index.html"
    if not page.is_file():
        raise AllurePageError(f"{ALLURE} generate wrote no {page}")
    declare_data_first(page)
    return page
