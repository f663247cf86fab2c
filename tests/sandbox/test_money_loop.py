"""The canary money loop on a healthy sandbox, with exact Decimal balances and the ledger checked in SQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from .sandbox_support import Api

D = Decimal


def test_deposit_withdraw_approve_mark_paid_settles_the_ledger(api: Api) -> None:
    player = api.new_player()
    r = api.deposit(player, "10.00")
    assert r.status_code == 200, r.text
    deposit = r.json()["transaction"]
    assert (deposit["type"], D(deposit["amount"]), deposit["state"]) == ("deposit", D("10.00"), "completed")
    assert api.balance(player) == {"available_real": D("10.00"), "held_real": D("0.00"), "total_real": D("10.00")}

    r = api.withdraw(player, 10)
    assert r.status_code == 200, r.text
    tx_id = r.json()["transaction"]["id"]
    assert r.json()["transaction"]["state"] == "requested"
    assert D(r.json()["balance"]["held_real"]) == D("10.00")
    assert api.balance(player) == {"available_real": D("0.00"), "held_real": D("10.00"), "total_real": D("10.00")}

    listed = api.get("/api/v1/finance/withdrawals", token=api.admin,
                     params={"state": "requested", "player_id": player.id}).json()
    assert [item["tx_id"] for item in listed["items"]] == [tx_id]

    r = api.review(tx_id, "approve")
    assert r.status_code == 200 and r.json()["transaction"]["state"] == "approved"
    r = api.mark_paid(tx_id)
    assert r.status_code == 200 and r.json()["transaction"]["state"] == "paid"
    assert api.balance(player) == {"available_real": D("0.00"), "held_real": D("0.00"), "total_real": D("0.00")}

    wallet = api.get(f"/api/v1/admin/players/{player.id}/wallet", token=api.admin).json()["wallet"]
    assert (D(wallet["available_real"]), D(wallet["held_real"]), D(wallet["total_real"])) == (0, 0, 0)
    kinds = api.sql("""SELECT m.kind, e.account, e.amount FROM ledger_movements m
                       JOIN ledger_entries e ON e.movement_id = m.id
                       WHERE m.tx_id IN (%s, %s) ORDER BY m.created_at, e.id""", deposit["id"], tx_id)
    assert kinds == [
        ("deposit_credit", "player_available", D("10.00")), ("deposit_credit", "psp_clearing", D("-10.00")),
        ("withdraw_hold", "player_available", D("-10.00")), ("withdraw_hold", "player_held", D("10.00")),
        ("payout_settle", "player_held", D("-10.00")), ("payout_settle", "payout_clearing", D("10.00")),
    ]
    assert api.ledger_violations() == []
    assert api.payout_status(tx_id) == "paid"


def test_repeated_actions_are_idempotent_and_have_no_second_effect(api: Api) -> None:
    player = api.funded_player("50.00")
    tx_id = api.withdraw(player, "20.00").json()["transaction"]["id"]
    for _ in range(2):
        r = api.review(tx_id, "approve")
        assert r.status_code == 200 and r.json()["transaction"]["state"] == "approved"
    for _ in range(2):
        r = api.mark_paid(tx_id)
        assert r.status_code == 200 and r.json()["transaction"]["state"] == "paid"
    assert api.balance(player)["available_real"] == D("30.00")
    assert api.balance(player)["held_real"] == D("0.00")
    assert api.scalar("SELECT count(*) FROM ledger_movements WHERE tx_id = %s AND kind = 'payout_settle'", tx_id) == 1
    assert api.ledger_violations() == []


def test_reject_releases_the_hold(api: Api) -> None:
    player = api.funded_player("30.00")
    tx_id = api.withdraw(player, "12.34").json()["transaction"]["id"]
    assert api.balance(player)["held_real"] == D("12.34")
    r = api.review(tx_id, "reject")
    assert r.status_code == 200 and r.json()["transaction"]["state"] == "rejected"
    assert api.review(tx_id, "reject").status_code == 200  # repeat: same answer, no second release
    assert api.balance(player) == {"available_real": D("30.00"), "held_real": D("0.00"), "total_real": D("30.00")}
    assert api.ledger_violations() == []


def test_illegal_transitions_answer_409(api: Api) -> None:
    player = api.funded_player("30.00")
    tx_id = api.withdraw(player, "5").json()["transaction"]["id"]
    r = api.mark_paid(tx_id)  # requested -> paid skips approval
    assert r.status_code == 409 and r.json()["error_code"] == "ILLEGAL_TRANSACTION_STATE_TRANSITION"
    assert api.review(tx_id, "approve").status_code == 200
    assert api.mark_paid(tx_id).status_code == 200
    for action in ("approve", "reject"):
        r = api.review(tx_id, action)
        assert r.status_code == 409 and r.json()["error_code"] == "ILLEGAL_TRANSACTION_STATE_TRANSITION"
    assert api.review("00000000-0000-0000-0000-000000000000", "approve").status_code == 404
    assert api.review("not-a-uuid", "approve").status_code == 404
    assert api.ledger_violations() == []


def test_deposit_idempotency(api: Api) -> None:
    player = api.new_player()
    first = api.deposit(player, "15.00", key="dep-1")
    again = api.deposit(player, 15, key="dep-1")  # same body (15 == "15.00")
    assert first.status_code == again.status_code == 200
    assert first.json()["transaction"]["id"] == again.json()["transaction"]["id"]
    assert api.balance(player)["available_real"] == D("15.00")

    r = api.deposit(player, "16.00", key="dep-1")
    assert r.status_code == 409 and r.json()["error_code"] == "IDEMPOTENCY_KEY_REUSE_CONFLICT"
    r = api.deposit(player, "15.00", key=None)
    assert r.status_code == 400 and r.json()["error_code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert api.balance(player)["available_real"] == D("15.00")
    assert api.scalar("SELECT count(*) FROM transactions WHERE player_id = %s", player.id) == 1


def test_withdraw_idempotency(api: Api) -> None:
    player = api.funded_player("40.00")
    first = api.withdraw(player, "10.00", key="wd-1")
    again = api.withdraw(player, "10.00", key="wd-1")
    assert first.json()["transaction"]["id"] == again.json()["transaction"]["id"]
    assert api.balance(player)["held_real"] == D("10.00")
    r = api.withdraw(player, "11.00", key="wd-1")
    assert r.status_code == 409 and r.json()["error_code"] == "IDEMPOTENCY_KEY_REUSE_CONFLICT"
    r = api.withdraw(player, "10.00", key=None)
    assert r.status_code == 400 and r.json()["error_code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert api.balance(player) == {"available_real": D("30.00"), "held_real": D("10.00"), "total_real": D("40.00")}


def test_withdraw_needs_kyc_and_funds(api: Api) -> None:
    player = api.new_player(kyc=False)
    api.deposit(player, "5.00")
    r = api.withdraw(player, "1.00")
    assert r.status_code == 403 and r.json()["error_code"] == "KYC_REQUIRED_FOR_WITHDRAWAL"
    api.post(f"/api/v1/kyc/documents/{player.id}/review", token=api.admin, json={"status": "approved"})
    r = api.withdraw(player, "5.01")
    assert r.status_code == 400 and r.json()["error_code"] == "INSUFFICIENT_FUNDS"
    assert api.balance(player) == {"available_real": D("5.00"), "held_real": D("0.00"), "total_real": D("5.00")}


def test_deposit_needs_verified_email_and_phone(api: Api) -> None:
    player = api.new_player(verified=False)
    r = api.deposit(player, "5.00")
    assert r.status_code == 403 and r.json()["error_code"] == "EMAIL_NOT_VERIFIED"
    code = api.post("/api/v1/verify/email/send", json={"email": player.email}).json()["debug_code"]
    wrong = "000000" if code != "000000" else "111111"
    r = api.post("/api/v1/verify/email/confirm", json={"email": player.email, "code": wrong})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_VERIFICATION_CODE"
    assert api.post("/api/v1/verify/email/confirm", json={"email": player.email, "code": code}).status_code == 200
    r = api.deposit(player, "5.00")
    assert r.status_code == 403 and r.json()["error_code"] == "PHONE_NOT_VERIFIED"
    api.verify(player)
    assert api.deposit(player, "5.00").status_code == 200


def test_invalid_amounts_are_refused(api: Api) -> None:
    player = api.new_player()
    for amount in ("0", "-5", "1.001", "abc"):
        assert api.deposit(player, amount).status_code == 422, amount
    assert api.balance(player)["available_real"] == D("0.00")


def test_register_twice_and_bad_credentials(api: Api) -> None:
    player = api.new_player(verified=False, kyc=False)
    r = api.post("/api/v1/auth/player/register", json={"email": player.email, "password": "another-password",
                                                       "username": "x", "phone": "+15550000", "tenant_id": "t1"})
    assert r.status_code == 400
    r = api.post("/api/v1/auth/player/login", json={"email": player.email, "password": "wrong", "tenant_id": "t1"})
    assert r.status_code == 401
    r = api.post("/api/v1/auth/login", json={"email": "admin@sandbox.local", "password": "wrong"})
    assert r.status_code == 401 and r.json()["error_code"] == "INVALID_CREDENTIALS"


def test_tokens_are_not_interchangeable(api: Api) -> None:
    player = api.new_player(verified=False, kyc=False)
    assert api.get("/api/v1/auth/me", token=api.admin).json()["email"] == "admin@sandbox.local"
    assert api.get("/api/v1/auth/me").status_code == 401
    assert api.get("/api/v1/auth/me", token=player.token).status_code == 401
    assert api.get("/api/v1/admin/dashboard", token=player.token).status_code == 401
    assert api.get("/api/v1/player/wallet/balance", token=api.admin).status_code == 401
    assert api.get("/api/v1/auth/me", token=api.admin[:-2] + "xx").status_code == 401


def test_transactions_are_listed_newest_first(api: Api) -> None:
    player = api.new_player()
    ids = [api.deposit(player, amount).json()["transaction"]["id"] for amount in ("1.00", "2.00", "3.00")]
    items = api.get("/api/v1/player/wallet/transactions", token=player.token).json()["items"]
    assert [item["id"] for item in items] == ids[::-1]
    assert {item["type"] for item in items} == {"deposit"}


def test_concurrent_requests_never_double_spend(api: Api) -> None:
    player = api.new_player()
    with ThreadPoolExecutor(max_workers=8) as pool:
        same_key = list(pool.map(lambda _: api.deposit(player, "50.00", key="race-key"), range(8)))
    assert {r.status_code for r in same_key} == {200}
    assert len({r.json()["transaction"]["id"] for r in same_key}) == 1
    assert api.balance(player)["available_real"] == D("50.00")

    with ThreadPoolExecutor(max_workers=8) as pool:
        withdrawals = list(pool.map(lambda _: api.withdraw(player, "10.00"), range(8)))
    codes = sorted(r.status_code for r in withdrawals)
    assert codes == [200] * 5 + [400] * 3
    assert api.balance(player) == {"available_real": D("0.00"), "held_real": D("50.00"), "total_real": D("50.00")}
    assert api.ledger_violations() == []
