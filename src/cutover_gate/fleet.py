"""A cutover of several tenants or regions: one cutover file listing several `[targets.<name>]`.

The gate runs once per target, as its own `pytest` process with that target's URL, profile, secrets and reports dir
(`<reports>/targets/<name>/`, where its record accumulates across phases): the runbook's order, the guards and the
decision of each target are exactly a single-target run's. In this run each target is one test; under `pytest -n N`
the targets run in parallel, one worker per target. This module only runs them and hands their decisions on: the
combined decision (`decision.json`) is decide/fleet.py's, its `decision.md` and terminal lines reports/fleet.py's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cutover_gate.config.cutover_file import TargetEntry
from cutover_gate.config.settings import FLEET_TARGET_ENV, GateSettings
from cutover_gate.core.catalogue import ALL_PHASES
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import SEPARATOR, Reason
from cutover_gate.core.redact import REDACTOR
from cutover_gate.decide.fleet import (
    TARGETS_DIR,
    FleetDecision,
    TargetResult,
    combine,
    decision_from_json,
    verdict_words,
)
from cutover_gate.decide.rules import Decision, Verdict
from cutover_gate.reports import fleet as fleet_report
from cutover_gate.reports.writer import write_json, write_text

TARGET_PROPERTY = "cutover_target"
"""The user property of a target's test report that carries how its run ended (it crosses xdist)."""
TIMEOUT_S = 3600.0
"""A target's whole run may take this long; then it is stopped and counts as NO-GO."""
_VALUED = frozenset({"-n", "--numprocesses", "--maxprocesses", "--dist", "--reports-dir", "--target-url", "--profile",
                     "--cutover-file", "--html", "--junitxml", "--junit-xml", "--alluredir", "--basetemp", "--tx"})
_FLAGS = frozenset({"--self-contained-html", "--clean-alluredir", "--looponfail", "-f"})
_KEPT_ENV = frozenset({"CUTOVER_EXECUTOR"})
"""The CUTOVER_* variables a prefixed target still inherits (nothing secret)."""
TIMED_OUT = N_("its run did not finish within the time allowed")
NO_DECISION = N_("its run wrote no decision (exit code %(code)s); see %(log)s")
NOT_RUN_HERE = N_("its run did not take place in this session")
UNREADABLE = N_("its decision cannot be read")
NOT_GO = N_("target %(target)s: %(verdict)s - %(why)s (reports: %(reports)s/)")
EXIT_CODE = N_("exit code %(code)s")
"""Why a target has no decision of its own, and what its test says when it is not GO."""


def forwarded(args: list[str]) -> list[str]:
    """The run's own arguments a target's run takes too: selection, language, environment, release; not the ones
    this run sets per target (reports dir, target, profile, cutover file) nor xdist's."""
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in _FLAGS:
            continue
        if name in _VALUED:
            skip = "=" not in arg
            continue
        if arg.startswith("-n") and arg[2:].isdigit():
            continue
        out.append(arg)
    return out


def target_env(entry: TargetEntry, name: str, base: dict[str, str]) -> dict[str, str]:
    """The target's environment: with an env prefix its `<prefix>X` variables become X and no other CUTOVER_* secret
    reaches it; an embedded sandbox target boots with its own faults."""
    env = {k: v for k, v in base.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST"))}
    if entry.env_prefix:
        env = {k: v for k, v in env.items() if not k.startswith("CUTOVER_") or k in _KEPT_ENV}
        env.update({k[len(entry.env_prefix):]: v for k, v in base.items()
                    if k.startswith(entry.env_prefix) and len(k) > len(entry.env_prefix)})
    env.pop("CUTOVER_TARGET_URL", None)
    env["CUTOVER_SANDBOX_FAULTS"] = ",".join(entry.sandbox_faults) if entry.url is None else ""
    env[FLEET_TARGET_ENV] = name
    return env


def usage_problems(settings: GateSettings) -> list[str]:
    problems = []
    for name, entry in settings.cutover.targets.items():
        if entry.url is not None and entry.sandbox_faults:
            problems.append(f"targets.{name}: sandbox_faults apply to an embedded sandbox only (it has a url)")
        if entry.url is None and settings.env_name == "prod":
            problems.append(f"targets.{name}: --env-name=prod needs a url (the embedded sandbox is never production)")
        if not name.replace("-", "").replace("_", "").isalnum():
            problems.append(f"targets.{name}: a target's name is letters, digits, '-' and '_'")
    return problems


def run_target(settings: GateSettings, config: pytest.Config, name: str, entry: TargetEntry
               ) -> tuple[TargetResult, Decision | None]:
    """The target's whole run, to the end; what it decided (a run that wrote no decision did not decide)."""
    reports = settings.reports_dir / TARGETS_DIR / name
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "decision.json").unlink(missing_ok=True)  # never read an earlier run's decision as this one's
    assert settings.cutover_file is not None
    argv = [sys.executable, "-m", "pytest", *forwarded(list(config.invocation_params.args)),
            f"--cutover-file={settings.cutover_file}", f"--reports-dir={reports}"]
    if entry.url:
        argv.append(f"--target-url={entry.url}")
    if entry.profile:
        argv.append(f"--profile={(settings.cutover_file.parent / entry.profile).resolve()}")
    elif config.option.profile:
        argv.append(f"--profile={Path(config.option.profile).resolve()}")
    started = time.monotonic()
    log = reports / "gate.log"
    with log.open("w", encoding="utf-8") as out:
        try:
            proc = subprocess.run(argv, cwd=config.invocation_params.dir, env=target_env(entry, name, dict(os.environ)),
                                  stdout=out, stderr=subprocess.STDOUT, timeout=TIMEOUT_S, check=False)
            returncode: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            returncode = None
    seconds = time.monotonic() - started
    decision = read_decision(reports)
    problem = None if decision is not None else Reason(TIMED_OUT) if returncode is None else Reason(
        NO_DECISION, {"code": str(returncode), "log": f"{TARGETS_DIR}/{name}/gate.log"})
    write_text(log, log.read_text(encoding="utf-8", errors="replace"))  # the log, redacted like every report
    return TargetResult.of(name, returncode, seconds, decision, problem), decision


