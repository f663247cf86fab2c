"""`cutover-sandbox` (also `python -m cutover_sandbox`): serve the sandbox, migrate a database, list the faults.

    cutover-sandbox serve [--port N] [--fault NAME ...] [--git-sha SHA] [--dialect default|alt|casino]
                          [--maintenance-flag FILE] [--dsn DSN]
    cutover-sandbox migrate [--dsn DSN] [--revision REV]
    cutover-sandbox faults [--json]

`migrate` runs the sandbox's alembic migrations on a database (its DSN from `--dsn` or `DATABASE_URL`, never printed):
the release's migration command of the sandbox, which the gate's restore drill dry-runs on a restored copy.
`--maintenance-flag FILE` (or `CUTOVER_SANDBOX_MAINTENANCE_FLAG`): while FILE exists, the player-facing routes answer
the maintenance page (503 `MAINTENANCE`); `touch FILE` opens the maintenance window, `rm FILE` reopens traffic.

`serve --dsn DSN` starts no PostgreSQL: it is another replica of a running sandbox, serving the database at DSN (the
first replica's `CUTOVER_DB_DSN`, already migrated and seeded), e.g. behind `cutover-proxy --upstream A --upstream B`.
`serve` prints `CUTOVER_SANDBOX_URL=...`, `CUTOVER_DB_DSN=...` and one machine-readable line
`CUTOVER_SANDBOX_READY {"url", "dsn", "bindir", "faults", "git_sha", "dialect"}`, then runs until Ctrl-C or SIGTERM.
Faults named with `--fault` add to those in `CUTOVER_SANDBOX_FAULTS`; `--dialect` wins over
`CUTOVER_SANDBOX_DIALECT`. Errors are one line on stderr, exit 2 for bad usage (unknown fault or dialect), 1 for
anything that stops the sandbox from starting. A fault the dialect does not honour (`Fault.dialects`) is bad usage too.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict
from types import FrameType

from cutover_sandbox import dialects, faults

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PARENT_ENV = "CUTOVER_SANDBOX_PARENT_PID"
EPILOG = """environment:
  CUTOVER_SANDBOX_FAULTS      comma-separated faults to enable (added to --fault)
  CUTOVER_SANDBOX_DIALECT     the API to speak: default (CONTRACT §1), alt or casino (--dialect wins)
  CUTOVER_VERIFY_CODE         alt: the fixed verification code every e-mail and SMS sends (default 424242)
  CASINO_RISK_WITHDRAWALS_PER_HOUR   casino: withdrawal requests per player and hour before RISK_BLOCK (default 12)
  CUTOVER_SANDBOX_GIT_SHA     the release SHA /api/version reports (--git-sha wins)
  CUTOVER_SANDBOX_MAINTENANCE_FLAG   maintenance page while this file exists (--maintenance-flag wins)
  CUTOVER_ADMIN_EMAIL, CUTOVER_ADMIN_PASSWORD     the seeded admin
  CUTOVER_WEBHOOK_SECRET, CUTOVER_ADYEN_HMAC_KEY, CUTOVER_STRIPE_WEBHOOK_SECRET   webhook secrets
  CUTOVER_PG_BINDIR           force the directory of initdb / pg_ctl / postgres
                              (default: PATH, pg_config, /usr/lib/postgresql/*/bin, then the pgserver wheel)
  CUTOVER_PG_TMPDIR           parent dir of the throwaway cluster (default: /dev/shm when roomy, else the temp dir)
  CUTOVER_PG_CACHE_DIR        cache of pristine initdb results (default ~/.cache/cutover-sandbox; 'off' disables)"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cutover-sandbox", description=__doc__.split("\n\n")[0], epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start PostgreSQL, migrate, seed and serve on 127.0.0.1", epilog=EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    serve.add_argument("--fault", action="append", default=[], metavar="NAME",
                       help="enable a fault from the catalogue (repeatable); see `cutover-sandbox faults`")
    serve.add_argument("--git-sha", default=None, help="the release SHA /api/version reports "
                                                       "(default: $CUTOVER_SANDBOX_GIT_SHA or a fixed sandbox SHA)")
    serve.add_argument("--dialect", default=None, metavar="NAME",
                       help=f"the API to speak: {' or '.join(dialects.DIALECTS)} "
                            f"(default: ${dialects.ENV_VAR} or {dialects.DEFAULT})")
    serve.add_argument("--maintenance-flag", default=None, metavar="FILE",
                       help="answer the maintenance page on player-facing routes while FILE exists "
                            "(default: $CUTOVER_SANDBOX_MAINTENANCE_FLAG)")
    serve.add_argument("--dsn", default=None, metavar="DSN",
                       help="attach to this database instead of starting PostgreSQL: another replica of a running "
                            "sandbox (the database must be migrated; its faults that change the database are the "
                            "first replica's)")
    migrate = sub.add_parser("migrate", help="run the sandbox's migrations on a database (alembic upgrade)")
    migrate.add_argument("--dsn", default=None, help="the database (default: $DATABASE_URL); never printed")
    migrate.add_argument("--revision", default="head", help="the revision to upgrade to (default: head)")
    listing = sub.add_parser("faults", help="list the fault catalogue")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _fail(message: str, code: int) -> int:
    print(f"cutover-sandbox: error: {message}", file=sys.stderr, flush=True)
    return code


def _list_faults(as_json: bool) -> int:
    if as_json:
        print(json.dumps([asdict(fault) for fault in faults.CATALOGUE], indent=2))
    else:
        print(faults.table())
    return EXIT_OK


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def _serve(args: argparse.Namespace) -> int:
    try:
        names = faults.parse([*faults.from_env(), *args.fault])
        dialect = dialects.from_env() if args.dialect is None else dialects.parse(args.dialect)
        faults.check_dialect(names, dialect)
    except (faults.UnknownFault, dialects.UnknownDialect) as exc:
        return _fail(str(exc), EXIT_USAGE)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # imported here so that `faults` and usage errors answer at once, without loading the web stack
    from cutover_sandbox.pg import PgError
    from cutover_sandbox.server import Sandbox, SandboxError

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    sandbox: Sandbox | None = None
    try:
        try:
            sandbox = Sandbox(faults=names, port=args.port, git_sha=args.git_sha, dialect=dialect,
                              maintenance_flag=args.maintenance_flag, dsn=args.dsn, attach=bool(args.dsn)).start()
        except (SandboxError, PgError) as exc:
            return _fail(str(exc), EXIT_FAILED)
        except Exception as exc:  # anything else that stops the start: still one line, no traceback, no DSN
            message = f"{exc.__class__.__name__}: {_one_line(exc)}"
            return _fail(message.replace(args.dsn, "<dsn>") if args.dsn else message, EXIT_FAILED)
        ready = {"url": sandbox.url, "dsn": sandbox.dsn, "bindir": str(sandbox.bindir) if sandbox.bindir else None,
                 "faults": list(sandbox.faults.names), "git_sha": sandbox.git_sha, "dialect": sandbox.dialect}
        print(f"CUTOVER_SANDBOX_URL={sandbox.url}")
        print(f"CUTOVER_DB_DSN={sandbox.dsn}")
        print("CUTOVER_SANDBOX_READY " + json.dumps(ready), flush=True)
        parent = _watched_parent()
        while not stop.wait(0.5):
            if parent is not None and os.getppid() != parent:
                print("cutover-sandbox: the process that started this sandbox is gone; stopping", file=sys.stderr)
                break
        return EXIT_OK
    finally:
        if sandbox is not None:
            sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _watched_parent() -> int | None:
    """When started by the gate (PARENT_ENV set), stop once that process dies, even if it never sent SIGTERM."""
    raw = os.environ.get(PARENT_ENV, "")
    return int(raw) if raw.isdigit() else None


def _migrate(args: argparse.Namespace) -> int:
    dsn = args.dsn or os.environ.get("DATABASE_URL")
    if not dsn:
        return _fail("no database: give --dsn or set DATABASE_URL", EXIT_USAGE)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from cutover_sandbox import migrate
    from cutover_sandbox.core.db import make_engine

    try:
        engine = make_engine(dsn)
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    try:
        before = migrate.current(engine)
        migrate.upgrade(engine, args.revision)
        after = migrate.current(engine)
    except Exception as exc:  # alembic and the driver raise many kinds: one line, never the DSN
        return _fail(f"migration failed: {exc.__class__.__name__}: {_one_line(exc)}".replace(dsn, "<dsn>"),
                     EXIT_FAILED)
    finally:
        engine.dispose()
    print(f"migrated: {before or 'empty'} -> {after}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "faults":
        return _list_faults(args.json)
    if args.command == "migrate":
        return _migrate(args)
    return _serve(args)
