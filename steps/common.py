"""Steps shared by every phase: the target answers; the admin logs in. And what every scenario of a run shares: one
admin session and one canary player (registered at most once, never in prod), with the footprint the run leaves."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, then, when

from cutover_gate.checks.canary import Balance, CanaryPlayer, Footprint, provision_canary
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.redact import Secret
from cutover_gate.evidence.recording import Evidence
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import Response, TargetClient


@dataclass
class Shared:
    """The run's one admin session and one canary, and what the gate did with them."""

    admin: Secret | None = None
    canary: CanaryPlayer | None = None
    canary_error: str | None = None
    """Provisioning failed once: the same cause for every later scenario, never a second registration."""
    completed_deposit: str | None = None
    """A deposit of the canary completed by the PSP (the money loop's, or in staging the webhook kit's)."""
    paid_withdrawal: str | None = None
    """A withdrawal of the canary that is paid (the money loop's)."""
    footprint: Footprint = field(default_factory=Footprint)
    probe_baseline: Balance | None = None
    """The canary's balances before the run's first webhook probe: T-0 ends by explaining every change since."""
    baseline_marks: tuple[int, int, int] = (0, 0, 0)
    """How many deposits, withdrawals and webhooks the footprint held at the baseline: the later ones are the
    probes' own."""


@pytest.fixture(scope="session")
def shared() -> Shared:
    return Shared()


@given("the cutover target is reachable")
@given("cutover hedefi erişilebilir")
def _(target: TargetClient, evidence: Evidence) -> None:
    resp = target.call("health")
    evidence.put("target", target.base_url)
    evidence.put("reachable_status", resp.status)


def admin_login(target: TargetClient, gate: Gate, password: Secret | None = None) -> Response:
    email = gate.settings.admin_email
    password = password or gate.settings.secret("admin_password")
    if not email or password is None:
        raise CheckFailed("admin credentials missing: set CUTOVER_ADMIN_EMAIL and CUTOVER_ADMIN_PASSWORD")
    return target.call("admin_login", email=email, password=password.reveal())


def admin_token_from(resp: Response, target: TargetClient, email: str | None) -> Secret:
    if resp.status == 401:
        code = resp.error_code(target.profile, or_detail=True)
        raise CheckFailed(f"admin login refused for {email}: HTTP 401 {code} (check CUTOVER_ADMIN_EMAIL / "
                          "CUTOVER_ADMIN_PASSWORD)")
    resp.ok("admin login")
    token = resp.answer("token")
    if not isinstance(token, str) or not token:
        raise CheckFailed("admin login answered 200 without an access token")
    return Secret(token, "admin access token")


def admin_session(target: TargetClient, gate: Gate, shared: Shared) -> Secret:
    """The run's admin session: one login, reused by every scenario."""
    if shared.admin is None:
        shared.admin = admin_token_from(admin_login(target, gate), target, gate.settings.admin_email)
    return shared.admin


def canary_of(target: TargetClient, gate: Gate, shared: Shared) -> CanaryPlayer:
    """The run's canary player: the pre-provisioned one, or (never in prod) one registered once for the run."""
    if shared.canary is None:
        if shared.canary_error is not None:
            raise CheckFailed(shared.canary_error)
        try:
            shared.canary = provision_canary(target, gate.settings, admin_session(target, gate, shared))
        except CheckFailed as exc:
            shared.canary_error = f"the run's canary could not be provisioned: {exc}"
            raise
    return shared.canary


@given("the admin is logged in", target_fixture="admin_token")
@given("admin giriş yapmış", target_fixture="admin_token")
def _(target: TargetClient, gate: Gate, shared: Shared) -> Secret:
    return admin_session(target, gate, shared)


@when("the admin logs in", target_fixture="admin_login_response")
@when("admin giriş yapar", target_fixture="admin_login_response")
def _(target: TargetClient, gate: Gate) -> Response:
    return admin_login(target, gate)


@then("the admin receives a bearer token", target_fixture="admin_token")
@then("admin bir bearer token alır", target_fixture="admin_token")
def _(admin_login_response: Response, target: TargetClient, gate: Gate, shared: Shared, evidence: Evidence
      ) -> Secret:
    token = admin_token_from(admin_login_response, target, gate.settings.admin_email)
    evidence.put("admin_email", gate.settings.admin_email)
    if shared.admin is None:
        shared.admin = token  # this login is the run's admin session
    return token


@then("a wrong password is refused")
@then("yanlış parola reddedilir")
def _(target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    password = gate.settings.secret("admin_password")
    wrong = Secret(f"wrong-{password.reveal()[::-1] if password else 'password'}-cutover-probe", "wrong password")
    resp = admin_login(target, gate, wrong)
    evidence.put("wrong_password_status", resp.status)
    if resp.status in (401, 403):
        return
    if resp.status == 200:
        evidence.trigger("security_incident", "admin login accepted a wrong password")
        raise CheckFailed("admin login accepted a wrong password: any password opens the back office")
    raise CheckFailed(f"admin login with a wrong password answered {resp.status}, expected 401 or 403")
