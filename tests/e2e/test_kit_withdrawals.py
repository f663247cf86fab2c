"""The webhook kit leaves nothing held behind, with one withdrawal fewer when it can: the idempotency probe's keyed
withdrawal, still held, is the payout the classification probe fails when that probe runs later in the same run; the
classification probe rejects it in the end. Alone, the idempotency probe rejects it at once. Seen through the
recording proxy (every write) and the platform's own view of the withdrawal afterwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cutover_gate.config.target_profile import load_profile
from cutover_gate.core.redact import Secret
from cutover_gate.target.client import TargetClient
from cutover_proxy import FaultProxy

from .conftest import ROOT, GateRun, Standalone


def _run(gate: Callable[..., GateRun], reports: Path, sandbox: Standalone, marker: str) -> tuple[GateRun, list[str]]:
    """The gate with `marker` through the recording proxy: its run, and its writes ("POST /path")."""
    with FaultProxy(sandbox.url) as proxy:
        run = gate(reports, f"--target-url={proxy.url}", "--env-name=staging",
                   f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}", "-m", marker,
                   env={**sandbox.env, "CUTOVER_DB_DSN": sandbox.dsn})
        writes = [f"{e.method} {e.path.split('?')[0]}" for e in proxy.log if e.method not in ("GET", "HEAD", "OPTIONS")]
    return run, writes


def _state(sandbox: Standalone, tx_id: str) -> str:
    """The withdrawal's state as the platform shows it to the admin."""
    target = TargetClient(sandbox.url, load_profile(None))
    try:
        login = target.call("admin_login", email=sandbox.env["CUTOVER_ADMIN_EMAIL"],
                            password=sandbox.env["CUTOVER_ADMIN_PASSWORD"])
        admin = Secret(str(login.ok("admin login").answer("token")), "admin token")
        return str(target.call("payout_status", admin=admin, tx_id=tx_id).ok("payout status").answer("state"))
    finally:
        target.close()


def test_one_withdrawal_serves_both_probes_and_ends_rejected(gate: Callable[..., GateRun], tmp_path: Path,
                                                             standalone_sandbox: Standalone) -> None:
    run, writes = _run(gate, tmp_path / "both", standalone_sandbox, "t0_idempotency or t0_webhook_classification")

    assert {run.line(line)["result"] for line in ("t0_idempotency", "t0_webhook_classification")} == {"PASS"}, \
        run.output[-3000:]
    keyed = run.line("t0_idempotency")["evidence"]["keyed_withdrawal_tx"]
    assert run.line("t0_webhook_classification")["evidence"]["failed_payout_tx"] == keyed
    # the keyed withdrawal, its replay and the conflicting body: no other withdrawal is requested
    assert sum(w.endswith("/wallet/withdraw") for w in writes) == 3
    # approved, paid out, failed by the PSP's event, then rejected: every admin action is on that withdrawal
    on = f"POST /api/v1/finance/withdrawals/{keyed}"
    assert [w for w in writes if "/finance/withdrawals/" in w] == [
        f"{on}/review", f"{on}/payout", "POST /api/v1/finance/withdrawals/payout/webhook", f"{on}/review"]
    assert _state(standalone_sandbox, keyed) == "rejected"


def test_alone_the_idempotency_probe_rejects_its_withdrawal(gate: Callable[..., GateRun], tmp_path: Path,
                                                            standalone_sandbox: Standalone) -> None:
    run, writes = _run(gate, tmp_path / "alone", standalone_sandbox, "t0_idempotency")

    assert run.line("t0_idempotency")["result"] == "PASS", run.output[-3000:]
    keyed = run.line("t0_idempotency")["evidence"]["keyed_withdrawal_tx"]
    assert [w for w in writes if "/finance/withdrawals/" in w] == [f"POST /api/v1/finance/withdrawals/{keyed}/review"]
    assert sum(w.endswith("/wallet/withdraw") for w in writes) == 3
    assert _state(standalone_sandbox, keyed) == "rejected"
