"""Sign-off artifacts rendered from hand-built contexts: GO, NO-GO (half-done canary) and PENDING, both languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cutover_gate.core.catalogue import LINES, MONEY_LOOP, lines_of
from cutover_gate.core.clock import iso
from cutover_gate.core.redact import MASK, REDACTOR
from cutover_gate.decide.fleet import decision_from_json
from cutover_gate.decide.rules import decide
from cutover_gate.evidence.model import LineResult, Result, StepRecord, TriggerObservation
from cutover_gate.evidence.results import combined
from cutover_gate.reports import render, scribe, terminal
from cutover_gate.reports.allure_page import DECLARE_DATA_FIRST, AllurePageError, declare_data_first
from cutover_gate.reports.context import ReportContext
from tests.unit.test_fleet import Lines

SHA = "0123456789abcdef0123456789abcdef01234567"
SEED = "Sk9SEEDsecretValue42"
REDACTOR.register(SEED)
T0 = datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)

OWNERS = {"incident_commander": "Ayşe IC", "deployer": "Deniz Deploy", "DB Owner": "Berk DB",
          "payments_owner": "Pelin Pay", "scribe": "Selin Scribe", "on-call": "Onur OnCall"}
SNAPSHOT = {"snapshot_id": "snap-20250301-0930", "snapshot_path": "/backups/prod-20250301.dump",
            "created_at": "2025-03-01T09:31:00Z", "sha256": "ab" * 32, "size_bytes": 123456}
DEPOSIT = {"canary_player_id": "player-777", "canary_email": "canary+20250301@example.com", "kyc_status": "verified",
           "deposit_amount": "12.50", "deposit_method": "card", "deposit_tx_id": "dep-tx-4242",
           "deposit_state": "completed", "available_before": "0.00", "held_before": "0.00",
           "available_after_deposit": "12.50", "deposit_replay_same_tx": True}
WITHDRAW = {"withdraw_amount": "7.25", "withdraw_tx_id": "wd-tx-5151", "available_after_withdraw": "5.25",
            "held_after_withdraw": "7.25"}
APPROVE = {"approve_answer_state": "approved", "approve_state": "approved", "approved_at": "2025-03-01T10:02:03Z"}
PAID = {"paid_answer_state": "paid", "paid_state": "paid", "paid_at": "2025-03-01T10:03:04Z",
        "payout_ref": "payout-ref-9", "available_final": "5.25", "held_final": "0.00", "payout_webhook_verified": True}
LEDGER = {"expected_available": "5.25", "expected_held": "0.00", "db_available": "5.25", "db_held": "0.00",
          "ledger_refs": ["ledger-e-1", "ledger-e-2", f"note {SEED}"]}
CANARY_EVIDENCE = {"t0_deposit": DEPOSIT, "t0_withdraw_request": WITHDRAW, "t0_admin_approve": APPROVE,
                   "t0_mark_paid": PAID, "t0_ledger_settlement": LEDGER}


def at(minutes: float) -> str:
    return iso(T0 + timedelta(minutes=minutes))


def passed(lines: list[str], start: float = 0) -> dict[str, LineResult]:
    out = {}
    for i, lid in enumerate(lines):
        evidence: dict[str, Any] = {}
        if lid == "t30_snapshot_taken":
            evidence = dict(SNAPSHOT)
        evidence.update(CANARY_EVIDENCE.get(lid, {}))
        out[lid] = LineResult(lid, Result.PASS, at=at(start + i), evidence=evidence, release_sha=SHA)
    return out


def mandatory_ids(*phases: str) -> list[str]:
    return [line.id for phase in phases for line in lines_of(phase) if line.mandatory]


def context(results: dict[str, LineResult], triggers: list[TriggerObservation] | None = None, lang: str = "en",
            release_sha: str | None = SHA) -> ReportContext:
    triggers = triggers or []
    decision = decide(results, triggers, release_sha=release_sha, target="https://pay.example.com", lang=lang,
                      decider="Ayşe IC", env_name="prod")
    events = [StepRecord(nodeid=f"features/{lid}.feature::x", step=f"Then {lid} holds", line=lid,
                        status="FAIL" if r.result is Result.FAIL else "PASS", at=r.at or at(0), message=r.message)
              for lid, r in results.items()]
    return ReportContext(decision=decision, lang=lang, env_name="prod", target="https://pay.example.com",
                         release_sha=release_sha, decider="Ayşe IC", executor="ci-runner", run_id="run0001",
                         owners=dict(OWNERS), results=results, events=sorted(events, key=lambda e: e.at),
                         refs={lid: f"evidence/{lid}.json" for lid in results})


def go_context(lang: str = "en") -> ReportContext:
    return context(passed(mandatory_ids("t60", "t30", "t15", "t0")), lang=lang)


def nogo_context(lang: str = "en") -> ReportContext:
    results = passed(mandatory_ids("t60", "t30", "t15"))
    t0 = [lid for lid in mandatory_ids("t0") if lid not in MONEY_LOOP]
    results.update(passed(t0, start=40))
    results.update(passed(["t0_deposit"], start=60))
    fail = f"step 'When the canary requests a withdrawal': HTTP 500 from /withdraw token={SEED}"
    results["t0_withdraw_request"] = LineResult("t0_withdraw_request", Result.FAIL, at=at(61), message=fail,
                                                evidence={"withdraw_amount": "7.25", "last_withdraw_state": None})
    for lid in ("t0_admin_approve", "t0_mark_paid", "t0_ledger_settlement"):
        results[lid] = LineResult(lid, Result.FAIL, at=at(61),
                                  message="blocked: step 'When the canary requests a withdrawal' failed")
    trigger = TriggerObservation.observe("payout_withdraw_http_error", "IMMEDIATE_ROLLBACK",
                                         "POST /api/v1/player/wallet/withdraw -> 500", "t0_withdraw_request",
                                         at=T0 + timedelta(minutes=61))
    return context(results, [trigger], lang=lang)


def pending_context(lang: str = "en") -> ReportContext:
    return context(passed(mandatory_ids("t15"), start=30), lang=lang)


BUILDERS = {"go": go_context, "nogo": nogo_context, "pending": pending_context}
LANGS = ("en", "tr")
NOT_RUN_WORD = {"en": "NOT RUN", "tr": "ÇALIŞTIRILMADI"}


@pytest.fixture(params=[(kind, lang) for kind in BUILDERS for lang in LANGS], ids=lambda p: f"{p[0]}-{p[1]}")
def rendered(request: pytest.FixtureRequest) -> tuple[str, str, ReportContext, dict[str, str]]:
    kind, lang = request.param
    ctx = BUILDERS[kind](lang)
    return kind, lang, ctx, render.render_all(ctx)


def checklist_line(text: str, title: str) -> str:
    found = [ln for ln in text.splitlines() if re.match(rf"\s*- \[[x ]\] {re.escape(title)}(?=[\s:])", ln)]
    assert found, f"no checklist line titled {title!r}"
    return found[0]


# --- every artifact -------------------------------------------------------------------------------------------


def test_render_all_produces_the_four_artifacts(rendered: tuple[str, str, ReportContext, dict[str, str]]) -> None:
    _, _, _, out = rendered
    assert sorted(out) == ["canary_report.md", "checklist.md", "comms.md", "decision.md"]
    for name, text in out.items():
        assert text.strip(), name
        assert "__________" not in text, f"{name} left a runbook blank unfilled"


def test_seeded_secret_never_appears(rendered: tuple[str, str, ReportContext, dict[str, str]]) -> None:
    kind, _, _, out = rendered
    for name, text in out.items():
        assert SEED not in text, name
    if kind == "nogo":
        assert MASK in out["decision.md"]  # the failing message carried it: masked, not dropped


def test_not_run_never_shows_pass(rendered: tuple[str, str, ReportContext, dict[str, str]]) -> None:
    _, _, ctx, out = rendered
    for line in LINES:
        if line.id in ctx.results or line.phase == "rollback":
            continue
        row = checklist_line(out["checklist.md"], line.title(ctx.lang))
        assert row.lstrip().startswith("- [ ]"), row
        assert f"-> {NOT_RUN_WORD[ctx.lang]}" in row and "PASS" not in row.split("->")[1], row


def test_go_statement_only_when_go(rendered: tuple[str, str, ReportContext, dict[str, str]]) -> None:
    kind, lang, _, out = rendered
    statement = {"en": "Prod deploy smoke checks PASS. Canary money loop (deposit->withdraw->approve->paid->ledger "
                       "settlement) PASS. No rollback trigger observed. GO-LIVE confirmed.",
                 "tr": "Prod deploy smoke kontrolleri PASS. Canary Money Loop (deposit->withdraw->approve->paid->"
                       "ledger settlement) PASS. Rollback tetikleyicisi gözlenmedi. GO-LIVE teyit edildi."}[lang]
    assert (statement in out["decision.md"]) is (kind == "go")
    for name in ("checklist.md", "canary_report.md", "comms.md"):
        assert statement not in out[name]


def test_turkish_artifacts_use_turkish_headings(rendered: tuple[str, str, ReportContext, dict[str, str]]) -> None:
    _, lang, _, out = rendered
    headings = {
        "checklist.md": ("Uygulama Checklist’i (Onay)", "Execution checklist (sign-off)"),
        "canary_report.md": ("Go-Live Canary Raporu", "Go-Live Canary Report"),
        "comms.md": ("Kontrol Noktası Güncellemeleri", "Checkpoint updates"),
        "decision.md": ("Rollback Karar Matrisi", "Rollback decision matrix"),
    }
    for name, (tr, en) in headings.items():
        assert (tr in out[name]) is (lang == "tr"), name
        assert (en in out[name]) is (lang == "en"), name


# --- checklist.md ---------------------------------------------------------------------------------------------


def test_checklist_blanks_filled_from_evidence() -> None:
    out = render.render_all(go_context())["checklist.md"]
    assert checklist_line(out, "Release SHA/tag pinned").startswith(f"- [x] Release SHA/tag pinned: `{SHA}` -> PASS")
    owners = checklist_line(out, "Owners assigned")
    for name in ("Deniz Deploy", "Berk DB", "Onur OnCall", "Ayşe IC"):
        assert name in owners
    snap = checklist_line(out, "Prod DB snapshot taken")
    assert "snap-20250301-0930" in snap and "/backups/prod-20250301.dump" in snap and "123456 bytes" in snap
    assert "(Tx ID: `dep-tx-4242`)" in checklist_line(out, "Deposit")
    assert "(ID: `wd-tx-5151`)" in checklist_line(out, "Withdraw request")
    assert "(Timestamp: 2025-03-01T10:02:03Z)" in checklist_line(out, "Admin approve")
    assert "(Timestamp: 2025-03-01T10:03:04Z)" in checklist_line(out, "Admin mark paid")
    assert "ledger-e-1, ledger-e-2" in checklist_line(out, "Ledger settlement / invariant")
    assert "Log ref: [evidence/t60_prod_env_verified.json](evidence/t60_prod_env_verified.json)" in out
    assert "**GO/NO-GO decision:** GO" in out
    assert "**Decided by:** Ayşe IC" in out


def test_checklist_smoke_parent_is_derived_and_nests_its_sub_lines() -> None:
    out = render.render_all(go_context())["checklist.md"]
    assert "- [x] `go_live_smoke.sh` run -> PASS" in out
    assert "    - [x] API health 200 -> PASS" in out

    results = passed(mandatory_ids("t60", "t30", "t15"))
    results["t15_api_health"] = LineResult("t15_api_health", Result.FAIL, at=at(5), message="HTTP 503 from /api/health")
    out = render.render_all(context(results))["checklist.md"]
    assert "- [ ] `go_live_smoke.sh` run -> FAIL" in out
    assert "    - [ ] API health 200 -> FAIL" in out
    assert "        - Reason: HTTP 503 from /api/health" in out

    del results["t15_api_health"]
    out = render.render_all(context(results))["checklist.md"]
    assert "- [ ] `go_live_smoke.sh` run -> NOT RUN" in out


def test_checklist_unknown_blanks_say_not_recorded() -> None:
    ctx = pending_context()
    ctx.owners = {}
    out = render.render_all(ctx)["checklist.md"]
    assert "Deploy: (not recorded)" in checklist_line(out, "Owners assigned")
    assert "snapshot ID/path: (not recorded)" in checklist_line(out, "Prod DB snapshot taken")
    assert "(Tx ID: (not recorded))" in checklist_line(out, "Deposit")
    tr = render.render_all(pending_context("tr"))["checklist.md"]
    assert "(Tx ID: (kayıt yok))" in checklist_line(tr, "Deposit")


def test_checklist_hypercare_open_and_rollback_only_when_run() -> None:
    ctx = go_context()
    out = render.render_all(ctx)["checklist.md"]
    assert "- [ ] 72 hours stable -> NOT RUN" in out
    assert "Open until the hypercare checks run" in out
    assert "After rollback" not in out
    ctx.results.update(passed(["hc_alerting_active", "rb_login"], start=200))
    out = render.render_all(ctx)["checklist.md"]
    assert "- [x] Alerting active (5xx/latency/DB/webhook) -> PASS" in out
    assert "Open until the hypercare checks run" not in out
    assert "- [x] After rollback: login works -> PASS" in out
    assert "- [ ] After rollback: read-only endpoints answer -> NOT RUN" in out


def test_checklist_fail_line_shows_its_message() -> None:
    out = render.render_all(nogo_context())["checklist.md"]
    row = checklist_line(out, "Withdraw request")
    assert row.startswith("- [ ] Withdraw request -> FAIL")
    assert f"- Reason: step 'When the canary requests a withdrawal': HTTP 500 from /withdraw token={MASK}" in out
    assert "**GO/NO-GO decision:** NO-GO" in out


def test_waived_line_is_ticked() -> None:
    results = passed(mandatory_ids("t60", "t30", "t15", "t0"))
    results["t60_prod_env_verified"] = LineResult("t60_prod_env_verified", Result.WAIVED, at=at(1),
                                                  message="STRIPE_API_KEY waived by OPS-123 until 2099-01-01")
    out = render.render_all(context(results))["checklist.md"]
    row = checklist_line(out, "verify_prod_env run")
    assert row.startswith("- [x]") and "-> WAIVED" in row
    assert "OPS-123" in out


# --- decision.md ----------------------------------------------------------------------------------------------


def test_decision_go() -> None:
    out = render.render_all(go_context())["decision.md"]
    assert out.startswith("# ✅ GO")
    assert SHA in out and "https://pay.example.com" in out and "PROD" in out and "Ayşe IC" in out
    assert "No rollback trigger observed." in out
    for row in ("payout_withdraw_http_error", "latency_spike", "security_incident"):
        assert f"`{row}`" in out  # the full matrix, for reference


def test_decision_nogo_names_failing_lines_and_triggers() -> None:
    ctx = nogo_context()
    out = render.render_all(ctx)["decision.md"]
    assert out.startswith("# ❌ NO-GO")
    assert "t0_withdraw_request FAIL" in out
    trigger = ctx.decision.triggers[0]
    assert re.search(rf"\| `payout_withdraw_http_error` \| .* \| {trigger.observed_at} \| {trigger.decide_by} \|", out)
    assert "**Immediate rollback**" in out


NOGO_REASONS_EN = [
    f"t0_withdraw_request FAIL: step 'When the canary requests a withdrawal': HTTP 500 from /withdraw token={SEED}",
    "t0_admin_approve FAIL: blocked: step 'When the canary requests a withdrawal' failed",
    "t0_mark_paid FAIL: blocked: step 'When the canary requests a withdrawal' failed",
    "t0_ledger_settlement FAIL: blocked: step 'When the canary requests a withdrawal' failed",
    "trigger payout_withdraw_http_error (Payout/withdraw 404/5xx) -> IMMEDIATE_ROLLBACK: "
    "POST /api/v1/player/wallet/withdraw -> 500"]
"""decision.json's `reasons` of the half-done canary's NO-GO, in English whatever the run's language."""


