"""The runbook's own commands, word for word (`python3 scripts/verify_prod_env.py`, `bash scripts/go_live_smoke.sh`,
`bash scripts/db_restore_drill.sh`, `python3 scripts/detect_stuck_finance_jobs.py`,
`python3 scripts/daily_reconciliation_report.py`): each is a thin wrapper that runs the suite's own scenarios for its
lines, with the same inputs, variables and options, and answers as a scheduler expects.

The two hypercare commands run the hypercare watch round (`hc_first_6h_watch`: the round is kept in the record, its
rollback rows raised, the daily reconciliation report written) and answer for their own checks of it: the stuck
finance jobs, or the reconciliation. Another finding of the round is printed, not counted.

    python3 -m cutover_gate.runbook_commands NAME [pytest options ...]

Exit codes: 0 clean (every line of the command PASS or WAIVED), 1 findings (a line FAILed), 2 could not check (the
target or the database unreachable, a usage error, a line that did not run). Without options it runs against the
embedded sandbox and its fixtures, as a bare `pytest` does. It prints a short summary in the run's language (`--lang`)
and never a secret: the summary is made of the decision file's redacted lines.

A command's optional lines (the restore drill's migration dry-run, run only when the cutover file names the command)
are reported and a FAIL of one is a finding, but one that did not run leaves the command clean. A command that must
never run in prod (the restore drill: the runbook's T-30 "do not run the restore drill in prod") refuses before it
starts anything when the run's environment is prod (`--env-name=prod`, or a target given without `--env-name`, as the
gate itself decides): exit 2 with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cutover_gate.checks.hypercare.judge import Severity
from cutover_gate.core.catalogue import (
    HC_FIRST_6H_WATCH,
    LANGS,
    LINES_BY_ID,
    T30_MIGRATION_DRY_RUN,
    T30_RESTORE_DRILL,
    T30_SNAPSHOT_TAKEN,
    T60_PROD_ENV_VERIFIED,
)
from cutover_gate.core.i18n import N_, translate
from cutover_gate.decide.rules import ChecklistRow
from cutover_gate.evidence.model import Result

EXIT_CLEAN, EXIT_FINDINGS, EXIT_UNCHECKED = 0, 1, 2
UNREACHABLE = ("target unreachable", "cannot connect to the database", "no database DSN", "cannot reach PostgreSQL",
               "cannot reach the restore server")


@dataclass(frozen=True)
class Command:
    title_en: str
    """The English title, the msgid of its Turkish in the message catalogue (`locale/`)."""
    select: tuple[str, ...]
    """The pytest selection that runs the command's scenarios (a marker expression and keywords)."""
    lines: tuple[str, ...]
    """The checklist lines whose results the command answers for."""
    optional: tuple[str, ...] = ()
    """Lines reported too, whose NOT_RUN leaves the command clean (a FAIL is a finding)."""
    never_in_prod: bool = False
    checks: tuple[str, ...] = ()
    """When set, the command answers only for these checks of its lines' findings (evidence `findings`)."""
    needs: tuple[str, ...] = ()
    """The signals those checks read: one unavailable (evidence `unavailable`) or a queue read incompletely ("queue")
    is a "could not check"."""
    reports: tuple[str, ...] = ()
    """Files the run writes for the command, named in the summary."""


COMMANDS: dict[str, Command] = {
    "verify_prod_env": Command(N_("prod configuration check"),
                               ("-m", "t60", "-k", "verify_prod_env"), (T60_PROD_ENV_VERIFIED,)),
    "go_live_smoke": Command(N_("go-live smoke"), ("-m", "t15"),
                             tuple(line.id for line in LINES_BY_ID.values() if line.phase == "t15" and line.mandatory)),
    "db_restore_drill": Command(N_("restore drill"),
                                ("-m", " or ".join((T30_SNAPSHOT_TAKEN, T30_RESTORE_DRILL, T30_MIGRATION_DRY_RUN))),
                                (T30_SNAPSHOT_TAKEN, T30_RESTORE_DRILL), (T30_MIGRATION_DRY_RUN,),
                                never_in_prod=True),
    "detect_stuck_finance_jobs": Command(N_("stuck finance job detector"),
                                         ("-m", "hypercare", "-k", HC_FIRST_6H_WATCH), (HC_FIRST_6H_WATCH,),
                                         checks=("stuck_jobs",), needs=("withdrawals", "queue")),
    "daily_reconciliation_report": Command(N_("daily reconciliation report"),
                                           ("-m", "hypercare", "-k", HC_FIRST_6H_WATCH), (HC_FIRST_6H_WATCH,),
                                           checks=("daily_recon", "ledger_recon"), needs=("recon", "database"),
                                           reports=("reconciliation_report.md", "reconciliation_report.json")),
}
REFUSED = N_("refused: never in prod (the runbook, T-30: do not run the restore drill in prod); run it with "
             "--env-name=staging or --env-name=sandbox")


def reports_dir(args: Sequence[str]) -> Path:
    for arg in reversed(list(args)):
        if arg.startswith("--reports-dir="):
            return Path(arg.split("=", 1)[1])
    return Path.cwd() / "reports"


