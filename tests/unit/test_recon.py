"""The daily reconciliation (transactions against the ledger), its report in both languages, the API-paging fallback
that says how much it read, the invariants' scope, and the runbook commands' verdict on a focused check."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from cutover_gate.checks import invariants
from cutover_gate.checks.hypercare import paging, signals
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.finance import Listing
from cutover_gate.checks.hypercare.recon import DailyRecon, Difference, FailedPayout, Group, compare
from cutover_gate.config.profile_schema import Call
from cutover_gate.config.target_profile import load_profile
from cutover_gate.reports import reconciliation
from cutover_gate.runbook_commands import COMMANDS, EXIT_CLEAN, EXIT_FINDINGS, EXIT_UNCHECKED, verdict
from cutover_gate.target.client import Exchange, Response

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
D = Decimal


def group(type_: str, state: str, amount: str, expected: tuple[str, str], ledger: tuple[str, str], n: int = 3
          ) -> Group:
    return Group(type_, state, n, D(amount), D(expected[0]), D(expected[1]), D(ledger[0]), D(ledger[1]))


BALANCED = [group("deposit", "completed", "300.00", ("300.00", "0"), ("300.00", "0")),
            group("withdrawal", "paid", "90.00", ("-90.00", "0"), ("-90.00", "0.00")),
            group("withdrawal", "requested", "10.00", ("-10.00", "10.00"), ("-10.00", "10.00"), n=1)]


def recon(groups: list[Group], **kw: Any) -> DailyRecon:
    return DailyRecon(NOW - timedelta(hours=24), NOW, groups=groups, **kw)


def test_a_day_whose_ledger_matches_every_state_has_no_difference() -> None:
    assert compare(BALANCED) == []
    day = recon(BALANCED)
    assert day.difference_count == 0 and day.differences() == []
    assert day.totals()["amount"] == D("400.00") and day.totals()["ledger_held"] == D("10.00")


def test_every_group_whose_ledger_differs_is_a_difference_with_its_amount() -> None:
    unbooked = group("deposit", "completed", "325.00", ("325.00", "0"), ("300.00", "0"), n=4)
    kept_hold = group("withdrawal", "paid", "90.00", ("-90.00", "0"), ("-90.00", "90.00"))
    found = compare([*BALANCED[2:], unbooked, kept_hold])
    assert found == ["4 deposit completed (325.00): available expected 325.00, ledger 300.00 (difference -25.00)",
                     "3 withdrawal paid (90.00): held expected 0, ledger 90.00 (difference +90.00)"]


def test_the_difference_count_counts_transactions_and_movements_not_their_groups_twice() -> None:
    unbooked = group("deposit", "completed", "25.00", ("25.00", "0"), ("0", "0"), n=1)
    tx = Difference("tx-1", "deposit completed", "amount 25.00: available expected 25.00, ledger 0")
    orphan = Difference("mv-9", "movement deposit_credit", "booked 2026-03-01T10:00:00Z, with no transaction")
    day = recon([unbooked], transactions=[tx], transactions_total=1, unmatched=[orphan], unmatched_total=1)
    assert day.difference_count == 2
    assert day.differences()[1:] == [tx.describe(), orphan.describe()]
    assert day.summary()["differences"] == 2 and day.summary()["transactions"] == 1
    # a group that differs counts even when the per-transaction query listed nothing
    assert recon([unbooked]).difference_count == 1


def full_day() -> DailyRecon:
    unbooked = group("deposit", "completed", "25.00", ("25.00", "0"), ("0", "0"), n=1)
    return recon([*BALANCED, unbooked],
                 transactions=[Difference("tx-1", "deposit completed", "amount 25.00: available expected 25.00")],
                 transactions_total=3,
                 failed_payouts=[FailedPayout("wd-1", "p-1", D("10.00"), "2026-03-01T08:00:00Z", D("10.00")),
                                 FailedPayout("wd-2", "p-2", D("20.00"), None, D("5.00"))],
                 failed_payouts_total=2, failed_payouts_amount=D("30.00"),
                 stuck_deposits=Listing(1, [signals.QueueItem("dep-7", "pending_provider", 130)]))


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("# Daily reconciliation report — 2026-02-28T12:00:00Z to 2026-03-01T12:00:00Z", "**DIFFERENCES** (3)",
            "## Volume and amount by type and state", "## Differences (3)", "... 2 more transaction(s) differ",
            "## Failed payouts whose funds are still held (2, 30.00)", "| `wd-2` | `p-2` | 20.00 | - | 5.00 | **no** |",
            "## Stuck deposits (1)", "| `dep-7` | pending_provider | 130 |", "**available -25.00, held 0**")),
    ("tr", ("# Günlük mutabakat raporu", "**FARK VAR** (3)", "## Tip ve duruma göre hacim ve tutar", "## Farklar (3)",
            "## Fonları hâlâ bloke olan başarısız payout'lar (2, 30.00)", "## Takılı kalmış deposit'ler (1)",
            "**hayır**"))])
def test_the_report_shows_volume_differences_failed_payouts_and_stuck_deposits(lang: str, words: tuple[str, ...]
                                                                               ) -> None:
    data = reconciliation.report_data(full_day(), release_sha="a" * 40, target="https://pay.example",
                                      generated_at=NOW)
    text = reconciliation.render_report(lang, data)
    for word in words:
        assert word in text, word
    assert data["result"] == "DIFFERENCES" and data["differences"]["count"] == 3
    assert data["totals"]["diff_available"] == "-25.00"
    assert data["failed_payouts_held"]["rows"][1]["still_held"] is False
    json.dumps(data)  # the JSON report is plain JSON


@pytest.mark.parametrize("lang", ["en", "tr"])
def test_a_clean_day_and_one_that_could_not_be_reconciled(lang: str) -> None:
    clean = reconciliation.report_data(recon(BALANCED), release_sha=None, target="t", generated_at=NOW)
    assert clean["result"] == "CLEAN"
    assert ("CLEAN: no difference" if lang == "en" else "TEMİZ") in reconciliation.render_report(lang, clean)
    missing = reconciliation.report_data(None, release_sha=None, target="t", generated_at=NOW,
                                         unavailable="no database DSN: set CUTOVER_DB_DSN")
    text = reconciliation.render_report(lang, missing)
    assert missing["result"] == "NOT_AVAILABLE" and "no database DSN: set CUTOVER_DB_DSN" in text


# -- the API fallback says how much it read -------------------------------------------------------------------------
def fake_response(body: dict[str, Any], spec: Call) -> Response:
    raw = requests.Response()
    raw.status_code, raw._content = 200, json.dumps(body).encode()
    raw.headers["content-type"] = "application/json"
    return Response(raw, Exchange("GET", "http://127.0.0.1/fake", 200, 0.0), spec, "withdrawals")


class FakeTarget:
    """The finance list of a platform holding `held[state]` withdrawals per state, newest first."""

    def __init__(self, held: dict[str, int]) -> None:
        self.profile = load_profile(None)
        self.held, self.calls = held, 0

    def call(self, name: str, *, admin: Any = None, state: str, limit: int, offset: int) -> Response:
        assert name == "withdrawals"
        self.calls += 1
        n = self.held.get(state, 0)
        stamp = [(NOW - timedelta(minutes=90 + i)).isoformat() for i in range(offset, min(n, offset + limit))]
        items = [{"tx_id": f"{state}-{offset + k}", "state": state, "player_id": f"p{k % 7}", "created_at": ts,
                  "updated_at": ts} for k, ts in enumerate(stamp)]
        return fake_response({"items": items, "meta": {"total": n}}, self.profile.call(name))


def test_paging_a_queue_longer_than_the_page_budget_says_it_read_it_in_part() -> None:
    target, cfg = FakeTarget({"requested": 5000, "approved": 3}), HypercareConfig()
    items, view = paging.read_withdrawals(target, None, cfg, NOW)  # type: ignore[arg-type]
    assert len(items) == 4003 and view.read == 4003 and view.complete is False
    assert "requested (4000 of 5000 read)" in view.note and "give CUTOVER_DB_DSN" in view.note
    assert target.calls <= cfg.max_pages * 6  # bounded by the budget, whatever the platform holds
    judged = paging.judge_items(items, view, target, cfg, NOW, NOW - timedelta(hours=1))  # type: ignore[arg-type]
    assert judged.backlog.total == 4003 and len(judged.backlog.items) == cfg.list_limit  # what was read, no more
    assert judged.stuck_deposits is None  # the admin API lists no deposits


def test_paging_a_queue_that_fits_reads_it_whole() -> None:
    _items, view = paging.read_withdrawals(FakeTarget({"requested": 450}), None, HypercareConfig(), NOW)  # type: ignore[arg-type]
    assert view.complete is True and view.read == 450 and "every page" in view.note


# -- what each invariant covered ---------------------------------------------------------------------------------------
def test_an_invariant_says_whether_it_covered_the_whole_ledger_or_a_window_and_a_sample() -> None:
    bound = invariants.params(window_hours=24, sample_percent=1.0, now=NOW, seed=42)
    assert bound["since"] == NOW - timedelta(hours=24)
    assert invariants.scope("SELECT 1 FROM wallets WHERE held_real < 0", bound) == invariants.WHOLE
    sampled = invariants.scope("... created_at >= %(since)s ... TABLESAMPLE SYSTEM (%(sample_percent)s::real) "
                               "REPEATABLE (%(seed)s::float8)", bound)
    assert sampled == ("sampled: every row changed since 2026-02-28T12:00:00Z and a 1% block sample of the rest "
                       "(TABLESAMPLE SYSTEM, REPEATABLE seed 42)")
    assert invariants.params(window_hours=1, sample_percent=1, now=NOW)["seed"] > 0


def test_the_default_profile_scopes_exactly_its_two_whole_history_invariants() -> None:
    queries = load_profile(None).invariants()
    bound = invariants.params(window_hours=24, sample_percent=1.0, now=NOW, seed=1)
    scoped = sorted(name for name, sql in queries.items() if invariants.scope(sql, bound) != invariants.WHOLE)
    assert scoped == ["movement_balanced", "wallet_matches_ledger"]


# -- the runbook's hypercare commands answer for their own checks ------------------------------------------------------
def decision(result: str, findings: list[dict[str, Any]], *, unavailable: dict[str, str] | None = None,
             queue: dict[str, Any] | None = None, message: str = "") -> dict[str, Any]:
    evidence = {"findings": findings, "unavailable": unavailable or {},
                "queue": queue or {"source": "sql", "complete": True}}
    return {"checklist": [{"id": "hc_first_6h_watch", "result": result, "message": message, "evidence": evidence}]}


STUCK = {"check": "stuck_jobs", "severity": "FAIL", "message": "stuck finance jobs: 1 payout(s) stuck over 30 min"}
SPIKE = {"check": "error_rate", "severity": "FAIL", "message": "5xx rate 9.0% ... is over 2.0%"}
DIFF = {"check": "daily_recon", "severity": "FAIL", "message": "the transactions of the last 24 h do not reconcile"}


def test_the_stuck_job_detector_answers_for_stuck_jobs_only() -> None:
    stuck = COMMANDS["detect_stuck_finance_jobs"]
    code, lines = verdict(stuck, 1, decision("FAIL", [STUCK]))
    assert code == EXIT_FINDINGS and any("FINDING stuck finance jobs" in line for line in lines)
    code, lines = verdict(stuck, 1, decision("FAIL", [SPIKE], message="5xx rate"))
    assert code == EXIT_CLEAN and any("the round also found: 5xx rate" in line for line in lines)
    assert verdict(stuck, 0, decision("PASS", []))[0] == EXIT_CLEAN


def test_a_half_read_queue_or_a_missing_signal_could_not_be_checked() -> None:
    stuck, recon_cmd = COMMANDS["detect_stuck_finance_jobs"], COMMANDS["daily_reconciliation_report"]
    half = decision("FAIL", [], queue={"source": "api", "complete": False, "note": "incomplete: read 4000"})
    code, lines = verdict(stuck, 1, half)
    assert code == EXIT_UNCHECKED and any("UNCHECKED queue: incomplete: read 4000" in line for line in lines)
    assert verdict(stuck, 1, decision("FAIL", [STUCK], queue={"complete": False}))[0] == EXIT_FINDINGS
    whole_api = decision("FAIL", [], queue={"source": "api", "complete": True, "deposits": False})
    code, lines = verdict(stuck, 1, whole_api)  # every withdrawal read, but no deposit can be seen
    assert code == EXIT_UNCHECKED and any("UNCHECKED deposits: the admin API lists no deposits" in x for x in lines)
    no_dsn = decision("FAIL", [], unavailable={"database": "no database DSN: set CUTOVER_DB_DSN"})
    assert verdict(recon_cmd, 1, no_dsn)[0] == EXIT_UNCHECKED
    assert verdict(recon_cmd, 1, decision("FAIL", [DIFF]))[0] == EXIT_FINDINGS
    assert verdict(recon_cmd, 1, decision("NOT_RUN", []))[0] == EXIT_UNCHECKED
    unreachable = decision("FAIL", [], message="target unreachable since 2026-03-01T12:00:00Z")
    assert verdict(recon_cmd, 1, unreachable)[0] == EXIT_UNCHECKED
    no_round = {"checklist": [{"id": "hc_first_6h_watch", "result": "FAIL", "evidence": {},
                               "message": "step 'And the admin is logged in': login answered 500"}]}
    code, lines = verdict(stuck, 1, no_round)
    assert code == EXIT_UNCHECKED and any("UNCHECKED round: step 'And the admin is logged in'" in x for x in lines)