@pytest.mark.parametrize(("lang", "heading", "trigger"), [
    ("en", "## Why NO-GO", "- trigger payout_withdraw_http_error (Payout/withdraw 404/5xx) -> IMMEDIATE_ROLLBACK: "),
    ("tr", "## NO-GO Sebepleri",
     "- tetikleyici payout_withdraw_http_error (Payout/Withdraw 404/5xx) -> IMMEDIATE_ROLLBACK: ")])
def test_decision_md_gives_the_no_go_reasons_in_the_runs_language_and_decision_json_in_english(
        lang: str, heading: str, trigger: str) -> None:
    ctx = nogo_context(lang)
    out = render.render_all(ctx)["decision.md"]
    why = out.split(heading, 1)[1].split("\n## ", 1)[0]
    assert f"{trigger}POST /api/v1/player/wallet/withdraw -> 500\n" in why
    # the line ids, FAIL and the check's own message stay as they are
    assert f"- t0_withdraw_request FAIL: step 'When the canary requests a withdrawal': HTTP 500 from /withdraw " \
           f"token={MASK}\n" in why
    if lang == "tr":
        assert "- trigger " not in out and "Why NO-GO" not in out
    data = ctx.decision.to_json()
    assert data["reasons"] == NOGO_REASONS_EN
    assert [r["kind"] for r in data["reason_messages"]] == ["line"] * 4 + ["trigger"]
    assert decision_from_json(data).reasons == ctx.decision.reasons  # read back, it speaks any language again


