"""The pytest11 entry point and the only module of the gate that implements pytest hooks.

Every hook the gate uses is here, in lifecycle order, each handing off in a line or two: run.py (the run's state,
collection, step recording, reports crossing xdist), finish.py (the record, the decision, the artifacts) and
reports/ (pytest-html, the terminal). `pytest_addoption` and `pytest_configure` are module hooks; when the rootdir is
a gate (`cutover_gate = true`), `pytest_configure` registers `GatePlugin` for the rest of the lifecycle, plus
`XdistHooks` and `HtmlHooks` when those plugins are present, and `ProgressHooks` (the live terminal progress). The
run lives in `config.stash[run.RUN]`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from cutover_gate import finish, fixtures, fleet, run
from cutover_gate.config import options
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.decide.fleet import FleetDecision
from cutover_gate.decide.rules import Decision, Verdict
from cutover_gate.reports import fleet as fleet_report
from cutover_gate.reports import html_report, plan, progress, terminal
from cutover_gate.reports.writer import scrub_tree


# -- 1. options and configuration -----------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    options.addoption(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    gate = run.configure(config)
    if gate is None:
        return
    pm = config.pluginmanager
    if gate.settings.cutover.targets:  # several targets: one whole run of each (fleet.py)
        problems = fleet.usage_problems(gate.settings)
        if problems:
            raise pytest.UsageError("cutover gate: " + "; ".join(problems))
        pm.register(FleetPlugin(gate), "cutover-gate-fleet")
        if pm.hasplugin("xdist"):
            pm.register(FleetXdistHooks(), "cutover-gate-fleet-xdist")
        return
    pm.register(GatePlugin(gate), "cutover-gate")
    pm.register(fixtures, "cutover-gate-fixtures")
    if pm.hasplugin("html"):
        pm.register(HtmlHooks(lambda: gate.decision, gate.settings.lang, run.html_title(gate.settings),
                              gate.settings.reports_dir), "cutover-gate-html")
    if pm.hasplugin("xdist"):
        pm.register(XdistHooks(gate), "cutover-gate-xdist")
    if not gate.settings.plan:
        pm.register(ProgressHooks(gate), "cutover-gate-progress")


class GatePlugin:
    """The hooks of a gate run, from session start to unconfigure."""

    def __init__(self, gate: run.GateRun) -> None:
        self.gate = gate

    # -- 2. session start: the record of the release, and the embedded sandbox ----------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.gate.read_record()
        message = run.boot(self.gate, session.config)
        if message is not None:
            raise pytest.UsageError(message)

    # -- 3. collection ------------------------------------------------------------------------------------------
    def pytest_ignore_collect(self, collection_path: Any, config: pytest.Config) -> bool | None:
        return run.ignore_collect(self.gate, collection_path)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        run.select(self.gate, config, items)
        if self.gate.settings.plan and self.gate.controller:
            plan.write_plan(config, self.gate.settings, [plan.PlannedScenario(
                i.nodeid, tuple(run.item_lines(i)), run.item_example(i), tuple(m.name for m in i.iter_markers()))
                for i in items])
            config.hook.pytest_deselected(items=list(items))
            items.clear()

    # -- 4. each scenario: refused before it starts when the target is down or an earlier phase failed ----------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        run.guard(self.gate, item)

    # -- 5. steps (pytest-bdd) ----------------------------------------------------------------------------------
    def pytest_bdd_before_step(self, request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                               step_func: Callable[..., Any]) -> None:
        run.step_started(request.node, step_func)

    def pytest_bdd_after_step(self, request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                              step_func: Callable[..., Any], step_func_args: Any) -> None:
        run.step_finished(request.node, step, step_func)

    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                              step_func: Callable[..., Any], step_func_args: Any, exception: BaseException) -> None:
        run.step_finished(request.node, step, step_func, error=exception)

    def pytest_bdd_step_func_lookup_error(self, request: pytest.FixtureRequest, feature: Any, scenario: Any,
                                          step: Any, exception: BaseException) -> None:
        run.step_finished(request.node, step, None,
                          message=Reason.of(N_("step is not implemented: %(error)s"), error=exception))

    # -- 6. reports, and their way to the controller ------------------------------------------------------------
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]
                                  ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        run.before_report(item)
        report = yield
        run.after_report(self.gate, item, call, report)
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_report_to_serializable(self, config: pytest.Config, report: Any
                                      ) -> Generator[None, dict[str, Any] | None, dict[str, Any] | None]:
        data = yield
        if data is not None:
            run.to_serializable(self.gate, report, data)
        return data

    @pytest.hookimpl(wrapper=True)
    def pytest_report_from_serializable(self, config: pytest.Config, data: dict[str, Any]
                                        ) -> Generator[None, Any, Any]:
        report = yield
        run.from_serializable(self.gate, data, report)
        return report

    # -- 7. the end: decide and write, even when everything failed ----------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        gate = self.gate
        if not gate.controller or session.config.option.collectonly or gate.usage_error:
            return
        if gate.settings.plan:
            session.exitstatus = pytest.ExitCode.OK
            return
        try:
            gate.decision = finish.finish(gate.settings, list(gate.scenarios.values()), run.alluredir(session.config))
        except Exception as exc:  # fail closed: an error of the gate itself is a NO-GO, stated
            gate.decision = finish.fail_closed(gate.settings, exc)
        allure_dir = run.alluredir(session.config)
        if allure_dir is not None:
            scrub_tree(allure_dir)
        if gate.decision.decision is Verdict.NO_GO and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.gate.decision is not None:
            terminal.summary(terminalreporter, self.gate.decision, self.gate.settings.reports_dir)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.gate.sandbox is not None:
            self.gate.sandbox.stop()
            self.gate.sandbox = None


class FleetPlugin:
    """A cutover of several targets: each target is one test, its whole gate run (fleet.py); the end combines their
    decisions."""

    def __init__(self, gate: run.GateRun) -> None:
        self.gate = gate
        self.fleet = fleet.Fleet(gate.settings)
        self.data: FleetDecision | None = None

    def pytest_ignore_collect(self, collection_path: Any, config: pytest.Config) -> bool | None:
        return True  # the targets' own runs collect the features

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        items[:] = fleet.items(session, self.gate.settings)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.fleet.reported(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        settings = self.gate.settings
        if not self.gate.controller or session.config.option.collectonly or settings.plan:
            return
        self.fleet.collect()
        self.data = self.fleet.write()
        if not self.fleet.exit_ok() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.data is not None:
            fleet_report.summary(terminalreporter, self.data, self.gate.settings.reports_dir)


class FleetXdistHooks:
    """Under xdist, each target its own worker."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        return fleet.scheduler(config, log)


