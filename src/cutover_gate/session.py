"""One gate run inside pytest: registers the hooks, boots the sandbox for xdist, writes the artifacts at the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from . import artifacts, fixtures, plan
from .fixtures import SANDBOX, SETTINGS, boot_sandbox
from .model import Decision, Verdict
from .run import Collector, GateHooks
from .sandbox_boot import EmbeddedSandbox, SandboxBootError
from .settings import GateSettings


def is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


class GateRun:
    def __init__(self, config: pytest.Config, settings: GateSettings) -> None:
        self.config = config
        self.settings = settings
        self.collector = Collector()
        self.decision: Decision | None = None
        self.sandbox: EmbeddedSandbox | None = None
        self.boot_error: str | None = None

    def register(self) -> None:
        pm = self.config.pluginmanager
        config = self.config
        config.stash[SETTINGS] = self.settings
        pm.register(GateHooks(self.settings), "cutover-gate-hooks")
        pm.register(fixtures, "cutover-gate-fixtures")
        if pm.hasplugin("html"):
            from .html_report import HtmlReport

            title = f"Cutover gate - {self.settings.release_sha or 'release not pinned'}"
            pm.register(HtmlReport(lambda: self.decision, title=title), "cutover-gate-html")
        if is_controller(config):
            self.settings.reports_dir.mkdir(parents=True, exist_ok=True)
            pm.register(self.collector, "cutover-gate-collector")
            pm.register(self, "cutover-gate-run")
            self._wire_reports()
            if pm.hasplugin("xdist"):
                pm.register(XdistHooks(self), "cutover-gate-xdist")

    def _wire_reports(self) -> None:
        opt = self.config.option
        reports = self.settings.reports_dir
        if getattr(opt, "xmlpath", None) is None:
            opt.xmlpath = str(reports / "junit.xml")
        if hasattr(opt, "htmlpath") and not opt.htmlpath:
            opt.htmlpath = str(reports / "report.html")
            opt.self_contained_html = True
        if hasattr(opt, "allure_report_dir") and not opt.allure_report_dir:
            opt.allure_report_dir = str(reports / "allure-results")
            opt.clean_alluredir = True
        if self.settings.plan:
            opt.xmlpath = None
            if hasattr(opt, "htmlpath"):
                opt.htmlpath = None
            if hasattr(opt, "allure_report_dir"):
                opt.allure_report_dir = None

    # -- plan mode: list, send nothing -------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        if self.settings.plan:
            text = plan.describe(self.settings, items)
            config.get_terminal_writer().line(text)
            (self.settings.reports_dir / "plan.md").write_text(text + "\n", encoding="utf-8")
            config.hook.pytest_deselected(items=list(items))
            items.clear()

    # -- the end: decide and write, even when everything failed ----------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.settings.plan:
            session.exitstatus = pytest.ExitCode.OK
            return
        if self.config.option.collectonly:
            return
        http = {nodeid: run.http for nodeid, run in self.collector.runs.items()}
        try:
            allure_dir = getattr(self.config.option, "allure_report_dir", None)
            self.decision = artifacts.finish(self.settings, list(self.collector.runs.values()), http,
                                             alluredir=Path(allure_dir) if allure_dir else None)
        except Exception as exc:  # fail closed: an error of the gate itself is a NO-GO, stated
            self.decision = artifacts.fail_closed(self.settings, exc)
        allure_dir = getattr(self.config.option, "allure_report_dir", None)
        if allure_dir:
            artifacts.scrub_tree(Path(allure_dir))
        if self.decision.decision is Verdict.NO_GO and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.decision is None:
            return
        d = self.decision
        tw = terminalreporter
        colour = {"GO": {"green": True}, "NO-GO": {"red": True}, "PENDING": {"yellow": True}}[d.decision.value]
        tw.section("cutover decision", sep="=", bold=True, **colour)
        tw.line(f"{d.decision.value}  release {d.release_sha or '(not pinned)'}  target {d.target}", bold=True,
                **colour)
        for phase, result in d.phases.items():
            tw.line(f"  {phase:>4}: {result}")
        for reason in d.reasons[:20]:
            tw.line(f"  - {reason}")
        tw.line(f"  reports: {self.settings.reports_dir}")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None


class XdistHooks:
    """Under xdist the controller boots one sandbox and hands it to every worker."""

    def __init__(self, run: GateRun) -> None:
        self.run = run

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        settings = self.run.settings
        if not settings.embedded or settings.plan or not getattr(session.config.option, "numprocesses", None):
            return
        try:
            self.run.sandbox, info = boot_sandbox(settings)
        except SandboxBootError as exc:
            self.run.boot_error = str(exc)
            return
        session.config.stash[SANDBOX] = info

    def pytest_configure_node(self, node: Any) -> None:
        info = self.run.config.stash.get(SANDBOX, None)
        if info is not None:
            node.workerinput["cutover_sandbox"] = info.__dict__
