"""The canary report never contradicts itself: "Where the money is" only for a money loop that stopped before
settlement, a withdrawal in a terminal state never called open, and the canary's own result (Canary: PASS/FAIL)
told apart from the run's decision, with the reason when they differ. Every assertion holds in English and Turkish."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cutover_gate.config.target_profile import Profile, load_profile
from cutover_gate.evidence.model import LineResult, Result, TriggerObservation
from cutover_gate.reports import render
from tests.unit.test_render import T0, at, context, mandatory_ids, passed

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("en", "tr")

# the report's own words, per language
MONEY_HEADING = {"en": "Where the money is", "tr": "Para Nerede"}
STOPPED = {"en": "The loop stopped part-way", "tr": "Döngü yarıda kaldı"}
OPEN = {"en": "Open withdrawal", "tr": "Açık withdraw"}
HELD_SENTENCE = {"en": "Its amount stays in `held`", "tr": "Tutarı ödenene veya reddedilene kadar `held` içinde kalır"}
MEANING = {
    "paid": {"en": "paid out: the amount left the canary's wallet.", "tr": "ödendi: tutar canary cüzdanından çıktı."},
    "released": {"en": "rejected or canceled: the hold was released",
                 "tr": "reddedildi veya iptal edildi: hold serbest"},
    "payout_failed": {"en": "the hold stays until the payout is retried or the withdrawal is rejected",
                      "tr": "hold, payout yeniden denenene veya withdraw reddedilene kadar sürer"},
}


def canary_report(results: dict[str, LineResult], lang: str, triggers: list[TriggerObservation] | None = None,
                  profile: Profile | None = None) -> str:
    ctx = context(results, triggers, lang=lang)
    ctx.profile = profile
    return render.render_all(ctx)["canary_report.md"]


def both(results: dict[str, LineResult], triggers: list[TriggerObservation] | None = None,
         profile: Profile | None = None) -> dict[str, str]:
    return {lang: canary_report(results, lang, triggers, profile) for lang in LANGS}


def all_pass() -> dict[str, LineResult]:
    return passed(mandatory_ids("t60", "t30", "t15", "t0"))


def stopped_at_mark_paid(state: str) -> dict[str, LineResult]:
    """Withdrawal approved, mark-paid FAILed with the withdrawal last seen in `state`, settlement blocked."""
    results = all_pass()
    results["t0_mark_paid"] = LineResult("t0_mark_paid", Result.FAIL, at=at(90), message=f"state stayed {state}",
                                         evidence={"last_withdraw_state": state})
    results["t0_ledger_settlement"] = LineResult("t0_ledger_settlement", Result.FAIL, at=at(90), message="blocked")
    return results


def stopped_at_settlement(paid_state: str) -> dict[str, LineResult]:
    """Mark-paid PASS (the platform showed `paid_state`), the ledger settlement FAILed."""
    results = all_pass()
    results["t0_mark_paid"].evidence.update(paid_answer_state=paid_state, paid_state=paid_state,
                                            last_withdraw_state=paid_state)
    results["t0_ledger_settlement"] = LineResult("t0_ledger_settlement", Result.FAIL, at=at(90),
                                                 message="held is 7.25, expected 0.00")
    return results


def section(text: str, number: int) -> str:
    return text.split(f"## {number}.")[1].split("\n## ")[0]


# (a) a loop that stopped part-way ------------------------------------------------------------------------------


def test_a_loop_stopped_at_mark_paid_says_where_the_money_is_and_the_withdrawal_is_open() -> None:
    out = both(stopped_at_mark_paid("approved"))
    for lang, text in out.items():
        assert MONEY_HEADING[lang] in text, lang
        money = text.split(MONEY_HEADING[lang])[1].split("\n## ")[0]
        assert STOPPED[lang] in money, lang
        assert f"**{OPEN[lang]}:** `wd-tx-5151`" in money and "`approved`" in money, lang
        assert HELD_SENTENCE[lang] in money, lang
        assert "`available` 5.25" in money and "`held` 7.25" in money, lang
        decision = section(text, 4)
        assert "**Canary: FAIL**" in decision, lang
        assert "NO-GO" in decision, lang
        assert ("Why they differ" if lang == "en" else "Farkın sebebi") not in decision, lang  # FAIL -> NO-GO agree


# (b) a loop that passed beside a failed T-0 line ---------------------------------------------------------------


def webhook_signature_fails() -> tuple[dict[str, LineResult], list[TriggerObservation]]:
    results = all_pass()
    results["t0_webhook_signature"] = LineResult("t0_webhook_signature", Result.FAIL, at=at(95),
                                                 message="forged webhooks were not refused (payout missing -> 200)")
    trigger = TriggerObservation.observe("security_incident", "IMMEDIATE_ROLLBACK", "forged webhooks were not refused",
                                         "t0_webhook_signature", at=T0 + timedelta(minutes=95))
    return results, [trigger]


def test_a_passed_loop_beside_a_failed_webhook_line_is_canary_pass_and_says_why_the_decision_is_no_go() -> None:
    results, triggers = webhook_signature_fails()
    out = both(results, triggers)
    for lang, text in out.items():
        assert MONEY_HEADING[lang] not in text, lang
        assert STOPPED[lang] not in text, lang
        assert OPEN[lang] not in text and HELD_SENTENCE[lang] not in text, lang
        assert "Canary outcome" not in text and "Canary Sonucu" not in text, lang
        decision = section(text, 4)
        assert "**Canary: PASS**" in decision, lang
        assert ("**GO/NO-GO decision: NO-GO**" if lang == "en" else "**GO/NO-GO Kararı: NO-GO**") in decision, lang
    assert ("Canary PASS; decision NO-GO because t0_webhook_signature FAIL, trigger security_incident → "
            "IMMEDIATE_ROLLBACK.") in out["en"]
    assert ("Canary: PASS; karar NO-GO, çünkü t0_webhook_signature FAIL, tetikleyici security_incident → "
            "IMMEDIATE_ROLLBACK.") in out["tr"]


def test_a_passed_loop_with_a_go_decision_gives_no_reason() -> None:
    for lang, text in both(all_pass()).items():
        decision = section(text, 4)
        assert "**Canary: PASS**" in decision and ": GO**" in decision, lang
        assert "because" not in decision and "çünkü" not in decision, lang
        assert MONEY_HEADING[lang] not in text, lang


def test_a_passed_loop_in_a_pending_run_names_the_lines_not_run() -> None:
    results = passed(mandatory_ids("t15", "t0"))
    out = both(results)
    assert "Canary PASS; decision PENDING because not run yet: t60_release_pinned, " in out["en"]
    assert "Canary: PASS; karar BEKLEMEDE, çünkü henüz çalıştırılmadı: t60_release_pinned, " in out["tr"]
    for lang, text in out.items():
        assert MONEY_HEADING[lang] not in text and "t0_deposit" not in section(text, 4), lang  # the loop PASSed


def test_a_loop_that_did_not_run_is_canary_not_run_with_no_money_section() -> None:
    out = both(passed(mandatory_ids("t60", "t30", "t15")))
    assert "**Canary: NOT RUN**" in out["en"]
    assert "**Canary: ÇALIŞTIRILMADI**" in out["tr"]
    for lang, text in out.items():
        assert MONEY_HEADING[lang] not in text, lang


# (c) a terminal withdrawal is never open -----------------------------------------------------------------------


ALT = ROOT / "fixtures" / "profiles" / "alt.toml"
TERMINAL: list[tuple[Path | None, str, str]] = [
    (None, "rejected", "released"), (None, "canceled", "released"), (None, "payout_failed", "payout_failed"),
    (ALT, "DECLINED", "released"), (ALT, "CANCELLED", "released"), (ALT, "DISPATCH_FAILED", "payout_failed"),
]


def profile_of(path: Path | None) -> Profile:
    return load_profile(path)


def assert_not_open(out: dict[str, str], meaning: str) -> None:
    for lang, text in out.items():
        assert MONEY_HEADING[lang] in text, lang  # the loop did stop: the section is there
        money = text.split(MONEY_HEADING[lang])[1].split("\n## ")[0]
        assert OPEN[lang] not in text and HELD_SENTENCE[lang] not in text, (lang, money)
        assert "`wd-tx-5151`" in money and MEANING[meaning][lang] in money, (lang, money)


@pytest.mark.parametrize(("path", "state", "meaning"), TERMINAL, ids=lambda v: getattr(v, "stem", v))
def test_a_withdrawal_that_ended_is_never_called_open(path: Path | None, state: str, meaning: str) -> None:
    assert_not_open(both(stopped_at_mark_paid(state), profile=profile_of(path)), meaning)


@pytest.mark.parametrize(("path", "paid"), [(None, "paid"), (ALT, "SETTLED")], ids=["default", "alt"])
def test_a_paid_withdrawal_of_a_loop_that_stopped_at_settlement_says_the_money_left(path: Path | None,
                                                                                    paid: str) -> None:
    assert_not_open(both(stopped_at_settlement(paid), profile=profile_of(path)), "paid")


def test_the_paid_state_shown_after_a_passed_mark_paid_is_paid_without_the_profile() -> None:
    assert_not_open(both(stopped_at_settlement("SETTLED")), "paid")  # alt's name, no profile in the context


@pytest.mark.parametrize(("path", "state"), [(None, "payout_pending"), (ALT, "APPROVED"), (ALT, "DISPATCHED")])
def test_a_withdrawal_still_on_its_way_is_open(path: Path | None, state: str) -> None:
    for lang, text in both(stopped_at_mark_paid(state), profile=profile_of(path)).items():
        assert f"**{OPEN[lang]}:** `wd-tx-5151`" in text and HELD_SENTENCE[lang] in text, lang


def test_withdraw_outcome_uses_the_profile_keys_it_has() -> None:
    default = load_profile(None)
    data: dict[str, Any] = {**default.data, "states": {**default.data["states"], "withdraw_canceled": "voided"}}
    custom = Profile("custom", data)
    assert render.withdraw_outcome("voided", custom) == "released"
    assert render.withdraw_outcome("voided", default) is None
    assert render.withdraw_outcome("paid", default) == "paid"
    assert render.withdraw_outcome("payout_failed", default) == "payout_failed"
    assert render.withdraw_outcome(None, default) is None


# what the run left open, and how to close it ---------------------------------------------------------------------


def test_each_open_withdrawal_the_run_left_says_how_to_close_it() -> None:
    results = all_pass()
    results["t0_canary_report"] = LineResult("t0_canary_report", Result.PASS, at=at(120), evidence={"footprint": {
        "canary_player_id": "p-1", "available": "4.00", "held": "2.00", "deposits": [], "withdrawals": [],
        "webhooks": [], "open_withdrawals": [
            {"tx_id": "w-1", "state": "requested", "amount": "1.00", "by": "idempotency probe", "action": "reject"},
            {"tx_id": "w-2", "state": "payout_pending", "amount": "1.00", "by": "", "action": "await_psp"}]}})
    words = {"en": ("idempotency probe", "close it by rejecting it", "its payout waits for the PSP"),
             "tr": ("idempotency probe", "reddederek kapatın", "payout'u PSP'yi bekliyor")}
    for lang, text in both(results).items():
        left = section(text, 5)
        for phrase in words[lang]:
            assert phrase in left, (lang, phrase, left)