def env_name_of(args: Sequence[str], environ: Mapping[str, str]) -> str:
    """The run's environment as the gate decides it: `--env-name`, else prod against a target, else the sandbox."""
    args = list(args)
    for i, arg in enumerate(args):
        if arg.startswith("--env-name="):
            return arg.split("=", 1)[1]
        if arg == "--env-name" and i + 1 < len(args):
            return args[i + 1]
    target = any(a.startswith("--target-url") for a in args) or bool(environ.get("CUTOVER_TARGET_URL"))
    return "prod" if target else "sandbox"


def lang_of(args: Sequence[str]) -> str:
    return next((a.split("=", 1)[1] for a in reversed(list(args)) if a.startswith("--lang=")), "en")


def _focused(command: Command, row: ChecklistRow) -> tuple[bool, bool, list[str]]:
    """(findings, could not check, lines to print) of a command that answers for some checks of a line."""
    evidence: dict[str, Any] = row.evidence if isinstance(row.evidence, dict) else {}
    findings = [f for f in evidence.get("findings") or [] if isinstance(f, dict)]
    ours = [str(f.get("message")) for f in findings if f.get("check") in command.checks
            and f.get("severity") == Severity.FAIL]
    unavailable = {k: v for k, v in (evidence.get("unavailable") or {}).items() if k in command.needs}
    if "findings" not in evidence:  # the scenario stopped before its round was judged (a login that failed, ...)
        unavailable["round"] = row.message or "the watch round was not taken"
    queue = evidence.get("queue") if isinstance(evidence.get("queue"), dict) else {}
    if "queue" in command.needs and queue and not queue.get("complete", True):
        unavailable["queue"] = str(queue.get("note") or "the withdrawal queue was read incompletely")
    if "queue" in command.needs and queue and queue.get("deposits") is False:
        unavailable["deposits"] = "the admin API lists no deposits: stuck deposits need CUTOVER_DB_DSN"
    others = [str(f.get("message")) for f in findings if f.get("check") not in command.checks
              and f.get("severity") == Severity.FAIL]
    out = [f"  FINDING {m.splitlines()[0][:300]}" for m in ours]
    out += [f"  UNCHECKED {k}: {v.splitlines()[0][:300]}" for k, v in unavailable.items()]
    out += [f"  (the round also found: {m.splitlines()[0][:200]})" for m in others[:3]]
    return bool(ours), bool(unavailable), out


def verdict(command: Command, pytest_code: int, decision: dict[str, object] | None) -> tuple[int, list[str]]:
    """(exit code, the summary's lines) from pytest's exit code and the decision file the run wrote."""
    if decision is None or pytest_code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        return EXIT_UNCHECKED, ["could not check: the run wrote no decision (see the message above)"]
    checklist = decision.get("checklist")
    rows = {str(r["id"]): ChecklistRow.from_json(r) for r in checklist if isinstance(r, dict)} \
        if isinstance(checklist, list) else {}
    out, failed, unchecked = [], False, False
    for lid in (*command.lines, *command.optional):
        row = rows.get(lid) or ChecklistRow.from_json({"id": lid, "message": "not in the decision"})
        result, message = row.result, row.message
        out.append(f"  {result.value:7} {lid}" + (f": {message.splitlines()[0][:200]}" if message else ""))
        if result is Result.NOT_RUN and lid in command.optional:
            continue  # an optional line that did not run leaves the command clean
        if result is Result.NOT_RUN or (result is Result.FAIL and any(m in message for m in UNREACHABLE)):
            unchecked = True
        elif command.checks:
            ours, cannot, lines = _focused(command, row)
            failed, unchecked = failed or ours, unchecked or (cannot and not ours)
            out.extend(lines)
        elif result is Result.FAIL:
            failed = True
    code = EXIT_FINDINGS if failed else EXIT_UNCHECKED if unchecked else EXIT_CLEAN
    return code, out


WORDS = {EXIT_CLEAN: N_("clean"), EXIT_FINDINGS: N_("findings"), EXIT_UNCHECKED: N_("could not check")}
"""The summary's word for each exit code, in English: the msgid of its Turkish in the message catalogue."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        print(f"usage: runbook_commands {{{','.join(COMMANDS)}}} [pytest options ...]", file=sys.stderr)
        return EXIT_UNCHECKED
    name, rest = args[0], args[1:]
    command = COMMANDS[name]
    lang = lang_of(rest) if lang_of(rest) in LANGS else "en"
    title = translate(lang, command.title_en)
    if command.never_in_prod and env_name_of(rest, os.environ) == "prod":
        print(f"{name} ({title}): {translate(lang, WORDS[EXIT_UNCHECKED])}: {translate(lang, REFUSED)}")
        return EXIT_UNCHECKED
    reports = reports_dir(rest)
    (reports / "decision.json").unlink(missing_ok=True)  # this run must write its own
    # the suite itself, as its own process: the same plugin, features, steps and options as `pytest` from here
    code = subprocess.run([sys.executable, "-m", "pytest", *command.select, "-q", "--no-header", "-p",
                           "no:cacheprovider", *rest], check=False).returncode
    path = reports / "decision.json"
    decision = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    exit_code, lines = verdict(command, code, decision)
    print(f"{name} ({title}): {translate(lang, WORDS[exit_code])}")
    print("\n".join(lines))
    for report in command.reports:
        if (reports / report).is_file():
            print(f"  {reports / report}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
