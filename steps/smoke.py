"""T-15 deploy + migration + smoke (runbook §4 T-15, checklist section 3)."""

from __future__ import annotations

import re

from pytest_bdd import then, when

from cutover_gate.core.catalogue import ROW_MIGRATION_FAILURE, ROW_PAYOUT_WITHDRAW_HTTP_ERROR, ROW_SECURITY_INCIDENT
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.redact import Secret
from cutover_gate.evidence.recording import Evidence
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import Response, TargetClient
from cutover_gate.target.database import Database
from steps.ahead import deploy_key, start_deploy_reads, t15_read, taken
from steps.common import ADMIN_ONLY, Shared, read_once

SHA40 = re.compile(r"^[0-9a-fA-F]{40}$")


# -- deploy completed ------------------------------------------------------------------------------------------
def deploy_read(target: TargetClient, shared: Shared, evidence: Evidence, name: str) -> Response:
    """The T-15 read `name`, asked beside the other two (one round trip for three; steps/ahead.start_deploy_reads),
    in this scenario's evidence."""
    start_deploy_reads(target, shared)
    resp = taken(shared, deploy_key(name), t15_read(target, name))
    evidence.http(resp.exchange.to_json())
    return resp


@when("I read the deployed version", target_fixture="version_response")
@when("deploy edilen sürümü okurum", target_fixture="version_response")
def _(target: TargetClient, shared: Shared, evidence: Evidence) -> Response:
    return deploy_read(target, shared, evidence, "version")


