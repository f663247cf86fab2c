"""A cutover of several targets, without running any: the arguments and environment each target's run gets, the
cutover file as each target sees it, and how the decisions combine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cutover_gate.config.cutover_file import TargetEntry, load_cutover
from cutover_gate.core.catalogue import TRIGGERS_BY_ID
from cutover_gate.core.errors import UsageError
from cutover_gate.core.reasons import Reason, texts
from cutover_gate.decide.fleet import TargetResult, combine, decision_from_json, fleet_verdict
from cutover_gate.decide.rules import ChecklistRow, Decision, Verdict, line_failed, trigger_observed
from cutover_gate.evidence.model import Result, TriggerObservation
from cutover_gate.fleet import NO_DECISION, TargetNotGo, forwarded, target_env
from cutover_gate.reports import fleet as fleet_report


def test_forwarded_keeps_the_selection_and_drops_what_each_target_gets_its_own() -> None:
    args = ["-m", "t0", "-n", "2", "--lang=tr", "--reports-dir", "r", "--cutover-file=c.toml", "-n4", "--dist=load",
            "-k", "money", "--profile", "p.toml", "--env-name=staging", "--html=x.html", "--self-contained-html"]
    assert forwarded(args) == ["-m", "t0", "--lang=tr", "-k", "money", "--env-name=staging"]


def test_a_prefixed_target_gets_its_own_secrets_and_no_other_targets() -> None:
    base = {"CUTOVER_ADMIN_PASSWORD": "shared-pass", "EU_CUTOVER_ADMIN_PASSWORD": "eu-pass",
            "EU_CUTOVER_DB_DSN": "postgresql://eu", "CUTOVER_WEBHOOK_SECRET": "shared-hook", "PATH": "/bin",
            "CUTOVER_EXECUTOR": "ops", "PYTEST_XDIST_WORKER": "gw0", "CUTOVER_TARGET_URL": "http://127.0.0.1:1"}
    env = target_env(TargetEntry(url="http://127.0.0.1:9", env_prefix="EU_"), "eu", base)
    assert env["CUTOVER_ADMIN_PASSWORD"] == "eu-pass" and env["CUTOVER_DB_DSN"] == "postgresql://eu"
    assert "CUTOVER_WEBHOOK_SECRET" not in env, "another target's secret reached this one"
    assert env["PATH"] == "/bin" and env["CUTOVER_EXECUTOR"] == "ops" and env["CUTOVER_FLEET_TARGET"] == "eu"
    assert "PYTEST_XDIST_WORKER" not in env and "CUTOVER_TARGET_URL" not in env
    assert env["CUTOVER_SANDBOX_FAULTS"] == ""


def test_an_unprefixed_embedded_target_inherits_the_environment_and_boots_with_its_faults() -> None:
    env = target_env(TargetEntry(sandbox_faults=["approve_noop", "cors_wildcard"]), "tr",
                     {"CUTOVER_ADMIN_PASSWORD": "p", "CUTOVER_SANDBOX_FAULTS": "ledger_unbalanced"})
    assert env["CUTOVER_ADMIN_PASSWORD"] == "p"
    assert env["CUTOVER_SANDBOX_FAULTS"] == "approve_noop,cors_wildcard"


FILE = '''
[release]
sha = "060f1658c0f32b260ef61eddb625805d5849d8b7"

[canary]
deposit_amount = "10"
max_amount = "10"

[targets.eu]
url = "https://eu.pay.invalid"

[targets.tr]
profile = "tr.toml"
[targets.tr.canary]
deposit_amount = "8"
tenant_id = "casino-tr"
'''


def test_each_target_sees_the_file_with_its_own_sections_merged(tmp_path: Path) -> None:
    path = tmp_path / "cutover.toml"
    path.write_text(FILE, encoding="utf-8")
    whole = load_cutover(path)
    assert list(whole.targets) == ["eu", "tr"] and whole.targets["eu"].url == "https://eu.pay.invalid"
    tr = load_cutover(path, "tr")
    assert not tr.targets and str(tr.canary.deposit_amount) == "8" and tr.canary.tenant_id == "casino-tr"
    assert str(tr.canary.max_amount) == "10" and tr.release.sha == whole.release.sha
    assert str(load_cutover(path, "eu").canary.deposit_amount) == "10"
    with pytest.raises(UsageError, match="lists no target 'us'"):
        load_cutover(path, "us")


def test_a_problem_of_any_target_stops_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "cutover.toml"
    path.write_text(FILE + '\n[targets.eu.canary]\ndeposit_amount = "ten"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"\(target eu\) is invalid: canary.deposit_amount: not a decimal"):
        load_cutover(path)
    path.write_text(FILE + '\n[targets.us]\nurl = "https://us.pay.invalid"\nsurprise = 1\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"targets\.us\.surprise: unknown key"):
        load_cutover(path)


def decision(verdict: Verdict, phases: dict[str, Result], rows: list[ChecklistRow],
             triggers: list[TriggerObservation] | None = None, reasons: list[Reason] | None = None) -> Decision:
    return Decision(decision=verdict, release_sha="abc", target="sandbox", lang="en", decider="IC",
                    generated_at="2025-01-01T00:00:00Z", env_name="staging", phases=phases, checklist=rows,
                    triggers=triggers or [], reasons=reasons or [], selected_phases=[])


def row(lid: str, result: Result, ref: str = "", at: str | None = None) -> ChecklistRow:
    return ChecklistRow(id=lid, phase="t0", section=4, title=lid.title(), mandatory=True, result=result, ref=ref,
                        at=at)


@pytest.mark.parametrize(("verdicts", "expected"), [
    ([Verdict.GO, Verdict.GO], Verdict.GO), ([Verdict.GO, Verdict.PENDING], Verdict.PENDING),
    ([Verdict.PENDING, Verdict.NO_GO], Verdict.NO_GO), ([], Verdict.NO_GO)])
def test_the_fleet_is_go_only_when_every_target_is(verdicts: list[Verdict], expected: Verdict) -> None:
    assert fleet_verdict(verdicts) is expected


BREACH = TriggerObservation("ledger_invariant_breach", "IMMEDIATE_ROLLBACK", "t1", "t2", "held 0.00")
NO_DECISION_4 = Reason(NO_DECISION, {"code": "4", "log": "targets/us/gate.log"})


def fleet() -> tuple[list[TargetResult], dict[str, Decision]]:
    breach = BREACH
    eu = decision(Verdict.GO, {"t60": Result.PASS, "t0": Result.PASS},
                  [row("t0_a", Result.PASS, "evidence/t0_a.json", "2025-01-01T00:00:01Z"),
                   row("t0_b", Result.PASS, "e/b")])
    tr = decision(Verdict.NO_GO, {"t60": Result.PASS, "t0": Result.FAIL},
                  [row("t0_a", Result.FAIL, "evidence/t0_a.json", "2025-01-01T00:00:02Z")], [breach],
                  [line_failed("t0_a", "held"), trigger_observed(breach), Reason.verbatim("3"), Reason.verbatim("4")])
    decisions = {"eu": eu, "tr": tr}
    targets = [TargetResult.of("eu", 0, 12.34, eu), TargetResult.of("tr", 1, 3.0, tr),
               TargetResult.of("us", 4, 1.0, None, NO_DECISION_4)]
    return targets, decisions


def test_the_targets_decisions_combine_line_by_line_worst_first() -> None:
    targets, decisions = fleet()
    combined = combine(targets, decisions, release_sha="abc", lang="en", decider="IC", env_name="staging")
    assert combined.decision is Verdict.NO_GO and combined.target == "3 targets: eu, tr, us"
    assert combined.phases["t60"] is Result.NOT_RUN and combined.phases["t0"] is Result.FAIL  # us ran nothing
    a, b = combined.checklist
    assert (a.result, a.ref, a.at) == (Result.FAIL, "targets/tr/evidence/t0_a.json", "2025-01-01T00:00:02Z")
    assert a.targets == {"eu": Result.PASS, "tr": Result.FAIL, "us": Result.NOT_RUN}
    assert b.result is Result.NOT_RUN and b.targets == {"eu": Result.PASS, "tr": Result.NOT_RUN, "us": Result.NOT_RUN}
    assert [(t.target, t.row, t.evidence) for t in combined.triggers] == [
        ("tr", "ledger_invariant_breach", "[tr] held 0.00")]
    assert texts(combined.reasons) == [
        "tr: NO-GO; t0_a FAIL: held; trigger ledger_invariant_breach (Ledger invariant breach) -> IMMEDIATE_ROLLBACK: "
        "held 0.00; 3", "us: NO-GO (its run wrote no decision (exit code 4); see targets/us/gate.log)"]
    data = combined.to_json()
    assert list(data) == ["decision", "release_sha", "target", "lang", "decider", "generated_at", "env", "phases",
                          "checklist", "triggers", "reasons", "reason_messages", "targets"]
    assert data["reasons"] == texts(combined.reasons)
    assert [Reason.from_json(r) for r in data["reason_messages"]] == combined.reasons
    assert data["checklist"][0]["targets"] == {"eu": "PASS", "tr": "FAIL", "us": "NOT_RUN"}
    assert data["triggers"][0]["target"] == "tr" and list(data["triggers"][0])[-1] == "target"
    assert data["targets"]["eu"] == {"name": "eu", "decision": "GO", "target": "sandbox", "reports_dir": "targets/eu",
                                     "exit_code": 0, "seconds": 12.3, "phases": {"t60": "PASS", "t0": "PASS"},
                                     "problem": None, "problem_message": None}
    assert data["targets"]["us"]["decision"] == "NO-GO" and data["targets"]["us"]["target"] is None
    assert data["targets"]["us"]["problem"] == "its run wrote no decision (exit code 4); see targets/us/gate.log"


def test_the_fleets_reasons_speak_the_runs_language() -> None:
    """Each target's reason, its problem and its own decision's reasons are messages: Turkish in a Turkish run (the
    line ids, FAIL, NO-GO and the check's own words as they are), English in decision.json whatever the language."""
    targets, decisions = fleet()
    combined = combine(targets, decisions, release_sha="abc", lang="tr", decider="IC", env_name="staging")
    title = TRIGGERS_BY_ID["ledger_invariant_breach"].title("tr")
    assert texts(combined.reasons, "tr") == [
        f"tr: NO-GO; t0_a FAIL: held; tetikleyici ledger_invariant_breach ({title}) -> IMMEDIATE_ROLLBACK: "
        "held 0.00; 3", "us: NO-GO (çalıştırması karar yazmadı (çıkış kodu 4); bkz. targets/us/gate.log)"]
    assert combined.to_json()["reasons"] == texts(combined.reasons, "en")
    md = fleet_report.decision_md(combined)
    assert "- us: NO-GO (çalıştırması karar yazmadı (çıkış kodu 4); bkz. targets/us/gate.log)" in md
    assert "its run wrote no decision" not in md and "trigger ledger_invariant_breach" not in md
    pending = TargetResult.of("eu", 0, 1.0, decision(Verdict.PENDING, {}, [], reasons=[Reason.verbatim("x")]))
    assert texts(combine([pending], {}, release_sha="abc", lang="tr", decider="IC", env_name="staging").reasons,
                 "tr") == ["eu: BEKLEMEDE"]


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "target tr: NO-GO - t0_a FAIL: held; trigger ledger_invariant_breach (Ledger invariant breach) -> "
           "IMMEDIATE_ROLLBACK: held 0.00; 3; 4 (reports: targets/tr/)"),
    ("tr", "hedef tr: NO-GO - t0_a FAIL: held; tetikleyici ledger_invariant_breach ({title}) -> "
           "IMMEDIATE_ROLLBACK: held 0.00; 3; 4 (raporlar: targets/tr/)")])
