"""timeline.jsonl: the scribe's marks from a run, append-only across runs, and a hash chain that names a broken line."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cutover_gate.core.catalogue import LINES, lines_of
from cutover_gate.core.clock import iso
from cutover_gate.core.redact import REDACTOR
from cutover_gate.decide.rules import decide
from cutover_gate.evidence import timeline
from cutover_gate.evidence.model import LineResult, Result, StepRecord
from cutover_gate.reports import scribe
from cutover_gate.reports.context import ReportContext

SHA = "fedcba9876543210fedcba9876543210fedcba98"
SEED = "TimelineSEEDsecret77"
REDACTOR.register(SEED)
T0 = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return iso(T0 + timedelta(minutes=minutes))


def run_context(line_ids: list[str], fail: dict[str, str] | None = None, start: float = 0,
                run_id: str = "run-a") -> ReportContext:
    """One step per line, a minute apart; lines in `fail` fail with that message."""
    fail = fail or {}
    results: dict[str, LineResult] = {}
    events: list[StepRecord] = []
    for i, lid in enumerate(line_ids):
        status = "FAIL" if lid in fail else "PASS"
        when = at(start + i)
        evidence = {"snapshot_id": "snap-77", "snapshot_path": "/b/77.dump", "sha256": "cd" * 32} \
            if lid == "t30_snapshot_taken" else {}
        results[lid] = LineResult(lid, Result(status), at=when, message=fail.get(lid, ""), evidence=evidence)
        events.append(StepRecord(nodeid=f"f::{lid}", step=f"Then {lid} holds", line=lid, status=status, at=when,
                                message=fail.get(lid, "")))
    decision = decide(results, [], release_sha=SHA, target="sandbox", lang="en", decider="IC", env_name="sandbox")
    return ReportContext(decision=decision, lang="en", env_name="sandbox", target="sandbox", release_sha=SHA,
                         decider="IC", executor="me", run_id=run_id, owners={}, results=results, events=events)


def mandatory(*phases: str) -> list[str]:
    return [line.id for phase in phases for line in lines_of(phase) if line.mandatory]


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def marks(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["event"]: e for e in entries if e["kind"] == "scribe"}


# --- scribe entries -------------------------------------------------------------------------------------------


def test_scribe_marks_of_a_full_run() -> None:
    ids = mandatory("t60", "t30", "t15", "t0")
    ctx = run_context(ids)
    entries = scribe.timeline_entries(ctx)
    m = marks(entries)
    t60 = mandatory("t60")
    assert m["preflight_start"]["at"] == at(0) and m["preflight_start"]["mark"] == "T-60"
    assert m["preflight_end"]["at"] == at(len(t60) - 1) and m["preflight_end"]["result"] == "PASS"
    assert m["snapshot_recorded"]["mark"] == "T-30" and m["snapshot_recorded"]["snapshot_id"] == "snap-77"
    assert m["deploy_start"]["mark"] == "T-15" and m["deploy_end"]["result"] == "PASS"
    assert m["smoke"]["mark"] == "T-10" and m["smoke"]["result"] == "PASS"
    assert m["canary"]["mark"] == "T-0" and m["canary"]["result"] == "PASS"
    assert m["decision"]["mark"] == "T+15" and m["decision"]["decision"] == "GO"
    assert "hypercare_report" not in m
    steps = [e for e in entries if e["kind"] == "step"]
    assert [s["line"] for s in steps] == ids
    assert {"step", "line", "status", "at", "message"} <= steps[0].keys()
    assert all(e["run_id"] == "run-a" and e["release_sha"] == SHA for e in entries)
    stamps = [e["at"] for e in entries]
    assert stamps == sorted(stamps)
    assert entries[0]["event"] == "preflight_start" and entries[-1]["event"] == "decision"


def test_marks_sit_beside_their_steps_when_timestamps_tie() -> None:
    ctx = run_context(mandatory("t60", "t15"))
    for event in ctx.events:
        event.at = at(0)  # one-second resolution: a whole phase can share a timestamp
    entries = scribe.timeline_entries(ctx)
    events = [e.get("event") or e["line"] for e in entries]
    t60, t15 = mandatory("t60"), mandatory("t15")
    assert events == ["preflight_start", *t60, "preflight_end", "deploy_start", t15[0], "deploy_end", *t15[1:],
                      "smoke", "decision"]


def test_scribe_marks_only_for_what_ran() -> None:
    m = marks(scribe.timeline_entries(run_context(mandatory("t15"), fail={"t15_api_health": "HTTP 503"})))
    assert set(m) == {"deploy_start", "deploy_end", "smoke", "decision"}
    assert m["smoke"]["result"] == "FAIL"
    assert m["decision"]["decision"] == "NO-GO"
    assert any("t15_api_health" in r for r in m["decision"]["reasons"])


def test_hypercare_report_only_when_hypercare_ran() -> None:
    hc = [line.id for line in LINES if line.phase == "hypercare"]
    m = marks(scribe.timeline_entries(run_context(hc, start=120)))
    assert m["hypercare_report"]["mark"] == "T+60" and m["hypercare_report"]["result"] == "PASS"


def test_turkish_scribe_text() -> None:
    ctx = run_context(mandatory("t60", "t15"))
    ctx.lang = "tr"
    m = marks(scribe.timeline_entries(ctx))
    assert m["preflight_start"]["text"] == "Pre-flight Başlangıcı"  # the runbook's "Cutover Başlangıcı" form
    assert m["preflight_end"]["text"] == "Pre-flight Bitişi"
    assert m["deploy_start"]["text"] == "Deploy Başlangıcı"
    assert m["deploy_end"]["text"] == "Deploy Bitişi"
    assert m["decision"]["text"] == "GO/NO-GO Kararı"


@pytest.mark.parametrize(("keyword", "written"), [
    ("Diyelim Ki", "Diyelim ki"), ("Eğer Ki", "Eğer ki"), ("O Zaman", "O zaman"), ("Ve", "Ve"), ("Fakat", "Fakat"),
    ("Given", "Given"), ("When", "When"), ("Then", "Then"), ("And", "And"), ("But", "But"),
])
def test_a_step_keeps_its_keyword_as_the_feature_file_writes_it(keyword: str, written: str) -> None:
    """pytest-bdd hands keywords over title-cased ("O Zaman"); the timeline writes the dialect's own case."""
    from cutover_gate.evidence.recording import step_text

    assert step_text(keyword, "admin bir bearer token alır") == f"{written} admin bir bearer token alır"
    assert step_text(f"{keyword} ", "x") == f"{written} x"


