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

WEBHOOK_LINES = frozenset({"t0_webhook_signature", "t0_webhook_timestamp", "t0_webhook_replay",
                           "t0_webhook_classification", "t0_idempotency"})
DISCOVERED = "<each webhook-like route of the OpenAPI document>"


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
    """The writes of the scenarios, given as (their checklist lines, their example's parameters), in run order."""
    plan = Plan(settings)
    for lines, example in scenarios:
        _scenario(plan, set(lines), dict(example))
    return plan.writes


def _scenario(plan: Plan, lines: set[str], example: dict[str, str]) -> None:
    if "t15_admin_login" in lines or "rb_login" in lines:
        plan.add("admin_login", "the admin login check")
        plan.admin = True
        if "t15_admin_login" in lines:
            plan.add("admin_login", "a wrong password must be refused")
    if lines & {"t15_dashboard_loads", "t15_payouts_router", "rb_readonly_endpoints", "hc_first_6h_watch",
                "hc_control_report_24h", "hc_stable_72h", "t0_canary_report"}:
        plan.admin_session()
    if "hc_alerting_active" in lines:
        for key in plan.settings.profile.value("hypercare", "webhook_routes"):
            plan.add(key, "an unsigned request every webhook route must refuse")
    if "t0_deposit" in lines:
        _money_loop(plan)
    if lines & WEBHOOK_LINES:
        _webhooks(plan, lines, example)


def _money_loop(plan: Plan) -> None:
    c = plan.settings.canary
    plan.canary_player()
    plan.add("deposit", "the canary's deposit through the PSP", c.deposit_amount)
    plan.add("deposit", "the same deposit replayed with its Idempotency-Key (must credit nothing)", c.deposit_amount)
    plan.add("withdraw", "the canary's withdrawal request", c.withdraw_amount)
    plan.add("withdrawal_review", "the admin approves it")
    plan.add("withdrawal_mark_paid", "the admin marks it paid")
    plan.add("withdrawal_mark_paid", "mark-paid replayed (must move nothing)")
    plan.completed_deposit = plan.paid_withdrawal = True


def _webhooks(plan: Plan, lines: set[str], example: dict[str, str]) -> None:
    kit = Decimal(str(plan.settings.profile.value("webhooks", "kit_amount")))
    route = example.get("route", "")
    plan.canary_player()
    if not plan.completed_deposit and not plan.prod:
        funding = min(kit * 4, plan.settings.canary.max_amount)
        plan.add("deposit", "the webhook kit funds the canary (no completed deposit yet)", funding)
        plan.add("webhook_stripe", "a validly signed Stripe event completes it")
        plan.completed_deposit = True
    if lines & {"t0_webhook_signature", "t0_webhook_timestamp"}:
        if not route:
            plan.writes.append(Write("POST", DISCOVERED, "", "an unsigned and a wrongly signed {} each"))
            return
        if route == "payout" and not plan.paid_withdrawal:
            plan.add("withdraw", "a requested withdrawal as the payout probe's subject", kit)
        plan.add(f"webhook_{route}", f"the {route} webhook {example.get('flaw', 'with a stale timestamp')} "
                                     "(must be refused, moving nothing)")
        if route == "payout" and not plan.paid_withdrawal:
            plan.add("withdrawal_review", "the probe's withdrawal is rejected (releases its hold)")
    elif "t0_webhook_replay" in lines:
        _replay(plan, route, kit)
    elif "t0_webhook_classification" in lines:
        _held_payout(plan, kit)
        plan.add("webhook_payout", "a validly signed 'failed' payout event (must not be booked paid)")
        plan.add("withdrawal_review", "the failed payout's withdrawal is rejected (releases its hold)")
    elif "t0_idempotency" in lines:
        plan.add("deposit", "a deposit without an Idempotency-Key (must be refused)", kit)
        plan.add("withdraw", "a withdrawal with an Idempotency-Key", kit)
        plan.add("withdraw", "the same withdrawal replayed (must hold once)", kit)
        plan.add("withdraw", "the same key with another body (must be refused with 409)", kit + Decimal("0.01"))
        plan.add("withdrawal_review", "the probe's withdrawal is rejected (releases its hold)")


def _held_payout(plan: Plan, kit: Decimal) -> None:
    plan.add("withdraw", "a withdrawal for a payout the PSP will not settle by itself", kit)
    plan.add("withdrawal_review", "the admin approves it")
    plan.add("withdrawal_payout", "its payout (the profile's [webhooks] held_payout_body)")


def _replay(plan: Plan, route: str, kit: Decimal) -> None:
    if plan.prod:
        plan.add(f"webhook_{route}", f"a valid {route} event for a completed canary transaction (no effect)")
        plan.add(f"webhook_{route}", "the same event replayed (no effect)")
        return
    if route == "payout":
        _held_payout(plan, kit)
    else:
        plan.add("deposit", f"a fresh deposit for the {route} webhook", kit)
    plan.add(f"webhook_{route}", f"a valid {route} event completes it")
    plan.add(f"webhook_{route}", "the same event replayed (no second effect)")
