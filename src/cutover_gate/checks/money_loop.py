"""The canary money loop (T-0, checklist section 4): its writes, declared once, and its judgement as plain functions.

The loop deposits, replays the deposit, requests a withdrawal, has the admin approve it and pay it out (flows.payout:
mark-paid, or the payout call when it settles in its answer) and replays the settlement. steps/canary.py makes the
writes and reads the balances; what the balances and states must be, and what a difference means (the message, the
rollback-matrix row it triggers), is decided here from the values alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from cutover_gate.checks.canary import Balance
from cutover_gate.checks.declared import Write
from cutover_gate.config.cutover_file import CanaryFile
from cutover_gate.config.target_profile import Profile
from cutover_gate.core.catalogue import ROW_LEDGER_INVARIANT_BREACH

MONEY_CALL = "a 404/5xx or no answer is the rollback matrix's payout/withdraw row"
DEPOSIT = Write("{deposit}", "the canary's deposit", "deposit", guard="amount cap")
DEPOSIT_REPLAY = Write("{deposit}", "the same deposit replayed with its idempotency key (must credit nothing)",
                       "deposit", guard="amount cap")
WITHDRAW = Write("withdraw", "the canary's withdrawal request", "withdraw", guard=MONEY_CALL)
APPROVE = Write("withdrawal_review", "the admin approves it", guard=MONEY_CALL)
MARK_PAID = Write("{settle}", "the admin marks it paid", guard=MONEY_CALL)
PAYOUT = Write("{settle}", "the payout call settles it (flows.payout = sync)", guard=MONEY_CALL)
SETTLE_REPLAY = Write("{settle}", "replayed (must move nothing)")


def settle_write(profile: Profile) -> Write:
    """The write that takes the approved withdrawal to paid: mark-paid, or the payout call (flows.payout = sync)."""
    return MARK_PAID if profile.settle_call() == "withdrawal_mark_paid" else PAYOUT


def loop_writes(profile: Profile) -> tuple[Write, ...]:
    """The loop's writes in the order its steps make them."""
    return DEPOSIT, DEPOSIT_REPLAY, WITHDRAW, APPROVE, settle_write(profile), SETTLE_REPLAY


@dataclass(frozen=True)
class Breach:
    """What a check found wrong: the line's message and, when it is one, the rollback-matrix row it triggers."""

    message: str
    row: str = ""
    why: str = ""
    """The trigger's own message."""


def fmt(value: Decimal) -> str:
    return f"{value:.2f}"


def amounts_refused(cfg: CanaryFile) -> str | None:
    """The cutover file's amounts against its cap: a cutover refuses to move more than the cap."""
    for name, amount in (("deposit", cfg.deposit_amount), ("withdraw", cfg.withdraw_amount)):
        if amount > cfg.max_amount:
            return (f"canary {name} amount {amount} exceeds the hard cap {cfg.max_amount}; a cutover refuses to move "
                    "more than the cap")
    if cfg.withdraw_amount > cfg.deposit_amount:
        return f"canary withdraw {cfg.withdraw_amount} exceeds the deposit {cfg.deposit_amount}"
    return None


def deposit_answer_wrong(completion: str, method: str, answered: str | None, done: str) -> str | None:
    """The state the deposit answered, against how its method completes (flows.deposit): in its answer when sync,
    never at once when a webhook completes it."""
    if completion == "sync":
        if answered != done:
            return f"a '{method}' deposit completes in its answer (flows.deposit), but it answered '{answered}'"
    elif completion == "webhook" and answered == done:
        return f"a '{method}' deposit answered '{done}' at once, before any PSP webhook could arrive"
    return None


def after_deposit(start: Balance, deposit: Decimal) -> Balance:
    return Balance(start.available + deposit, start.held)


def after_withdraw(start: Balance, deposit: Decimal, withdraw: Decimal) -> Balance:
    return Balance(start.available + deposit - withdraw, start.held + withdraw)


def settled(start: Balance, deposit: Decimal, withdraw: Decimal) -> Balance:
    return Balance(start.available + deposit - withdraw, start.held)


