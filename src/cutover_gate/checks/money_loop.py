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
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason

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

    message: Reason
    row: str = ""
    why: Reason | None = None
    """The trigger's own message."""


def fmt(value: Decimal) -> str:
    return f"{value:.2f}"


def amounts_refused(cfg: CanaryFile) -> Reason | None:
    """The cutover file's amounts against its cap: a cutover refuses to move more than the cap."""
    for name, amount in (("deposit", cfg.deposit_amount), ("withdraw", cfg.withdraw_amount)):
        if amount > cfg.max_amount:
            return Reason.of(N_("canary %(name)s amount %(amount)s exceeds the hard cap %(cap)s; a cutover refuses to "
                                "move more than the cap"), name=name, amount=amount, cap=cfg.max_amount)
    if cfg.withdraw_amount > cfg.deposit_amount:
        return Reason.of(N_("canary withdraw %(withdraw)s exceeds the deposit %(deposit)s"),
                         withdraw=cfg.withdraw_amount, deposit=cfg.deposit_amount)
    return None


def deposit_answer_wrong(completion: str, method: str, answered: str | None, done: str) -> Reason | None:
    """The state the deposit answered, against how its method completes (flows.deposit): in its answer when sync,
    never at once when a webhook completes it."""
    if completion == "sync":
        if answered != done:
            return Reason.of(N_("a '%(method)s' deposit completes in its answer (flows.deposit), but it answered "
                                "'%(answered)s'"), method=method, answered=answered)
    elif completion == "webhook" and answered == done:
        return deposit_at_once(method, done)
    return None


def deposit_at_once(method: str, done: str) -> Reason:
    """A deposit a PSP webhook completes that answered completed at once."""
    return Reason.of(N_("a '%(method)s' deposit answered '%(done)s' at once, before any PSP webhook could arrive"),
                     method=method, done=done)


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
    message = Reason.of(N_("after the deposit available is %(available)s (expected %(expected_available)s) and held "
                           "%(held)s (expected %(expected_held)s)"), available=fmt(seen.available),
                        expected_available=fmt(expected.available), held=fmt(seen.held),
                        expected_held=fmt(start.held))
    if seen.available > expected.available:
        return Breach(message, ROW_LEDGER_INVARIANT_BREACH,
                      Reason.of(N_("deposit credited %(credited)s for a deposit of %(deposit)s"),
                                credited=seen.available - start.available, deposit=deposit))
    return Breach(message)


def deposit_replayed(same_tx: bool, before: Balance, after: Balance) -> Breach | None:
    """The deposit replayed with its key: the same transaction, nothing credited."""
    if not same_tx:
        return Breach(Reason.of(N_("the deposit replay created another transaction instead of returning the first")))
    if after.available != before.available:
        return Breach(Reason.of(N_("the deposit replay credited the wallet again: available %(before)s -> %(after)s"),
                                before=fmt(before.available), after=fmt(after.available)), ROW_LEDGER_INVARIANT_BREACH,
                      Reason.of(N_("deposit replay credited %(credited)s"),
                                credited=after.available - before.available))
    return None


def state_wrong(answered: str, expected: str) -> Reason | None:
    """The state the withdrawal request answered."""
    if answered == expected:
        return None
    return Reason.of(N_("the withdrawal is '%(answered)s', expected '%(expected)s'"), answered=answered,
                     expected=expected)


def shown_state_wrong(what: str | Reason, shown: str, expected: str) -> Reason | None:
    """The platform's own view of the withdrawal after an admin action (`what`)."""
    if shown == expected:
        return None
    return Reason.of(N_("after %(what)s the platform reports the withdrawal '%(shown)s', expected '%(expected)s'"),
                     what=Reason.label(what), shown=shown, expected=expected)


def _exactly(when: Reason, trigger_when: Reason, expected: Balance, seen: Balance) -> Breach | None:
    """`seen` is `expected` to the cent, or a ledger invariant breach saying `when` it was not."""
    if seen == expected:
        return None
    return Breach(Reason.of(N_("after %(when)s available is %(available)s (expected %(expected_available)s) and held "
                               "%(held)s (expected %(expected_held)s)"), when=when, available=fmt(seen.available),
                            expected_available=fmt(expected.available), held=fmt(seen.held),
                            expected_held=fmt(expected.held)), ROW_LEDGER_INVARIANT_BREACH,
                  Reason.of(N_("after %(when)s available %(available)s/held %(held)s, expected "
                               "%(expected_available)s/%(expected_held)s"), when=trigger_when,
                            available=fmt(seen.available), held=fmt(seen.held),
                            expected_available=fmt(expected.available), expected_held=fmt(expected.held)))


def withdrawal_held(start: Balance, deposit: Decimal, withdraw: Decimal, seen: Balance) -> Breach | None:
    """The balances after the withdrawal request: the amount moved from available to held, exactly."""
    return _exactly(Reason.of(N_("the withdraw request")), Reason.of(N_("withdraw request")),
                    after_withdraw(start, deposit, withdraw), seen)


def settlement_exact(start: Balance, deposit: Decimal, withdraw: Decimal, seen: Balance) -> Breach | None:
    """The balances once paid: held back to its start, available start + deposit - withdrawal."""
    return _exactly(Reason.of(N_("settlement")), Reason.of(N_("settlement")), settled(start, deposit, withdraw), seen)


def wallet_rows_wrong(count: int) -> Reason | None:
    if count == 1:
        return None
    return Reason.of(N_("the database holds %(count)s wallet rows for the canary player, expected 1"), count=count)


def views_agree(views: Mapping[str, Balance]) -> Breach | None:
    """The player's, the admin's and the database's view of the balances: one and the same."""
    if len({(b.available, b.held) for b in views.values()}) <= 1:
        return None
    shown = ", ".join(f"{k} {fmt(b.available)}/{fmt(b.held)}" for k, b in views.items())
    return Breach(Reason.of(N_("available/held disagree between views: %(shown)s"), shown=shown),
                  ROW_LEDGER_INVARIANT_BREACH, Reason.of(N_("balances disagree: %(shown)s"), shown=shown))


def settle_replay_answer(call: str, status: int) -> Reason | None:
    """The settlement replayed with its key: answered as idempotent (200) or a conflict (409)."""
    if status in (200, 409):
        return None
    return Reason.of(N_("the %(call)s replay answered %(status)s, expected 200 (idempotent) or 409"), call=call,
                     status=status)


def settle_replay_moved(before: Balance, after: Balance) -> Breach | None:
    """The settlement's replay moves nothing."""
    if after != before:
        return Breach(Reason.of(N_("mark-paid replay moved money: %(before)s -> %(after)s"),
                                before=f"{fmt(before.available)}/{fmt(before.held)}",
                                after=f"{fmt(after.available)}/{fmt(after.held)}"), ROW_LEDGER_INVARIANT_BREACH,
                      Reason.of(N_("mark-paid replay moved money")))
    return None
