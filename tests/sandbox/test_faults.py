"""Every fault of the catalogue, observed from outside: one small test each, on its own fresh database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from cutover_gate.core.catalogue import LINES_BY_ID, TRIGGERS_BY_ID
from cutover_pg import find_tool
from cutover_sandbox import DEFAULT_GIT_SHA, faults, migrate
from cutover_sandbox.pg import PgCluster
from cutover_sandbox.server import Sandbox

from .sandbox_support import (
    DEFAULT_SETTINGS_QUIET,
    Api,
    Player,
    adyen_notification,
    payout_event,
    payout_webhook_headers,
    stripe_event,
    stripe_headers,
)

D = Decimal
MakeApi = Callable[..., Api]
JSON = {"Content-Type": "application/json"}


def test_catalogue_names_real_checklist_lines_and_trigger_rows() -> None:
    for fault in faults.CATALOGUE:
        assert fault.line in LINES_BY_ID, fault
        assert fault.trigger is None or fault.trigger in TRIGGERS_BY_ID, fault
        assert fault.description and fault.expect in faults.EXPECTS
        assert fault.expect == "FAIL" or fault.trigger is None, fault  # only a defect raises a rollback row


def test_expect_defaults_to_fail_is_validated_and_shown_in_the_table() -> None:
    assert faults.Fault("x", "t0_deposit", None, "d").expect == "FAIL"
    with pytest.raises(ValueError, match="PASS"):
        faults.Fault("x", "t0_deposit", None, "d", expect="PASS")
    assert {f.name: f.expect for f in faults.CATALOGUE if f.expect != "FAIL"} == {
        "openapi_hidden": "GO", "webhook_shape_first": "NOT_RUN", "catch_all_200": "NOT_RUN",
        "password_reset_routes": "GO", "risk_engine_strict": "NOT_RUN"}
    header, *rows = faults.table().splitlines()
    assert header.split() == ["NAME", "LINE", "TRIGGER", "EXPECT", "DIALECTS", "DESCRIPTION"]
    assert [row.split()[:5] for row in rows] == [[f.name, f.line, f.trigger or "-", f.expect, ",".join(f.dialects)]
                                                 for f in faults.CATALOGUE]


def test_dialects_default_to_the_contracts_and_alt_and_are_validated() -> None:
    assert faults.Fault("x", "t0_deposit", None, "d").dialects == ("default", "alt")
    for wrong in ((), ("default", "nope")):
        with pytest.raises(ValueError, match="dialects"):
            faults.Fault("x", "t0_deposit", None, "d", dialects=wrong)
    assert {f.name for f in faults.CATALOGUE if f.dialects == ("casino",)} == {
        "admin_ui_payout_500", "sync_payout_keeps_hold", "confirm_always_ok_false", "risk_engine_strict"}
    assert [f.name for f in faults.for_dialect("default")] == [f.name for f in faults.CATALOGUE
                                                               if "default" in f.dialects and f.layer == "platform"]


def test_the_monitoring_layers_faults_are_refused_by_the_sandbox_and_left_out_of_its_matrices() -> None:
    monitoring = [f.name for f in faults.of_monitoring()]
    assert monitoring == ["alert_rule_missing", "alert_rule_broken", "alertmanager_detached", "alerts_go_nowhere",
                          "critical_alert_firing"]  # each caught in tests/e2e/test_prometheus_alerting.py
    served = {f.name for dialect in ("default", "alt", "casino") for f in faults.for_dialect(dialect)}
    assert not served & set(monitoring)
    with pytest.raises(faults.NotThePlatforms, match="alert_rule_missing are the monitoring stack's"):
        Sandbox(faults=["alert_rule_missing"])
    with pytest.raises(faults.UnknownFault, match="monitoring stack's"):  # the CLI answers it as a usage error
        faults.check_dialect(["health_unhealthy", "critical_alert_firing"], "default")
    with pytest.raises(ValueError, match="layer 'nope'"):
        faults.Fault("x", "t0_deposit", None, "d", layer="nope")


def test_every_fault_has_a_test_here() -> None:
    tests = {name.removeprefix("test_fault_") for name in dir(sys.modules[__name__]) if name.startswith("test_fault_")}
    assert tests == {fault.name for fault in faults.for_dialect("default")}  # the casino dialect's own: elsewhere


def test_unknown_faults_are_refused_before_anything_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(faults.UnknownFault, match="known faults: payouts_router_missing"):
        Sandbox(faults=["no_such_fault"])
    monkeypatch.setenv(faults.ENV_VAR, "health_unhealthy, nope")
    with pytest.raises(faults.UnknownFault, match="nope"):
        Sandbox()
    monkeypatch.setenv(faults.ENV_VAR, "health_unhealthy,cors_wildcard")
    assert Sandbox().faults.names == ("health_unhealthy", "cors_wildcard")


def _card_deposit(api: Api) -> tuple[Player, str, bytes]:
    """A new player's 10.00 card deposit, waiting for Stripe (a quiet sandbox's PSP never answers), and the Stripe
    event (unsigned) that completes it."""
    player = api.new_player()
    tx_id = api.deposit(player, "10.00", method="card").json()["transaction"]["id"]
    return player, tx_id, stripe_event(tx_id, 1000)


def _payout_requested(api: Api) -> tuple[str, Player]:
    """An approved withdrawal whose payout the admin has asked the PSP for (a quiet sandbox's PSP never answers)."""
    tx_id, player = api.approved_withdrawal()
    api.post(f"/api/v1/finance/withdrawals/{tx_id}/payout", token=api.admin, key="po")
    return tx_id, player


def test_fault_payouts_router_missing(make_api: MakeApi) -> None:
    api = make_api("payouts_router_missing")
    assert api.request("OPTIONS", "/api/v1/payouts/initiate").status_code == 404
    tx_id, _ = api.approved_withdrawal()
    assert api.get(f"/api/v1/payouts/status/{tx_id}", token=api.admin).status_code == 404


def test_fault_health_unhealthy(make_api: MakeApi) -> None:
    r = make_api("health_unhealthy").get("/api/health")
    assert r.status_code == 200 and r.json()["status"] == "degraded"


def test_fault_admin_login_broken(make_api: MakeApi) -> None:
    api = make_api("admin_login_broken")
    r = api.post("/api/v1/auth/login", json={"email": "admin@sandbox.local", "password": "whatever"})
    assert r.status_code == 500


def test_fault_withdraw_5xx(make_api: MakeApi) -> None:
    api = make_api("withdraw_5xx")
    player = api.funded_player("20.00")
    assert api.withdraw(player, "5.00").status_code == 500
    assert api.balance(player) == {"available_real": D("20.00"), "held_real": D("0.00"), "total_real": D("20.00")}
    assert api.scalar("SELECT count(*) FROM transactions WHERE type = 'withdrawal'") == 0


def test_fault_migration_behind(make_api: MakeApi) -> None:
    api = make_api("migration_behind")
    r = api.get("/api/readiness")
    assert r.status_code == 503 and r.json()["dependencies"]["migrations"] == "behind"
    assert r.json()["alembic"] == {"db": migrate.previous(migrate.head()), "head": migrate.head()}
    assert api.scalar("SELECT version_num FROM alembic_version") == migrate.previous(migrate.head())


def test_fault_mark_paid_keeps_hold(make_api: MakeApi) -> None:
    api = make_api("mark_paid_keeps_hold")
    tx_id, player = api.approved_withdrawal()
    r = api.mark_paid(tx_id)
    assert r.status_code == 200 and r.json()["transaction"]["state"] == "paid"
    assert api.balance(player)["held_real"] == D("10.00")
    assert "held != open withdrawals" in api.ledger_violations()


def test_fault_deposit_double_credit_on_replay(make_api: MakeApi) -> None:
    api = make_api("deposit_double_credit_on_replay")
    player = api.new_player()
    first = api.deposit(player, "10.00", key="same-key")
    again = api.deposit(player, "10.00", key="same-key")
    assert first.json()["transaction"]["id"] == again.json()["transaction"]["id"]
    assert api.balance(player)["available_real"] == D("20.00")
    assert api.scalar("SELECT count(*) FROM ledger_movements WHERE kind = 'deposit_credit'") == 2
    assert "movement does not sum to zero" not in api.ledger_violations()


def test_fault_release_sha_mismatch(make_api: MakeApi) -> None:
    sha = make_api("release_sha_mismatch").get("/api/version").json()["git_sha"]
    assert re.fullmatch(r"[0-9a-f]{40}", sha) and sha != DEFAULT_GIT_SHA


def test_fault_cors_wildcard(make_api: MakeApi) -> None:
    api = make_api("cors_wildcard")
    r = api.request("OPTIONS", "/api/v1/auth/login", headers={"Origin": "https://evil.example",
                                                               "Access-Control-Request-Method": "POST"})
    assert r.headers.get("access-control-allow-origin") in ("*", "https://evil.example")


def test_fault_bootstrap_endpoint_open(make_api: MakeApi) -> None:
    api = make_api("bootstrap_endpoint_open")
    assert api.post("/api/v1/admin/bootstrap", json={}).status_code == 422
    r = api.post("/api/v1/admin/bootstrap", json={"email": "intruder@evil.example", "password": "pw"})
    assert r.status_code == 200
    assert api.post("/api/v1/auth/login", json={"email": "intruder@evil.example", "password": "pw"}).status_code == 200


def test_fault_migration_failure(make_api: MakeApi) -> None:
    api = make_api("migration_failure")
    r = api.get("/api/readiness")
    assert r.status_code == 503 and r.json()["dependencies"]["migrations"] == "failed"
    assert r.json()["alembic"]["db"] == migrate.UNKNOWN_REVISION
    assert api.scalar("SELECT version_num FROM alembic_version") == migrate.UNKNOWN_REVISION


def test_fault_deposit_stuck_pending(make_api: MakeApi) -> None:
    api = make_api("deposit_stuck_pending")
    player = api.new_player()
    tx_id = api.deposit(player, "10.00", method="card").json()["transaction"]["id"]
    time.sleep(1.0)  # the healthy PSP delivers after 0.3 s
    assert api.tx_state(player, tx_id) == "pending_provider"
    assert api.scalar("SELECT count(*) FROM webhook_events") == 0


def test_fault_withdraw_no_hold(make_api: MakeApi) -> None:
    api = make_api("withdraw_no_hold")
    player = api.funded_player("20.00")
    assert api.withdraw(player, "5.00").status_code == 200
    assert api.balance(player) == {"available_real": D("15.00"), "held_real": D("0.00"), "total_real": D("15.00")}
    assert "held != open withdrawals" in api.ledger_violations()


def test_fault_ledger_unbalanced(make_api: MakeApi) -> None:
    api = make_api("ledger_unbalanced")
    player = api.funded_player("20.00")
    assert api.balance(player)["available_real"] == D("20.00")
    assert "movement does not sum to zero" in api.ledger_violations()


def test_fault_webhook_accepts_bad_signature(make_api: MakeApi) -> None:
    api = make_api("webhook_accepts_bad_signature", settings=DEFAULT_SETTINGS_QUIET)
    player, _card, body = _card_deposit(api)
    assert api.post("/api/v1/payments/webhook/stripe", data=body, headers=stripe_headers(body, secret="x")).ok
    adyen = api.deposit(player, "5.00", method="adyen").json()["transaction"]["id"]
    r = api.post("/api/v1/payments/adyen/webhook", data=adyen_notification(adyen, 500, signature=None), headers=JSON)
    assert r.ok
    assert api.balance(player)["available_real"] == D("15.00")
    tx_id, _ = _payout_requested(api)
    r = api.post("/api/v1/finance/withdrawals/payout/webhook", data=payout_event(tx_id), headers=JSON)
    assert r.ok and api.payout_status(tx_id) == "paid"


def test_fault_webhook_accepts_stale_timestamp(make_api: MakeApi) -> None:
    api = make_api("webhook_accepts_stale_timestamp", settings=DEFAULT_SETTINGS_QUIET)
    player, _card, body = _card_deposit(api)
    stale = int(time.time()) - 3600
    assert api.post("/api/v1/payments/webhook/stripe", data=body, headers=stripe_headers(body, timestamp=stale)).ok
    assert api.balance(player)["available_real"] == D("10.00")
    wd, _ = _payout_requested(api)
    body = payout_event(wd)
    r = api.post("/api/v1/finance/withdrawals/payout/webhook", data=body,
                 headers=payout_webhook_headers(body, timestamp=stale))
    assert r.ok and api.payout_status(wd) == "paid"


def test_fault_webhook_replay_double_effect(make_api: MakeApi) -> None:
    api = make_api("webhook_replay_double_effect", settings=DEFAULT_SETTINGS_QUIET)
    player, _card, body = _card_deposit(api)
    for _ in range(2):
        assert api.post("/api/v1/payments/webhook/stripe", data=body, headers=stripe_headers(body)).ok
    assert api.balance(player)["available_real"] == D("20.00")


def test_fault_webhook_failed_treated_as_paid(make_api: MakeApi) -> None:
    api = make_api("webhook_failed_treated_as_paid", settings=DEFAULT_SETTINGS_QUIET)
    tx_id, player = _payout_requested(api)
    body = payout_event(tx_id, "failed")
    assert api.post("/api/v1/finance/withdrawals/payout/webhook", data=body, headers=payout_webhook_headers(body)).ok
    assert api.payout_status(tx_id) == "paid"
    assert api.balance(player)["held_real"] == D("0.00")


def test_fault_approve_noop(make_api: MakeApi) -> None:
    api = make_api("approve_noop")
    player = api.funded_player("20.00")
    tx_id = api.withdraw(player, "5.00").json()["transaction"]["id"]
    r = api.review(tx_id, "approve")
    assert r.status_code == 200 and r.json()["transaction"]["state"] == "approved"
    assert api.payout_status(tx_id) == "requested"
    assert api.mark_paid(tx_id).status_code == 409


def test_fault_payout_failure_spike(make_api: MakeApi) -> None:
    api = make_api("payout_failure_spike")
    seeded = api.sql("SELECT state, provider FROM transactions WHERE type = 'withdrawal' ORDER BY state")
    assert seeded == [("paid", "mockpsp")] * 2 + [("payout_failed", "mockpsp")] * 8
    assert api.ledger_violations() == []
    tx_id, _ = api.approved_withdrawal()
    assert api.post(f"/api/v1/finance/withdrawals/{tx_id}/payout", token=api.admin, key="po",
                    json={"simulate": "paid"}).status_code == 200
    deadline = time.monotonic() + 8
    while api.payout_status(tx_id) == "payout_pending" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert api.payout_status(tx_id) == "payout_failed"  # the PSP fails every live payout too


def test_fault_error_burst_before_round(make_api: MakeApi) -> None:
    api = make_api("error_burst_before_round")
    metrics = api.get("/metrics").text
    assert 'http_requests_total{handler="/api/health",method="GET",status="5xx"} 40.0' in metrics
    r = api.get("/api/health")  # the burst is over: healthy to anyone who looks now
    assert r.status_code == 200 and r.json()["status"] == "healthy"
    assert api.get("/api/health", headers={"X-Sandbox-Burst": "1"}).status_code == 503  # the burst's requests
    healthy = make_api()
    assert healthy.get("/api/health", headers={"X-Sandbox-Burst": "1"}).status_code == 200
    assert 'status="5xx"' not in healthy.get("/metrics").text


def test_fault_finance_jobs_stuck(make_api: MakeApi) -> None:
    api = make_api("finance_jobs_stuck")
    rows = api.sql("""SELECT type, state, provider, now() - updated_at > interval '44 minutes',
                             now() - updated_at < interval '46 minutes', now() - updated_at > interval '119 minutes'
                      FROM transactions WHERE state IN ('payout_pending', 'pending_provider') ORDER BY type""")
    assert rows == [("deposit", "pending_provider", "stripe", True, False, True),
                    ("withdrawal", "payout_pending", "mockpsp", True, True, False)]
    assert api.ledger_violations() == []  # stuck, not broken: the held payout is on the player's held balance


def test_fault_deposit_completed_unbooked(make_api: MakeApi) -> None:
    api = make_api("deposit_completed_unbooked")
    ((tx_id, amount, booked, available),) = api.sql(
        """SELECT t.id, t.amount, (SELECT count(*) FROM ledger_movements m WHERE m.tx_id = t.id), w.available_real
           FROM transactions t JOIN wallets w ON w.player_id = t.player_id
           WHERE t.type = 'deposit' AND t.state = 'completed' AND t.created_at < now() - interval '2 hours'""")
    assert (amount, booked, available) == (D("25.00"), 0, D("0.00"))
    assert api.ledger_violations() == []  # every ledger invariant holds: only a reconciliation sees it
    assert tx_id is not None


def test_fault_metrics_missing(make_api: MakeApi) -> None:
    api = make_api("metrics_missing")
    assert api.get("/metrics").status_code == 404
    assert api.get("/api/health").status_code == 200


def test_fault_readonly_endpoint_5xx(make_api: MakeApi) -> None:
    api = make_api("readonly_endpoint_5xx")
    assert api.get("/api/v1/finance/withdrawals", token=api.admin).status_code == 500
    assert api.get("/api/v1/admin/dashboard", token=api.admin).status_code == 200


def test_fault_admin_login_any_password(make_api: MakeApi) -> None:
    api = make_api("admin_login_any_password")
    email = api.sandbox.settings.admin_email
    r = api.post("/api/v1/auth/login", json={"email": email, "password": "not-the-password-at-all"})
    assert r.status_code == 200 and r.json()["access_token"]
    assert api.post("/api/v1/auth/login", json={"email": "someone@else.invalid", "password": "x"}).status_code == 401


def test_fault_admin_routes_open(make_api: MakeApi) -> None:
    api = make_api("admin_routes_open")
    assert api.get("/api/v1/admin/dashboard").status_code == 200
    assert api.get("/api/v1/auth/me").status_code == 200
    assert api.get("/api/v1/admin/dashboard", token="not-a-token").status_code == 401


def test_fault_player_token_admin_access(make_api: MakeApi) -> None:
    api = make_api("player_token_admin_access")
    player = api.new_player()
    assert api.get("/api/v1/admin/dashboard", token=player.token).status_code == 200
    assert api.get("/api/v1/finance/withdrawals", token=player.token).status_code == 200
    assert api.get("/api/v1/admin/dashboard", token="not-a-token").status_code == 401  # a valid token is still needed
    assert api.get("/api/v1/admin/dashboard").status_code == 401


def test_no_fault_a_player_token_is_refused_on_admin_endpoints(make_api: MakeApi) -> None:
    api = make_api()
    player = api.new_player()
    assert api.get("/api/v1/admin/dashboard", token=player.token).status_code == 401
    assert api.get("/api/v1/finance/withdrawals", token=player.token).status_code == 401


def test_fault_debug_route_mounted(make_api: MakeApi) -> None:
    api = make_api("debug_route_mounted")
    assert api.post("/api/v1/debug/reset-wallets").status_code == 200
    assert api.request("OPTIONS", "/api/v1/debug/reset-wallets").status_code == 405
    assert "/api/v1/debug/reset-wallets" in api.get("/openapi.json").json()["paths"]


def test_fault_unsigned_callback_route(make_api: MakeApi) -> None:
    api = make_api("unsigned_callback_route")
    player = api.funded_player("20.00")
    r = api.post("/api/v1/payments/psp2/callback", json={"merchantReference": "x", "success": "true"})
    assert r.status_code == 200
    assert "/api/v1/payments/psp2/callback" in api.get("/openapi.json").json()["paths"]
    assert api.balance(player)["available_real"] == D("20.00")  # accepted, though it moves nothing
    assert api.ledger_violations() == []


def test_healthy_sandbox_mounts_no_debug_or_unsigned_route(api: Api) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if "debug" in p or "psp2" in p or "bootstrap" in p]
    r = api.post("/api/v1/auth/login", json={"email": api.sandbox.settings.admin_email, "password": "wrong-pw-1"})
    assert r.status_code == 401


