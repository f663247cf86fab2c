"""The daily reconciliation (runbook §4 "Daily recon report"): the day's transactions against the ledger.

The profile's SQL aggregates in the database, over the transactions created in the window (the last `recon_hours`):
- `recon_totals`: per type and state, how many, their amount, the ledger effect the platform's rules expect on the
  players' accounts (available, held) and the effect the ledger holds for them;
- `recon_differences`: every transaction whose own ledger effect differs from the expected one (at most
  `list_limit` shown, all counted);
- `recon_unmatched`: movements booked in the window that should belong to a transaction and belong to none;
- `recon_failed_payouts`: withdrawals whose payout failed and whose funds are still held (now, whatever their day).
`compare` is the reconciliation itself: every group whose ledger differs from what is expected is a difference,
alongside the transaction and movement differences the SQL lists. Any difference fails the round
(ledger_invariant_breach) and makes `daily_reconciliation_report.py` exit 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.finance import Listing
from cutover_gate.core.clock import iso, parse_time
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.target.database import Database

ZERO = Decimal("0")


def money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else ZERO
    except InvalidOperation:
        raise CheckFailed(N_("reconciliation: %(value)s is not an amount"), value=repr(value)) from None


@dataclass(frozen=True)
class Group:
    """One type and state of the day's transactions: what the rules expect in the ledger, and what it holds."""

    type: str
    state: str
    count: int
    amount: Decimal
    expected_available: Decimal
    expected_held: Decimal
    ledger_available: Decimal
    ledger_held: Decimal

    @property
    def diff_available(self) -> Decimal:
        return self.ledger_available - self.expected_available

    @property
    def diff_held(self) -> Decimal:
        return self.ledger_held - self.expected_held

    @property
    def balanced(self) -> bool:
        return self.diff_available == 0 and self.diff_held == 0

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "state": self.state, "count": self.count, "amount": str(self.amount),
                "expected_available": str(self.expected_available), "ledger_available": str(self.ledger_available),
                "expected_held": str(self.expected_held), "ledger_held": str(self.ledger_held),
                "diff_available": str(self.diff_available), "diff_held": str(self.diff_held),
                "balanced": self.balanced}

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Group:
        return cls(str(row.get("type")), str(row.get("state")), int(row.get("n") or 0), money(row.get("amount")),
                   money(row.get("expected_available")), money(row.get("expected_held")),
                   money(row.get("ledger_available")), money(row.get("ledger_held")))


@dataclass(frozen=True)
class Difference:
    """A transaction (or a movement without one) the ledger does not match."""

    ref: str
    what: str
    detail: str

    def describe(self) -> str:
        return self.reason().text()

    def reason(self) -> Reason:
        return Reason.of(N_("%(what)s %(ref)s: %(detail)s"), what=self.what, ref=self.ref, detail=self.detail)


@dataclass(frozen=True)
class FailedPayout:
    ref: str
    player: str
    amount: Decimal
    since: str | None
    held: Decimal

    @property
    def still_held(self) -> bool:
        return self.held >= self.amount


@dataclass
class DailyRecon:
    since: datetime
    until: datetime
    groups: list[Group] = field(default_factory=list)
    transactions: list[Difference] = field(default_factory=list)
    transactions_total: int = 0
    unmatched: list[Difference] = field(default_factory=list)
    unmatched_total: int = 0
    failed_payouts: list[FailedPayout] = field(default_factory=list)
    failed_payouts_total: int = 0
    failed_payouts_amount: Decimal = ZERO
    stuck_deposits: Listing = field(default_factory=Listing)

    def totals(self) -> dict[str, Decimal]:
        keys = ("amount", "expected_available", "ledger_available", "expected_held", "ledger_held")
        return {k: sum((getattr(g, k) for g in self.groups), ZERO) for k in keys}

    def differences(self) -> list[str]:
        """Every difference, described: unbalanced groups, transactions, movements without a transaction."""
        return [reason.text() for reason in self.difference_reasons()]

    def difference_reasons(self) -> list[Reason]:
        """`differences()` as catalogue messages."""
        return compare_reasons(self.groups) + [d.reason() for d in self.transactions + self.unmatched]

    @property
    def difference_count(self) -> int:
        """Transactions that differ (a group that differs has at least one) and movements without a transaction."""
        return max(self.transactions_total, len(compare(self.groups))) + self.unmatched_total

    def summary(self) -> dict[str, Any]:
        """The compact form a round keeps in the record."""
        return {"since": iso(self.since), "until": iso(self.until), "transactions": sum(g.count for g in self.groups),
                "differences": self.difference_count, "failed_payouts_held": self.failed_payouts_total,
                "stuck_deposits": self.stuck_deposits.total}


