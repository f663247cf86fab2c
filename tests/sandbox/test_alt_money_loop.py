"""Money on the alt dialect through HTTP: the synchronous card top-up, the top-ups that wait for their PSP's signed
webhook, the cashout loop end to end with exact funds, idempotency by X-Request-Id, and the alt views holding the
same numbers as the tables, in alt names."""

from __future__ import annotations

import importlib.util
import uuid
from decimal import Decimal
from types import ModuleType

from cutover_sandbox import ledger, migrate, withdrawals
from cutover_sandbox.api.alt import names

from .alt_support import (
    ACQUIRER_HOOK,
    CARDS_HOOK,
    PAYOUT_HOOK,
    AltApi,
    acquirer_batch,
    card_event,
    card_headers,
    payout_headers,
    payout_result,
)
from .sandbox_support import wait_for

D = Decimal


def test_a_card_topup_settles_in_the_answer_without_a_webhook(alt_api: AltApi) -> None:
    member = alt_api.new_member()
    r = alt_api.topup(member, "12.34", channel="card")
    assert r.status_code == 200, r.text
    txn = r.json()["txn"]
    assert (txn["status"], txn["kind"], txn["sum"], txn["psp"]) == ("SETTLED", "TOPUP", "12.34", "stripe")
    assert txn["psp_ref"].startswith("ch_")
    # credited before the answer: no waiting, no webhook
    assert alt_api.funds(member) == {"free": D("12.34"), "locked": D("0.00"), "total": D("12.34")}
    assert alt_api.sql("SELECT reason, external_ref FROM alt.batches WHERE txn = %s", txn["ref"]) == [
        ("TOPUP_CREDIT", txn["psp_ref"])]
    assert alt_api.scalar("SELECT count(*) FROM webhook_events WHERE tx_id = %s", txn["ref"]) == 0
    assert (txn["ref"], "stripe", 1234, "USD") in alt_api.sandbox.psp.charges  # type: ignore[union-attr]
    assert not [path for path, _ in alt_api.sandbox.psp.delivered if path == CARDS_HOOK]  # type: ignore[union-attr]


def test_a_bank_topup_waits_for_the_acquirers_signed_webhook(alt_api: AltApi) -> None:
    member = alt_api.new_member()
    r = alt_api.topup(member, "25.50", channel="bank")
    txn = r.json()["txn"]
    assert (txn["status"], txn["psp"]) == ("AWAITING_PSP", "adyen")
    assert alt_api.funds(member)["free"] == D("0.00")
    assert wait_for(lambda: alt_api.status_of(member, txn["ref"]) == "SETTLED"), "the acquirer webhook never came"
    assert alt_api.funds(member) == {"free": D("25.50"), "locked": D("0.00"), "total": D("25.50")}
    assert alt_api.sql("SELECT psp, result FROM alt.hook_events WHERE txn = %s", txn["ref"]) == [
        ("adyen", "PROCESSED")]
    delivered = alt_api.sandbox.psp.delivered  # type: ignore[union-attr]
    assert (ACQUIRER_HOOK, 200) in delivered
    assert alt_api.ledger_violations() == []


def test_a_checkout_topup_waits_for_the_card_psps_signed_webhook(alt_api: AltApi) -> None:
    member = alt_api.new_member()
    txn = alt_api.topup(member, "8.00", channel="checkout").json()["txn"]
    assert txn["status"] == "AWAITING_PSP"
    assert wait_for(lambda: alt_api.status_of(member, txn["ref"]) == "SETTLED"), "the card PSP webhook never came"
    assert alt_api.funds(member)["free"] == D("8.00")
    assert (CARDS_HOOK, 200) in alt_api.sandbox.psp.delivered  # type: ignore[union-attr]


