"""Every write a run would send, for `--plan`: method, path, amount and why, in the order the scenarios run.

A write is any request that may change data (POST). The list follows what the steps do, scenario by scenario, with
the run's shared state (one admin session, one canary, the canary's completed transactions) and the environment's
rules (prod: no registration, no self-funding; probes target completed transactions). The reads are not listed.
A test runs the gate in prod mode through a recording proxy and checks the writes it made against this list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

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
DISCOVERED = "<each webhook-like route nobody declared that discovery finds>"
ALTERNATES = T0_ALTERNATE_PATHS
"""The line of the scenario that pays a kit withdrawal out through each alternate approve and mark-paid path."""
UNDECLARED = "undeclared_routes"
"""The tag of the scenario that probes the webhook-like routes nobody declared (OpenAPI document, route catalogue)."""


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    """A path template of the profile (`/api/v1/finance/withdrawals/{tx_id}/review`), or DISCOVERED."""
    amount: str = ""
    why: str = ""


@dataclass
class Plan:
    settings: GateSettings
    writes: list[Write] = field(default_factory=list)
    admin: bool = False
    canary: bool = False
    completed_deposit: bool = False
    paid_withdrawal: bool = False

    @property
    def prod(self) -> bool:
        return self.settings.env_name == "prod"

    def add(self, key: str, why: str, amount: Decimal | None = None, method: str = "POST") -> None:
        path = self.settings.profile.path(key, tx_id="{tx_id}", player_id="{player_id}")
        self.writes.append(Write(method, path, f"{amount:.2f}" if amount is not None else "", why))

    def admin_session(self) -> None:
        if not self.admin:
            self.add("admin_login", "the run's admin session (one login)")
            self.admin = True

    def canary_player(self) -> None:
        self.admin_session()
        if self.canary:
            return
        self.canary = True
        s = self.settings
        if s.canary.email and s.canary_password is not None:
            self.add("player_login", "the pre-provisioned canary logs in")
            return
        for key in ("player_register", "verify_email_send", "verify_email_confirm", "verify_sms_send",
                    "verify_sms_confirm", "player_login", "kyc_review"):
            self.add(key, "the run's canary is registered and verified (never in prod)")


def planned_writes(settings: GateSettings, scenarios: Iterable[tuple[Iterable[str], Mapping[str, str]]]
                   ) -> list[Write]:
    """The writes of the scenarios, given as (their tags: checklist lines and others, their example's parameters),
    in run order."""
    plan = Plan(settings)
    for lines, example in scenarios:
        _scenario(plan, set(lines), dict(example))
    return plan.writes


def _scenario(plan: Plan, lines: set[str], example: dict[str, str]) -> None:
    if T15_ADMIN_LOGIN in lines or RB_LOGIN in lines:
        plan.add("admin_login", "the admin login check")
        plan.admin = True
        if T15_ADMIN_LOGIN in lines:
            plan.add("admin_login", "a wrong password must be refused")
    if lines & {T15_DASHBOARD_LOADS, T15_PAYOUTS_ROUTER, RB_READONLY_ENDPOINTS, HC_FIRST_6H_WATCH,
                HC_CONTROL_REPORT_24H, HC_STABLE_72H, T0_CANARY_REPORT}:
        plan.admin_session()
    if HC_ALERTING_ACTIVE in lines:
        for route in plan.settings.profile.webhooks.routes.values():
            plan.add(route.call, "an unsigned request every webhook route must refuse")
    if T0_PLAYER_SCOPE in lines:
        plan.canary_player()  # then only reads
    if T0_DEPOSIT in lines:
        _money_loop(plan)
    if T0_PSP_DEPOSIT in lines:
        plan.canary_player()
        if plan.settings.profile.flows.deposit.psp_method:
            plan.add(plan.settings.profile.deposit_call(plan.settings.profile.flows.deposit.psp_method),
                     "a deposit with the PSP's asynchronous method (completed by its webhook)",
                     _kit(plan))
    if lines & WEBHOOK_LINES:
        _webhooks(plan, lines, example)
    if ALTERNATES in lines:
        _alternates(plan)


def _kit(plan: Plan) -> Decimal:
    return min(Decimal(str(plan.settings.profile.webhooks.kit_amount)), plan.settings.canary.max_amount)


def _money_loop(plan: Plan) -> None:
    c = plan.settings.canary
    plan.canary_player()
    call = plan.settings.profile.deposit_call(c.deposit_method)
    plan.add(call, "the canary's deposit", c.deposit_amount)
    plan.add(call, "the same deposit replayed with its idempotency key (must credit nothing)", c.deposit_amount)
    plan.add("withdraw", "the canary's withdrawal request", c.withdraw_amount)
    settle = plan.settings.profile.settle_call()
    plan.add("withdrawal_review", "the admin approves it")
    plan.add(settle, "the admin marks it paid" if settle == "withdrawal_mark_paid" else
             "the payout call settles it (flows.payout = sync)")
    plan.add(settle, "replayed (must move nothing)")
    plan.completed_deposit = plan.paid_withdrawal = True


def _webhooks(plan: Plan, lines: set[str], example: dict[str, str]) -> None:
    kit = _kit(plan)
    routes = plan.settings.profile.webhooks.routes
    plan.canary_player()
    if not plan.completed_deposit and not plan.prod:
        funding_route = next(((n, r) for n, r in routes.items() if r.completes == "deposit"), None)
        if funding_route is not None:
            funding = min(kit * 4, plan.settings.canary.max_amount)
            plan.add(plan.settings.profile.deposit_call(funding_route[1].deposit_method or ""),
                     "the webhook kit funds the canary (no completed deposit yet)", funding)
            plan.add(funding_route[1].call, f"a validly signed {funding_route[0]} event completes it")
        plan.completed_deposit = True
    if UNDECLARED in lines:
        names = ", ".join(routes)
        plan.writes.append(Write("POST", DISCOVERED, "", f"unsigned events, each route: the {names} events' shapes "
                                 "and the generic event, then the generic event wrongly signed; all name the canary "
                                 "and its completed transactions only"))
    elif lines & {T0_WEBHOOK_SIGNATURE, T0_WEBHOOK_TIMESTAMP}:
        _negative(plan, lines, kit)
    elif T0_WEBHOOK_REPLAY in lines:
        for name, route in routes.items():
            _replay(plan, name, route.call, route.completes, kit)
        for name, route in routes.items():
            plan.add(route.call, f"the {name} event replayed (no second effect)")
    elif T0_WEBHOOK_CLASSIFICATION in lines:
        payout = next((r for r in routes.values() if r.completes == "payout"), None)
        if payout is not None:
            _held_payout(plan, kit)
            plan.add(payout.call, "a validly signed 'failed' payout event (must not be booked paid)")
            plan.add("withdrawal_review", "the failed payout's withdrawal is rejected (releases its hold)")
    elif T0_IDEMPOTENCY in lines:
        plan.add(plan.settings.profile.deposit_call(plan.settings.canary.deposit_method),
                 "a deposit without an idempotency key (must be refused)", kit)
        plan.add("withdraw", "a withdrawal with an idempotency key", kit)
        plan.add("withdraw", "the same withdrawal replayed (must hold once)", kit)
        plan.add("withdraw", "the same key with another body (must be refused with 409)", kit + Decimal("0.01"))
        plan.add("withdrawal_review", "the probe's withdrawal is rejected (releases its hold)")


def _negative(plan: Plan, lines: set[str], kit: Decimal) -> None:
    """The signature scenario (or the timestamp one): each route's forged events."""
    flaws = ("without a signature", "signed with a wrong secret") if T0_WEBHOOK_SIGNATURE in lines \
        else ("with a stale timestamp",)
    acknowledged = plan.settings.profile.model.discovery.acknowledged
    for name, route in plan.settings.profile.webhooks.routes.items():
        if plan.settings.profile.call(route.call).path in acknowledged:
            continue
        if flaws[0].startswith("with a stale") and route.scheme not in ("hmac_ts", "stripe"):
            continue
        for flaw in flaws:
            if route.scheme == "none" and flaw != "without a signature":
                continue
            subject = route.completes == "payout" and not plan.paid_withdrawal
            if subject:
                plan.add("withdraw", "a requested withdrawal as the payout probe's subject", kit)
            plan.add(route.call, f"the {name} webhook {flaw} (must be refused, moving nothing)")
            if subject:
                plan.add("withdrawal_review", "the probe's withdrawal is rejected (releases its hold)")


def _held_payout(plan: Plan, kit: Decimal) -> None:
    plan.add("withdraw", "a withdrawal for a payout the PSP will not settle by itself", kit)
    plan.add("withdrawal_review", "the admin approves it")
    plan.add("withdrawal_payout", "its payout (calls.withdrawal_payout: a provider the PSP does not serve)")


def _replay(plan: Plan, name: str, call: str, completes: str, kit: Decimal) -> None:
    if plan.prod:
        plan.add(call, f"a valid {name} event for a completed canary transaction (no effect)")
    elif completes == "payout":
        _held_payout(plan, kit)
        plan.add(call, f"a valid {name} event completes it")
    else:
        route = plan.settings.profile.webhooks.routes[name]
        plan.add(plan.settings.profile.deposit_call(route.deposit_method or ""),
                 f"a fresh deposit for the {name} webhook", kit)
        plan.add(call, f"a valid {name} event completes it")


def _alternates(plan: Plan) -> None:
    kit = _kit(plan)
    plan.canary_player()
    for review, paid in plan.settings.profile.alternate_paths():
        plan.add("withdraw", f"a kit withdrawal for the alternate path calls.{review} + calls.{paid}", kit)
        plan.add(review, "approved through that path")
        plan.add(paid, "paid out through that path (the canary's own money, to its address)")
