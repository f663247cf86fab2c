"""Go-Live completion (runbook "Go-live completion criteria") from a release's record, and how decision.md shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cutover_gate.core.catalogue import MONEY_LOOP, smoke_lines
from cutover_gate.core.clock import iso
from cutover_gate.decide.completion import COMPLETED, CRITERIA, OPEN, completion
from cutover_gate.decide.derived import canary_report_line
from cutover_gate.decide.rules import decide
from cutover_gate.evidence.canary_keys import REPORT_FIELDS
from cutover_gate.evidence.model import LineResult, Result, TriggerObservation
from cutover_gate.reports import render
from cutover_gate.reports.context import ReportContext

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def line(lid: str, result: Result = Result.PASS, **evidence: Any) -> LineResult:
    return LineResult(lid, result, at=iso(T0), evidence=evidence)


def watch_rounds(hours: float = 26, *, spike_at: float | None = None, last: dict[str, Any] | None = None
                 ) -> list[dict[str, Any]]:
    """Rounds every 30 min from T-0 for `hours`, each judging the interval since the previous one."""
    out, start, h = [], T0, 0.5
    while h <= hours:
        at = T0 + timedelta(hours=h)
        out.append({"at": iso(at), "ok": True, "triggers": [], "backlog": 0, "stuck": 0,
                    "queue": {"source": "sql", "complete": True},
                    "interval": {"from": iso(start), "to": iso(at), "basis": "previous_round"},
                    "spike": "5xx rate 9.0% over 2.0%" if h == spike_at else None})
        start, h = at, h + 0.5
    if last:
        out[-1].update(last)
    return out


def record(*, rounds: list[dict[str, Any]] | None = None, hours_covered: float = 25.0,
           **over: LineResult) -> dict[str, LineResult]:
    results = {sub.id: line(sub.id) for sub in smoke_lines()}
    results.update({lid: line(lid, **dict.fromkeys(REPORT_FIELDS, "x")) for lid in MONEY_LOOP})
    results["t0_canary_report"] = line("t0_canary_report", metrics_baseline={"at": iso(T0), "requests": []})
    results["hc_first_6h_watch"] = line("hc_first_6h_watch", rounds=watch_rounds() if rounds is None else rounds)
    results["hc_control_report_24h"] = line("hc_control_report_24h", hours_covered=hours_covered, report_number=27)
    results.update(over)
    results["t0_canary_report"] = canary_report_line(results)
    return results


def test_everything_holding_is_completed() -> None:
    done = completion(record(), [])
    assert done.status == COMPLETED and done.open == []
    assert [c.id for c in done.criteria] == list(CRITERIA)
    assert all(c.holds for c in done.criteria)
    assert done.to_json("tr")["criteria"][0]["title"] == "Smoke testleri (Health, Auth, Payouts) PASS"


@pytest.mark.parametrize(("over", "open_id", "detail"), [
    ({"t15_payouts_router": line("t15_payouts_router", Result.FAIL)}, "smoke_pass", "t15_payouts_router FAIL"),
    ({"t0_mark_paid": line("t0_mark_paid", Result.NOT_RUN)}, "canary_pass_report_recorded", "t0_canary_report is"),
    ({"hc_control_report_24h": line("hc_control_report_24h", hours_covered=6.5, report_number=4)},
     "control_report_24h", "covers 6.5 h after T-0, not yet 24 h"),
    ({"hc_control_report_24h": line("hc_control_report_24h", Result.FAIL)}, "control_report_24h",
     "hc_control_report_24h is FAIL"),
])
def test_a_line_not_passing_leaves_its_criterion_open(over: dict[str, LineResult], open_id: str, detail: str
                                                      ) -> None:
    done = completion(record(**over), [])
    assert done.status == OPEN and done.open == [open_id]
    assert detail in next(c.detail.text() for c in done.criteria if c.id == open_id)


def test_a_5xx_spike_in_the_first_two_hours_or_first_hours_unwatched_stay_open() -> None:
    spiked = completion(record(rounds=watch_rounds(spike_at=1.5)), [])
    assert spiked.open == ["no_5xx_spike_first_2h"]
    assert completion(record(rounds=watch_rounds(spike_at=5)), []).status == COMPLETED  # after the first 2 h
    early = completion(record(rounds=watch_rounds(hours=1)), [])
    assert "no_5xx_spike_first_2h" in early.open


@pytest.mark.parametrize(("last", "detail"), [({"backlog": 3}, "3 withdrawal(s) over the SLA"),
                                              ({"stuck": 1}, "1 stuck finance job(s)"),
                                              ({"queue": {"source": "api", "complete": False, "note": "read 4000"}},
                                               "read incompletely (read 4000)")])
def test_the_queue_is_judged_by_the_latest_round(last: dict[str, Any], detail: str) -> None:
    done = completion(record(rounds=watch_rounds(last=last)), [])
    assert done.open == ["queue_under_sla"] and detail in done.criteria[3].detail.text()
    assert completion(record(rounds=[]), []).criteria[3].holds is False


def test_a_rollback_trigger_on_record_or_in_any_round_keeps_it_open_a_monitor_row_does_not() -> None:
    observed = TriggerObservation.observe("payout_failure_rate", "IMMEDIATE_ROLLBACK", "40% failed",
                                          "hc_first_6h_watch")
    assert completion(record(), [observed]).open == ["no_rollback_trigger"]
    kept = watch_rounds()
    kept[10]["triggers"] = ["ledger_invariant_breach"]  # an earlier round, long since replaced on record
    done = completion(record(rounds=kept), [])
    assert done.open == ["no_rollback_trigger"]
    assert "ledger_invariant_breach in the watch round" in done.criteria[4].detail.text()
    monitor = watch_rounds()
    monitor[3]["triggers"] = ["latency_spike"]
    assert completion(record(rounds=monitor), []).status == COMPLETED


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("## Go-live completion: OPEN", "1 of the 6 criteria",
            "| Withdraw/payout queue under control (no SLA breach) | **open** |", "): 2 withdrawal(s) over the SLA |")),
    ("tr", ("## Go-Live tamamlanma: AÇIK", "6 kriterden 1 tanesi",
            "| Withdraw/Payout queue kontrol altında (SLA ihlali yok) | **açık** |", "): SLA'yı aşan 2 çekim |"))])
def test_decision_md_shows_completion_in_the_runs_language(lang: str, words: tuple[str, ...]) -> None:
    results = record(rounds=watch_rounds(last={"backlog": 2}))
    decision = decide(results, [], release_sha="a" * 40, target="t", lang=lang, decider="IC", env_name="prod")
    ctx = ReportContext(decision=decision, lang=lang, env_name="prod", target="t", release_sha="a" * 40,
                        decider="IC", executor="ci", run_id="r1", owners={}, results=results, events=[],
                        completion=completion(results, []))
    text = render.render_all(ctx)["decision.md"]
    for word in words:
        assert word in text, word
    ctx.completion = completion(record(), [])
    assert ("COMPLETED" if lang == "en" else "TAMAMLANDI") in render.render_all(ctx)["decision.md"]