def test_a_target_that_is_not_go_fails_its_test_saying_why_in_the_runs_language(lang: str, expected: str) -> None:
    targets, decisions = fleet()
    title = TRIGGERS_BY_ID["ledger_invariant_breach"].title(lang)
    assert str(TargetNotGo(targets[1], decisions["tr"], lang)) == expected.format(title=title)
    assert str(TargetNotGo(targets[2], None, lang)) == (
        "target us: NO-GO - its run wrote no decision (exit code 4); see targets/us/gate.log (reports: targets/us/)"
        if lang == "en" else
        "hedef us: NO-GO - çalıştırması karar yazmadı (çıkış kodu 4); bkz. targets/us/gate.log (raporlar: targets/us/)")


def test_a_target_result_and_a_target_decision_read_back_from_their_json() -> None:
    targets, decisions = fleet()
    for target in targets:
        assert TargetResult.from_json(target.to_json()) == target
    tr = decisions["tr"]
    assert decision_from_json(tr.to_json()) == tr
    assert decision_from_json({"decision": "GO"}).decision is Verdict.GO
    # a decision.json without its reasons' records (an earlier gate's) states them in English: shown as they are
    older = decision_from_json({"decision": "NO-GO", "reasons": ["t0_a FAIL: held"]})
    assert older.reasons == [Reason.verbatim("t0_a FAIL: held")] and texts(older.reasons, "tr") == ["t0_a FAIL: held"]
    assert decision_from_json({}).decision is Verdict.NO_GO  # a decision that states no verdict did not decide
    with pytest.raises(ValueError):
        decision_from_json({"decision": "MAYBE"})
    with pytest.raises(ValueError):
        decision_from_json({"decision": "GO", "triggers": [{"row": "x"}]})


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def section(self, title: str, **kwargs: Any) -> None:
        self.lines.append(f"== {title} ==")

    def line(self, text: str, **kwargs: Any) -> None:
        self.lines.append(text)


