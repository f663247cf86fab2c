"""Steps shared by every phase: the target answers; the admin logs in. And what every scenario of a run shares: one
admin session and one canary player (registered at most once, never in prod), with the footprint the run leaves."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar, cast

import pytest
from pytest_bdd import given, then, when

from cutover_gate.checks import discovery
from cutover_gate.checks.canary import Balance, CanaryPlayer, Footprint, provision_canary
from cutover_gate.checks.declared import Write
from cutover_gate.checks.sessions import ADMIN_LOGIN_CHECK, ADMIN_SESSION, WRONG_PASSWORD
from cutover_gate.config import route_catalogue
from cutover_gate.config.cutover_file import KitBudget
from cutover_gate.core.catalogue import (
    ROW_SECURITY_INCIDENT,
    T15_ADMIN_AUTH_ENFORCED,
    T15_ADMIN_LOGIN,
    T15_DASHBOARD_LOADS,
    T15_PAYOUTS_ROUTER,
    T60_BOOTSTRAP_DISABLED,
    T60_CORS_RESTRICTED,
)
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret
from cutover_gate.evidence.recording import Evidence, skip
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import Response, TargetClient
from steps.ahead import (
    CORS_PREFLIGHT,
    DEPLOY_READ_LINES,
    READ_AHEAD_AGE_S,
    cors_preflight,
    in_background,
    read_ahead_for,
    selected,
    start_deploy_reads,
    taken,
    together,
)

T = TypeVar("T")


@dataclass
class Shared:
    """The run's one admin session and one canary, and what the gate did with them."""

    admin: Secret | None = None
    canary: CanaryPlayer | None = None
    canary_error: Reason | None = None
    """Provisioning failed once: the same cause for every later scenario, never a second registration."""
    completed_deposit: str | None = None
    """A deposit of the canary completed by the PSP (the money loop's, or in staging the webhook kit's)."""
    paid_withdrawal: str | None = None
    """A withdrawal of the canary that is paid (the money loop's)."""
    spare_withdrawal: str | None = None
    """The idempotency probe's withdrawal of the kit amount, still held, left for the payout classification that
    runs later: its subject, instead of a reject now and another withdrawal then (steps/webhooks.py `held_payout`)."""
    footprint: Footprint = field(default_factory=Footprint)
    probe_baseline: Balance | None = None
    """The canary's balances before the run's first webhook probe: T-0 ends by explaining every change since."""
    kit_withdrawals: int = 0
    kit_withdrawn: Decimal = Decimal(0)
    """What the kit's own withdrawals used of the canary so far (the cutover file's [kit_budget] caps both)."""
    background: dict[str, Future[Any]] = field(default_factory=dict)
    """Read-only work started beside the scenarios (a discovery survey), by key."""
    lanes: discovery.Lanes | None = None
    """The run's one bound on discovery requests in flight, whichever survey sends them."""
    baseline_marks: tuple[int, int, int] = (0, 0, 0)
    """How many deposits, withdrawals and webhooks the footprint held at the baseline: the later ones are the
    probes' own."""


@pytest.fixture(scope="session")
def shared() -> Iterator[Shared]:
    run = Shared()
    yield run
    wait(list(run.background.values()), timeout=BACKGROUND_WAIT_S)  # stop nothing half-way


BACKGROUND_WAIT_S = 30.0
OPENAPI = "openapi"
SEED_SURVEY = "seed-survey"
CALLBACK_SURVEY = "callback-survey"
SEED_TAG = T60_BOOTSTRAP_DISABLED
UNDECLARED_TAG = "undeclared_routes"


def spend(shared: Shared, budget: KitBudget, amount: Decimal, why: str | Reason) -> None:
    """Count one kit withdrawal of `amount` against the cutover file's [kit_budget]; beyond it the probe does not run
    (NOT_RUN naming the budget), so a run never uses more of the canary than the plan says."""
    if shared.kit_withdrawals + 1 > budget.withdrawals or shared.kit_withdrawn + amount > budget.amount:
        skip(N_("kit budget: %(why)s would be kit withdrawal %(number)s (%(total)s in all), beyond the cutover "
                "file's [kit_budget] (%(withdrawals)s withdrawals, %(amount)s)"), why=why,
             number=shared.kit_withdrawals + 1, total=f"{shared.kit_withdrawn + amount:.2f}",
             withdrawals=budget.withdrawals, amount=f"{budget.amount:.2f}")
    shared.kit_withdrawals += 1
    shared.kit_withdrawn += amount


