"""The fault catalogue: named, deliberate conditions of the platform, most of them defects breaking one runbook
checklist line.

Like schemathesis' faulty test apps: every fault names the checklist line it concerns, what the gate must answer on
that line (`expect`: FAIL for a defect; NOT_RUN for a healthy condition the gate cannot prove; GO for a condition real
platforms have, which the gate must pass) and the rollback trigger row it must raise (or None). The code paths honour
a fault through small, marked branches:

    if faults.active("withdraw_5xx"):  # FAULT
        ...

Enable faults with `cutover-sandbox serve --fault NAME` (repeatable), `Sandbox(faults=[...])`, or
`CUTOVER_SANDBOX_FAULTS=name1,name2`.

A fault holds on the dialects it names (`Fault.dialects`, `cutover_sandbox.dialects`): most on `default` and `alt`,
some on `casino` too (where its code path is shared and a test proves it), the casino dialect's own only there. A
sandbox asked for a fault its dialect does not honour refuses to start (`FaultNotOnDialect`, an `UnknownFault`), never
running healthy under a fault's name.

A fault of the `monitoring` layer (`Fault.layer`) is not the platform's: it is a condition of the Prometheus and
Alertmanager that watch it (a rule missing, a rule that errors, no Alertmanager attached, alerts routed nowhere, a
critical alert firing). The monitoring stack started beside the sandbox honours it (tests/e2e/prometheus_support.py,
`MONITORING_VARIANTS`); the sandbox itself refuses it (`NotThePlatforms`), and `for_dialect` lists platform faults
only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cutover_sandbox import dialects as dialect_names

ENV_VAR = "CUTOVER_SANDBOX_FAULTS"
EXPECTS = ("FAIL", "NOT_RUN", "GO")
LAYERS = ("platform", "monitoring")
"""Where a fault lives (`Fault.layer`): the platform the sandbox serves, or the monitoring stack beside it."""
"""What the gate must answer on a fault's line (`Fault.expect`)."""
EVERY_DIALECT = dialect_names.DIALECTS
CASINO_ONLY = (dialect_names.CASINO,)
DEFAULT_ONLY = (dialect_names.DEFAULT,)


@dataclass(frozen=True)
class Fault:
    name: str
    line: str
    """The checklist line id (cutover_gate.core.catalogue) the fault concerns (the one it must make FAIL, mostly)."""
    trigger: str | None
    """The rollback trigger row the suite must raise, if any."""
    description: str
    expect: str = "FAIL"
    """What the gate must answer on `line`: "FAIL" = the line must FAIL (a defect); "NOT_RUN" = the line must be
    NOT_RUN (the gate cannot prove it and must say so; decision PENDING, never GO); "GO" = not a defect: a condition
    real platforms have, under which the line must PASS and the healthy gate still reach GO."""
    dialects: tuple[str, ...] = (dialect_names.DEFAULT, dialect_names.ALT)
    """The dialects whose sandbox honours the fault (`cutover_sandbox.dialects`); another refuses it at start."""
    layer: str = "platform"
    """"platform" (the sandbox honours it) or "monitoring" (the Prometheus and Alertmanager beside it do)."""

    def __post_init__(self) -> None:
        if self.expect not in EXPECTS:
            raise ValueError(f"fault {self.name}: expect {self.expect!r} is not one of {', '.join(EXPECTS)}")
        if self.layer not in LAYERS:
            raise ValueError(f"fault {self.name}: layer {self.layer!r} is not one of {', '.join(LAYERS)}")
        unknown = [d for d in self.dialects if d not in dialect_names.DIALECTS]
        if not self.dialects or unknown:
            raise ValueError(f"fault {self.name}: dialects {self.dialects!r} are not some of "
                             f"{', '.join(dialect_names.DIALECTS)}")


