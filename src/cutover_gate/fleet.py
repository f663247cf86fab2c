"""A cutover of several tenants or regions: one cutover file listing several `[targets.<name>]`.

The gate runs once per target, as its own `pytest` process with that target's URL, profile, secrets and reports dir
(`<reports>/targets/<name>/`, where its record accumulates across phases): the runbook's order, the guards and the
decision of each target are exactly a single-target run's. In this run each target is one test; under `pytest -n N`
the targets run in parallel, one worker per target. The combined decision (`decision.json`, `decision.md`) is GO only
when every target is GO, NO-GO when any is NO-GO or did not decide, PENDING otherwise.
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
from cutover_gate.core.catalogue import ALL_PHASES, PHASES
from cutover_gate.core.clock import iso, utcnow
from cutover_gate.core.redact import REDACTOR
from cutover_gate.reports.render import environment
from cutover_gate.reports.writer import write_json, write_text

TARGETS_DIR = "targets"
TARGET_PROPERTY = "cutover_target"
"""The user property of a target's test report that carries how its run ended (it crosses xdist)."""
TIMEOUT_S = 3600.0
"""A target's whole run may take this long; then it is stopped and counts as NO-GO."""
_VALUED = frozenset({"-n", "--numprocesses", "--maxprocesses", "--dist", "--reports-dir", "--target-url", "--profile",
                     "--cutover-file", "--html", "--junitxml", "--junit-xml", "--alluredir", "--basetemp", "--tx"})
_FLAGS = frozenset({"--self-contained-html", "--clean-alluredir", "--looponfail", "-f"})
_KEPT_ENV = frozenset({"CUTOVER_EXECUTOR"})
"""The CUTOVER_* variables a prefixed target still inherits (nothing secret)."""
_ORDER = {"FAIL": 0, "NOT_RUN": 1, "WAIVED": 2, "PASS": 3}


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


@dataclass
class TargetOutcome:
    name: str
    returncode: int | None
    reports_dir: Path
    seconds: float
    decision: dict[str, Any] | None = None
    problem: str | None = None

    @property
    def verdict(self) -> str:
        if self.decision is None:
            return "NO-GO"
        return str(self.decision.get("decision", "NO-GO"))

    def to_json(self) -> dict[str, Any]:
        d = self.decision or {}
        return {"name": self.name, "decision": self.verdict, "target": d.get("target"),
                "reports_dir": f"{TARGETS_DIR}/{self.name}",
                "exit_code": self.returncode, "seconds": round(self.seconds, 1), "phases": d.get("phases", {}),
                "problem": self.problem}


