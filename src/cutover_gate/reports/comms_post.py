"""A gate run's war-room messages, posted to CUTOVER_COMMS_URLS as they happen, and comms.md listing them.

The wiring calls three functions: `open_run` when the run is configured (the controller reads the channels and
registers every part of their URLs with the redactor), `on_report` for every report the controller absorbs, and
`conclude` from finish.py once the decision is on disk. As they happen:

- the cutover start, at the run's first report of a cutover phase (runbook "Cutover start");
- a checkpoint ("Pre-flight PASS", "Deploy+Smoke FAIL" with its failing lines), when the first report of a later
  phase arrives (the scenarios run in the runbook's order), and at the end for the phases still open;
- a progress update when a long run has posted nothing for `update_every_minutes`;
- at the end: the GO-LIVE (GO) or the rollback with its reason (NO-GO), once per release and reason, and a hypercare
  round's summary by the cadence rule (reports/comms_messages.py). A PENDING run's holding update is listed in
  comms.md but not posted: its checkpoints were the run's update (runbook: "every 15 minutes or at checkpoints").

Posting never changes a verdict and never raises: each post is bounded by `post_timeout_s` in a worker thread per
channel (reports/comms_channels.py); the end waits at most that long for what is still queued. A post that failed
is said ("could not post", with the cause) in comms.md and on the terminal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

import pytest

from cutover_gate.config.settings import GateSettings
from cutover_gate.core.catalogue import ALL_PHASES, LINES_BY_ID, PHASES
from cutover_gate.core.clock import iso, parse_iso, utcnow
from cutover_gate.core.redact import REDACTOR
from cutover_gate.decide.rules import Verdict, phase_result
from cutover_gate.evidence.model import Result
from cutover_gate.evidence.results import ScenarioRun, line_results, triggers_of
from cutover_gate.reports import comms_messages as msg
from cutover_gate.reports.comms_channels import Channel, Job, Outcome, Poster, channels_from, quiet_apprise
from cutover_gate.reports.context import ReportContext
from cutover_gate.reports.render import base_view, environment

Say = Callable[[str], None]


class CommsRun:
    """The messages of one gate run and their deliveries."""

    def __init__(self, settings: GateSettings, say: Say | None = None) -> None:
        self.settings = settings
        self.lang = settings.lang
        self.cadence = msg.Cadence.of(settings.cutover.comms)
        secret = settings.secret("comms_urls")
        self.channels: list[Channel] = channels_from(secret.reveal() if secret else None)
        if self.channels:
            quiet_apprise()  # imported before the first scenario, not during it
        self.poster = Poster(self.channels, self.cadence.post_timeout_s)
        self.say = say
        self.messages: list[msg.Message] = []
        self.state = msg.load_state(settings.reports_dir, settings.release_sha)
        self.phases_seen: list[str] = []
        self.checkpoints: dict[str, Result] = {}
        self.start_decided = False
        self.began: datetime | None = None
        self.last_post: datetime | None = None
        """This run's last post: a long run posts a progress update when it has said nothing for a while."""
        self._lock = threading.Lock()
        self._unsaid: list[tuple[msg.Message, msg.Delivery]] = []
        self._said: dict[tuple[str, str], int] = {}
        """(channel, cause) already said on the terminal -> how many later failures of it were not repeated."""

    # -- posting ----------------------------------------------------------------------------------------------------
    def post(self, message: msg.Message) -> msg.Message:
        """List the message; post it to every channel unless it carries a note saying why not."""
        self.messages.append(message)
        if message.note:
            return message
        if not self.channels:
            message.note = "no_channels"
            return message
        self.last_post = utcnow()
        title = REDACTOR.scrub(msg.title(self.lang, self.settings.release_sha, self.settings.env_name))
        body = REDACTOR.scrub(message.body)
        for channel in self.channels:
            delivery = msg.Delivery(channel.label)
            message.deliveries.append(delivery)
            self.poster.submit(channel, Job(title, body, message.level, self._done(message, delivery)))
        return message

    def _done(self, message: msg.Message, delivery: msg.Delivery) -> Callable[[Outcome], None]:
        def done(outcome: Outcome) -> None:
            with self._lock:
                if delivery.status != "pending":
                    return  # the end already called it failed (deadline)
                delivery.status, delivery.cause, delivery.detail, delivery.at = (outcome.status, outcome.cause,
                                                                                  outcome.detail, outcome.at)
                if outcome.status == "failed":
                    self._unsaid.append((message, delivery))
        return done

    def _failure_line(self, message: msg.Message, delivery: msg.Delivery) -> str:
        words = msg.phrases(self.lang)
        cause = str(words.cause(delivery.cause, delivery.detail)).strip()
        return REDACTOR.scrub(str(words.could_not_post(str(words.kind(message.kind)).strip(), message.text,
                                                       delivery.channel, cause)).strip())

    def flush(self, last: bool = False) -> None:
        """Say on the terminal the posts that failed since the last flush: the first failure of a channel for each
        cause; at the end, how many more failed so (comms.md lists every one)."""
        with self._lock:
            failures, self._unsaid = self._unsaid, []
        lines = []
        for message, delivery in failures:
            said = (delivery.channel, delivery.cause)
            if said in self._said:
                self._said[said] += 1
            else:
                self._said[said] = 0
                lines.append(self._failure_line(message, delivery))
        if last:
            words = msg.phrases(self.lang)
            lines += [REDACTOR.scrub(str(words.more_failures(n, channel)).strip())
                      for (channel, _), n in self._said.items() if n]
        if self.say is not None:
            for line in lines:
                self.say(line)

    # -- as the run goes --------------------------------------------------------------------------------------------
    def reported(self, keywords: Iterable[str], runs: Iterable[ScenarioRun]) -> None:
        names = set(keywords)
        phase = next((p for p in ALL_PHASES if p in names), None)
        if phase is None:
            return
        now = utcnow()
        self.began = self.began or now
        if not self.start_decided:
            self.start_decided = True
            if msg.start_due(self.state, phase):
                self.post(msg.start_message(self.lang, self.cadence, iso(now)))
        if phase not in self.phases_seen:
            rank = ALL_PHASES.index(phase)
            earlier = [p for p in self.phases_seen if ALL_PHASES.index(p) < rank]
            if earlier:
                self.checkpoint_phases(earlier, list(runs))
            self.phases_seen.append(phase)
        elif phase in PHASES:
            since = (now - (self.last_post or self.began)).total_seconds() / 60
            if since >= self.cadence.update_every_minutes:
                self.post(msg.progress_message(self.lang, phase, list(self.checkpoints.items()), self.cadence,
                                               iso(now)))
        self.flush()

    def checkpoint_phases(self, phases: Iterable[str], runs: list[ScenarioRun]) -> None:
        results = line_results(runs)
        for phase in phases:
            if phase in PHASES and phase not in self.checkpoints:
                self.checkpoints[phase] = phase_result(phase, results)
                self.post(msg.checkpoint_message(self.lang, phase, results, iso(utcnow())))

    # -- the end ----------------------------------------------------------------------------------------------------
    def conclude(self, ctx: ReportContext, runs: list[ScenarioRun]) -> str:
        this_run = line_results(runs)
        ran = list(dict.fromkeys([*self.phases_seen, *(LINES_BY_ID[lid].phase for lid in this_run
                                                       if lid in LINES_BY_ID)]))
        ran.sort(key=ALL_PHASES.index)
        if not self.start_decided and ran:
            self.start_decided = True
            if msg.start_due(self.state, ran[0]):
                self.post(msg.start_message(self.lang, self.cadence, iso(utcnow())))
        self.checkpoint_phases(ran, runs)
        self.final_messages(ctx, this_run, runs, ran)
        self.poster.close()
        self.settle()
        for message in self.messages:
            msg.record(self.state, message)
        if self.channels:
            msg.save_state(self.settings.reports_dir, self.settings.release_sha, self.state)
        self.flush(last=True)
        return self.render(ctx)

    def final_messages(self, ctx: ReportContext, this_run: dict[str, Any], runs: list[ScenarioRun],
                       ran: list[str]) -> None:
        now = utcnow()
        at = iso(now)
        verdict = ctx.decision.decision
        cutover_ran = any(p in PHASES for p in ran)
        if verdict is Verdict.NO_GO:
            self.decision_event(msg.rollback_message(self.lang, ctx.results, ctx.decision.triggers, at))
        elif verdict is Verdict.GO and cutover_ran:
            self.decision_event(msg.go_live_message(self.lang, at))
        elif verdict is Verdict.PENDING and cutover_ran:
            # listed for the war room; not posted: the run's checkpoints are its update ("or at checkpoints")
            hold = msg.hold_message(self.lang, ctx.decision.phases, ctx.release_sha, self.cadence, at)
            hold.note = "checkpoint_update"
            self.post(hold)
        if "hypercare" in ran:
            live = msg.live_since(verdict, ctx.results, self.state)
            window = self.cadence.window_minutes(live, now)
            hours = (now - live).total_seconds() / 3600 if live is not None else None
            update = msg.hypercare_message(self.lang, this_run, triggers_of(runs), hours, window, at)
            self.by_cadence(update, window)
            self.post(update)

    def decision_event(self, message: msg.Message) -> None:
        if (when := msg.announced(self.state, message.key)) is not None:
            message.note, message.note_args = "announced", when
        self.post(message)

    def by_cadence(self, message: msg.Message, window_minutes: float) -> None:
        due, when = msg.update_due(self.state, message.key, parse_iso(message.at), window_minutes)
        if not due:
            message.note, message.note_args = "cadence", when

    def settle(self) -> None:
        """After the bounded wait: a delivery still pending is failed (the gate's deadline), never waited for."""
        with self._lock:
            for message in self.messages:
                for delivery in message.deliveries:
                    if delivery.status == "pending":
                        delivery.status, delivery.cause = "failed", "deadline"
                        delivery.detail, delivery.at = f"{self.cadence.post_timeout_s:g}", iso(utcnow())
                        self._unsaid.append((message, delivery))

    def view(self) -> dict[str, Any]:
        with self._lock:
            messages = [m.view() for m in self.messages]
        failed = sum(1 for m in messages for d in m["deliveries"] if d["status"] == "failed")
        return {"channels": [c.label for c in self.channels], "messages": messages, "failed": failed,
                "cadence": self.cadence.view()}

    def render(self, ctx: ReportContext) -> str:
        view = {**base_view(ctx), "comms": self.view()}
        return REDACTOR.scrub(environment(ctx.lang).get_template("comms.md.j2").render(view))


