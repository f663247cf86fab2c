"""In prod the gate touches nothing but its canary: the writes it makes are exactly the ones `--plan` lists, none goes
to a route that must be disabled, one admin session and one canary serve the run, and no registration happens.
Proven through the product's recording proxy in front of a real sandbox, in prod mode."""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from cutover_gate.checks.writes import DISCOVERED
from cutover_gate.config import route_catalogue
from cutover_gate.config.target_profile import Profile, load_profile
from cutover_proxy import FaultProxy

from .conftest import ROOT, GateRun, Standalone, serve_sandbox

PROFILE = load_profile(None)
ALT_PROFILE_FILE = ROOT / "fixtures" / "profiles" / "alt.toml"
ALT_PROFILE = load_profile(ALT_PROFILE_FILE)


def provision_canary(sandbox: Standalone) -> dict[str, str]:
    """What an operator does before a prod cutover: a canary player, verified and KYC-approved, by hand."""
    base, nonce = sandbox.url, secrets.token_hex(4)
    email, password, phone = f"canary-{nonce}@ops.invalid", f"Canary-{nonce}-pass", f"+9055512{nonce[:5]}"
    http = requests.Session()
    http.trust_env = False
    assert http.post(f"{base}/api/v1/auth/player/register", json={
        "email": email, "password": password, "username": f"canary{nonce}", "phone": phone}).status_code == 200
    for channel, key, value in (("email", "email", email), ("sms", "phone", phone)):
        code = http.post(f"{base}/api/v1/verify/{channel}/send", json={key: value}).json()["debug_code"]
        assert http.post(f"{base}/api/v1/verify/{channel}/confirm", json={key: value, "code": code}).ok
    player = http.post(f"{base}/api/v1/auth/player/login", json={"email": email, "password": password}).json()
    admin = http.post(f"{base}/api/v1/auth/login", json={"email": sandbox.env["CUTOVER_ADMIN_EMAIL"],
                                                         "password": sandbox.env["CUTOVER_ADMIN_PASSWORD"]}).json()
    assert http.post(f"{base}/api/v1/kyc/documents/{player['user']['id']}/review", json={"status": "approved"},
                     headers={"Authorization": f"Bearer {admin['access_token']}"}).ok
    return {"CUTOVER_CANARY_EMAIL": email, "CUTOVER_CANARY_PASSWORD": password}


def provision_alt_canary(sandbox: Standalone) -> dict[str, str]:
    """The same by hand on the alt platform: a member of an existing tenant (KYC at onboarding), mail and mobile
    verified with the staging code."""
    base, nonce = sandbox.url, secrets.token_hex(4)
    mail, password, mobile = f"canary-{nonce}@ops.invalid", f"Canary-{nonce}-pass", f"+9055512{nonce[:5]}"
    http = requests.Session()
    http.trust_env = False
    assert http.post(f"{base}/v2/members", json={"mail": mail, "pass": password, "handle": f"canary{nonce}",
                                                 "mobile": mobile, "tenant": "casino-eu"}).status_code == 201
    for channel, target in (("email", mail), ("sms", mobile)):
        assert http.post(f"{base}/v2/members/verify", json={"channel": channel, "target": target}).status_code == 202
        assert http.post(f"{base}/v2/members/verify/confirm",
                         json={"channel": channel, "target": target, "code": "424242"}).ok
    return {"CUTOVER_CANARY_EMAIL": mail, "CUTOVER_CANARY_PASSWORD": password, "CUTOVER_VERIFY_CODE": "424242"}


@pytest.fixture
def prod_through_proxy(standalone_sandbox: Standalone) -> Iterator[tuple[FaultProxy, dict[str, str]]]:
    canary = provision_canary(standalone_sandbox)
    env = {**standalone_sandbox.env, **canary, "CUTOVER_DB_DSN": standalone_sandbox.dsn}
    with FaultProxy(standalone_sandbox.url) as proxy:
        yield proxy, env


@pytest.fixture
def alt_prod_through_proxy() -> Iterator[tuple[FaultProxy, dict[str, str]]]:
    with serve_sandbox(extra={"CUTOVER_SANDBOX_DIALECT": "alt"}) as box:
        env = {**box.env, **provision_alt_canary(box), "CUTOVER_DB_DSN": box.dsn}
        with FaultProxy(box.url) as proxy:
            yield proxy, env


def template_regex(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(path)) + "$")


def planned(plan_md: Path) -> list[tuple[str, str]]:
    rows = [line.split("|") for line in plan_md.read_text(encoding="utf-8").splitlines()
            if re.match(r"^\| \d+ \| POST \|", line)]
    return [(cells[2].strip(), cells[3].strip().strip("`")) for cells in rows]


def test_prod_run_makes_exactly_the_planned_writes(gate: Callable[..., GateRun], tmp_path: Path,
                                                   prod_through_proxy: tuple[FaultProxy, dict[str, str]]) -> None:
    proxy, env = prod_through_proxy
    args = (f"--target-url={proxy.url}", "--env-name=prod", f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}")
    prod_writes_are_the_plan(gate, tmp_path, proxy, env, args, PROFILE)


