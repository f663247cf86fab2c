"""The runbook's sign-off checklist (section 5) and rollback decision matrix, as data.

Every checklist line has a stable id; Gherkin scenarios name the lines they prove with a tag of the same id.
Titles are written here in English, marked with `N_()`: the English is the msgid of the message catalogue
(`locale/`, see babel.cfg), whose Turkish is the runbook's (the original); `title(lang)` reads it from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Final

from cutover_gate.core.i18n import N_, translate

LANGS: tuple[str, ...] = ("en", "tr")
"""The runbook's languages: English (the rendering) and Turkish (the original)."""

PHASES: tuple[str, ...] = ("t60", "t30", "t15", "t0")
"""The four cutover phases whose lines decide GO, in runbook order."""

OPTIONAL_PHASES: tuple[str, ...] = ("hypercare", "rollback")
"""Phases that run only when selected (`-m hypercare`, `-m rollback`)."""

ALL_PHASES: tuple[str, ...] = PHASES + OPTIONAL_PHASES


class Action(StrEnum):
    IMMEDIATE_ROLLBACK = "IMMEDIATE_ROLLBACK"
    MONITOR = "MONITOR"


@dataclass(frozen=True)
class Line:
    id: str
    phase: str
    section: int
    title_en: str
    """The English title, the msgid of its Turkish in the message catalogue."""
    mandatory: bool = True
    parent: str | None = None
    """A smoke sub-line names its parent line (the runbook nests them under `go_live_smoke.sh`)."""
    only_with: str | None = None
    """The SELECTED_ONLY_TAGS tag its scenario carries: it runs only when the operator selects that tag."""

    def title(self, lang: str) -> str:
        return translate(lang, self.title_en)


@dataclass(frozen=True)
class TriggerRow:
    id: str
    action: Action
    title_en: str
    """The English title, the msgid of its Turkish in the message catalogue."""

    def title(self, lang: str) -> str:
        return translate(lang, self.title_en)