CATALOGUE: tuple[Fault, ...] = (
    Fault("payouts_router_missing", "t15_payouts_router", "payout_withdraw_http_error",
          "the /api/v1/payouts router is not mounted (OPTIONS initiate and status answer 404)", dialects=EVERY_DIALECT),
    Fault("health_unhealthy", "t15_api_health", None,
          "/api/health answers 200 with status 'degraded'", dialects=EVERY_DIALECT),
    Fault("admin_login_broken", "t15_admin_login", None,
          "admin login answers 500 for every request", dialects=EVERY_DIALECT),
    Fault("withdraw_5xx", "t0_withdraw_request", "payout_withdraw_http_error",
          "player withdraw answers 500 and moves nothing", dialects=EVERY_DIALECT),
    Fault("migration_behind", "t15_migrations_at_head", "migration_failure",
          "migrates to head, then stamps alembic_version one revision behind; readiness 503 'behind'",
          dialects=EVERY_DIALECT),
    Fault("mark_paid_keeps_hold", "t0_ledger_settlement", "ledger_invariant_breach",
          "mark-paid answers paid and stores the state but moves no money (held stays)", dialects=EVERY_DIALECT),
    Fault("deposit_double_credit_on_replay", "t0_deposit", "ledger_invariant_breach",
          "a deposit replayed with the same Idempotency-Key and body returns the same transaction but credits again",
          dialects=EVERY_DIALECT),
    Fault("release_sha_mismatch", "t15_deploy_completed", None,
          "/api/version reports a git_sha other than the release SHA", dialects=EVERY_DIALECT),
    Fault("cors_wildcard", "t60_cors_restricted", "security_incident",
          "CORS allows any origin ('*')", dialects=EVERY_DIALECT),
    Fault("bootstrap_endpoint_open", "t60_bootstrap_disabled", "security_incident",
          "POST /api/v1/admin/bootstrap is mounted and live", dialects=EVERY_DIALECT),
    Fault("migration_failure", "t15_migrations_at_head", "migration_failure",
          "alembic_version holds an unknown revision; readiness 503 'failed'", dialects=EVERY_DIALECT),
    Fault("deposit_stuck_pending", "t0_deposit", None,
          "the mock PSP never delivers deposit webhooks; PSP deposits stay pending_provider (the canary's card "
          "deposit fails first; with a synchronous canary method t0_psp_deposit alone fails)", dialects=EVERY_DIALECT),
    Fault("withdraw_no_hold", "t0_withdraw_request", "ledger_invariant_breach",
          "withdraw takes the amount off available but books it to payout_clearing, not held", dialects=EVERY_DIALECT),
    Fault("ledger_unbalanced", "t0_ledger_invariants", "ledger_invariant_breach",
          "deposit credits write only the player-side ledger entry (the movement does not sum to zero)",
          dialects=EVERY_DIALECT),
    Fault("webhook_accepts_bad_signature", "t0_webhook_signature", "security_incident",
          "all three webhook routes accept missing or wrong signatures", dialects=EVERY_DIALECT),
    Fault("webhook_accepts_stale_timestamp", "t0_webhook_timestamp", "security_incident",
          "payout and Stripe webhooks skip the timestamp tolerance window", dialects=EVERY_DIALECT),
    Fault("webhook_replay_double_effect", "t0_webhook_replay", "ledger_invariant_breach",
          "a replayed webhook event (same provider event id) applies its effect again", dialects=EVERY_DIALECT),
    Fault("webhook_failed_treated_as_paid", "t0_webhook_classification", "webhook_misclassification",
          "a payout webhook with status 'failed' moves the withdrawal to paid and settles it", dialects=EVERY_DIALECT),
    Fault("approve_noop", "t0_admin_approve", None,
          "review approve answers 200 with state 'approved' but stores nothing", dialects=EVERY_DIALECT),
    Fault("payout_failure_spike", "hc_first_6h_watch", "payout_failure_rate",
          "the mock PSP fails every payout; the sandbox starts with the last hour's payouts: 8 of 10 failed",
          dialects=EVERY_DIALECT),
    Fault("error_burst_before_round", "hc_first_6h_watch", None,
          "right after start the platform answered a burst of 40 requests with 503, then healthy again: a watch "
          "round sees it only by judging the whole interval, not its own seconds", dialects=EVERY_DIALECT),
    Fault("finance_jobs_stuck", "hc_first_6h_watch", None,
          "the sandbox starts with a provider payout pending for 45 min and a card deposit pending with its PSP for "
          "2 h (stuck finance jobs)", dialects=EVERY_DIALECT),
    Fault("deposit_completed_unbooked", "hc_first_6h_watch", "ledger_invariant_breach",
          "the sandbox starts with a card deposit completed 3 h ago whose credit never reached the ledger nor the "
          "wallet: every ledger invariant holds, only the reconciliation of transactions against the ledger sees it",
          dialects=EVERY_DIALECT),
    Fault("metrics_missing", "hc_alerting_active", None,
          "GET /metrics is not mounted (404): nothing for 5xx/latency alerting to read", dialects=EVERY_DIALECT),
    Fault("readonly_endpoint_5xx", "rb_readonly_endpoints", "payout_withdraw_http_error",
          "the finance withdrawals list (GET /api/v1/finance/withdrawals) answers 500", dialects=EVERY_DIALECT),
    Fault("admin_login_any_password", "t15_admin_login", "security_incident",
          "admin login accepts any password for the admin's e-mail", dialects=EVERY_DIALECT),
    Fault("admin_routes_open", "t15_admin_auth_enforced", "security_incident",
          "admin endpoints serve a request without any token as the admin (a missing auth dependency)",
          dialects=EVERY_DIALECT),
    Fault("player_token_admin_access", "t0_player_scope", "security_incident",
          "admin endpoints accept any valid token: a player's token acts as the admin (dashboard, finance lists, "
          "reviews)", dialects=EVERY_DIALECT),
    Fault("debug_route_mounted", "t60_bootstrap_disabled", "security_incident",
          "an undeclared, unauthenticated POST /api/v1/debug/reset-wallets is mounted (listed in /openapi.json)",
          dialects=EVERY_DIALECT),
    Fault("unsigned_callback_route", "t0_webhook_signature", "security_incident",
          "an undeclared PSP callback POST /api/v1/payments/psp2/callback accepts unsigned bodies",
          dialects=EVERY_DIALECT),
    Fault("dump_not_restorable", "t30_restore_drill", None,
          "a CHECK on wallets calls a function naming players without a schema: the platform and pg_dump work, but "
          "pg_restore (search_path '') cannot load wallets, so the restored copy lacks them (customers are seeded)",
          dialects=EVERY_DIALECT),
    Fault("openapi_hidden", "t60_bootstrap_disabled", None,
          "not a defect: the app serves no OpenAPI document (GET /openapi.json answers 404, docs and redoc off), as "
          "many production deployments do", expect="GO", dialects=EVERY_DIALECT),
    Fault("undeclared_seed_route", "t60_bootstrap_disabled", "security_incident",
          "an undeclared, unauthenticated POST /api/v1/ci/seed (not in /openapi.json; OPTIONS answers 405) creates a "
          "player and credits it 1,000.00 in a real ledger movement", dialects=EVERY_DIALECT),
    Fault("generic_provider_webhook", "t0_webhook_signature", "security_incident",
          "an undeclared, unsigned POST /api/v1/payments/webhook/{provider} (not in /openapi.json; the declared Stripe "
          "route still wins for 'stripe') credits player_id/user_id + amount, or completes the pending deposit "
          "transaction_id/tx_id; 400 MISSING_IDS without either", dialects=EVERY_DIALECT),
    Fault("webhook_shape_first", "t0_webhook_signature", None,
          "a healthy, undeclared PayPal callback POST /api/v1/webhooks/paypal (not in /openapi.json) checks the body's "
          "shape before the signature: 400 INVALID_PAYLOAD unless {event_type 'PAYMENT.*', resource {id}}, then 401 "
          "WEBHOOK_SIGNATURE_MISSING / _INVALID; it never moves money, but the gate cannot prove it without its "
          "payload", expect="NOT_RUN", dialects=EVERY_DIALECT),
    Fault("catch_all_200", "t60_bootstrap_disabled", None,
          "a request no route matches (any method, OPTIONS too) answers 200 with an HTML app shell, like a "
          "single-page-app host; mounted routes still answer 405 to other methods and missing records 404",
          expect="NOT_RUN", dialects=EVERY_DIALECT),
    Fault("password_reset_routes", "t60_bootstrap_disabled", None,
          "not a defect: password-reset routes listed in /openapi.json: POST /api/v1/auth/request-password-reset "
          "answers 202 'sent' always, POST /api/v1/auth/reset-password 400 INVALID_RESET_TOKEN; they change nothing",
          expect="GO", dialects=EVERY_DIALECT),
    # -- the monitoring stack's: Prometheus and Alertmanager beside the sandbox ---------------------------------------
    Fault("alert_rule_missing", "hc_alerting_active", None,
          "Prometheus loads the runbook's rules without WebhookFailures: no rule watches webhook failures",
          dialects=DEFAULT_ONLY, layer="monitoring"),
    Fault("alert_rule_broken", "hc_alerting_active", None,
          "ReadinessFailing's expression fails at every evaluation (an invalid regular expression): rule health err",
          dialects=DEFAULT_ONLY, layer="monitoring"),
    Fault("alertmanager_detached", "hc_alerting_active", None,
          "Prometheus evaluates the rules with no Alertmanager attached: an alert reaches nobody",
          dialects=DEFAULT_ONLY, layer="monitoring"),
    Fault("alerts_go_nowhere", "hc_alerting_active", None,
          "Alertmanager's route tree sends every alert to a receiver with no integration ('null')",
          dialects=DEFAULT_ONLY, layer="monitoring"),
    Fault("critical_alert_firing", "t0_canary_report", "payout_withdraw_http_error",
          "a critical HighErrorRate alert labelled for the platform is firing in Prometheus as T-0 ends",
          dialects=DEFAULT_ONLY, layer="monitoring"),
    # -- the casino dialect's own ------------------------------------------------------------------------------------
    Fault("admin_ui_payout_500", "t0_alternate_paths", "payout_withdraw_http_error",
          "the admin UI's own withdrawal routes (POST /api/v1/withdrawals/{id}/approve and /mark-paid) answer 500 and "
          "change nothing; the finance API's review and mark-paid still work", dialects=CASINO_ONLY),
    Fault("sync_payout_keeps_hold", "t0_ledger_settlement", "ledger_invariant_breach",
          "the synchronous payout (POST /api/v1/finance/withdrawals/{id}/payout) answers paid and stores the state but "
          "moves no money (held stays)", dialects=CASINO_ONLY),
    Fault("confirm_always_ok_false", "t0_deposit", None,
          "verification confirms answer 200 {\"ok\": false} even for the right code and verify nothing: the canary "
          "can never deposit (a body-level failure behind a 200)", dialects=CASINO_ONLY),
    Fault("risk_engine_strict", "t0_idempotency", None,
          "the risk engine refuses every withdrawal request beyond a player's 2nd in an hour (403 RISK_BLOCK): the "
          "gate cannot prove withdraw idempotency and must say so", expect="NOT_RUN", dialects=CASINO_ONLY),
)

