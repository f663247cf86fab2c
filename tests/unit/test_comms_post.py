"""A run's messages end to end without a gate run: CommsRun fed reports as the controller sees them, posting to a
loopback receiver; comms.md lists each message with its deliveries; the cadence holds across runs (comms_state.json);
the terminal says what could not be posted; no part of a channel URL is ever written."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from cutover_gate.config.settings import GateSettings, resolve
from cutover_gate.core.catalogue import PHASES, lines_of
from cutover_gate.core.clock import iso, utcnow
from cutover_gate.decide.rules import decide
from cutover_gate.evidence.model import Result, StepRecord, TriggerObservation
from cutover_gate.evidence.results import ScenarioRun, line_results, triggers_of
from cutover_gate.reports import comms_messages as msg
from cutover_gate.reports import comms_post
from cutover_gate.reports.context import ReportContext
from tests.e2e.comms_receiver import Receiver, closed_port, receiver

ROOT = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"


def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, urls: str | None, lang: str = "en") -> GateSettings:
    if urls is None:
        monkeypatch.delenv("CUTOVER_COMMS_URLS", raising=False)
    else:
        monkeypatch.setenv("CUTOVER_COMMS_URLS", urls)
    option = SimpleNamespace(target_url=None, cutover_file=None, release_sha=SHA, decider=None,
                             reports_dir=str(tmp_path / "reports"), env_name=None, lang=lang, profile=None, plan=False)
    out = resolve(option, ROOT)
    out.reports_dir.mkdir(parents=True, exist_ok=True)
    return out


def scenario(line: str, failed: str = "") -> ScenarioRun:
    step = StepRecord(nodeid=f"features/x.feature::{line}", step=f"Then {line} holds", line=line,
                      status="FAIL" if failed else "PASS", at=iso(utcnow()), message=failed)
    return ScenarioRun(nodeid=step.nodeid, lines=[line], steps=[step], outcome="failed" if failed else "passed")


def runs_of(*phases: str, failing: dict[str, str] | None = None) -> list[ScenarioRun]:
    failing = failing or {}
    return [scenario(line.id, failing.get(line.id, "")) for phase in phases for line in lines_of(phase)
            if line.mandatory]


def context(s: GateSettings, runs: list[ScenarioRun], triggers: list[TriggerObservation] | None = None
            ) -> ReportContext:
    results = line_results(runs)
    decision = decide(results, triggers if triggers is not None else triggers_of(runs), release_sha=SHA,
                      target="embedded sandbox", lang=s.lang, decider="IC", env_name="sandbox")
    return ReportContext(decision=decision, lang=s.lang, env_name="sandbox", target="embedded sandbox",
                         release_sha=SHA, decider="IC", executor="ci", run_id="r1", owners={}, results=results,
                         events=[], reports_dir=s.reports_dir)


def play(run: comms_post.CommsRun, runs: list[ScenarioRun]) -> None:
    """The controller's reports in the runbook's order: one per scenario, keyed by its phase."""
    done: list[ScenarioRun] = []
    for sc in runs:
        phase = next(line.phase for line in lines_of_any(sc.lines[0]))
        run.reported({phase, sc.lines[0]}, done)
        done.append(sc)


def lines_of_any(lid: str) -> list:  # type: ignore[type-arg]
    return [line for phase in (*PHASES, "hypercare") for line in lines_of(phase) if line.id == lid]


def secrets_of(rec: Receiver, *paths: str) -> list[str]:
    return [f"127.0.0.1:{rec.port}", *paths]


def test_a_go_run_posts_in_order_and_lists_every_delivery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with receiver() as rec:
        gone = closed_port()
        urls = f"{rec.url('ok-post-1c1c1c')},{rec.url('fail-post-2d2d2d')} json://127.0.0.1:{gone}/gone-3e3e3e"
        s = settings(tmp_path, monkeypatch, urls)
        said: list[str] = []
        run = comms_post.CommsRun(s, said.append)
        runs = runs_of(*PHASES)
        play(run, runs)
        text = run.conclude(context(s, runs), runs)
        posted = [p.first_line for p in rec.to("ok-post-1c1c1c")]
        assert posted == ["Cutover started. Maintenance window active. Updates every 15 minutes.", "Pre-flight PASS",
                          "Backup PASS", "Deploy+Smoke PASS", "Canary PASS",
                          "GO decision made. System is live. Hypercare started."]
        assert [p.first_line for p in rec.to("fail-post-2d2d2d")] == posted
    assert "**Channels** (`CUTOVER_COMMS_URLS`, shown masked): `json://… #1`, `json://… #2`, `json://… #3`." in text
    assert text.count("`json://… #1`: sent at ") == 6
    assert text.count("`json://… #2`: failed — could not post: the service answered HTTP 500") == 6
    assert text.count("`json://… #3`: failed — could not post: connection refused") == 6
    assert '6. `' in text
    assert '**GO-LIVE announcement** — "GO decision made. System is live. Hypercare started."' in text
    assert len([line for line in said if "could not post the" in line]) == 2  # once per channel and cause
    assert any("could not post 5 more message(s) to json://… #2" in line for line in said)
    for secret in (*secrets_of(rec, "ok-post-1c1c1c", "fail-post-2d2d2d", "gone-3e3e3e"), f"127.0.0.1:{gone}"):
        assert secret not in text and not any(secret in line for line in said)
        assert secret not in (s.reports_dir / msg.STATE_FILE).read_text(encoding="utf-8")
    assert msg.load_state(s.reports_dir, SHA)["decision"]["key"] == "go_live"


def test_without_urls_the_messages_are_listed_not_posted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(tmp_path, monkeypatch, None, lang="tr")
    runs = runs_of("t60")
    run = comms_post.CommsRun(s)
    play(run, runs)
    text = run.conclude(context(s, runs), runs)
    assert "**Kanallar:** yok — `CUTOVER_COMMS_URLS` tanımlı değil" in text
    assert '— "Pre-flight PASS"' in text and "gönderilmedi: CUTOVER_COMMS_URLS tanımlı değil" in text
    assert '**Bekleme Güncellemesi** — "Cutover beklemede' in text  # listed, and the checkpoint was this run's update
    assert "gönderilmedi: bu çalıştırmanın güncellemesi yukarıdaki kontrol noktasıdır" in text
    assert not (s.reports_dir / msg.STATE_FILE).exists()


def test_a_nogo_run_posts_its_rollback_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with receiver() as rec:
        s = settings(tmp_path, monkeypatch, rec.url("ok-nogo-4f4f4f"), lang="tr")
        runs = runs_of("t15", failing={"t15_payouts_router": "OPTIONS answered 404"})
        trigger = [TriggerObservation.observe("payout_withdraw_http_error", "IMMEDIATE_ROLLBACK", "404",
                                              "t15_payouts_router")]
        for _ in range(2):
            run = comms_post.CommsRun(s)
            play(run, runs)
            text = run.conclude(context(s, runs, trigger), runs)
        posted = [p.message for p in rec.posts]
    assert [m.splitlines()[0] for m in posted] == [
        "Cutover başlatıldı. Bakım penceresi aktif. Her 15 dakikada bir güncelleme.", "Deploy+Smoke FAIL",
        "Rollback tetiklendi. Sebep: t15_payouts_router FAIL (Payouts router erişilebilir); tetikleyici "
        "payout_withdraw_http_error (Payout/Withdraw 404/5xx). Geri yükleme devam ediyor.",
        "Deploy+Smoke FAIL"]  # the second run: its checkpoint again, the same rollback not again
    assert "t15_payouts_router FAIL — Payouts router erişilebilir: adım 'Then t15_payouts_router holds': " \
           "OPTIONS answered 404" in posted[1]
    assert "gönderilmedi: " in text and "zaten duyuruldu" in text


def test_a_hypercare_round_posts_at_the_cadence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with receiver() as rec:
        s = settings(tmp_path, monkeypatch, rec.url("ok-hc-5a5a5a"))
        live = iso(utcnow() - timedelta(minutes=61))
        msg.save_state(s.reports_dir, SHA, {"decision": {"key": "go_live", "at": live}, "last_post_at": live})
        cutover = runs_of(*PHASES)
        texts = []
        for failing in ({}, {}, {"hc_first_6h_watch": "5xx rate 9%"}):
            hc = [scenario(line.id, failing.get(line.id, "")) for line in lines_of("hypercare")
                  if line.id != "hc_stable_72h"]
            run = comms_post.CommsRun(s)
            play(run, hc)
            texts.append(run.conclude(context(s, cutover + hc), hc))
        posted = [p.first_line for p in rec.posts]
    assert posted == ["Hypercare update (T+1.0 h): OK. Next update in 30 minutes.",
                      "Rollback triggered. Reason: hc_first_6h_watch FAIL (First 6-hour watch period applied). "
                      "Restore in progress.",
                      "Hypercare update (T+1.0 h): ACTION REQUIRED. Next update in 30 minutes."]
    assert "not posted: an update went out at " in texts[1] and "30-minute cadence" in texts[1]
    assert "**Cutover start**" not in texts[0] and "**GO-LIVE" not in texts[0]  # a hypercare round is no cutover


def test_the_entry_points_never_raise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(tmp_path, monkeypatch, "nosuchservice://abc-123456")
    comms_post.on_report(s, object(), [])  # no open run: nothing
    assert comms_post.conclude(s, None, []) is None  # type: ignore[arg-type]
    runs = runs_of("t0")
    text = comms_post.conclude(s, context(s, runs), runs)
    assert text is not None and "not a valid Apprise URL" in text and "abc-123456" not in text
    assert context(s, runs).decision.phases["t0"] == Result.PASS.value


def test_a_long_run_posts_a_progress_update_at_its_cadence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with receiver() as rec:
        s = settings(tmp_path, monkeypatch, rec.url("ok-long-6b6b6b"))
        run = comms_post.CommsRun(s)
        run.cadence = msg.Cadence(update_every_minutes=0.002)  # 0.12 s
        t60, t30 = runs_of("t60"), runs_of("t30")
        run.reported({"t60"}, [])
        run.reported({"t30"}, t60)  # the checkpoint "Pre-flight PASS"
        run.reported({"t30"}, t60)  # nothing new yet
        time.sleep(0.2)
        run.reported({"t30"}, t60)  # nothing said for longer than the cadence: a progress update
        run.conclude(context(s, t60 + t30), t60 + t30)
        posted = [p.first_line for p in rec.posts]
    assert posted[:3] == ["Cutover started. Maintenance window active. Updates every 0.002 minutes.", "Pre-flight PASS",
                          "Cutover update: Backup in progress. So far: Pre-flight PASS. Next update in 0.002 minutes."]
    assert posted[3:] == ["Backup PASS"]  # PENDING: the checkpoint is this run's update, no holding update
