"""The war room's messages, built without pytest plumbing: the runbook's wording in English and Turkish, the failing
lines and the rollback's reason, the cadence rule and the record of what was posted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cutover_gate.config.cutover_file import CommsFile, load_cutover
from cutover_gate.core.catalogue import lines_of
from cutover_gate.core.clock import iso
from cutover_gate.core.errors import UsageError
from cutover_gate.core.redact import MASK, REDACTOR
from cutover_gate.decide.rules import Verdict
from cutover_gate.evidence.model import LineResult, Result, TriggerObservation
from cutover_gate.reports import comms_messages as msg

T0 = datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)
AT = iso(T0)
SEED = "Zk7commsSEEDvalue93"
REDACTOR.register(SEED)
CADENCE = msg.Cadence()


def passed(phase: str) -> dict[str, LineResult]:
    return {line.id: LineResult(line.id, Result.PASS, at=AT) for line in lines_of(phase) if line.mandatory}


def router_missing() -> tuple[dict[str, LineResult], list[TriggerObservation]]:
    results = passed("t15")
    results["t15_payouts_router"] = LineResult("t15_payouts_router", Result.FAIL, at=AT,
                                               message=f"OPTIONS answered 404 token={SEED}")
    trigger = TriggerObservation.observe("payout_withdraw_http_error", "IMMEDIATE_ROLLBACK",
                                         "payouts router probe answered 404", "t15_payouts_router", at=T0)
    return results, [trigger]


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "Cutover started. Maintenance window active. Updates every 15 minutes."),
    ("tr", "Cutover başlatıldı. Bakım penceresi aktif. Her 15 dakikada bir güncelleme."),
])
def test_the_cutover_start_is_the_runbooks_sentence(lang: str, expected: str) -> None:
    assert msg.start_message(lang, CADENCE, AT).text == expected
    assert "Updates every 10 minutes." in msg.start_message("en", msg.Cadence(update_every_minutes=10), AT).text


@pytest.mark.parametrize("lang", ["en", "tr"])
def test_checkpoints_are_named_as_the_runbook_names_them(lang: str) -> None:
    for phase, name in (("t60", "Pre-flight"), ("t30", "Backup"), ("t15", "Deploy+Smoke"), ("t0", "Canary")):
        message = msg.checkpoint_message(lang, phase, passed(phase), AT)
        assert message.text == f"{name} PASS" and message.details == [] and message.level == "success"


def test_a_failing_checkpoint_names_its_failing_lines_redacted() -> None:
    results, _ = router_missing()
    for lang, title in (("en", "Payouts router reachable"), ("tr", "Payouts router erişilebilir")):
        message = msg.checkpoint_message(lang, "t15", results, AT)
        assert message.text == "Deploy+Smoke FAIL" and message.level == "failure"
        assert message.details == [f"t15_payouts_router FAIL — {title}: OPTIONS answered 404 token={MASK}"]
        assert SEED not in message.body and message.body.startswith("Deploy+Smoke FAIL\n- t15_payouts_router FAIL")


def test_a_checkpoint_not_run_says_which_lines_and_why() -> None:
    results = {"t60_release_pinned": LineResult("t60_release_pinned", Result.PASS, at=AT)}
    message = msg.checkpoint_message("tr", "t60", results, AT)
    assert message.text == "Pre-flight ÇALIŞTIRILMADI" and message.level == "warning"
    assert any(d.startswith("t60_owners_assigned ÇALIŞTIRILMADI — Sorumlular atandı") for d in message.details)
    assert not any("t60_release_pinned" in d for d in message.details)


@pytest.mark.parametrize(("lang", "head", "tail", "trigger"), [
    ("en", "Rollback triggered. Reason: ", ". Restore in progress.", "trigger payout_withdraw_http_error"),
    ("tr", "Rollback tetiklendi. Sebep: ", ". Geri yükleme devam ediyor.", "tetikleyici payout_withdraw_http_error"),
])
def test_the_rollback_names_its_reason(lang: str, head: str, tail: str, trigger: str) -> None:
    results, triggers = router_missing()
    message = msg.rollback_message(lang, results, triggers, AT)
    assert message.text.startswith(head) and message.text.endswith(tail), message.text
    assert "t15_payouts_router FAIL (Payouts router" in message.text and trigger in message.text
    assert message.key == "rollback:t15_payouts_router,payout_withdraw_http_error" and message.level == "failure"
    assert any("IMMEDIATE_ROLLBACK: payouts router probe answered 404" in d for d in message.details)
    assert SEED not in message.body


def test_a_long_reason_is_capped() -> None:
    results = {line.id: LineResult(line.id, Result.FAIL, at=AT, message="x") for phase in ("t60", "t30")
               for line in lines_of(phase)}
    message = msg.rollback_message("en", results, [], AT)
    assert "… and " in message.text and len(message.details) == msg.DETAILS_MAX + 1


def test_go_live_and_hold() -> None:
    assert msg.go_live_message("en", AT).text == "GO decision made. System is live. Hypercare started."
    assert msg.go_live_message("tr", AT).text == "GO kararı verildi. Sistem canlı. Hypercare başladı."
    hold = msg.hold_message("en", {"t60": "PASS", "t30": "NOT_RUN", "t15": "PASS", "t0": "NOT_RUN"}, None, CADENCE, AT)
    assert hold.text == ("Cutover on hold: no GO/NO-GO decision yet. Not yet PASS: Backup NOT RUN, Canary NOT RUN. "
                         "Release SHA not pinned. Next update in 15 minutes.")


def test_a_hypercare_round_summary() -> None:
    watch = LineResult("hc_first_6h_watch", Result.PASS, at=AT, evidence={"round": {
        "error_rate": 0.0012, "p95_s": 0.08, "backlog": 0, "stuck": 0, "payout_failure_rate": None}})
    spike = TriggerObservation.observe("latency_spike", "MONITOR", "p95 1.4 s", "hc_first_6h_watch", at=T0)
    message = msg.hypercare_message("en", {"hc_first_6h_watch": watch}, [spike], 1.25, 30, AT)
    assert message.text == "Hypercare update (T+1.2 h): MONITOR. Next update in 30 minutes."
    assert any(d.startswith("trigger latency_spike (Latency spike (no errors)) -> MONITOR") for d in message.details)
    assert "round: 5xx rate 0.12%, p95 0.080 s" in message.details[-1]
    tr = msg.hypercare_message("tr", {"hc_first_6h_watch": watch}, [], None, 60, AT)
    assert tr.text == "Hypercare güncellemesi: OK. Sonraki güncelleme 60 dakika içinde." and "%0.12" in tr.body
    failing = LineResult("hc_first_6h_watch", Result.FAIL, at=AT, message="5xx rate 9%")
    assert msg.hypercare_message("en", {"hc_first_6h_watch": failing}, [], 3, 60, AT).key.startswith("hypercare:ACTION")


def test_the_cadence_window_follows_the_runbook() -> None:
    live = T0
    assert CADENCE.window_minutes(None, T0) == 15
    assert CADENCE.window_minutes(live, live + timedelta(minutes=90)) == 30
    assert CADENCE.window_minutes(live, live + timedelta(hours=3)) == 60
    own = msg.Cadence.of(CommsFile(update_every_minutes=10, first_hours=1, first_hours_every_minutes=20))
    assert own.window_minutes(live, live + timedelta(minutes=30)) == 20 and own.update_every_minutes == 10


def test_an_update_is_posted_when_due_or_changed_never_twice_in_its_window() -> None:
    assert msg.update_due({}, "k", T0, 30) == (True, {})
    state = {"update": {"key": "k", "at": AT}, "last_post_at": AT}
    due, when = msg.update_due(state, "k", T0 + timedelta(minutes=10), 30)
    assert not due and when == {"last": AT, "next": iso(T0 + timedelta(minutes=30)), "minutes": "30"}
    assert msg.update_due(state, "changed", T0 + timedelta(minutes=10), 30)[0]
    assert msg.update_due(state, "k", T0 + timedelta(minutes=30), 30)[0]


def test_the_start_and_the_decision_are_announced_once() -> None:
    assert msg.start_due({}, "t15") and msg.start_due({"started_at": AT}, "t60")
    assert not msg.start_due({"started_at": AT}, "t15") and not msg.start_due({}, "hypercare")
    state: dict[str, object] = {}
    go = msg.go_live_message("en", AT)
    msg.record(state, go)
    assert state == {}  # nothing was sent: nothing is on record
    go.deliveries = [msg.Delivery("json://…", "sent")]
    msg.record(state, go)
    assert state == {"last_post_at": AT, "decision": {"key": "go_live", "at": AT}}
    assert msg.announced(state, "go_live") == {"at": AT} and msg.announced(state, "rollback:x") is None
    assert msg.live_since(Verdict.GO, {}, state) == T0


def test_the_state_is_kept_per_release(tmp_path: Path) -> None:
    msg.save_state(tmp_path, "sha-a", {"started_at": AT})
    msg.save_state(tmp_path, None, {"last_post_at": AT})
    assert msg.load_state(tmp_path, "sha-a") == {"started_at": AT}
    assert msg.load_state(tmp_path, None) == {"last_post_at": AT} and msg.load_state(tmp_path, "other") == {}
    (tmp_path / msg.STATE_FILE).write_text("not json", encoding="utf-8")
    assert msg.load_state(tmp_path, "sha-a") == {}


def test_the_comms_section_of_the_cutover_file(tmp_path: Path) -> None:
    path = tmp_path / "cutover.toml"
    path.write_text("[comms]\nupdate_every_minutes = 10\npost_timeout_s = 2\n", encoding="utf-8")
    comms = load_cutover(path).comms
    assert (comms.update_every_minutes, comms.post_timeout_s, comms.first_hours_every_minutes) == (10, 2, 30)
    path.write_text("[comms]\npost_timeout_s = 0\nevery = 3\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        load_cutover(path)
    assert "comms.post_timeout_s: input should be greater than 0" in str(info.value)
    assert "comms.every: unknown key" in str(info.value)
