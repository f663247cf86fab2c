"""What the run's own transactions explain of the canary's balances (T-0 `t0_ledger_invariants`, after every probe).

From the canary's balances before the first probe, each transaction the probes made moves them by what its state
says, in the profile's words: a completed deposit adds its amount to `available`; a withdrawal that still holds
(requested, approved, payout pending, payout failed) moves its amount from `available` to `held`; a paid one takes it
from `available`; a rejected or canceled one moves nothing. Any other change is unexplained: a probe moved money that
no completed kit transaction accounts for (`ledger_invariant_breach`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from cutover_gate.config.target_profile import Profile, ProfileError
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason


@dataclass(frozen=True)
class Moved:
    tx_id: str
    amount: Decimal
    state: str


@dataclass(frozen=True)
class Explained:
    available: Decimal
    held: Decimal
    unknown: tuple[Reason, ...] = ()
    """Transactions in a state the profile does not name: their effect is not assumed."""


def explain(available: Decimal, held: Decimal, deposits: Iterable[Moved], withdrawals: Iterable[Moved],
            profile: Profile) -> Explained:
    completed = profile.state("deposit_completed")
    deposit_other = {*profile.states("deposit_failed"), *_optional(profile, "deposit_pending")}
    holding = {profile.state(k) for k in ("withdraw_requested", "withdraw_approved", "withdraw_payout_pending",
                                          "withdraw_payout_failed")}
    paid = profile.state("withdraw_paid")
    released = set(profile.states("withdraw_failed")) - holding
    unknown: list[Reason] = []
    for d in deposits:
        if d.state == completed:
            available += d.amount
        elif d.state not in deposit_other:
            unknown.append(Reason.of(N_("deposit %(tx)s in state %(state)s"), tx=d.tx_id, state=repr(d.state)))
    for w in withdrawals:
        if w.state in holding:
            available, held = available - w.amount, held + w.amount
        elif w.state == paid:
            available -= w.amount
        elif w.state not in released:
            unknown.append(Reason.of(N_("withdrawal %(tx)s in state %(state)s"), tx=w.tx_id, state=repr(w.state)))
    return Explained(available, held, tuple(unknown))


def _optional(profile: Profile, key: str) -> tuple[str, ...]:
    try:
        return profile.states(key)
    except ProfileError:  # a profile without the key names no such state
        return ()
