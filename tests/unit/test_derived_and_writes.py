"""The derived canary-report line, undeclared-route discovery, and the plan's list of writes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from cutover_gate.checks import discovery, kit
from cutover_gate.checks.writes import DISCOVERED, planned_writes
from cutover_gate.config.settings import resolve
from cutover_gate.core.catalogue import MONEY_LOOP
from cutover_gate.decide.derived import canary_report_line
from cutover_gate.evidence.model import LineResult, Result

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"canary_player_id": "p", "deposit_tx_id": "d", "withdraw_tx_id": "w", "approved_at": "t1", "paid_at": "t2",
          "held_final": "0.00", "available_final": "5.00"}


def loop(result: Result = Result.PASS) -> dict[str, LineResult]:
    out = {lid: LineResult(lid, result, at="2026-01-01T10:00:00Z") for lid in MONEY_LOOP}
    out["t0_deposit"].evidence.update(FIELDS)
    return out


def test_the_canary_report_needs_the_loop_the_fields_and_its_closing_scenario() -> None:
    results = loop()
    assert canary_report_line(results).result is Result.NOT_RUN  # the footprint was not read
    results["t0_canary_report"] = LineResult("t0_canary_report", Result.PASS, at="2026-01-01T10:05:00Z",
                                             evidence={"footprint": {"held": "0.00"}})
    done = canary_report_line(results)
    assert done.result is Result.PASS and done.at == "2026-01-01T10:05:00Z"
    assert done.evidence["footprint"] == {"held": "0.00"} and done.evidence["canary_report"] == "canary_report.md"
    results["t0_canary_report"] = LineResult("t0_canary_report", Result.FAIL, message="list answered 500")
    failed = canary_report_line(results)
    assert failed.result is Result.FAIL and "list answered 500" in failed.message
    assert canary_report_line(loop(Result.FAIL)).result is Result.FAIL
    assert canary_report_line({}).result is Result.NOT_RUN


def test_routes_are_matched_by_a_word_of_their_path() -> None:
    routes = [discovery.Route(p, ("POST",)) for p in ("/api/v1/debug/reset-wallets", "/api/v1/payments/psp2/callback",
                                                      "/api/v1/verify/email/confirm", "/api/v1/kyc/documents")]
    seeds = discovery.matching(routes, ["seed", "reset", "test", "debug", "ci"])
    hooks = discovery.matching(routes, ["webhook", "callback"])
    assert [r.path for r in seeds] == ["/api/v1/debug/reset-wallets"]  # "kyc" or "documents" hold no "ci" word
    assert [r.path for r in hooks] == ["/api/v1/payments/psp2/callback"]
    assert discovery.Route("/hooks/{provider}/notify", ("POST",)).parameters == ["provider"]
    assert discovery.declared_paths(["POST /api/v1/test/seed", "/x"]) == ["/api/v1/test/seed", "/x"]


def settings(env_name: str, **env: str) -> object:
    option = SimpleNamespace(target_url="http://127.0.0.1:9", cutover_file=str(ROOT / "fixtures" / "cutover.toml"),
                             release_sha=None, decider=None, reports_dir=None, env_name=env_name, lang="en",
                             profile=None, plan=True)
    return resolve(option, ROOT)


@pytest.fixture
def no_canary_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CUTOVER_CANARY_EMAIL", "CUTOVER_CANARY_PASSWORD", "CUTOVER_TARGET_URL"):
        monkeypatch.delenv(var, raising=False)


SCENARIOS = [(("t15_admin_login",), {}), (("t15_dashboard_loads",), {}),
             (("t0_deposit", "t0_withdraw_request", "t0_admin_approve", "t0_mark_paid", "t0_ledger_settlement"), {}),
             (("t0_psp_deposit",), {}),
             (("t0_webhook_signature",), {}),
             (("t0_webhook_signature", "undeclared_routes"), {}),
             (("t0_webhook_replay",), {}),
             (("t0_webhook_classification",), {})]


def test_staging_plan_registers_once_and_funds_nothing_the_loop_already_completed(no_canary_env: None) -> None:
    writes = planned_writes(settings("staging"), SCENARIOS)  # type: ignore[arg-type]
    paths = [w.path for w in writes]
    assert paths.count("/api/v1/auth/login") == 2  # the login check is the session, and a wrong password
    assert paths.count("/api/v1/auth/player/register") == 1
    # the canary's, its replay, the PSP path's, one fresh subject per deposit-completing webhook route to replay
    assert paths.count("/api/v1/player/wallet/deposit") == 5
    assert DISCOVERED in paths
    assert [w.amount for w in writes if w.path.endswith("/deposit")] == ["10.00", "10.00", "1.00", "1.00", "1.00"]


def test_prod_plan_registers_nobody_and_replays_only_completed_transactions(
        no_canary_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUTOVER_CANARY_EMAIL", "canary@ops.invalid")
    monkeypatch.setenv("CUTOVER_CANARY_PASSWORD", "Canary-pass-1234")
    writes = planned_writes(settings("prod"), SCENARIOS)  # type: ignore[arg-type]
    paths = [w.path for w in writes]
    assert "/api/v1/auth/player/register" not in paths and paths.count("/api/v1/auth/player/login") == 1
    # the canary's deposit, its replay and the PSP path's (completed by the PSP alone): no fresh replay subjects
    assert paths.count("/api/v1/player/wallet/deposit") == 3
    assert not any(w.why.startswith("a fresh deposit") for w in writes)
    stripe = [w for w in writes if w.path.endswith("/webhook/stripe")]
    valid = [w for w in stripe if "must be refused" not in w.why]
    assert len(valid) == 2 and all("completed" in w.why or "replayed" in w.why for w in valid)


def test_a_payout_flow_without_a_psp_event_plans_no_payout_webhook_probe(no_canary_env: None) -> None:
    """As the steps do (kit.payout_flow_blocks): with flows.payout = sync the replay and classification probes of the
    payout route have no subject, so the plan lists none of their writes."""
    option = SimpleNamespace(target_url="http://127.0.0.1:9", release_sha=None, decider=None, reports_dir=None,
                             cutover_file=str(ROOT / "fixtures" / "casino.cutover.toml"), env_name="staging",
                             lang="en", profile=str(ROOT / "fixtures" / "profiles" / "casino.toml"), plan=True)
    casino = resolve(option, ROOT)
    assert casino.profile.flows.payout == "sync"
    writes = planned_writes(casino, [(("t0_webhook_replay",), {}), (("t0_webhook_classification",), {})])
    assert [w.why for w in writes if "payout" in w.why] == []
    assert any(w.why == "the stripe event replayed (no second effect)" for w in writes)  # the other routes still are


def test_the_idempotency_probes_withdrawal_is_the_classifications_payout_only_when_that_probe_follows(
        no_canary_env: None) -> None:
    """One withdrawal and one reject fewer on the platform when both probes run, idempotency first (as the steps do:
    steps/idempotency.py leaves its withdrawal held, steps/webhooks.py `held_payout` takes it); otherwise each makes
    its own and leaves nothing held."""
    idempotency: tuple[tuple[str, ...], dict[str, str]] = (("t0_idempotency",), {})
    classification: tuple[tuple[str, ...], dict[str, str]] = (("t0_webhook_classification",), {})

    def whys(*scenarios: tuple[tuple[str, ...], dict[str, str]]) -> list[str]:
        staging = settings("staging")
        return [w.why for w in planned_writes(staging, [(("t0_deposit",), {}), *scenarios])]  # type: ignore[arg-type]

    shared = whys(idempotency, classification)
    assert kit.PROBE_REJECT.why not in shared and kit.HELD_WITHDRAW.why not in shared
    assert shared.count(kit.SPARE_APPROVE.why) == 1 and shared.count(kit.FAILED_REJECT.why) == 1
    assert shared.index(kit.KEYED_WITHDRAW.why) < shared.index(kit.SPARE_APPROVE.why) < shared.index(
        kit.FAILED_EVENT.why)
    for alone in (whys(idempotency), whys(classification, idempotency)):  # nothing later takes it: rejected at once
        assert alone.count(kit.PROBE_REJECT.why) == 1 and kit.SPARE_APPROVE.why not in alone
    assert kit.HELD_WITHDRAW.why in whys(classification, idempotency)
