"""Pytester harness for the gate plugin: a throw-away project with its own features and steps, never the sandbox.

Every inner run points the gate at a closed loopback port (`--target-url`), and the steps below touch no target
unless a test says so, so nothing boots and nothing leaves the machine.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import cutover_gate
from cutover_gate.core.catalogue import PHASES, mandatory_lines


def _preload_gate_modules() -> None:
    """Pytester's in-process runs drop from `sys.modules` whatever a run imported first. The gate imports some of its
    modules lazily and keys the run state by module-level `StashKey`s: a second run would then mix two copies of a
    module (one key stored, another read). Importing the whole package now keeps one copy for every run."""
    for info in pkgutil.walk_packages(cutover_gate.__path__, "cutover_gate."):
        importlib.import_module(info.name)


_preload_gate_modules()

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER_SHA = "fedcba9876543210fedcba9876543210fedcba98"
CLOSED_PORT_URL = "http://127.0.0.1:9"
"""Loopback discard port: nothing listens there; the gate's client is built but never connects."""

GATE_ENV = ("CUTOVER_TARGET_URL", "CUTOVER_FILE", "RELEASE_SHA", "CUTOVER_SANDBOX_FAULTS", "CUTOVER_ADMIN_EMAIL",
            "CUTOVER_ADMIN_PASSWORD", "CUTOVER_DB_DSN", "CUTOVER_WEBHOOK_SECRET", "CUTOVER_ADYEN_HMAC_KEY",
            "CUTOVER_STRIPE_WEBHOOK_SECRET", "CUTOVER_CANARY_EMAIL", "CUTOVER_CANARY_PASSWORD", "PYTEST_ADDOPTS")

INI = """
[pytest]
cutover_gate = true
bdd_features_base_dir = features
addopts = --strict-markers -p no:cacheprovider
"""

STEPS = '''
"""Steps of the throw-away gate project (Turkish wording stacked on the steps the Turkish feature uses)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, then, when

from cutover_gate.core.errors import CheckFailed
from cutover_gate.target.client import TargetClient
from cutover_gate.evidence.recording import Evidence, proves

CANARY_FIELDS = {"canary_player_id": "player-1", "deposit_tx_id": "dep-1", "withdraw_tx_id": "wd-1",
                 "approved_at": "2025-03-01T10:00:00Z", "paid_at": "2025-03-01T10:01:00Z", "held_final": "0",
                 "available_final": "5"}


def ran(name: str) -> None:
    """Leave a trace that a step ran (plan mode must run none)."""
    with Path(os.environ["GATE_TEST_TRACE"]).open("a", encoding="utf-8") as trace:
        trace.write(name + "\\n")


@given("the check passes")
@given("kontrol geçer")
def _() -> None:
    ran("passes")


@when("the check is made")
@when("kontrol yapılır")
def _() -> None:
    ran("made")


@then("the result is right")
@then("sonuç doğrudur")
def _() -> None:
    ran("right")


@when(parsers.parse('the check fails with "{msg}"'))
@when(parsers.parse('kontrol "{msg}" ile başarısız olur'))
def _(msg: str) -> None:
    raise CheckFailed(msg)


@when(parsers.parse('the assertion fails with "{msg}"'))
def _(msg: str) -> None:
    raise AssertionError(msg)


@when("the check does not apply")
def _() -> None:
    pytest.skip("not applicable on this platform")


@given("the canary evidence is recorded")
def _(evidence: Evidence) -> None:
    for key, value in CANARY_FIELDS.items():
        evidence.put(key, value)


@when(parsers.parse('the trigger "{row}" is observed'))
def _(evidence: Evidence, row: str) -> None:
    evidence.trigger(row, "POST /api/v1/player/wallet/withdraw answered 503")


@when("the target health is read")
def _(target: TargetClient) -> None:
    ran("target")
    target.get("/api/health")


@when("the admin login fails revealing the password")
def _(evidence: Evidence) -> None:
    password = os.environ["CUTOVER_ADMIN_PASSWORD"]
    evidence.put("attempt", f"login with {password}")
    raise CheckFailed(f"admin login refused for password {password}")


@when("a debugging step logs the password")
def _() -> None:
    password = os.environ["CUTOVER_ADMIN_PASSWORD"]
    print(f"debug: login payload password={password}")
    logging.getLogger("steps.debug").warning("login payload password=%s", password)
    raise CheckFailed("admin login refused")


@when("the deposit is made")
@proves("t0_deposit")
def _(evidence: Evidence) -> None:
    evidence.put("deposit_tx_id", "dep-1")


@when("the withdrawal is requested")
@proves("t0_withdraw_request")
def _() -> None:
    ran("withdraw")


@when("the admin approves")
@proves("t0_admin_approve")
def _() -> None:
    ran("approve")


@when("the admin approval is refused")
@proves("t0_admin_approve")
def _() -> None:
    raise CheckFailed("approve answered 409 ILLEGAL_TRANSACTION_STATE_TRANSITION")


@then("the payout is marked paid")
@proves("t0_mark_paid")
def _() -> None:
    ran("paid")
'''