def compare(groups: Sequence[Group]) -> list[str]:
    """The reconciliation: each type/state whose ledger effect differs from the expected one, with the difference."""
    return [reason.text() for reason in compare_reasons(groups)]


def compare_reasons(groups: Sequence[Group]) -> list[Reason]:
    """`compare` as catalogue messages."""
    out = []
    for g in groups:
        if g.balanced:
            continue
        parts = tuple(Reason.of(N_("%(name)s expected %(expected)s, ledger %(ledger)s (difference %(difference)s)"),
                                name=name, expected=exp, ledger=got, difference=f"{got - exp:+}")
                      for name, exp, got in (("available", g.expected_available, g.ledger_available),
                                             ("held", g.expected_held, g.ledger_held)) if got != exp)
        out.append(Reason.of(N_("%(count)s %(type)s %(state)s (%(amount)s): %(parts)s"), count=g.count, type=g.type,
                             state=g.state, amount=g.amount, parts=parts))
    return out


def _total(rows: list[dict[str, Any]], key: str = "total") -> int:
    return int(rows[0].get(key) or len(rows)) if rows else 0


def _rows(database: Database, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    if not database.profile.sql(key).strip():
        raise CheckFailed(N_("the profile's [sql] %(key)s is empty: the reconciliation is not configured"), key=key)
    return database.query(key, params)


def read(database: Database, cfg: HypercareConfig, now: datetime, stuck_deposits: Listing | None = None
         ) -> DailyRecon:
    """The day's reconciliation from the profile's SQL. CheckFailed when a query fails."""
    window = {"since": now - timedelta(hours=cfg.recon_hours), "until": now}
    recon = DailyRecon(window["since"], now, stuck_deposits=stuck_deposits or Listing())
    recon.groups = [Group.of(r) for r in _rows(database, "recon_totals", window)]
    rows = _rows(database, "recon_differences", {**window, "limit": cfg.list_limit})
    recon.transactions_total = _total(rows)
    recon.transactions = [Difference(str(r.get("ref")), f"{r.get('type')} {r.get('state')}", (
        f"amount {money(r.get('amount'))}: available expected {money(r.get('expected_available'))}, ledger "
        f"{money(r.get('ledger_available'))}; held expected {money(r.get('expected_held'))}, ledger "
        f"{money(r.get('ledger_held'))}")) for r in rows]
    rows = _rows(database, "recon_unmatched", {**window, "limit": cfg.list_limit})
    recon.unmatched_total = _total(rows)
    recon.unmatched = [Difference(str(r.get("ref")), f"movement {r.get('kind')}",
                                  f"booked {_when(r.get('booked_at'))} for players' accounts "
                                  f"{money(r.get('player_amount'))}, with no transaction") for r in rows]
    rows = _rows(database, "recon_failed_payouts", {"limit": cfg.list_limit})
    recon.failed_payouts_total = _total(rows)
    recon.failed_payouts_amount = money(rows[0].get("total_amount")) if rows else ZERO
    recon.failed_payouts = [FailedPayout(str(r.get("ref")), str(r.get("player")), money(r.get("amount")),
                                         _when(r.get("since")), money(r.get("held"))) for r in rows]
    return recon


def _when(value: Any) -> str | None:
    ts = parse_time(value) if not isinstance(value, datetime) else value
    return iso(ts) if ts else None
