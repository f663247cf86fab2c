"""PSP paths driven by the mock PSP: its real, signed webhooks are the only thing that completes them."""

from __future__ import annotations

import logging
import time
from decimal import Decimal

import pytest

from .sandbox_support import SETTINGS, Api, wait_for

D = Decimal


@pytest.mark.parametrize(("method", "provider"), [("card", "stripe"), ("adyen", "adyen")])
def test_psp_deposit_completes_through_the_signed_webhook(api: Api, method: str, provider: str,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cutover_sandbox.webhooks")
    player = api.new_player()
    r = api.deposit(player, "25.50", method=method)
    assert r.status_code == 200, r.text
    tx = r.json()["transaction"]
    assert tx["state"] == "pending_provider"
    assert api.balance(player)["available_real"] == D("0.00")

    assert wait_for(lambda: api.tx_state(player, tx["id"]) == "completed"), "the mock PSP webhook never arrived"
    assert api.balance(player) == {"available_real": D("25.50"), "held_real": D("0.00"), "total_real": D("25.50")}
    events = api.sql("SELECT provider, status FROM webhook_events WHERE tx_id = %s", tx["id"])
    assert events == [(provider, "processed")]
    movement = api.sql("SELECT kind, external_event_id FROM ledger_movements WHERE tx_id = %s", tx["id"])
    assert len(movement) == 1 and movement[0][0] == "deposit_credit" and movement[0][1]
    assert api.ledger_violations() == []
    verified = [rec.getMessage() for rec in caplog.records if rec.getMessage().startswith("Signature Verified")]
    assert any(f"provider={provider}" in line for line in verified)
    secrets = (SETTINGS.stripe_webhook_secret, SETTINGS.adyen_hmac_key, SETTINGS.webhook_secret)
    assert not any(secret in line for line in verified for secret in secrets)


def test_provider_payout_is_settled_by_the_payout_webhook(api: Api) -> None:
    tx_id, player = api.approved_withdrawal("40.00", funded="100.00")
    r = api.post(f"/api/v1/finance/withdrawals/{tx_id}/payout", token=api.admin, key=f"po-{tx_id}")
    assert r.status_code == 200, r.text
    assert r.json()["transaction"]["state"] == "payout_pending"
    again = api.post(f"/api/v1/finance/withdrawals/{tx_id}/payout", token=api.admin, key=f"po-{tx_id}")
    assert again.status_code == 200 and again.json()["payout"]["id"] == r.json()["payout"]["id"]

    assert wait_for(lambda: api.payout_status(tx_id) == "paid")
    assert api.balance(player) == {"available_real": D("60.00"), "held_real": D("0.00"), "total_real": D("60.00")}
    assert api.scalar("SELECT count(*) FROM payout_attempts WHERE tx_id = %s", tx_id) == 1
    assert api.scalar("SELECT count(*) FROM ledger_movements WHERE tx_id = %s AND kind = 'payout_settle'", tx_id) == 1
    assert api.ledger_violations() == []


def test_payout_idempotency_key_rules(api: Api) -> None:
    tx_id, _player = api.approved_withdrawal("40.00", funded="100.00")
    path = f"/api/v1/finance/withdrawals/{tx_id}/payout"
    r = api.post(path, token=api.admin)
    assert r.status_code == 400 and r.json()["error_code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert api.post(path, token=api.admin, key=f"k-{tx_id}", json={"provider": "mockpsp"}).status_code == 200
    r = api.post(path, token=api.admin, key=f"k-{tx_id}", json={"provider": "otherpsp"})
    assert r.status_code == 409 and r.json()["error_code"] == "IDEMPOTENCY_KEY_REUSE_CONFLICT"


def test_failed_payout_keeps_the_hold_and_can_be_retried(api: Api) -> None:
    tx_id, player = api.approved_withdrawal("10.00", funded="100.00")
    path = f"/api/v1/finance/withdrawals/{tx_id}/payout"
    assert api.post(path, token=api.admin, key=f"a1-{tx_id}", json={"simulate": "failed"}).status_code == 200
    assert wait_for(lambda: api.payout_status(tx_id) == "payout_failed")
    assert api.balance(player)["held_real"] == D("10.00")
    assert api.ledger_violations() == []

    r = api.post("/api/v1/payouts/initiate", token=api.admin, key=f"a2-{tx_id}", json={"tx_id": tx_id})
    assert r.status_code == 200 and r.json()["transaction"]["state"] == "payout_pending"
    assert wait_for(lambda: api.payout_status(tx_id) == "paid")
    status = api.get(f"/api/v1/payouts/status/{tx_id}", token=api.admin).json()
    assert [a["status"] for a in status["payout_attempts"]] == ["failed", "paid"]
    assert api.balance(player)["held_real"] == D("0.00")
    assert api.ledger_violations() == []


def test_paid_withdrawal_cannot_be_paid_out_again(api: Api) -> None:
    tx_id, _player = api.approved_withdrawal("5.00", funded="100.00")
    assert api.mark_paid(tx_id).status_code == 200
    r = api.post(f"/api/v1/finance/withdrawals/{tx_id}/payout", token=api.admin, key=f"x-{tx_id}")
    assert r.status_code == 409 and r.json()["error_code"] == "ILLEGAL_TRANSACTION_STATE_TRANSITION"


def test_a_payout_to_another_provider_waits_for_that_providers_webhook(api: Api) -> None:
    """The PSP settles only its own payouts: a payout to another provider stays payout_pending until a signed webhook
    decides it (what the gate's payout probes rely on: no race with the PSP's own event)."""
    tx_id, player = api.approved_withdrawal("4.00", funded="100.00")
    path = f"/api/v1/finance/withdrawals/{tx_id}/payout"
    assert api.post(path, token=api.admin, key=f"held-{tx_id}", json={"provider": "cutover-gate"}).status_code == 200
    time.sleep(1.0)  # well past the mock PSP's delivery delay
    assert api.payout_status(tx_id) == "payout_pending"
    assert api.balance(player)["held_real"] == D("4.00")