# One name per checklist line and per rollback-matrix row: code refers to them by these names, so a misspelt id
# fails at import or under mypy (tests/unit/test_catalogue_ids.py holds them to LINES and TRIGGERS both ways).
# 1) Pre-flight (T-60)
T60_RELEASE_PINNED: Final = "t60_release_pinned"
T60_OWNERS_ASSIGNED: Final = "t60_owners_assigned"
T60_PROD_ENV_VERIFIED: Final = "t60_prod_env_verified"
T60_CORS_RESTRICTED: Final = "t60_cors_restricted"
T60_BOOTSTRAP_DISABLED: Final = "t60_bootstrap_disabled"
T60_RC_ARTIFACTS_VERIFIED: Final = "t60_rc_artifacts_verified"
# 2) Backup (T-30)
T30_SNAPSHOT_TAKEN: Final = "t30_snapshot_taken"
T30_SNAPSHOT_READABLE: Final = "t30_snapshot_readable"
T30_RESTORE_PROCEDURE: Final = "t30_restore_procedure"
T30_RESTORE_DRILL: Final = "t30_restore_drill"
T30_MIGRATION_DRY_RUN: Final = "t30_migration_dry_run"
# 3) Deploy + migration + smoke (T-15)
T15_MAINTENANCE_PAGE: Final = "t15_maintenance_page"
T15_DEPLOY_COMPLETED: Final = "t15_deploy_completed"
T15_MIGRATIONS_AT_HEAD: Final = "t15_migrations_at_head"
T15_API_HEALTH: Final = "t15_api_health"
T15_ADMIN_LOGIN: Final = "t15_admin_login"
T15_DASHBOARD_LOADS: Final = "t15_dashboard_loads"
T15_PAYOUTS_ROUTER: Final = "t15_payouts_router"
T15_ADMIN_AUTH_ENFORCED: Final = "t15_admin_auth_enforced"
T15_ALERTING_ACTIVE: Final = "t15_alerting_active"
# 4) Canary money loop (T-0)
T0_TRAFFIC_OPEN: Final = "t0_traffic_open"
T0_DEPOSIT: Final = "t0_deposit"
T0_WITHDRAW_REQUEST: Final = "t0_withdraw_request"
T0_ADMIN_APPROVE: Final = "t0_admin_approve"
T0_MARK_PAID: Final = "t0_mark_paid"
T0_LEDGER_SETTLEMENT: Final = "t0_ledger_settlement"
T0_ALTERNATE_PATHS: Final = "t0_alternate_paths"
T0_LEDGER_INVARIANTS: Final = "t0_ledger_invariants"
T0_PLAYER_SCOPE: Final = "t0_player_scope"
T0_PSP_DEPOSIT: Final = "t0_psp_deposit"
T0_IDEMPOTENCY: Final = "t0_idempotency"
T0_WEBHOOK_SIGNATURE: Final = "t0_webhook_signature"
T0_WEBHOOK_TIMESTAMP: Final = "t0_webhook_timestamp"
T0_WEBHOOK_REPLAY: Final = "t0_webhook_replay"
T0_WEBHOOK_CLASSIFICATION: Final = "t0_webhook_classification"
T0_CANARY_REPORT: Final = "t0_canary_report"
# 5) Hypercare
HC_ALERTING_ACTIVE: Final = "hc_alerting_active"
HC_FIRST_6H_WATCH: Final = "hc_first_6h_watch"
HC_CONTROL_REPORT_24H: Final = "hc_control_report_24h"
HC_STABLE_72H: Final = "hc_stable_72h"
# 6) Rollback
RB_MAINTENANCE_PAGE: Final = "rb_maintenance_page"
RB_LOGIN: Final = "rb_login"
RB_READONLY_ENDPOINTS: Final = "rb_readonly_endpoints"
RB_TRAFFIC_REOPENED: Final = "rb_traffic_reopened"
# the rollback decision matrix
ROW_PAYOUT_WITHDRAW_HTTP_ERROR: Final = "payout_withdraw_http_error"
ROW_MIGRATION_FAILURE: Final = "migration_failure"
ROW_LEDGER_INVARIANT_BREACH: Final = "ledger_invariant_breach"
ROW_WEBHOOK_MISCLASSIFICATION: Final = "webhook_misclassification"
ROW_LATENCY_SPIKE: Final = "latency_spike"
ROW_QUEUE_BACKLOG: Final = "queue_backlog"
ROW_PAYOUT_FAILURE_RATE: Final = "payout_failure_rate"
ROW_SECURITY_INCIDENT: Final = "security_incident"


