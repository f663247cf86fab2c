"""The casino dialect's API through HTTP: the contract's paths with the casino platform's habits. Nested error codes and
the two idempotency-conflict codes; synchronous payouts and the strict payout webhook; verification confirms answering
in the body; the Adyen checkout session completed by a notification signed with the hex key; the admin UI's own
approve and mark-paid; the risk engine; the dialect and its Adyen key chosen at start."""

from __future__ import annotations

import binascii
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from Adyen import util as adyen_util

from cutover_sandbox import dialects, signatures
from cutover_sandbox.api.casino import adyen as casino_adyen
from cutover_sandbox.core.config import Settings
from cutover_sandbox.server import Sandbox

from .casino_support import (
    ADYEN_HOOK,
    ADYEN_SESSION,
    CASINO_SETTINGS_QUIET,
    JSON,
    PAYOUT_HOOK,
    CasinoApi,
    adyen_hex_notification,
    error,
    payout_event,
)
from .sandbox_support import adyen_item, payout_webhook_headers, wait_for

D = Decimal
MakeCasinoApi = Callable[..., CasinoApi]


# -- 1. nested errors, and the deposit's and the withdrawal's own idempotency-conflict codes ------------------------

def test_every_error_is_nested_with_the_contracts_status(casino_api: CasinoApi) -> None:
    api = casino_api
    r = api.post("/api/v1/auth/login", json={"email": api.sandbox.settings.admin_email, "password": "wrong-pw-1"})
    assert error(r) == (401, "INVALID_CREDENTIALS") and r.headers["www-authenticate"] == "Bearer"
    assert error(api.get("/api/v1/admin/dashboard")) == (401, "AUTH_REQUIRED")
    assert error(api.get("/no/such/route")) == (404, "NOT_FOUND")
    assert error(api.get("/api/v1/auth/login")) == (405, "METHOD_NOT_ALLOWED")
    player = api.new_player(kyc=False)
    r = api.post("/api/v1/player/wallet/deposit", token=player.token, json={"amount": "1", "method": "test"})
    assert error(r) == (400, "IDEMPOTENCY_KEY_REQUIRED")
    r = api.post("/api/v1/player/wallet/deposit", token=player.token, key="k", json={"amount": "-1"})
    status, code = error(r)
    assert (status, code) == (422, "VALIDATION_ERROR") and "amount" in r.json()["detail"]["message"]
    assert error(api.deposit(player, "1", method="paypal")) == (400, "UNSUPPORTED_PAYMENT_METHOD")
    assert error(api.withdraw(player, "1")) == (403, "KYC_REQUIRED_FOR_WITHDRAWAL")
    funded = api.funded_player("5.00")
    assert error(api.withdraw(funded, "50.00")) == (400, "INSUFFICIENT_FUNDS")
    assert error(api.review(str(uuid.uuid4()), "approve")) == (404, "TRANSACTION_NOT_FOUND")


def test_deposit_and_withdraw_have_their_own_idempotency_conflict_codes(casino_api: CasinoApi) -> None:
    api = casino_api
    player = api.new_player()
    first = api.deposit(player, "20.00", key="dep-1")
    again = api.deposit(player, "20.00", key="dep-1")
    assert first.json()["transaction"]["id"] == again.json()["transaction"]["id"] and again.json()["replay"] is True
    assert error(api.deposit(player, "21.00", key="dep-1")) == (409, "DEPOSIT_IDEMPOTENCY_CONFLICT")
    assert error(api.checkout_session(player, "3.00", key="dep-1")) == (409, "DEPOSIT_IDEMPOTENCY_CONFLICT")
    assert api.checkout_session(player, "3.00", key="session-1").status_code == 200
    assert error(api.checkout_session(player, "4.00", key="session-1")) == (409, "DEPOSIT_IDEMPOTENCY_CONFLICT")
    wd = api.withdraw(player, "5.00", key="wd-1")
    assert api.withdraw(player, "5.00", key="wd-1").json()["transaction"]["id"] == wd.json()["transaction"]["id"]
    assert error(api.withdraw(player, "6.00", key="wd-1")) == (409, "WITHDRAW_IDEMPOTENCY_CONFLICT")
    assert api.balance(player) == {"available_real": D("15.00"), "held_real": D("5.00"), "total_real": D("20.00")}
    tx_id = wd.json()["transaction"]["id"]
    assert api.review(tx_id, "approve").status_code == 200
    assert api.payout(tx_id, key="po-1").status_code == 200
    r = api.payout(tx_id, key="po-1", simulate="failed")  # the payout keeps the contract's code
    assert error(r) == (409, "IDEMPOTENCY_KEY_REUSE_CONFLICT")
    assert api.ledger_violations() == []


