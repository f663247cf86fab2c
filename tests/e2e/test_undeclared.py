"""Nothing unknown passes: a route nobody declared that moves money is named with the money it moved, at the probe and
again by the ledger's last word on T-0; a refusal counts only with proof (a signature code, or a correctly signed
twin the route accepts); an acknowledged route is listed, never judged; and a probe that cannot move money, cut off
at the transport level, blocks no money line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cutover_proxy import FaultProxy

from .conftest import ROOT, GateRun, serve_sandbox


def profile_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return f"--profile={path}"


def evidence(run: GateRun, line: str) -> dict[str, object]:
    data = json.loads((run.reports / "evidence" / f"{line}.json").read_text(encoding="utf-8"))
    found: dict[str, object] = data["result"]["evidence"]
    return found


def test_a_generic_callback_that_credits_by_player_is_named_with_the_money_it_moved(
        gate: Callable[..., GateRun], gate_reports: Path) -> None:
    run = gate(gate_reports, "-m", "t0", faults=("generic_provider_webhook", "openapi_hidden"))
    signature, ledger = run.line("t0_webhook_signature"), run.line("t0_ledger_invariants")
    assert signature["result"] == "FAIL", run.output[-3000:]
    assert "POST /api/v1/payments/webhook/" in signature["message"]
    assert "answered 200" in signature["message"] and "money moved" in signature["message"]
    assert "available +" in signature["message"]
    # the ledger's last word on T-0: the change no kit transaction explains, with the probe and the route behind it
    assert ledger["result"] == "FAIL" and "differ from what the run's own transactions explain" in ledger["message"]
    assert "/api/v1/payments/webhook/" in ledger["message"]
    assert {"security_incident", "ledger_invariant_breach"} <= run.trigger_rows()
    # the gate stopped once a route moved the canary's money: the other providers' paths were not probed
    probed = evidence(run, "t0_webhook_signature")["probed"]
    assert isinstance(probed, list) and len(probed) == 1


def test_an_acknowledged_route_is_listed_not_judged(gate: Callable[..., GateRun], gate_reports: Path,
                                                    tmp_path: Path) -> None:
    profile = profile_file(tmp_path, '[discovery]\nacknowledged = { "/api/v1/webhooks/paypal" = '
                                     '"PayPal verifies through its own API call, ticket PAY-42" }\n')
    run = gate(gate_reports, profile, "-m", "t0", "-k", "money_loop or nobody_declared",
               faults=("webhook_shape_first",))
    assert run.line("t0_webhook_signature")["result"] == "PASS", run.output[-3000:]
    assert evidence(run, "t0_webhook_signature")["acknowledged"] == {
        "/api/v1/webhooks/paypal": "PayPal verifies through its own API call, ticket PAY-42"}


def test_a_refusal_without_a_signature_code_is_proven_by_its_signed_twin(gate: Callable[..., GateRun],
                                                                          gate_reports: Path, tmp_path: Path) -> None:
    """Without the profile's signature codes a 400 proves nothing; the same event correctly signed, accepted by the
    route, proves the 400 was the signature's."""
    profile = profile_file(tmp_path, "[webhooks]\nsignature_codes = []\n")
    run = gate(gate_reports, profile, "-m", "t0", "-k", "money_loop or without_a_signature")
    assert run.line("t0_webhook_signature")["result"] == "PASS", run.output[-3000:]
    judged = evidence(run, "t0_webhook_signature")["judged"]
    assert isinstance(judged, dict) and "its correctly signed twin was accepted" in str(judged["payout missing"])


def test_a_refusal_nothing_proves_leaves_the_line_not_run(gate: Callable[..., GateRun], gate_reports: Path,
                                                          tmp_path: Path) -> None:
    """The same, with a payout secret the platform does not have: the twin is refused too, so the 400 proves
    nothing. The line is NOT_RUN naming the route and its answer, the decision at best PENDING; never a PASS."""
    profile = profile_file(tmp_path, "[webhooks]\nsignature_codes = []\n")
    with serve_sandbox() as box:
        run = gate(gate_reports, profile, "-m", "t0", "-k", "money_loop or without_a_signature",
                   f"--target-url={box.url}", "--env-name=staging",
                   f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}",
                   env={**box.env, "CUTOVER_DB_DSN": box.dsn,
                        "CUTOVER_WEBHOOK_SECRET": "not-the-platforms-webhook-secret-0001"})
    line = run.line("t0_webhook_signature")
    assert line["result"] == "NOT_RUN", run.output[-3000:]
    assert "unproven: POST /api/v1/finance/withdrawals/payout/webhook answered 400" in line["message"]
    assert run.decision["decision"] == "PENDING"


def test_a_reset_on_an_unsigned_probe_blocks_no_money_line(gate: Callable[..., GateRun], gate_reports: Path) -> None:
    """An undeclared route found by the catalogue, whose first unsigned event is cut off by a connection reset:
    nothing that could move money was sent, so the remaining money lines of T-0 still run."""
    with serve_sandbox("webhook_shape_first") as box, FaultProxy(box.url) as proxy:
        proxy.reset(method="POST", path="/api/v1/webhooks/paypal")
        run = gate(gate_reports, "-m", "t0", f"--target-url={proxy.url}", "--env-name=staging",
                   f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}", env={**box.env, "CUTOVER_DB_DSN": box.dsn})
    lines = {c["id"]: c for c in run.decision["checklist"]}
    for lid in ("t0_webhook_timestamp", "t0_webhook_replay", "t0_webhook_classification", "t0_idempotency",
                "t0_ledger_invariants"):
        assert lines[lid]["result"] == "PASS", (lid, lines[lid], run.output[-3000:])
    assert lines["t0_webhook_signature"]["result"] == "NOT_RUN"
    assert "no more money moves" not in json.dumps(run.decision)