@pytest.mark.parametrize(("lang", "trigger"), [("en", "trigger payout_withdraw_http_error ("),
                                               ("tr", "tetikleyici payout_withdraw_http_error (")])
def test_the_terminal_timeline_and_comms_give_the_reasons_in_the_runs_language(lang: str, trigger: str) -> None:
    ctx = nogo_context(lang)
    tw = Lines()
    terminal.summary(tw, ctx.decision, Path("/r"))
    assert any(line.startswith(f"  - {trigger}") for line in tw.lines), tw.lines
    mark = next(e for e in scribe.timeline_entries(ctx) if e.get("event") == "decision")
    assert mark["reasons"][-1].startswith(trigger)
    assert trigger in render.render_all(ctx)["comms.md"]


def test_decision_pending_lists_lines_not_yet_pass() -> None:
    out = render.render_all(pending_context())["decision.md"]
    assert out.startswith("# ⏳ PENDING")
    assert "`t60_release_pinned`" in out and "`t0_deposit`" in out
    assert "`t15_api_health`" not in out.split("## Phases")[0]
    assert "| T-60 — Pre-flight | NOT RUN |" in out
    assert "| T-15 — Deploy + migration + smoke | PASS |" in out


# --- canary_report.md -----------------------------------------------------------------------------------------


