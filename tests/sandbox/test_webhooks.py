"""The three webhook routes: valid, missing/bad signature, stale timestamp, replay; balances checked after each.

These run on a sandbox whose mock PSP waits an hour, so every webhook here is one the test delivers itself.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from .sandbox_support import (
    Api,
    Player,
    adyen_notification,
    payout_event,
    payout_webhook_headers,
    stripe_event,
    stripe_headers,
)

D = Decimal
PAYOUT_HOOK = "/api/v1/finance/withdrawals/payout/webhook"
STRIPE_HOOK = "/api/v1/payments/webhook/stripe"
ADYEN_HOOK = "/api/v1/payments/adyen/webhook"
STALE = 301


def _pending_deposit(api: Api, method: str, amount: str = "20.00") -> tuple[Player, str]:
    player = api.new_player()
    r = api.deposit(player, amount, method=method)
    assert r.json()["transaction"]["state"] == "pending_provider", r.text
    return player, r.json()["transaction"]["id"]


def _assert_still_pending(api: Api, player: Player, tx_id: str) -> None:
    """The deposit still waits for its provider and credited nothing."""
    assert api.tx_state(player, tx_id) == "pending_provider"
    assert api.balance(player)["available_real"] == D("0.00")


def _pending_payout(api: Api, amount: str = "30.00") -> tuple[Player, str]:
    tx_id, player = api.approved_withdrawal(amount)
    r = api.post(f"/api/v1/finance/withdrawals/{tx_id}/payout", token=api.admin, key=f"po-{tx_id}")
    assert r.json()["transaction"]["state"] == "payout_pending", r.text
    return player, tx_id


# -- payout webhook ------------------------------------------------------------------------------------------------

def test_payout_webhook_paid_then_replay(quiet_api: Api) -> None:
    api = quiet_api
    player, tx_id = _pending_payout(api)
    body = payout_event(tx_id, "paid", event_id=f"evt-{tx_id}")
    r = api.post(PAYOUT_HOOK, data=body, headers=payout_webhook_headers(body))
    assert r.status_code == 200 and r.json()["replay"] is False, r.text
    assert api.payout_status(tx_id) == "paid"
    assert api.balance(player) == {"available_real": D("20.00"), "held_real": D("0.00"), "total_real": D("20.00")}

    r = api.post(PAYOUT_HOOK, data=body, headers=payout_webhook_headers(body))
    assert r.status_code == 200 and r.json()["replay"] is True
    assert api.balance(player) == {"available_real": D("20.00"), "held_real": D("0.00"), "total_real": D("20.00")}
    assert api.scalar("SELECT count(*) FROM webhook_events WHERE provider_event_id = %s", f"evt-{tx_id}") == 1
    assert api.ledger_violations() == []


def test_payout_webhook_failed_goes_to_payout_failed(quiet_api: Api) -> None:
    api = quiet_api
    player, tx_id = _pending_payout(api)
    body = payout_event(tx_id, "failed")
    assert api.post(PAYOUT_HOOK, data=body, headers=payout_webhook_headers(body)).status_code == 200
    assert api.payout_status(tx_id) == "payout_failed"
    assert api.balance(player)["held_real"] == D("30.00")
    assert api.review(tx_id, "reject").json()["transaction"]["state"] == "rejected"
    assert api.balance(player) == {"available_real": D("50.00"), "held_real": D("0.00"), "total_real": D("50.00")}
    assert api.ledger_violations() == []


@pytest.mark.parametrize(("case", "status", "code"), [
    ("missing", 400, "WEBHOOK_SIGNATURE_MISSING"),
    ("wrong_secret", 401, "WEBHOOK_SIGNATURE_INVALID"),
    ("tampered_body", 401, "WEBHOOK_SIGNATURE_INVALID"),
    ("stale", 401, "WEBHOOK_TIMESTAMP_INVALID"),
    ("future", 401, "WEBHOOK_TIMESTAMP_INVALID"),
])
def test_payout_webhook_refusals_move_no_money(quiet_api: Api, case: str, status: int, code: str) -> None:
    api = quiet_api
    player, tx_id = _pending_payout(api)
    before = api.balance(player)
    body = payout_event(tx_id, "paid")
    headers = {
        "missing": {"Content-Type": "application/json"},
        "wrong_secret": payout_webhook_headers(body, secret="not-the-secret"),
        "tampered_body": payout_webhook_headers(payout_event(tx_id, "failed")),
        "stale": payout_webhook_headers(body, timestamp=int(time.time()) - STALE),
        "future": payout_webhook_headers(body, timestamp=int(time.time()) + STALE),
    }[case]
    r = api.post(PAYOUT_HOOK, data=body, headers=headers)
    assert (r.status_code, r.json()["error_code"]) == (status, code)
    assert api.payout_status(tx_id) == "payout_pending"
    assert api.balance(player) == before
    assert api.scalar("SELECT count(*) FROM webhook_events WHERE tx_id = %s", tx_id) == 0


def test_payout_webhook_for_an_unknown_withdrawal_is_404(quiet_api: Api) -> None:
    body = payout_event("00000000-0000-0000-0000-000000000000")
    r = quiet_api.post(PAYOUT_HOOK, data=body, headers=payout_webhook_headers(body))
    assert r.status_code == 404


# -- Stripe --------------------------------------------------------------------------------------------------------

def test_stripe_webhook_credits_once(quiet_api: Api) -> None:
    api = quiet_api
    player, tx_id = _pending_deposit(api, "card")
    body = stripe_event(tx_id, 2000)
    r = api.post(STRIPE_HOOK, data=body, headers=stripe_headers(body))
    assert r.status_code == 200 and r.json()["status"] == "processed", r.text
    assert api.tx_state(player, tx_id) == "completed"
    assert api.balance(player)["available_real"] == D("20.00")
    r = api.post(STRIPE_HOOK, data=body, headers=stripe_headers(body))
    assert r.status_code == 200 and r.json() == {"status": "idempotent_skip"}
    assert api.balance(player)["available_real"] == D("20.00")
    assert api.ledger_violations() == []


@pytest.mark.parametrize("case", ["missing", "wrong_secret", "tampered_body", "stale"])
def test_stripe_webhook_refusals_move_no_money(quiet_api: Api, case: str) -> None:
    api = quiet_api
    player, tx_id = _pending_deposit(api, "card")
    body = stripe_event(tx_id, 2000)
    headers = {
        "missing": {"Content-Type": "application/json"},
        "wrong_secret": stripe_headers(body, secret="whsec_wrong"),
        "tampered_body": stripe_headers(stripe_event(tx_id, 999999)),
        "stale": stripe_headers(body, timestamp=int(time.time()) - STALE),
    }[case]
    r = api.post(STRIPE_HOOK, data=body, headers=headers)
    assert r.status_code == 400
    assert r.json()["error_code"] == ("WEBHOOK_TIMESTAMP_INVALID" if case == "stale" else
                                      "WEBHOOK_SIGNATURE_MISSING" if case == "missing" else "WEBHOOK_SIGNATURE_INVALID")
    _assert_still_pending(api, player, tx_id)


def test_stripe_webhook_with_the_wrong_amount_credits_nothing(quiet_api: Api) -> None:
    api = quiet_api
    player, tx_id = _pending_deposit(api, "card")
    body = stripe_event(tx_id, 1)
    assert api.post(STRIPE_HOOK, data=body, headers=stripe_headers(body)).json()["status"] == "amount_mismatch"
    _assert_still_pending(api, player, tx_id)


# -- Adyen ---------------------------------------------------------------------------------------------------------

def test_adyen_webhook_credits_once(quiet_api: Api) -> None:
    api = quiet_api
    player, tx_id = _pending_deposit(api, "adyen", "12.34")
    body = adyen_notification(tx_id, 1234, psp_reference="PSPREF0000000001")
    r = api.post(ADYEN_HOOK, data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json() == {"status": "[accepted]"}, r.text
    assert api.tx_state(player, tx_id) == "completed"
    assert api.balance(player)["available_real"] == D("12.34")
    r = api.post(ADYEN_HOOK, data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json() == {"status": "[accepted]"}
    assert api.balance(player)["available_real"] == D("12.34")
    assert api.ledger_violations() == []


@pytest.mark.parametrize("signature", [None, "bm90LXRoZS1zaWduYXR1cmU=", "wrong-key"])
def test_adyen_webhook_refusals_move_no_money(quiet_api: Api, signature: str | None) -> None:
    api = quiet_api
    player, tx_id = _pending_deposit(api, "adyen")
    if signature == "wrong-key":
        body = adyen_notification(tx_id, 2000, key_b64="d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXkhIQ==")
    else:
        body = adyen_notification(tx_id, 2000, signature=signature)
    r = api.post(ADYEN_HOOK, data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 401
    _assert_still_pending(api, player, tx_id)


def test_a_webhook_from_another_provider_credits_nothing(quiet_api: Api) -> None:
    api = quiet_api
    player, tx_id = _pending_deposit(api, "adyen")
    body = stripe_event(tx_id, 2000)
    assert api.post(STRIPE_HOOK, data=body, headers=stripe_headers(body)).json()["status"] == "ignored"
    _assert_still_pending(api, player, tx_id)