class XdistHooks:
    """Under xdist: one worker runs the scenarios in the runbook's order, on the sandbox the controller booted."""

    def __init__(self, gate: run.GateRun) -> None:
        self.gate = gate

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        return run.one_chain_scheduler(config, log)

    def pytest_configure_node(self, node: Any) -> None:
        if self.gate.sandbox_info is not None:
            node.workerinput[run.SANDBOX_INPUT] = self.gate.sandbox_info.__dict__


class HtmlHooks:
    """pytest-html: the decision panel first on the page, the checklist-lines column, the title."""

    def __init__(self, decision: Callable[[], Decision | None], lang: str = "en",
                 title: str = "Cutover gate report", reports_dir: Path | None = None) -> None:
        self._decision = decision
        self._lang = lang
        self._title = title
        self._load = html_report.evidence_loader(reports_dir) if reports_dir is not None else None

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = self._title

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(2, "<th>Checklist lines</th>")

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        cells.insert(2, html_report.lines_cell(getattr(report, "user_properties", [])))

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        prefix.insert(0, html_report.banner_html(self._decision(), self._lang, self._load))

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, None, None]:
        result = yield  # pytest-html writes report.html inside
        if not hasattr(session.config, "workerinput") and getattr(session.config.option, "htmlpath", None):
            html_report.move_panel_first(Path(session.config.option.htmlpath))
        return result


class ProgressHooks:
    """Live progress in the terminal (reports/progress.py): shown by the controller; every process names the
    scenario of its tests (a user property, so it crosses xdist with the report)."""

    def __init__(self, gate: run.GateRun) -> None:
        self.gate = gate
        self.progress: progress.Progress | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        settings = self.gate.settings
        if self.gate.controller and not session.config.option.collectonly:
            windows = {str(phase): hours for phase, hours in settings.cutover.record.window_hours.items()}
            verdict = progress.SoFar(settings.reports_dir, settings.release_sha, settings.lang, windows)
            self.progress = progress.start(session.config, settings.lang, lambda: verdict(self.gate.scenarios.values()))

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report: Any, config: pytest.Config) -> Generator[None, Any, Any]:
        return progress.quiet_status((yield), report, self.progress)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.progress is not None:
            self.progress.running = False

    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
        request.node.user_properties.append((progress.SCENARIO_PROPERTY, scenario.name))
        if self.progress is not None:
            self.progress.scenario_started(request.node.nodeid, scenario.name, request.node.keywords)

    @pytest.hookimpl(trylast=True)
    def pytest_bdd_after_step(self, request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                              step_func: Callable[..., Any], step_func_args: Any) -> None:
        if self.progress is not None:
            self.progress.step_done(run.recorder_of(request.node).record.steps[-1])

    @pytest.hookimpl(trylast=True)
    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                              step_func: Callable[..., Any], step_func_args: Any, exception: BaseException) -> None:
        if self.progress is not None:
            self.progress.step_done(run.recorder_of(request.node).record.steps[-1])

    @pytest.hookimpl(trylast=True)
    def pytest_bdd_step_func_lookup_error(self, request: pytest.FixtureRequest, feature: Any, scenario: Any,
                                          step: Any, exception: BaseException) -> None:
        if self.progress is not None:
            self.progress.step_done(run.recorder_of(request.node).record.steps[-1])

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.progress is not None:
            scenario = self.gate.scenarios.get(report.nodeid)
            self.progress.test_done(report, scenario.steps if scenario else [])
