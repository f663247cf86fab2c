"""One hypercare watch round, gathered from the target: /metrics twice, the finance withdrawal queue (paged), the
profile's ledger invariants and a random sample of wallets (admin API against SQL). checks/hypercare/judge.py
judges what it gathered."""

from __future__ import annotations

import random
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from cutover_gate.checks.hypercare import signals as sig
from cutover_gate.checks.hypercare.judge import Finding, HypercareConfig, Observation, evaluate
from cutover_gate.core.clock import parse_time, utcnow
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.redact import Secret
from cutover_gate.target.client import TargetClient, to_decimal
from cutover_gate.target.database import Database

Round = tuple[Observation, list[Finding]]


def config(target: TargetClient) -> HypercareConfig:
    try:
        return HypercareConfig.from_mapping(target.profile.data.get("hypercare", {}))
    except ValueError as exc:
        raise CheckFailed(f"profile '{target.profile.name}': {exc}") from None


def scrape(target: TargetClient, obs: Observation) -> sig.Exposition | None:
    path = target.profile.call("metrics").path
    resp = target.call("metrics")
    if resp.status != 200:
        obs.unavailable["metrics"] = f"GET {path} -> {resp.status}"
        return None
    try:
        return sig.parse_metrics(resp.text)
    except sig.MetricsError as exc:
        obs.unavailable["metrics"] = f"GET {path}: not Prometheus text ({exc})"
        return None


def rates(before: sig.Exposition, after: sig.Exposition, cfg: HypercareConfig, obs: Observation) -> None:
    """5xx rate and p95 latency over the window between the two scrapes (counter and bucket deltas)."""

    def counts(expo: sig.Exposition) -> dict[tuple[str, str], float]:
        return sig.request_counts(expo, cfg.requests_counter, status_label=cfg.status_label,
                                 handler_label=cfg.handler_label, exclude=cfg.exclude_handlers)

    def buckets(expo: sig.Exposition) -> dict[float, float]:
        return sig.histogram_buckets(expo, cfg.latency_histogram, handler_label=cfg.handler_label,
                                    exclude=cfg.exclude_handlers)

    now = counts(after)
    if not now:
        obs.unavailable["metrics"] = f"no {cfg.requests_counter} series with a status class"
        return
    delta = sig.counter_delta(counts(before), now)
    obs.window, obs.cumulative = sig.ErrorRate.of(delta), sig.ErrorRate.of(now)
    obs.handlers_5xx = {h: n for (h, cls), n in delta.items() if cls == "5xx" and n > 0}
    try:
        window = sig.counter_delta(buckets(before), buckets(after))
        obs.p95_s = sig.quantile(0.95, window)
        obs.latency_samples = window[max(window)]
    except sig.MetricsError as exc:
        obs.unavailable["metrics"] = f"{cfg.latency_histogram}: {exc}"


def withdrawals(target: TargetClient, token: Secret, cfg: HypercareConfig, obs: Observation
                ) -> list[dict[str, Any]] | None:
    """Every withdrawal in a watched state (paged); closed ones only back to the payout lookback."""
    p = target.profile
    path, id_field = p.call("withdrawals").path, p.call("withdrawals").item["tx_id"]
    closed = {*cfg.payout_paid_states, *cfg.payout_failed_states}
    lookback = obs.at - timedelta(hours=max(cfg.payout_lookback_hours, cfg.payout_window_minutes / 60))
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for state in dict.fromkeys([*cfg.backlog_states, *cfg.stuck_states, *closed]):
        for page in range(cfg.max_pages):
            resp = target.call("withdrawals", admin=token, state=state, limit=cfg.page_limit,
                               offset=page * cfg.page_limit)
            if resp.status != 200:
                obs.unavailable["withdrawals"] = f"GET {path} for state {state} -> {resp.status}"
                return None
            batch = resp.items()
            new = [i for i in batch if str(i.get(id_field)) not in seen]
            seen.update(str(i.get(id_field)) for i in new)
            out.extend(new)
            times = [parse_time(i.get(cfg.created_field)) for i in batch]
            old = bool(times) and all(t is not None and t < lookback for t in times)
            if len(batch) < cfg.page_limit or not new or (state in closed and old):
                break
        else:
            obs.queue_truncated = True
    return out