# --- the chain ------------------------------------------------------------------------------------------------


@pytest.fixture
def two_runs(tmp_path: Path) -> Path:
    path = tmp_path / "reports" / "timeline.jsonl"
    scribe.append_timeline(run_context(mandatory("t60", "t30"), run_id="run-1"), path)
    scribe.append_timeline(run_context(mandatory("t15"), start=30, run_id="run-2"), path)
    return path


def test_append_across_two_runs_keeps_the_chain(two_runs: Path) -> None:
    entries = read(two_runs)
    assert entries[0]["prev"] == "0" * 64
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert {e["run_id"] for e in entries} == {"run-1", "run-2"}
    raw = two_runs.read_bytes().split(b"\n")
    for i in range(1, len(entries)):
        assert entries[i]["prev"] == hashlib.sha256(raw[i - 1]).hexdigest()
    assert timeline.verify_chain(two_runs) == (True, None, f"{len(entries)} lines, chain intact")


def edit_line(path: Path, number: int, change: dict[str, Any], rehash: bool = False) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[number - 1])
    entry.update(change)
    if rehash:
        entry["hash"] = timeline.entry_digest(entry)
    lines[number - 1] = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_tampered_middle_line_is_named(two_runs: Path) -> None:
    edit_line(two_runs, 5, {"status": "PASS", "message": "all good, honest"})
    ok, line, message = timeline.verify_chain(two_runs)
    assert (ok, line) == (False, 5)
    assert "edited" in message


def test_tampered_line_with_recomputed_hash_is_named(two_runs: Path) -> None:
    edit_line(two_runs, 7, {"at": "2025-01-01T00:00:00Z"}, rehash=True)
    ok, line, message = timeline.verify_chain(two_runs)
    assert (ok, line) == (False, 7)
    assert "line 7 was changed" in message


@pytest.mark.parametrize("number", [1, 6])
def test_deleted_line_is_detected(two_runs: Path, number: int) -> None:
    lines = two_runs.read_text(encoding="utf-8").splitlines()
    del lines[number - 1]
    two_runs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ok, line, message = timeline.verify_chain(two_runs)
    assert (ok, line) == (False, number)
    assert "removed" in message


def test_garbage_line_is_detected_and_appending_continues(two_runs: Path) -> None:
    count = len(read(two_runs))
    with two_runs.open("a", encoding="utf-8") as fh:
        fh.write("not json")  # a torn write, no newline
    assert timeline.verify_chain(two_runs) == (False, count + 1, "not valid JSON")
    timeline.append_entries(two_runs, [{"kind": "note", "at": at(99)}])
    lines = two_runs.read_text(encoding="utf-8").splitlines()
    assert lines[count] == "not json"
    assert json.loads(lines[count + 1])["seq"] == count + 2


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "t.jsonl"
    empty.write_bytes(b"")
    assert timeline.verify_chain(empty) == (True, None, "0 lines, chain intact")
    with pytest.raises(FileNotFoundError):
        timeline.verify_chain(tmp_path / "missing.jsonl")
    assert timeline.append_entries(tmp_path / "new" / "t.jsonl", []) == 0
    assert not (tmp_path / "new").exists()


def test_timeline_is_redacted(tmp_path: Path) -> None:
    ctx = run_context(mandatory("t15"), fail={"t15_admin_login": f"login failed with password {SEED}"})
    path = tmp_path / "timeline.jsonl"
    scribe.append_timeline(ctx, path)
    text = path.read_text(encoding="utf-8")
    assert SEED not in text and "login failed with password ***" in text
    assert timeline.verify_chain(path)[0]
