"""The cutover record: results accumulate per release SHA; NOT_RUN never overwrites; other SHAs never count;
stale results are NOT_RUN; a re-run line's triggers are replaced."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cutover_gate.core.clock import iso
from cutover_gate.evidence.history import RECORD_FILE, CutoverRecord, RecordError
from cutover_gate.evidence.model import LineResult, Result, TriggerObservation

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"
NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def at(hours_ago: float) -> str:
    return iso(NOW - timedelta(hours=hours_ago))


def res(lid: str, result: Result, hours_ago: float = 0.5, **evidence: str) -> LineResult:
    return LineResult(lid, result, at=at(hours_ago), evidence=dict(evidence))


def trig(row: str, line: str | None) -> TriggerObservation:
    return TriggerObservation.observe(row, "IMMEDIATE_ROLLBACK", f"{row} seen", line, at=NOW - timedelta(minutes=10))


def current(record: CutoverRecord, sha: str = SHA, windows_h: dict[str, float] | None = None) -> dict[str, Result]:
    results, _ = record.results_for(sha, windows_h, now=NOW)
    return {lid: r.result for lid, r in results.items()}


def test_results_of_earlier_runs_of_the_release_accumulate(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.PASS)}, [], "run1")
    record.update(SHA, {"t0_deposit": res("t0_deposit", Result.PASS)}, [], "run2")
    assert current(record) == {"t15_api_health": Result.PASS, "t0_deposit": Result.PASS}
    results, _ = record.results_for(SHA, now=NOW)
    assert results["t15_api_health"].run_id == "run1"
    assert results["t15_api_health"].release_sha == SHA


def test_not_run_never_overwrites_an_earlier_result(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.PASS)}, [], "run1")
    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.NOT_RUN)}, [], "run2")
    assert current(record) == {"t15_api_health": Result.PASS}


def test_a_re_run_replaces_the_earlier_result_both_ways(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.PASS)}, [], "run1")
    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.FAIL)}, [], "run2")
    assert current(record) == {"t15_api_health": Result.FAIL}
    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.PASS)}, [], "run3")
    assert current(record) == {"t15_api_health": Result.PASS}


def test_another_sha_never_counts(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.PASS)}, [trig("migration_failure", None)],
                  "run1")
    assert record.results_for(OTHER, now=NOW) == ({}, [])


def test_an_entry_claiming_another_sha_is_ignored(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.PASS)}, [], "run1")
    record.releases[SHA]["lines"]["t15_api_health"]["release_sha"] = OTHER
    assert current(record) == {}


def test_unknown_line_ids_in_the_record_are_ignored(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t99_gone": LineResult("t99_gone", Result.PASS, at=at(0))}, [], "run1")
    assert current(record) == {}


def test_a_result_older_than_its_phase_window_is_stale(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {
        "t15_api_health": res("t15_api_health", Result.PASS, hours_ago=13, status="200"),  # t15 window: 12 h
        "t15_admin_login": res("t15_admin_login", Result.PASS, hours_ago=11),
        "t60_owners_assigned": res("t60_owners_assigned", Result.PASS, hours_ago=23),  # t60 window: 24 h
        "t60_release_pinned": res("t60_release_pinned", Result.FAIL, hours_ago=25),
    }, [], "run1")
    results, _ = record.results_for(SHA, now=NOW)
    assert {lid: r.result for lid, r in results.items()} == {
        "t15_api_health": Result.NOT_RUN, "t15_admin_login": Result.PASS, "t60_owners_assigned": Result.PASS,
        "t60_release_pinned": Result.NOT_RUN}
    stale = results["t15_api_health"]
    assert stale.message.startswith(f"stale: measured {at(13)}, older than the t15 window")
    assert stale.evidence == {"status": "200"}


def test_windows_can_be_set_per_phase(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.PASS, hours_ago=2),
                        "t0_deposit": res("t0_deposit", Result.PASS, hours_ago=2)}, [], "run1")
    assert current(record, windows_h={"t15": 1}) == {"t15_api_health": Result.NOT_RUN, "t0_deposit": Result.PASS}


def test_triggers_of_a_re_run_line_are_dropped_others_kept(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t0_deposit": res("t0_deposit", Result.FAIL), "t15_api_health": res("t15_api_health",
                                                                                           Result.PASS)},
                  [trig("payout_withdraw_http_error", "t0_deposit"), trig("migration_failure", "t15_api_health")],
                  "run1")
    record.update(SHA, {"t0_deposit": res("t0_deposit", Result.PASS)}, [], "run2")
    _, triggers = record.results_for(SHA, now=NOW)
    assert [t.row for t in triggers] == ["migration_failure"]


def test_triggers_of_a_line_not_run_again_are_kept(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t0_deposit": res("t0_deposit", Result.FAIL)},
                  [trig("payout_withdraw_http_error", "t0_deposit")], "run1")
    record.update(SHA, {"t0_deposit": res("t0_deposit", Result.NOT_RUN)}, [], "run2")
    _, triggers = record.results_for(SHA, now=NOW)
    assert [t.row for t in triggers] == ["payout_withdraw_http_error"]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path / "reports")
    record.update(SHA, {"t0_deposit": res("t0_deposit", Result.WAIVED, deposit_tx_id="d1")},
                  [trig("ledger_invariant_breach", "t0_deposit")], "run1")
    record.save()
    again = CutoverRecord.load(tmp_path / "reports")
    results, triggers = again.results_for(SHA, now=NOW)
    assert results["t0_deposit"].result is Result.WAIVED
    assert results["t0_deposit"].evidence == {"deposit_tx_id": "d1"}
    assert triggers == [trig("ledger_invariant_breach", "t0_deposit")]
    assert [p.name for p in (tmp_path / "reports").iterdir()] == [RECORD_FILE]


def test_a_missing_record_is_empty_and_a_corrupt_one_is_an_error(tmp_path: Path) -> None:
    assert CutoverRecord.load(tmp_path).releases == {}
    (tmp_path / RECORD_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(RecordError, match=r"unreadable.*move it aside"):
        CutoverRecord.load(tmp_path)


def test_the_file_is_keyed_by_release(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t0_deposit": res("t0_deposit", Result.PASS)}, [], "run1")
    record.update(OTHER, {"t0_deposit": res("t0_deposit", Result.FAIL)}, [], "run2")
    record.save()
    data = json.loads((tmp_path / RECORD_FILE).read_text(encoding="utf-8"))
    assert data["releases"][SHA]["lines"]["t0_deposit"]["result"] == "PASS"
    assert data["releases"][OTHER]["lines"]["t0_deposit"]["result"] == "FAIL"


def test_a_later_run_of_an_earlier_phase_makes_later_phases_stale(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.PASS, 2)}, [], "run1")
    record.update(SHA, {"t0_deposit": res("t0_deposit", Result.PASS, 1.5)}, [], "run2")
    assert current(record) == {"t15_api_health": Result.PASS, "t0_deposit": Result.PASS}

    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.PASS, 1)}, [], "run3")  # a re-deploy
    results, _ = record.results_for(SHA, now=NOW)
    assert results["t15_api_health"].result is Result.PASS
    assert results["t0_deposit"].result is Result.NOT_RUN
    assert results["t0_deposit"].message == (f"stale: measured {at(1.5)}, before the t15 run at {at(1)}; "
                                             "run t0 again")

    record.update(SHA, {"t0_deposit": res("t0_deposit", Result.PASS, 0.5)}, [], "run4")  # T-0 again: fresh
    assert current(record) == {"t15_api_health": Result.PASS, "t0_deposit": Result.PASS}


def test_a_run_of_a_later_phase_or_a_not_run_leaves_earlier_phases_fresh(tmp_path: Path) -> None:
    record = CutoverRecord.load(tmp_path)
    record.update(SHA, {"t60_release_pinned": res("t60_release_pinned", Result.PASS, 3)}, [], "run1")
    record.update(SHA, {"t0_deposit": res("t0_deposit", Result.PASS, 2)}, [], "run2")
    record.update(SHA, {"t15_api_health": res("t15_api_health", Result.NOT_RUN, 1)}, [], "run3")  # nothing ran
    assert current(record) == {"t60_release_pinned": Result.PASS, "t0_deposit": Result.PASS}
    phase_runs = record.releases[SHA]["phase_runs"]
    assert set(phase_runs) == {"t60", "t0"} and phase_runs["t0"]["seq"] == 2 and phase_runs["t0"]["at"] == at(2)
