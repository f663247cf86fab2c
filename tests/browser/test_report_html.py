"""report.html as the incident commander opens it: in a real (headless) Chromium, after the page's scripts ran.

The decision comes first, above pytest-html's environment table; a NO-GO shows its IMMEDIATE_ROLLBACK trigger with
the decide-by time and a failing line with its evidence, on the page itself; no link opens a data: URI; and nothing
the page renders, every toggle opened, holds a secret. A screenshot of each page is saved into its reports dir.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import SEEDED, GateRun

TOKEN_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.|Bearer [A-Za-z0-9._-]{12,}|v1=[0-9a-f]{64}")
SECRETS = [v for k, v in SEEDED.items() if k != "CUTOVER_ADMIN_EMAIL"]


def open_report(page: Any, run: GateRun) -> Any:
    page.goto((run.reports / "report.html").as_uri())
    page.wait_for_load_state("load")
    expect(page.locator("#results-table tbody.results-table-row").first).to_be_attached()  # app.js has run
    return page


def assert_first_on_the_page(page: Any) -> None:
    banner = page.locator("#cutover-gate .cg-banner")
    expect(banner).to_be_visible()
    top = banner.bounding_box()["y"]
    for pytest_html_part in ("#title", "#environment", "#results-table"):
        assert top < page.locator(pytest_html_part).bounding_box()["y"], pytest_html_part


def assert_no_secret(page: Any, run: GateRun, name: str) -> None:
    page.locator("#show_all_details").click()  # pytest-html's own toggle: every row's evidence open
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    text = page.locator("body").inner_text()
    assert len(text) > 2000
    for secret in SECRETS:
        assert secret not in text, f"{name}: a seeded secret is on the page"
    assert not TOKEN_LIKE.search(text), f"{name}: {TOKEN_LIKE.search(text)}"
    assert page.locator("a[href^='data:']").count() == 0, "a link still opens a data: URI (a blank tab)"
    page.screenshot(path=str(run.reports / f"report-{name}.png"), full_page=False)
    assert (run.reports / f"report-{name}.png").stat().st_size > 10_000


def test_a_go_report_in_chromium(browser_page: Any, gate_runs: Callable[[str], GateRun]) -> None:
    run = gate_runs("go")
    page = open_report(browser_page, run)
    assert_first_on_the_page(page)
    expect(page.locator("#cg-verdict")).to_have_text("GO")
    banner_colour = page.locator("#cutover-gate .cg-banner").evaluate("e => getComputedStyle(e).backgroundColor")
    assert banner_colour == "rgb(30, 126, 52)"  # green: #1e7e34
    expect(page.locator("#cg-statement")).to_contain_text("GO-LIVE confirmed.")
    expect(page.locator("#cg-triggers")).to_have_count(0)
    row = page.locator("#cg-row-t0_deposit")
    expect(row).to_contain_text("PASS")
    row.locator("summary").first.click()  # a line's evidence opens in place
    expect(row.locator(".cg-ev-steps").first).to_be_visible()
    page.screenshot(path=str(run.reports / "report-go-top.png"))
    assert_no_secret(page, run, "go")


def test_a_nogo_report_in_chromium(browser_page: Any, gate_runs: Callable[[str], GateRun]) -> None:
    run = gate_runs("nogo")
    [trigger] = [t for t in run.decision["triggers"] if t["row"] == "payout_withdraw_http_error"]
    page = open_report(browser_page, run)
    assert_first_on_the_page(page)
    expect(page.locator("#cg-verdict")).to_have_text("NO-GO")
    banner_colour = page.locator("#cutover-gate .cg-banner").evaluate("e => getComputedStyle(e).backgroundColor")
    assert banner_colour == "rgb(181, 42, 28)"  # red: #b52a1c

    shown = page.locator("#cg-trigger-payout_withdraw_http_error")
    expect(shown).to_be_visible()
    observed, decide_by = trigger["observed_at"][11:19], trigger["decide_by"][11:19]
    expect(shown.locator(".cg-decide-by")).to_have_text(f"decide by {decide_by} UTC (5 min after {observed})")
    assert page.locator("#cg-triggers").bounding_box()["y"] < page.locator("#cg-failing").bounding_box()["y"]

    line = page.locator("#cg-line-t0_withdraw_request")
    expect(line.locator(".cg-cause")).to_be_visible()
    expect(line.locator(".cg-cause")).to_contain_text("-> 500")
    failing_step = line.locator(".cg-ev-steps .cg-step.cg-fail")
    expect(failing_step).to_be_visible()
    expect(failing_step).to_contain_text("When the canary requests a withdrawal of the withdraw amount")
    raw = line.locator(".cg-raw pre")
    expect(raw).to_be_hidden()
    line.locator(".cg-raw summary").click()
    expect(raw).to_be_visible()
    expect(raw).to_contain_text("INTERNAL_ERROR")
    exchanges = line.locator(".cg-ev-http")
    exchanges.locator("summary").first.click()  # the redacted HTTP exchanges open inline, no new tab
    withdraw = exchanges.locator(".cg-http", has_text="/api/v1/player/wallet/withdraw")
    expect(withdraw.first).to_be_visible()
    assert len(page.context.pages) == 1
    page.screenshot(path=str(run.reports / "report-nogo-top.png"))
    assert_no_secret(page, run, "nogo")


def test_the_turkish_report_speaks_turkish(browser_page: Any, tmp_path: Any) -> None:
    from tests.e2e.conftest import run_gate

    run = run_gate(tmp_path / "reports", "--lang=tr", "-m", "t0", faults=("withdraw_5xx",), env=dict(SEEDED))
    assert run.decision["decision"] == "NO-GO", run.output[-3000:]
    page = open_report(browser_page, run)
    assert_first_on_the_page(page)
    panel = page.locator("#cutover-gate")
    expect(panel).to_have_attribute("lang", "tr")
    expect(panel.locator(".cg-kicker")).to_have_text(re.compile("Cutover kararı", re.I))
    expect(panel.locator(".cg-decide-by")).to_contain_text("karar son anı")
    expect(panel.locator("#cg-line-t0_withdraw_request .cg-step.cg-fail")).to_contain_text(
        "Eğer ki canary withdraw tutarı kadar çekim ister")
    text = panel.inner_text()
    for english in ("Cutover decision", "decide by", "Failing lines", "NOT RUN", "Diyelim Ki", "O Zaman"):
        assert english not in text, english
    page.screenshot(path=str(run.reports / "report-tr-top.png"))