# -- 2. synchronous payouts; the strict payout webhook; mark-paid as on the contract -------------------------------

def test_the_payout_settles_in_the_call_like_mark_paid_and_no_webhook_follows(casino_api: CasinoApi) -> None:
    api = casino_api
    tx_id, player = api.approved("10.00", "50.00")
    r = api.payout(tx_id, key="sync-1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["transaction"]["id"] == tx_id and body["transaction"]["state"] == "paid"
    assert body["payout"]["status"] == "paid" and body["replay"] is False
    assert api.balance(player) == {"available_real": D("40.00"), "held_real": D("0.00"), "total_real": D("40.00")}
    assert api.settlements(tx_id) == 1 and api.payout_status(tx_id) == "paid"
    legs = api.sql("SELECT e.account, e.amount FROM ledger_movements m JOIN ledger_entries e ON e.movement_id = m.id "
                   "WHERE m.tx_id = %s::uuid AND m.kind = 'payout_settle' ORDER BY e.amount", tx_id)
    assert legs == [("player_held", D("-10.00")), ("payout_clearing", D("10.00"))]  # exactly as mark-paid books it
    replay = api.payout(tx_id, key="sync-1")
    assert replay.json()["replay"] is True and replay.json()["transaction"]["state"] == "paid"
    assert api.settlements(tx_id) == 1
    assert error(api.payout(tx_id)) == (409, "ILLEGAL_TRANSACTION_STATE_TRANSITION")
    time.sleep(1.0)  # the mock PSP would have delivered a webhook after 0.3 s
    assert api.sandbox.psp is not None and not [path for path, _ in api.sandbox.psp.delivered if path == PAYOUT_HOOK]
    assert (tx_id, "mockpsp", "paid") in api.sandbox.psp.payouts  # the PSP answered the payout in the call
    assert api.ledger_violations() == []


def test_a_refused_payout_stays_held_and_a_retry_pays_it(casino_api: CasinoApi) -> None:
    api = casino_api
    tx_id, player = api.approved()
    r = api.payout(tx_id, simulate="failed")
    assert r.json()["transaction"]["state"] == "payout_failed" and r.json()["payout"]["status"] == "failed"
    assert api.balance(player)["held_real"] == D("10.00") and api.ledger_violations() == []
    r = api.post("/api/v1/payouts/initiate", token=api.admin, key=uuid.uuid4().hex, json={"tx_id": tx_id})
    assert r.status_code == 200 and r.json()["transaction"]["state"] == "paid", r.text
    assert api.balance(player)["held_real"] == D("0.00") and api.settlements(tx_id) == 1
    assert api.request("OPTIONS", "/api/v1/payouts/initiate").status_code == 405  # the payouts router is mounted


def test_mark_paid_is_the_contracts(casino_api: CasinoApi) -> None:
    api = casino_api
    tx_id, player = api.approved()
    r = api.mark_paid(tx_id)
    assert r.status_code == 200 and r.json()["transaction"]["state"] == "paid"
    assert api.mark_paid(tx_id).status_code == 200 and api.settlements(tx_id) == 1  # a replay moves nothing
    assert api.balance(player)["held_real"] == D("0.00")
    assert error(api.payout(tx_id)) == (409, "ILLEGAL_TRANSACTION_STATE_TRANSITION")


def _hook(api: CasinoApi, tx_id: str, status: str = "paid", event_id: str | None = None) -> Any:
    body = payout_event(tx_id, status, event_id)
    return api.post(PAYOUT_HOOK, data=body, headers=payout_webhook_headers(body))


def test_the_payout_webhook_refuses_a_second_settlement(quiet_casino_api: CasinoApi) -> None:
    api = quiet_casino_api
    tx_id, player = api.approved()
    assert api.payout(tx_id).json()["transaction"]["state"] == "paid"
    assert error(_hook(api, tx_id, "paid")) == (500, "INTERNAL_ERROR")  # the guard will not take the money twice
    assert error(_hook(api, tx_id, "failed")) == (409, "ILLEGAL_TRANSACTION_STATE_TRANSITION")
    assert api.settlements(tx_id) == 1 and api.balance(player)["held_real"] == D("0.00")
    assert api.payout_status(tx_id) == "paid"
    assert api.scalar("SELECT count(*) FROM webhook_events WHERE tx_id = %s::uuid", tx_id) == 0  # nothing recorded
    body = payout_event(tx_id)  # still signed as on the contract
    assert error(api.post(PAYOUT_HOOK, data=body, headers=JSON)) == (400, "WEBHOOK_SIGNATURE_MISSING")
    bad = {**payout_webhook_headers(body), "X-Webhook-Signature": "0" * 64}
    assert error(api.post(PAYOUT_HOOK, data=body, headers=bad)) == (401, "WEBHOOK_SIGNATURE_INVALID")
    stale = payout_webhook_headers(body, timestamp=int(time.time()) - 3600)
    assert error(api.post(PAYOUT_HOOK, data=body, headers=stale)) == (401, "WEBHOOK_TIMESTAMP_INVALID")
    assert api.ledger_violations() == []


def test_the_payout_webhook_settles_a_failed_payout_once(quiet_casino_api: CasinoApi) -> None:
    api = quiet_casino_api
    tx_id, player = api.approved()
    assert api.payout(tx_id, simulate="failed").json()["transaction"]["state"] == "payout_failed"
    assert _hook(api, tx_id, "failed").json() == {"replay": False, "status": "ignored"}  # failed already
    assert api.payout_status(tx_id) == "payout_failed"
    r = _hook(api, tx_id, "paid", event_id="evt-paid-1")
    assert r.json() == {"replay": False, "status": "processed"}, r.text
    assert _hook(api, tx_id, "paid", event_id="evt-paid-1").json() == {"replay": True, "status": "replay"}
    assert api.payout_status(tx_id) == "paid" and api.settlements(tx_id) == 1
    assert api.balance(player)["held_real"] == D("0.00") and api.ledger_violations() == []
    requested = api.withdraw(api.funded_player("20.00"), "5.00").json()["transaction"]["id"]
    assert error(_hook(api, requested, "paid")) == (409, "ILLEGAL_TRANSACTION_STATE_TRANSITION")
    assert error(_hook(api, requested, "failed")) == (409, "ILLEGAL_TRANSACTION_STATE_TRANSITION")
    assert error(_hook(api, str(uuid.uuid4()), "paid")) == (404, "TRANSACTION_NOT_FOUND")


# -- 3. verification confirms answer in the body -------------------------------------------------------------------

def test_confirm_answers_ok_in_the_body_never_a_4xx_for_a_code(casino_api: CasinoApi) -> None:
    api = casino_api
    player = api.new_player(verified=False, kyc=False)
    for channel, field, value in (("email", "email", player.email), ("sms", "phone", player.phone)):
        code = api.post(f"/api/v1/verify/{channel}/send", json={field: value}).json()["debug_code"]
        wrong = "000000" if code != "000000" else "111111"
        r = api.post(f"/api/v1/verify/{channel}/confirm", json={field: value, "code": wrong})
        assert r.status_code == 200 and r.json() == {"ok": False, "reason": "INVALID_CODE"}, r.text
        assert error(api.deposit(player, "1.00"))[0] == 403  # not verified by a wrong code
        r = api.post(f"/api/v1/verify/{channel}/confirm", json={field: value, "code": code})
        assert r.status_code == 200 and r.json() == {"ok": True}, r.text
        r = api.post(f"/api/v1/verify/{channel}/confirm", json={field: value, "code": code})  # used once
        assert r.status_code == 200 and r.json() == {"ok": False, "reason": "INVALID_CODE"}
    assert api.deposit(player, "1.00").json()["transaction"]["state"] == "completed"
    r = api.post("/api/v1/verify/sms/confirm", json={"phone": "+10000000000", "code": "1"})
    assert error(r) == (404, "PLAYER_NOT_FOUND")  # an unknown address is no code


# -- 4. the Adyen checkout session, its hex-key notification; the deposit route refuses adyen ----------------------

def test_an_adyen_session_is_pending_until_its_hex_signed_notification(quiet_casino_api: CasinoApi) -> None:
    api = quiet_casino_api
    key = api.sandbox.settings.adyen_hmac_key
    player = api.new_player()
    assert error(api.deposit(player, "20.00", method="adyen")) == (400, "METHOD_NOT_SUPPORTED")
    r = api.checkout_session(player, "20.00", key="adyen-1")
    assert r.status_code == 200, r.text
    tx = r.json()["transaction"]
    assert {k: tx[k] for k in ("type", "amount", "currency", "state")} == {
        "type": "deposit", "amount": "20.00", "currency": "USD", "state": "pending_provider"}
    assert api.checkout_session(player, "20.00", key="adyen-1").json()["transaction"]["id"] == tx["id"]
    assert error(api.post(ADYEN_SESSION, key="x", json={"amount": "1"})) == (401, "AUTH_REQUIRED")
    # signed with the same key text read as base64 (the contract's reading): another key here
    contract_signed = json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": adyen_item(
        tx["id"], 2000, key_b64=key)}]}).encode()
    assert error(api.post(ADYEN_HOOK, data=contract_signed, headers=JSON)) == (401, "WEBHOOK_SIGNATURE_INVALID")
    unsigned = adyen_hex_notification(tx["id"], 2000, key, signature=None)
    assert error(api.post(ADYEN_HOOK, data=unsigned, headers=JSON)) == (401, "WEBHOOK_SIGNATURE_MISSING")
    assert api.tx_state(player, tx["id"]) == "pending_provider" and api.balance(player)["available_real"] == D("0")
    # signed by Adyen's own library with the hex key
    item = adyen_item(tx["id"], 2000, signature=None)
    item["additionalData"] = {"hmacSignature": adyen_util.generate_notification_sig(item, key).decode()}
    body = json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}).encode()
    r = api.post(ADYEN_HOOK, data=body, headers=JSON)
    assert r.status_code == 200 and r.json() == {"status": "[accepted]"}, r.text
    assert api.post(ADYEN_HOOK, data=body, headers=JSON).status_code == 200  # a replay credits nothing
    assert api.tx_state(player, tx["id"]) == "completed" and api.balance(player)["available_real"] == D("20.00")
    assert api.ledger_violations() == []