def test_canary_report_go_uses_actual_amounts() -> None:
    out = render.render_all(go_context())["canary_report.md"]
    assert "**Environment:** PROD" in out and "**Executor:** ci-runner" in out
    assert "player-777" in out and "canary+20250301@example.com" in out and "verified" in out
    assert "$10" not in out and "$5" not in out
    assert re.search(r"\| 1 \| Deposit \(12\.50\) \| .*\| `dep-tx-4242` \| PASS \|", out)
    assert re.search(r"\| 2 \| Withdraw request \(7\.25\) \| `available` −7\.25, `held` \+7\.25 \| .*5\.25.*7\.25", out)
    assert "`payout-ref-9`" in out
    assert re.search(r"\| 3 \| Admin approve \| .* \| answered `approved`; platform shows `approved` at ", out)
    assert re.search(r"\| 4 \| Admin payout .* \| answered `paid`; platform shows `paid` at ", out)
    assert out.count("- [x]") == 3
    assert "**Canary: PASS**" in out and "**GO/NO-GO decision: GO**" in out
    assert "Where the money is" not in out


def test_canary_report_half_done_says_where_the_money_is() -> None:
    for lang, heading, outcome in (("en", "Where the money is", "**Canary: FAIL**"),
                                   ("tr", "Para Nerede", "**Canary: FAIL**")):
        out = render.render_all(nogo_context(lang))["canary_report.md"]
        assert heading in out
        assert outcome in out
        money = out.split(heading)[1]
        assert "`available` 12.50" in money and "`held` 0.00" in money
        assert "`dep-tx-4242`" in money
        assert re.search(r"\| 2 \| .* \| FAIL \|", out)
        assert "HTTP 500 from /withdraw" in out
        assert "payout_withdraw_http_error" in out