@dataclass
class GateResult:
    """One inner gate run: its exit code, its output and what it wrote to the reports dir."""

    ret: int
    output: str
    reports: Path
    run: pytest.RunResult
    written: dict[str, Any] | None
    """decision.json as this run left it (a later run in the same reports dir rewrites the file)."""

    @property
    def decision(self) -> dict[str, Any]:
        assert self.written is not None, "the run wrote no decision.json"
        return self.written

    def line(self, line_id: str) -> dict[str, Any]:
        return next(c for c in self.decision["checklist"] if c["id"] == line_id)

    def result(self, line_id: str) -> str:
        return str(self.line(line_id)["result"])

    def results(self) -> dict[str, str]:
        return {c["id"]: c["result"] for c in self.decision["checklist"]}


def scenario(line: str, *steps: str, name: str | None = None) -> str:
    body = "\n".join(f"    {step}" for step in steps)
    return f"  @{line}\n  Scenario: {name or line}\n{body}\n"


def feature(tags: str, title: str, scenarios: Iterable[str]) -> str:
    return f"{tags}\nFeature: {title}\n\n" + "\n".join(scenarios)


def mandatory_features(overrides: dict[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    """One feature per phase, one passing scenario per mandatory line of catalogue (the canary's report filled).

    `overrides` replaces a line's steps (e.g. with a failing or skipping step)."""
    overrides = overrides or {}
    out: dict[str, str] = {}
    for phase in PHASES:
        items = []
        for line in mandatory_lines():
            if line.phase != phase:
                continue
            steps: tuple[str, ...] = ("Given the check passes",)
            if line.id == "t0_deposit":
                steps += ("And the canary evidence is recorded",)
            items.append(scenario(line.id, *overrides.get(line.id, steps)))
        out[f"{phase}_lines"] = feature(f"@{phase}", f"{phase} lines", items)
    return out


class GateProject:
    """A pytester project in gate mode: `features/<lang>/`, a test module binding each set, the steps above."""

    def __init__(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pytester = pytester
        self.path = pytester.path
        self.reports = pytester.path / "reports"
        self.trace = pytester.path / "trace.txt"
        for var in GATE_ENV:
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("GATE_TEST_TRACE", str(self.trace))
        pytester.makefile(".ini", pytest=INI)
        pytester.makeconftest(STEPS)
        for lang in ("en", "tr"):
            (self.path / "features" / lang).mkdir(parents=True)
            (self.path / "features" / lang / f"test_features_{lang}.py").write_text(
                f'from pytest_bdd import scenarios\n\nscenarios("{lang}")\n', encoding="utf-8")

    def feature(self, name: str, text: str, lang: str = "en") -> Path:
        path = self.path / "features" / lang / f"{name}.feature"
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def features(self, texts: dict[str, str], lang: str = "en") -> None:
        for name, text in texts.items():
            self.feature(name, text, lang)

    def conftest_extra(self, source: str) -> None:
        conftest = self.path / "conftest.py"
        conftest.write_text(conftest.read_text(encoding="utf-8") + "\n" + textwrap.dedent(source), encoding="utf-8")

    def with_admin_login(self, monkeypatch: pytest.MonkeyPatch, password: str, *steps: str) -> None:
        """The admin password in the environment and a smoke feature of one admin login scenario that runs `steps`."""
        monkeypatch.setenv("CUTOVER_ADMIN_PASSWORD", password)
        self.feature("smoke", feature("@t15", "smoke", [scenario("t15_admin_login", *steps, name="admin login")]))

    def reports_holding(self, secret: str) -> list[str]:
        """The files of the reports dir whose bytes hold `secret` (relative paths)."""
        return [str(p.relative_to(self.reports)) for p in self.reports.rglob("*")
                if p.is_file() and secret.encode() in p.read_bytes()]

    def steps_ran(self) -> list[str]:
        return self.trace.read_text(encoding="utf-8").split() if self.trace.exists() else []

    def run(self, *args: str, sha: str | None = SHA, target: str = CLOSED_PORT_URL, subprocess: bool = False
            ) -> GateResult:
        full = [f"--target-url={target}", f"--reports-dir={self.reports}", *args]
        if sha:
            full.append(f"--release-sha={sha}")
        (self.reports / "decision.json").unlink(missing_ok=True)  # this run must write its own
        if subprocess:
            res = self.pytester.runpytest_subprocess(*full)
        else:
            res = self.pytester.runpytest_inprocess(*full)
        output = "\n".join(res.outlines + res.errlines)
        path = self.reports / "decision.json"
        written = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        return GateResult(int(res.ret), output, self.reports, res, written)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> GateProject:
    return GateProject(pytester, monkeypatch)


def all_mandatory_ids() -> list[str]:
    return [line.id for line in mandatory_lines()]


def phase_ids(phase: str) -> list[str]:
    return [line.id for line in mandatory_lines() if line.phase == phase]

