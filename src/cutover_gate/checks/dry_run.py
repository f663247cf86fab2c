"""The migration dry-run (runbook A.4: "where possible, a dry-run `alembic upgrade head` on a prod copy").

The release names its migration command in the cutover file (`[migrations] dry_run_command`); the restore drill runs
it against its scratch copy only. The command gets the scratch copy's URL in one environment variable
(`dry_run_dsn_env`, default `DATABASE_URL`) and none of the variables that could lead it to the target: the gate's
DSNs and secrets and libpq's `PG*` connection variables are removed from its environment. No shell runs it. A bare
program name is looked up beside the gate's own Python first (its virtualenv: `python`, `alembic`,
`cutover-sandbox`), then on PATH. It runs in a session of its own and is killed with its children on timeout.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import REDACTOR

TARGET_ENV = ("DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSERVICE",
              "PGSERVICEFILE", "PGPASSFILE", "PGOPTIONS")
"""Variables that could point a migration tool at the target instead of the scratch copy: never passed on."""
OUTPUT_LINES = 15


@dataclass(frozen=True)
class DryRunSpec:
    command: tuple[str, ...]
    cwd: Path | None
    dsn_env: str
    timeout_s: float
    expected_head: str | None
    """The release's migration head (`[migrations] head`): the copy must reach it when given."""


@dataclass(frozen=True)
class DryRunResult:
    ok: bool
    reason: Reason
    exit_code: int | None
    duration_s: float
    before: tuple[str, ...]
    reached: tuple[str, ...]
    output: str
    """The command's last lines (stdout and stderr), redacted."""

    @property
    def message(self) -> str:
        return self.reason.text()

    def evidence(self, spec: DryRunSpec) -> dict[str, Any]:
        return {"command": " ".join(spec.command), "cwd": str(spec.cwd) if spec.cwd else None,
                "url_variable": spec.dsn_env, "exit_code": self.exit_code, "duration_s": round(self.duration_s, 3),
                "alembic_before": list(self.before), "alembic_reached": list(self.reached),
                "expected_head": spec.expected_head, "output_tail": self.output, "result": self.message}


def program(name: str) -> str:
    """A bare program name resolved beside the gate's Python, then on PATH; a path is kept as given."""
    if os.sep in name:
        return name
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name) or name


def child_environment(dsn_env: str, url: str, secret_vars: Iterable[str],
                      base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The command's environment: the gate's, less the target's and the gate's secrets, plus the scratch URL."""
    drop = {*TARGET_ENV, *secret_vars}
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in drop}
    env[dsn_env] = url
    return env


def run_dry_run(spec: DryRunSpec, url: str, *, before: tuple[str, ...],
                read_version: Callable[[], tuple[str, ...]],
                child_env: Callable[[str, str], dict[str, str]] | None = None) -> DryRunResult:
    """Run the release's migration command against the scratch copy at `url` and judge where it left the copy.

    `read_version` reads the copy's alembic version afterwards (it raises RuntimeError when it cannot)."""
    REDACTOR.register(url)
    env = (child_env or (lambda var, value: child_environment(var, value, ())))(spec.dsn_env, url)
    argv = [program(spec.command[0]), *spec.command[1:]]
    started = time.monotonic()
    code, output, problem = _run(argv, spec, env)
    duration = time.monotonic() - started
    reached: tuple[str, ...] = ()
    if not problem:
        try:
            reached = read_version()
        except RuntimeError as exc:
            problem = Reason.of(N_("the copy's alembic version cannot be read after the command: %(error)s"),
                                error=exc)
    if not problem and code != 0:
        last = output.splitlines()[-1] if output else Reason.of(N_("no output"))
        problem = Reason.of(N_("the migration command exited %(code)s: %(last)s"), code=code, last=last)
    if not problem and not reached:
        problem = Reason.of(N_("the copy has no alembic version after the command"))
    if not problem and spec.expected_head and reached != (spec.expected_head,):
        problem = Reason.of(N_("the copy reached %(reached)s, not the release's head %(head)s"),
                            reached=", ".join(reached), head=spec.expected_head)
    if problem:
        return DryRunResult(False, problem, code, duration, before, reached, output)
    versions = ", ".join(reached)
    message = (Reason.of(N_("migrations ran on the restored copy already at %(reached)s in %(duration)s s"),
                         reached=versions, duration=f"{duration:.1f}") if reached == before else
               Reason.of(N_("migrations ran on the restored copy from %(before)s to %(reached)s in %(duration)s s"),
                         before=", ".join(before) or Reason.of(N_("none")), reached=versions,
                         duration=f"{duration:.1f}"))
    return DryRunResult(True, message, code, duration, before, reached, output)


def _run(argv: list[str], spec: DryRunSpec, env: dict[str, str]) -> tuple[int | None, str, Reason | None]:
    """(exit code, redacted output tail, why it could not run or finish)."""
    try:
        proc = subprocess.Popen(argv, cwd=spec.cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
    except OSError as exc:
        return None, "", Reason.of(N_("the migration command cannot start (%(program)s: %(error)s)"),
                                   program=argv[0], error=exc.strerror or type(exc).__name__)
    try:
        out, _ = proc.communicate(timeout=spec.timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, _tail(out), Reason.of(N_("the migration command did not finish within %(seconds)s s (stopped)"),
                                           seconds=f"{spec.timeout_s:g}")
    return proc.returncode, _tail(out), None


def _tail(text: str | None) -> str:
    lines = [line.rstrip() for line in (text or "").splitlines() if line.strip()]
    return REDACTOR.scrub("\n".join(lines[-OUTPUT_LINES:]))
