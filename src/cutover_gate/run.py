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
from cutover_gate.core.catalogue import ALL_PHASES, LINES, LINES_BY_ID, OPTIONAL_PHASES, TRIGGERS
from cutover_gate.core.errors import CheckFailed, UsageError
from cutover_gate.core.redact import REDACTOR
from cutover_gate.decide.rules import Decision
from cutover_gate.evidence.recording import Recorder, ScenarioRecord, failure_message, step_text
from cutover_gate.evidence.results import ScenarioRun
from cutover_gate.reports import allure_results, html_report
from cutover_gate.target.sandbox import EmbeddedSandbox, SandboxInfo

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
        """Controller: every scenario's record and outcome, whichever process ran it."""
        self.outbox: dict[tuple[str, str], ScenarioRecord] = {}
        """xdist worker: records waiting for their report to be serialized."""
        self.decision: Decision | None = None
        self.sandbox: EmbeddedSandbox | None = None
        self.sandbox_info: SandboxInfo | None = None
        self.boot_error: str | None = None


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


# -- collection -----------------------------------------------------------------------------------------------------
def item_lines(item: pytest.Item) -> list[str]:
    return list(dict.fromkeys(m.name for m in item.iter_markers() if m.name in LINES_BY_ID))


def item_phases(item: pytest.Item) -> list[str]:
    return list(dict.fromkeys(m.name for m in item.iter_markers() if m.name in ALL_PHASES))


def ignore_collect(run: GateRun, collection_path: Path) -> bool | None:
    """Only the run's language of the features is collected."""
    features = run.settings.rootdir / "features"
    if collection_path.parent == features and collection_path.is_dir():
        return collection_path.name != run.settings.lang
    return None


def select(run: GateRun, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Hypercare and rollback only when selected; every kept item gets its recorder."""
    markexpr = config.option.markexpr or ""
    keep, drop = [], []
    for item in items:
        optional = [p for p in item_phases(item) if p in OPTIONAL_PHASES]
        if optional and not any(p in markexpr for p in optional):
            drop.append(item)
            continue
        item.stash[RECORDER] = Recorder(item.nodeid, item_lines(item))
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# -- steps ----------------------------------------------------------------------------------------------------------
def recorder_of(item: pytest.Item) -> Recorder:
    recorder = item.stash.get(RECORDER, None)
    if recorder is None:
        recorder = item.stash[RECORDER] = Recorder(item.nodeid, [])
    return recorder


def step_started(item: pytest.Item, step_func: Callable[..., Any]) -> None:
    recorder_of(item).begin_step(step_func)


def step_finished(item: pytest.Item, step: Any, step_func: Callable[..., Any] | None,
                  error: BaseException | None = None, message: str | None = None) -> None:
    text = step_text(getattr(step, "keyword", "") or "", step.name)
    if error is None and message is None:
        recorder_of(item).end_step(text, step_func, "PASS")
    else:
        recorder_of(item).end_step(text, step_func, "FAIL", message or failure_message(error or Exception()))


# -- reports --------------------------------------------------------------------------------------------------------
def before_report(item: pytest.Item) -> None:
    """junitxml writes the item's properties (every phase's report copies them): the checklist ids go there."""
    recorder = item.stash.get(RECORDER, None)
    if recorder is not None and not any(k == "checklist_id" for k, _ in item.user_properties):
        item.user_properties.append(("checklist_id", ",".join(recorder.record.lines)))


def after_report(run: GateRun, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    recorder = item.stash.get(RECORDER, None)
    record = recorder.snapshot() if recorder is not None else None
    if record is not None:
        if report.when == "call":
            allure_results.attach_record(record.to_json())
        html_report.attach_extras(report, record, run.settings.lang)
    redact_report(report, call, record)
    if record is None:
        return
    if run.controller:
        absorb(run, report, record)
    else:
        run.outbox[(report.nodeid, report.when)] = record


def redact_report(report: pytest.TestReport, call: pytest.CallInfo[None], record: ScenarioRecord | None) -> None:
    """A failure names the failing step and its cause; no secret stays in the failure text or captured output."""
    if call.excinfo is not None and isinstance(call.excinfo.value, CheckFailed) and report.failed:
        failing = next((s for s in reversed(record.steps) if s.status == "FAIL"), None) if record else None
        where = f"step '{failing.step}': " if failing else ""
        report.longrepr = REDACTOR.scrub(f"{where}{call.excinfo.value}")
    elif isinstance(report.longrepr, tuple):  # a skip: (path, lineno, reason), the shape junitxml expects
        path, lineno, reason = report.longrepr
        report.longrepr = (path, lineno, REDACTOR.scrub(str(reason)))
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
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr or "")
        scenario.message = REDACTOR.scrub(f"skipped: {reason}")
    elif report.failed:
        scenario.outcome = "failed" if report.when == "call" else "error"
        scenario.message = scenario.message or REDACTOR.scrub(short_failure(report))
    elif report.when == "call" and scenario.outcome == "not_run":
        scenario.outcome = "passed"


def short_failure(report: pytest.TestReport) -> str:
    text = str(report.longrepr or "")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    errors = [ln[2:].strip() for ln in lines if ln.startswith("E ")]
    if errors:
        return f"{report.when}: " + " ".join(errors)[:500]
    return f"{report.when}: " + (lines[-1][:500] if lines else "error")