def read_decision(reports: Path) -> Decision | None:
    """The decision a target's run wrote in its reports dir; None when there is none it can be read as."""
    try:
        return decision_from_json(json.loads((reports / "decision.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


@dataclass
class Fleet:
    settings: GateSettings
    runs: dict[str, TargetResult] = field(default_factory=dict)
    decision: FleetDecision | None = None

    def reported(self, report: pytest.TestReport) -> None:
        """A target's test report (from whichever process ran it): how its run ended."""
        for key, value in report.user_properties:
            if key == TARGET_PROPERTY:
                result = TargetResult.from_json(json.loads(str(value)))
                self.runs[result.name] = result

    def collect(self) -> FleetDecision:
        """Each target's decision, written by its run in this session, combined; a target whose run did not report
        did not run (an earlier session's files in its reports dir never count)."""
        targets, decisions = [], {}
        for name in self.settings.cutover.targets:
            run = self.runs.get(name)
            if run is None:
                targets.append(TargetResult.of(name, None, 0.0, None, Reason(NOT_RUN_HERE)))
                continue
            decision = read_decision(self.settings.reports_dir / TARGETS_DIR / name)
            problem = run.problem
            if decision is not None:
                decisions[name] = decision
            else:
                problem = problem or Reason(UNREADABLE)
            targets.append(TargetResult.of(name, run.exit_code, run.seconds, decision, problem))
        s = self.settings
        self.decision = combine(targets, decisions, release_sha=s.release_sha, lang=s.lang, decider=s.decider,
                                env_name=s.env_name)
        return self.decision

    def exit_ok(self) -> bool:
        return (self.decision is not None and self.decision.decision is not Verdict.NO_GO
                and all(t.exit_code == 0 for t in self.decision.targets))

    def write(self) -> FleetDecision:
        decision = self.decision or self.collect()
        reports = self.settings.reports_dir
        write_json(reports / "decision.json", decision.to_json())
        write_text(reports / "decision.md", fleet_report.decision_md(decision))
        return decision


class TargetRun(pytest.Item):
    """One target's whole gate run, as one test of this run."""

    def __init__(self, *, entry: TargetEntry, settings: GateSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entry = entry
        self.settings = settings
        for phase in ALL_PHASES:
            self.add_marker(phase)

    def runtest(self) -> None:
        result, decision = run_target(self.settings, self.config, self.name, self.entry)
        self.user_properties.append((TARGET_PROPERTY, json.dumps(result.to_json())))
        if result.verdict is Verdict.NO_GO or result.exit_code != 0:
            raise TargetNotGo(result, decision, self.settings.lang)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, TargetNotGo):
            return str(excinfo.value)
        return REDACTOR.scrub(str(super().repr_failure(excinfo)))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"target {self.name}"


class TargetNotGo(Exception):
    """A target's test fails saying why, in the run's language: its decision's first reasons, else why it has
    none, else its exit code."""

    def __init__(self, result: TargetResult, decision: Decision | None, lang: str = "en") -> None:
        reasons = decision.reasons[:5] if decision else []
        why = (SEPARATOR.join(reason.text(lang) for reason in reasons)
               or (result.problem.text(lang) if result.problem else "")
               or Reason(EXIT_CODE, {"code": str(result.exit_code)}).text(lang))
        message = Reason(NOT_GO, {"target": result.name, "verdict": verdict_words(result.verdict), "why": why,
                                  "reports": result.reports_dir})
        super().__init__(REDACTOR.scrub(message.text(lang)))


def items(session: pytest.Session, settings: GateSettings) -> list[pytest.Item]:
    assert settings.cutover_file is not None
    return [TargetRun.from_parent(session, name=name, nodeid=f"{TARGETS_DIR}/{name}", path=settings.cutover_file,
                                  entry=entry, settings=settings)
            for name, entry in settings.cutover.targets.items()]


def scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist: each target its own scope, so the targets spread over the workers."""
    from xdist.scheduler import LoadScopeScheduling

    class OneTargetEach(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid

    return OneTargetEach(config, log)