def deposit_credited(start: Balance, deposit: Decimal, seen: Balance) -> Breach | None:
    """The balances after the deposit: available up by exactly the deposit, held unchanged; more credited than
    deposited is a ledger breach."""
    expected = after_deposit(start, deposit)
    if seen == expected:
        return None
    message = (f"after the deposit available is {fmt(seen.available)} (expected {fmt(expected.available)}) and held "
               f"{fmt(seen.held)} (expected {fmt(start.held)})")
    if seen.available > expected.available:
        return Breach(message, ROW_LEDGER_INVARIANT_BREACH,
                      f"deposit credited {seen.available - start.available} for a deposit of {deposit}")
    return Breach(message)


def deposit_replayed(same_tx: bool, before: Balance, after: Balance) -> Breach | None:
    """The deposit replayed with its key: the same transaction, nothing credited."""
    if not same_tx:
        return Breach("the deposit replay created another transaction instead of returning the first")
    if after.available != before.available:
        return Breach(f"the deposit replay credited the wallet again: available {fmt(before.available)} -> "
                      f"{fmt(after.available)}", ROW_LEDGER_INVARIANT_BREACH,
                      f"deposit replay credited {after.available - before.available}")
    return None


def state_wrong(answered: str, expected: str) -> str | None:
    """The state the withdrawal request answered."""
    return None if answered == expected else f"the withdrawal is '{answered}', expected '{expected}'"


def shown_state_wrong(what: str, shown: str, expected: str) -> str | None:
    """The platform's own view of the withdrawal after an admin action (`what`)."""
    if shown == expected:
        return None
    return f"after {what} the platform reports the withdrawal '{shown}', expected '{expected}'"


def _exactly(when: str, trigger_when: str, expected: Balance, seen: Balance) -> Breach | None:
    """`seen` is `expected` to the cent, or a ledger invariant breach saying `when` it was not."""
    if seen == expected:
        return None
    return Breach(f"after {when} available is {fmt(seen.available)} (expected {fmt(expected.available)}) and "
                  f"held {fmt(seen.held)} (expected {fmt(expected.held)})", ROW_LEDGER_INVARIANT_BREACH,
                  f"after {trigger_when} available {fmt(seen.available)}/held {fmt(seen.held)}, expected "
                  f"{fmt(expected.available)}/{fmt(expected.held)}")


def withdrawal_held(start: Balance, deposit: Decimal, withdraw: Decimal, seen: Balance) -> Breach | None:
    """The balances after the withdrawal request: the amount moved from available to held, exactly."""
    return _exactly("the withdraw request", "withdraw request", after_withdraw(start, deposit, withdraw), seen)


def settlement_exact(start: Balance, deposit: Decimal, withdraw: Decimal, seen: Balance) -> Breach | None:
    """The balances once paid: held back to its start, available start + deposit - withdrawal."""
    return _exactly("settlement", "settlement", settled(start, deposit, withdraw), seen)


def wallet_rows_wrong(count: int) -> str | None:
    return None if count == 1 else f"the database holds {count} wallet rows for the canary player, expected 1"


def views_agree(views: Mapping[str, Balance]) -> Breach | None:
    """The player's, the admin's and the database's view of the balances: one and the same."""
    if len({(b.available, b.held) for b in views.values()}) <= 1:
        return None
    shown = ", ".join(f"{k} {fmt(b.available)}/{fmt(b.held)}" for k, b in views.items())
    return Breach(f"available/held disagree between views: {shown}", ROW_LEDGER_INVARIANT_BREACH,
                  f"balances disagree: {shown}")


def settle_replay_answer(call: str, status: int) -> str | None:
    """The settlement replayed with its key: answered as idempotent (200) or a conflict (409)."""
    return None if status in (200, 409) else f"the {call} replay answered {status}, expected 200 (idempotent) or 409"


def settle_replay_moved(before: Balance, after: Balance) -> Breach | None:
    """The settlement's replay moves nothing."""
    if after != before:
        return Breach(f"mark-paid replay moved money: {fmt(before.available)}/{fmt(before.held)} -> "
                      f"{fmt(after.available)}/{fmt(after.held)}", ROW_LEDGER_INVARIANT_BREACH,
                      "mark-paid replay moved money")
    return None
