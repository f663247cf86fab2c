"""The end of a gate run: this run's results -> the cutover record -> the decision -> every artifact.

Fail closed: if anything here raises, decision.json still gets written, saying NO-GO and why.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from cutover_gate.config.settings import GateSettings
from cutover_gate.core.catalogue import ALL_PHASES, LINES_BY_ID, T0_CANARY_REPORT
from cutover_gate.core.clock import iso, utcnow
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Kind, Reason
from cutover_gate.core.redact import REDACTOR
from cutover_gate.decide.completion import Completion, completion
from cutover_gate.decide.derived import canary_report_line
from cutover_gate.decide.rules import Decision, Verdict, decide
from cutover_gate.evidence import timeline
from cutover_gate.evidence.history import CutoverRecord
from cutover_gate.evidence.model import LineResult, TriggerObservation
from cutover_gate.evidence.results import ScenarioRun, line_results, triggers_of
from cutover_gate.reports import allure_results, comms_post, render, scribe
from cutover_gate.reports.context import ReportContext
from cutover_gate.reports.writer import EVIDENCE_DIR, evidence_files, executor_name, write_json, write_text

TIMELINE = "timeline.jsonl"
UNBOUNDED_H = dict.fromkeys(ALL_PHASES, 24.0 * 365 * 100)
"""Go-live completion counts what happened whenever it happened: no phase window (a later earlier-phase run still
overtakes a result)."""
INTERNAL_ERROR = N_("gate internal error: %(error)s")


def finish(settings: GateSettings, runs: list[ScenarioRun], alluredir: Path | None = None) -> Decision:
    reports = settings.reports_dir
    run_id = uuid.uuid4().hex[:12]
    this_run = line_results(runs)
    triggers = triggers_of(runs)
    results: dict[str, LineResult] = dict(this_run)
    all_triggers = list(triggers)
    record: CutoverRecord | None = None
    if settings.release_sha:
        record = CutoverRecord.load(reports)
        record.update(settings.release_sha, this_run, triggers, run_id)
        record.save()
    refs = evidence_files(reports, runs, this_run)
    if record is not None and settings.release_sha:
        results, all_triggers = record.results_for(settings.release_sha, settings.record_windows)
        for lid, res in this_run.items():  # a NOT_RUN of this run keeps its reason (the record stores no NOT_RUN)
            results.setdefault(lid, res)
        for lid in results:
            if lid not in refs and (reports / EVIDENCE_DIR / f"{lid}.json").is_file():
                refs[lid] = f"{EVIDENCE_DIR}/{lid}.json"
    results[T0_CANARY_REPORT] = canary_report_line(results)
    done = go_live_completion(record, settings, this_run, triggers)
    decision = decide(results, all_triggers, release_sha=settings.release_sha, target=settings.target_name,
                      lang=settings.lang, decider=settings.decider, env_name=settings.env_name,
                      selected_phases={LINES_BY_ID[lid].phase for lid in this_run if lid in LINES_BY_ID}, refs=refs)
    ctx = ReportContext(decision=decision, lang=settings.lang, env_name=settings.env_name, target=decision.target,
                        release_sha=settings.release_sha, decider=settings.decider, executor=executor_name(),
                        run_id=run_id, owners=dict(settings.cutover.owners), results=results,
                        events=sorted((s for run in runs for s in run.steps), key=lambda s: s.at), refs=refs,
                        reports_dir=reports, completion=done, profile=settings.profile)
    scribe.append_timeline(ctx, reports / TIMELINE)
    anchor = timeline.anchor(reports / TIMELINE)  # kept in the reports: a timeline cut short is detected
    write_json(reports / "decision.json", {**decision.to_json(), "completion": done.to_json(settings.lang),
                                           "timeline": anchor})
    write_json(reports / "checklist.json", {"release_sha": settings.release_sha, "lang": settings.lang,
                                            "generated_at": decision.generated_at,
                                            "checklist": [row.to_json() for row in decision.checklist],
                                            "timeline": anchor})
    # the JSON decision is on disk before any template renders: a template error cannot hide it
    for name, text in render.render_all(ctx).items():
        write_text(reports / name, text)
    if alluredir is not None:
        allure_results.write_allure_extras(alluredir, ctx)
    # comms: post the run's last messages (bounded by [comms] post_timeout_s) once every other artifact is on disk, so
    # a chat service that is down delays none of them; comms.md is rewritten with each message and its deliveries
    if (comms_md := comms_post.conclude(settings, ctx, runs)) is not None:
        write_text(reports / "comms.md", comms_md)
    return decision


def go_live_completion(record: CutoverRecord | None, settings: GateSettings, this_run: dict[str, LineResult],
                       triggers: list[TriggerObservation]) -> Completion:
    """The runbook's go-live completion criteria over the release's whole record (this run's alone without a SHA)."""
    if record is None or not settings.release_sha:
        results, seen = dict(this_run), list(triggers)
    else:
        results, seen = record.results_for(settings.release_sha, UNBOUNDED_H)
    results[T0_CANARY_REPORT] = canary_report_line(results)
    return completion(results, seen)


def fail_closed(settings: GateSettings, error: BaseException) -> Decision:
    """The plugin itself failed: the decision is NO-GO, stated with the cause."""
    reason = Reason(INTERNAL_ERROR, {"error": REDACTOR.scrub(f"{type(error).__name__}: {error}")}, Kind.ERROR)
    decision = Decision(decision=Verdict.NO_GO, release_sha=settings.release_sha, target=settings.target_name,
                        lang=settings.lang, decider=settings.decider, generated_at=iso(utcnow()),
                        env_name=settings.env_name, phases={}, checklist=[], triggers=[], reasons=[reason],
                        selected_phases=[])
    write_json(settings.reports_dir / "decision.json", decision.to_json())
    return decision
