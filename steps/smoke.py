"""T-15 deploy + migration + smoke (runbook §4 T-15, checklist section 3)."""

from __future__ import annotations

import re

from pytest_bdd import then, when

from cutover_gate.core.catalogue import ROW_MIGRATION_FAILURE, ROW_PAYOUT_WITHDRAW_HTTP_ERROR, ROW_SECURITY_INCIDENT
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
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
    version_response.expect(200, what=N_("version endpoint"))
    deployed = str(version_response.answer("git_sha"))
    release = gate.settings.release_sha
    evidence.put("deployed_sha", deployed)
    evidence.put("release_sha", release)
    if not release:
        raise CheckFailed(N_("release SHA not pinned: give --release-sha or RELEASE_SHA"))
    if not SHA40.match(deployed):
        raise CheckFailed(N_("the target reports git_sha '%(deployed)s', not a 40-hex commit SHA"), deployed=deployed)
    if deployed.lower() != release.lower():
        raise CheckFailed(N_("deployed SHA %(deployed)s is not the release SHA %(release)s"), deployed=deployed,
                          release=release)


# -- migrations at head ----------------------------------------------------------------------------------------
@when("I read the readiness of the target", target_fixture="readiness_response")
@when("hedefin hazır olma durumunu okurum", target_fixture="readiness_response")
def _(target: TargetClient, shared: Shared, evidence: Evidence) -> Response:
    return deploy_read(target, shared, evidence, "readiness")


def _migration_failure(evidence: Evidence, reason: Reason) -> CheckFailed:
    evidence.trigger(ROW_MIGRATION_FAILURE, reason)
    return CheckFailed(reason)


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
        raise _migration_failure(evidence, Reason.of(
            N_("readiness (HTTP %(status)s) does not report the migration state: %(cause)s"),
            status=readiness_response.status, cause=exc.reason)) from None
    evidence.put("readiness_db_rev", db_rev)
    evidence.put("readiness_head_rev", head_rev)
    evidence.put("readiness_migrations", migrations)
    if readiness_response.status != 200 or status != p.state("readiness_ok"):
        raise _migration_failure(evidence, Reason.of(
            N_("readiness answered %(status)s with migrations '%(migrations)s' (db %(db_rev)s, head %(head_rev)s)"),
            status=readiness_response.status, migrations=migrations, db_rev=db_rev, head_rev=head_rev))
    if migrations != p.state("migrations_ok") or db_rev != head_rev:
        raise _migration_failure(evidence, Reason.of(
            N_("migrations '%(migrations)s': db at %(db_rev)s, head is %(head_rev)s"), migrations=migrations,
            db_rev=db_rev, head_rev=head_rev))
    return head_rev


@then("the applied migration in the database equals the head")
@then("veritabanındaki uygulanmış migration head'e eşittir")
def _(readiness_head: str, database: Database, gate: Gate, evidence: Evidence) -> None:
    rows = database.query("alembic_version")
    applied = [str(next(iter(r.values()))) for r in rows]
    evidence.put("alembic_version", applied)
    expected = gate.settings.cutover.migrations.head
    if expected and expected != readiness_head:
        raise _migration_failure(evidence, Reason.of(
            N_("the target's head %(head)s is not the release's migration head %(expected)s"),
            head=readiness_head, expected=expected))
    if applied != [readiness_head]:
        if not applied:
            raise _migration_failure(evidence, Reason.of(N_("alembic_version holds nothing, head is %(head)s"),
                                                         head=readiness_head))
        raise _migration_failure(evidence, Reason.of(N_("alembic_version holds %(applied)s, head is %(head)s"),
                                                     applied=applied, head=readiness_head))


# -- health -------------------------------------------------------------------------------------------------------
@when("I call the health endpoint", target_fixture="health_response")
@when("health endpoint'ini çağırırım", target_fixture="health_response")
def _(target: TargetClient, shared: Shared, evidence: Evidence) -> Response:
    return deploy_read(target, shared, evidence, "health")


@then("it answers 200 with a healthy status")
@then("200 ve sağlıklı durum ile yanıt verir")
def _(health_response: Response, target: TargetClient, evidence: Evidence) -> None:
    evidence.put("health_status_code", health_response.status)
    health_response.expect(200, what=N_("API health"))
    status = health_response.word("status")
    evidence.put("health_status", status)
    if status != target.profile.state("health_ok"):
        raise CheckFailed(N_("API health answered 200 but status is '%(status)s', not '%(expected)s'"), status=status,
                          expected=target.profile.state("health_ok"))


# -- admin login ----------------------------------------------------------------------------------------------------
@then("the admin profile answers with that token")
@then("admin profili bu token ile yanıt verir")
def _(admin_token: Secret, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    resp: Response = read_once(target, gate, evidence, "admin_me", admin_token)
    resp.expect(200, what=N_("admin profile with the login token"))
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
    dashboard_response.expect(200, what=N_("admin dashboard"))
    body = dashboard_response.json()
    if not isinstance(body, dict) or not body:
        raise CheckFailed(N_("admin dashboard answered 200 without a summary object"))
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
        evidence.trigger(ROW_PAYOUT_WITHDRAW_HTTP_ERROR, Reason.of(N_("payouts router probe answered %(status)s"),
                                                                   status=status))
        raise CheckFailed(N_("payouts router not reachable: OPTIONS answered %(status)s"), status=status)
    if status not in (200, 405):
        raise CheckFailed(N_("payouts router probe answered %(status)s; expected 405 or 200"), status=status)
    if "html" in ctype.lower() or payouts_probe.text.lstrip().lower().startswith(("<!doctype", "<html")):
        raise CheckFailed(N_("payouts router probe answered an HTML page: a catch-all answered, not the router"))
    if payouts_probe.text.strip() and "json" not in ctype.lower():
        if not ctype:
            raise CheckFailed(N_("payouts router probe answered a non-JSON body (no content-type)"))
        raise CheckFailed(N_("payouts router probe answered a non-JSON body (%(content_type)s)"), content_type=ctype)


# -- admin auth enforced --------------------------------------------------------------------------------------------
def _refused_without_valid_token(target: TargetClient, gate: Gate, evidence: Evidence, what: Reason, suffix: str
                                 ) -> None:
    specs = [target.profile.call(key) for key in ADMIN_ONLY]
    # the declared calls, without a token or with an invalid one, at once (reads), or started ahead at the login
    answers: list[Response] = read_once(target, gate, evidence, f"refusal:{suffix}")
    for key, spec, resp in zip(ADMIN_ONLY, specs, answers, strict=True):
        evidence.put(f"{key}_{suffix}", resp.status)
        if 200 <= resp.status < 300:
            evidence.trigger(ROW_SECURITY_INCIDENT, Reason.of(N_("%(key)s (%(path)s) %(what)s was served (%(status)s)"),
                                                              key=key, path=spec.path, what=what, status=resp.status))
        if resp.status not in (401, 403):
            raise CheckFailed(N_("%(key)s (%(path)s) %(what)s answered %(status)s, expected 401 or 403"), key=key,
                              path=spec.path, what=what, status=resp.status)


@then("admin endpoints reject a request without a token")
@then("admin endpoint'leri token'sız isteği reddeder")
def _(target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    _refused_without_valid_token(target, gate, evidence, Reason.of(N_("without a token")), "without_token")


@then("admin endpoints reject an invalid token")
@then("admin endpoint'leri geçersiz token'ı reddeder")
def _(target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    _refused_without_valid_token(target, gate, evidence, Reason.of(N_("with an invalid token")), "invalid_token")