def test_canary_report_open_withdrawal_state() -> None:
    results = passed(mandatory_ids("t60", "t30", "t15", "t0"))
    results["t0_mark_paid"] = LineResult("t0_mark_paid", Result.FAIL, at=at(90), message="state stayed approved",
                                         evidence={"last_withdraw_state": "approved"})
    results["t0_ledger_settlement"] = LineResult("t0_ledger_settlement", Result.FAIL, at=at(90), message="blocked")
    out = render.render_all(context(results))["canary_report.md"]
    money = out.split("Where the money is")[1]
    assert "`available` 5.25" in money and "`held` 7.25" in money
    assert "`wd-tx-5151`" in money and "`approved`" in money


def test_canary_report_pending_marks_steps_not_run() -> None:
    out = render.render_all(pending_context())["canary_report.md"]
    assert "**Canary: NOT RUN**" in out and "**GO/NO-GO decision: PENDING**" in out
    assert len(re.findall(r"\| NOT RUN \|", out)) == 5
    assert "- [x]" not in out
    assert "**Execution date:** (not recorded)" in out


# --- comms.md -------------------------------------------------------------------------------------------------


def test_comms_go() -> None:
    ctx = go_context()
    out = render.render_all(ctx)["comms.md"]
    assert "Cutover started. Maintenance window active. Updates every 15 minutes." in out
    for message in ('"Pre-flight PASS"', '"Backup PASS"', '"Deploy+Smoke PASS"', '"Canary PASS"'):
        assert message in out
    assert f"`{ctx.decision.generated_at}` — \"GO decision made. System is live. Hypercare started.\"" in out
    assert "Rollback triggered" not in out
    assert "every 30 minutes" in out


