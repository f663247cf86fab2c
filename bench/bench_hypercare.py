"""Hypercare at production scale (figures only, no assertions):

    python bench/bench_hypercare.py [--runs 3]

1. Seeds a sandbox database with 1,000,000 transactions and 5,000,000 ledger entries (bench/hypercare_data.py,
   generate_series inside PostgreSQL) and prints how long that took.
2. Times every query a hypercare round and the T-0 invariants run through the profile (`[sql] hc_*`, `recon_*`,
   `[invariants]`), the way the gate runs them (cutover_gate.target.database: a read-only connection per query),
   median of `--runs`, with the scans EXPLAIN shows (an index where a time window applies). The two whole-history
   invariants are also timed as they were before the profile scoped them (the whole ledger), side by side.
3. Times the fallback on the same data: the withdrawal queue paged through the sandbox's admin API (20 pages x 200
   per state), and what it could read; then one whole watch round (`take_round`) with the DSN and without it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import hypercare_data  # beside this file: `python bench/bench_hypercare.py` puts bench/ first on the path
import psycopg

from cutover_gate.checks import invariants
from cutover_gate.checks.hypercare import finance, paging, watch
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.config.target_profile import load_profile
from cutover_gate.core.clock import utcnow
from cutover_gate.core.redact import Secret
from cutover_gate.target.client import TargetClient
from cutover_gate.target.database import Database
from cutover_sandbox.pg import PgCluster
from cutover_sandbox.server import Sandbox

WHOLE_LEDGER = {
    "movement_balanced": """
SELECT movement_id::text AS ref, sum(amount) AS imbalance
FROM ledger_entries GROUP BY movement_id HAVING sum(amount) <> 0""",
    "wallet_matches_ledger": """
SELECT w.player_id::text AS ref FROM wallets w LEFT JOIN (
  SELECT player_id, sum(amount) FILTER (WHERE account = 'player_available') AS available,
         sum(amount) FILTER (WHERE account = 'player_held') AS held
  FROM ledger_entries WHERE player_id IS NOT NULL GROUP BY player_id) l ON l.player_id = w.player_id