@dataclass(frozen=True)
class Surveyed:
    documented: tuple[list[discovery.Route] | None, str]
    """The OpenAPI document's routes (or None) and how they were found."""
    catalogue: discovery.Survey


def documented(target: TargetClient, shared: Shared) -> tuple[list[discovery.Route] | None, str]:
    """The OpenAPI document, fetched once for both surveys."""
    in_background(shared, OPENAPI, lambda: discovery.documented_routes(target, record=False))
    return taken(shared, OPENAPI, lambda: discovery.documented_routes(target, record=False))


def lanes_of(target: TargetClient, shared: Shared) -> discovery.Lanes:
    if shared.lanes is None:
        shared.lanes = discovery.Lanes(target.profile.model.discovery.concurrency)
    return shared.lanes


def seed_survey(target: TargetClient, shared: Shared) -> Surveyed:
    """The bootstrap, seed and test routes the profile declares and the catalogue's shapes, asked with bodiless
    OPTIONS (checks/discovery.py), first in the run's lanes."""
    p = target.profile
    candidates = [*discovery.declared_paths(p.probe("disabled_endpoints")), *route_catalogue.seed_candidates(p)]
    found = discovery.survey(target, list(dict.fromkeys(candidates)), lanes=lanes_of(target, shared), rank=0)
    return Surveyed(documented(target, shared), found)


def callback_survey(target: TargetClient, shared: Shared) -> Surveyed:
    """The route catalogue's PSP callback shapes, asked with bodiless OPTIONS after the seed survey's."""
    found = discovery.survey(target, route_catalogue.callback_candidates(target.profile),
                             lanes=lanes_of(target, shared), rank=1)
    return Surveyed(documented(target, shared), found)


def start_surveys(request: pytest.FixtureRequest, target: TargetClient, shared: Shared) -> None:
    """Discovery needs nothing of any scenario: the surveys the selected scenarios judge start with the run's first
    scenario, off the sequential path a remote platform's latency multiplies, sharing one bound ([discovery]
    concurrency) in which T-60's goes first; the OpenAPI document both judge is asked beside them, not after. T-60's
    CORS preflight (a bodiless OPTIONS) goes at the same moment."""
    surveys = [(key, work) for tag, key, work in ((SEED_TAG, SEED_SURVEY, seed_survey),
                                                  (UNDECLARED_TAG, CALLBACK_SURVEY, callback_survey))
               if key not in shared.background and selected(request, tag)]
    if surveys:
        in_background(shared, OPENAPI, lambda: discovery.documented_routes(target, record=False))
    for key, work in surveys:
        in_background(shared, key, lambda work=work: work(target, shared))  # type: ignore[misc]
    if selected(request, T60_CORS_RESTRICTED):
        in_background(shared, CORS_PREFLIGHT, lambda: cors_preflight(target))
    if any(selected(request, line) for line in DEPLOY_READ_LINES):
        start_deploy_reads(target, shared)
    if selected(request, T15_ADMIN_LOGIN):
        gate: Gate = request.getfixturevalue("gate")
        in_background(shared, ADMIN_LOGIN_AHEAD, lambda: login_ahead(request, target, gate))


REACHABLE_WITHIN_S = 5.0
"""An answer of the target this recent proves it reachable: no health call of its own (one round trip less per
scenario against a remote platform)."""


@given("the cutover target is reachable")
@given("cutover hedefi erişilebilir")
def _(target: TargetClient, evidence: Evidence, shared: Shared, request: pytest.FixtureRequest) -> None:
    start_surveys(request, target, shared)
    evidence.put("target", target.base_url)
    last = target.last_answer
    if last is not None and time.monotonic() - last[0] <= REACHABLE_WITHIN_S:
        at, method, url = last
        evidence.put("reachable", f"answered {method} {url.split('?')[0]} {time.monotonic() - at:.1f} s earlier")
        return
    resp = target.call("health")
    evidence.put("reachable_status", resp.status)