def test_comms_nogo_gives_the_reason() -> None:
    out = render.render_all(nogo_context())["comms.md"]
    assert '"Canary FAIL"' in out
    assert re.search(r'"Rollback triggered\. Reason: .*t0_withdraw_request FAIL.*\. Restore in progress\."', out)
    assert "GO decision made" not in out
    tr = render.render_all(nogo_context("tr"))["comms.md"]
    assert "Rollback tetiklendi. Sebep: " in tr and "Geri yükleme devam ediyor." in tr


def test_comms_pending_never_claims_pass_for_phases_not_run() -> None:
    out = render.render_all(pending_context())["comms.md"]
    assert '"Pre-flight NOT RUN"' in out and '"Backup NOT RUN"' in out and '"Canary NOT RUN"' in out
    assert '"Deploy+Smoke PASS"' in out
    assert "Cutover on hold" in out
    assert "GO decision made" not in out and "Rollback triggered" not in out


# --- helpers --------------------------------------------------------------------------------------------------


def test_combined_result() -> None:
    P, F, W, N = Result.PASS, Result.FAIL, Result.WAIVED, Result.NOT_RUN
    assert combined([P, P]) is P
    assert combined([P, F, N]) is F
    assert combined([P, N]) is N
    assert combined([P, W]) is W
    assert combined([]) is N


def test_unknown_language_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown report language"):
        render.render_all(go_context("de"))


# --- pytest-html and Allure pieces ----------------------------------------------------------------------------


def test_allure_extras(tmp_path: Path) -> None:
    import json

    from cutover_gate.core.catalogue import TRIGGERS
    from cutover_gate.reports import allure_results as allure_report

    ctx = nogo_context("tr")
    ctx.target = f"https://user:{SEED}@pay.example.com"
    ctx.reports_dir = tmp_path
    allure_report.write_allure_extras(tmp_path / "allure-results", ctx)
    config = json.loads((tmp_path / "allurerc.json").read_text(encoding="utf-8"))
    assert config["plugins"]["awesome"]["options"]["singleFile"] is True  # opens from a file (no fetch)
    assert config["plugins"]["awesome"]["options"]["reportLanguage"] == "tr"
    assert config["name"] == f"Cutover gate: NO-GO for {SHA}"
    props = (tmp_path / "allure-results" / "environment.properties").read_text(encoding="utf-8")
    assert f"release.sha={SHA}\n" in props and "decision=NO-GO\n" in props and "env.name=prod\n" in props
    assert "language=tr\n" in props and SEED not in props
    executor = json.loads((tmp_path / "allure-results" / "executor.json").read_text(encoding="utf-8"))
    assert executor["name"] == "cutover-gate" and SHA in executor["buildName"] and executor["reportName"]
    cats = json.loads((tmp_path / "allure-results" / "categories.json").read_text(encoding="utf-8"))
    assert len(cats) == len(TRIGGERS) + 1 and cats[-1]["name"] == "Checklist FAIL"

    def categories_of(message: str) -> list[str]:  # Allure: Java `matches`, i.e. the whole message
        return [c["name"] for c in cats if "messageRegex" not in c or re.fullmatch(c["messageRegex"], message)]

    msg = "step 'When the canary requests a withdrawal':\ntrigger payout_withdraw_http_error: HTTP 500"
    assert categories_of(msg) == [cats[0]["name"], "Checklist FAIL"]
    assert "payout_withdraw_http_error" in cats[0]["name"]
    assert categories_of("t15_api_health: HTTP 503") == ["Checklist FAIL"]
    assert categories_of("ledger_invariant_breach_extra") == ["Checklist FAIL"]  # the id, not a longer word