def run_target(settings: GateSettings, config: pytest.Config, name: str, entry: TargetEntry) -> TargetOutcome:
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
    outcome = TargetOutcome(name, returncode, reports, time.monotonic() - started)
    try:
        outcome.decision = json.loads((reports / "decision.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        outcome.problem = ("its run did not finish within the time allowed" if returncode is None else
                           f"its run wrote no decision (exit code {returncode}); see {TARGETS_DIR}/{name}/gate.log")
    write_text(log, log.read_text(encoding="utf-8", errors="replace"))  # the log, redacted like every report
    return outcome


@dataclass
class Fleet:
    settings: GateSettings
    outcomes: dict[str, TargetOutcome] = field(default_factory=dict)

    def reported(self, report: pytest.TestReport) -> None:
        """A target's test report (from whichever process ran it): how its run ended."""
        for key, value in report.user_properties:
            if key == TARGET_PROPERTY:
                data = json.loads(str(value))
                name = str(data["name"])
                self.outcomes[name] = TargetOutcome(name, data["exit_code"],
                                                    self.settings.reports_dir / TARGETS_DIR / name,
                                                    float(data["seconds"]), problem=data["problem"])

    def collect(self) -> None:
        """Each target's decision, written by its run in this session; a target whose run did not report did not
        run (an earlier session's files in its reports dir never count)."""
        for name in self.settings.cutover.targets:
            outcome = self.outcomes.get(name)
            if outcome is None:
                self.outcomes[name] = TargetOutcome(name, None, self.settings.reports_dir / TARGETS_DIR / name, 0.0,
                                                    problem="its run did not take place in this session")
                continue
            try:
                outcome.decision = json.loads((outcome.reports_dir / "decision.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                outcome.decision = None
                outcome.problem = outcome.problem or "its decision cannot be read"
        self.outcomes = {name: self.outcomes[name] for name in self.settings.cutover.targets}

    @property
    def verdict(self) -> str:
        verdicts = [o.verdict for o in self.outcomes.values()]
        if not verdicts or any(v == "NO-GO" for v in verdicts):
            return "NO-GO"
        return "GO" if all(v == "GO" for v in verdicts) else "PENDING"

    def exit_ok(self) -> bool:
        return self.verdict != "NO-GO" and all(o.returncode == 0 for o in self.outcomes.values())

    def combined(self) -> dict[str, Any]:
        s = self.settings
        decisions = {n: o.decision or {} for n, o in self.outcomes.items()}
        phases = {}
        for phase in PHASES:
            seen = [d.get("phases", {}).get(phase, "NOT_RUN") for d in decisions.values()]
            phases[phase] = "FAIL" if "FAIL" in seen else ("PASS" if seen and all(r == "PASS" for r in seen)
                                                          else "NOT_RUN")
        checklist: dict[str, dict[str, Any]] = {}
        for name, d in decisions.items():
            for row in d.get("checklist", []):
                line = checklist.setdefault(row["id"], {"id": row["id"], "title": row.get("title"), "result": "PASS",
                                                        "ref": None, "at": None, "targets": {}})
                line["targets"][name] = row.get("result", "NOT_RUN")
                if _ORDER.get(row.get("result", "NOT_RUN"), 1) < _ORDER[line["result"]] or line["ref"] is None:
                    line["result"] = row.get("result", "NOT_RUN")
                    line["ref"] = f"{TARGETS_DIR}/{name}/{row['ref']}" if row.get("ref") else None
                line["at"] = max(filter(None, [line["at"], row.get("at")]), default=None)
        for line in checklist.values():
            missing = [n for n in decisions if n not in line["targets"]]
            if missing:
                line["result"] = "NOT_RUN" if line["result"] != "FAIL" else "FAIL"
                line["targets"].update(dict.fromkeys(missing, "NOT_RUN"))
        triggers = [{**t, "target": name, "evidence": f"[{name}] {t.get('evidence', '')}"}
                    for name, d in decisions.items() for t in d.get("triggers", [])]
        reasons = [f"{name}: {o.verdict}" + (f" ({o.problem})" if o.problem else "") +
                   "".join(f"; {r}" for r in (o.decision or {}).get("reasons", [])[:3])
                   for name, o in self.outcomes.items() if o.verdict != "GO"]
        return {"decision": self.verdict, "release_sha": s.release_sha,
                "target": f"{len(self.outcomes)} targets: {', '.join(self.outcomes)}", "lang": s.lang,
                "decider": s.decider, "generated_at": iso(utcnow()), "env": s.env_name, "phases": phases,
                "checklist": list(checklist.values()), "triggers": triggers, "reasons": reasons,
                "targets": {n: o.to_json() for n, o in self.outcomes.items()}}

    def write(self) -> dict[str, Any]:
        data = self.combined()
        reports = self.settings.reports_dir
        write_json(reports / "decision.json", data)
        template = environment(self.settings.lang).get_template("fleet_decision.md.j2")
        write_text(reports / "decision.md", template.render(**data))
        return data


class TargetRun(pytest.Item):
    """One target's whole gate run, as one test of this run."""

    def __init__(self, *, entry: TargetEntry, settings: GateSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entry = entry
        self.settings = settings
        for phase in ALL_PHASES:
            self.add_marker(phase)

    def runtest(self) -> None:
        outcome = run_target(self.settings, self.config, self.name, self.entry)
        self.user_properties.append((TARGET_PROPERTY, json.dumps(outcome.to_json())))
        if outcome.verdict == "NO-GO" or outcome.returncode != 0:
            raise TargetNotGo(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, TargetNotGo):
            return str(excinfo.value)
        return REDACTOR.scrub(str(super().repr_failure(excinfo)))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"target {self.name}"


class TargetNotGo(Exception):
    def __init__(self, outcome: TargetOutcome) -> None:
        d = outcome.decision or {}
        reasons = [str(r) for r in d.get("reasons", [])][:5]
        why = "; ".join(reasons) or outcome.problem or f"exit code {outcome.returncode}"
        super().__init__(REDACTOR.scrub(f"target {outcome.name}: {outcome.verdict} - {why} "
                                        f"(reports: {TARGETS_DIR}/{outcome.name}/)"))


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


def summary(tw: Any, data: dict[str, Any], reports_dir: Path) -> None:
    colour = {"GO": {"green": True}, "NO-GO": {"red": True}, "PENDING": {"yellow": True}}[data["decision"]]
    tw.section("cutover decision (all targets)", sep="=", bold=True, **colour)
    tw.line(f"{data['decision']}  release {data['release_sha']}  {data['target']}", bold=True, **colour)
    for name, target in data["targets"].items():
        problem = f"  ({target['problem']})" if target.get("problem") else ""
        tw.line(f"  {name:>12}: {target['decision']}  {reports_dir / target['reports_dir']}{problem}")
