"""`cutover-sandbox serve` and its dialect: read from `CUTOVER_SANDBOX_DIALECT` by serve itself (the gate starts it
with no option for it), `--dialect` winning, the READY line saying which, an unknown one refused at start."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

from cutover_sandbox import dialects, faults

CLI = [sys.executable, "-m", "cutover_sandbox"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (faults.ENV_VAR, dialects.ENV_VAR)}
    return {**env, **extra}


def _serve(args: list[str], env: dict[str, str]) -> tuple[dict[str, Any], subprocess.Popen[str]]:
    proc = subprocess.Popen([*CLI, "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            proc.wait(timeout=10)
            raise AssertionError(f"serve exited early: {proc.stderr.read() if proc.stderr else ''}")
        if line.startswith("CUTOVER_SANDBOX_READY "):
            return json.loads(line.split(" ", 1)[1]), proc
    proc.kill()
    proc.wait()
    raise AssertionError("serve never said READY")


def _stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return proc.stderr.read() if proc.stderr else ""


def test_serve_reads_the_dialect_from_the_environment() -> None:
    ready, proc = _serve(["--port", "0"], _env(**{dialects.ENV_VAR: "alt"}))
    try:
        assert ready["dialect"] == "alt"
        http = requests.Session()
        http.trust_env = False
        assert http.get(ready["url"] + "/status/health", timeout=5).json()["state"] == "UP"
        assert http.get(ready["url"] + "/api/health", timeout=5).status_code == 404
    finally:
        stderr = _stop(proc)
    assert "Traceback" not in stderr


def test_the_dialect_option_wins_over_the_environment() -> None:
    """An unusable environment value is not even read when --dialect is given: the start goes on (to the port, which
    is busy here, so nothing else starts) instead of stopping at the dialect."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([*CLI, "serve", "--dialect", "default", "--port", str(port)], capture_output=True,
                                text=True, env=_env(**{dialects.ENV_VAR: "nope"}), timeout=60)
    assert result.returncode == 1 and "port busy" in result.stderr and "dialect" not in result.stderr


@pytest.mark.parametrize(("args", "env"), [
    (["--dialect", "nope"], {}),
    ([], {dialects.ENV_VAR: "nope"}),
    (["--dialect", "nope", "--fault", "health_unhealthy"], {dialects.ENV_VAR: "alt"}),
], ids=["option", "environment", "option-over-environment"])
def test_an_unknown_dialect_exits_2_listing_the_known_ones(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run([*CLI, "serve", *args], capture_output=True, text=True, env=_env(**env), timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "nope" in lines[0] and all(name in lines[0] for name in dialects.DIALECTS)
    assert result.stdout == ""


def test_faults_listing_is_the_same_under_either_dialect() -> None:
    plain = subprocess.run([*CLI, "faults", "--json"], capture_output=True, text=True, check=True, timeout=60,
                           env=_env()).stdout
    alt = subprocess.run([*CLI, "faults", "--json"], capture_output=True, text=True, check=True, timeout=60,
                         env=_env(**{dialects.ENV_VAR: "alt"})).stdout
    assert plain == alt and [entry["name"] for entry in json.loads(alt)] == [f.name for f in faults.CATALOGUE]
