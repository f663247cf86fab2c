"""A write the gate makes, declared once: the call it goes through, the amount it moves, why it is made and what guards
it. The step that makes it sends it through `Write.send`, and `--plan` lists it from the same object
(checks/writes.py walks the scenarios, reports/plan.py renders the rows): a step cannot write what the plan does not
say. The declarations sit next to the check that makes them: the sessions in checks/sessions.py, the money loop in
checks/money_loop.py, the webhook kit's probes in checks/kit.py.

A write (anything that may change data) is a call of the profile; what varies by platform is a slot the profile fills
for the step and for the plan alike: `{deposit}` (the deposit call of a method, flows.deposit.calls), `{settle}` (the
call that pays an approved withdrawal out, flows.payout), `{route}` (a webhook route's call), `{review}` / `{paid}`
(an alternate path's calls, flows.alternates), `{send}` / `{confirm}` (a verification channel's calls).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cutover_gate.config.settings import GateSettings
from cutover_gate.config.target_profile import Profile
from cutover_gate.target.client import Response, TargetClient

FUNDING_PROBES = 4
"""Kit amounts a self-funding kit deposits: enough for the probes that hold money (replay, classification,
idempotency), each released or paid before the next."""
CONFLICT_STEP = Decimal("0.01")
"""What the idempotency probe adds to its body's amount to send the same key with another body."""


@dataclass(frozen=True)
class Amounts:
    """The amounts a run's writes move, from the cutover file ([canary]) and the profile (webhooks.kit_amount)."""

    deposit: Decimal
    withdraw: Decimal
    kit: Decimal
    """What each webhook probe moves, never above the canary's cap."""
    cap: Decimal

    @classmethod
    def of(cls, settings: GateSettings) -> Amounts:
        c = settings.canary
        kit = min(Decimal(str(settings.profile.webhooks.kit_amount)), c.max_amount)
        return cls(deposit=c.deposit_amount, withdraw=c.withdraw_amount, kit=kit, cap=c.max_amount)

    def __getitem__(self, expression: str) -> Decimal:
        """The amount an expression of a declaration names: deposit, withdraw, kit, funding, conflict."""
        if expression == "funding":
            return min(self.kit * FUNDING_PROBES, self.cap)
        if expression == "conflict":
            return self.kit + CONFLICT_STEP
        value: Decimal = getattr(self, expression)
        return value


@dataclass(frozen=True)
class Planned:
    """One row of the plan's list of writes."""

    method: str
    path: str
    """A path template of the profile (`/api/v1/finance/withdrawals/{tx_id}/review`), or DISCOVERED."""
    amount: str = ""
    why: str = ""


@dataclass(frozen=True)
class Write:
    call: str
    """A call of the profile ([calls]), or a slot ("{deposit}", "{settle}", "{route}", ...) the profile fills."""
    why: str
    """Why the run makes it, for the plan; may name the values the step and the plan both give ({name}, {flaw}...)."""
    amount: str = ""
    """What it moves, as an expression of `Amounts` (deposit, withdraw, kit, funding, conflict), or nothing."""
    guard: str = ""
    """What holds it back beyond the guards every write has (reports/plan.py's "Guards in force")."""
    path: str = ""
    """For a write to no call of the profile (a route discovery finds): the plan's placeholder path."""

    def call_of(self, profile: Profile, **slots: str) -> str:
        """The profile's call this write goes through, its slot filled: `{deposit}` from `method`, `{settle}` from
        flows.payout, any other from `slots`."""
        if not self.call.startswith("{"):
            return self.call
        slot = self.call[1:-1]
        if slot == "deposit":
            return profile.deposit_call(slots["method"])
        if slot == "settle":
            return profile.settle_call()
        return slots[slot]

    def send(self, target: TargetClient, *, slots: Mapping[str, str] | None = None, amount: Decimal | None = None,
             **kw: Any) -> Response:
        """Make the write: its call (slots filled as for the plan), `amount` as the body's, the rest as given."""
        call = self.call_of(target.profile, **(slots or {}))
        if amount is not None:
            kw["amount"] = f"{amount:.2f}"
        if self.call == "{deposit}":
            kw.setdefault("method", (slots or {})["method"])
        return target.call(call, **kw)

    def post_to(self, target: TargetClient, path: str, **kw: Any) -> Response:
        """Make a write to no call of the profile (a route discovery found, or a route's bare path): a POST to
        `path`, the rest as given."""
        return target.post(path, **kw)

    def planned(self, settings: GateSettings, **slots: str) -> Planned:
        """Its row in the plan, for the run these settings describe."""
        profile = settings.profile
        amount = f"{Amounts.of(settings)[self.amount]:.2f}" if self.amount else ""
        why = self.why.format(**slots)
        if self.path:
            return Planned("POST", self.path, amount, why)
        call = self.call_of(profile, **slots)
        path = profile.path(call, tx_id="{tx_id}", player_id="{player_id}")
        return Planned(profile.call(call).method, path, amount, why)
