"""Run the gate as a user does (`pytest` in the project root, a subprocess) against the embedded sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def run_gate(reports: Path, *args: str, faults: tuple[str, ...] = (), env: dict[str, str] | None = None,
             timeout: float = 600) -> GateRun:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("CUTOVER_", "RELEASE_SHA", "PYTEST_"))}
    full_env["CUTOVER_SANDBOX_FAULTS"] = ",".join(faults)
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "pytest", "--reports-dir", str(reports), "-p", "no:cacheprovider", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout, check=False)
    return GateRun(proc.returncode, proc.stdout + proc.stderr, reports)


@pytest.fixture
def gate_reports(tmp_path: Path) -> Path:
    return tmp_path / "reports"
