"""Results accumulate across runs of one release SHA (the phases run at different times); another SHA's never count;
a result older than its phase window is stale."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from cutover_gate.core.clock import iso, utcnow
from cutover_gate.evidence.history import RECORD_FILE
from tests.plugin.conftest import OTHER_SHA, SHA, GateProject, all_mandatory_ids, mandatory_features, phase_ids


def age_record(reports: Path, sha: str, lines: list[str], hours: float) -> None:
    """Rewrite the record as if `lines` had been measured `hours` ago."""
    path = reports / RECORD_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    old = iso(utcnow() - timedelta(hours=hours))
    for lid in lines:
        data["releases"][sha]["lines"][lid]["at"] = old
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_later_run_counts_the_earlier_phases_of_the_same_release(project: GateProject) -> None:
    project.features(mandatory_features())

    first = project.run("-m", "t15")
    second = project.run("-m", "t0")

    assert first.decision["decision"] == "PENDING"
    assert all(first.result(lid) == "NOT_RUN" for lid in phase_ids("t0"))
    second.run.assert_outcomes(passed=len(phase_ids("t0")), deselected=len(all_mandatory_ids()) - len(phase_ids("t0")))
    assert all(second.result(lid) == "PASS" for lid in phase_ids("t15") + phase_ids("t0"))
    assert all(second.result(lid) == "NOT_RUN" for lid in phase_ids("t60") + phase_ids("t30"))
    assert second.decision["phases"] == {"t60": "NOT_RUN", "t30": "NOT_RUN", "t15": "PASS", "t0": "PASS"}
    assert second.decision["decision"] == "PENDING"


def test_the_four_phases_run_one_by_one_reach_go(project: GateProject) -> None:
    project.features(mandatory_features())

    runs = [project.run("-m", phase) for phase in ("t60", "t30", "t15", "t0")]

    assert [r.decision["decision"] for r in runs] == ["PENDING", "PENDING", "PENDING", "GO"]
    assert runs[-1].ret == 0


def test_another_release_sha_does_not_see_the_record(project: GateProject) -> None:
    project.features(mandatory_features())
    project.run("-m", "t15")

    other = project.run("-m", "t0", sha=OTHER_SHA)

    assert all(other.result(lid) == "NOT_RUN" for lid in phase_ids("t15"))
    assert all(other.result(lid) == "PASS" for lid in phase_ids("t0"))
    assert other.decision["release_sha"] == OTHER_SHA
    assert other.decision["decision"] == "PENDING"
    record = json.loads((project.reports / RECORD_FILE).read_text(encoding="utf-8"))
    assert set(record["releases"]) == {SHA, OTHER_SHA}


def test_a_failure_of_an_earlier_run_of_the_release_still_counts(project: GateProject) -> None:
    broken = ("Given the check passes", 'When the check fails with "migrations behind"')
    project.features(mandatory_features({"t15_migrations_at_head": broken}))
    project.run("-m", "t15")

    later = project.run("-m", "t0")

    assert later.result("t15_migrations_at_head") == "FAIL"
    assert later.decision["decision"] == "NO-GO"
    assert later.ret != 0


def test_a_result_older_than_its_phase_window_is_stale(project: GateProject) -> None:
    project.features(mandatory_features())
    project.run("-m", "t15")
    age_record(project.reports, SHA, phase_ids("t15"), hours=13)  # the default t15 window is 12 h

    later = project.run("-m", "t0")

    line = later.line("t15_api_health")
    assert line["result"] == "NOT_RUN"
    assert line["message"].startswith("stale:")
    assert later.decision["phases"]["t15"] == "NOT_RUN"
    assert later.decision["decision"] == "PENDING"


def test_the_cutover_file_sets_the_window(project: GateProject) -> None:
    project.features(mandatory_features())
    cutover = project.path / "cutover.toml"
    cutover.write_text("[record.window_hours]\nt15 = 1\n", encoding="utf-8")
    project.run("-m", "t15")
    age_record(project.reports, SHA, phase_ids("t15"), hours=2)

    default_window = project.run("-m", "t0")
    short_window = project.run("-m", "t0", f"--cutover-file={cutover}")

    assert default_window.result("t15_api_health") == "PASS"
    assert short_window.result("t15_api_health") == "NOT_RUN"
    assert short_window.line("t15_api_health")["message"].startswith("stale:")
