"""Every fault the casino dialect honours (`Fault.dialects`), observed from outside on a casino sandbox: its own four,
and those of the catalogue whose code paths it shares. Where the casino platform answers as the contract does, the
contract's own test of the fault (test_faults.py) runs unchanged against a casino sandbox; where it differs (nested
errors, synchronous payouts and a strict payout webhook, the Adyen session), a casino check here proves the same
defect. One fresh database per fault."""

from __future__ import annotations

import inspect
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cutover_sandbox import dialects, faults
from cutover_sandbox.pg import PgCluster
from cutover_sandbox.server import Sandbox

from . import test_faults as contract
from .casino_support import (
    ADYEN_HOOK,
    CASINO_SETTINGS_QUIET,
    JSON,
    PAYOUT_HOOK,
    CasinoApi,
    adyen_hex_notification,
    error,
    payout_event,
)
from .sandbox_support import payout_webhook_headers, stripe_event, stripe_headers

D = Decimal
MakeCasinoApi = Callable[..., CasinoApi]
CasinoCheck = Callable[[MakeCasinoApi, CasinoApi], None]
STALE = int(time.time()) - 3600


# -- the casino dialect's own faults --------------------------------------------------------------------------------

def _admin_ui_payout_500(make: MakeCasinoApi, _healthy: CasinoApi) -> None:
    api = make("admin_ui_payout_500")
    player = api.funded_player("30.00")
    tx_id = api.withdraw(player, "10.00").json()["transaction"]["id"]
    assert error(api.ui_approve(tx_id)) == (500, "INTERNAL_ERROR")
    assert api.payout_status(tx_id) == "requested"  # nothing changed
    assert api.review(tx_id, "approve").json()["transaction"]["state"] == "approved"  # the finance API still works
    assert error(api.ui_mark_paid(tx_id)) == (500, "INTERNAL_ERROR")
    assert api.payout_status(tx_id) == "approved" and api.balance(player)["held_real"] == D("10.00")
    assert api.settlements(tx_id) == 0
    assert api.mark_paid(tx_id).json()["transaction"]["state"] == "paid"
    assert api.balance(player)["held_real"] == D("0.00") and api.ledger_violations() == []


def _sync_payout_keeps_hold(make: MakeCasinoApi, _healthy: CasinoApi) -> None:
    api = make("sync_payout_keeps_hold")
    tx_id, player = api.approved()
    r = api.payout(tx_id)
    assert r.status_code == 200 and r.json()["transaction"]["state"] == "paid", r.text
    assert api.payout_status(tx_id) == "paid"  # the state is stored ...
    assert api.balance(player) == {"available_real": D("40.00"), "held_real": D("10.00"), "total_real": D("50.00")}
    assert api.settlements(tx_id) == 0  # ... but no money moved
    assert "held != open withdrawals" in api.ledger_violations()
    other, other_player = api.approved()  # mark-paid is not concerned
    assert api.mark_paid(other).status_code == 200 and api.balance(other_player)["held_real"] == D("0.00")


def _confirm_always_ok_false(make: MakeCasinoApi, _healthy: CasinoApi) -> None:
    api = make("confirm_always_ok_false")
    player = api.new_player(verified=False, kyc=False)
    for channel, field, value in (("email", "email", player.email), ("sms", "phone", player.phone)):
        code = api.post(f"/api/v1/verify/{channel}/send", json={field: value}).json()["debug_code"]
        r = api.post(f"/api/v1/verify/{channel}/confirm", json={field: value, "code": code})
        assert r.status_code == 200 and r.json() == {"ok": False, "reason": "INVALID_CODE"}, r.text
    assert api.sql("SELECT email_verified, phone_verified FROM players WHERE id = %s::uuid", player.id) == [
        (False, False)]
    assert error(api.deposit(player, "10.00")) == (403, "EMAIL_NOT_VERIFIED")  # the canary can never deposit
    r = api.post("/api/v1/verify/email/confirm", json={"email": "nobody@example.test", "code": "1"})
    assert error(r) == (404, "PLAYER_NOT_FOUND")


