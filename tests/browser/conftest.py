"""Headless Chromium for the report tests: Debian's `chromium`, driven by Playwright with that executable.

No browser is downloaded (never `playwright install`): without a Chromium on the machine the tests skip, saying
so. Every request the page makes other than to its own file is refused, so a report that would phone home (a
font, an analytics script) renders offline as the IC would see it on a closed network, and nothing leaves the
machine. The gate runs are the real thing: the embedded sandbox, booted by a `pytest` subprocess, with distinctive
secrets seeded so the tests can prove none of them reaches the page.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SEEDED, GateRun, run_gate

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""What Chromium needs as root on a closed network (the user-data dir is a fresh one per test)."""


def chromium_executable() -> str | None:
    for candidate in (os.environ.get("CUTOVER_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    """A Playwright page in headless Debian Chromium, offline but for file:// URLs; closed after the test."""
    executable = chromium_executable()
    if executable is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium; .ci/run does it when apt is there)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1400})
        try:
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                          else route.abort())
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


@pytest.fixture(scope="session")
def gate_runs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], GateRun]:
    """`gate_runs("go")` / `gate_runs("nogo")`: one real gate run each per session (the NO-GO one with the
    sandbox's `withdraw_5xx` fault: a failing canary line and an IMMEDIATE_ROLLBACK trigger)."""
    done: dict[str, GateRun] = {}
    faults = {"go": (), "nogo": ("withdraw_5xx",)}
    args: dict[str, tuple[str, ...]] = {"go": (), "nogo": ("-m", "t0")}  # a NO-GO needs only the failing phase

    def get(kind: str) -> GateRun:
        if kind not in done:
            reports = tmp_path_factory.mktemp(f"reports-{kind}")
            done[kind] = run_gate(reports, *args[kind], faults=faults[kind], env=dict(SEEDED))
            expected = {"go": "GO", "nogo": "NO-GO"}[kind]
            assert done[kind].decision["decision"] == expected, done[kind].output[-3000:]
        return done[kind]

    return get