def admin_login(target: TargetClient, gate: Gate, write: Write, password: Secret | None = None, *,
                record: bool = True) -> Response:
    """An admin login, as `write` declares it (the run's session, the login check, a wrong password)."""
    email = gate.settings.admin_email
    password = password or gate.settings.secret("admin_password")
    if not email or password is None:
        raise CheckFailed(N_("admin credentials missing: set CUTOVER_ADMIN_EMAIL and CUTOVER_ADMIN_PASSWORD"))
    return write.send(target, email=email, password=password.reveal(), changes_data=False, record=record)


def wrong_password(gate: Gate) -> Secret:
    """A password the admin's is not (derived from it, so it can never be it)."""
    password = gate.settings.secret("admin_password")
    return Secret(f"wrong-{password.reveal()[::-1] if password else 'password'}-cutover-probe", "wrong password")


def admin_token_from(resp: Response, target: TargetClient, email: str | None) -> Secret:
    if resp.status == 401:
        code = resp.error_code(target.profile, or_detail=True)
        raise CheckFailed(N_("admin login refused for %(email)s: HTTP 401 %(code)s (check CUTOVER_ADMIN_EMAIL / "
                             "CUTOVER_ADMIN_PASSWORD)"), email=email, code=code)
    resp.ok(N_("admin login"))
    token = resp.answer("token")
    if not isinstance(token, str) or not token:
        raise CheckFailed(N_("admin login answered 200 without an access token"))
    return Secret(token, "admin access token")


def admin_session(target: TargetClient, gate: Gate, shared: Shared) -> Secret:
    """The run's admin session: one login, reused by every scenario (T-15's login check, when it logged in)."""
    if shared.admin is None:
        ahead = ahead_login(shared)
        if ahead is not None and ahead.status == 200:
            shared.admin = admin_token_from(ahead, target, gate.settings.admin_email)
        else:
            shared.admin = admin_token_from(admin_login(target, gate, ADMIN_SESSION), target,
                                            gate.settings.admin_email)
    return shared.admin


ADMIN_LOGIN_AHEAD = "t15:admin-login"


def login_ahead(request: pytest.FixtureRequest, target: TargetClient, gate: Gate) -> tuple[Response, float]:
    """T-15's admin login check, started with the run's first scenario (T-60's and T-30's own work, a snapshot above
    all, leaves the target idle meanwhile), and once it answers with a token the admin reads of the scenarios that
    follow it: a login changes nothing the gate reads back, and the reads change nothing. Taken by T-15's login
    step (`ahead_login`) while it is at most READ_AHEAD_AGE_S old, else that step logs in again."""
    resp = admin_login(target, gate, ADMIN_LOGIN_CHECK, record=False)
    answered = time.monotonic()
    try:
        token = admin_token_from(resp, target, gate.settings.admin_email)
    except CheckFailed:
        return resp, answered  # the login step judges the answer
    for key, (tag, read) in admin_reads(target, gate, token).items():
        read_ahead_for(request, target, tag, f"admin:{key}", read)
    return resp, answered


def ahead_login(shared: Shared) -> Response | None:
    """The admin login started ahead (`login_ahead`) when it answered at most READ_AHEAD_AGE_S ago; None when none
    was started, it failed (the step logs in and meets the cause itself) or it is older."""
    future = shared.background.get(ADMIN_LOGIN_AHEAD)
    if future is None:
        return None
    try:
        resp, answered = future.result()
    except Exception:
        return None
    return cast(Response, resp) if time.monotonic() - answered <= READ_AHEAD_AGE_S else None


def canary_of(target: TargetClient, gate: Gate, shared: Shared) -> CanaryPlayer:
    """The run's canary player: the pre-provisioned one, or (never in prod) one registered once for the run."""
    if shared.canary is None:
        if shared.canary_error is not None:
            raise CheckFailed(shared.canary_error)
        try:
            shared.canary = provision_canary(target, gate.settings, admin_session(target, gate, shared))
        except CheckFailed as exc:
            shared.canary_error = Reason.of(N_("the run's canary could not be provisioned: %(cause)s"),
                                            cause=exc.reason)
            raise
    return shared.canary


