"""One gate run inside pytest: its state, and the work each lifecycle hook of plugin.py hands off to.

The run lives in `config.stash[RUN]`; each scenario's recorder in `item.stash[RECORDER]`. A scenario's record
reaches the controller without riding on the report object: the process that ran the test keeps the record by
(nodeid, phase of the report); under xdist the worker adds it to the serialized report and the controller takes it
back out (`to_serializable` / `from_serializable`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cutover_gate.config.settings import GateSettings, resolve
from cutover_gate.core.catalogue import (
    ALL_PHASES,
    CLOSING_LINES,
    LINES,
    LINES_BY_ID,
    MONEY_LOOP,
    OPTIONAL_PHASES,
    READ_ONLY_TAG,
    SELECTED_ONLY_TAGS,
    TRIGGERS,
    lines_of,
)
from cutover_gate.core.errors import CheckFailed, UsageError
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import REDACTOR
from cutover_gate.decide.rules import Decision
from cutover_gate.evidence.history import CutoverRecord, RecordError
from cutover_gate.evidence.model import LineResult, Result, StepStatus
from cutover_gate.evidence.recording import Recorder, ScenarioRecord, failure_reason, skip, step_text
from cutover_gate.evidence.results import STEP_FAILED, ScenarioRun, line_results
from cutover_gate.reports import allure_results, comms_post, html_report
from cutover_gate.target.breaker import Breaker
from cutover_gate.target.client import RateLimited, RefusedByRule
from cutover_gate.target.sandbox import EmbeddedSandbox, SandboxBootError, SandboxInfo, boot_sandbox

REPORT_KEY = "cutover_record"
"""The key of the serialized report (xdist) that carries the scenario's record."""
SANDBOX_INPUT = "cutover_sandbox"
"""The key of an xdist worker's input that carries the sandbox the controller booted."""


class GateRun:
    def __init__(self, config: pytest.Config, settings: GateSettings) -> None:
        self.config = config
        self.settings = settings
        self.controller = not hasattr(config, "workerinput")
        self.scenarios: dict[str, ScenarioRun] = {}
        """Every scenario's record and outcome: on the controller whichever process ran it, on an xdist worker its
        own (they decide what later scenarios of this process may do)."""
        self.outbox: dict[tuple[str, str], ScenarioRecord] = {}
        """xdist worker: records waiting for their report to be serialized."""
        self.decision: Decision | None = None
        self.sandbox: EmbeddedSandbox | None = None
        self.sandbox_info: SandboxInfo | None = None
        self.boot_error: str | None = None
        self.breaker = Breaker()
        """The target's circuit breaker, shared by the session's client and the scenario guard."""
        self.usage_error: str | None = None
        self.recorded: dict[str, LineResult] = {}
        """The release's current results from earlier runs (the cutover record), read at session start."""

    def read_record(self) -> None:
        if self.settings.release_sha:
            try:
                record = CutoverRecord.load(self.settings.reports_dir)
                self.recorded, _ = record.results_for(self.settings.release_sha, self.settings.record_windows)
            except RecordError:
                self.recorded = {}  # finish.py reports the unreadable record; nothing to block on from it


RUN = pytest.StashKey[GateRun]()
RECORDER = pytest.StashKey[Recorder]()


def gate_run(config: pytest.Config) -> GateRun | None:
    return config.stash.get(RUN, None)


# -- configure ------------------------------------------------------------------------------------------------------
def register_markers(config: pytest.Config) -> None:
    for phase in ALL_PHASES:
        config.addinivalue_line("markers", f"{phase}: cutover phase {phase}")
    for line in LINES:
        config.addinivalue_line("markers", f"{line.id}: checklist line - {line.title_en}")
    for row in TRIGGERS:
        config.addinivalue_line("markers", f"trigger_{row.id}: rollback matrix row - {row.title_en}")
    config.addinivalue_line("markers", f"{READ_ONLY_TAG}: the scenario changes no data on the platform")
    config.addinivalue_line("markers", "undeclared_routes: the scenario probes routes the profile does not declare")
    for tag, meaning in SELECTED_ONLY_TAGS.items():
        config.addinivalue_line("markers", f"{tag}: {meaning} (runs only when selected with -m)")