@then("the deployed git SHA equals the release SHA")
@then("deploy edilen git SHA release SHA'ya eşittir")
def _(version_response: Response, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    version_response.expect(200, what="version endpoint")
    deployed = str(version_response.answer("git_sha"))
    release = gate.settings.release_sha
    evidence.put("deployed_sha", deployed)
    evidence.put("release_sha", release)
    if not release:
        raise CheckFailed("release SHA not pinned: give --release-sha or RELEASE_SHA")
    if not SHA40.match(deployed):
        raise CheckFailed(f"the target reports git_sha '{deployed}', not a 40-hex commit SHA")
    if deployed.lower() != release.lower():
        raise CheckFailed(f"deployed SHA {deployed} is not the release SHA {release}")


# -- migrations at head ----------------------------------------------------------------------------------------
@when("I read the readiness of the target", target_fixture="readiness_response")
@when("hedefin hazır olma durumunu okurum", target_fixture="readiness_response")
def _(target: TargetClient, shared: Shared, evidence: Evidence) -> Response:
    return deploy_read(target, shared, evidence, "readiness")


def _migration_failure(evidence: Evidence, message: str) -> CheckFailed:
    evidence.trigger(ROW_MIGRATION_FAILURE, message)
    return CheckFailed(message)


@then("the readiness reports migrations at head", target_fixture="readiness_head")
@then("hazır olma durumu migration'ların head'de olduğunu bildirir", target_fixture="readiness_head")
def _(readiness_response: Response, target: TargetClient, evidence: Evidence) -> str:
    p = target.profile
    evidence.put("readiness_status_code", readiness_response.status)
    try:
        db_rev = str(readiness_response.answer("db_rev"))
        head_rev = str(readiness_response.answer("head_rev"))
        migrations = readiness_response.word("migrations")
        status = readiness_response.word("status")
    except CheckFailed as exc:
        raise _migration_failure(evidence, f"readiness (HTTP {readiness_response.status}) does not report the "
                                 f"migration state: {exc}") from None
    evidence.put("readiness_db_rev", db_rev)
    evidence.put("readiness_head_rev", head_rev)
    evidence.put("readiness_migrations", migrations)
    if readiness_response.status != 200 or status != p.state("readiness_ok"):
        raise _migration_failure(evidence, f"readiness answered {readiness_response.status} with migrations "
                                 f"'{migrations}' (db {db_rev}, head {head_rev})")
    if migrations != p.state("migrations_ok") or db_rev != head_rev:
        raise _migration_failure(evidence, f"migrations '{migrations}': db at {db_rev}, head is {head_rev}")
    return head_rev


@then("the applied migration in the database equals the head")
@then("veritabanındaki uygulanmış migration head'e eşittir")
def _(readiness_head: str, database: Database, gate: Gate, evidence: Evidence) -> None:
    rows = database.query("alembic_version")
    applied = [str(next(iter(r.values()))) for r in rows]
    evidence.put("alembic_version", applied)
    expected = gate.settings.cutover.migrations.head
    if expected and expected != readiness_head:
        raise _migration_failure(evidence, f"the target's head {readiness_head} is not the release's migration "
                                 f"head {expected}")
    if applied != [readiness_head]:
        raise _migration_failure(evidence, f"alembic_version holds {applied or 'nothing'}, head is {readiness_head}")


# -- health -------------------------------------------------------------------------------------------------------
@when("I call the health endpoint", target_fixture="health_response")
@when("health endpoint'ini çağırırım", target_fixture="health_response")
def _(target: TargetClient, shared: Shared, evidence: Evidence) -> Response:
    return deploy_read(target, shared, evidence, "health")


@then("it answers 200 with a healthy status")
@then("200 ve sağlıklı durum ile yanıt verir")
def _(health_response: Response, target: TargetClient, evidence: Evidence) -> None:
    evidence.put("health_status_code", health_response.status)
    health_response.expect(200, what="API health")
    status = health_response.word("status")
    evidence.put("health_status", status)
    if status != target.profile.state("health_ok"):
        raise CheckFailed(f"API health answered 200 but status is '{status}', not "
                          f"'{target.profile.state('health_ok')}'")


# -- admin login ----------------------------------------------------------------------------------------------------
@then("the admin profile answers with that token")
@then("admin profili bu token ile yanıt verir")
def _(admin_token: Secret, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    resp: Response = read_once(target, gate, evidence, "admin_me", admin_token)
    resp.expect(200, what="admin profile with the login token")
    evidence.put("admin_me_status", resp.status)


# -- dashboard ------------------------------------------------------------------------------------------------------
@when("the admin opens the dashboard", target_fixture="dashboard_response")
@when("admin dashboard'u açar", target_fixture="dashboard_response")
def _(admin_token: Secret, target: TargetClient, gate: Gate, evidence: Evidence) -> Response:
    dashboard: Response = read_once(target, gate, evidence, "dashboard", admin_token)
    return dashboard


@then("the dashboard answers 200 with a summary")
@then("dashboard 200 ve bir özet ile yanıt verir")
def _(dashboard_response: Response, evidence: Evidence) -> None:
    dashboard_response.expect(200, what="admin dashboard")
    body = dashboard_response.json()
    if not isinstance(body, dict) or not body:
        raise CheckFailed("admin dashboard answered 200 without a summary object")
    evidence.put("dashboard_keys", sorted(body)[:20])


# -- payouts router -------------------------------------------------------------------------------------------------
@when("I probe the payouts router", target_fixture="payouts_probe")
@when("payouts router'ını yoklarım", target_fixture="payouts_probe")
def _(target: TargetClient, admin_token: Secret, gate: Gate, evidence: Evidence) -> Response:
    probe: Response = read_once(target, gate, evidence, "payouts_probe", admin_token)
    return probe


@then("the payouts router is mounted")
@then("payouts router'ı bağlıdır")
def _(payouts_probe: Response, evidence: Evidence) -> None:
    status = payouts_probe.status
    ctype = payouts_probe.headers.get("content-type", "")
    evidence.put("payouts_probe_status", status)
    evidence.put("payouts_probe_content_type", ctype)
    if status == 404 or status >= 500:
        evidence.trigger(ROW_PAYOUT_WITHDRAW_HTTP_ERROR, f"payouts router probe answered {status}")
        raise CheckFailed(f"payouts router not reachable: OPTIONS answered {status}")
    if status not in (200, 405):
        raise CheckFailed(f"payouts router probe answered {status}; expected 405 or 200")
    if "html" in ctype.lower() or payouts_probe.text.lstrip().lower().startswith(("<!doctype", "<html")):
        raise CheckFailed("payouts router probe answered an HTML page: a catch-all answered, not the router")
    if payouts_probe.text.strip() and "json" not in ctype.lower():
        raise CheckFailed(f"payouts router probe answered a non-JSON body ({ctype or 'no content-type'})")


# -- admin auth enforced --------------------------------------------------------------------------------------------
def _refused_without_valid_token(target: TargetClient, gate: Gate, evidence: Evidence, what: str, suffix: str
                                 ) -> None:
    specs = [target.profile.call(key) for key in ADMIN_ONLY]
    # the declared calls, without a token or with an invalid one, at once (reads), or started ahead at the login
    answers: list[Response] = read_once(target, gate, evidence, f"refusal:{suffix}")
    for key, spec, resp in zip(ADMIN_ONLY, specs, answers, strict=True):
        evidence.put(f"{key}_{suffix}", resp.status)
        if 200 <= resp.status < 300:
            evidence.trigger(ROW_SECURITY_INCIDENT, f"{key} ({spec.path}) {what} was served ({resp.status})")
        if resp.status not in (401, 403):
            raise CheckFailed(f"{key} ({spec.path}) {what} answered {resp.status}, expected 401 or 403")


@then("admin endpoints reject a request without a token")
@then("admin endpoint'leri token'sız isteği reddeder")
def _(target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    _refused_without_valid_token(target, gate, evidence, "without a token", "without_token")


@then("admin endpoints reject an invalid token")
@then("admin endpoint'leri geçersiz token'ı reddeder")
def _(target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    _refused_without_valid_token(target, gate, evidence, "with an invalid token", "invalid_token")
