"""T-60 pre-flight (runbook §4 T-60, checklist section 1): release pin, owners, prod config, CORS, bootstrap, RC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pytest_bdd import then, when

from cutover_gate.checks import discovery
from cutover_gate.checks.preflight import Finding, Status
from cutover_gate.checks.preflight.artifacts import verify_artifacts
from cutover_gate.checks.preflight.owners import check_owners, check_release_sha
from cutover_gate.checks.preflight.prodenv import env_git_sha, verify_prod_env
from cutover_gate.checks.preflight.waivers import WaiverRegisterError, load_waivers
from cutover_gate.config import route_catalogue
from cutover_gate.core.catalogue import ROW_SECURITY_INCIDENT
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.evidence.recording import Evidence, skip
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import Response, TargetClient
from steps.ahead import CORS_PREFLIGHT, cors_preflight, taken
from steps.common import SEED_SURVEY, Shared, seed_survey


def _record(evidence: Evidence, findings: list[Finding]) -> None:
    evidence.put("findings", [{"rule": f.rule, "subject": f.subject, "status": f.status.value, "message": f.message,
                               "waiver": f.waiver} for f in findings])
    waived = [f for f in findings if f.status is Status.WAIVED]
    if waived and all(f.ok for f in findings):
        refs = [f"{f.subject} ({f.waiver})" for f in waived]
        evidence.waive(refs)
        evidence.put("waived", refs)


def _shown(finding: Finding) -> Reason:
    if finding.waiver:
        return Reason.of(N_("%(subject)s: %(message)s [%(waiver)s]"), subject=finding.subject, message=finding.cause,
                         waiver=finding.waiver)
    return Reason.of(N_("%(subject)s: %(message)s"), subject=finding.subject, message=finding.cause)


def _fail_on(findings: list[Finding], what: Reason) -> None:
    failed = [f for f in findings if f.status is Status.FAIL]
    if failed:
        shown = tuple(_shown(f) for f in failed[:8])
        if len(failed) > 8:
            raise CheckFailed(N_("%(what)s: %(n)s finding(s) FAIL - %(findings)s (+%(more)s more)"), what=what,
                              n=len(failed), findings=shown, more=len(failed) - 8)
        raise CheckFailed(N_("%(what)s: %(n)s finding(s) FAIL - %(findings)s"), what=what, n=len(failed),
                          findings=shown)


@then("the release SHA is pinned")
@then("release SHA sabitlenmiştir")
def _(gate: Gate, evidence: Evidence) -> None:
    finding = check_release_sha(gate.settings.release_sha)
    evidence.put("release_sha", gate.settings.release_sha)
    _record(evidence, [finding])
    _fail_on([finding], Reason.of(N_("release pin")))


@then("every cutover role has an owner")
@then("her cutover rolünün bir sorumlusu vardır")
def _(gate: Gate, evidence: Evidence) -> None:
    owners = gate.settings.cutover.owners
    if not owners:
        raise CheckFailed(N_("no [owners] in the cutover file: the incident commander, deployer, DB owner, payments "
                             "owner, scribe and on-call must be named"))
    findings = check_owners(owners)
    evidence.put("owners", dict(owners))
    _record(evidence, findings)
    _fail_on(findings, Reason.of(N_("owners")))


@when("I verify the production configuration file", target_fixture="env_findings")
@when("prod konfigürasyon dosyasını doğrularım", target_fixture="env_findings")
def _(gate: Gate, evidence: Evidence) -> list[Finding]:
    settings = gate.settings
    env_file = settings.input_path(settings.cutover.prod_env.file)
    if env_file is None:
        raise CheckFailed(N_("no prod env file given: set [prod_env] file in the cutover file"))
    register = settings.input_path(settings.cutover.prod_env.waiver_register)
    try:
        waivers = load_waivers(register) if register is not None else []
    except (WaiverRegisterError, OSError) as exc:
        raise CheckFailed(N_("waiver register %(register)s: %(error)s"), register=register, error=exc) from None
    evidence.put("env_file", str(env_file))
    evidence.put("waiver_register", str(register) if register else None)
    rules = settings.profile.prod_env
    findings = verify_prod_env(env_file, waivers, date.today(), rules)
    sha = env_git_sha(env_file, rules) if env_file.is_file() else None
    release = (settings.release_sha or "").lower()
    if sha and release and sha != release:
        var = rules.git_sha.var if rules.git_sha else "GIT_SHA"
        findings.append(Finding.of("git_sha_matches_release", var, Status.FAIL,
                                   Reason.of(N_("%(var)s in the prod env file is not the release SHA"), var=var)))
    return findings


@then("no configuration finding fails unless it is waived")
@then("muafiyet verilmemiş hiçbir konfigürasyon bulgusu başarısız değildir")
def _(env_findings: list[Finding], evidence: Evidence) -> None:
    _record(evidence, env_findings)
    _fail_on(env_findings, Reason.of(N_("prod configuration")))


@when("I send a CORS preflight from a foreign origin", target_fixture="cors_response")
@when("yabancı bir origin'den CORS preflight gönderirim", target_fixture="cors_response")
def _(target: TargetClient, shared: Shared, evidence: Evidence) -> Response:
    evidence.put("origin", str(target.profile.probe("cors_foreign_origin")))
    resp = taken(shared, CORS_PREFLIGHT, lambda: cors_preflight(target))  # sent as the run started
    evidence.http(resp.exchange.to_json())
    return resp


@then("the preflight is refused")
@then("preflight reddedilir")
def _(cors_response: Response, target: TargetClient, evidence: Evidence) -> None:
    origin = str(target.profile.probe("cors_foreign_origin"))
    allowed = cors_response.headers.get("Access-Control-Allow-Origin")
    evidence.put("preflight_status", cors_response.status)
    evidence.put("access_control_allow_origin", allowed)
    if allowed and (allowed.strip() == "*" or allowed.strip().rstrip("/") == origin):
        evidence.trigger(ROW_SECURITY_INCIDENT, Reason.of(N_("CORS allows the foreign origin %(origin)s (answered "
                                                             "'%(allowed)s')"), origin=origin, allowed=allowed))
        raise CheckFailed(N_("CORS is not restricted: a preflight from %(origin)s was allowed ('%(allowed)s')"),
                          origin=origin, allowed=allowed)


@dataclass
class Probes:
    """Bootstrap, seed and test routes: those the profile declares, those the OpenAPI document lists, and the built-in
    catalogue's shapes under every API prefix, each asked with a bodiless OPTIONS."""

    documented: list[str] = field(default_factory=list)
    survey: discovery.Survey = field(default_factory=discovery.Survey)
    source: str = ""


