"""T-60 pre-flight (runbook §4 T-60, checklist section 1): release pin, owners, prod config, CORS, bootstrap, RC."""

from __future__ import annotations

from datetime import date

from pytest_bdd import then, when

from cutover_gate.checks.preflight import Finding, Status
from cutover_gate.checks.preflight.artifacts import verify_artifacts
from cutover_gate.checks.preflight.owners import check_owners, check_release_sha
from cutover_gate.checks.preflight.prodenv import env_git_sha, verify_prod_env
from cutover_gate.checks.preflight.waivers import WaiverRegisterError, load_waivers
from cutover_gate.core.errors import CheckFailed
from cutover_gate.evidence.recording import Evidence
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import Response, TargetClient

REFUSED = (401, 403, 404, 405, 410)


def _record(evidence: Evidence, findings: list[Finding]) -> None:
    evidence.put("findings", [{"rule": f.rule, "subject": f.subject, "status": f.status.value, "message": f.message,
                               "waiver": f.waiver} for f in findings])
    waived = [f for f in findings if f.status is Status.WAIVED]
    if waived and all(f.ok for f in findings):
        refs = [f"{f.subject} ({f.waiver})" for f in waived]
        evidence.waive(refs)
        evidence.put("waived", refs)


def _fail_on(findings: list[Finding], what: str) -> None:
    failed = [f for f in findings if f.status is Status.FAIL]
    if failed:
        shown = "; ".join(f"{f.subject}: {f.message}" + (f" [{f.waiver}]" if f.waiver else "") for f in failed[:8])
        more = f" (+{len(failed) - 8} more)" if len(failed) > 8 else ""
        raise CheckFailed(f"{what}: {len(failed)} finding(s) FAIL - {shown}{more}")


@then("the release SHA is pinned")
@then("release SHA sabitlenmiştir")
def _(gate: Gate, evidence: Evidence) -> None:
    finding = check_release_sha(gate.settings.release_sha)
    evidence.put("release_sha", gate.settings.release_sha)
    _record(evidence, [finding])
    _fail_on([finding], "release pin")


@then("every cutover role has an owner")
@then("her cutover rolünün bir sorumlusu vardır")
def _(gate: Gate, evidence: Evidence) -> None:
    owners = gate.settings.cutover.owners
    if not owners:
        raise CheckFailed("no [owners] in the cutover file: the incident commander, deployer, DB owner, payments "
                          "owner, scribe and on-call must be named")
    findings = check_owners(owners)
    evidence.put("owners", dict(owners))
    _record(evidence, findings)
    _fail_on(findings, "owners")


@when("I verify the production configuration file", target_fixture="env_findings")
@when("prod konfigürasyon dosyasını doğrularım", target_fixture="env_findings")
def _(gate: Gate, evidence: Evidence) -> list[Finding]:
    settings = gate.settings
    env_file = settings.input_path(settings.cutover.prod_env.file)
    if env_file is None:
        raise CheckFailed("no prod env file given: set [prod_env] file in the cutover file")
    register = settings.input_path(settings.cutover.prod_env.waiver_register)
    try:
        waivers = load_waivers(register) if register is not None else []
    except (WaiverRegisterError, OSError) as exc:
        raise CheckFailed(f"waiver register {register}: {exc}") from None
    evidence.put("env_file", str(env_file))
    evidence.put("waiver_register", str(register) if register else None)
    findings = verify_prod_env(env_file, waivers, date.today())
    sha = env_git_sha(env_file) if env_file.is_file() else None
    release = (settings.release_sha or "").lower()
    if sha and release and sha != release:
        findings.append(Finding("git_sha_matches_release", "GIT_SHA", Status.FAIL,
                                "GIT_SHA in the prod env file is not the release SHA"))
    return findings


@then("no configuration finding fails unless it is waived")
@then("muafiyet verilmemiş hiçbir konfigürasyon bulgusu başarısız değildir")
def _(env_findings: list[Finding], evidence: Evidence) -> None:
    _record(evidence, env_findings)
    _fail_on(env_findings, "prod configuration")


@when("I send a CORS preflight from a foreign origin", target_fixture="cors_response")
@when("yabancı bir origin'den CORS preflight gönderirim", target_fixture="cors_response")
def _(target: TargetClient, evidence: Evidence) -> Response:
    origin = str(target.profile.probe("cors_foreign_origin"))
    evidence.put("origin", origin)
    return target.options(str(target.profile.probe("cors_probe_path")),
                          headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                   "Access-Control-Request-Headers": "content-type,authorization"})


@then("the preflight is refused")
@then("preflight reddedilir")
def _(cors_response: Response, target: TargetClient, evidence: Evidence) -> None:
    origin = str(target.profile.probe("cors_foreign_origin"))
    allowed = cors_response.headers.get("Access-Control-Allow-Origin")
    evidence.put("preflight_status", cors_response.status)
    evidence.put("access_control_allow_origin", allowed)
    if allowed and (allowed.strip() == "*" or allowed.strip().rstrip("/") == origin):
        evidence.trigger("security_incident", f"CORS allows the foreign origin {origin} (answered '{allowed}')")
        raise CheckFailed(f"CORS is not restricted: a preflight from {origin} was allowed ('{allowed}')")


@when("I probe the bootstrap, seed and test endpoints", target_fixture="probe_answers")
@when("bootstrap, seed ve test endpoint'lerini yoklarım", target_fixture="probe_answers")
def _(target: TargetClient) -> dict[str, int]:
    answers: dict[str, int] = {}
    for spec in target.profile.probe("disabled_endpoints"):
        method, _, path = str(spec).partition(" ")
        answers[str(spec)] = target.request(method.upper(), path, json={}).status
    return answers


@then("none of them is live")
@then("hiçbiri canlı değildir")
def _(probe_answers: dict[str, int], evidence: Evidence) -> None:
    evidence.put("answers", probe_answers)
    live = {spec: status for spec, status in probe_answers.items() if status not in REFUSED}
    if live:
        shown = ", ".join(f"{spec} -> {status}" for spec, status in live.items())
        evidence.trigger("security_incident", f"endpoints that must be disabled answer: {shown}")
        raise CheckFailed(f"endpoints that must be disabled in production are live: {shown}")


@when("I verify the RC artifacts against their SHA256SUMS manifest", target_fixture="artifact_findings")
@when("RC artefaktlarını SHA256SUMS manifestine göre doğrularım", target_fixture="artifact_findings")
def _(gate: Gate, evidence: Evidence) -> list[Finding]:
    directory = gate.settings.input_path(gate.settings.cutover.artifacts.dir)
    if directory is None:
        raise CheckFailed("no RC artifacts directory given: set [artifacts] dir in the cutover file")
    evidence.put("artifacts_dir", str(directory))
    return verify_artifacts(directory)


@then("every artifact is present and its hash matches")
@then("her artefakt mevcuttur ve hash'i eşleşir")
def _(artifact_findings: list[Finding], evidence: Evidence) -> None:
    _record(evidence, artifact_findings)
    evidence.put("verified", sorted(f.subject for f in artifact_findings if f.rule == "artifact_verified"))
    _fail_on(artifact_findings, "RC artifacts")
