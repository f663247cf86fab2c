"""The money loop's judgement (checks/money_loop.py) from values alone, and the writes declared once for the steps
and the plan (checks/declared.py): plain functions, plain asserts."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

from cutover_gate.checks import kit, money_loop, sessions
from cutover_gate.checks.canary import Balance
from cutover_gate.checks.declared import Amounts, Write
from cutover_gate.checks.money_loop import Breach
from cutover_gate.config.cutover_file import CanaryFile
from cutover_gate.config.target_profile import load_profile
from cutover_gate.core.catalogue import ROW_LEDGER_INVARIANT_BREACH
from cutover_gate.core.reasons import Reason

ROOT = Path(__file__).resolve().parents[2]
D = Decimal
START = Balance(D("2.00"), D("1.00"))


def said(found: Breach | Reason | None) -> tuple[str, str, str] | str | None:
    """A finding in English: a breach's (message, row, trigger message), a reason's sentence."""
    if isinstance(found, Breach):
        return found.message.text(), found.row, found.why.text() if found.why is not None else ""
    return found.text() if found is not None else None


def test_the_deposit_must_credit_exactly_its_amount() -> None:
    assert money_loop.deposit_credited(START, D("10"), Balance(D("12.00"), D("1"))) is None
    short = money_loop.deposit_credited(START, D("10"), Balance(D("11.00"), D("1.00")))
    assert said(short) == ("after the deposit available is 11.00 (expected 12.00) and held 1.00 (expected 1.00)", "",
                           "")
    more = money_loop.deposit_credited(START, D("10"), Balance(D("22.00"), D("1.00")))
    assert more is not None and more.row == ROW_LEDGER_INVARIANT_BREACH
    assert more.why is not None and more.why.text() == "deposit credited 20.00 for a deposit of 10"


def test_the_withdrawal_moves_its_amount_from_available_to_held() -> None:
    assert money_loop.after_withdraw(START, D("10"), D("5")) == Balance(D("7"), D("6"))
    assert money_loop.withdrawal_held(START, D("10"), D("5"), Balance(D("7.00"), D("6.00"))) is None
    wrong = money_loop.withdrawal_held(START, D("10"), D("5"), Balance(D("7.00"), D("1.00")))
    assert said(wrong) == ("after the withdraw request available is 7.00 (expected 7.00) and held 1.00 (expected 6.00)",
                           ROW_LEDGER_INVARIANT_BREACH,
                           "after withdraw request available 7.00/held 1.00, expected 7.00/6.00")


def test_settlement_brings_held_back_and_keeps_start_plus_deposit_minus_withdrawal() -> None:
    assert money_loop.settled(START, D("10"), D("5")) == Balance(D("7"), D("1"))
    assert money_loop.settlement_exact(START, D("10"), D("5"), Balance(D("7"), D("1.00"))) is None
    wrong = money_loop.settlement_exact(START, D("10"), D("5"), Balance(D("7"), D("6")))
    assert wrong is not None and wrong.row == ROW_LEDGER_INVARIANT_BREACH
    assert wrong.message.text() == "after settlement available is 7.00 (expected 7.00) and held 6.00 (expected 1.00)"


def test_replays_must_move_nothing() -> None:
    assert money_loop.deposit_replayed(True, START, START) is None
    assert said(money_loop.deposit_replayed(False, START, START)) == (
        "the deposit replay created another transaction instead of returning the first", "", "")
    again = money_loop.deposit_replayed(True, START, Balance(D("12.00"), D("1.00")))
    assert said(again) == ("the deposit replay credited the wallet again: available 2.00 -> 12.00",
                           ROW_LEDGER_INVARIANT_BREACH, "deposit replay credited 10.00")
    assert money_loop.settle_replay_answer("withdrawal_mark_paid", 409) is None
    assert said(money_loop.settle_replay_answer("withdrawal_payout", 500)) == (
        "the withdrawal_payout replay answered 500, expected 200 (idempotent) or 409")
    moved = money_loop.settle_replay_moved(START, Balance(D("1.00"), D("1.00")))
    assert said(moved) == ("mark-paid replay moved money: 2.00/1.00 -> 1.00/1.00", ROW_LEDGER_INVARIANT_BREACH,
                           "mark-paid replay moved money")


def test_the_views_must_agree_and_states_be_the_expected_ones() -> None:
    same = {"player API": START, "admin API": Balance(D("2"), D("1")), "database": START}
    assert money_loop.views_agree(same) is None
    apart = money_loop.views_agree({**same, "database": Balance(D("3"), D("1"))})
    assert apart is not None and apart.message.text() == (
        "available/held disagree between views: player API 2.00/1.00, admin API 2.00/1.00, database 3.00/1.00")
    assert money_loop.wallet_rows_wrong(1) is None
    assert said(money_loop.wallet_rows_wrong(2)) == (
        "the database holds 2 wallet rows for the canary player, expected 1")
    assert money_loop.state_wrong("pending", "pending") is None
    assert said(money_loop.shown_state_wrong("approve", "pending", "approved")) == (
        "after approve the platform reports the withdrawal 'pending', expected 'approved'")


def test_the_deposit_answer_follows_how_its_method_completes() -> None:
    assert money_loop.deposit_answer_wrong("sync", "card", "completed", "completed") is None
    assert said(money_loop.deposit_answer_wrong("sync", "card", "pending", "completed")) == (
        "a 'card' deposit completes in its answer (flows.deposit), but it answered 'pending'")
    assert said(money_loop.deposit_answer_wrong("webhook", "adyen", "completed", "completed")) == (
        "a 'adyen' deposit answered 'completed' at once, before any PSP webhook could arrive")
    assert money_loop.deposit_answer_wrong("poll", "bank", "completed", "completed") is None


def test_the_canary_amounts_stay_under_the_cap() -> None:
    assert money_loop.amounts_refused(CanaryFile(deposit_amount=D("10"), withdraw_amount=D("5"),
                                                 max_amount=D("20"))) is None
    assert said(money_loop.amounts_refused(CanaryFile(deposit_amount=D("30"), withdraw_amount=D("5"),
                                                      max_amount=D("20")))) == (
        "canary deposit amount 30 exceeds the hard cap 20; a cutover refuses to move more than the cap")
    assert said(money_loop.amounts_refused(CanaryFile(deposit_amount=D("4"), withdraw_amount=D("5"),
                                                      max_amount=D("20")))) == "canary withdraw 5 exceeds the deposit 4"


def test_a_declaration_fills_its_slots_from_the_profile() -> None:
    profile = load_profile(ROOT / "fixtures" / "profiles" / "casino.toml")
    assert money_loop.settle_write(profile) is money_loop.PAYOUT  # flows.payout = sync there
    assert money_loop.settle_write(load_profile(None)) is money_loop.MARK_PAID
    assert money_loop.DEPOSIT.call_of(profile, method="adyen") == profile.deposit_call("adyen")
    assert kit.ALTERNATE_APPROVE.call_of(profile, review="r", paid="p") == "r"
    amounts = Amounts(deposit=D("10"), withdraw=D("5"), kit=D("1"), cap=D("3"))
    assert (amounts["kit"], amounts["funding"], amounts["conflict"], amounts["withdraw"]) == (
        D("1"), D("3"), D("1.01"), D("5"))


def declared_writes() -> dict[str, Write]:
    return {name: value for module in (sessions, money_loop, kit) for name, value in vars(module).items()
            if isinstance(value, Write)}


def test_every_declared_write_is_made_through_its_declaration() -> None:
    """A write the plan lists that no step sends, or a step that writes past its declaration, is drift."""
    used: set[str] = set()
    sources = [*(ROOT / "steps").glob("*.py"), ROOT / "src" / "cutover_gate" / "checks" / "canary.py"]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                used.add(node.attr)
            elif isinstance(node, ast.Name | ast.alias):
                used.add(node.id if isinstance(node, ast.Name) else node.name)
    reached = {name for name, write in declared_writes().items() if name in used
               or ("HELD_PAYOUT_WRITES" in used and write in kit.HELD_PAYOUT_WRITES)
               or ("settle_write" in used and write in (money_loop.MARK_PAID, money_loop.PAYOUT))}
    assert set(declared_writes()) - reached == set()