def check_rootdir(config: pytest.Config) -> None:
    """pytest fixes its rootdir before plugin options are known: `--reports-dir DIR` (two words) with an existing DIR
    makes DIR the rootdir, and the gate would run without its configuration. Say so instead of running wrongly."""
    root = Path(config.rootpath).resolve()
    for name, flag in (("reports_dir", "--reports-dir"), ("cutover_file", "--cutover-file"), ("profile", "--profile")):
        value = getattr(config.option, name, None)
        if value and root in (Path(value).resolve(), Path(value).resolve().parent) and config.inipath is None:
            raise pytest.UsageError(f"cutover gate: pytest took {value} for the rootdir; write {flag}={value} "
                                    "(with '=') or run from the project directory with --rootdir=.")


def configure(config: pytest.Config) -> GateRun | None:
    """The run of this process, or None when the rootdir is not a gate (`cutover_gate = true` in its ini)."""
    register_markers(config)
    check_rootdir(config)
    if not config.getini("cutover_gate"):
        return None
    try:
        settings = resolve(config.option, Path(config.rootpath))
    except UsageError as exc:
        raise pytest.UsageError(f"cutover gate: {exc}") from None
    run = GateRun(config, settings)
    config.stash[RUN] = run
    shared = getattr(config, "workerinput", {}).get(SANDBOX_INPUT)
    if shared:
        run.sandbox_info = SandboxInfo(**shared)
    if run.controller:
        settings.reports_dir.mkdir(parents=True, exist_ok=True)
        wire_reports(config.option, settings)
        comms_post.open_run(settings, config)  # comms: the war room's channels, read (and masked) first
    return run


def wire_reports(opt: Any, settings: GateSettings) -> None:
    """junit.xml, report.html and allure-results/ go to the reports dir unless the user chose otherwise."""
    reports = settings.reports_dir
    if getattr(opt, "xmlpath", None) is None:
        opt.xmlpath = str(reports / "junit.xml")
    if hasattr(opt, "htmlpath") and not opt.htmlpath:
        opt.htmlpath = str(reports / "report.html")
        opt.self_contained_html = True
    if hasattr(opt, "allure_report_dir") and not opt.allure_report_dir:
        opt.allure_report_dir = str(reports / "allure-results")
        opt.clean_alluredir = True
    if settings.plan:
        opt.xmlpath = None
        for name in ("htmlpath", "allure_report_dir"):
            if hasattr(opt, name):
                setattr(opt, name, None)


def html_title(settings: GateSettings) -> str:
    return f"Cutover gate - {settings.release_sha or 'release not pinned'}"


def alluredir(config: pytest.Config) -> Path | None:
    value = getattr(config.option, "allure_report_dir", None)
    return Path(value) if value else None


def boot(run: GateRun, config: pytest.Config) -> str | None:
    """The controller boots the embedded sandbox once for the session (its workers share it). Answers the usage
    error to stop on (an unknown fault name), before anything is sent; a sandbox that cannot start otherwise
    fails the scenarios that need it, and the reports say why."""
    settings = run.settings
    if not run.controller or not settings.embedded or settings.plan or config.option.collectonly:
        return None
    try:
        run.sandbox, run.sandbox_info = boot_sandbox(settings)
    except SandboxBootError as exc:
        if exc.usage:
            run.usage_error = f"cutover gate: {exc}"
            return run.usage_error
        run.boot_error = str(exc)
    return None


# -- collection -----------------------------------------------------------------------------------------------------
def item_lines(item: pytest.Item) -> list[str]:
    return list(dict.fromkeys(m.name for m in item.iter_markers() if m.name in LINES_BY_ID))


def item_example(item: pytest.Item) -> dict[str, str]:
    """The parameters of a scenario outline's example (pytest-bdd's parametrization), empty for a plain scenario."""
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example", {}) if callspec is not None else {}
    return {str(k): str(v) for k, v in example.items()} if isinstance(example, dict) else {}


def item_phases(item: pytest.Item) -> list[str]:
    return list(dict.fromkeys(m.name for m in item.iter_markers() if m.name in ALL_PHASES))


def ignore_collect(run: GateRun, collection_path: Path) -> bool | None:
    """Only the run's language of the features is collected."""
    features = run.settings.rootdir / "features"
    if collection_path.parent == features and collection_path.is_dir():
        return collection_path.name != run.settings.lang
    return None


