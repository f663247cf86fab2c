"""The maintenance window (runbook B.1 and B.4, rollback steps 1 and 5) through the profile's public probe route.

Which state is expected comes from the scenario: the maintenance page while the window is open (`@maintenance`
scenarios, run only with `pytest -m maintenance` / `-m "rollback and maintenance"`), the platform itself once traffic
is open (T-0, and `-m "rollback and reopened"` after a rollback). The call is a GET without credentials.
"""

from __future__ import annotations

import pytest
from pytest_bdd import then, when

from cutover_gate.checks.maintenance import MaintenanceProbe, probe_of
from cutover_gate.core.catalogue import T0_TRAFFIC_OPEN
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.evidence.recording import Evidence, skip
from cutover_gate.target.client import Response, TargetClient
from steps.ahead import TRAFFIC_OPEN, public_route, taken
from steps.common import Shared


@when("I call the public route behind the maintenance page", target_fixture="public_probe")
@when("bakım sayfasının arkasındaki public route'u çağırırım", target_fixture="public_probe")
def _(target: TargetClient, shared: Shared, evidence: Evidence, request: pytest.FixtureRequest
      ) -> tuple[MaintenanceProbe, Response]:
    probe = probe_of(target.profile)
    if probe is None:
        skip(N_("the profile names no maintenance probe ([maintenance] call is empty)"))
    if request.node.get_closest_marker(T0_TRAFFIC_OPEN):  # asked as T-0 began (steps/ahead.start_t0_reads)
        resp = taken(shared, TRAFFIC_OPEN, public_route(target, probe.path))
        evidence.http(resp.exchange.to_json())
    else:
        resp = target.get(probe.path)
    evidence.put("probe", f"GET {probe.path}")
    evidence.put("status", resp.status)
    evidence.put("maintenance_page", probe.is_page(resp.status, resp.text))
    return probe, resp


@then("it answers with the maintenance page")
@then("bakım sayfası ile yanıt verir")
def _(public_probe: tuple[MaintenanceProbe, Response]) -> None:
    probe, resp = public_probe
    problem = probe.page_problem(resp.status, resp.text)
    if problem is not None:
        raise CheckFailed(problem)


@then("the platform answers it, not the maintenance page")
@then("bakım sayfası değil platform yanıt verir")
def _(public_probe: tuple[MaintenanceProbe, Response]) -> None:
    probe, resp = public_probe
    problem = probe.open_problem(resp.status, resp.text)
    if problem is not None:
        raise CheckFailed(problem)