def _wallet_views(target: TargetClient, token: Secret, database: Database, player_id: str
                  ) -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
    resp = target.call("admin_player_wallet", admin=token, player_id=player_id)
    resp.ok(f"admin wallet of player {player_id}")
    api = (to_decimal(resp.answer("available"), "admin wallet available"),
           to_decimal(resp.answer("held"), "admin wallet held"))
    rows = database.query("wallet", {"player_id": player_id})
    sql = ((to_decimal(rows[0]["available"], "database available"), to_decimal(rows[0]["held"], "database held"))
           if len(rows) == 1 else (Decimal(-1), Decimal(-1)))
    return api, sql


def recon(target: TargetClient, token: Secret, database: Database, cfg: HypercareConfig,
          items: list[dict[str, Any]] | None, obs: Observation) -> None:
    """Random ledger recon: the profile's invariant SQL, and a random sample of wallets, admin API against SQL."""
    try:
        found = database.invariants()
    except CheckFailed as exc:
        obs.unavailable["database"] = str(exc)
        return
    if not found:
        obs.unavailable["database"] = "the profile defines no ledger invariant queries"
    obs.invariants_checked = sorted(found)
    obs.invariants_broken = {name: len(rows) for name, rows in found.items() if rows}
    players = sorted({str(i[cfg.player_field]) for i in items or [] if i.get(cfg.player_field)})
    for pid in random.sample(players, min(cfg.recon_sample, len(players))):
        obs.wallets_sampled.append(pid)
        try:
            api, sql = _wallet_views(target, token, database, pid)
            if api != sql:  # money may have moved between the two reads: look once more
                api, sql = _wallet_views(target, token, database, pid)
        except CheckFailed as exc:
            obs.unavailable["wallet"] = str(exc)
            continue
        if api != sql:
            obs.wallet_mismatches.append(f"wallet {pid}: admin API {api[0]}/{api[1]}, SQL {sql[0]}/{sql[1]} "
                                         "(available/held)")


def take_round(target: TargetClient, token: Secret, database: Database, cfg: HypercareConfig) -> Round:
    obs = Observation(at=utcnow())
    started = time.monotonic()
    before = scrape(target, obs)
    items = withdrawals(target, token, cfg, obs)
    recon(target, token, database, cfg, items, obs)
    if before is not None:
        time.sleep(max(0.0, cfg.sample_seconds - (time.monotonic() - started)))
        after = scrape(target, obs)
        obs.window_s = time.monotonic() - started
        if after is not None:
            rates(before, after, cfg, obs)
    if items is not None:
        p, now = target.profile, utcnow()
        item = p.call("withdrawals").item
        common: dict[str, Any] = {"now": now, "id_field": item["tx_id"], "state_field": item["state"]}
        obs.backlog = sig.overdue(items, states=cfg.backlog_states, minutes=cfg.backlog_sla_minutes,
                                  time_field=cfg.created_field, **common)
        obs.stuck = sig.overdue(items, states=cfg.stuck_states, minutes=cfg.stuck_minutes,
                                time_field=cfg.updated_field, fallback_time_field=cfg.created_field, **common)
        obs.payouts = sig.payout_rate(items, window_minutes=cfg.payout_window_minutes,
                                      min_sample=cfg.payout_min_sample, paid_states=cfg.payout_paid_states,
                                      failed_states=cfg.payout_failed_states, time_field=cfg.updated_field,
                                      provider_field=cfg.provider_field, **common)
    return obs, evaluate(obs, cfg)
