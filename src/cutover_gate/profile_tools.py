"""`cutover-gate profile check|init|show`: a target profile's validation, starter and effective form.

    cutover-gate profile check FILE [--dsn DSN]
        validate the profile merged over the default; every problem with its key path (exit 0 valid, 1 problems).
        With a DSN (or CUTOVER_DB_DSN) each query of [sql] and [invariants] is also prepared against the database,
        read-only and returning no row, and must answer the columns the gate reads.
    cutover-gate profile init [FILE]
        write a commented starter profile (stdout without FILE; an existing FILE is never overwritten).
    cutover-gate profile show [FILE]
        print the effective merged profile as TOML (the default without FILE).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from cutover_gate.config.target_profile import ProfileError, load_profile, problems_of
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.redact import Secret
from cutover_gate.target.database import Database

SQL_COLUMNS: dict[str, tuple[str, ...]] = {
    "alembic_version": (),
    "wallet": ("available", "held"),
    "event_applications": (),
    "user_tables": (),
    "table_rows": (),
}
"""The columns the gate reads from each [sql] query (empty: the first column, whatever its name)."""
INVARIANT_COLUMNS: tuple[str, ...] = ("ref",)
"""Every invariant names the row that breaks it in a `ref` column."""
PARAM = re.compile(r"%\((\w+)\)s")
SAMPLE_VALUES: dict[str, Any] = {"limit": 1, "sample_percent": 1.0, "seed": 1}
"""What a query's parameters are bound to when it is prepared for its columns (times: now; others: NULL)."""