def test_self_delivered_topup_webhooks_settle_once(quiet_alt_api: AltApi) -> None:
    api = quiet_alt_api
    member = api.new_member()
    bank = api.topup(member, "20.00", channel="bank").json()["txn"]["ref"]
    checkout = api.topup(member, "5.00", channel="checkout").json()["txn"]["ref"]
    assert api.funds(member)["free"] == D("0.00")

    batch = acquirer_batch(bank, 2000)
    r = api.post(ACQUIRER_HOOK, data=batch, headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json() == {"ack": True, "replayed": False, "results": ["PROCESSED"]}
    again = api.post(ACQUIRER_HOOK, data=batch, headers={"Content-Type": "application/json"})
    assert again.json()["replayed"] is True

    event = card_event(checkout, 500)
    r = api.post(CARDS_HOOK, data=event, headers=card_headers(event))
    assert r.status_code == 200 and r.json() == {"ack": True, "replayed": False, "result": "PROCESSED"}
    assert api.post(CARDS_HOOK, data=event, headers=card_headers(event)).json()["replayed"] is True
    assert api.funds(member) == {"free": D("25.00"), "locked": D("0.00"), "total": D("25.00")}
    assert api.ledger_violations() == []


def test_topup_webhook_refusals_move_no_money(quiet_alt_api: AltApi) -> None:
    api = quiet_alt_api
    member = api.new_member()
    bank = api.topup(member, "20.00", channel="bank").json()["txn"]["ref"]
    checkout = api.topup(member, "5.00", channel="checkout").json()["txn"]["ref"]
    json_only = {"Content-Type": "application/json"}
    for body in (acquirer_batch(bank, 2000, signature=None), acquirer_batch(bank, 2000, key_b64="d3Jvbmc="),
                 acquirer_batch(bank, 2000, signature="c2lnbmF0dXJl")):
        r = api.post(ACQUIRER_HOOK, data=body, headers=json_only)
        assert r.status_code == 401 and r.json()["code"] in ("SIGNATURE_MISSING", "SIGNATURE_INVALID"), r.text
    event = card_event(checkout, 500)
    r = api.post(CARDS_HOOK, data=event, headers=json_only)
    assert r.status_code == 400 and r.json()["code"] == "SIGNATURE_MISSING"
    r = api.post(CARDS_HOOK, data=event, headers=card_headers(event, secret="whsec_wrong"))
    assert r.status_code == 400 and r.json()["code"] == "SIGNATURE_INVALID"
    r = api.post(CARDS_HOOK, data=event, headers={"Stripe-Signature": card_headers(event)["X-Card-Signature"],
                                                  **json_only})  # the contract's header name is not read
    assert r.status_code == 400 and r.json()["code"] == "SIGNATURE_MISSING"
    assert {api.status_of(member, bank), api.status_of(member, checkout)} == {"AWAITING_PSP"}
    assert api.funds(member)["free"] == D("0.00")


def test_the_payout_webhook_wants_the_admin_bearer_and_the_signature(quiet_alt_api: AltApi) -> None:
    api = quiet_alt_api
    ref, member = api.accepted_cashout("30.00", funded="50.00")
    api.dispatch(ref)
    before = api.funds(member)
    body = payout_result(ref)
    member_token = member.token
    refusals = {
        "no bearer": (payout_headers(body), 401, "UNAUTHENTICATED"),
        "a member's bearer": (payout_headers(body, bearer=member_token), 401, "SESSION_INVALID"),
        "bearer, no signature": ({"Authorization": f"Bearer {api.operator}", "Content-Type": "application/json"},
                                 400, "SIGNATURE_MISSING"),
        "bearer, wrong secret": (payout_headers(body, secret="not-the-secret", bearer=api.operator), 401,
                                 "SIGNATURE_INVALID"),
        "bearer, stale": (payout_headers(body, timestamp=1, bearer=api.operator), 401, "SIGNATURE_EXPIRED"),
        "the contract's headers": ({"X-Webhook-Timestamp": payout_headers(body)["X-Sig-Timestamp"],
                                    "X-Webhook-Signature": payout_headers(body)["X-Sig"],
                                    "Authorization": f"Bearer {api.operator}"}, 400, "SIGNATURE_MISSING"),
    }
    for case, (headers, status, code) in refusals.items():
        r = api.post(PAYOUT_HOOK, data=body, headers=headers)
        assert (r.status_code, r.json()["code"]) == (status, code), case
    assert api.phase(ref) == "DISPATCHED" and api.funds(member) == before
    assert api.scalar("SELECT count(*) FROM alt.hook_events WHERE txn = %s", ref) == 0

    r = api.post(PAYOUT_HOOK, data=body, headers=payout_headers(body, bearer=api.operator))
    assert r.status_code == 200 and r.json() == {"ack": True, "replayed": False, "result": "PROCESSED"}
    assert api.phase(ref) == "SETTLED"
    assert api.funds(member) == {"free": D("20.00"), "locked": D("0.00"), "total": D("20.00")}
    replay = api.post(PAYOUT_HOOK, data=body, headers=payout_headers(body, bearer=api.operator))
    assert replay.status_code == 200 and replay.json()["replayed"] is True
    assert api.funds(member) == {"free": D("20.00"), "locked": D("0.00"), "total": D("20.00")}
    assert api.scalar("SELECT count(*) FROM alt.batches WHERE txn = %s AND reason = 'CASHOUT_SETTLE'", ref) == 1
    assert api.ledger_violations() == []


def test_a_failed_payout_can_be_declined_and_unlocks(quiet_alt_api: AltApi) -> None:
    api = quiet_alt_api
    ref, member = api.accepted_cashout("30.00", funded="50.00")
    api.dispatch(ref)
    body = payout_result(ref, "FAILURE")
    assert api.post(PAYOUT_HOOK, data=body, headers=payout_headers(body, bearer=api.operator)).status_code == 200
    assert api.phase(ref) == "DISPATCH_FAILED"
    assert api.funds(member)["locked"] == D("30.00")
    assert api.decide(ref, "DECLINE").json()["txn"]["status"] == "DECLINED"
    assert api.funds(member) == {"free": D("50.00"), "locked": D("0.00"), "total": D("50.00")}
    assert api.sql("SELECT status FROM alt.txns WHERE ref = %s", ref) == [("DECLINED",)]
    assert api.ledger_violations() == []


def test_the_money_loop_end_to_end(alt_api: AltApi) -> None:
    api = alt_api
    member = api.new_member()
    card = api.topup(member, "10.00", channel="card", key="loop-card").json()["txn"]
    bank = api.topup(member, "15.00", channel="bank", key="loop-bank").json()["txn"]
    assert (card["status"], bank["status"]) == ("SETTLED", "AWAITING_PSP")
    assert wait_for(lambda: api.status_of(member, bank["ref"]) == "SETTLED")
    assert api.funds(member) == {"free": D("25.00"), "locked": D("0.00"), "total": D("25.00")}

    r = api.cashout(member, "7.50", key="loop-cashout")
    assert r.status_code == 200, r.text
    assert r.json()["funds"] == {"free": "17.50", "locked": "7.50", "total": "25.00", "ccy": "USD"}
    ref = r.json()["txn"]["ref"]
    queue = api.get(f"/v2/backoffice/cashouts?status=PENDING_REVIEW&member={member.uid}", token=api.operator).json()
    assert [row["ref"] for row in queue["data"]] == [ref] and queue["page"]["total"] == 1
    assert set(queue["data"][0]) == {"ref", "member", "sum", "ccy", "status", "opened_at", "changed_at", "psp"}
    assert api.decide(ref, "ACCEPT").json()["txn"]["status"] == "APPROVED"
    assert api.decide(ref, "ACCEPT").json()["txn"]["status"] == "APPROVED"  # a repeat is a no-op
    r = api.dispatch(ref, key="loop-dispatch")
    assert r.json()["txn"]["status"] == "DISPATCHED" and r.json()["replayed"] is False
    assert api.dispatch(ref, key="loop-dispatch").json()["replayed"] is True
    assert wait_for(lambda: api.phase(ref) == "SETTLED"), "the mock PSP's payout result never came"
    assert api.funds(member) == {"free": D("17.50"), "locked": D("0.00"), "total": D("17.50")}
    r = api.decide(ref, "DECLINE")
    assert r.status_code == 409 and r.json() == {"code": "ILLEGAL_TRANSITION",
                                                 "detail": "cannot decline a cashout in status SETTLED"}
    entries = api.get("/v2/me/activity", token=member.token).json()["entries"]
    assert [(e["kind"], e["status"], e["sum"]) for e in entries] == [
        ("CASHOUT", "SETTLED", "7.50"), ("TOPUP", "SETTLED", "15.00"), ("TOPUP", "SETTLED", "10.00")]
    assert api.scalar("SELECT count(*) FROM webhook_events w WHERE w.tx_id = %s", ref) == 1
    assert api.ledger_violations() == []


def test_a_cashout_settled_by_hand(alt_api: AltApi) -> None:
    ref, member = alt_api.accepted_cashout("10.00", funded="40.00")
    r = alt_api.settle(ref)
    assert r.status_code == 200 and r.json()["txn"]["status"] == "SETTLED"
    assert alt_api.settle(ref).json()["txn"]["status"] == "SETTLED"  # a replay moves nothing
    assert alt_api.funds(member) == {"free": D("30.00"), "locked": D("0.00"), "total": D("30.00")}


def test_a_payout_to_another_psp_waits_for_that_psps_webhook(alt_api: AltApi) -> None:
    ref, member = alt_api.accepted_cashout("10.00", funded="40.00")
    r = alt_api.post("/v2/payouts/dispatch", token=alt_api.operator, key=uuid.uuid4().hex,
                     json={"cashout_ref": ref, "psp": "cutover-gate"})
    assert r.status_code == 200 and r.json()["txn"]["psp"] == "cutover-gate"
    assert not wait_for(lambda: alt_api.phase(ref) != "DISPATCHED", timeout=1.0)
    body = payout_result(ref, psp="cutover-gate")
    r = alt_api.post(PAYOUT_HOOK, data=body, headers=payout_headers(body, bearer=alt_api.operator))
    assert r.status_code == 200 and alt_api.phase(ref) == "SETTLED"
    assert alt_api.funds(member)["total"] == D("30.00")


def test_idempotency_by_request_id(alt_api: AltApi) -> None:
    member = alt_api.new_member()
    first = alt_api.topup(member, "15.00", channel="card", key="top-1")
    again = alt_api.topup(member, "15", channel="card", key="top-1")
    assert first.json()["txn"]["ref"] == again.json()["txn"]["ref"] and again.json()["replayed"] is True
    r = alt_api.topup(member, "16.00", channel="card", key="top-1")
    assert r.status_code == 409 and r.json()["code"] == "IDEMPOTENCY_CONFLICT"
    assert alt_api.funds(member)["free"] == D("15.00")
    charges = [c for c in alt_api.sandbox.psp.charges if c[0] == first.json()["txn"]["ref"]]  # type: ignore[union-attr]
    assert len(charges) == 1  # the replay charged nothing
    out = alt_api.cashout(member, "5.00", key="out-1")
    assert alt_api.cashout(member, "5.00", key="out-1").json()["txn"]["ref"] == out.json()["txn"]["ref"]
    assert alt_api.cashout(member, "6.00", key="out-1").json()["code"] == "IDEMPOTENCY_CONFLICT"
    assert alt_api.cashout(member, "5.00", key=None).json()["code"] == "IDEMPOTENCY_KEY_MISSING"
    ref = out.json()["txn"]["ref"]
    alt_api.decide(ref, "ACCEPT")
    assert alt_api.dispatch(ref, key=None).json()["code"] == "IDEMPOTENCY_KEY_MISSING"
    assert alt_api.funds(member) == {"free": D("10.00"), "locked": D("5.00"), "total": D("15.00")}


def test_the_alt_views_hold_the_tables_numbers_in_alt_names(alt_api: AltApi) -> None:
    api = alt_api
    member = api.funded_member("40.00")
    declined = api.cashout(member, "5.00").json()["txn"]["ref"]
    api.decide(declined, "DECLINE")
    pending = api.cashout(member, "7.00").json()["txn"]["ref"]
    settled, _ = api.accepted_cashout("3.00", funded="10.00")
    api.settle(settled)

    assert api.sql("SELECT free, locked FROM alt.accounts WHERE owner = %s", member.uid) == [(D("33.00"), D("7.00"))]
    assert api.sql("SELECT available_real, held_real FROM wallets WHERE player_id = %s", member.uid) == [
        (D("33.00"), D("7.00"))]
    entries = api.get("/v2/me/activity", token=member.token).json()["entries"]
    topup = next(entry["ref"] for entry in entries if entry["kind"] == "TOPUP")
    assert dict(api.sql("SELECT ref::text, status FROM alt.txns WHERE member = %s", member.uid)) == {
        declined: "DECLINED", pending: "PENDING_REVIEW", topup: "SETTLED"}
    for ref in (declined, pending):
        assert api.sql("SELECT status FROM alt.txns WHERE ref = %s", ref) == [(api.status_of(member, ref),)]
    postings = api.sql("""SELECT b.reason, p.account, p.delta FROM alt.postings p JOIN alt.batches b ON b.id = p.batch
                          WHERE b.txn = %s ORDER BY b.booked_at, p.id""", declined)
    assert postings == [("CASHOUT_LOCK", "FREE", D("-5.00")), ("CASHOUT_LOCK", "LOCKED", D("5.00")),
                        ("CASHOUT_UNLOCK", "LOCKED", D("-5.00")), ("CASHOUT_UNLOCK", "FREE", D("5.00"))]
    assert api.scalar("""SELECT count(*) FROM alt.postings p JOIN alt.batches b ON b.id = p.batch
                         WHERE b.txn = %s AND p.account = 'PAYOUT_TRANSIT'""", settled) == 1
    # the whole books, both ways: the views are the tables, renamed
    assert api.sql("SELECT count(*), sum(delta) FROM alt.postings") == api.sql(
        "SELECT count(*), sum(amount) FROM ledger_entries")
    assert api.scalar("SELECT count(*) FROM alt.txns") == api.scalar("SELECT count(*) FROM transactions")
    assert api.scalar("SELECT applied FROM alt.schema_version") == api.scalar(
        "SELECT version_num FROM alembic_version")
    states = {row[0] for row in api.sql("SELECT DISTINCT status FROM alt.txns")}
    assert states <= {"NEW", "AWAITING_PSP", "SETTLED", "FAILED", "PENDING_REVIEW", "APPROVED", "DISPATCHED",
                      "DISPATCH_FAILED", "DECLINED", "CANCELLED"}
    assert api.ledger_violations() == []


def _views_revision() -> ModuleType:
    path = migrate.MIGRATIONS_DIR / "versions" / "0003_tenants_alt_views.py"
    spec = importlib.util.spec_from_file_location("views_revision", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_views_and_the_api_use_the_same_names() -> None:
    """The revision spells the names out (a revision must not change when the code does): they must agree with the
    API's, and cover every state, account and movement the domain has."""
    revision = _views_revision()
    for table in ("KINDS", "DEPOSIT_STATES", "WITHDRAWAL_STATES", "ACCOUNTS", "REASONS"):
        assert getattr(revision, table) == dict(getattr(names, table)), table
    domain_states = {state for sources, target in withdrawals.TRANSITIONS.values() for state in (*sources, target)}
    assert domain_states | {"canceled"} == set(names.WITHDRAWAL_STATES)
    assert {ledger.PLAYER_AVAILABLE, ledger.PLAYER_HELD, ledger.PSP_CLEARING, ledger.PAYOUT_CLEARING} == set(
        names.ACCOUNTS)
    assert len(set(names.WITHDRAWAL_STATES.values())) == len(names.WITHDRAWAL_STATES)
