"""A target that dies or hangs gets its verdict without waiting: once it is shown unreachable every later scenario
is refused at once, naming when and why; a write with no answer blocks every later writer; a withdraw with no answer
raises the rollback matrix's payout/withdraw row. Proven through the product's fault proxy (timings: bench/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cutover_proxy import FaultProxy

from .conftest import ROOT, GateRun, Standalone

WITHDRAW = "/api/v1/player/wallet/withdraw"


@pytest.fixture
def proxy(standalone_sandbox: Standalone) -> Iterator[FaultProxy]:
    with FaultProxy(standalone_sandbox.url) as p:
        yield p


def run_through(gate: Callable[..., GateRun], reports: Path, proxy: FaultProxy, sandbox: Standalone) -> GateRun:
    return gate(reports, "-m", "t15 or t0", f"--target-url={proxy.url}", "--env-name=staging",
                f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}",
                env={**sandbox.env, "CUTOVER_DB_DSN": sandbox.dsn})


def test_a_target_dying_mid_canary_blocks_the_rest_at_once(gate: Callable[..., GateRun], gate_reports: Path,
                                                           proxy: FaultProxy, standalone_sandbox: Standalone) -> None:
    proxy.die_after(1, path=WITHDRAW)  # the withdraw is answered, then nothing is

    run = run_through(gate, gate_reports, proxy, standalone_sandbox)

    decision = run.decision
    assert decision["decision"] == "NO-GO" and run.returncode != 0
    assert decision["phases"]["t15"] == "PASS"
    lines = {c["id"]: c for c in decision["checklist"]}
    assert lines["t0_deposit"]["result"] == "PASS"  # proven before the target died
    blocked = [c for c in lines.values() if "blocked: target unreachable since " in c["message"]]
    assert blocked and all(c["result"] == "FAIL" for c in blocked)
    assert {"t0_webhook_replay", "t0_idempotency"} <= {c["id"] for c in blocked}
    # nothing like every scenario trying the dead target in turn (discovery's bodiless OPTIONS, bounded on their
    # own and sent beside the money loop, are not scenarios)
    calls = [e for e in proxy.log if e.method != "OPTIONS"]
    after_death = [e for e in calls if e.outcome == "refused"]
    assert len(calls) - len(after_death) < 60


def test_a_hung_withdraw_blocks_every_later_writer_and_raises_the_payout_row(
        gate: Callable[..., GateRun], gate_reports: Path, proxy: FaultProxy, standalone_sandbox: Standalone) -> None:
    proxy.hang(method="POST", path=WITHDRAW)

    run = run_through(gate, gate_reports, proxy, standalone_sandbox)

    decision = run.decision
    assert decision["decision"] == "NO-GO"
    lines = {c["id"]: c for c in decision["checklist"]}
    assert lines["t0_withdraw_request"]["result"] == "FAIL"
    for lid in ("t0_webhook_replay", "t0_webhook_classification", "t0_idempotency"):
        assert lines[lid]["result"] == "NOT_RUN", lines[lid]
        assert lines[lid]["message"].startswith("blocked: "), lines[lid]["message"]
    assert lines["t0_ledger_invariants"]["result"] == "PASS"  # read-only checks still run
    assert sum(1 for e in proxy.log if e.outcome == "hang") == 1  # one hung call, never a second
    rows = {t["row"] for t in decision["triggers"]}
    assert "payout_withdraw_http_error" in rows
