"""No verdict depends on timing luck: through the product's latency proxy (200 ms on every call; 0-300 ms of seeded
jitter), every one of 10 runs of the gate against a healthy sandbox gives GO with no trigger raised. The webhook
probes use payouts the PSP will not settle by itself, so the gate never races the PSP's own deliveries."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cutover_proxy import FaultProxy

from .conftest import READY, ROOT, SEEDED, GateRun, Standalone

RUNS = 10


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Standalone]:
    """One standalone sandbox for the module's runs (each run registers its own canary)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}, **SEEDED}
    proc = subprocess.Popen([sys.executable, "-m", "cutover_sandbox", "serve", "--port", "0", "--git-sha",
                             "060f1658c0f32b260ef61eddb625805d5849d8b7"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    info = next((json.loads(line[len(READY):]) for line in proc.stdout if line.startswith(READY)), None)
    assert info, "sandbox did not start"
    try:
        yield Standalone(url=info["url"], dsn=info["dsn"], env=dict(SEEDED))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        proc.stdout.close()


@pytest.mark.parametrize("delay", ["latency 200 ms", "jitter 0-300 ms"])
@pytest.mark.parametrize("attempt", range(RUNS))
def test_the_healthy_decision_under_latency_every_time(delay: str, attempt: int, shared_sandbox: Standalone,
                                                       gate: Callable[..., GateRun], tmp_path: Path) -> None:
    with FaultProxy(shared_sandbox.url) as proxy:
        if delay.startswith("latency"):
            proxy.latency(200)
        else:
            proxy.jitter(300, seed=attempt)
        run = gate(tmp_path / "reports", f"--target-url={proxy.url}", "--env-name=staging",
                   f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}",
                   env={**shared_sandbox.env, "CUTOVER_DB_DSN": shared_sandbox.dsn})
        assert proxy.log, "the run went around the proxy"
    decision = run.decision
    assert decision["decision"] == "GO", (decision["reasons"], run.output[-3000:])
    assert decision["triggers"] == []
    assert run.returncode == 0