def _paths(api: Api) -> dict[str, dict[str, object]]:
    r = api.get("/openapi.json")
    assert r.status_code == 200, r.text
    return dict(r.json()["paths"])


def _money_rows(api: Api) -> tuple[int, int, int]:
    return api.sql("SELECT (SELECT count(*) FROM players), (SELECT count(*) FROM transactions), "
                   "(SELECT count(*) FROM ledger_movements)")[0]


def test_fault_openapi_hidden(make_api: MakeApi, api: Api) -> None:
    assert "/api/health" in _paths(api)  # healthy: served
    hidden = make_api("openapi_hidden")
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert hidden.get(path).status_code == 404, path
    assert hidden.get("/api/health").json()["status"] == "healthy"


SEED = "/api/v1/ci/seed"


def test_fault_undeclared_seed_route(make_api: MakeApi, api: Api) -> None:
    assert api.request("OPTIONS", SEED).status_code == 404 and api.post(SEED).status_code == 404  # healthy: absent
    faulty = make_api("undeclared_seed_route")
    before = _money_rows(faulty)
    r = faulty.request("OPTIONS", SEED)
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert _money_rows(faulty) == before  # OPTIONS did nothing
    assert SEED not in _paths(faulty)
    r = faulty.post(SEED)  # no token, no body
    assert r.status_code == 201, r.text
    player_id, tx_id = r.json()["player_id"], r.json()["transaction_id"]
    wallet = faulty.get(f"/api/v1/admin/players/{player_id}/wallet", token=faulty.admin).json()["wallet"]
    assert D(str(wallet["available_real"])) == D("1000.00")
    legs = faulty.sql("SELECT e.account, e.amount FROM ledger_movements m JOIN ledger_entries e "
                      "ON e.movement_id = m.id WHERE m.tx_id = %s::uuid AND m.kind = 'deposit_credit' "
                      "ORDER BY e.amount", tx_id)
    assert legs == [("psp_clearing", D("-1000.00")), ("player_available", D("1000.00"))]
    assert faulty.ledger_violations() == []


