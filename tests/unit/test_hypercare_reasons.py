"""The hypercare descriptions a finding, a failure or a completion criterion embeds are catalogue records whose
English is what the evidence and the record have always said; a watch round keeps its failures' records beside their
English, and an older round without them reads and writes back as before."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from cutover_gate.checks.backup import restore_procedure_reachable
from cutover_gate.checks.canary import Balance
from cutover_gate.checks.hypercare import judge, rounds, signals
from cutover_gate.checks.hypercare import prometheus as prom
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.finance import Listing, QueueView
from cutover_gate.checks.hypercare.interval import BASELINE, Interval
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Kind, Reason

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def spoken(reason: Reason) -> bool:
    """Words of the catalogue all the way down: no text shown as given where a message of ours belongs."""
    return reason.kind is not Kind.VERBATIM


def test_descriptions_are_records_saying_the_same_english() -> None:
    restart = Interval(NOW - timedelta(minutes=20), NOW, BASELINE, {("/a", "2xx"): 5.0}, {math.inf: 5.0},
                       "the process start time changed")
    assert restart.described().text() == restart.describe() == (
        "since the T-0 baseline at 2026-03-01T11:40:00Z (20 min); counters reset inside it (the process start time "
        "changed): the platform restarted, only what it served since the restart is counted")
    rate = signals.PayoutRate(3, 7, 150, 5)
    assert rate.described().text() == rate.describe() == "30.0% (3 failed of 10 payouts in the last 2.5 h)"
    assert spoken(rate.described())
    few = signals.PayoutRate(0, 2, 30, 5)
    assert few.described().text() == few.describe() == "no data: 2 payout outcome(s) in the last 30 min, fewer than " \
                                                       "the 5 needed"
    listing = Listing(7, [signals.QueueItem(f"tx{i}", "requested", 95.2) for i in range(6)])
    assert listing.described().text() == listing.describe() == ", ".join(
        f"tx{i} requested for 95 min" for i in range(5)) + " and 2 more"
    assert Listing().described().text() == Listing().describe() == ""


def test_a_queued_note_is_a_record_and_the_round_keeps_it_beside_its_english() -> None:
    view = QueueView("api", complete=False)
    view.say(Reason.of(N_("read %(read)s withdrawals through the admin API: every page of the watched states"),
                       read=4))
    assert view.note == "read 4 withdrawals through the admin API: every page of the watched states"
    assert view.to_json()["note"] == view.note and Reason.from_json(view.to_json()["note_reason"]) == view.noted
    found = judge.evaluate(judge.Observation(at=NOW, queue=view), HypercareConfig.from_mapping({}))
    (signal,) = [f for f in found if f.check == "signals"]
    assert signal.message == f"withdrawals {view.note}" and signal.reason.params["note"] == view.noted
    assert "note_reason" not in QueueView("sql", note="given").to_json()


def test_a_round_keeps_its_failures_records_and_stability_says_them() -> None:
    cause = Reason.of(N_("payout failure rate %(rate)s is over %(max)s"), rate="50.0%", max="15%")
    findings = [judge.Finding("payout_failure_rate", judge.FAIL, cause, "payout_failure_rate")]
    summary = judge.round_summary(judge.Observation(at=NOW), findings)
    data = summary.to_json()
    assert list(data)[-1] == "failure_reasons" and data["failures"] == [cause.text()]
    back = rounds.WatchRound.from_json(json.loads(json.dumps(data)))
    assert json.dumps(back.to_json()) == json.dumps(data) and back.failure_causes() == [cause]
    stable = rounds.stability([back])
    assert stable.verdict is rounds.Steadiness.FAIL and cause.text() in stable.message
    assert stable.reason.params["why"][0] == cause  # type: ignore[index]
    clean = judge.round_summary(judge.Observation(at=NOW), [])
    assert "failure_reasons" not in clean.to_json()


def test_a_failure_the_record_cut_short_or_an_older_round_is_quoted_as_kept() -> None:
    old = {"at": "2026-03-01T10:00:00Z", "ok": False, "failures": ["5xx rate 9.0% over 2.0%"], "triggers": []}
    assert rounds.WatchRound.from_json(old).failure_causes() == [Reason.verbatim("5xx rate 9.0% over 2.0%")]
    assert json.dumps(rounds.WatchRound.from_json(old).to_json()) == json.dumps(old)
    long = Reason.of(N_("%(server)s %(path)s"), server="Prometheus", path="x" * 300)
    cut = {**old, "failures": ["x" * 200], "failure_reasons": [long.to_json()]}
    assert rounds.WatchRound.from_json(cut).failure_causes() == [Reason.verbatim("x" * 200)]
    garbled = {**old, "failure_reasons": [{"params": 3}]}
    assert rounds.WatchRound.from_json(garbled).failure_causes() == [Reason.verbatim("5xx rate 9.0% over 2.0%")]


def test_the_first_hours_window_is_a_record() -> None:
    window = rounds.first_hours([], NOW - timedelta(hours=3))
    assert window.holds is None and spoken(window.reason)
    assert window.message == "no watch round yet covers the first 2 h after T-0 (2026-03-01T09:00:00Z)"
    assert rounds.first_hours([], None).message == "no T-0 time on record: the first hours cannot be placed"


def test_prometheus_errors_carry_their_record() -> None:
    err = prom.PromError(Reason.of(N_("%(var)s is not set: no Prometheus server to ask"), var=prom.URL_ENV))
    assert str(err) == "CUTOVER_PROMETHEUS_URL is not set: no Prometheus server to ask" and spoken(err.reason)
    given = prom.Unreachable("Prometheus /api/v1/query: connection refused")
    assert given.reason == Reason.verbatim(str(given))
    deadline = prom.Deadline(0.0)
    try:
        deadline.timeout(Reason.of(N_("%(server)s %(path)s"), server="Prometheus", path="/api/v1/rules"))
    except prom.Unreachable as exc:
        assert str(exc) == "Prometheus /api/v1/rules: the deadline of 0 s passed" and spoken(exc.reason)
    else:
        raise AssertionError("a spent deadline must raise")


def test_a_balance_change_is_a_record_saying_the_same_english() -> None:
    before, after = Balance(Decimal("4.00"), Decimal("1.00")), Balance(Decimal("5.00"), Decimal("0.50"))
    moved = before.moved_to(after)
    assert moved is not None and moved.text() == before.change_to(after) == \
        "available +1.00 (4.00 -> 5.00), held -0.50 (1.00 -> 0.50)"
    assert before.moved_to(before) is None and before.change_to(before) == ""
    only = before.moved_to(Balance(Decimal("4.00"), Decimal("2.00")))
    assert only is not None and only.text() == "held +1.00 (1.00 -> 2.00)"


def test_the_restore_procedure_finding_is_a_record(tmp_path: Path) -> None:
    finding = restore_procedure_reachable("missing.md", tmp_path)
    assert finding.message == f"restore procedure {tmp_path / 'missing.md'} is missing or unreadable"
    assert finding.cause.text() == finding.message and spoken(finding.cause)
    (tmp_path / "r.md").write_text("# restore\n", encoding="utf-8")
    assert restore_procedure_reachable("r.md", tmp_path).cause.text() == f"restore procedure {tmp_path / 'r.md'} " \
                                                                          "is readable"