def _risk_engine_strict(make: MakeCasinoApi, _healthy: CasinoApi) -> None:
    api = make("risk_engine_strict")  # the configured limit stays 12
    assert api.sandbox.settings.casino_risk_withdrawals_per_hour == 12
    player = api.funded_player("50.00")
    first = api.withdraw(player, "5.00", key="risk-1")
    assert first.status_code == 200 and api.withdraw(player, "5.00").status_code == 200
    for _ in range(2):
        assert error(api.withdraw(player, "5.00")) == (403, "RISK_BLOCK")
    assert api.balance(player) == {"available_real": D("40.00"), "held_real": D("10.00"), "total_real": D("50.00")}
    replay = api.withdraw(player, "5.00", key="risk-1")  # a replay is no new request
    assert replay.status_code == 200 and replay.json()["transaction"]["id"] == first.json()["transaction"]["id"]
    assert api.scalar("SELECT count(*) FROM transactions WHERE type = 'withdrawal'") == 2
    assert api.withdraw(api.funded_player("20.00"), "5.00").status_code == 200  # per player


# -- faults of the catalogue whose contract test meets a casino difference -----------------------------------------

def _payout_failed(api: CasinoApi) -> tuple[str, Any]:
    """An approved withdrawal whose synchronous payout the PSP refused: payout_failed, the amount still held."""
    tx_id, player = api.approved()
    r = api.payout(tx_id, simulate="failed")
    assert r.status_code == 200 and r.json()["transaction"]["state"] == "payout_failed", r.text
    return tx_id, player


def _webhook_accepts_bad_signature(make: MakeCasinoApi, _healthy: CasinoApi) -> None:
    api = make("webhook_accepts_bad_signature", settings=CASINO_SETTINGS_QUIET)
    player = api.new_player()
    card = api.deposit(player, "10.00", method="card").json()["transaction"]["id"]
    body = stripe_event(card, 1000)
    assert api.post("/api/v1/payments/webhook/stripe", data=body, headers=stripe_headers(body, secret="x")).ok
    adyen = api.checkout_session(player, "5.00").json()["transaction"]["id"]
    r = api.post(ADYEN_HOOK, data=adyen_hex_notification(adyen, 500, "00", signature=None), headers=JSON)
    assert r.ok, r.text
    assert api.balance(player)["available_real"] == D("15.00")
    tx_id, owner = _payout_failed(api)
    r = api.post(PAYOUT_HOOK, data=payout_event(tx_id), headers=JSON)  # unsigned
    assert r.ok and api.payout_status(tx_id) == "paid" and api.balance(owner)["held_real"] == D("0.00")


def _webhook_accepts_stale_timestamp(make: MakeCasinoApi, _healthy: CasinoApi) -> None:
    api = make("webhook_accepts_stale_timestamp", settings=CASINO_SETTINGS_QUIET)
    player = api.new_player()
    card = api.deposit(player, "10.00", method="card").json()["transaction"]["id"]
    body = stripe_event(card, 1000)
    assert api.post("/api/v1/payments/webhook/stripe", data=body, headers=stripe_headers(body, timestamp=STALE)).ok
    assert api.balance(player)["available_real"] == D("10.00")
    tx_id, _ = _payout_failed(api)
    body = payout_event(tx_id)
    r = api.post(PAYOUT_HOOK, data=body, headers=payout_webhook_headers(body, timestamp=STALE))
    assert r.ok and api.payout_status(tx_id) == "paid"