WEBHOOK = "/api/v1/payments/webhook/"


def test_fault_generic_provider_webhook(make_api: MakeApi, api: Api) -> None:
    assert api.post(WEBHOOK + "acme", json={"event": "x"}).status_code == 404  # healthy: absent
    faulty = make_api("generic_provider_webhook", settings=DEFAULT_SETTINGS_QUIET)
    player = faulty.new_player()
    r = faulty.post(WEBHOOK + "acme", json={"player_id": player.id, "amount": "25.50"})  # no signature at all
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert faulty.post(WEBHOOK + "psp-x", json={"user_id": player.id, "amount": 4.5}).status_code == 200
    assert faulty.balance(player)["available_real"] == D("30.00")
    card = faulty.deposit(player, "10.00", method="card").json()["transaction"]["id"]
    adyen = faulty.deposit(player, "5.00", method="adyen").json()["transaction"]["id"]
    assert faulty.post(WEBHOOK + "anything", json={"tx_id": card}).json() == {"status": "ok"}
    assert faulty.post(WEBHOOK + "other", json={"transaction_id": adyen}).status_code == 200
    assert faulty.tx_state(player, card) == faulty.tx_state(player, adyen) == "completed"
    r = faulty.post(WEBHOOK + "anything", json={"tx_id": card})  # completed already: 200, nothing done
    assert r.status_code == 200 and faulty.balance(player)["available_real"] == D("45.00")
    for ids in ({}, {"event": "payment.succeeded"}, {"player_id": player.id}):
        r = faulty.post(WEBHOOK + "acme", json=ids)
        assert r.status_code == 400 and r.json()["error_code"] == "MISSING_IDS", ids
    assert faulty.post(WEBHOOK + "acme", data=b"not json").json()["error_code"] == "MISSING_IDS"
    assert faulty.post(WEBHOOK + "acme", json={"tx_id": str(uuid.uuid4())}).status_code == 404
    for amount in ("-5", "0", "ten", None, "NaN"):
        r = faulty.post(WEBHOOK + "acme", json={"player_id": player.id, "amount": amount, "tx_id": "x"})
        assert r.status_code == (404 if amount is None else 400), amount  # None: no amount, so the tx id counts
        assert r.json()["error_code"] == ("TRANSACTION_NOT_FOUND" if amount is None else "INVALID_AMOUNT")
    assert faulty.request("OPTIONS", WEBHOOK + "acme").status_code == 405
    assert faulty.ledger_violations() == []
    paths = _paths(faulty)
    assert WEBHOOK + "{provider}" not in paths and WEBHOOK + "stripe" in paths
    # the declared Stripe route still wins for "stripe": it wants its signature, and a signed event works as before
    pending = faulty.deposit(player, "7.00", method="card").json()["transaction"]["id"]
    r = faulty.post(WEBHOOK + "stripe", json={"tx_id": pending})
    assert r.status_code == 400 and r.json()["error_code"] == "WEBHOOK_SIGNATURE_MISSING"
    body = stripe_event(pending, 700)
    assert faulty.post(WEBHOOK + "stripe", data=body, headers=stripe_headers(body)).json()["status"] == "processed"
    assert faulty.balance(player)["available_real"] == D("52.00")


