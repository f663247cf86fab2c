"""The scribe's timeline (runbook, war room protocol): `timeline.jsonl`, append-only across runs and hash-chained.

One JSON object per line. `seq` numbers the lines from 1 across runs; `prev` is the sha256 hex of the previous line's
exact bytes (64 zeros for the first line); `hash` is the sha256 of the entry itself (canonical JSON without `hash`).
An edited line fails its own `hash`; an edited line whose `hash` was recomputed fails the next line's `prev`; a removed
or inserted line breaks `seq`. Either way `verify_chain` names the line. Truncating the newest lines cannot be told
from a shorter timeline without an anchor kept elsewhere.

Each run appends the scribe marks it can vouch for (T-60 pre-flight start/end, T-30 snapshot id, T-15 deploy
start/end, T-10 smoke, T-0 canary, T+15 decision, T+60 first hypercare report) and every step event, in time order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .catalogue import lines_of
from .context import ReportContext
from .render import SMOKE_LINES, combined, result_of, smoke_result
from .secrets import REDACTOR

GENESIS = "0" * 64

SCRIBE_TEXT: dict[str, dict[str, str]] = {
    "en": {"preflight_start": "Pre-flight start", "preflight_end": "Pre-flight end",
           "snapshot_recorded": "Snapshot ID recorded", "deploy_start": "Deploy start", "deploy_end": "Deploy end",
           "smoke": "Smoke", "canary": "Canary", "decision": "GO/NO-GO decision",
           "hypercare_report": "First hypercare report"},
    "tr": {"preflight_start": "Pre-flight Başlangıç", "preflight_end": "Pre-flight Bitiş",
           "snapshot_recorded": "Snapshot ID kaydedildi", "deploy_start": "Deploy Başlangıç",
           "deploy_end": "Deploy Bitiş", "smoke": "Smoke", "canary": "Canary", "decision": "GO/NO-GO Kararı",
           "hypercare_report": "İlk Hypercare Raporu"},
}


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
    text = SCRIBE_TEXT.get(ctx.lang, SCRIBE_TEXT["en"])
    events = ctx.events
    out: list[tuple[float, dict[str, Any]]] = []

    def mark(mark: str, event: str, place: float, at: str, **fields: Any) -> None:
        out.append((place, {"kind": "scribe", "mark": mark, "event": event, "text": text[event], "at": at,
                            **fields}))

    def start(index: int) -> tuple[float, str]:
        return index - 0.25, events[index].at

    def end(index: int) -> tuple[float, str]:
        return index + 0.25, events[index].at

    t60 = _positions(ctx, (line.id for line in lines_of("t60")))
    if t60:
        mark("T-60", "preflight_start", *start(t60[0]))
        mark("T-60", "preflight_end", *end(t60[-1]), result=ctx.decision.phases.get("t60"))
    snapshot = _positions(ctx, ["t30_snapshot_taken"])
    if snapshot:
        ev = ctx.evidence("t30_snapshot_taken")
        mark("T-30", "snapshot_recorded", *end(snapshot[-1]),
             result=result_of(ctx.results, "t30_snapshot_taken").value, snapshot_id=ev.get("snapshot_id"),
             snapshot_path=ev.get("snapshot_path"), sha256=ev.get("sha256"))
    deploy = _positions(ctx, (line.id for line in lines_of("t15") if line.parent is None))
    if deploy:
        mark("T-15", "deploy_start", *start(deploy[0]))
        mark("T-15", "deploy_end", *end(deploy[-1]), result=result_of(ctx.results, "t15_deploy_completed").value)
    smoke = _positions(ctx, (line.id for line in SMOKE_LINES))
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
         reasons=list(ctx.decision.reasons))
    return out


def step_entries(ctx: ReportContext) -> list[tuple[float, dict[str, Any]]]:
    return [(float(i), {"kind": "step", "at": e.at, "line": e.line, "step": e.step, "status": e.status,
                        "message": e.message, "nodeid": e.nodeid}) for i, e in enumerate(ctx.events)]


def timeline_entries(ctx: ReportContext) -> list[dict[str, Any]]:
    """Step events in their order, the scribe marks placed among them, the decision last."""
    common = {"run_id": ctx.run_id, "release_sha": ctx.release_sha}
    placed = sorted(step_entries(ctx) + scribe_entries(ctx), key=lambda pair: pair[0])
    return [{**entry, **common} for _, entry in placed]


# --- the chain -------------------------------------------------------------------------------------------------


def line_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def entry_digest(entry: Mapping[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    return lines[:-1] if lines and lines[-1] == b"" else lines


def _tail(path: Path) -> tuple[str, int, bool]:
    """(prev for the next line, its seq, whether the file lacks a final newline)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return GENESIS, 1, False
    lines = _lines(data)
    if not lines:
        return GENESIS, 1, False
    try:
        seq = int(json.loads(lines[-1])["seq"]) + 1
    except (ValueError, KeyError, TypeError):
        seq = len(lines) + 1  # an unreadable last line: continue anyway; verify_chain reports it
    return line_digest(lines[-1]), seq, not data.endswith(b"\n")


def append_entries(path: Path, entries: Iterable[Mapping[str, Any]]) -> int:
    """Append `entries` to the chain at `path` (created if missing), redacted; answers how many lines were written."""
    prev, seq, newline_missing = _tail(path)
    chunks: list[bytes] = [b"\n"] if newline_missing else []
    for entry in entries:
        body = {"seq": seq, "prev": prev, **REDACTOR.scrub_obj(dict(entry))}
        body["hash"] = entry_digest(body)
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        chunks.append(raw + b"\n")
        prev, seq = line_digest(raw), seq + 1
    written = len(chunks) - (1 if newline_missing else 0)
    if written:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as fh:
            fh.write(b"".join(chunks))
    return written


def append_timeline(ctx: ReportContext, path: Path) -> None:
    append_entries(path, timeline_entries(ctx))


def verify_chain(path: Path) -> tuple[bool, int | None, str]:
    """(ok, first broken line number (1-based) or None, message). Raises OSError when the file cannot be read."""
    lines = _lines(path.read_bytes())
    prev_raw: bytes | None = None
    for number, raw in enumerate(lines, start=1):
        try:
            entry = json.loads(raw)
        except ValueError:
            return False, number, "not valid JSON"
        if not isinstance(entry, dict) or not {"seq", "prev", "hash"} <= entry.keys():
            return False, number, "not a timeline entry (seq, prev and hash are required)"
        if entry["hash"] != entry_digest(entry):
            return False, number, "content does not match its hash: the line was edited"
        if entry["seq"] != number:
            return False, number, (f"seq is {entry['seq']}, expected {number}: "
                                   "a line before it was removed or inserted")
        expected = GENESIS if prev_raw is None else line_digest(prev_raw)
        if entry["prev"] != expected:
            if prev_raw is None:
                return False, number, "the first line does not start the chain (prev is not 64 zeros)"
            return False, number - 1, (f"line {number - 1} was changed after line {number} was written "
                                       f"(line {number}'s prev no longer matches it)")
        prev_raw = raw
    return True, None, f"{len(lines)} lines, chain intact"