def _webhook_failed_treated_as_paid(make: MakeCasinoApi, _healthy: CasinoApi) -> None:
    api = make("webhook_failed_treated_as_paid", settings=CASINO_SETTINGS_QUIET)
    tx_id, player = _payout_failed(api)
    body = payout_event(tx_id, "failed")  # healthy: a no-op on a failed payout
    r = api.post(PAYOUT_HOOK, data=body, headers=payout_webhook_headers(body))
    assert r.json() == {"replay": False, "status": "processed"}, r.text
    assert api.payout_status(tx_id) == "paid" and api.balance(player)["held_real"] == D("0.00")
    paid, _ = api.approved()
    assert api.payout(paid).json()["transaction"]["state"] == "paid"
    body = payout_event(paid, "failed")  # healthy: 409 for a paid one; read as "paid", the guard's 500
    assert error(api.post(PAYOUT_HOOK, data=body, headers=payout_webhook_headers(body))) == (500, "INTERNAL_ERROR")


def _catch_all_200(make: MakeCasinoApi, healthy: CasinoApi) -> None:
    assert error(healthy.request("OPTIONS", "/no/such/page")) == (404, "NOT_FOUND")  # healthy: the router's 404
    faulty = make("catch_all_200")
    for method, path in (("GET", "/no/such/page"), ("OPTIONS", "/no/such/page"), ("POST", "/api/v1/nothing"),
                         ("OPTIONS", "/api/v1/ci/seed")):
        r = faulty.request(method, path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), (method, path)
        assert "<html>" in r.text and "app shell" in r.text
    assert error(faulty.request("OPTIONS", "/api/v1/payouts/initiate")) == (405, "METHOD_NOT_ALLOWED")
    assert error(faulty.get(f"/api/v1/payouts/status/{uuid.uuid4()}", token=faulty.admin)) == (
        404, "TRANSACTION_NOT_FOUND")
    assert error(faulty.post(f"/api/v1/withdrawals/{uuid.uuid4()}/approve", token=faulty.admin)) == (
        404, "TRANSACTION_NOT_FOUND")


def _generic_provider_webhook(make: MakeCasinoApi, healthy: CasinoApi) -> None:
    hook = contract.WEBHOOK
    assert error(healthy.post(hook + "acme", json={"event": "x"})) == (404, "NOT_FOUND")  # healthy: absent
    faulty = make("generic_provider_webhook", settings=CASINO_SETTINGS_QUIET)
    player = faulty.new_player()
    r = faulty.post(hook + "acme", json={"player_id": player.id, "amount": "25.50"})  # no signature at all
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    card = faulty.deposit(player, "10.00", method="card").json()["transaction"]["id"]
    adyen = faulty.checkout_session(player, "5.00").json()["transaction"]["id"]
    assert faulty.post(hook + "anything", json={"tx_id": card}).status_code == 200
    assert faulty.post(hook + "other", json={"transaction_id": adyen}).status_code == 200
    assert faulty.tx_state(player, card) == faulty.tx_state(player, adyen) == "completed"
    assert faulty.balance(player)["available_real"] == D("40.50")
    assert error(faulty.post(hook + "acme", json={"event": "payment.succeeded"})) == (400, "MISSING_IDS")
    assert error(faulty.post(hook + "acme", json={"player_id": player.id, "amount": "-5"})) == (400, "INVALID_AMOUNT")
    assert error(faulty.post(hook + "acme", json={"tx_id": str(uuid.uuid4())})) == (404, "TRANSACTION_NOT_FOUND")
    assert hook + "{provider}" not in contract._paths(faulty) and faulty.ledger_violations() == []
    pending = faulty.deposit(player, "7.00", method="card").json()["transaction"]["id"]
    assert error(faulty.post(hook + "stripe", json={"tx_id": pending})) == (400, "WEBHOOK_SIGNATURE_MISSING")


def _webhook_shape_first(make: MakeCasinoApi, healthy: CasinoApi) -> None:
    paypal, event = contract.PAYPAL, contract.PAYPAL_EVENT
    assert error(healthy.post(paypal, json=event)) == (404, "NOT_FOUND")  # healthy: absent
    faulty = make("webhook_shape_first")
    player = faulty.funded_player("20.00")
    before = contract._money_rows(faulty)
    signed = {"PAYPAL-TRANSMISSION-SIG": "c2lnbmF0dXJl"}
    for body in ({}, {"event_type": "PAYMENT.CAPTURE.COMPLETED"}, {"resource": {"id": "x"}}):
        assert error(faulty.post(paypal, json=body, headers=signed)) == (400, "INVALID_PAYLOAD"), body
    assert error(faulty.post(paypal, json=event)) == (401, "WEBHOOK_SIGNATURE_MISSING")
    assert error(faulty.post(paypal, json=event, headers=signed)) == (401, "WEBHOOK_SIGNATURE_INVALID")
    assert paypal not in contract._paths(faulty)
    assert contract._money_rows(faulty) == before and faulty.balance(player)["available_real"] == D("20.00")


