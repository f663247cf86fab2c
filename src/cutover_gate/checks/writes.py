"""Every write a run would send, for `--plan`, in the order the scenarios run: the declared writes (checks/declared.py)
of each selected scenario, none described a second time.

The declarations sit beside the checks that make them (checks/sessions.py, checks/money_loop.py, checks/kit.py) and
the steps send them; this walk only says which of them a scenario makes, given the run's shared state (one admin
session, one canary, the canary's completed transactions) and the environment's rules (prod: no registration, no
self-funding; probes target completed transactions). The reads are not listed. A test runs the gate in prod mode
through a recording proxy and checks the writes it made against this list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cutover_gate.checks import kit, money_loop, sessions
from cutover_gate.checks.declared import Planned, Write
from cutover_gate.config.settings import GateSettings
from cutover_gate.core.catalogue import (
    HC_ALERTING_ACTIVE,
    HC_CONTROL_REPORT_24H,
    HC_FIRST_6H_WATCH,
    HC_STABLE_72H,
    RB_LOGIN,
    RB_READONLY_ENDPOINTS,
    T0_ALTERNATE_PATHS,
    T0_CANARY_REPORT,
    T0_DEPOSIT,
    T0_IDEMPOTENCY,
    T0_PLAYER_SCOPE,
    T0_PSP_DEPOSIT,
    T0_WEBHOOK_CLASSIFICATION,
    T0_WEBHOOK_REPLAY,
    T0_WEBHOOK_SIGNATURE,
    T0_WEBHOOK_TIMESTAMP,
    T15_ADMIN_LOGIN,
    T15_DASHBOARD_LOADS,
    T15_PAYOUTS_ROUTER,
)

WEBHOOK_LINES = frozenset({T0_WEBHOOK_SIGNATURE, T0_WEBHOOK_TIMESTAMP, T0_WEBHOOK_REPLAY,
                           T0_WEBHOOK_CLASSIFICATION, T0_IDEMPOTENCY})
DISCOVERED = kit.DISCOVERED
ALTERNATES = T0_ALTERNATE_PATHS
"""The line of the scenario that pays a kit withdrawal out through each alternate approve and mark-paid path."""
UNDECLARED = "undeclared_routes"
"""The tag of the scenario that probes the webhook-like routes nobody declared (OpenAPI document, route catalogue)."""
ADMIN_READS = frozenset({T15_DASHBOARD_LOADS, T15_PAYOUTS_ROUTER, RB_READONLY_ENDPOINTS, HC_FIRST_6H_WATCH,
                         HC_CONTROL_REPORT_24H, HC_STABLE_72H, T0_CANARY_REPORT})
"""Lines whose scenarios read as the admin: they open the run's admin session when no scenario before did."""


@dataclass
class Plan:
    settings: GateSettings
    writes: list[Planned] = field(default_factory=list)
    admin: bool = False
    canary: bool = False
    completed_deposit: bool = False
    paid_withdrawal: bool = False
    later: set[str] = field(default_factory=set)
    """The lines and tags of the scenarios after the one being planned."""
    spare: bool = False
    """The idempotency probe left its withdrawal, still held, for the classification probe."""

    @property
    def prod(self) -> bool:
        return self.settings.env_name == "prod"

    def add(self, write: Write, **slots: str) -> None:
        self.writes.append(write.planned(self.settings, **slots))

    def admin_session(self) -> None:
        if not self.admin:
            self.add(sessions.ADMIN_SESSION)
            self.admin = True

    def canary_player(self) -> None:
        self.admin_session()
        if not self.canary:
            self.canary = True
            for write, slots in sessions.canary_writes(self.settings):
                self.add(write, **slots)


def planned_writes(settings: GateSettings, scenarios: Iterable[tuple[Iterable[str], Mapping[str, str]]]
                   ) -> list[Planned]:
    """The writes of the scenarios, given as (their tags: checklist lines and others, their example's parameters),
    in run order."""
    plan = Plan(settings)
    listed = [set(lines) for lines, _example in scenarios]
    for at, lines in enumerate(listed):
        plan.later = set().union(*listed[at + 1:])
        _scenario(plan, lines)
    return plan.writes