@given("the admin is logged in", target_fixture="admin_token")
@given("admin giriş yapmış", target_fixture="admin_token")
def _(target: TargetClient, gate: Gate, shared: Shared) -> Secret:
    return admin_session(target, gate, shared)


@when("the admin logs in", target_fixture="admin_login_response")
@when("admin giriş yapar", target_fixture="admin_login_response")
def _(target: TargetClient, gate: Gate, shared: Shared, evidence: Evidence) -> Response:
    ahead = ahead_login(shared)
    if ahead is None:
        return admin_login(target, gate, ADMIN_LOGIN_CHECK)
    evidence.http(ahead.exchange.to_json())
    return ahead


@then("the admin receives a bearer token", target_fixture="admin_token")
@then("admin bir bearer token alır", target_fixture="admin_token")
def _(admin_login_response: Response, target: TargetClient, gate: Gate, shared: Shared, evidence: Evidence,
      request: pytest.FixtureRequest) -> Secret:
    token = admin_token_from(admin_login_response, target, gate.settings.admin_email)
    evidence.put("admin_email", gate.settings.admin_email)
    if shared.admin is None:
        shared.admin = token  # this login is the run's admin session
    if admin_login_response is not ahead_login(shared):  # the reads of the scenarios that follow, unless started
        for key, (tag, read) in admin_reads(target, gate, token).items():
            read_ahead_for(request, target, tag, f"admin:{key}", read)
    return token


INVALID_TOKEN = Secret("cutover-invalid-token-" + "0" * 24, "invalid token")


def refusal_reads(target: TargetClient, token: Secret | None) -> Callable[[], list[Response]]:
    """The admin-only calls with no token or an invalid one, at once."""
    specs = [target.profile.call(key) for key in ADMIN_ONLY]
    return lambda: together(*(lambda spec=spec: target.request(spec.method, spec.path, token=token, record=False)
                              for spec in specs))


ADMIN_ONLY = ("admin_me", "dashboard")


def admin_reads(target: TargetClient, gate: Gate, token: Secret | None) -> dict[str, tuple[str, Callable[[], Any]]]:
    """The admin's T-15 reads by key, each with the line of the scenario that takes it (in the order of the admin
    login scenario and those after it): started ahead at the admin's login, taken by `read_once`. The login with a
    wrong password is one of them: it changes nothing."""
    def call(name: str) -> Callable[[], Response]:
        return lambda: target.call(name, admin=token, record=False)

    return {
        "admin_me": (T15_ADMIN_LOGIN, call("admin_me")),
        "wrong_password": (T15_ADMIN_LOGIN, lambda: admin_login(target, gate, WRONG_PASSWORD, wrong_password(gate),
                                                                record=False)),
        "dashboard": (T15_DASHBOARD_LOADS, call("dashboard")),
        "payouts_probe": (T15_PAYOUTS_ROUTER, call("payouts_probe")),
        "refusal:without_token": (T15_ADMIN_AUTH_ENFORCED, refusal_reads(target, None)),
        "refusal:invalid_token": (T15_ADMIN_AUTH_ENFORCED, refusal_reads(target, INVALID_TOKEN)),
    }


def read_once(target: TargetClient, gate: Gate, evidence: Evidence, key: str, token: Secret | None = None) -> Any:
    """The admin read `key`, started ahead at its login (or asked now), recorded in this scenario's evidence."""
    value = target.fresh(f"admin:{key}", admin_reads(target, gate, token)[key][1], max_age_s=READ_AHEAD_AGE_S)
    answers: list[Response] = value if isinstance(value, list) else [cast(Response, value)]
    for resp in answers:
        evidence.http(resp.exchange.to_json())
    return value


@then("a wrong password is refused")
@then("yanlış parola reddedilir")
def _(target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    resp: Response = read_once(target, gate, evidence, "wrong_password")
    evidence.put("wrong_password_status", resp.status)
    if resp.status in (401, 403):
        return
    if resp.status == 200:
        evidence.trigger(ROW_SECURITY_INCIDENT, Reason.of(N_("admin login accepted a wrong password")))
        raise CheckFailed(N_("admin login accepted a wrong password: any password opens the back office"))
    raise CheckFailed(N_("admin login with a wrong password answered %(status)s, expected 401 or 403"),
                      status=resp.status)