LINES: tuple[Line, ...] = (
    # 1) Pre-flight (T-60)
    Line(T60_RELEASE_PINNED, "t60", 1, N_("Release SHA/tag pinned")),
    Line(T60_OWNERS_ASSIGNED, "t60", 1, N_("Owners assigned (Deploy / DB / On-call)")),
    Line(T60_PROD_ENV_VERIFIED, "t60", 1, N_("verify_prod_env run (prod configuration)")),
    Line(T60_CORS_RESTRICTED, "t60", 1, N_("CORS restricted (foreign-origin preflight refused)")),
    Line(T60_BOOTSTRAP_DISABLED, "t60", 1, N_("Bootstrap / seed / test endpoints disabled")),
    Line(T60_RC_ARTIFACTS_VERIFIED, "t60", 1, N_("RC artifacts present, hashes verified")),
    # 2) Backup (T-30)
    Line(T30_SNAPSHOT_TAKEN, "t30", 2, N_("Prod DB snapshot taken (ID/path, timestamp, checksum)")),
    Line(T30_SNAPSHOT_READABLE, "t30", 2, N_("Snapshot accessibility verified")),
    Line(T30_RESTORE_PROCEDURE, "t30", 2, N_("Rollback restore procedure reachable")),
    # runbook A.3 "snapshot taken (restore tested)" and A.4 "dry-run `alembic upgrade head` on a prod copy", outside
    # prod only (T-30: "do not run the restore drill in prod"): in prod NOT_RUN, never holding GO
    Line(T30_RESTORE_DRILL, "t30", 2, N_("Restore drill on a scratch database: row counts and alembic version match"),
         mandatory=False),
    Line(T30_MIGRATION_DRY_RUN, "t30", 2, N_("Migration dry-run on the restored copy (alembic upgrade head)"),
         mandatory=False),
    # 3) Deploy + migration + smoke (T-15)
    # runbook B.1: the maintenance page is up while the deploy window is open (`pytest -m maintenance`)
    Line(T15_MAINTENANCE_PAGE, "t15", 3, N_("Maintenance page answers while the deploy window is open"),
         mandatory=False, only_with="maintenance"),
    Line(T15_DEPLOY_COMPLETED, "t15", 3, N_("Deploy completed (deployed SHA = release SHA)")),
    Line(T15_MIGRATIONS_AT_HEAD, "t15", 3, N_("Migrations at head"), parent="smoke"),
    Line(T15_API_HEALTH, "t15", 3, N_("API health 200"), parent="smoke"),
    Line(T15_ADMIN_LOGIN, "t15", 3, N_("Admin login"), parent="smoke"),
    Line(T15_DASHBOARD_LOADS, "t15", 3, N_("Dashboard loads"), parent="smoke"),
    Line(T15_PAYOUTS_ROUTER, "t15", 3, N_("Payouts router reachable"), parent="smoke"),
    Line(T15_ADMIN_AUTH_ENFORCED, "t15", 3, N_("Admin endpoints reject a missing or invalid token"), parent="smoke"),
    # the deployer sees alerting live before traffic opens: only with the profile's [metrics] source = "prometheus"
    # (the rules, Alertmanager and its routing); with the default scrape source NOT_RUN, never holding GO
    Line(T15_ALERTING_ACTIVE, "t15", 3, N_("Alerting live in Prometheus and Alertmanager (5xx/latency/DB/webhook)"),
         mandatory=False),
    # 4) Canary money loop (T-0)
    # runbook B.4 ends with "open traffic": by T-0 the maintenance page is off again
    Line(T0_TRAFFIC_OPEN, "t0", 4, N_("Traffic open (no maintenance page)"), mandatory=False),
    Line(T0_DEPOSIT, "t0", 4, N_("Deposit")),
    Line(T0_WITHDRAW_REQUEST, "t0", 4, N_("Withdraw request")),
    Line(T0_ADMIN_APPROVE, "t0", 4, N_("Admin approve")),
    Line(T0_MARK_PAID, "t0", 4, N_("Admin mark paid")),
    Line(T0_LEDGER_SETTLEMENT, "t0", 4, N_("Ledger settlement / invariant")),
    # every other way the platform approves and pays (flows.alternates), each proven on a kit withdrawal; with none
    # declared it passes saying so
    Line(T0_ALTERNATE_PATHS, "t0", 4, N_("Alternate approve and pay paths pay a kit withdrawal out")),
    Line(T0_LEDGER_INVARIANTS, "t0", 4, N_("Ledger invariants over SQL")),
    Line(T0_PLAYER_SCOPE, "t0", 4, N_("A player's session opens no admin endpoint")),
    Line(T0_PSP_DEPOSIT, "t0", 4, N_("PSP deposit completed by its signed webhook")),
    Line(T0_IDEMPOTENCY, "t0", 4, N_("Idempotency keys (replay, conflict, missing)")),
    Line(T0_WEBHOOK_SIGNATURE, "t0", 4, N_("Webhooks reject missing or wrong signatures, no money moved")),
    Line(T0_WEBHOOK_TIMESTAMP, "t0", 4, N_("Webhooks reject stale timestamps, no money moved")),
    Line(T0_WEBHOOK_REPLAY, "t0", 4, N_("Webhook replay has no second effect")),
    Line(T0_WEBHOOK_CLASSIFICATION, "t0", 4, N_("A failed payout webhook leads to payout_failed, never paid")),
    Line(T0_CANARY_REPORT, "t0", 4, N_("Canary report completed")),
    # 5) Hypercare (T+0 -> T+72h): open until hypercare runs; never part of the GO decision
    Line(HC_ALERTING_ACTIVE, "hypercare", 5, N_("Alerting active (5xx/latency/DB/webhook)"), mandatory=False),
    Line(HC_FIRST_6H_WATCH, "hypercare", 5, N_("First 6-hour watch period applied"), mandatory=False),
    Line(HC_CONTROL_REPORT_24H, "hypercare", 5, N_("24-hour control report"), mandatory=False),
    Line(HC_STABLE_72H, "hypercare", 5, N_("72 hours stable"), mandatory=False),
    # Rollback plan steps 1, 4 and 5
    Line(RB_MAINTENANCE_PAGE, "rollback", 6, N_("Rollback: maintenance page answers (step 1)"),
         mandatory=False, only_with="maintenance"),
    Line(RB_LOGIN, "rollback", 6, N_("After rollback: login works"), mandatory=False),
    Line(RB_READONLY_ENDPOINTS, "rollback", 6, N_("After rollback: read-only endpoints answer"), mandatory=False),
    Line(RB_TRAFFIC_REOPENED, "rollback", 6, N_("After rollback: traffic reopened (step 5)"),
         mandatory=False, only_with="reopened"),
)