def test_prod_run_on_the_alt_dialect_makes_exactly_the_planned_writes(
        gate: Callable[..., GateRun], tmp_path: Path, alt_prod_through_proxy: tuple[FaultProxy, dict[str, str]]
        ) -> None:
    proxy, env = alt_prod_through_proxy
    args = (f"--target-url={proxy.url}", "--env-name=prod", f"--profile={ALT_PROFILE_FILE}",
            f"--cutover-file={ROOT / 'fixtures' / 'alt.cutover.toml'}")
    prod_writes_are_the_plan(gate, tmp_path, proxy, env, args, ALT_PROFILE)


def test_a_route_discovery_finds_gets_exactly_the_planned_unsigned_events_and_nothing_else(
        gate: Callable[..., GateRun], tmp_path: Path) -> None:
    """A platform without an OpenAPI document whose undeclared PayPal callback checks the body's shape first: the
    catalogue finds it with OPTIONS alone; it gets the planned unsigned events; it stays unproven (PENDING)."""
    with serve_sandbox("webhook_shape_first", "openapi_hidden") as box:
        env = {**box.env, **provision_canary(box), "CUTOVER_DB_DSN": box.dsn}
        with FaultProxy(box.url) as proxy:
            args = (f"--target-url={proxy.url}", "--env-name=prod",
                    f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}")
            prod_writes_are_the_plan(gate, tmp_path, proxy, env, args, PROFILE, decision="PENDING", found=1)
    line = json.loads((tmp_path / "reports" / "decision.json").read_text())["checklist"]
    signature = next(c for c in line if c["id"] == "t0_webhook_signature")
    assert signature["result"] == "NOT_RUN"
    assert "unproven: POST /api/v1/webhooks/paypal answered 400 INVALID_PAYLOAD" in signature["message"]


def prod_writes_are_the_plan(gate: Callable[..., GateRun], tmp_path: Path, proxy: FaultProxy, env: dict[str, str],
                             args: tuple[str, ...], profile: Profile, *, decision: str = "GO",
                             found: int = 0) -> None:
    plan = gate(tmp_path / "plan", "--plan", *args, env=env)
    assert plan.returncode == 0 and not proxy.log, "--plan sent something"
    run = gate(tmp_path / "reports", *args, env=env)

    assert run.decision["decision"] == decision, (run.decision["reasons"], run.output[-3000:])
    assert run.decision["env_name"] == "prod"
    expected = planned(tmp_path / "plan" / "plan.md")
    templates = [(method, path, template_regex(path)) for method, path in dict.fromkeys(expected)
                 if path != DISCOVERED]

    def template_of(method: str, path: str) -> str:
        planned_as = next((template for m, template, regex in templates if m == method and regex.match(path)), None)
        if planned_as is not None:
            return planned_as
        # a webhook-like route nobody declared, found by discovery: the plan's DISCOVERED row covers it
        return DISCOVERED if path in found_routes else f"UNPLANNED {method} {path}"

    evidence = json.loads((tmp_path / "reports" / "evidence" / "t0_webhook_signature.json").read_text())
    found_routes = set(evidence["result"]["evidence"]["found"])
    assert len(found_routes) == found, found_routes
    writes = [(e.method, e.path.split("?")[0]) for e in proxy.log if e.method not in ("GET", "HEAD", "OPTIONS")]
    made = Counter(template_of(m, p) for m, p in writes)
    wanted = Counter(path for _, path in expected)
    discovered, wanted_discovered = made.pop(DISCOVERED, 0), wanted.pop(DISCOVERED, 0)
    assert made == wanted, {"made, not planned": made - wanted, "planned, not made": wanted - made}
    # each route found gets every declared route's event shape and the generic one unsigned, the generic one forged
    assert wanted_discovered == 1 and discovered == found * (len(profile.webhooks.routes) + 2)

    # discovery sent only bodiless OPTIONS, within its bound (a control per API prefix, the candidates, per scenario)
    options = [e for e in proxy.log if e.method == "OPTIONS"]
    assert all(not e.body_length for e in options)
    bound = profile.model.discovery.max_requests
    seed = set(route_catalogue.seed_candidates(profile))
    hooks = set(route_catalogue.callback_candidates(profile))
    assert 0 < sum(1 for e in options if e.path in seed or "cutover-gate-control" in e.path) <= bound
    assert 0 < sum(1 for e in options if e.path in hooks) <= bound
    assert not [e for e in proxy.log if e.path in seed | hooks and e.method != "OPTIONS"
                and e.path not in found_routes]

    # one admin session and one canary login serve the run; prod registers nobody
    logins = Counter(p for _, p in writes if p in (profile.path("admin_login"), profile.path("player_login")))
    assert logins[profile.path("admin_login")] == 2  # the login check (its token is the run's session), a wrong one
    assert logins[profile.path("player_login")] == 1
    assert not [p for _, p in writes if p == profile.path("player_register") or "/kyc/" in p]

    # nothing but a bodiless OPTIONS ever reached a route that must be disabled
    disabled = {spec.split()[-1] for spec in profile.probe("disabled_endpoints")}
    touched = [e for e in proxy.log if e.path.split("?")[0] in disabled | seed
               or route_catalogue.seed_like(e.path.split("?")[0], profile)]
    assert touched and all(e.method == "OPTIONS" and not e.body_length for e in touched), touched
