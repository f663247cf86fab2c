"""T-0: a player's session opens no admin endpoint (checklist section 4, beside the money loop).

The money loop proves the canary can move its own money; this proves its token cannot act as the admin. The
canary's own token is presented where each admin-only call of the profile (`[probes] admin_only_calls`: read-only
GETs such as the dashboard and the finance withdrawals list) expects the admin session, with that call's own auth
header and scheme. Each must refuse it: 401 or 403, or another 4xx (a platform may hide admin routes behind a 404),
which serves nothing either; a 2xx is a privilege escalation, `security_incident`. The
admin's own session is sent first as the control: a call the admin is not served on proves nothing either way.
Nothing is written: the calls are reads, and the canary is the run's shared one.
"""

from __future__ import annotations

from pytest_bdd import given, then, when

from cutover_gate.checks.canary import CanaryPlayer
from cutover_gate.core.catalogue import ROW_SECURITY_INCIDENT
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.evidence.recording import Evidence
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import TargetClient
from steps.ahead import READ_AHEAD_AGE_S, SCOPE_READS, scope_reads
from steps.common import Shared, admin_session, canary_of


@given("the run's canary player is logged in", target_fixture="canary_player")
@given("koşunun canary oyuncusu giriş yapmış", target_fixture="canary_player")
def _(target: TargetClient, gate: Gate, shared: Shared, evidence: Evidence) -> CanaryPlayer:
    player = canary_of(target, gate, shared)
    evidence.put("canary_player_id", player.player_id)
    return player


@when("the canary's session calls every admin-only endpoint", target_fixture="scope_answers")
@when("canary'nin oturumu yalnızca admin'e açık her endpoint'i çağırır", target_fixture="scope_answers")
def _(target: TargetClient, gate: Gate, shared: Shared, canary_player: CanaryPlayer, evidence: Evidence
      ) -> dict[str, tuple[int, int]]:
    admin = admin_session(target, gate, shared)
    answers: dict[str, tuple[int, int]] = {}
    names = list(target.profile.probe("admin_only_calls"))
    asked = target.fresh(SCOPE_READS, scope_reads(target, admin, canary_player), max_age_s=READ_AHEAD_AGE_S)
    for resp in asked:
        evidence.http(resp.exchange.to_json())
    statuses = [resp.status for resp in asked]
    for i, name in enumerate(names):
        control, as_player = statuses[2 * i], statuses[2 * i + 1]
        answers[name] = (control, as_player)
        evidence.put(f"{name}_admin_session", control)
        evidence.put(f"{name}_player_session", as_player)
    return answers


@then("every one refuses it while the admin's own session is served")
@then("her biri onu reddeder, admin'in kendi oturumu ise yanıt alır")
def _(scope_answers: dict[str, tuple[int, int]], target: TargetClient, evidence: Evidence) -> None:
    if not scope_answers:
        raise CheckFailed(N_("the profile names no admin-only call to probe ([probes] admin_only_calls)"))
    escalated: list[str] = []
    problems: list[Reason] = []
    for name, (control, status) in scope_answers.items():
        path = target.profile.call(name).path
        if 200 <= status < 300:
            escalated.append(name)
            problems.append(Reason.of(N_("%(call)s (%(path)s) served the canary player's token (%(status)s): a player "
                                         "acts as admin"), call=name, path=path, status=status))
        elif not 400 <= status < 500:
            problems.append(Reason.of(N_("%(call)s (%(path)s) answered the canary player's token %(status)s, expected "
                                         "a refusal (401 or 403)"), call=name, path=path, status=status))
        elif not 200 <= control < 300:
            problems.append(Reason.of(N_("%(call)s (%(path)s) answered the admin's own session %(status)s: the "
                                         "refusal proves nothing"), call=name, path=path, status=control))
    if escalated:
        evidence.trigger(ROW_SECURITY_INCIDENT, Reason.of(N_("a player's token was served on admin-only call(s) "
                                                             "%(calls)s"), calls=escalated))
    if problems:
        raise CheckFailed(Reason.joined(problems))