def test_the_mock_psp_completes_sessions_and_card_deposits_by_itself(casino_api: CasinoApi) -> None:
    api = casino_api
    player = api.new_player()
    session = api.checkout_session(player, "7.00").json()["transaction"]["id"]
    card = api.deposit(player, "3.00", method="card").json()["transaction"]
    assert card["state"] == "pending_provider"
    assert wait_for(lambda: api.tx_state(player, session) == api.tx_state(player, card["id"]) == "completed")
    assert api.deposit(player, "1.00").json()["transaction"]["state"] == "completed"  # test: at once
    assert api.balance(player)["available_real"] == D("11.00")
    assert api.sandbox.psp is not None and (ADYEN_HOOK, 200) in api.sandbox.psp.delivered


# -- 5. the admin UI's own approve and mark-paid -------------------------------------------------------------------

def test_the_admin_ui_approves_and_marks_paid(casino_api: CasinoApi) -> None:
    api = casino_api
    player = api.funded_player("30.00")
    tx_id = api.withdraw(player, "12.00").json()["transaction"]["id"]
    assert error(api.ui_approve(tx_id, token=player.token)) == (401, "INVALID_TOKEN")
    assert error(api.post(f"/api/v1/withdrawals/{tx_id}/approve")) == (401, "AUTH_REQUIRED")
    assert error(api.ui_mark_paid(tx_id)) == (409, "ILLEGAL_TRANSACTION_STATE_TRANSITION")  # not approved yet
    r = api.ui_approve(tx_id)
    assert r.status_code == 200 and r.json() == {"transaction": {"id": tx_id, "state": "approved"}}
    assert api.ui_approve(tx_id).json() == {"transaction": {"id": tx_id, "state": "approved"}}  # idempotent
    assert api.payout_status(tx_id) == "approved" and api.balance(player)["held_real"] == D("12.00")
    r = api.ui_mark_paid(tx_id)
    assert r.status_code == 200 and r.json() == {"transaction": {"id": tx_id, "state": "paid"}}
    assert api.ui_mark_paid(tx_id).status_code == 200 and api.settlements(tx_id) == 1
    assert api.balance(player) == {"available_real": D("18.00"), "held_real": D("0.00"), "total_real": D("18.00")}
    assert error(api.ui_approve(tx_id)) == (409, "ILLEGAL_TRANSACTION_STATE_TRANSITION")
    assert error(api.ui_approve(str(uuid.uuid4()))) == (404, "TRANSACTION_NOT_FOUND")
    assert api.ledger_violations() == []


