"""The alt dialect's API through HTTP: other paths, fields, states and error codes; the fixed verification code; KYC
at onboarding; tenants that must exist; the registration rate limit; and none of the contract's routes."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cutover_sandbox import DEFAULT_GIT_SHA, dialects, migrate
from cutover_sandbox.core.config import Settings
from cutover_sandbox.server import Sandbox

from .alt_support import PASSWORD, SETTINGS, AltApi
from .sandbox_support import Api

D = Decimal
MakeAltApi = Callable[..., AltApi]
ALLOWED_ORIGIN = "https://admin.sandbox.local"


def test_status_health_ready_build(alt_api: AltApi) -> None:
    assert alt_api.get("/status/health").json() == {"state": "UP", "env": "sandbox"}
    r = alt_api.get("/status/ready")
    assert r.status_code == 200
    assert r.json() == {"ready": True, "checks": {"db": "up", "schema": "current"},
                        "schema": {"applied": migrate.head(), "expected": migrate.head()}}
    build = alt_api.get("/status/build").json()
    assert build["commit"] == DEFAULT_GIT_SHA and build["built_at"].endswith("Z")
    assert alt_api.scalar("SELECT applied FROM alt.schema_version") == migrate.head()


def test_none_of_the_contract_routes_is_served(alt_api: AltApi) -> None:
    for path in ("/api/health", "/api/readiness", "/api/version", "/metrics"):
        r = alt_api.get(path)
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", path
    r = alt_api.post("/api/v1/auth/login", json={"email": SETTINGS.admin_email, "password": SETTINGS.admin_password})
    assert r.status_code == 404
    assert alt_api.request("OPTIONS", "/api/v1/payouts/initiate").status_code == 404


def test_metrics_use_the_alt_labels(alt_api: AltApi) -> None:
    alt_api.get("/status/health")
    alt_api.get("/v2/backoffice/whoami")  # 401
    text = alt_api.get("/internal/metrics").text
    samples = {(s.name, tuple(sorted(s.labels.items()))) for family in text_string_to_metric_families(text)
               for s in family.samples}
    assert ("http_requests_total", (("code", "2xx"), ("route", "/status/health"), ("verb", "GET"))) in samples
    assert ("http_requests_total", (("code", "4xx"), ("route", "/v2/backoffice/whoami"), ("verb", "GET"))) in samples
    assert ("http_request_duration_seconds_count", (("route", "/status/health"), ("verb", "GET"))) in samples
    assert "handler=" not in text and "status=" not in text


def test_operator_session_whoami_and_overview(alt_api: AltApi) -> None:
    r = alt_api.post("/v2/backoffice/sessions", json={"login": SETTINGS.admin_email, "secret": "wrong-secret-1"})
    assert r.status_code == 401 and r.json()["code"] == "BAD_CREDENTIALS" and r.json()["detail"]
    r = alt_api.post("/v2/backoffice/sessions", json={"email": SETTINGS.admin_email,
                                                       "password": SETTINGS.admin_password})
    assert r.status_code == 422 and r.json()["code"] == "VALIDATION_FAILED"  # the contract's field names
    assert alt_api.get("/v2/backoffice/whoami").json()["code"] == "UNAUTHENTICATED"
    me = alt_api.get("/v2/backoffice/whoami", token=alt_api.operator).json()["operator"]
    assert me["login"] == SETTINGS.admin_email
    member = alt_api.funded_member("7.00")
    alt_api.cashout(member, "2.00")
    overview = alt_api.get("/v2/backoffice/overview", token=alt_api.operator)
    assert overview.status_code == 200
    body = overview.json()
    assert body["members"]["count"] >= 1 and body["cashouts"]["open"] >= 1
    assert set(body) == {"members", "cashouts", "topups", "funds", "as_of"}
    assert alt_api.get("/v2/backoffice/overview", token=member.token).status_code == 401
    r = alt_api.get(f"/v2/backoffice/members/{member.uid}/funds", token=alt_api.operator)
    assert r.json() == {"member": member.uid, "funds": {"free": "5.00", "locked": "2.00", "ccy": "USD"}}
    unknown = "00000000-0000-0000-0000-000000000000"
    r = alt_api.get(f"/v2/backoffice/members/{unknown}/funds", token=alt_api.operator)
    assert r.status_code == 404 and r.json()["code"] == "MEMBER_NOT_FOUND"


def test_payouts_router_is_probed_at_dispatch(alt_api: AltApi) -> None:
    r = alt_api.request("OPTIONS", "/v2/payouts/dispatch")
    assert r.status_code == 405 and r.headers["content-type"].startswith("application/json")
    assert r.json()["code"] == "METHOD_NOT_ALLOWED" and "POST" in r.headers["allow"]
    unknown = "00000000-0000-0000-0000-000000000000"
    r = alt_api.get(f"/v2/payouts/{unknown}", token=alt_api.operator)
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    assert alt_api.get(f"/v2/payouts/{unknown}").status_code == 401


def test_tenants_must_exist(alt_api: AltApi) -> None:
    r = alt_api.register("nobody@example.test", "+447700000001", tenant="x")
    assert r.status_code == 400 and r.json() == {"code": "UNKNOWN_TENANT", "detail": "tenant 'x' does not exist"}
    r = alt_api.register("nobody@example.test", "+447700000001", tenant="default")  # the contract's default tenant
    assert r.status_code == 400 and r.json()["code"] == "UNKNOWN_TENANT"
    member = alt_api.new_member(verified=False)
    r = alt_api.post("/v2/members/sessions", json={"mail": member.mail, "pass": PASSWORD, "tenant": "casino-xx"})
    assert r.status_code == 400 and r.json()["code"] == "UNKNOWN_TENANT"
    r = alt_api.post("/v2/members/sessions", json={"mail": member.mail, "pass": PASSWORD, "tenant": "casino-tr"})
    assert r.status_code == 401 and r.json()["code"] == "BAD_CREDENTIALS"  # the member is casino-eu's
    assert alt_api.register(member.mail, member.mobile).json()["code"] == "MEMBER_EXISTS"
    assert alt_api.scalar("SELECT count(*) FROM tenants WHERE id IN ('casino-eu', 'casino-tr')") == 2


def test_the_default_dialect_still_takes_any_tenant(api: Api) -> None:
    r = api.post("/api/v1/auth/player/register", json={"email": "any-tenant@example.test", "password": "password-123",
                                                       "username": "t", "phone": "+15550009",
                                                       "tenant_id": "no-such-tenant"})
    assert r.status_code == 200 and r.json()["tenant_id"] == "no-such-tenant"


def test_verification_sends_no_code_and_the_fixed_code_confirms(alt_api: AltApi) -> None:
    member = alt_api.new_member(verified=False)
    r = alt_api.topup(member, "5.00")
    assert r.status_code == 403 and r.json()["code"] == "MAIL_UNVERIFIED"
    r = alt_api.post("/v2/members/verify", json={"channel": "email", "target": member.mail})
    assert r.status_code == 202 and r.json() == {"channel": "email", "status": "SENT"}
    assert SETTINGS.verify_code not in r.text and not re.search(r"\d{6}", r.text)
    r = alt_api.post("/v2/members/verify/confirm", json={"channel": "email", "target": member.mail, "code": "000000"})
    assert r.status_code == 400 and r.json()["code"] == "CODE_REJECTED"
    r = alt_api.post("/v2/members/verify/confirm", json={"channel": "email", "target": member.mail,
                                                         "code": SETTINGS.verify_code})
    assert r.status_code == 200 and r.json() == {"channel": "email", "verified": True}
    r = alt_api.topup(member, "5.00")
    assert r.status_code == 403 and r.json()["code"] == "MOBILE_UNVERIFIED"
    alt_api.verify(member)
    assert alt_api.topup(member, "5.00").json()["txn"]["status"] == "SETTLED"


def test_a_code_is_only_good_once_it_was_sent(alt_api: AltApi) -> None:
    member = alt_api.new_member(verified=False)
    body = {"channel": "sms", "target": member.mobile, "code": SETTINGS.verify_code}
    assert alt_api.post("/v2/members/verify/confirm", json=body).json()["code"] == "CODE_REJECTED"
    alt_api.post("/v2/members/verify", json={"channel": "sms", "target": member.mobile})
    assert alt_api.post("/v2/members/verify/confirm", json=body).status_code == 200
    assert alt_api.post("/v2/members/verify/confirm", json=body).json()["code"] == "CODE_REJECTED"  # used


def test_the_verification_code_comes_from_the_environment(make_alt_api: MakeAltApi,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUTOVER_VERIFY_CODE", "777123")
    api = make_alt_api(settings=Settings(register_rate_limit=100))
    member = api.new_member(verified=False)
    r = api.post("/v2/members/verify", json={"channel": "email", "target": member.mail})
    assert "777123" not in r.text
    confirm = {"channel": "email", "target": member.mail, "code": SETTINGS.verify_code}
    assert api.post("/v2/members/verify/confirm", json=confirm).json()["code"] == "CODE_REJECTED"
    api.verify(member, code="777123")


def test_members_are_kyc_verified_and_there_is_no_kyc_route(alt_api: AltApi) -> None:
    member = alt_api.funded_member("20.00")
    assert alt_api.scalar("SELECT kyc_status FROM players WHERE id = %s", member.uid) == "verified"
    r = alt_api.cashout(member, "5.00")
    assert r.status_code == 200 and r.json()["txn"]["status"] == "PENDING_REVIEW"
    for path in (f"/api/v1/kyc/documents/{member.uid}/review", f"/v2/backoffice/members/{member.uid}/kyc",
                 f"/v2/kyc/{member.uid}/review", f"/v2/backoffice/kyc/{member.uid}"):
        assert alt_api.post(path, token=alt_api.operator, json={"status": "approved"}).status_code == 404, path
    paths = alt_api.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if "kyc" in p.lower()]


def test_a_member_without_kyc_cannot_cash_out(alt_api: AltApi) -> None:
    member = alt_api.funded_member("20.00")
    alt_api.execute("UPDATE players SET kyc_status = 'pending' WHERE id = %s", member.uid)
    r = alt_api.cashout(member, "5.00")
    assert r.status_code == 403 and r.json()["code"] == "KYC_REQUIRED"
    assert alt_api.funds(member) == {"free": D("20.00"), "locked": D("0.00"), "total": D("20.00")}


def test_the_fourth_registration_is_rate_limited(make_alt_api: MakeAltApi) -> None:
    api = make_alt_api(settings=Settings(register_rate_limit=3, register_rate_window_seconds=1))
    for i in range(3):
        assert api.register(f"rl-{i}@example.test", f"+4477000000{i}").status_code == 201
    r = api.register("rl-3@example.test", "+447700000003")
    assert r.status_code == 429 and r.json()["code"] == "RATE_LIMITED"
    wait = int(r.headers["Retry-After"])
    assert wait == 1
    assert api.scalar("SELECT count(*) FROM players WHERE email = 'rl-3@example.test'") == 0
    time.sleep(wait)
    assert api.register("rl-3@example.test", "+447700000003").status_code == 201


def test_the_default_limit_is_three_per_minute() -> None:
    settings = Settings()
    assert (settings.register_rate_limit, settings.register_rate_window_seconds) == (3, 60.0)


def test_errors_speak_alt(alt_api: AltApi) -> None:
    member = alt_api.funded_member("10.00")
    r = alt_api.topup(member, "5.00", key=None)
    assert r.status_code == 400 and r.json() == {"code": "IDEMPOTENCY_KEY_MISSING",
                                                 "detail": "an X-Request-Id header is required"}
    r = alt_api.post("/v2/me/topups", token=member.token, json={"value": "5", "channel": "instant"},
                     headers={"Idempotency-Key": "the-contract-header"})
    assert r.status_code == 400 and r.json()["code"] == "IDEMPOTENCY_KEY_MISSING"
    r = alt_api.cashout(member, "10.01")
    assert r.status_code == 400 and r.json()["code"] == "INSUFFICIENT_FUNDS"
    r = alt_api.topup(member, "5.00", channel="test")  # the contract's test method is not an alt channel
    assert r.status_code == 400 and r.json()["code"] == "CHANNEL_UNSUPPORTED"
    assert alt_api.topup(member, "-1").json()["code"] == "VALIDATION_FAILED"
    assert alt_api.get("/v2/me/funds").json()["code"] == "UNAUTHENTICATED"
    assert alt_api.get("/v2/me/funds", token=alt_api.operator).json()["code"] == "SESSION_INVALID"
    assert "error_code" not in r.text


def test_cors_allows_the_admin_origin_only(alt_api: AltApi) -> None:
    def preflight(origin: str) -> tuple[int, str | None]:
        r = alt_api.request("OPTIONS", "/v2/backoffice/sessions",
                            headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        return r.status_code, r.headers.get("access-control-allow-origin")

    assert preflight(ALLOWED_ORIGIN) == (200, ALLOWED_ORIGIN)
    assert preflight("https://evil.example") == (400, None)


def test_openapi_lists_no_seed_like_route(alt_api: AltApi) -> None:
    paths = alt_api.get("/openapi.json").json()["paths"]
    words = {w for p in paths for part in p.lower().split("/") for w in re.split(r"[-_.]", part)}
    assert not words & {"seed", "bootstrap", "reset", "test", "debug", "ci", "psp2", "callback"}
    assert {"/v2/hooks/payout-result", "/v2/hooks/cards", "/v2/hooks/acquirer", "/v2/me/topups"} <= set(paths)


def test_unknown_dialects_are_refused_before_anything_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(dialects.UnknownDialect, match="known dialects: default, alt"):
        Sandbox(faults=[], dialect="nope")
    monkeypatch.setenv(dialects.ENV_VAR, "nope")
    with pytest.raises(dialects.UnknownDialect, match="nope"):
        Sandbox(faults=[])
    monkeypatch.setenv(dialects.ENV_VAR, " ALT ")
    assert Sandbox(faults=[]).dialect == "alt"
    assert Sandbox(faults=[], dialect="default").dialect == "default"
    monkeypatch.setenv(dialects.ENV_VAR, "")
    assert Sandbox(faults=[]).dialect == "default"