BY_NAME: Mapping[str, Fault] = {fault.name: fault for fault in CATALOGUE}


class UnknownFault(ValueError):
    """A fault name outside the catalogue; the message lists the known ones."""

    def __init__(self, unknown: Iterable[str]) -> None:
        self.unknown = sorted(set(unknown))
        super().__init__(
            f"unknown fault(s): {', '.join(self.unknown)}; known faults: {', '.join(fault.name for fault in CATALOGUE)}"
        )


class FaultNotOnDialect(UnknownFault):
    """Faults the chosen dialect does not honour; the message names, for each, the dialects that do."""

    def __init__(self, names: Iterable[str], dialect: str) -> None:
        self.unknown = sorted(set(names))
        self.dialect = dialect
        ValueError.__init__(self, f"fault(s) not on dialect {dialect}: " + "; ".join(
            f"{name} (dialects: {', '.join(BY_NAME[name].dialects)})" for name in self.unknown))


class NotThePlatforms(UnknownFault):
    """Monitoring faults given to the sandbox: the stack beside it honours them, the sandbox would run healthy."""

    def __init__(self, names: Iterable[str]) -> None:
        self.unknown = sorted(names)
        ValueError.__init__(self, f"fault(s) {', '.join(self.unknown)} are the monitoring stack's (Prometheus and "
                                  "Alertmanager beside the sandbox), not the platform's: the sandbox cannot honour "
                                  "them")