def select(run: GateRun, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Hypercare, rollback and the SELECTED_ONLY_TAGS scenarios only when selected; every kept item gets its
    recorder."""
    markexpr = config.option.markexpr or ""
    keep, drop = [], []
    for item in items:
        optional = [p for p in item_phases(item) if p in OPTIONAL_PHASES]
        if optional and not any(p in markexpr for p in optional):
            drop.append(item)
            continue
        if any(item.get_closest_marker(tag) and tag not in markexpr for tag in SELECTED_ONLY_TAGS):
            drop.append(item)
            continue
        item.stash[RECORDER] = Recorder(item.nodeid, item_lines(item))
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = sorted(keep, key=runbook_order)


def runbook_order(item: pytest.Item) -> tuple[int, int]:
    """T-60 -> T-30 -> T-15 -> T-0 -> hypercare -> rollback (untagged last); a closing line's scenario ends its phase.
    The sort is stable: within a phase the feature files' order stands."""
    rank = min((ALL_PHASES.index(p) for p in item_phases(item)), default=len(ALL_PHASES))
    closing = [CLOSING_LINES.index(lid) + 1 for lid in item_lines(item) if lid in CLOSING_LINES]
    return rank, max(closing, default=0)


def one_chain_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist: every gate scenario goes to one worker, in the runbook's order, so that a failure of an earlier phase
    can block the later ones (the gate's scenarios share one canary and one target anyway)."""
    from xdist.scheduler import LoadScopeScheduling

    class OneChain(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "cutover-gate"

    return OneChain(config, log)


# -- before each scenario -------------------------------------------------------------------------------------------
def guard(run: GateRun, item: pytest.Item) -> None:
    """Refuse a scenario before it starts: at once when the target is down (FAIL, with the cause), and without a word
    to the target when it would change data after an earlier phase failed (NOT_RUN, "blocked: <line> FAIL")."""
    if run.breaker.down_since is not None:
        down = Reason.of(N_("blocked: %(cause)s"), cause=run.breaker.describe())
        recorder_of(item).failed(CheckFailed(down))
        pytest.fail(down.text(), pytrace=False)
    if item.get_closest_marker(READ_ONLY_TAG) is None:
        reason = block_reason(run, item)
        if reason:
            skip(reason)


def block_reason(run: GateRun, item: pytest.Item) -> Reason | None:
    phases = item_phases(item)
    if not phases:
        return None
    phase = min(phases, key=ALL_PHASES.index)
    current = line_results(run.scenarios.values())
    for earlier in ALL_PHASES[:ALL_PHASES.index(phase)]:
        mandatory = [line.id for line in lines_of(earlier) if line.mandatory]
        ran_here = any(lid in current for lid in mandatory)
        source = current if ran_here else run.recorded
        failed = [lid for lid in mandatory if lid in source and source[lid].result is Result.FAIL]
        if failed and ran_here:
            return Reason.of(N_("blocked: %(line)s FAIL"), line=failed[0])
        if failed:
            return Reason.of(N_("blocked: %(line)s FAIL (on record from an earlier run)"), line=failed[0])
    if phase in {LINES_BY_ID[lid].phase for lid in MONEY_LOOP}:
        broken = [lid for lid in MONEY_LOOP if lid in current and current[lid].result is Result.FAIL]
        if broken:
            return Reason.of(N_("blocked: %(line)s FAIL (the canary money loop failed: no more money moves)"),
                             line=broken[0])
    if run.breaker.writes_blocked:
        return Reason.of(N_("blocked: %(cause)s"), cause=run.breaker.writes_blocked)
    return None


# -- steps ----------------------------------------------------------------------------------------------------------
def recorder_of(item: pytest.Item) -> Recorder:
    recorder = item.stash.get(RECORDER, None)
    if recorder is None:
        recorder = item.stash[RECORDER] = Recorder(item.nodeid, [])
    return recorder


def step_started(item: pytest.Item, step_func: Callable[..., Any]) -> None:
    recorder_of(item).begin_step(step_func)


def step_finished(item: pytest.Item, step: Any, step_func: Callable[..., Any] | None,
                  error: BaseException | None = None, message: Reason | None = None) -> None:
    text = step_text(getattr(step, "keyword", "") or "", step.name)
    if error is None and message is None:
        recorder_of(item).end_step(text, step_func, StepStatus.PASS)
    else:
        recorder_of(item).end_step(text, step_func, StepStatus.FAIL, message or failure_reason(error or Exception()))


# -- reports --------------------------------------------------------------------------------------------------------
def before_report(item: pytest.Item) -> None:
    """junitxml writes the item's properties (every phase's report copies them): the checklist ids go there."""
    recorder = item.stash.get(RECORDER, None)
    if recorder is not None and not any(k == "checklist_id" for k, _ in item.user_properties):
        item.user_properties.append(("checklist_id", ",".join(recorder.record.lines)))


def after_report(run: GateRun, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    recorder = item.stash.get(RECORDER, None)
    exc = call.excinfo.value if call.excinfo is not None else None
    not_run = None
    if isinstance(exc, RateLimited | RefusedByRule) and report.failed:  # the target asking to be called later, or a
        # risk rule its business: neither is a defect, and the scenario did not run
        not_run = Reason.of(N_("rate limited: %(cause)s") if isinstance(exc, RateLimited)
                            else N_("refused by a rule of the platform: %(cause)s"), cause=exc.reason)
    if recorder is not None and exc is not None and (report.failed or report.skipped) and not recorder.record.failure:
        recorder.failed(CheckFailed(not_run) if not_run is not None else exc)
    record = recorder.snapshot() if recorder is not None else None
    if record is not None:
        if report.when == "call":
            allure_results.attach_record(record.to_json())
        html_report.attach_extras(report, record, run.settings.lang)
    if not_run is not None:
        report.outcome = "skipped"
        report.longrepr = (str(item.path), 0, REDACTOR.scrub(not_run.text()))
    redact_report(report, call, record, run.settings.lang)
    if record is None:
        return
    absorb(run, report, record)
    if not run.controller:
        run.outbox[(report.nodeid, report.when)] = record


def redact_report(report: pytest.TestReport, call: pytest.CallInfo[None], record: ScenarioRecord | None,
                  lang: str = "en") -> None:
    """A failure names the failing step and its cause, in the run's language; no secret stays in the failure text or
    captured output."""
    if call.excinfo is not None and isinstance(call.excinfo.value, CheckFailed) and report.failed:
        failing = next((s for s in reversed(record.steps) if s.status is StepStatus.FAIL), None) if record else None
        cause = call.excinfo.value.reason
        said = Reason.of(STEP_FAILED, step=failing.step, cause=cause) if failing else cause
        report.longrepr = REDACTOR.scrub(said.text(lang))
    elif isinstance(report.longrepr, tuple):  # a skip: (path, lineno, reason), the shape junitxml expects
        path, lineno, reason = report.longrepr
        known = record.given_failure if record else None
        report.longrepr = (path, lineno, REDACTOR.scrub(known.text(lang) if known else str(reason)))
    elif report.longrepr is not None:
        text = str(report.longrepr)
        if REDACTOR.scrub(text) != text:  # keep pytest's structured failure unless a secret must go
            report.longrepr = REDACTOR.scrub(text)
    report.sections = [(title, REDACTOR.scrub(text)) for title, text in report.sections]


def to_serializable(run: GateRun, report: Any, data: dict[str, Any]) -> None:
    record = run.outbox.pop((getattr(report, "nodeid", ""), getattr(report, "when", "")), None)
    if record is not None:
        data[REPORT_KEY] = record.to_json()


def from_serializable(run: GateRun, data: dict[str, Any], report: Any) -> None:
    if REPORT_KEY in data and isinstance(report, pytest.TestReport):
        absorb(run, report, ScenarioRecord.from_json(data[REPORT_KEY]))


def absorb(run: GateRun, report: pytest.TestReport, record: ScenarioRecord) -> None:
    """Controller side: what a scenario recorded so far, and how pytest ended this phase of it."""
    scenario = run.scenarios.setdefault(report.nodeid, ScenarioRun(report.nodeid))
    scenario.absorb(record)
    if report.skipped:
        scenario.outcome = "skipped"
        text = str(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr or "")
        text = REDACTOR.scrub(text.removeprefix("Skipped: "))
        cause = record.given_failure or Reason.verbatim(text)
        keep = cause.text().startswith(("blocked:", "rate limited:"))
        scenario.reason = cause if keep else Reason.of(N_("skipped: %(cause)s"), cause=cause)
        scenario.message = scenario.reason.text()
    elif report.failed:
        scenario.outcome = "failed" if report.when == "call" else "error"
        if not scenario.message:
            failure = record.given_failure
            scenario.reason = Reason.of(N_("%(when)s: %(cause)s"), when=report.when, cause=failure) if failure \
                else Reason.verbatim(REDACTOR.scrub(short_failure(report)))
            scenario.message = scenario.reason.text()
    elif report.when == "call" and scenario.outcome == "not_run":
        scenario.outcome = "passed"
    if run.controller:  # comms: the runbook's messages as the run goes (cutover start, each checkpoint)
        comms_post.on_report(run.settings, report, run.scenarios.values())


def short_failure(report: pytest.TestReport) -> str:
    text = str(report.longrepr or "")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    errors = [ln[2:].strip() for ln in lines if ln.startswith("E ")]
    if errors:
        return f"{report.when}: " + " ".join(errors)[:500]
    return f"{report.when}: " + (lines[-1][:500] if lines else "error")
