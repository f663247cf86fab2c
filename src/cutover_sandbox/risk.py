"""A risk engine over withdrawal requests, as real casino platforms run one (the casino dialect's).

A player may make at most `CASINO_RISK_WITHDRAWALS_PER_HOUR` (Settings.casino_risk_withdrawals_per_hour, default 12)
withdrawal requests in any hour; the next one is refused `403 RISK_BLOCK` and moves nothing. Every request the
platform took in the last hour counts, whatever became of it (approved, paid, rejected); a refused one is never
stored, so it does not count; a replay of a request (same Idempotency-Key and body) is no new request and is never
judged. The rule runs under the wallet's lock (`withdrawals.request_withdrawal`), so concurrent requests of one
player are counted one after the other.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cutover_sandbox.core.context import AppContext
from cutover_sandbox.errors import ApiError
from cutover_sandbox.models import Player, Transaction, utcnow
from cutover_sandbox.withdrawals import RequestGuard

WINDOW = timedelta(hours=1)
STRICT_LIMIT = 2
"""The limit under the fault `risk_engine_strict`."""
ERROR_CODE = "RISK_BLOCK"


def withdrawals_per_hour(ctx: AppContext) -> int:
    limit = ctx.settings.casino_risk_withdrawals_per_hour
    if ctx.faults.active("risk_engine_strict"):  # FAULT: every request beyond the 2nd in an hour is refused
        limit = min(limit, STRICT_LIMIT)
    return limit


def recent_withdrawals(session: Session, player: Player) -> int:
    """The player's withdrawal requests of the last hour."""
    since = utcnow() - WINDOW
    return session.scalar(select(func.count()).select_from(Transaction).where(
        Transaction.player_id == player.id, Transaction.type == "withdrawal", Transaction.created_at >= since)) or 0


def withdrawal_guard(ctx: AppContext) -> RequestGuard:
    """The rule over a new withdrawal request (for `withdrawals.request_withdrawal`'s `guard`)."""
    limit = withdrawals_per_hour(ctx)

    def check(session: Session, player: Player) -> None:
        if recent_withdrawals(session, player) >= limit:
            raise ApiError(403, ERROR_CODE,
                           f"risk engine: at most {limit} withdrawal requests an hour; try again later")

    return check
