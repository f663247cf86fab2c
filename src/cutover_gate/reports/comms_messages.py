"""The runbook's communication plan as messages: what the war room is told, and when an update is due.

Python derives the facts (the phase and its result, the failing lines, the rollback's reason, a hypercare round's
status); the sentences are the macros of `templates/comms_phrases.j2`, the runbook's own wording in English
and in Turkish. Every text passes through the redactor before it is posted or written.

When (runbook "Update cadence"): the cutover start, each checkpoint, the GO-LIVE and a rollback are events, posted as
they happen (a GO-LIVE or a rollback once per release and reason: `comms_state.json` in the reports dir keeps what
was posted). An update (a hypercare round; a long run's progress when it has said nothing for the window) is posted
when its content changed since the last update, or when the cadence window has passed since the last post:
`[comms] update_every_minutes` before go-live, `first_hours_every_minutes` in the first `first_hours` after it,
`later_every_minutes` later.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cutover_gate.checks.hypercare.rounds import WatchRound
from cutover_gate.config.cutover_file import CommsFile
from cutover_gate.core.catalogue import HC_FIRST_6H_WATCH, LINES_BY_ID, PHASES, TRIGGERS_BY_ID, Action, Line, lines_of
from cutover_gate.core.clock import iso, parse_time
from cutover_gate.core.redact import REDACTOR
from cutover_gate.decide.rules import Verdict, phase_result
from cutover_gate.evidence.model import LineResult, Result, TriggerObservation
from cutover_gate.reports.render import environment, last_at, one_line, word
from cutover_gate.reports.writer import write_json

STATE_FILE = "comms_state.json"
EVENTS = ("start", "checkpoint", "go_live", "rollback")
UPDATES = ("progress", "hold", "hypercare")
DETAIL_MAX = 240
DETAILS_MAX = 10
REASON_ITEMS = 6


@dataclass(frozen=True)
class Cadence:
    update_every_minutes: float = 15.0
    first_hours: float = 2.0
    first_hours_every_minutes: float = 30.0
    later_every_minutes: float = 60.0
    post_timeout_s: float = 5.0

    @classmethod
    def of(cls, comms: CommsFile) -> Cadence:
        return cls(comms.update_every_minutes, comms.first_hours, comms.first_hours_every_minutes,
                   comms.later_every_minutes, comms.post_timeout_s)

    def window_minutes(self, live_since: datetime | None, now: datetime) -> float:
        """How long after a post the next update is due: before go-live the cutover's cadence, then the first
        hours' and later the hourly summary's."""
        if live_since is None:
            return self.update_every_minutes
        hours = (now - live_since).total_seconds() / 3600
        return self.first_hours_every_minutes if hours < self.first_hours else self.later_every_minutes

    def view(self) -> dict[str, str]:
        return {k: f"{v:g}" for k, v in self.__dict__.items()}


@dataclass
class Delivery:
    """A message's outcome on one channel (named masked): pending, sent or failed (cause, detail)."""

    channel: str
    status: str = "pending"
    cause: str = ""
    detail: str = ""
    at: str = ""


@dataclass
class Message:
    kind: str
    text: str
    at: str
    details: list[str] = field(default_factory=list)
    key: str = ""
    """What the message says, without its clock: an update whose key is unchanged is not repeated in its window."""
    level: str = "info"
    note: str = ""
    """Why it was not posted: no_channels, cadence, announced, checkpoint_update."""
    note_args: dict[str, str] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n".join([self.text, *(f"- {d}" for d in self.details)])

    @property
    def sent(self) -> bool:
        return any(d.status == "sent" for d in self.deliveries)

    def view(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "at": self.at, "details": list(self.details),
                "note": self.note, "note_args": dict(self.note_args),
                "deliveries": [dict(d.__dict__) for d in self.deliveries]}


# --- wording -------------------------------------------------------------------------------------------------------


def phrases(lang: str) -> Any:
    return environment(lang).get_template("comms_phrases.j2").module


def say(lang: str, macro: str, *args: Any) -> str:
    """One sentence of comms_phrases.j2, on one line and redacted."""
    return REDACTOR.scrub(one_line(str(getattr(phrases(lang), macro)(*args))))


