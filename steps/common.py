"""Steps shared by every phase: the target answers; the admin logs in."""

from __future__ import annotations

from pytest_bdd import given, then, when

from cutover_gate.checks.canary import wire
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.redact import Secret
from cutover_gate.evidence.recording import Evidence
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import Response, TargetClient


@given("the cutover target is reachable")
@given("cutover hedefi erişilebilir")
def _(target: TargetClient, evidence: Evidence) -> None:
    resp = target.get(target.profile.path("health"))
    evidence.put("target", target.base_url)
    evidence.put("reachable_status", resp.status)


def admin_login(target: TargetClient, gate: Gate) -> Response:
    email = gate.settings.admin_email
    password = gate.settings.secret("admin_password")
    if not email or password is None:
        raise CheckFailed("admin credentials missing: set CUTOVER_ADMIN_EMAIL and CUTOVER_ADMIN_PASSWORD")
    body = wire(target.profile, email=email, password=password.reveal())
    return target.post(target.profile.path("admin_login"), json=body)


def admin_token_from(resp: Response, target: TargetClient, email: str | None) -> Secret:
    if resp.status == 401:
        code = resp.error_code(target.profile, or_detail=True)
        raise CheckFailed(f"admin login refused for {email}: HTTP 401 {code} (check CUTOVER_ADMIN_EMAIL / "
                          "CUTOVER_ADMIN_PASSWORD)")
    resp.expect(200, what="admin login")
    token = resp.field(target.profile.field("token"))
    if not isinstance(token, str) or not token:
        raise CheckFailed("admin login answered 200 without an access token")
    return Secret(token, "admin access token")


@given("the admin is logged in", target_fixture="admin_token")
@given("admin giriş yapmış", target_fixture="admin_token")
def _(target: TargetClient, gate: Gate) -> Secret:
    return admin_token_from(admin_login(target, gate), target, gate.settings.admin_email)


@when("the admin logs in", target_fixture="admin_login_response")
@when("admin giriş yapar", target_fixture="admin_login_response")
def _(target: TargetClient, gate: Gate) -> Response:
    return admin_login(target, gate)


@then("the admin receives a bearer token", target_fixture="admin_token")
@then("admin bir bearer token alır", target_fixture="admin_token")
def _(admin_login_response: Response, target: TargetClient, gate: Gate, evidence: Evidence) -> Secret:
    token = admin_token_from(admin_login_response, target, gate.settings.admin_email)
    evidence.put("admin_email", gate.settings.admin_email)
    return token