# -- 6. the risk engine --------------------------------------------------------------------------------------------

def test_the_risk_engine_limits_withdrawal_requests_per_hour(make_casino_api: MakeCasinoApi) -> None:
    api = make_casino_api(settings=Settings(casino_risk_withdrawals_per_hour=3))
    player = api.funded_player("100.00")
    first = api.withdraw(player, "10.00", key="r-1")
    tx_id = first.json()["transaction"]["id"]
    assert api.review(tx_id, "reject").status_code == 200  # a request counts whatever became of it
    assert api.withdraw(player, "10.00").status_code == 200 and api.withdraw(player, "10.00").status_code == 200
    before = api.balance(player)
    r = api.withdraw(player, "10.00")
    assert error(r) == (403, "RISK_BLOCK") and "3" in r.json()["detail"]["message"]
    assert api.balance(player) == before == {"available_real": D("80.00"), "held_real": D("20.00"),
                                             "total_real": D("100.00")}
    assert api.withdraw(player, "10.00", key="r-1").json()["transaction"]["id"] == tx_id  # a replay is not judged
    assert api.scalar("SELECT count(*) FROM transactions WHERE type = 'withdrawal' AND player_id = %s::uuid",
                      player.id) == 3
    other = api.funded_player("20.00")
    assert api.withdraw(other, "5.00").status_code == 200  # per player
    api.sql("UPDATE transactions SET created_at = now() - interval '61 minutes' WHERE id = %s::uuid "
            "RETURNING id", tx_id)  # the oldest request leaves the hour
    assert api.withdraw(player, "10.00").status_code == 200
    assert api.ledger_violations() == []


