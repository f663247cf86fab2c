"""One hypercare watch round, gathered from the target: one /metrics scrape judged against the previous round's (or
the T-0 baseline), the finance queue and the day's reconciliation computed in the database through the profile's
SQL (the admin API paged instead when no DSN is given), the profile's ledger invariants and a random sample of
wallets (admin API against SQL). checks/hypercare/judge.py judges what it gathered."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from cutover_gate.checks import invariants
from cutover_gate.checks.hypercare import finance, paging, recon
from cutover_gate.checks.hypercare import interval as iv
from cutover_gate.checks.hypercare import signals as sig
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.judge import Finding, Observation, evaluate
from cutover_gate.core.clock import utcnow
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret
from cutover_gate.target.client import Response, TargetClient, to_decimal
from cutover_gate.target.database import Database

Round = tuple[Observation, list[Finding]]


def config(target: TargetClient) -> HypercareConfig:
    try:
        return HypercareConfig.from_mapping(target.profile.data.get("hypercare", {}))
    except ValueError as exc:
        raise CheckFailed(N_("profile '%(profile)s': %(error)s"), profile=target.profile.name, error=exc) from None


def scrape(target: TargetClient, obs: Observation | None = None, read: Callable[[], Response] | None = None
           ) -> sig.Exposition | None:
    """One /metrics scrape (`read()` when given: a scrape started ahead); None (and the reason in `obs.unavailable`)
    when it cannot be read."""
    path = target.profile.path("metrics")
    resp = read() if read is not None else target.call("metrics")
    if resp.status != 200:
        why = Reason.of(N_("GET %(path)s -> %(status)s"), path=path, status=resp.status)
    else:
        try:
            return sig.parse_metrics(resp.text)
        except sig.MetricsError as exc:
            why = Reason.of(N_("GET %(path)s: not Prometheus text (%(error)s)"), path=path, error=exc)
    if obs is not None:
        obs.mark_unavailable("metrics", why)
    return None


def counters(target: TargetClient, cfg: HypercareConfig, obs: Observation,
             read: Callable[[], Response] | None = None) -> iv.CounterState | None:
    expo = scrape(target, obs, read)
    if expo is None:
        return None
    try:
        state = iv.state_of(expo, cfg, obs.at)
    except sig.MetricsError as exc:
        obs.mark_unavailable("metrics", Reason.of(N_("%(signal)s: %(why)s"), signal=cfg.latency_histogram, why=exc))
        return None
    if not state.requests:
        obs.mark_unavailable("metrics", Reason.of(N_("no %(counter)s series with a status class"),
                                                  counter=cfg.requests_counter))
        return None
    return state


def _wallet_views(target: TargetClient, token: Secret, database: Database, player_id: str
                  ) -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
    resp = target.call("admin_player_wallet", admin=token, player_id=player_id)
    resp.ok(Reason.of(N_("admin wallet of player %(player)s"), player=player_id))
    api = (to_decimal(resp.answer("available"), N_("admin wallet available")),
           to_decimal(resp.answer("held"), N_("admin wallet held")))
    rows = database.query("wallet", {"player_id": player_id})
    sql = ((to_decimal(rows[0]["available"], N_("database available")),
            to_decimal(rows[0]["held"], N_("database held")))
           if len(rows) == 1 else (Decimal(-1), Decimal(-1)))
    return api, sql


def ledger(target: TargetClient, token: Secret, database: Database, cfg: HypercareConfig, players: list[str],
           obs: Observation) -> None:
    """Random ledger recon: the profile's invariant SQL, and a random sample of wallets, admin API against SQL."""
    bound = invariants.params(window_hours=cfg.invariant_window_hours, sample_percent=cfg.invariant_sample_percent,
                              now=obs.at)
    try:
        found, obs.invariant_scope = invariants.run(database, bound)
    except CheckFailed as exc:
        obs.mark_unavailable("database", exc.reason)
        return
    if not found:
        obs.mark_unavailable("database", Reason.of(N_("the profile defines no ledger invariant queries")))
    obs.invariants_checked = sorted(found)
    obs.invariants_broken = {name: len(rows) for name, rows in found.items() if rows}
    for pid in random.sample(players, min(cfg.recon_sample, len(players))):
        obs.wallets_sampled.append(pid)
        try:
            api, sql = _wallet_views(target, token, database, pid)
            if api != sql:  # money may have moved between the two reads: look once more
                api, sql = _wallet_views(target, token, database, pid)
        except CheckFailed as exc:
            obs.mark_unavailable("wallet", exc.reason)
            continue
        if api != sql:
            obs.wallet_mismatches.append(Reason.of(
                N_("wallet %(player)s: admin API %(api_available)s/%(api_held)s, SQL %(sql_available)s/%(sql_held)s "
                   "(available/held)"), player=pid, api_available=api[0], api_held=api[1], sql_available=sql[0],
                sql_held=sql[1]))


def take_round(target: TargetClient, token: Secret, database: Database, cfg: HypercareConfig, *,
               previous: iv.CounterState | None = None, baseline: iv.CounterState | None = None) -> Round:
    """One round. `previous` is the latest round's counter state on record, `baseline` the one T-0 stored: the
    interval runs from the newer of them (older than now) to this round's scrape."""
    obs = Observation(at=utcnow())
    obs.counters = counters(target, cfg, obs)
    if obs.counters is not None:
        before, basis = iv.latest({iv.PREVIOUS: previous, iv.BASELINE: baseline}, obs.at)
        obs.interval = iv.between(before, obs.counters, basis)
        obs.cumulative = sig.ErrorRate.of(obs.counters.requests)
    read_finance(target, token, database, cfg, obs)
    return obs, evaluate(obs, cfg)


def read_finance(target: TargetClient, token: Secret, database: Database, cfg: HypercareConfig, obs: Observation
                 ) -> None:
    """A round's queue, reconciliation and ledger recon (from the database when there is a DSN, else the admin API),
    whatever source its request signals come from."""
    payouts_from = finance.payout_since(obs.at, obs.interval.start if obs.interval else None, cfg)
    if database.dsn is not None:
        try:
            obs.queue = finance.from_database(database, cfg, obs.at, payouts_from)
        except CheckFailed as exc:
            obs.mark_unavailable("withdrawals", exc.reason)
        try:
            obs.recon = recon.read(database, cfg, obs.at, obs.queue.stuck_deposits if obs.queue else None)
        except CheckFailed as exc:
            obs.mark_unavailable("recon", exc.reason)
    else:
        try:
            items, view = paging.read_withdrawals(target, token, cfg, obs.at)
            obs.queue = paging.judge_items(items, view, target, cfg, obs.at, payouts_from)
        except paging.PagingError as exc:
            obs.mark_unavailable("withdrawals", exc.reason)
    ledger(target, token, database, cfg, obs.queue.players if obs.queue else [], obs)