LINES_BY_ID: dict[str, Line] = {line.id: line for line in LINES}

TRIGGERS: tuple[TriggerRow, ...] = (
    TriggerRow(ROW_PAYOUT_WITHDRAW_HTTP_ERROR, Action.IMMEDIATE_ROLLBACK, N_("Payout/withdraw 404/5xx")),
    TriggerRow(ROW_MIGRATION_FAILURE, Action.IMMEDIATE_ROLLBACK, N_("Migration failure")),
    TriggerRow(ROW_LEDGER_INVARIANT_BREACH, Action.IMMEDIATE_ROLLBACK, N_("Ledger invariant breach")),
    TriggerRow(ROW_WEBHOOK_MISCLASSIFICATION, Action.IMMEDIATE_ROLLBACK, N_("Webhook misclassification")),
    TriggerRow(ROW_LATENCY_SPIKE, Action.MONITOR, N_("Latency spike (no errors)")),
    TriggerRow(ROW_QUEUE_BACKLOG, Action.MONITOR, N_("Queue backlog (< SLA)")),
    TriggerRow(ROW_PAYOUT_FAILURE_RATE, Action.IMMEDIATE_ROLLBACK, N_("Payout failure rate > 15%")),
    TriggerRow(ROW_SECURITY_INCIDENT, Action.IMMEDIATE_ROLLBACK, N_("Critical security incident")),
)

TRIGGERS_BY_ID: dict[str, TriggerRow] = {row.id: row for row in TRIGGERS}


MONEY_LOOP: tuple[str, ...] = (T0_DEPOSIT, T0_WITHDRAW_REQUEST, T0_ADMIN_APPROVE, T0_MARK_PAID, T0_LEDGER_SETTLEMENT)
"""The canary money loop's five steps, in runbook order (deposit -> withdraw -> approve -> paid -> settlement)."""

CLOSING_LINES: tuple[str, ...] = (T0_LEDGER_INVARIANTS, T0_CANARY_REPORT)
"""Lines whose scenario closes its phase, in this order, after every other scenario of the phase: the ledger has the
last word on everything T-0 did (a probe's damage is seen at T-0, not in hypercare), then the canary report's
footprint reads what the phase left on the platform."""

SELECTED_ONLY_TAGS: dict[str, str] = {
    "maintenance": "the maintenance window is open: the maintenance page must answer",
    "reopened": "traffic was reopened after a rollback",
}
"""Tags of scenarios that hold only at one moment of the cutover, so they run only when the operator names the tag
(`pytest -m maintenance`, `pytest -m "rollback and reopened"`), as the optional phases do."""

READ_ONLY_TAG = "read_only"
"""The tag of a scenario that changes no data on the platform. An earlier phase's mandatory FAIL blocks every later
scenario without it (the runbook's rule 1, "no skipping"): untagged means it may move money."""

DECIDE_WITHIN = timedelta(minutes=5)
"""The runbook: when a rollback trigger is observed, the IC decides within 5 minutes."""


def smoke_lines() -> tuple[Line, ...]:
    """The sub-lines the runbook nests under its "`go_live_smoke.sh` run" line."""
    return tuple(line for line in LINES if line.parent == "smoke")


def lines_of(phase: str) -> tuple[Line, ...]:
    return tuple(line for line in LINES if line.phase == phase)


def mandatory_lines() -> tuple[Line, ...]:
    return tuple(line for line in LINES if line.mandatory and line.phase in PHASES)