@when("I probe the bootstrap, seed and test endpoints", target_fixture="probe_answers")
@when("bootstrap, seed ve test endpoint'lerini yoklarım", target_fixture="probe_answers")
def _(target: TargetClient, shared: Shared, evidence: Evidence) -> Probes:
    seen = taken(shared, SEED_SURVEY, lambda: seed_survey(target, shared))  # started with the run
    routes, source = seen.documented
    survey = seen.catalogue
    # a route the document lists is mounted by definition, whatever its OPTIONS answered
    documented = [r.path for r in routes or [] if route_catalogue.seed_like(r.path, target.profile)]
    survey.existence = [e for e in survey.existence if e.path not in documented]
    probes = Probes(documented=documented, survey=survey, source=source)
    evidence.put("openapi", source)
    evidence.put("discovery", probes.survey.summary())
    return probes


@then("none of them is live")
@then("hiçbiri canlı değildir")
def _(probe_answers: Probes, target: TargetClient, evidence: Evidence) -> None:
    acknowledged = target.profile.model.discovery.acknowledged
    survey = probe_answers.survey
    said = [(path, Reason.of(N_("%(path)s (listed in the OpenAPI document)"), path=path))
            for path in probe_answers.documented]
    said += [(e.path, Reason.of(N_("%(path)s (%(why)s)"), path=e.path, why=e.why)) for e in survey.of("mounted")]
    mounted = [reason.text() for _path, reason in said]
    evidence.put("documented_seed_routes", probe_answers.documented)
    evidence.put("mounted", mounted)
    evidence.put("acknowledged", {path: why for path, why in acknowledged.items()
                                  if any(m.startswith(f"{path} ") for m in mounted)})
    said = [(path, reason) for path, reason in said if reason.text().split(" ")[0] not in acknowledged]
    if said:
        shown = _listed([reason for _path, reason in said])
        evidence.trigger(ROW_SECURITY_INCIDENT, Reason.of(N_("routes that must be disabled are mounted: %(routes)s"),
                                                          routes=shown))
        raise CheckFailed(N_("bootstrap, seed or test routes are mounted in the target: %(routes)s"), routes=shown)
    blind = [e for e in survey.of("cannot_tell") if e.path not in acknowledged]
    if blind or survey.not_asked:
        evidence.put("cannot_tell", {e.path: e.why.text() for e in blind[:20]})
        skip(discovery.cannot_tell_message(survey, blind))


def _listed(items: list[Reason]) -> Reason:
    """`items` one after the other, separated by ", "."""
    shown = items[0]
    for item in items[1:]:
        shown = Reason.of(N_("%(first)s, %(then)s"), first=shown, then=item)
    return shown


@when("I verify the RC artifacts against their SHA256SUMS manifest", target_fixture="artifact_findings")
@when("RC artefaktlarını SHA256SUMS manifestine göre doğrularım", target_fixture="artifact_findings")
def _(gate: Gate, evidence: Evidence) -> list[Finding]:
    directory = gate.settings.input_path(gate.settings.cutover.artifacts.dir)
    if directory is None:
        raise CheckFailed(N_("no RC artifacts directory given: set [artifacts] dir in the cutover file"))
    evidence.put("artifacts_dir", str(directory))
    return verify_artifacts(directory)


@then("every artifact is present and its hash matches")
@then("her artefakt mevcuttur ve hash'i eşleşir")
def _(artifact_findings: list[Finding], evidence: Evidence) -> None:
    _record(evidence, artifact_findings)
    evidence.put("verified", sorted(f.subject for f in artifact_findings if f.rule == "artifact_verified"))
    _fail_on(artifact_findings, Reason.of(N_("RC artifacts")))
