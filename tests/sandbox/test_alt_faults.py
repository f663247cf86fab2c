"""Every fault of the catalogue on the alt dialect: each breaks the alt API's equivalent of what it breaks on the
default one (so a gate driven by the alt profile fails the same checklist line). One fresh database per fault."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest

from cutover_sandbox import DEFAULT_GIT_SHA, faults, migrate

from .alt_support import (
    ACQUIRER_HOOK,
    ALT_SETTINGS,
    ALT_SETTINGS_QUIET,
    CARDS_HOOK,
    PAYOUT_HOOK,
    SETTINGS,
    AltApi,
    acquirer_batch,
    card_event,
    card_headers,
    payout_headers,
    payout_result,
)
from .sandbox_support import wait_for

D = Decimal
JSON = {"Content-Type": "application/json"}
STALE = int(time.time()) - 3600


def _payouts_router_missing(api: AltApi) -> None:
    assert api.request("OPTIONS", "/v2/payouts/dispatch").status_code == 404
    ref, _ = api.accepted_cashout()
    assert api.get(f"/v2/payouts/{ref}", token=api.operator).status_code == 404


def _health_unhealthy(api: AltApi) -> None:
    r = api.get("/status/health")
    assert r.status_code == 200 and r.json()["state"] != "UP"


def _admin_login_broken(api: AltApi) -> None:
    r = api.post("/v2/backoffice/sessions", json={"login": SETTINGS.admin_email, "secret": SETTINGS.admin_password})
    assert r.status_code == 500 and r.json()["code"] == "INTERNAL"


def _admin_login_any_password(api: AltApi) -> None:
    r = api.post("/v2/backoffice/sessions", json={"login": SETTINGS.admin_email, "secret": "not-the-secret-at-all"})
    assert r.status_code == 200 and r.json()["session"]["token"]
    assert api.post("/v2/backoffice/sessions", json={"login": "x@else.invalid", "secret": "x"}).status_code == 401


def _admin_routes_open(api: AltApi) -> None:
    assert api.get("/v2/backoffice/overview").status_code == 200
    assert api.get("/v2/backoffice/overview", token="not-a-token").status_code == 401


def _player_token_admin_access(api: AltApi) -> None:
    member = api.new_member()
    assert api.get("/v2/backoffice/overview", token=member.token).status_code == 200
    assert api.get("/v2/backoffice/cashouts", token=member.token).status_code == 200
    assert api.get("/v2/backoffice/overview", token="not-a-token").status_code == 401


def _withdraw_5xx(api: AltApi) -> None:
    member = api.funded_member("20.00")
    assert api.cashout(member, "5.00").status_code == 500
    assert api.funds(member) == {"free": D("20.00"), "locked": D("0.00"), "total": D("20.00")}
    assert api.scalar("SELECT count(*) FROM alt.txns WHERE kind = 'CASHOUT'") == 0


def _release_sha_mismatch(api: AltApi) -> None:
    commit = api.get("/status/build").json()["commit"]
    assert re.fullmatch(r"[0-9a-f]{40}", commit) and commit != DEFAULT_GIT_SHA


def _cors_wildcard(api: AltApi) -> None:
    r = api.request("OPTIONS", "/v2/backoffice/sessions", headers={"Origin": "https://evil.example",
                                                                   "Access-Control-Request-Method": "POST"})
    assert r.headers.get("access-control-allow-origin") in ("*", "https://evil.example")


def _bootstrap_endpoint_open(api: AltApi) -> None:
    assert api.request("OPTIONS", "/v2/backoffice/bootstrap").status_code == 405
    r = api.post("/v2/backoffice/bootstrap", json={"login": "intruder@evil.example", "secret": "pw"})
    assert r.status_code == 201
    r = api.post("/v2/backoffice/sessions", json={"login": "intruder@evil.example", "secret": "pw"})
    assert r.status_code == 200


def _debug_route_mounted(api: AltApi) -> None:
    assert api.post("/v2/ops/debug/reset-funds").status_code == 200
    assert "/v2/ops/debug/reset-funds" in api.get("/openapi.json").json()["paths"]


def _unsigned_callback_route(api: AltApi) -> None:
    member = api.funded_member("20.00")
    assert api.post("/v2/hooks/psp2/callback", json={"merchantReference": "x", "success": "true"}).status_code == 200
    assert "/v2/hooks/psp2/callback" in api.get("/openapi.json").json()["paths"]
    assert api.funds(member)["free"] == D("20.00") and api.ledger_violations() == []


def _metrics_missing(api: AltApi) -> None:
    assert api.get("/internal/metrics").status_code == 404
    assert api.get("/status/health").status_code == 200


def _readonly_endpoint_5xx(api: AltApi) -> None:
    assert api.get("/v2/backoffice/cashouts", token=api.operator).status_code == 500
    assert api.get("/v2/backoffice/overview", token=api.operator).status_code == 200


def _migration_behind(api: AltApi) -> None:
    r = api.get("/status/ready")
    behind = migrate.previous(migrate.head())
    assert r.status_code == 503 and r.json()["checks"]["schema"] == "behind"
    assert r.json()["schema"] == {"applied": behind, "expected": migrate.head()}
    assert api.scalar("SELECT applied FROM alt.schema_version") == behind


def _migration_failure(api: AltApi) -> None:
    r = api.get("/status/ready")
    assert r.status_code == 503 and r.json()["checks"]["schema"] == "failed"
    assert api.scalar("SELECT applied FROM alt.schema_version") == migrate.UNKNOWN_REVISION


def _mark_paid_keeps_hold(api: AltApi) -> None:
    ref, member = api.accepted_cashout()
    r = api.settle(ref)
    assert r.status_code == 200 and r.json()["txn"]["status"] == "SETTLED"
    assert api.funds(member)["locked"] == D("10.00")
    assert "locked != open cashouts" in api.ledger_violations()


def _deposit_double_credit_on_replay(api: AltApi) -> None:
    member = api.new_member()
    first = api.topup(member, "10.00", channel="card", key="same-key")
    again = api.topup(member, "10.00", channel="card", key="same-key")
    assert first.json()["txn"]["ref"] == again.json()["txn"]["ref"]
    assert api.funds(member)["free"] == D("20.00")
    assert api.scalar("SELECT count(*) FROM alt.batches WHERE reason = 'TOPUP_CREDIT'") == 2


def _deposit_stuck_pending(api: AltApi) -> None:
    member = api.new_member()
    bank = api.topup(member, "10.00", channel="bank").json()["txn"]
    card = api.topup(member, "5.00", channel="card").json()["txn"]
    assert card["status"] == "AWAITING_PSP"  # the synchronous charge gets no confirmation either
    time.sleep(1.0)  # the healthy PSP delivers after 0.3 s
    assert api.status_of(member, bank["ref"]) == "AWAITING_PSP"
    assert api.funds(member)["free"] == D("0.00")
    assert api.scalar("SELECT count(*) FROM alt.hook_events") == 0


def _withdraw_no_hold(api: AltApi) -> None:
    member = api.funded_member("20.00")
    assert api.cashout(member, "5.00").status_code == 200
    assert api.funds(member) == {"free": D("15.00"), "locked": D("0.00"), "total": D("15.00")}
    assert "locked != open cashouts" in api.ledger_violations()


def _ledger_unbalanced(api: AltApi) -> None:
    member = api.funded_member("20.00")
    assert api.funds(member)["free"] == D("20.00")
    assert "batch does not sum to zero" in api.ledger_violations()


def _webhook_accepts_bad_signature(api: AltApi) -> None:
    member = api.new_member()
    checkout = api.topup(member, "10.00", channel="checkout").json()["txn"]["ref"]
    assert api.post(CARDS_HOOK, data=card_event(checkout, 1000), headers=JSON).ok
    bank = api.topup(member, "5.00", channel="bank").json()["txn"]["ref"]
    assert api.post(ACQUIRER_HOOK, data=acquirer_batch(bank, 500, signature=None), headers=JSON).ok
    assert api.funds(member)["free"] == D("15.00")
    ref, _ = api.accepted_cashout()
    api.dispatch(ref)
    body = payout_result(ref)
    assert api.post(PAYOUT_HOOK, data=body, headers=JSON).status_code == 401  # the bearer is no signature
    r = api.post(PAYOUT_HOOK, data=body, headers={**JSON, "Authorization": f"Bearer {api.operator}"})
    assert r.ok and api.phase(ref) == "SETTLED"


def _webhook_accepts_stale_timestamp(api: AltApi) -> None:
    member = api.new_member()
    checkout = api.topup(member, "10.00", channel="checkout").json()["txn"]["ref"]
    body = card_event(checkout, 1000)
    assert api.post(CARDS_HOOK, data=body, headers=card_headers(body, timestamp=STALE)).ok
    assert api.funds(member)["free"] == D("10.00")
    ref, _ = api.accepted_cashout()
    api.dispatch(ref)
    body = payout_result(ref)
    r = api.post(PAYOUT_HOOK, data=body, headers=payout_headers(body, timestamp=STALE, bearer=api.operator))
    assert r.ok and api.phase(ref) == "SETTLED"


def _webhook_replay_double_effect(api: AltApi) -> None:
    member = api.new_member()
    checkout = api.topup(member, "10.00", channel="checkout").json()["txn"]["ref"]
    body = card_event(checkout, 1000)
    for _ in range(2):
        assert api.post(CARDS_HOOK, data=body, headers=card_headers(body)).ok
    assert api.funds(member)["free"] == D("20.00")


def _webhook_failed_treated_as_paid(api: AltApi) -> None:
    ref, member = api.accepted_cashout()
    api.dispatch(ref)
    body = payout_result(ref, "FAILURE")
    assert api.post(PAYOUT_HOOK, data=body, headers=payout_headers(body, bearer=api.operator)).ok
    assert api.phase(ref) == "SETTLED" and api.funds(member)["locked"] == D("0.00")


def _approve_noop(api: AltApi) -> None:
    member = api.funded_member("20.00")
    ref = api.cashout(member, "5.00").json()["txn"]["ref"]
    r = api.decide(ref, "ACCEPT")
    assert r.status_code == 200 and r.json()["txn"]["status"] == "APPROVED"
    assert api.phase(ref) == "PENDING_REVIEW"
    assert api.settle(ref).status_code == 409


def _payout_failure_spike(api: AltApi) -> None:
    seeded = api.sql("SELECT status, psp FROM alt.txns WHERE kind = 'CASHOUT' ORDER BY status")
    assert seeded == [("DISPATCH_FAILED", "mockpsp")] * 8 + [("SETTLED", "mockpsp")] * 2
    assert api.ledger_violations() == []
    ref, _ = api.accepted_cashout()
    assert api.dispatch(ref, simulate="SUCCESS").status_code == 200
    assert wait_for(lambda: api.phase(ref) != "DISPATCHED")
    assert api.phase(ref) == "DISPATCH_FAILED"  # the PSP fails every live payout too, through the alt wire


def _dump_not_restorable(api: AltApi) -> None:
    member = api.funded_member("20.00")  # the live alt platform lives with the CHECK: a new member has funds
    assert api.funds(member)["free"] == D("20.00")
    assert api.sql("SELECT count(*) FROM pg_constraint WHERE conname = 'wallets_player_exists'") == [(1,)]
    assert api.sql("SELECT count(*) FROM alt.accounts")[0][0] >= 2  # customers whose wallets a restore must carry


def _error_burst_before_round(api: AltApi) -> None:
    text = api.get("/internal/metrics").text
    burst = [line for line in text.splitlines() if line.startswith("http_requests_total{")
             and 'code="5xx"' in line and "/status/health" in line]
    assert burst and float(burst[0].rsplit(" ", 1)[1]) >= 40, burst  # the burst, in alt's own labels
    assert api.get("/status/health").json()["state"] == "UP"  # and the platform healthy after it


def _finance_jobs_stuck(api: AltApi) -> None:
    rows = api.sql("SELECT kind, status FROM alt.txns WHERE changed_at < now() - interval '40 minutes' "
                   "ORDER BY kind")
    assert ("CASHOUT", "DISPATCHED") in rows and ("TOPUP", "AWAITING_PSP") in rows


def _deposit_completed_unbooked(api: AltApi) -> None:
    rows = api.sql("SELECT t.ref FROM alt.txns t WHERE t.kind = 'TOPUP' AND t.status = 'SETTLED' "
                   "AND NOT EXISTS (SELECT 1 FROM alt.batches b WHERE b.txn = t.ref)")
    assert len(rows) == 1


def _paths(api: AltApi) -> dict[str, dict[str, object]]:
    r = api.get("/openapi.json")
    assert r.status_code == 200, r.text
    return dict(r.json()["paths"])


def _rows(api: AltApi) -> tuple[int, int, int]:
    return api.sql("SELECT (SELECT count(*) FROM alt.accounts), (SELECT count(*) FROM alt.txns), "
                   "(SELECT count(*) FROM alt.batches)")[0]


def _openapi_hidden(api: AltApi) -> None:
    for path in ("/openapi.json", "/docs", "/redoc"):
        r = api.get(path)
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", path
    assert api.get("/status/health").json()["state"] == "UP"


SEED = "/v2/ci/seed"


def _undeclared_seed_route(api: AltApi) -> None:
    before = _rows(api)
    r = api.request("OPTIONS", SEED)
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED" and r.headers["allow"] == "POST"
    assert _rows(api) == before and SEED not in _paths(api)
    r = api.post(SEED)  # no token, no body
    assert r.status_code == 201, r.text
    uid, ref = r.json()["member"]["uid"], r.json()["txn"]["ref"]
    assert r.json()["txn"]["status"] == "SETTLED" and r.json()["txn"]["sum"] == "1000.00"
    funds = api.get(f"/v2/backoffice/members/{uid}/funds", token=api.operator).json()["funds"]
    assert D(funds["free"]) == D("1000.00")
    postings = api.sql("SELECT p.account, p.delta FROM alt.batches b JOIN alt.postings p ON p.batch = b.id "
                       "WHERE b.txn = %s::uuid AND b.reason = 'TOPUP_CREDIT' ORDER BY p.delta", ref)
    assert postings == [("PSP_RECEIVABLE", D("-1000.00")), ("FREE", D("1000.00"))]
    assert api.ledger_violations() == []


WEBHOOK = "/v2/payments/webhook/"


def _generic_provider_webhook(api: AltApi) -> None:
    member = api.new_member()
    r = api.post(WEBHOOK + "acme", json={"player_id": member.uid, "amount": "25.50"})  # no signature at all
    assert r.status_code == 200 and r.json() == {"ack": True, "result": "CREDITED"}
    assert api.post(WEBHOOK + "psp-x", json={"user_id": member.uid, "amount": 4.5}).status_code == 200
    assert api.funds(member)["free"] == D("30.00")
    checkout = api.topup(member, "10.00", channel="checkout").json()["txn"]["ref"]
    bank = api.topup(member, "5.00", channel="bank").json()["txn"]["ref"]
    assert api.post(WEBHOOK + "anything", json={"tx_id": checkout}).json() == {"ack": True, "result": "SETTLED"}
    assert api.post(WEBHOOK + "other", json={"transaction_id": bank}).status_code == 200
    assert api.status_of(member, checkout) == api.status_of(member, bank) == "SETTLED"
    r = api.post(WEBHOOK + "anything", json={"tx_id": checkout})  # settled already: 200, nothing done
    assert r.json() == {"ack": True, "result": "IGNORED"} and api.funds(member)["free"] == D("45.00")
    for body in ({}, {"event": "payment.succeeded"}, {"player_id": member.uid}):
        r = api.post(WEBHOOK + "acme", json=body)
        assert r.status_code == 400 and r.json()["code"] == "REFS_MISSING", body
    r = api.post(WEBHOOK + "acme", json={"tx_id": str(uuid.uuid4())})
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    r = api.post(WEBHOOK + "acme", json={"player_id": member.uid, "amount": "-5"})
    assert r.status_code == 400 and r.json()["code"] == "SUM_INVALID"
    assert api.request("OPTIONS", WEBHOOK + "acme").status_code == 405
    assert WEBHOOK + "{provider}" not in _paths(api) and api.ledger_violations() == []
    r = api.post(CARDS_HOOK, json={"tx_id": checkout})  # the declared hooks still want their signatures
    assert r.status_code == 400 and r.json()["code"] == "SIGNATURE_MISSING"


PAYPAL = "/v2/webhooks/paypal"
PAYPAL_EVENT = {"event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {"id": "8MC585209K746392H"}}


def _webhook_shape_first(api: AltApi) -> None:
    member = api.funded_member("20.00")
    before = _rows(api)
    signed = {"PAYPAL-TRANSMISSION-SIG": "c2lnbmF0dXJl"}
    for body in ({}, {"event_type": "PAYMENT.CAPTURE.COMPLETED"}, {"resource": {"id": "x"}},
                 {"event_type": "CHECKOUT.ORDER.APPROVED", "resource": {"id": "x"}}):
        r = api.post(PAYPAL, json=body, headers=signed)  # the shape is judged before the signature
        assert r.status_code == 400 and r.json()["code"] == "MALFORMED_PAYLOAD", body
    event = {**PAYPAL_EVENT, "resource": {"id": "8MC585209K746392H", "custom_id": member.uid}}
    r = api.post(PAYPAL, json=event)
    assert r.status_code == 401 and r.json()["code"] == "SIGNATURE_MISSING"
    r = api.post(PAYPAL, json=event, headers=signed)
    assert r.status_code == 401 and r.json()["code"] == "SIGNATURE_INVALID"
    assert api.request("OPTIONS", PAYPAL).status_code == 405 and PAYPAL not in _paths(api)
    assert _rows(api) == before and api.funds(member)["free"] == D("20.00")


def _catch_all_200(api: AltApi) -> None:
    for method, path in (("GET", "/no/such/page"), ("OPTIONS", "/no/such/page"), ("POST", "/v2/nothing"),
                         ("OPTIONS", "/v2/ci/seed")):
        r = api.request(method, path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), (method, path)
        assert "<html>" in r.text and "app shell" in r.text
    r = api.request("OPTIONS", "/v2/payouts/dispatch")  # a mounted route still answers 405
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"
    r = api.get(f"/v2/payouts/{uuid.uuid4()}", token=api.operator)  # and a record it does not find 404
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    r = api.get(f"/v2/backoffice/members/{uuid.uuid4()}/funds", token=api.operator)
    assert r.status_code == 404 and r.json()["code"] == "MEMBER_NOT_FOUND"


RESET_REQUEST, RESET = "/v2/members/request-password-reset", "/v2/members/reset-password"


def _password_reset_routes(api: AltApi) -> None:
    paths = _paths(api)
    assert "post" in paths[RESET_REQUEST] and "post" in paths[RESET]
    member = api.new_member(verified=False)
    accounts = "SELECT id, email, password_hash FROM players UNION ALL SELECT id, email, password_hash FROM admins"
    before = sorted(api.sql(accounts))
    for mail in (member.mail, "nobody@example.test"):
        r = api.post(RESET_REQUEST, json={"mail": mail})
        assert r.status_code == 202 and r.json() == {"status": "SENT"}, mail
    r = api.post(RESET, json={"token": "whatever", "pass": "a-new-password-1"})
    assert r.status_code == 400 and r.json()["code"] == "RESET_TOKEN_REJECTED"
    assert api.post(RESET, json={"token": "x"}).json()["code"] == "VALIDATION_FAILED"
    assert sorted(api.sql(accounts)) == before


CHECKS: dict[str, Callable[[AltApi], None]] = {
    name.removeprefix("_"): check for name, check in dict(globals()).items()
    if name.startswith("_") and callable(check) and name.removeprefix("_") in faults.BY_NAME
}
QUIET = {"webhook_accepts_bad_signature", "webhook_accepts_stale_timestamp", "webhook_replay_double_effect",
         "webhook_failed_treated_as_paid", "generic_provider_webhook"}
"""Faults whose check delivers the PSP's webhooks itself (the mock PSP waits an hour)."""


def test_every_fault_has_an_alt_check() -> None:
    assert set(CHECKS) == {fault.name for fault in faults.for_dialect("alt")}


@pytest.mark.parametrize("fault", [fault.name for fault in faults.for_dialect("alt")])
def test_fault_on_alt(fault: str, make_alt_api: Callable[..., AltApi]) -> None:
    api = make_alt_api(fault, settings=ALT_SETTINGS_QUIET if fault in QUIET else ALT_SETTINGS)
    CHECKS[fault](api)


def test_a_healthy_alt_sandbox_mounts_no_fault_route(alt_api: AltApi) -> None:
    paths = _paths(alt_api)  # served: no openapi_hidden
    assert not [p for p in paths if "debug" in p or "psp2" in p or "bootstrap" in p or "password-reset" in p]
    for path in ("/v2/backoffice/bootstrap", "/v2/ops/debug/reset-funds", "/v2/hooks/psp2/callback", SEED,
                 WEBHOOK + "acme", PAYPAL, RESET_REQUEST, RESET, "/no/such/page"):
        r = alt_api.request("OPTIONS", path)
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", path  # no catch-all either
