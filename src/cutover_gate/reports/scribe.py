"""The scribe's marks (runbook, war room protocol) placed among a run's step events, for timeline.jsonl.

Each run appends the marks it can vouch for (T-60 pre-flight start/end, T-30 snapshot id, T-15 deploy start/end,
T-10 smoke, T-0 canary, T+15 decision, T+60 first hypercare report) and every step event, in time order, to the
hash-chained timeline of evidence/timeline.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cutover_gate.core.catalogue import LANGS, T15_DEPLOY_COMPLETED, T30_SNAPSHOT_TAKEN, lines_of, smoke_lines
from cutover_gate.core.i18n import N_, translate
from cutover_gate.core.reasons import texts
from cutover_gate.evidence.results import combined, result_of, smoke_result
from cutover_gate.evidence.timeline import append_entries
from cutover_gate.reports.context import ReportContext

SCRIBE_TEXT: dict[str, str] = {
    "preflight_start": N_("Pre-flight start"), "preflight_end": N_("Pre-flight end"),
    "snapshot_recorded": N_("Snapshot ID recorded"), "deploy_start": N_("Deploy start"),
    "deploy_end": N_("Deploy end"), "smoke": N_("Smoke"), "canary": N_("Canary"), "decision": N_("GO/NO-GO decision"),
    "hypercare_report": N_("First hypercare report"),
}
"""Each mark's text in English, the msgid of its Turkish in the message catalogue (`locale/`)."""


# --- entries ---------------------------------------------------------------------------------------------------


def _positions(ctx: ReportContext, line_ids: Iterable[str]) -> list[int]:
    """Indices in `ctx.events` of the steps of these lines."""
    wanted = set(line_ids)
    return [i for i, e in enumerate(ctx.events) if e.line in wanted]


def scribe_entries(ctx: ReportContext) -> list[tuple[float, dict[str, Any]]]:
    """The runbook's scribe marks for what this run did, each with its place among the step events.

    A start mark goes just before the first step of its group, an end mark just after the last one, the decision
    after every step.
    """
    lang = ctx.lang if ctx.lang in LANGS else "en"
    events = ctx.events
    out: list[tuple[float, dict[str, Any]]] = []

    def mark(mark: str, event: str, place: float, at: str, **fields: Any) -> None:
        out.append((place, {"kind": "scribe", "mark": mark, "event": event,
                            "text": translate(lang, SCRIBE_TEXT[event]), "at": at, **fields}))

    def start(index: int) -> tuple[float, str]:
        return index - 0.25, events[index].at

    def end(index: int) -> tuple[float, str]:
        return index + 0.25, events[index].at

    t60 = _positions(ctx, (line.id for line in lines_of("t60")))
    if t60:
        mark("T-60", "preflight_start", *start(t60[0]))
        mark("T-60", "preflight_end", *end(t60[-1]), result=ctx.decision.phases.get("t60"))
    snapshot = _positions(ctx, [T30_SNAPSHOT_TAKEN])
    if snapshot:
        ev = ctx.evidence(T30_SNAPSHOT_TAKEN)
        mark("T-30", "snapshot_recorded", *end(snapshot[-1]),
             result=result_of(ctx.results, T30_SNAPSHOT_TAKEN).value, snapshot_id=ev.get("snapshot_id"),
             snapshot_path=ev.get("snapshot_path"), sha256=ev.get("sha256"))
    deploy = _positions(ctx, (line.id for line in lines_of("t15") if line.parent is None))
    if deploy:
        mark("T-15", "deploy_start", *start(deploy[0]))
        mark("T-15", "deploy_end", *end(deploy[-1]), result=result_of(ctx.results, T15_DEPLOY_COMPLETED).value)
    smoke = _positions(ctx, (line.id for line in smoke_lines()))
    if smoke:
        mark("T-10", "smoke", *end(smoke[-1]), result=smoke_result(ctx.results).value)
    canary = _positions(ctx, (line.id for line in lines_of("t0")))
    if canary:
        mark("T-0", "canary", *end(canary[-1]), result=ctx.decision.phases.get("t0"))
    hypercare = [line.id for line in lines_of("hypercare")]
    hc = _positions(ctx, hypercare)
    if hc:
        mark("T+60", "hypercare_report", *end(hc[-1]),
             result=combined(result_of(ctx.results, lid) for lid in hypercare if lid in ctx.results).value)
    mark("T+15", "decision", len(events), ctx.decision.generated_at, decision=ctx.decision.decision.value,
         reasons=texts(ctx.decision.reasons, lang))
    return out


def step_entries(ctx: ReportContext) -> list[tuple[float, dict[str, Any]]]:
    return [(float(i), {"kind": "step", "at": e.at, "line": e.line, "step": e.step, "status": e.status,
                        "message": e.said(ctx.lang), "nodeid": e.nodeid}) for i, e in enumerate(ctx.events)]


def timeline_entries(ctx: ReportContext) -> list[dict[str, Any]]:
    """Step events in their order, the scribe marks placed among them, the decision last."""
    common = {"run_id": ctx.run_id, "release_sha": ctx.release_sha}
    placed = sorted(step_entries(ctx) + scribe_entries(ctx), key=lambda pair: pair[0])
    return [{**entry, **common} for _, entry in placed]


def append_timeline(ctx: ReportContext, path: Path) -> None:
    """Append this run's scribe entries and step events to the hash-chained timeline."""
    append_entries(path, timeline_entries(ctx))