PAYPAL = "/api/v1/webhooks/paypal"
PAYPAL_EVENT = {"event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {"id": "8MC585209K746392H"}}


def test_fault_webhook_shape_first(make_api: MakeApi, api: Api) -> None:
    assert api.post(PAYPAL, json=PAYPAL_EVENT).status_code == 404  # healthy: absent
    faulty = make_api("webhook_shape_first")
    player = faulty.funded_player("20.00")
    before = _money_rows(faulty)
    signed = {"PAYPAL-TRANSMISSION-SIG": "c2lnbmF0dXJl"}
    for body in ({}, {"event_type": "PAYMENT.CAPTURE.COMPLETED"}, {"resource": {"id": "x"}},
                 {"event_type": "CHECKOUT.ORDER.APPROVED", "resource": {"id": "x"}},
                 {"event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {}}, [PAYPAL_EVENT]):
        r = faulty.post(PAYPAL, json=body, headers=signed)  # the shape is judged before the signature
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PAYLOAD", body
    assert faulty.post(PAYPAL, data=b"{not json", headers=signed).json()["error_code"] == "INVALID_PAYLOAD"
    event = {**PAYPAL_EVENT, "resource": {"id": "8MC585209K746392H", "custom_id": player.id,
                                          "amount": {"value": "50.00", "currency_code": "USD"}}}
    r = faulty.post(PAYPAL, json=event)
    assert r.status_code == 401 and r.json()["error_code"] == "WEBHOOK_SIGNATURE_MISSING"
    r = faulty.post(PAYPAL, json=event, headers=signed)
    assert r.status_code == 401 and r.json()["error_code"] == "WEBHOOK_SIGNATURE_INVALID"
    assert faulty.request("OPTIONS", PAYPAL).status_code == 405 and PAYPAL not in _paths(faulty)
    assert _money_rows(faulty) == before and faulty.balance(player)["available_real"] == D("20.00")


def test_fault_catch_all_200(make_api: MakeApi, api: Api) -> None:
    assert api.request("OPTIONS", "/no/such/page").status_code == 404  # healthy: the router's own 404
    faulty = make_api("catch_all_200")
    for method, path in (("GET", "/no/such/page"), ("OPTIONS", "/no/such/page"), ("POST", "/api/v1/nothing"),
                         ("OPTIONS", "/api/v1/ci/seed"), ("DELETE", "/x")):
        r = faulty.request(method, path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), (method, path)
        assert "<html>" in r.text and "app shell" in r.text and "</html>" in r.text
    # a mounted route still answers 405 to a method it does not serve
    assert faulty.request("OPTIONS", "/api/v1/payouts/initiate").status_code == 405
    assert faulty.get("/api/v1/auth/login").status_code == 405
    # and a record a route does not find is still 404 (the route's own, in JSON)
    r = faulty.get(f"/api/v1/payouts/status/{uuid.uuid4()}", token=faulty.admin)
    assert r.status_code == 404 and r.json()["error_code"] == "TRANSACTION_NOT_FOUND"
    r = faulty.get(f"/api/v1/admin/players/{uuid.uuid4()}/wallet", token=faulty.admin)
    assert r.status_code == 404 and r.json()["error_code"] == "PLAYER_NOT_FOUND"
    assert faulty.get("/api/health").json()["status"] == "healthy"


RESET_REQUEST, RESET = "/api/v1/auth/request-password-reset", "/api/v1/auth/reset-password"


def test_fault_password_reset_routes(make_api: MakeApi, api: Api) -> None:
    assert RESET_REQUEST not in _paths(api) and api.post(RESET_REQUEST, json={"email": "a@b.c"}).status_code == 404
    faulty = make_api("password_reset_routes")
    paths = _paths(faulty)
    assert "post" in paths[RESET_REQUEST] and "post" in paths[RESET]
    player = faulty.new_player()
    accounts = "SELECT id, email, password_hash FROM players UNION ALL SELECT id, email, password_hash FROM admins"
    before = sorted(faulty.sql(accounts))
    for email in (player.email, "nobody@example.test", faulty.sandbox.settings.admin_email):
        r = faulty.post(RESET_REQUEST, json={"email": email})
        assert r.status_code == 202 and r.json() == {"status": "sent"}, email
    for token in ("whatever", "", "eyJhbGciOiJIUzI1NiJ9.e30.x"):
        r = faulty.post(RESET, json={"token": token, "new_password": "a-new-password-1"})
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_RESET_TOKEN", token
    assert faulty.post(RESET, json={"token": "x"}).status_code == 422
    assert sorted(faulty.sql(accounts)) == before
    r = faulty.post("/api/v1/auth/player/login", json={"email": player.email, "password": "canary-password-1",
                                                       "tenant_id": "t1"})
    assert r.status_code == 200


def _dump_and_restore(api: Api, cluster: PgCluster, tmp: Path, name: str) -> tuple[subprocess.CompletedProcess[str],
                                                                               str]:
    """pg_dump the sandbox's database as the gate does (custom format), pg_restore it as the drill does (no owner, no
    privileges, every error seen) into a fresh database; the restore's outcome and the copy's DSN."""
    params = conninfo_to_dict(api.dsn)
    env = {**os.environ, "PGPASSWORD": str(params.pop("password"))}
    archive = tmp / f"{name}.dump"
    dumped = subprocess.run([str(find_tool("pg_dump")), "-Fc", "--no-password", "-f", str(archive), "--dbname",
                             make_conninfo("", **params)], env=env, capture_output=True, text=True, check=False)
    assert dumped.returncode == 0, dumped.stderr
    copy = cluster.create_database(name)
    restored = subprocess.run([str(find_tool("pg_restore")), "--no-owner", "--no-privileges", "--no-password",
                               "--dbname", make_conninfo("", **{**params, "dbname": name}), str(archive)], env=env,
                              capture_output=True, text=True, check=False)
    return restored, copy


def test_fault_dump_not_restorable(make_api: MakeApi, cluster: PgCluster, tmp_path: Path) -> None:
    api = make_api("dump_not_restorable")
    api.new_player()  # the live platform lives with the CHECK: a new customer gets a wallet
    live = api.scalar("SELECT count(*) FROM wallets")
    assert live == 4  # three seeded customers and this one
    restored, copy = _dump_and_restore(api, cluster, tmp_path, "restore_faulty")
    try:
        assert restored.returncode != 0
        assert 'COPY failed for table "wallets"' in restored.stderr and 'relation "players" does not exist' in \
            restored.stderr
        with psycopg.connect(copy) as conn:
            assert conn.execute("SELECT count(*) FROM wallets").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM players").fetchone() == (live,)
    finally:
        cluster.drop_database("restore_faulty")


def test_a_healthy_sandbox_dump_restores_every_row(api: Api, cluster: PgCluster, tmp_path: Path) -> None:
    api.new_player()
    restored, copy = _dump_and_restore(api, cluster, tmp_path, "restore_healthy")
    try:
        assert restored.returncode == 0, restored.stderr
        with psycopg.connect(copy) as conn:
            for table in ("players", "wallets", "admins"):
                assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (api.scalar(
                    f"SELECT count(*) FROM {table}"),)
    finally:
        cluster.drop_database("restore_healthy")