def _password_reset_routes(make: MakeCasinoApi, healthy: CasinoApi) -> None:
    request, reset = contract.RESET_REQUEST, contract.RESET
    assert request not in contract._paths(healthy)
    faulty = make("password_reset_routes")
    paths = contract._paths(faulty)
    assert "post" in paths[request] and "post" in paths[reset]
    player = faulty.new_player()
    accounts = "SELECT id, email, password_hash FROM players UNION ALL SELECT id, email, password_hash FROM admins"
    before = sorted(faulty.sql(accounts))
    for email in (player.email, "nobody@example.test"):
        r = faulty.post(request, json={"email": email})
        assert r.status_code == 202 and r.json() == {"status": "sent"}, email
    r = faulty.post(reset, json={"token": "whatever", "new_password": "a-new-password-1"})
    assert error(r) == (400, "INVALID_RESET_TOKEN")
    assert error(faulty.post(reset, json={"token": "x"})) == (422, "VALIDATION_ERROR")
    assert sorted(faulty.sql(accounts)) == before


CHECKS: dict[str, CasinoCheck] = {
    name.removeprefix("_"): check for name, check in dict(globals()).items()
    if name.startswith("_") and callable(check) and name.removeprefix("_") in faults.BY_NAME
}
"""Casino checks; every other fault the casino dialect honours runs the contract's own test."""
ON_CASINO = [fault.name for fault in faults.for_dialect(dialects.CASINO)]
REUSED = sorted(set(ON_CASINO) - set(CHECKS))


def test_every_casino_fault_has_a_check() -> None:
    assert set(CHECKS) <= set(ON_CASINO)
    assert all(hasattr(contract, f"test_fault_{name}") for name in REUSED)
    own = {f.name for f in faults.CATALOGUE if f.dialects == (dialects.CASINO,)}
    assert own == {"admin_ui_payout_500", "sync_payout_keeps_hold", "confirm_always_ok_false", "risk_engine_strict"}
    assert own <= set(CHECKS)


@pytest.mark.parametrize("fault", ON_CASINO)
def test_fault_on_casino(fault: str, make_casino_api: MakeCasinoApi, casino_api: CasinoApi, cluster: PgCluster,
                         tmp_path: Path) -> None:
    if fault in CHECKS:
        CHECKS[fault](make_casino_api, casino_api)
        return
    check = getattr(contract, f"test_fault_{fault}")  # the contract's test, against casino sandboxes
    available: dict[str, Any] = {"make_api": make_casino_api, "api": casino_api, "cluster": cluster,
                                 "tmp_path": tmp_path}
    check(**{name: available[name] for name in inspect.signature(check).parameters})


def test_the_casino_faults_are_the_casinos_alone() -> None:
    """A sandbox refuses, before anything starts, a fault its dialect does not honour; the CLI calls it bad usage."""
    for name in ("admin_ui_payout_500", "risk_engine_strict"):
        for dialect in ("default", "alt"):
            with pytest.raises(faults.FaultNotOnDialect, match=f"{name} \\(dialects: casino\\)"):
                Sandbox(faults=[name], dialect=dialect)
    assert Sandbox(faults=["risk_engine_strict", "withdraw_5xx"], dialect="casino").faults.names == (
        "withdraw_5xx", "risk_engine_strict")
    result = subprocess.run([sys.executable, "-m", "cutover_sandbox", "serve", "--dialect", "default", "--fault",
                             "sync_payout_keeps_hold"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not on dialect default" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
