"""Live progress of a gate run in the terminal, in the run's language: the phase, the scenario, each step's PASS or
FAIL, the elapsed time and the decision so far.

It replaces pytest's progress dots for the gate's tests (their outcome still counts in pytest's summary). Lines are
plain: colour only where pytest's terminal writer has markup (a TTY), never a cursor movement, so a CI log reads the
same as a terminal. Without xdist every step shows as it ends; under xdist the steps of a scenario come with its
report from the worker and show then. `-q` keeps one line per scenario; `-qq` turns it off. The wording is in
`templates/terminal.j2`.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cutover_gate.core.catalogue import ALL_PHASES, T0_CANARY_REPORT
from cutover_gate.core.redact import REDACTOR
from cutover_gate.decide.derived import canary_report_line
from cutover_gate.decide.rules import decide
from cutover_gate.evidence.history import CutoverRecord, RecordError
from cutover_gate.evidence.model import StepRecord, StepStatus
from cutover_gate.evidence.results import ScenarioRun, line_results, triggers_of
from cutover_gate.reports.render import environment, one_line, word

SCENARIO_PROPERTY = "scenario"
"""The user property (on the item, so on every report, and in junit.xml) that names a test's Gherkin scenario."""
MESSAGE_MAX = 160
VERDICT_MARKUP: dict[str, dict[str, bool]] = {"GO": {"green": True}, "NO-GO": {"red": True},
                                              "PENDING": {"yellow": True}}
OUTCOME_MARKUP: dict[str, dict[str, bool]] = {"passed": {"green": True}, "failed": {"red": True},
                                              "error": {"red": True}, "skipped": {"yellow": True}}


def elapsed(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def phase_of(keywords: Iterable[str]) -> str | None:
    names = set(keywords)
    return next((p for p in ALL_PHASES if p in names), None)


def outcome_of(report: pytest.TestReport) -> str | None:
    """The scenario's outcome once a report settles it (the call; a setup that failed or skipped; a teardown
    error), else None."""
    if report.when == "call":
        return report.outcome
    if report.when == "setup" and not report.passed:
        return "error" if report.failed else "skipped"
    if report.when == "teardown" and report.failed:
        return "error"
    return None


def scenario_name(report: pytest.TestReport) -> str:
    named = next((str(v) for k, v in report.user_properties if k == SCENARIO_PROPERTY), None)
    return REDACTOR.scrub(named or report.head_line or report.nodeid)


@dataclass
class Progress:
    """What the terminal shows of a running gate; `write` puts a line on the terminal (markup where it has it)."""

    write: Callable[..., None]
    lang: str
    quiet: bool
    so_far: Callable[[], str]
    started: float = field(default_factory=time.monotonic)
    phase: str | None = None
    live: set[str] = field(default_factory=set)
    """Scenarios whose steps were shown as they ran (this process ran them)."""
    running: bool = True
    """Until the tests are done: then pytest's own words come back (its short summary says FAILED again)."""

    def _line(self, macro: str, *args: Any) -> str:
        module = environment(self.lang).get_template("terminal.j2").module
        return re.sub(r"\s*\n\s*", " ", REDACTOR.scrub(str(getattr(module, macro)(*args)))).strip("\n").rstrip()

    def _phase(self, phase: str | None) -> None:
        if not self.quiet and phase != self.phase:
            self.write(self._line("phase", phase), bold=True)
        self.phase = phase

    def scenario_started(self, nodeid: str, name: str, keywords: Iterable[str]) -> None:
        self.live.add(nodeid)
        if self.quiet:
            return
        self._phase(phase_of(keywords))
        self.write(self._line("scenario", REDACTOR.scrub(name)), bold=True)

    def step_done(self, step: StepRecord) -> None:
        if self.quiet:
            return
        message = one_line(step.said(self.lang))
        if len(message) > MESSAGE_MAX:
            message = message[:MESSAGE_MAX].rsplit(" ", 1)[0] + " ..."
        shown = {"status": step.status, "step": step.step, "message": message}
        outcome = "passed" if step.status is StepStatus.PASS else "failed"
        self.write(self._line("step", shown), **OUTCOME_MARKUP[outcome])

    def test_done(self, report: pytest.TestReport, steps: Sequence[StepRecord]) -> None:
        outcome = outcome_of(report)
        if outcome is None:
            return
        name, phase = scenario_name(report), phase_of(report.keywords)
        if report.nodeid not in self.live and not self.quiet:  # under xdist: the steps came with the report
            self._phase(phase)
            self.write(self._line("scenario", name), bold=True)
            for step in steps:
                self.step_done(step)
        try:
            verdict = self.so_far()
        except Exception:  # the progress must never stop a cutover run; the decision at the end is what counts
            verdict = "?"
        line = self._line("done", outcome, name, phase, elapsed(time.monotonic() - self.started),
                          word(verdict, self.lang), self.quiet)
        self.write(line, **OUTCOME_MARKUP.get(outcome, {}), bold=True)


class SoFar:
    """The decision as it stands: this run's scenarios over the cutover record of the same release, as finish.py
    will decide it at the end (the record is read once, never written here)."""

    def __init__(self, reports_dir: Path, release_sha: str | None, lang: str,
                 windows_h: Mapping[str, float] | None = None) -> None:
        self.release_sha, self.lang, self.windows = release_sha, lang, dict(windows_h or {})
        self.record: CutoverRecord | None = None
        if release_sha:
            try:
                self.record = CutoverRecord.load(reports_dir)
            except RecordError:
                self.record = None  # finish.py says so at the end; the progress shows this run alone

    def __call__(self, runs: Iterable[ScenarioRun]) -> str:
        done = list(runs)
        this_run, triggers = line_results(done), triggers_of(done)
        results, all_triggers = dict(this_run), list(triggers)
        if self.record is not None and self.release_sha:
            record = CutoverRecord(self.record.path, copy.deepcopy(self.record.releases))
            record.update(self.release_sha, copy.deepcopy(this_run), triggers, "in-progress")
            results, all_triggers = record.results_for(self.release_sha, self.windows)
            for lid, res in this_run.items():
                results.setdefault(lid, res)
        results[T0_CANARY_REPORT] = canary_report_line(results)
        decision = decide(results, all_triggers, release_sha=self.release_sha, target="", lang=self.lang,
                          decider="", env_name="")
        return decision.decision.value


def start(config: pytest.Config, lang: str, so_far: Callable[[], str]) -> Progress | None:
    """The run's progress, shown on the controller's terminal; None under `-qq` or without a terminal reporter."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    verbosity = config.get_verbosity()
    if reporter is None or verbosity <= -2:
        return None
    reporter.showfspath = False  # the scenario lines name what runs; no dangling "path " prefix before them
    capman = config.pluginmanager.get_plugin("capturemanager")

    def write(line: str, **markup: bool) -> None:
        suspended: AbstractContextManager[Any] = (capman.global_and_fixture_disabled() if capman is not None
                                                  else nullcontext())
        with suspended:  # steps end inside a test, where pytest captures the output
            reporter.write_line(line, **markup)

    return Progress(write=write, lang=lang, quiet=verbosity < 0, so_far=so_far)


def quiet_status(status: tuple[str, str, Any], report: pytest.TestReport, progress: Progress | None
                 ) -> tuple[str, str, Any]:
    """pytest's status of a report without its letter and word while the progress shows the gate's tests (the
    category stays: it is what pytest's summary counts)."""
    if progress is None or not progress.running or getattr(report, "when", None) not in ("setup", "call", "teardown"):
        return status
    return status[0], "", ""
