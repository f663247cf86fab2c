"""The gate's pytest hooks for one run: attribution of steps to lines, transport to the controller, the verdict."""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from . import allure_report, recorder
from .catalogue import ALL_PHASES, LINES_BY_ID
from .client import CheckFailed
from .collect import ScenarioRun
from .secrets import REDACTOR
from .settings import GateSettings

REPORT_KEY = "cutover_record"


def item_lines(item: pytest.Item) -> list[str]:
    names = [m.name for m in item.iter_markers()]
    return list(dict.fromkeys(n for n in names if n in LINES_BY_ID))


def item_phases(item: pytest.Item) -> list[str]:
    return list(dict.fromkeys(m.name for m in item.iter_markers() if m.name in ALL_PHASES))


class GateHooks:
    """Registered on every process of a gate run (controller and xdist workers alike)."""

    def __init__(self, settings: GateSettings) -> None:
        self.settings = settings

    # -- collection: one language's features; hypercare and rollback only when selected -------------------------
    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        features = self.settings.rootdir / "features"
        if collection_path.parent == features and collection_path.is_dir():
            return collection_path.name != self.settings.lang
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        markexpr = config.option.markexpr or ""
        keep, drop = [], []
        for item in items:
            phases = item_phases(item)
            optional = [p for p in phases if p in ("hypercare", "rollback")]
            if optional and not any(p in markexpr for p in optional):
                drop.append(item)
                continue
            item.stash[recorder.RECORD] = recorder.new_record(item_lines(item))
            keep.append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    # -- steps --------------------------------------------------------------------------------------------------
    def pytest_bdd_before_step(self, request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                               step_func: Any) -> None:
        rec = recorder.record_of(request.node)
        rec["current_line"] = recorder.step_line(rec, step_func)

    def pytest_bdd_after_step(self, request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                              step_func: Any, step_func_args: Any) -> None:
        rec = recorder.record_of(request.node)
        recorder.add_step(rec, request.node.nodeid, step, recorder.step_line(rec, step_func), "PASS")

    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                              step_func: Any, step_func_args: Any, exception: BaseException) -> None:
        rec = recorder.record_of(request.node)
        recorder.add_step(rec, request.node.nodeid, step, recorder.step_line(rec, step_func), "FAIL",
                          recorder.failure_message(exception))

    def pytest_bdd_step_func_lookup_error(self, request: pytest.FixtureRequest, feature: Any, scenario: Any,
                                          step: Any, exception: BaseException) -> None:
        rec = recorder.record_of(request.node)
        recorder.add_step(rec, request.node.nodeid, step, recorder.step_line(rec, None), "FAIL",
                          f"step is not implemented: {exception}")

    # -- reports carry the record to the controller ---------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]
                                  ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        rec = item.stash.get(recorder.RECORD, None)
        # junitxml writes the properties of the item (every phase's report copies them): put the line ids there
        if rec is not None and not any(k == "checklist_id" for k, _ in item.user_properties):
            item.user_properties.append(("checklist_id", ",".join(rec["lines"])))
        report = yield
        if rec is not None:
            data = {k: v for k, v in rec.items() if k != "current_line"}
            setattr(report, REPORT_KEY, json.loads(json.dumps(data, default=str)))
            if report.when == "call":
                allure_report.attach_record(getattr(report, REPORT_KEY))
        if call.excinfo is not None and isinstance(call.excinfo.value, CheckFailed) and report.failed:
            failing = next((s for s in reversed(rec["steps"]) if s["status"] == "FAIL"), None) if rec else None
            where = f"step '{failing['step']}': " if failing else ""
            report.longrepr = REDACTOR.scrub(f"{where}{call.excinfo.value}")
        elif isinstance(report.longrepr, tuple):  # a skip: (path, lineno, reason), the shape junitxml expects
            path, lineno, reason = report.longrepr
            report.longrepr = (path, lineno, REDACTOR.scrub(str(reason)))
        elif report.longrepr is not None:
            text = str(report.longrepr)
            if REDACTOR.scrub(text) != text:  # keep pytest's structured failure unless a secret must go
                report.longrepr = REDACTOR.scrub(text)
        # captured stdout/stderr/log of the test: a step that prints or logs a secret must not leak it
        report.sections = [(title, REDACTOR.scrub(text)) for title, text in report.sections]
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_report_to_serializable(self, config: pytest.Config, report: Any
                                      ) -> Generator[None, dict[str, Any] | None, dict[str, Any] | None]:
        data = yield
        if data is not None and hasattr(report, REPORT_KEY):
            data[REPORT_KEY] = getattr(report, REPORT_KEY)
        return data

    @pytest.hookimpl(wrapper=True)
    def pytest_report_from_serializable(self, config: pytest.Config, data: dict[str, Any]
                                        ) -> Generator[None, Any, Any]:
        report = yield
        if report is not None and REPORT_KEY in data:
            setattr(report, REPORT_KEY, data[REPORT_KEY])
        return report


class Collector:
    """Controller side: gathers what every scenario recorded, whichever process ran it."""

    def __init__(self) -> None:
        self.runs: dict[str, ScenarioRun] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, REPORT_KEY, None)
        if data is None:
            return
        run = self.runs.setdefault(report.nodeid, ScenarioRun(report.nodeid))
        run.absorb(data)
        steps_at = [s["at"] for s in data.get("steps", [])]
        if steps_at:
            run.finished_at = max(steps_at)
        if report.skipped:
            run.outcome = "skipped"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr or "")
            run.message = REDACTOR.scrub(f"skipped: {reason}")
        elif report.failed:
            run.outcome = "failed" if report.when == "call" else "error"
            run.message = run.message or REDACTOR.scrub(_short(report))
        elif report.when == "call" and run.outcome == "not_run":
            run.outcome = "passed"


def _short(report: pytest.TestReport) -> str:
    text = str(report.longrepr or "")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    errors = [ln[2:].strip() for ln in lines if ln.startswith("E ")]
    if errors:
        return f"{report.when}: " + " ".join(errors)[:500]
    return f"{report.when}: " + (lines[-1][:500] if lines else "error")
