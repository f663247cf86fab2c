"""The runbook's messages posted to the war room's channels (CUTOVER_COMMS_URLS) by real gate runs: Apprise's
`json://` to loopback receivers the test starts; one channel answers 500, one refuses, one hangs. The messages arrive
in order with the runbook's wording (en, tr); GO posts the GO-LIVE, NO-GO the rollback with its reason; a failing or
hanging channel changes no verdict and costs at most its deadline; no part of a channel URL is written anywhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.comms_receiver import closed_port, receiver
from tests.e2e.conftest import ROOT, GateRun


def leaks(run: GateRun, secrets: list[str]) -> list[str]:
    """Every secret found in the run's output or in any file of its reports dir (comms.md, decision.json,
    report.html, junit.xml, the evidence, the state...)."""
    found = [f"output: {s}" for s in secrets if s in run.output]
    for path in run.reports.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [f"{path.relative_to(run.reports)}: {s}" for s in secrets if s in text]
    return found


def test_a_go_run_posts_the_runbook_messages_and_a_hypercare_round_its_update(
        gate: Callable[..., GateRun], gate_reports: Path) -> None:
    with receiver() as rec:
        gone = closed_port()
        urls = f"{rec.url('ok-go-8b1f2c')}, {rec.url('fail-go-93d0e4')} json://127.0.0.1:{gone}/gone-77ac15"
        run = gate(gate_reports, env={"CUTOVER_COMMS_URLS": urls})
        assert run.decision["decision"] == "GO" and run.returncode == 0, run.output[-3000:]
        posted = [p.first_line for p in rec.to("ok-go-8b1f2c")]
        assert posted == ["Cutover started. Maintenance window active. Updates every 15 minutes.", "Pre-flight PASS",
                          "Backup PASS", "Deploy+Smoke PASS", "Canary PASS",
                          "GO decision made. System is live. Hypercare started."], posted
        assert {p.body["title"] for p in rec.posts} == {"Cutover 060f1658c0f3 — SANDBOX"}

        comms = (gate_reports / "comms.md").read_text(encoding="utf-8")
        assert comms.count("`json://… #1`: sent at ") == 6, comms
        assert comms.count("`json://… #2`: failed — could not post: the service answered HTTP 500") == 6
        assert comms.count("`json://… #3`: failed — could not post: connection refused") == 6
        assert "cutover gate: could not post the Cutover start" in run.output
        assert "to json://… #3: connection refused" in run.output

        hypercare = gate(gate_reports, "-m", "hypercare", env={"CUTOVER_COMMS_URLS": urls})
        assert hypercare.decision["decision"] == "GO", hypercare.output[-3000:]
        update = rec.to("ok-go-8b1f2c")[len(posted):]
        assert [p.first_line for p in update] == ["Hypercare update (T+0.0 h): OK. Next update in 30 minutes."]
        assert "- round: 5xx rate " in update[0].message

    secrets = [f"127.0.0.1:{rec.port}", f"127.0.0.1:{gone}", "ok-go-8b1f2c", "fail-go-93d0e4", "gone-77ac15"]
    assert leaks(run, secrets) == [] and leaks(hypercare, secrets) == []


def cutover_file(tmp_path: Path, comms: str) -> Path:
    """The sandbox's cutover file with its paths made absolute, plus a `[comms]` section."""
    fixtures = ROOT / "fixtures"
    text = (fixtures / "cutover.toml").read_text(encoding="utf-8")
    for key in ("env/prod.env", "waivers/register.valid.md", "rc-proof", "restore/restore-procedure.md"):
        text = text.replace(f'"{key}"', f'"{fixtures / key}"')
    path = tmp_path / "cutover.toml"
    path.write_text(f"{text}\n[comms]\n{comms}\n", encoding="utf-8")
    return path


def test_a_nogo_run_posts_its_rollback_in_turkish_and_a_hanging_channel_costs_only_its_deadline(
        gate: Callable[..., GateRun], gate_reports: Path, tmp_path: Path) -> None:
    hang_s = 40.0
    with receiver(hang_s=hang_s) as rec:
        urls = f"{rec.url('hang-nogo-4e6a0b')} {rec.url('ok-nogo-c2d95f')}"
        started = time.monotonic()
        run = gate(gate_reports, "--lang=tr", f"--cutover-file={cutover_file(tmp_path, 'post_timeout_s = 2')}",
                   "-m", "t15", faults=("payouts_router_missing",), env={"CUTOVER_COMMS_URLS": urls})
        took = time.monotonic() - started
        assert run.decision["decision"] == "NO-GO" and run.returncode == 1, run.output[-3000:]
        assert run.line("t15_payouts_router")["result"] == "FAIL"
        assert took < hang_s / 2, took  # the hanging channel was never waited for beyond post_timeout_s
        posted = [p.message for p in rec.to("ok-nogo-c2d95f")]
        assert rec.to("hang-nogo-4e6a0b"), "the hanging channel was tried"

    assert [m.splitlines()[0] for m in posted[:2]] == [
        "Cutover başlatıldı. Bakım penceresi aktif. Her 15 dakikada bir güncelleme.", "Deploy+Smoke FAIL"]
    assert "- t15_payouts_router FAIL — Payouts router erişilebilir: " in posted[1]
    rollback = posted[2].splitlines()[0]
    assert rollback.startswith("Rollback tetiklendi. Sebep: t15_payouts_router FAIL (Payouts router erişilebilir)")
    assert "tetikleyici payout_withdraw_http_error" in rollback and rollback.endswith(" Geri yükleme devam ediyor.")
    assert len(posted) == 3, posted

    comms = (gate_reports / "comms.md").read_text(encoding="utf-8")
    assert "# Cutover İletişimi" in comms and comms.count("`json://… #2`: gönderildi") == 3, comms
    hanging = [line for line in comms.splitlines() if line.strip().startswith("- `json://… #1`:")]
    assert len(hanging) == 3 and all("başarısız — gönderilemedi: " in line for line in hanging), hanging
    assert "2 sn içinde yanıt yok (post_timeout_s)" in hanging[0]
    assert "gönderilemedi" in run.output
    assert leaks(run, [f"127.0.0.1:{rec.port}", "hang-nogo-4e6a0b", "ok-nogo-c2d95f"]) == []