WHERE w.available_real <> coalesce(l.available, 0) OR w.held_real <> coalesce(l.held, 0)""",
}
"""The two invariants the default profile scopes, as they read before: over the whole ledger."""


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def scans(plan: Any) -> Iterator[str]:
    """The scan nodes of an EXPLAIN (FORMAT JSON) plan: 'Index Scan ix_...', 'Seq Scan transactions', ..."""
    if isinstance(plan, dict):
        node = str(plan.get("Node Type", ""))
        if "Scan" in node and node not in ("CTE Scan", "Subquery Scan", "Function Scan", "Values Scan"):
            yield f"{node} {plan.get('Index Name') or plan.get('Relation Name') or ''}".strip()
        for child in plan.get("Plans", []):
            yield from scans(child)
    elif isinstance(plan, list):
        for item in plan:
            yield from scans(item.get("Plan", item) if isinstance(item, dict) else item)


def explain(dsn: str, sql: str, params: dict[str, Any]) -> str:
    with psycopg.connect(dsn) as conn:
        (plan,) = conn.execute(("EXPLAIN (FORMAT JSON) " + sql).encode(), params).fetchone()  # type: ignore[misc]
    found = list(dict.fromkeys(scans(plan if isinstance(plan, list) else json.loads(plan))))
    return ", ".join(found)


def row(label: str, seconds: float, detail: str = "") -> None:
    print(f"  {label:<44} {seconds * 1000:9.1f} ms   {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    profile = load_profile(None)
    cfg = HypercareConfig.from_mapping(profile.data["hypercare"])
    with PgCluster() as pg:
        dsn = pg.create_database("bench_hypercare")
        with Sandbox(faults=[], dsn=dsn) as sandbox:
            print(f"1. seed ({hypercare_data.TRANSACTIONS:,} transactions, {hypercare_data.LEDGER_ENTRIES:,} ledger "
                  "entries, generate_series)")
            started = time.perf_counter()
            seeded = hypercare_data.seed(dsn)
            print(f"  {'total':<44} {time.perf_counter() - started:9.1f} s    rows: {seeded['counts']}")
            print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in seeded["timings"].items()))
            database = Database(Secret(dsn, "CUTOVER_DB_DSN"), profile)
            now = utcnow()
            window = {"since": now - timedelta(hours=cfg.recon_hours), "until": now}
            limit = cfg.list_limit
            queries: dict[str, dict[str, Any]] = {
                "hc_backlog": {"before": now - timedelta(minutes=cfg.backlog_sla_minutes), "limit": limit},
                "hc_stuck_payouts": {"before": now - timedelta(minutes=cfg.stuck_minutes), "limit": limit},
                "hc_stuck_deposits": {"before": now - timedelta(minutes=cfg.stuck_deposit_minutes), "limit": limit},
                "hc_payout_outcomes": {"since": now - timedelta(minutes=cfg.payout_window_minutes)},
                "hc_recent_players": {"since": now - timedelta(hours=cfg.recon_hours), "limit": cfg.recon_sample},
                "recon_totals": window,
                "recon_differences": {**window, "limit": limit},
                "recon_unmatched": {**window, "limit": limit},
                "recon_failed_payouts": {"limit": limit},
            }
            print(f"\n2. profile SQL through the gate's read-only Database (median of {args.runs}; the scans of its "
                  "EXPLAIN)")
            sql_total = 0.0
            for key, params in queries.items():
                seconds, rows = timed(lambda k=key, p=params: database.query(k, p), args.runs)
                sql_total += seconds
                total = rows[0].get("total", len(rows)) if rows else 0
                plan = explain(dsn, profile.sql(key), params)
                row(f"[sql] {key}", seconds, f"rows {len(rows)} (total {total}); {plan}")
            bound = invariants.params(window_hours=cfg.invariant_window_hours,
                                      sample_percent=cfg.invariant_sample_percent, now=now)
            t0_total = 0.0
            for name, sql in profile.invariants().items():
                seconds, rows = timed(lambda s=sql, n=name: database.rows(s, bound, what=n), args.runs)
                t0_total += seconds
                scope = invariants.scope(sql, bound)
                scope = "sampled (window + block sample)" if scope != invariants.WHOLE else scope
                row(f"[invariants] {name}", seconds, f"broken {len(rows)}; {scope}; {explain(dsn, sql, bound)}")
            for name, sql in WHOLE_LEDGER.items():
                seconds, rows = timed(lambda s=sql, n=name: database.rows(s, what=n), 1)
                row(f"  {name}, whole ledger (before)", seconds, f"broken {len(rows)}; {explain(dsn, sql, {})}")
            row("hypercare queue + recon SQL, all", sql_total)
            row("T-0 invariants (profile), all", t0_total)

            print("\n3. the same data through the admin API (the fallback without a DSN)")
            target = TargetClient(sandbox.url, profile)
            try:
                resp = target.call("admin_login", email=sandbox.settings.admin_email,
                                   password=sandbox.settings.admin_password)
                token = Secret(str(resp.answer("token")), "admin token")
                seconds, (items, view) = timed(lambda: paging.read_withdrawals(target, token, cfg, utcnow()), 1)
                row("withdrawal queue, paged (20 x 200 per state)", seconds,
                    f"read {view.read} withdrawals, complete: {view.complete}")
                print(f"    {view.note}")
                judged = paging.judge_items(items, view, target, cfg, utcnow(),
                                            finance.payout_since(utcnow(), None, cfg))
                sql_view = finance.from_database(database, cfg, utcnow(), finance.payout_since(utcnow(), None, cfg))
                print(f"    backlog: API {judged.backlog.total} / SQL {sql_view.backlog.total}; stuck payouts: API "
                      f"{judged.stuck_payouts.total} / SQL {sql_view.stuck_payouts.total}; payouts: API "
                      f"{judged.payouts.describe() if judged.payouts else '-'} / SQL "
                      f"{sql_view.payouts.describe() if sql_view.payouts else '-'}")
                seconds, (obs, findings) = timed(lambda: watch.take_round(target, token, database, cfg), 1)
                row("one watch round, with the DSN (take_round)", seconds,
                    f"findings: {sorted({f.check for f in findings})}")
                no_dsn = Database(None, profile)
                seconds, (obs, findings) = timed(lambda: watch.take_round(target, token, no_dsn, cfg), 1)
                row("one watch round, without a DSN (API paging)", seconds,
                    f"queue complete: {obs.queue.complete if obs.queue else None}")
            finally:
                target.close()


if __name__ == "__main__":
    main()