def test_the_risk_limit_is_read_from_its_own_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().casino_risk_withdrawals_per_hour == 12
    monkeypatch.setenv("CASINO_RISK_WITHDRAWALS_PER_HOUR", "4")
    assert Settings().casino_risk_withdrawals_per_hour == 4
    assert Settings(casino_risk_withdrawals_per_hour=2).casino_risk_withdrawals_per_hour == 2


# -- 7. the dialect and its Adyen key ------------------------------------------------------------------------------

def test_the_casino_dialect_is_chosen_like_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    assert dialects.parse(" Casino ") == "casino" and "casino" in dialects.DIALECTS
    monkeypatch.setenv(dialects.ENV_VAR, "casino")
    assert Sandbox(faults=[]).dialect == "casino"


@pytest.mark.parametrize("text", ["not hex at all", "c2FuZGJveC1hZHllbi1obWFjLWtleS0zMmJ5dGVzISE=", "0F" * 31 + "0",
                                  ""])
def test_a_key_that_is_not_hex_becomes_its_sha256_hex_digest(text: str) -> None:
    derived = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert casino_adyen.hmac_key(text) == derived and len(binascii.a2b_hex(derived)) == 32
    assert Sandbox(faults=[], dialect="casino", settings=Settings(adyen_hmac_key=text)).settings.adyen_hmac_key == \
        derived
    assert Sandbox(faults=[], dialect="default", settings=Settings(adyen_hmac_key=text)).settings.adyen_hmac_key == \
        text  # the contract's dialect reads its key as it is


