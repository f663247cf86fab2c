"""Run the gate as a user does (`pytest` in the project root, a subprocess) against the embedded sandbox."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class GateRun:
    returncode: int
    output: str
    reports: Path

    @property
    def decision(self) -> dict[str, Any]:
        return json.loads((self.reports / "decision.json").read_text(encoding="utf-8"))

    def line(self, line_id: str) -> dict[str, Any]:
        return next(c for c in self.decision["checklist"] if c["id"] == line_id)

    def trigger_rows(self) -> set[str]:
        return {t["row"] for t in self.decision["triggers"]}

    def caught(self, fault: Any) -> None:
        """The run answered the fault as the catalogue says (`Fault.expect`): its line FAILs with its trigger row
        (NO-GO); its line is NOT_RUN, never PASS, and the decision PENDING; or, for a condition that is no defect,
        its line PASSes and nothing is raised."""
        decision, line = self.decision, self.line(fault.line)
        shown = (line, self.output[-3000:])
        if fault.expect == "FAIL":
            assert decision["decision"] == "NO-GO", shown
            assert line["result"] == "FAIL", shown
            if fault.trigger:
                assert fault.trigger in self.trigger_rows(), decision["triggers"]
            assert self.returncode != 0
        elif fault.expect == "NOT_RUN":
            assert line["result"] == "NOT_RUN" and line["message"], shown
            assert decision["decision"] == "PENDING" and decision["triggers"] == [], shown
        else:
            assert line["result"] == "PASS", shown
            assert decision["decision"] == "GO" and decision["triggers"] == [], shown
            assert self.returncode == 0, shown


def run_gate(reports: Path, *args: str, faults: tuple[str, ...] = (), env: dict[str, str] | None = None,
             timeout: float = 600) -> GateRun:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("CUTOVER_", "RELEASE_SHA", "PYTEST_"))}
    full_env["CUTOVER_SANDBOX_FAULTS"] = ",".join(faults)
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "pytest", f"--reports-dir={reports}", "-p", "no:cacheprovider", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout, check=False)
    return GateRun(proc.returncode, proc.stdout + proc.stderr, reports)


@pytest.fixture
def gate_reports(tmp_path: Path) -> Path:
    return tmp_path / "reports"


@pytest.fixture
def gate() -> Callable[..., GateRun]:
    """Runs the gate in a subprocess: `gate(reports_dir, *pytest_args, faults=(...), env={...})`."""
    return run_gate


@dataclass
class Standalone:
    url: str
    dsn: str
    env: dict[str, str]


READY = "CUTOVER_SANDBOX_READY "
SEEDED = {
    "CUTOVER_ADMIN_EMAIL": "ops-admin@gate-test.local",
    "CUTOVER_ADMIN_PASSWORD": "Zq8-unique-admin-passphrase-4417",
    "CUTOVER_WEBHOOK_SECRET": "payout-secret-unique-91d3c7aa55",
    "CUTOVER_ADYEN_HMAC_KEY": "756E697175652D616479656E2D686D61632D6B65792D666F722D676174652D37",
    "CUTOVER_STRIPE_WEBHOOK_SECRET": "whsec_unique_stripe_secret_5c2e9b",
}


@contextlib.contextmanager
def serve_sandbox(*faults: str, extra: dict[str, str] | None = None) -> Iterator[Standalone]:
    """`cutover-sandbox serve` as a user starts it (with the given faults and `extra` settings), seeded with distinctive
    secrets; stopped with SIGTERM."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}, **SEEDED, **(extra or {})}
    args = [arg for fault in faults for arg in ("--fault", fault)]
    proc = subprocess.Popen([sys.executable, "-m", "cutover_sandbox", "serve", "--port", "0", "--git-sha",
                             "060f1658c0f32b260ef61eddb625805d5849d8b7", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    info: dict[str, Any] = {}
    try:
        for line in proc.stdout:
            if line.startswith(READY):
                info = json.loads(line[len(READY):])
                break
        assert info, "sandbox did not start"
        yield Standalone(url=info["url"], dsn=info["dsn"], env=dict(SEEDED))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        proc.stdout.close()


@pytest.fixture
def standalone_sandbox() -> Iterator[Standalone]:
    """`cutover-sandbox serve` as a user starts it, seeded with distinctive secrets; stopped with SIGTERM."""
    with serve_sandbox() as sandbox:
        yield sandbox
