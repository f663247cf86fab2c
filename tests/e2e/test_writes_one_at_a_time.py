"""Reads go beside each other and beside the scenarios; writes never do. A whole run (registration, the money loop,
the webhook kit, idempotency) through the recording proxy with latency on every request, so that two requests sent
together are seen overlapping: no write overlaps another, apart from the forged webhook probes a scenario sends
together (each refused, none can move money on a correct platform)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from cutover_proxy import FaultProxy
from cutover_proxy.recording import Exchange

from .conftest import ROOT, GateRun, Standalone

WRITES = ("POST", "PUT", "PATCH", "DELETE")
WEBHOOK_PATHS = ("/webhook",)


def span(exchange: Exchange) -> tuple[float, float]:
    start = datetime.fromisoformat(exchange.at.replace("Z", "+00:00")).timestamp()
    return start, start + exchange.duration_ms / 1000


def forged_probe(exchange: Exchange) -> bool:
    """A refused event to a webhook route: the signature and timestamp probes, sent together by design."""
    status = exchange.status
    return any(part in exchange.path for part in WEBHOOK_PATHS) and status is not None and 400 <= status < 500


def overlapping(log: list[Exchange]) -> list[tuple[str, str]]:
    writes = sorted((w for w in log if w.method in WRITES), key=lambda w: span(w)[0])
    found = []
    for i, first in enumerate(writes):
        first_end = span(first)[1]
        for second in writes[i + 1:]:
            if span(second)[0] >= first_end - 0.001:
                break
            if not (forged_probe(first) and forged_probe(second)):
                found.append((f"{first.method} {first.path} {first.outcome}",
                              f"{second.method} {second.path} {second.outcome}"))
    return found


def test_no_write_is_sent_beside_another(gate: Callable[..., GateRun], tmp_path: Path,
                                          standalone_sandbox: Standalone) -> None:
    env = {**standalone_sandbox.env, "CUTOVER_DB_DSN": standalone_sandbox.dsn}
    with FaultProxy(standalone_sandbox.url) as proxy:
        proxy.latency(40)
        run = gate(tmp_path / "reports", f"--target-url={proxy.url}", "--env-name=staging",
                   f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}", "-m", "t60 or t30 or t15 or t0", env=env)
        log = list(proxy.log)
    assert run.returncode == 0, run.output[-3000:]
    writes = [e for e in log if e.method in WRITES]
    assert len(writes) > 30 and any(forged_probe(e) for e in writes)  # the run wrote, and probed, through the proxy
    assert overlapping(log) == []
    reads_together = [e for e in log if e.method == "GET"]
    starts = sorted(span(e)[0] for e in reads_together)
    assert any(b - a < 0.02 for a, b in itertools.pairwise(starts)), "no two reads went together"