@pytest.mark.parametrize("lang", ["en", "tr"])
def test_the_fleet_report_and_terminal_lines_come_from_the_templates(lang: str) -> None:
    targets, decisions = fleet()
    combined = combine(targets, decisions, release_sha="abc", lang=lang, decider="IC", env_name="staging")
    md = fleet_report.decision_md(combined)
    assert "| eu | **GO** |" in md and "| tr | **NO-GO** |" in md and "[targets/us/decision.md]" in md
    assert "| tr | ledger_invariant_breach | IMMEDIATE_ROLLBACK |" in md
    tw = Lines()
    fleet_report.summary(tw, combined, Path("/r"))
    assert tw.lines == ["== cutover decision (all targets) ==", "NO-GO  release abc  3 targets: eu, tr, us",
                        "            eu: GO  /r/targets/eu", "            tr: NO-GO  /r/targets/tr",
                        "            us: NO-GO  /r/targets/us  (its run wrote no decision (exit code 4); see "
                        "targets/us/gate.log)"]


def test_a_line_one_target_did_not_run_never_shows_another_targets_pass() -> None:
    first = decision(Verdict.PENDING, {"t0": Result.NOT_RUN}, [row("t0_a", Result.NOT_RUN)])
    second = decision(Verdict.GO, {"t0": Result.PASS}, [row("t0_a", Result.PASS, "evidence/t0_a.json")])
    decisions = {"eu": first, "tr": second}
    targets = [TargetResult.of("eu", 0, 1.0, first), TargetResult.of("tr", 0, 1.0, second)]
    (line,) = combine(targets, decisions, release_sha="abc", lang="en", decider="IC", env_name="staging").checklist
    assert line.result is Result.NOT_RUN and line.targets == {"eu": Result.NOT_RUN, "tr": Result.PASS}