def _scenario(plan: Plan, lines: set[str]) -> None:
    profile = plan.settings.profile
    if T15_ADMIN_LOGIN in lines or RB_LOGIN in lines:
        plan.add(sessions.ADMIN_LOGIN_CHECK)
        plan.admin = True
        if T15_ADMIN_LOGIN in lines:
            plan.add(sessions.WRONG_PASSWORD)
    if lines & ADMIN_READS:
        plan.admin_session()
    if HC_ALERTING_ACTIVE in lines:
        for route in profile.webhooks.routes.values():
            plan.add(kit.ALERTING_PROBE, route=route.call)
    if T0_PLAYER_SCOPE in lines:
        plan.canary_player()  # then only reads
    if T0_DEPOSIT in lines:
        plan.canary_player()
        for write in money_loop.loop_writes(profile):
            plan.add(write, method=plan.settings.canary.deposit_method)
        plan.completed_deposit = plan.paid_withdrawal = True
    if T0_PSP_DEPOSIT in lines:
        plan.canary_player()
        if profile.flows.deposit.psp_method:
            plan.add(kit.PSP_DEPOSIT, method=profile.flows.deposit.psp_method)
    if lines & WEBHOOK_LINES:
        _webhooks(plan, lines)
    if ALTERNATES in lines:
        plan.canary_player()
        for review, paid in profile.alternate_paths():
            for write in kit.ALTERNATE_PATH:
                plan.add(write, review=review, paid=paid)


def _webhooks(plan: Plan, lines: set[str]) -> None:
    routes = plan.settings.profile.webhooks.routes
    plan.canary_player()
    if not plan.completed_deposit and not plan.prod:
        funding = next(((n, r) for n, r in routes.items() if r.completes == "deposit"), None)
        if funding is not None:
            plan.add(kit.FUND, method=funding[1].deposit_method or "")
            plan.add(kit.FUND_EVENT, route=funding[1].call, name=funding[0])
        plan.completed_deposit = True
    if UNDECLARED in lines:
        plan.add(kit.UNDECLARED_EVENTS, names=", ".join(routes))
    elif lines & {T0_WEBHOOK_SIGNATURE, T0_WEBHOOK_TIMESTAMP}:
        _negative(plan, ("missing", "wrong") if T0_WEBHOOK_SIGNATURE in lines else ("stale",))
    elif T0_WEBHOOK_REPLAY in lines:
        replayed = {name: route for name, route in routes.items()  # as steps/webhook_replay.py: flows.payout permitting
                    if route.completes != "payout" or not kit.payout_flow_blocks(plan.settings.profile, name, "replay")}
        for name, route in replayed.items():
            if plan.prod:
                plan.add(kit.REPLAY_COMPLETED, route=route.call, name=name)
                continue
            if route.completes == "payout":
                for write in kit.HELD_PAYOUT_WRITES:
                    plan.add(write)
            else:
                plan.add(kit.REPLAY_DEPOSIT, method=route.deposit_method or "", name=name)
            plan.add(kit.REPLAY_EVENT, route=route.call, name=name)
        for name, route in replayed.items():
            plan.add(kit.REPLAYED, route=route.call, name=name)
    elif T0_WEBHOOK_CLASSIFICATION in lines:
        payout = kit.classification_payout(plan.settings.profile)
        if payout is not None:
            held = (kit.SPARE_APPROVE, kit.HELD_PAYOUT) if plan.spare else kit.HELD_PAYOUT_WRITES
            for write in (*held, kit.FAILED_EVENT, kit.FAILED_REJECT):
                plan.add(write, route=payout[1].call)
        plan.spare = False
    elif T0_IDEMPOTENCY in lines:
        plan.spare = kit.spare_for_classification(plan.settings.profile, T0_WEBHOOK_CLASSIFICATION in plan.later)
        for write in kit.IDEMPOTENCY[:-1] if plan.spare else kit.IDEMPOTENCY:
            plan.add(write, method=plan.settings.canary.deposit_method)


def _negative(plan: Plan, flaws: tuple[str, ...]) -> None:
    """The signature scenario (or the timestamp one): each route's forged events (steps/webhooks.py's `_probe`)."""
    profile = plan.settings.profile
    for name, route, flaw in kit.forged_probes(profile, profile.webhooks.routes, flaws)[0]:
        subject = route.completes == "payout" and not plan.paid_withdrawal
        if subject:
            plan.add(kit.PROBE_SUBJECT)
        plan.add(kit.FORGED_EVENT, route=route.call, name=name, flaw=kit.FLAWS[flaw])
        if subject:
            plan.add(kit.PROBE_REJECT)
