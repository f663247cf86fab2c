"""The finance state a watch round judges, computed in the database through the profile's SQL.

Each `[sql] hc_*` query aggregates over a time window in the database and returns a count and at most `list_limit`
rows to show (the oldest): nothing is streamed into Python, however many withdrawals the platform holds. The
queries speak the database's vocabulary (state names, columns), the profile's business; the gate binds only times
and limits. Paging the admin API instead (checks/hypercare/paging.py) is the fallback when no DSN is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cutover_gate.checks.hypercare import signals as sig
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.core.clock import parse_time
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.target.database import Database

SQL, API = "sql", "api"


@dataclass
class Listing:
    """The items over a limit: how many there are, and the oldest of them."""

    total: int = 0
    items: list[sig.QueueItem] = field(default_factory=list)

    def describe(self, limit: int = 5) -> str:
        return self.described(limit).text()

    def described(self, limit: int = 5) -> Reason:
        """`describe()` as a catalogue message: the oldest items, and how many more there are."""
        shown = sig.listed(i.described() for i in self.items[:limit])
        if self.total > limit:
            return Reason.of(N_("%(shown)s and %(more)s more"), shown=shown, more=self.total - limit)
        return shown


@dataclass
class QueueView:
    """Backlog, stuck jobs and payout outcomes, and how completely they were read."""

    source: str
    complete: bool = True
    read: int | None = None
    """How many withdrawals the API fallback read (None: computed in the database)."""
    note: str = ""
    """How the queue was read, in English (what the round's JSON keeps); `noted` is its record."""
    noted: Reason | None = field(default=None, compare=False, repr=False)
    backlog: Listing = field(default_factory=Listing)
    stuck_payouts: Listing = field(default_factory=Listing)
    stuck_deposits: Listing | None = field(default_factory=Listing)
    """None when the source cannot see deposits (the admin API lists withdrawals only)."""
    payouts: sig.PayoutRate | None = None
    players: list[str] = field(default_factory=list)
    """Players with recent activity, for the random wallet recon."""

    def say(self, note: Reason) -> None:
        """How the queue was read: `note` (its English is `note`)."""
        self.note, self.noted = note.text(), note

    @property
    def note_reason(self) -> Reason:
        """The note as a record: `noted`, else its English as given."""
        return self.noted if self.noted is not None else Reason.verbatim(self.note)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source, "complete": self.complete, "read": self.read,
                                "note": self.note, "deposits": self.stuck_deposits is not None}
        if self.noted is not None:
            data["note_reason"] = self.noted.to_json()
        return data


def _age(row: Mapping[str, Any], now: datetime) -> float:
    ts = parse_time(row.get("since"))
    return (now - ts).total_seconds() / 60 if ts else 0.0


def listing(rows: list[dict[str, Any]], now: datetime) -> Listing:
    """A `[sql]` overdue query's rows (ref, state, since, total) as a listing, oldest first."""
    items = [sig.QueueItem(str(r.get("ref")), str(r.get("state")), _age(r, now)) for r in rows]
    total = int(rows[0].get("total") or len(rows)) if rows else 0
    return Listing(total, sorted(items, key=lambda i: -i.age_minutes))


def _query(database: Database, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    if not database.profile.sql(key).strip():
        raise CheckFailed(N_("the profile's [sql] %(key)s is empty: this signal is not configured"), key=key)
    return database.query(key, params)


def payout_since(now: datetime, interval_start: datetime | None, cfg: HypercareConfig) -> datetime:
    """The payout outcomes a round judges: the whole interval since the previous round (or the T-0 baseline), and at
    least the last `payout_window_minutes`."""
    window = now - timedelta(minutes=cfg.payout_window_minutes)
    return min(window, interval_start) if interval_start else window


def from_database(database: Database, cfg: HypercareConfig, now: datetime, payouts_from: datetime) -> QueueView:
    """Every queue signal in the database. CheckFailed (the SQL or the connection failed) propagates."""
    limit = cfg.list_limit
    view = QueueView(SQL)
    view.say(Reason.of(N_("computed in the database through the profile's SQL")))
    view.backlog = listing(_query(database, "hc_backlog", {
        "before": now - timedelta(minutes=cfg.backlog_sla_minutes), "limit": limit}), now)
    view.stuck_payouts = listing(_query(database, "hc_stuck_payouts", {
        "before": now - timedelta(minutes=cfg.stuck_minutes), "limit": limit}), now)
    view.stuck_deposits = listing(_query(database, "hc_stuck_deposits", {
        "before": now - timedelta(minutes=cfg.stuck_deposit_minutes), "limit": limit}), now)
    (outcomes,) = _query(database, "hc_payout_outcomes", {"since": payouts_from}) or [{}]
    minutes = (now - payouts_from).total_seconds() / 60
    view.payouts = sig.PayoutRate(int(outcomes.get("failed") or 0), int(outcomes.get("paid") or 0), minutes,
                                  cfg.payout_min_sample)
    view.players = [str(r["player_id"]) for r in _query(database, "hc_recent_players", {
        "since": now - timedelta(hours=cfg.recon_hours), "limit": cfg.recon_sample}) if r.get("player_id")]
    return view