@pytest.mark.parametrize("text", ["44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056", "0f" * 32])
def test_a_hex_key_is_used_as_it_is(text: str) -> None:
    assert casino_adyen.hmac_key(text) == text
    assert Sandbox(faults=[], dialect="casino", settings=Settings(adyen_hmac_key=text)).settings.adyen_hmac_key == text


def test_a_casino_sandbox_with_a_text_key_signs_and_verifies_with_the_derived_key(
        make_casino_api: MakeCasinoApi) -> None:
    text = "a passphrase, not hex"
    derived = hashlib.sha256(text.encode("utf-8")).hexdigest()
    api = make_casino_api(settings=Settings(adyen_hmac_key=text))
    player = api.new_player()
    tx_id = api.checkout_session(player, "6.00").json()["transaction"]["id"]
    assert wait_for(lambda: api.tx_state(player, tx_id) == "completed")  # the mock PSP signed with the derived key
    quiet = make_casino_api(settings=CASINO_SETTINGS_QUIET.model_copy(update={"adyen_hmac_key": text}))
    player = quiet.new_player()
    tx_id = quiet.checkout_session(player, "6.00").json()["transaction"]["id"]
    item = adyen_item(tx_id, 600, signature=None)
    assert signatures.adyen_signature(derived, item, "hex") == adyen_util.generate_notification_sig(
        item, derived).decode()
    r = quiet.post(ADYEN_HOOK, data=adyen_hex_notification(tx_id, 600, derived), headers=JSON)
    assert r.status_code == 200 and quiet.balance(player)["available_real"] == D("6.00"), r.text


def test_the_contracts_metrics_openapi_and_a_nested_maintenance_page(make_casino_api: MakeCasinoApi,
                                                                      tmp_path: Path) -> None:
    flag = tmp_path / "maintenance.on"
    api = make_casino_api(maintenance_flag=str(flag))
    paths = api.get("/openapi.json").json()["paths"]
    for path in (ADYEN_SESSION, "/api/v1/withdrawals/{tx_id}/approve", "/api/v1/withdrawals/{tx_id}/mark-paid",
                 "/api/v1/finance/withdrawals/{tx_id}/payout", PAYOUT_HOOK, ADYEN_HOOK, "/api/v1/payouts/initiate"):
        assert "post" in paths[path], path
    player = api.new_player()
    api.post("/api/v1/withdrawals/not-a-uuid/approve", token=api.admin)
    text = api.get("/metrics").text
    assert 'http_requests_total{handler="/api/v1/withdrawals/{tx_id}/approve",method="POST",status="4xx"}' in text
    flag.touch()
    for r in (api.get("/api/v1/player/wallet/balance", token=player.token), api.checkout_session(player, "1.00")):
        assert error(r) == (503, "MAINTENANCE") and r.headers["Retry-After"] == "60"
    assert api.get("/api/health").status_code == 200
    flag.unlink()
    assert api.get("/api/v1/player/wallet/balance", token=player.token).status_code == 200