# -- the wiring's entry points (run.py, finish.py) ------------------------------------------------------------------
_RUNS: dict[int, CommsRun] = {}
"""The open run of each GateSettings (by identity; the run holds its settings, so the id stays theirs)."""


def terminal_say(config: pytest.Config) -> Say:
    """A line on pytest's terminal (looked up when said: the reporter registers after the gate's configure)."""

    def say(line: str) -> None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        capman = config.pluginmanager.get_plugin("capturemanager")
        suspended: AbstractContextManager[Any] = (capman.global_and_fixture_disabled() if capman is not None
                                                  else nullcontext())
        with suspended:
            reporter.write_line(REDACTOR.scrub(line), yellow=True)
    return say


def open_run(settings: GateSettings, config: pytest.Config) -> None:
    """The controller's run: its channels are read (their URL parts registered with the redactor) before anything."""
    try:
        _RUNS[id(settings)] = CommsRun(settings, terminal_say(config))
    except Exception:  # comms never stop a run: conclude() lists the messages without posting
        _RUNS.pop(id(settings), None)


def on_report(settings: GateSettings, report: Any, runs: Iterable[ScenarioRun]) -> None:
    run = _RUNS.get(id(settings))
    if run is None:
        return
    try:
        run.reported(getattr(report, "keywords", {}) or {}, runs)
    except Exception as exc:  # comms never break a run
        if run.say is not None:
            run.say(REDACTOR.scrub(f"cutover gate: comms: {type(exc).__name__}: {exc}"))


def conclude(settings: GateSettings, ctx: ReportContext, runs: list[ScenarioRun]) -> str | None:
    """Post the run's last messages (bounded), then comms.md with every message and its deliveries; None (comms.md
    as rendered without posting stays) if anything here failed."""
    run = _RUNS.pop(id(settings), None)
    try:
        run = run or CommsRun(settings)
        return run.conclude(ctx, runs)
    except Exception as exc:  # comms never change a verdict
        if run is not None and run.say is not None:
            run.say(REDACTOR.scrub(f"cutover gate: comms: could not post or list the messages: "
                                   f"{type(exc).__name__}: {exc}"))
        return None