def for_dialect(dialect: str) -> tuple[Fault, ...]:
    """The platform faults a sandbox speaking `dialect` honours, in catalogue order."""
    return tuple(fault for fault in CATALOGUE if dialect in fault.dialects and fault.layer == "platform")


def of_monitoring() -> tuple[Fault, ...]:
    """The monitoring stack's faults, in catalogue order."""
    return tuple(fault for fault in CATALOGUE if fault.layer == "monitoring")


def check_dialect(names: Iterable[str], dialect: str) -> None:
    """NotThePlatforms for a monitoring fault; FaultNotOnDialect when a named (known) fault does not hold on
    `dialect`."""
    names = list(names)
    monitoring = [name for name in names if BY_NAME[name].layer != "platform"]
    if monitoring:
        raise NotThePlatforms(monitoring)
    foreign = [name for name in names if dialect not in BY_NAME[name].dialects]
    if foreign:
        raise FaultNotOnDialect(foreign, dialect)


def parse(names: Iterable[str]) -> tuple[str, ...]:
    """Validate fault names (comma-separated items allowed), in catalogue order, without duplicates."""
    wanted = {part.strip() for name in names for part in name.split(",") if part.strip()}
    unknown = wanted - BY_NAME.keys()
    if unknown:
        raise UnknownFault(unknown)
    return tuple(fault.name for fault in CATALOGUE if fault.name in wanted)


def from_env(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The faults named by `CUTOVER_SANDBOX_FAULTS` (validated)."""
    env = os.environ if environ is None else environ
    return parse([env.get(ENV_VAR, "")])


class Faults:
    """The faults active in one running sandbox."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names: tuple[str, ...] = parse(names)

    def active(self, name: str) -> bool:
        if name not in BY_NAME:  # a typo in a fault branch must not silently disable it
            raise UnknownFault([name])
        return name in self.names

    def __repr__(self) -> str:
        return f"Faults({list(self.names)!r})"


def table() -> str:
    """The catalogue as an aligned text table (name, line, trigger, expect, dialects, description)."""
    rows = [("NAME", "LINE", "TRIGGER", "EXPECT", "DIALECTS", "DESCRIPTION")]
    rows += [(f.name, f.line, f.trigger or "-", f.expect, ",".join(f.dialects), f.description) for f in CATALOGUE]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5] for row in rows
    )
