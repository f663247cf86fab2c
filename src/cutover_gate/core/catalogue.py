"""The runbook's sign-off checklist (section 5) and rollback decision matrix, as data.

Every checklist line has a stable id; Gherkin scenarios name the lines they prove with a tag of the same id.
Titles are given in both languages the runbook is written in (Turkish is the original).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

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
    title_tr: str
    mandatory: bool = True
    parent: str | None = None
    """A smoke sub-line names its parent line (the runbook nests them under `go_live_smoke.sh`)."""
    only_with: str | None = None
    """The SELECTED_ONLY_TAGS tag its scenario carries: it runs only when the operator selects that tag."""

    def title(self, lang: str) -> str:
        return self.title_tr if lang == "tr" else self.title_en


@dataclass(frozen=True)
class TriggerRow:
    id: str
    action: Action
    title_en: str
    title_tr: str

    def title(self, lang: str) -> str:
        return self.title_tr if lang == "tr" else self.title_en


LINES: tuple[Line, ...] = (
    # 1) Pre-flight (T-60)
    Line("t60_release_pinned", "t60", 1, "Release SHA/tag pinned", "Release SHA/Tag sabitlendi"),
    Line("t60_owners_assigned", "t60", 1, "Owners assigned (Deploy / DB / On-call)",
         "Sorumlular atandı (Deploy / DB / On-call)"),
    Line("t60_prod_env_verified", "t60", 1, "verify_prod_env run (prod configuration)",
         "verify_prod_env çalıştırıldı (prod konfigürasyonu)"),
    Line("t60_cors_restricted", "t60", 1, "CORS restricted (foreign-origin preflight refused)",
         "CORS kısıtlı (yabancı origin preflight reddedildi)"),
    Line("t60_bootstrap_disabled", "t60", 1, "Bootstrap / seed / test endpoints disabled",
         "Bootstrap / seed / test endpoint'leri kapalı"),
    Line("t60_rc_artifacts_verified", "t60", 1, "RC artifacts present, hashes verified",
         "RC artefaktları mevcut, hash'ler doğrulandı"),
    # 2) Backup (T-30)
    Line("t30_snapshot_taken", "t30", 2, "Prod DB snapshot taken (ID/path, timestamp, checksum)",
         "Prod DB snapshot alındı (ID/Path, zaman, checksum)"),
    Line("t30_snapshot_readable", "t30", 2, "Snapshot accessibility verified", "Snapshot erişilebilirliği doğrulandı"),
    Line("t30_restore_procedure", "t30", 2, "Rollback restore procedure reachable",
         "Rollback restore prosedürü erişilebilir"),
    # runbook A.3 "snapshot taken (restore tested)" and A.4 "dry-run `alembic upgrade head` on a prod copy", outside
    # prod only (T-30: "do not run the restore drill in prod"): in prod NOT_RUN, never holding GO
    Line("t30_restore_drill", "t30", 2, "Restore drill on a scratch database: row counts and alembic version match",
         "Scratch veritabanında restore drill: satır sayıları ve alembic sürümü eşleşiyor", mandatory=False),
    Line("t30_migration_dry_run", "t30", 2, "Migration dry-run on the restored copy (alembic upgrade head)",
         "Restore edilen kopyada migration dry-run (alembic upgrade head)", mandatory=False),
    # 3) Deploy + migration + smoke (T-15)
    # runbook B.1: the maintenance page is up while the deploy window is open (`pytest -m maintenance`)
    Line("t15_maintenance_page", "t15", 3, "Maintenance page answers while the deploy window is open",
         "Deploy penceresi açıkken bakım sayfası (maintenance page) yanıt veriyor", mandatory=False,
         only_with="maintenance"),
    Line("t15_deploy_completed", "t15", 3, "Deploy completed (deployed SHA = release SHA)",
         "Deploy tamamlandı (deploy edilen SHA = release SHA)"),
    Line("t15_migrations_at_head", "t15", 3, "Migrations at head", "Migration'lar head'de", parent="smoke"),
    Line("t15_api_health", "t15", 3, "API health 200", "API health 200", parent="smoke"),
    Line("t15_admin_login", "t15", 3, "Admin login", "Admin login", parent="smoke"),
    Line("t15_dashboard_loads", "t15", 3, "Dashboard loads", "Dashboard yükleniyor", parent="smoke"),
    Line("t15_payouts_router", "t15", 3, "Payouts router reachable", "Payouts router erişilebilir", parent="smoke"),
    Line("t15_admin_auth_enforced", "t15", 3, "Admin endpoints reject a missing or invalid token",
         "Admin endpoint'leri eksik veya geçersiz token'ı reddediyor", parent="smoke"),
    # the deployer sees alerting live before traffic opens: only with the profile's [metrics] source = "prometheus"
    # (the rules, Alertmanager and its routing); with the default scrape source NOT_RUN, never holding GO
    Line("t15_alerting_active", "t15", 3, "Alerting live in Prometheus and Alertmanager (5xx/latency/DB/webhook)",
         "Alarmlar Prometheus ve Alertmanager'da canlı (5xx/latency/DB/webhook)", mandatory=False),
    # 4) Canary money loop (T-0)
    # runbook B.4 ends with "open traffic": by T-0 the maintenance page is off again
    Line("t0_traffic_open", "t0", 4, "Traffic open (no maintenance page)", "Trafik açık (bakım sayfası yok)",
         mandatory=False),
    Line("t0_deposit", "t0", 4, "Deposit", "Deposit"),
    Line("t0_withdraw_request", "t0", 4, "Withdraw request", "Withdraw isteği"),
    Line("t0_admin_approve", "t0", 4, "Admin approve", "Admin onayı"),
    Line("t0_mark_paid", "t0", 4, "Admin mark paid", "Admin ödendi olarak işaretleme"),
    Line("t0_ledger_settlement", "t0", 4, "Ledger settlement / invariant", "Ledger settlement / invariant"),
    # every other way the platform approves and pays (flows.alternates), each proven on a kit withdrawal; with none
    # declared it passes saying so
    Line("t0_alternate_paths", "t0", 4, "Alternate approve and pay paths pay a kit withdrawal out",
         "Alternatif onay ve ödeme yolları bir kit çekimini ödüyor"),
    Line("t0_ledger_invariants", "t0", 4, "Ledger invariants over SQL", "SQL üzerinden ledger invariant'ları"),
    Line("t0_player_scope", "t0", 4, "A player's session opens no admin endpoint",
         "Oyuncu oturumu hiçbir admin endpoint'ini açmıyor"),
    Line("t0_psp_deposit", "t0", 4, "PSP deposit completed by its signed webhook",
         "PSP deposit'i imzalı webhook ile tamamlandı"),
    Line("t0_idempotency", "t0", 4, "Idempotency keys (replay, conflict, missing)",
         "Idempotency anahtarları (tekrar, çakışma, eksik)"),
    Line("t0_webhook_signature", "t0", 4, "Webhooks reject missing or wrong signatures, no money moved",
         "Webhook'lar eksik veya yanlış imzayı reddediyor, para hareket etmedi"),
    Line("t0_webhook_timestamp", "t0", 4, "Webhooks reject stale timestamps, no money moved",
         "Webhook'lar eski zaman damgasını reddediyor, para hareket etmedi"),
    Line("t0_webhook_replay", "t0", 4, "Webhook replay has no second effect",
         "Webhook tekrarı ikinci etki yaratmıyor"),
    Line("t0_webhook_classification", "t0", 4, "A failed payout webhook leads to payout_failed, never paid",
         "Başarısız payout webhook'u payout_failed'a götürür, asla paid'e değil"),
    Line("t0_canary_report", "t0", 4, "Canary report completed", "Canary raporu tamamlandı"),
    # 5) Hypercare (T+0 -> T+72h): open until hypercare runs; never part of the GO decision
    Line("hc_alerting_active", "hypercare", 5, "Alerting active (5xx/latency/DB/webhook)",
         "Alarm mekanizması aktif (5xx/latency/DB/webhook)", mandatory=False),
    Line("hc_first_6h_watch", "hypercare", 5, "First 6-hour watch period applied",
         "İlk 6 saatlik izleme periyodu uygulandı", mandatory=False),
    Line("hc_control_report_24h", "hypercare", 5, "24-hour control report", "24 saat kontrol raporu", mandatory=False),
    Line("hc_stable_72h", "hypercare", 5, "72 hours stable", "72 saat stabil", mandatory=False),
    # Rollback plan steps 1, 4 and 5
    Line("rb_maintenance_page", "rollback", 6, "Rollback: maintenance page answers (step 1)",
         "Rollback: bakım sayfası yanıt veriyor (adım 1)", mandatory=False, only_with="maintenance"),
    Line("rb_login", "rollback", 6, "After rollback: login works", "Rollback sonrası: login çalışıyor",
         mandatory=False),
    Line("rb_readonly_endpoints", "rollback", 6, "After rollback: read-only endpoints answer",
         "Rollback sonrası: salt-okunur endpoint'ler yanıt veriyor", mandatory=False),
    Line("rb_traffic_reopened", "rollback", 6, "After rollback: traffic reopened (step 5)",
         "Rollback sonrası: trafik yeniden açıldı (adım 5)", mandatory=False, only_with="reopened"),
)

LINES_BY_ID: dict[str, Line] = {line.id: line for line in LINES}

TRIGGERS: tuple[TriggerRow, ...] = (
    TriggerRow("payout_withdraw_http_error", Action.IMMEDIATE_ROLLBACK, "Payout/withdraw 404/5xx",
               "Payout/Withdraw 404/5xx"),
    TriggerRow("migration_failure", Action.IMMEDIATE_ROLLBACK, "Migration failure", "Migration failure"),
    TriggerRow("ledger_invariant_breach", Action.IMMEDIATE_ROLLBACK, "Ledger invariant breach",
               "Ledger invariant breach"),
    TriggerRow("webhook_misclassification", Action.IMMEDIATE_ROLLBACK, "Webhook misclassification",
               "Webhook misclassification"),
    TriggerRow("latency_spike", Action.MONITOR, "Latency spike (no errors)", "Latency spike (hata yok)"),
    TriggerRow("queue_backlog", Action.MONITOR, "Queue backlog (< SLA)", "Queue backlog (< SLA)"),
    TriggerRow("payout_failure_rate", Action.IMMEDIATE_ROLLBACK, "Payout failure rate > 15%",
               "Payout failure rate > %15"),
    TriggerRow("security_incident", Action.IMMEDIATE_ROLLBACK, "Critical security incident", "Kritik güvenlik olayı"),
)

TRIGGERS_BY_ID: dict[str, TriggerRow] = {row.id: row for row in TRIGGERS}


MONEY_LOOP: tuple[str, ...] = ("t0_deposit", "t0_withdraw_request", "t0_admin_approve", "t0_mark_paid",
                               "t0_ledger_settlement")
"""The canary money loop's five steps, in runbook order (deposit -> withdraw -> approve -> paid -> settlement)."""

CLOSING_LINES: tuple[str, ...] = ("t0_ledger_invariants", "t0_canary_report")
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