def _clip(text: str | None, limit: int = DETAIL_MAX) -> str:
    text = REDACTOR.scrub(one_line(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _capped(lang: str, items: list[str], limit: int) -> list[str]:
    if len(items) <= limit:
        return items
    return [*items[:limit], say(lang, "more", len(items) - limit)]


def title(lang: str, release_sha: str | None, env: str) -> str:
    return say(lang, "title", release_sha or "", env.upper())


# --- the messages --------------------------------------------------------------------------------------------------


def start_message(lang: str, cadence: Cadence, at: str) -> Message:
    return Message("start", say(lang, "start", cadence.view()["update_every_minutes"]), at, key="start")


def checkpoint_message(lang: str, phase: str, results: Mapping[str, LineResult], at: str) -> Message:
    """A phase's checkpoint ("Deploy+Smoke FAIL") from this run's results, with its failing lines (or the mandatory
    lines not run, and why)."""
    result = phase_result(phase, results)
    lines = lines_of(phase)
    rows: list[tuple[Line, LineResult | None]]
    if result is Result.FAIL:
        rows = [(line, results[line.id]) for line in lines
                if line.id in results and results[line.id].result is Result.FAIL]
    elif result is Result.NOT_RUN:
        rows = [(line, results.get(line.id)) for line in lines
                if line.mandatory and not (line.id in results and results[line.id].result.ok)]
    else:
        rows = []
    details = [say(lang, "line", line.id, word(res.result if res else Result.NOT_RUN, lang), line.title(lang),
                   _clip(res.said(lang) if res else "")) for line, res in rows]
    level = {Result.PASS: "success", Result.FAIL: "failure"}.get(result, "warning")
    return Message("checkpoint", say(lang, "checkpoint", phase, word(result, lang)), at,
                   _capped(lang, details, DETAILS_MAX), key=f"checkpoint:{phase}:{result.value}", level=level)


def progress_message(lang: str, phase: str, so_far: list[tuple[str, Result]], cadence: Cadence, at: str) -> Message:
    done = [say(lang, "checkpoint", p, word(r, lang)) for p, r in so_far]
    return Message("progress", say(lang, "progress", phase, done, cadence.view()["update_every_minutes"]), at,
                   key=f"progress:{phase}:{done}")


def rollback_causes(results: Mapping[str, LineResult], triggers: Iterable[TriggerObservation]
                    ) -> tuple[list[str], list[TriggerObservation]]:
    """The failing lines (runbook order) and the IMMEDIATE_ROLLBACK triggers (one per row) behind a NO-GO."""
    failed = [lid for lid in LINES_BY_ID if lid in results and results[lid].result is Result.FAIL]
    rows: dict[str, TriggerObservation] = {}
    for t in triggers:
        if t.action is Action.IMMEDIATE_ROLLBACK:
            rows.setdefault(t.row, t)
    return failed, list(rows.values())


def rollback_message(lang: str, results: Mapping[str, LineResult], triggers: Iterable[TriggerObservation],
                     at: str) -> Message:
    """"Rollback triggered. Reason: [X]. Restore in progress." X names the failing lines and the triggers."""
    failed, rows = rollback_causes(results, triggers)
    items = [say(lang, "reason_line", lid, LINES_BY_ID[lid].title(lang)) for lid in failed]
    items += [say(lang, "reason_trigger", t.row, _row_title(t.row, lang)) for t in rows]
    reason = "; ".join(_capped(lang, items, REASON_ITEMS)) or say(lang, "no_reason")
    details = [say(lang, "line", lid, word(Result.FAIL, lang), LINES_BY_ID[lid].title(lang),
                   _clip(results[lid].said(lang))) for lid in failed]
    details += [say(lang, "trigger", t.row, _row_title(t.row, lang), t.action, _clip(t.said(lang)), t.decide_by or "")
                for t in rows]
    key = "rollback:" + ",".join([*failed, *(t.row for t in rows)])
    return Message("rollback", say(lang, "rollback", reason), at, _capped(lang, details, DETAILS_MAX), key=key,
                   level="failure")


def _row_title(row: str, lang: str) -> str:
    return TRIGGERS_BY_ID[row].title(lang) if row in TRIGGERS_BY_ID else row


def go_live_message(lang: str, at: str) -> Message:
    return Message("go_live", say(lang, "go_live"), at, key="go_live", level="success")


def hold_message(lang: str, phases: Mapping[str, Result], release_sha: str | None, cadence: Cadence,
                 at: str) -> Message:
    """No decision yet: which checkpoints are not PASS, and when the next update comes."""
    open_ = [say(lang, "checkpoint", p, word(r, lang)) for p, r in phases.items() if p in PHASES and r != Result.PASS]
    return Message("hold", say(lang, "hold", open_, not release_sha, cadence.view()["update_every_minutes"]), at,
                   key=f"hold:{open_}:{bool(release_sha)}", level="warning")


def hypercare_message(lang: str, this_run: Mapping[str, LineResult], triggers: Iterable[TriggerObservation],
                      hours: float | None, next_minutes: float, at: str) -> Message:
    """A hypercare round's summary: OK, MONITOR or ACTION REQUIRED (the control report's words), its failing lines,
    the rows it raised and the round's key figures."""
    hc = [line for line in lines_of("hypercare") if line.id in this_run]
    failed = [line for line in hc if this_run[line.id].result is Result.FAIL]
    raised: dict[str, TriggerObservation] = {}
    for t in triggers:
        raised.setdefault(t.row, t)
    rollback = any(t.action is Action.IMMEDIATE_ROLLBACK for t in raised.values())
    status = "ACTION" if failed or rollback else "WATCH" if raised else "OK"
    hypercare_words: Any = environment(lang).get_template("hypercare_phrases.j2").module
    status_word = one_line(str(hypercare_words.status(status)))
    details = [say(lang, "line", line.id, word(Result.FAIL, lang), line.title(lang),
                   _clip(this_run[line.id].said(lang))) for line in failed]
    details += [say(lang, "trigger", t.row, _row_title(t.row, lang), t.action, _clip(t.said(lang)), "")
                for t in raised.values()]
    watch = this_run.get(HC_FIRST_6H_WATCH)
    figures = watch.evidence.get("round") if watch else None
    if isinstance(figures, dict):
        details.append(say(lang, "figures", WatchRound.from_json(figures)))
    text = say(lang, "hypercare", "" if hours is None else f"{hours:.1f}", status_word, f"{next_minutes:g}")
    key = f"hypercare:{status}:{[line.id for line in failed]}:{sorted(raised)}"
    level = {"OK": "success", "WATCH": "warning"}.get(status, "failure")
    return Message("hypercare", text, at, _capped(lang, details, DETAILS_MAX), key=key, level=level)


def live_since(verdict: Verdict, results: Mapping[str, LineResult], state: Mapping[str, Any]) -> datetime | None:
    """When the release went live: the GO-LIVE posted for it, else T-0 (the canary's last result) when it is GO."""
    posted = parse_time((state.get("decision") or {}).get("at")) if (state.get("decision") or {}).get("key") \
        == "go_live" else None
    if posted is not None:
        return posted
    if verdict is Verdict.GO:
        return parse_time(last_at(results, (line.id for line in lines_of("t0"))))
    return None


# --- the cadence and the record of what was posted -----------------------------------------------------------------


def update_due(state: Mapping[str, Any], key: str, now: datetime, window_minutes: float
               ) -> tuple[bool, dict[str, str]]:
    """An update is due when none was posted for the release, when its content changed since the last one, or when
    the cadence window has passed since the last post; otherwise (False, when the last post was and the next is due)."""
    last = state.get("update") or {}
    last_post = parse_time(state.get("last_post_at"))
    if not last or last.get("key") != key or last_post is None:
        return True, {}
    due_at = last_post + timedelta(minutes=window_minutes)
    if now >= due_at:
        return True, {}
    return False, {"last": iso(last_post), "next": iso(due_at), "minutes": f"{window_minutes:g}"}


def start_due(state: Mapping[str, Any], first_phase: str | None) -> bool:
    """The cutover start is announced by a run that starts at T-60, or by the first run of the release that runs any
    cutover phase."""
    return first_phase in PHASES and (first_phase == PHASES[0] or not state.get("started_at"))


def announced(state: Mapping[str, Any], key: str) -> dict[str, str] | None:
    """The same GO-LIVE or rollback already posted for the release: (when), else None."""
    decision = state.get("decision") or {}
    return {"at": str(decision.get("at", ""))} if decision.get("key") == key else None


def record(state: dict[str, Any], message: Message) -> None:
    """What a message posted to at least one channel leaves in the release's comms state."""
    if not message.sent:
        return
    state["last_post_at"] = message.at
    if message.kind == "start":
        state["started_at"] = message.at
    elif message.kind in ("go_live", "rollback"):
        state["decision"] = {"key": message.key, "at": message.at}
    elif message.kind in UPDATES:
        state["update"] = {"key": message.key, "at": message.at}


def state_key(release_sha: str | None) -> str:
    return release_sha or "unpinned"


def load_state(reports_dir: Path, release_sha: str | None) -> dict[str, Any]:
    try:
        data = json.loads((reports_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entry = data.get(state_key(release_sha)) if isinstance(data, dict) else None
    return dict(entry) if isinstance(entry, dict) else {}


def save_state(reports_dir: Path, release_sha: str | None, state: Mapping[str, Any]) -> None:
    try:
        data = json.loads((reports_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data[state_key(release_sha)] = dict(state)
    write_json(reports_dir / STATE_FILE, data)