def test_allure_attach_record(monkeypatch: pytest.MonkeyPatch) -> None:
    import allure_commons
    import pluggy
    from allure_commons import _core, _hooks

    from cutover_gate.reports import allure_results as allure_report

    manager = pluggy.PluginManager("allure")  # a private one: this test may itself run under Allure
    manager.add_hookspecs(_hooks.AllureUserHooks)
    manager.add_hookspecs(_hooks.AllureDeveloperHooks)
    monkeypatch.setattr(_core.MetaPluginManager, "_plugin_manager", manager)

    record = {"lines": ["t0_deposit"], "steps": [{"step": "Given x", "status": "PASS"}],
              "http": [{"url": f"https://a/?token={SEED}", "headers": {"Authorization": "Bearer abcdef123456"}}],
              "evidence": {}, "triggers": []}
    allure_report.attach_record(record)  # Allure not recording: nothing happens

    class Listener:
        def __init__(self) -> None:
            self.attached: list[tuple[str, str, Any]] = []

        @allure_commons.hookimpl
        def attach_data(self, body: str, name: str, attachment_type: Any, extension: Any) -> None:
            self.attached.append((name, body, attachment_type))

    listener = Listener()
    manager.register(listener)
    allure_report.attach_record(record)
    assert [name for name, _, _ in listener.attached] == ["Steps", "HTTP exchanges"]
    assert all(kind.mime_type == "application/json" for _, _, kind in listener.attached)
    assert SEED not in repr(listener.attached) and "abcdef123456" not in repr(listener.attached)

    class NoTestCase:
        @allure_commons.hookimpl
        def attach_data(self, body: str, name: str, attachment_type: Any, extension: Any) -> None:
            raise KeyError(None)  # what Allure's lifecycle does when no test case is open

    manager.register(NoTestCase())
    allure_report.attach_record(record)  # recording, but outside a test case: no error


# --- Turkish reads as the runbook's Turkish -------------------------------------------------------------------


ENGLISH_LEFTOVERS = ("NOT RUN", "WAIVED", "PENDING", "verified (manual admin override)", "not recorded")


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_turkish_artifacts_translate_status_words(kind: str) -> None:
    ctx = BUILDERS[kind]("tr")
    out = render.render_all(ctx)
    for name, text in out.items():
        for word in ENGLISH_LEFTOVERS:
            assert word not in text, f"{name} ({kind}) keeps the English {word!r}"
    assert "ÇALIŞTIRILMADI" in out["checklist.md"] or kind == "go"


def test_turkish_canary_report_translates_the_kyc_status_and_keeps_pass_fail() -> None:
    ctx = go_context("tr")
    for lid in ("t0_deposit",):
        ctx.results[lid].evidence["kyc_status"] = "verified (manual admin override)"
    out = render.render_all(ctx)["canary_report.md"]
    assert "**KYC Durumu:** doğrulandı (manuel admin onayıyla)" in out
    assert re.search(r"\| 1 \| Deposit .*\| PASS \|", out)
    en = render.render_all(go_context("en"))
    assert "**KYC status:** verified" in en["canary_report.md"]


def test_turkish_waived_and_pending_words() -> None:
    results = passed(mandatory_ids("t60", "t30", "t15", "t0"))
    results["t60_prod_env_verified"] = LineResult("t60_prod_env_verified", Result.WAIVED, at=at(1), message="OPS-1")
    out = render.render_all(context(results, lang="tr"))["checklist.md"]
    assert "-> MUAF" in checklist_line(out, "verify_prod_env çalıştırıldı")
    pending = render.render_all(pending_context("tr"))["decision.md"]
    assert pending.startswith("# ⏳ BEKLEMEDE")


def test_the_allure_page_declares_its_data_before_its_app_once(tmp_path: Path) -> None:
    """Allure 3 writes its embedded data after its app; `cutover-gate allure` declares the data map first, so the app
    waits for the data instead of fetching widgets/*.json, which file:// refuses (a blank page)."""
    page = tmp_path / "index.html"
    app = '<script src="data:text/javascript;base64,AAAA"></script>'
    data = "<script async>window.allureReportData = window.allureReportData || {};</script>"
    page.write_text(f"<!DOCTYPE html><html><head><title>r</title></head><body>{app}{data}</body></html>")
    assert declare_data_first(page) is True
    html = page.read_text()
    assert html.index(DECLARE_DATA_FIRST) < html.index(app)
    assert declare_data_first(page) is False and page.read_text() == html  # once
    page.write_text(f"<html><head></head><body>{app}</body></html>")
    with pytest.raises(AllurePageError, match="embeds no report data"):
        declare_data_first(page)