def sample_params(sql: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    names = set(PARAM.findall(sql))
    return {name: SAMPLE_VALUES.get(name, now if name in ("since", "before", "until") else None) for name in names}

STARTER = '''\
#:schema ./profile.schema.json
# (editors validate this file as you type: write the schema beside it with `cutover-gate schema profile >
# profile.schema.json`; the directive above is the first line, as Taplo and the VS Code TOML extensions expect)
# A target profile for the cutover gate: only what differs from the built-in default (CONTRACT section 1).
# Run `cutover-gate profile show` for the whole default, `cutover-gate profile check THIS_FILE` after each edit, and
# `pytest --profile=THIS_FILE`. Tables merge key by key into the default's; a value or a list replaces the default's.

[profile]
name = "my-platform"
# replace = ["calls.deposit.body"]          # these tables replace the default's whole (drop keys of the default)
# remove = ["webhooks.routes.adyen", "invariants.no_negative_balance", "prod_env.flags.KYC_MOCK_ENABLED"]

# Every HTTP call is an entry: method, path template, auth ("admin", "player", "none" or
# { header = "X-Api-Key", scheme = "", token = "admin" }), headers, body template, accepted statuses, and where
# each answer field lives (dotted path or JSON pointer).
# [calls.deposit]
# method = "POST"
# path = "/v2/wallet/deposits"
# auth = "player"
# idempotent = true
# body = { amount = "{amount}", method = "{method}" }
# accept = [200, 201]
# answer = { tx_id = "data.id", state = "data.status" }

# codes = { idempotency_conflict = ["WITHDRAW_IDEMPOTENCY_CONFLICT"], risk_refusal = ["RISK_BLOCK"] }   # this call's
# success = { field = "ok", values = [true] }   # a 2xx whose body says otherwise is a refusal, named as such

# [headers]
# idempotency = "X-Idempotency-Key"         # the header names are values too

# Where an error answer carries its code and message: paths tried in order (dotted or JSON pointer).
# [errors]
# code = ["error_code", "detail.error_code"]
# message = ["message", "detail.message"]
# risk_refusal = ["RISK_BLOCK"]             # platform-wide codes of a risk or limit refusal: NOT_RUN, never FAIL

# How an approved withdrawal reaches paid: "webhook" (payout pending until the PSP's signed event), "sync" (the
# payout call's answer settles it) or "manual" (mark-paid only); and other calls that approve or mark paid.
# [flows]
# payout = "sync"
# alternates = { withdrawal_review = ["admin_withdrawal_approve"], withdrawal_mark_paid = ["admin_ui_mark_paid"] }

# How deposits of each method complete ("webhook", "sync" or "poll"), the PSP's asynchronous method ("" for none).
# [flows.deposit]
# methods = { card = "sync", bank = "webhook" }
# psp_method = "bank"
# calls = { adyen = "deposit_adyen" }       # a method with a deposit call of its own

# Canary verification: "answer" (a code field of the send call's answer), "fixed" (CUTOVER_VERIFY_CODE), "none".
# [flows.verification]
# mode = "fixed"

# KYC: "call" (calls.kyc_review) or "none" (a pre-verified canary).
# [flows.kyc]
# mode = "none"

# [canary]
# tenant_id = "my-tenant"                   # must exist on the platform

# A webhook route: its call, signature scheme (hmac_ts, stripe, adyen, none), the variable holding its secret,
# what it completes and its payload template.
# [webhooks.routes.payout]
# call = "webhook_payout"
# scheme = "hmac_ts"
# secret = "CUTOVER_WEBHOOK_SECRET"
# timestamp_header = "X-Sig-Timestamp"
# signature_header = "X-Sig"
# completes = "payout"
# key_encoding = "hex"                      # how the secret becomes the key: "hex" (Adyen's), "base64" or "raw"

# [webhooks]
# signature_codes = ["SIG_MISSING", "SIG_BAD"]   # a 4xx carrying one proves an unsigned event was refused

# Routes nobody declared: more PSP names and shapes to look for, values of path parameters, routes vouched for.
# [discovery]
# providers = ["iyzico"]
# callback_routes = ["psp/{provider}/result"]
# acknowledged = { "/api/v1/webhooks/paypal" = "verified by PayPal's API; ticket OPS-123" }

# The T-60 prod configuration rules: variable names, list formats ("json", "comma", "json_or_comma").
# [prod_env]
# trusted_proxies = { var = "TRUSTED_PROXY_IPS", format = "comma" }
# cors = { var = "CORS_ORIGINS", format = "comma" }

# Read-only SQL: the gate reads the named columns ([sql].wallet: available, held; each invariant: ref).
# [sql]
# wallet = "SELECT available, held FROM wallet_view WHERE player_id = %(player_id)s"
'''


def sql_problems(data: dict[str, Any], dsn: Secret) -> list[str]:
    """Each [sql] and [invariants] query prepared read-only against the database: a failure or a missing column."""
    profile = load_profile(None)
    database = Database(dsn, profile, connect_timeout=5)
    queries = [(f"sql.{key}", str(sql), SQL_COLUMNS.get(key, ())) for key, sql in data.get("sql", {}).items()]
    queries += [(f"invariants.{key}", str(sql), INVARIANT_COLUMNS) for key, sql in data.get("invariants", {}).items()]
    try:
        database.rows("SELECT 1", what=N_("database"))
    except CheckFailed as exc:
        return [f"database: {exc}"]
    problems = []
    for where, sql, wanted in queries:
        text = sql.replace("{table}", "(SELECT 1) AS one_table")  # table_rows: any table will do
        try:
            names = database.columns(text, sample_params(text), what=where)
        except CheckFailed as exc:
            problems.append(str(exc))
            continue
        if not names:
            problems.append(f"{where}: answers no column")
        elif where == "sql.user_tables" and len(names) < 2:
            problems.append(f"{where}: must answer a schema and a table name per row")
        missing = [c for c in wanted if c not in names]
        if missing:
            problems.append(f"{where}: lacks the column(s) {', '.join(missing)} (it answers {', '.join(names)})")
    return problems


def _read(file: Path) -> tuple[dict[str, Any], list[str]] | None:
    """The merged profile and its problems, or None once a file that cannot be read is said on stderr."""
    try:
        return problems_of(file)
    except ProfileError as exc:
        print(f"cutover-gate: {exc}", file=sys.stderr)
        return None


def check(args: argparse.Namespace) -> int:
    read = _read(args.file)
    if read is None:
        return 2
    data, problems = read
    dsn_text = args.dsn or os.environ.get("CUTOVER_DB_DSN")
    if dsn_text and not problems:
        problems = sql_problems(data, Secret(dsn_text, "CUTOVER_DB_DSN"))
    if problems:
        print(f"{args.file}: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  {problem}")
        return 1
    sql = " and its SQL answers the gate's columns" if dsn_text else ""
    print(f"OK: {args.file} is a valid profile{sql}")
    return 0


def init(args: argparse.Namespace) -> int:
    if args.file is None:
        sys.stdout.write(STARTER)
        return 0
    path: Path = args.file
    if path.exists():
        print(f"cutover-gate: {path} exists; not overwritten", file=sys.stderr)
        return 2
    path.write_text(STARTER, encoding="utf-8")
    print(f"wrote {path}: edit it, then `cutover-gate profile check {path}`")
    return 0


def show(args: argparse.Namespace) -> int:
    read = _read(args.file)
    if read is None:
        return 2
    data, problems = read
    sys.stdout.write(tomli_w.dumps(data, multiline_strings=True))
    if problems:
        print(f"cutover-gate: the profile has {len(problems)} problem(s); `cutover-gate profile check` lists them",
              file=sys.stderr)
        return 1
    return 0


def add_commands(commands: Any) -> None:
    """The `profile` command and its three subcommands, on the top parser's subparsers."""
    top = commands.add_parser("profile", help="check, start or show a target profile",
                              description="Check, start or show a target profile.")
    subs = top.add_subparsers(dest="profile_command", required=True, metavar="SUBCOMMAND")
    checking = subs.add_parser("check", help="validate a profile (and, with a DSN, its SQL)")
    checking.add_argument("file", type=Path)
    checking.add_argument("--dsn", default=None, help="a read-only DSN to check the SQL against (or CUTOVER_DB_DSN)")
    checking.set_defaults(run=check)
    starting = subs.add_parser("init", help="write a commented starter profile")
    starting.add_argument("file", nargs="?", type=Path, default=None)
    starting.set_defaults(run=init)
    showing = subs.add_parser("show", help="print the effective merged profile")
    showing.add_argument("file", nargs="?", type=Path, default=None)
    showing.set_defaults(run=show)
