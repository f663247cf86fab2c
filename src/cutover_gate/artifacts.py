"""End of a gate run: results -> record -> decision -> every artifact in the reports dir.

Fail closed: if anything here raises, decision.json still gets written, saying NO-GO and why.
"""

from __future__ import annotations

import getpass
import json
import os
import uuid
from pathlib import Path
from typing import Any

from .catalogue import LINES_BY_ID
from .collect import ScenarioRun, line_results, triggers_of
from .context import ReportContext
from .decision import decide
from .model import Decision, LineResult, Result, Verdict, iso, utcnow
from .record import Record
from .secrets import REDACTOR
from .settings import GateSettings

EVIDENCE_DIR = "evidence"


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(REDACTOR.scrub_obj(data), indent=2, ensure_ascii=False, default=str)
    path.write_text(text + "\n", encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(REDACTOR.scrub(text), encoding="utf-8")


def scrub_tree(directory: Path) -> None:
    """Second line of defence for files other plugins wrote (Allure results): mask any secret that slipped in."""
    if not directory.is_dir():
        return
    for path in directory.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".txt", ".properties", ".xml", ".html"):
            text = path.read_text(encoding="utf-8", errors="replace")
            clean = REDACTOR.scrub(text)
            if clean != text:
                path.write_text(clean, encoding="utf-8")


def evidence_files(reports_dir: Path, runs: list[ScenarioRun], http: dict[str, list[dict[str, Any]]],
                   results: dict[str, LineResult]) -> dict[str, str]:
    """One JSON file per line this run touched: its result, steps, evidence and redacted HTTP exchanges."""
    refs: dict[str, str] = {}
    for lid, res in results.items():
        steps = [s.__dict__ for run in runs for s in run.steps
                 if s.line == lid or (s.line is None and lid in run.lines)]
        exchanges = [ex for nodeid in res.nodeids for ex in http.get(nodeid, []) if ex.get("line") in (lid, None)]
        rel = f"{EVIDENCE_DIR}/{lid}.json"
        write_json(reports_dir / rel, {"line": lid, "title": LINES_BY_ID[lid].title_en if lid in LINES_BY_ID else lid,
                                       "result": res.to_json(), "steps": steps, "http": exchanges})
        refs[lid] = rel
    return refs


MONEY_LOOP = ("t0_deposit", "t0_withdraw_request", "t0_admin_approve", "t0_mark_paid", "t0_ledger_settlement")
REPORT_FIELDS = ("canary_player_id", "deposit_tx_id", "withdraw_tx_id", "approved_at", "paid_at", "held_final",
                 "available_final")


def canary_report_line(results: dict[str, LineResult]) -> LineResult:
    """Checklist 'Canary report completed': every money-loop line PASS and every field of the report filled."""
    loop = [results.get(lid) for lid in MONEY_LOOP]
    ran = [r for r in loop if r is not None and r.result is not Result.NOT_RUN]
    if not ran:
        return LineResult("t0_canary_report", Result.NOT_RUN, message="the canary money loop has not run")
    at = max((r.at for r in ran if r.at), default=None)
    fields: dict[str, Any] = {}
    for r in ran:
        fields.update(r.evidence)
    missing = [f for f in REPORT_FIELDS if fields.get(f) in (None, "")]
    not_pass = [lid for lid, r in zip(MONEY_LOOP, loop, strict=True) if r is None or r.result is not Result.PASS]
    if not_pass or missing:
        why = []
        if not_pass:
            why.append("money-loop lines not PASS: " + ", ".join(not_pass))
        if missing:
            why.append("report fields without evidence: " + ", ".join(missing))
        return LineResult("t0_canary_report", Result.FAIL, at=at, message="; ".join(why))
    return LineResult("t0_canary_report", Result.PASS, at=at, evidence={"canary_report": "canary_report.md"})


def executor_name() -> str:
    try:
        return os.environ.get("CUTOVER_EXECUTOR") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def finish(settings: GateSettings, runs: list[ScenarioRun], http: dict[str, list[dict[str, Any]]],
           alluredir: Path | None = None) -> Decision:
    reports = settings.reports_dir
    run_id = uuid.uuid4().hex[:12]
    this_run = line_results(runs)
    triggers = triggers_of(runs)
    results: dict[str, LineResult] = dict(this_run)
    all_triggers = list(triggers)
    if settings.release_sha:
        record = Record.load(reports)
        record.update(settings.release_sha, this_run, triggers, run_id)
        record.save()
    refs = evidence_files(reports, runs, http, this_run)
    if settings.release_sha:
        windows = settings.cutover.get("record", {}).get("window_hours", {})
        results, all_triggers = record.results_for(settings.release_sha, windows)
        for lid, res in this_run.items():  # a NOT_RUN of this run keeps its reason (the record stores no NOT_RUN)
            results.setdefault(lid, res)
        for lid in results:
            if lid not in refs and (reports / EVIDENCE_DIR / f"{lid}.json").is_file():
                refs[lid] = f"{EVIDENCE_DIR}/{lid}.json"
    results["t0_canary_report"] = canary_report_line(results)
    decision = decide(results, all_triggers, release_sha=settings.release_sha,
                      target=settings.target_url or "embedded sandbox", lang=settings.lang,
                      decider=settings.decider, env_name=settings.env_name,
                      selected_phases={LINES_BY_ID[lid].phase for lid in this_run if lid in LINES_BY_ID}, refs=refs)
    ctx = ReportContext(decision=decision, lang=settings.lang, env_name=settings.env_name, target=decision.target,
                        release_sha=settings.release_sha, decider=settings.decider, executor=executor_name(),
                        run_id=run_id, owners=dict(settings.cutover.get("owners", {})), results=results,
                        events=sorted((s for run in runs for s in run.steps), key=lambda s: s.at), refs=refs,
                        reports_dir=reports)
    write_json(reports / "decision.json", decision.to_json())
    write_json(reports / "checklist.json", {"release_sha": settings.release_sha, "lang": settings.lang,
                                            "generated_at": decision.generated_at, "checklist": decision.checklist})
    from . import render  # rendering is separate so a template error cannot hide the JSON decision

    for name, text in render.render_all(ctx).items():
        write_text(reports / name, text)
    render.append_timeline(ctx, reports / "timeline.jsonl")
    if alluredir is not None:
        from .allure_report import write_allure_extras

        write_allure_extras(alluredir, ctx)
    return decision


def fail_closed(settings: GateSettings, error: BaseException) -> Decision:
    """The plugin itself failed: the decision is NO-GO, stated with the cause."""
    message = REDACTOR.scrub(f"gate internal error: {type(error).__name__}: {error}")
    decision = Decision(decision=Verdict.NO_GO, release_sha=settings.release_sha,
                        target=settings.target_url or "embedded sandbox", lang=settings.lang,
                        decider=settings.decider, generated_at=iso(utcnow()), env_name=settings.env_name,
                        phases={}, checklist=[], triggers=[], reasons=[message], selected_phases=[])
    write_json(settings.reports_dir / "decision.json", decision.to_json())
    return decision
