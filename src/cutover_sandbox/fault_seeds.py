"""What some hypercare faults leave on the platform before the gate looks: the state a live platform would have
reached on its own (FAULT branches only, called at start by server.py).

- `finance_jobs_stuck`: a provider payout pending for 45 minutes, and a card deposit whose PSP notification has not
  come for 2 hours: finance jobs the stuck job detector must name.
- `deposit_completed_unbooked`: a card deposit marked completed 3 hours ago whose credit never reached the ledger (nor
  the wallet): every ledger invariant holds, only the reconciliation of transactions against the ledger sees it.
- `error_burst_before_round`: right after start, a burst of the platform's own requests answered 503 (the health
  route honours the burst's header), then healthy again: only a watch that judges the whole interval sees it.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.orm import Session

from cutover_sandbox import payments, withdrawals
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.models import Player, Transaction, Wallet, utcnow

BURST_HEADER = "X-Sandbox-Burst"
BURST_REQUESTS = 40


def _player(ctx: AppContext, session: Session, name: str) -> Player:
    player = Player(tenant_id="default", email=f"{name}@players.sandbox.invalid", username=name,
                    phone=f"+90555{uuid.uuid4().int % 10**7:07d}", password_hash="!", email_verified=True,
                    phone_verified=True, kyc_status="verified")
    session.add(player)
    session.flush()
    session.add(Wallet(player_id=player.id, currency=ctx.settings.currency))
    session.flush()
    return player


def _backdate(session: Session, tx_id: uuid.UUID, created_min: float, updated_min: float) -> None:
    now = utcnow()
    session.execute(update(Transaction).where(Transaction.id == tx_id).values(
        created_at=now - timedelta(minutes=created_min), updated_at=now - timedelta(minutes=updated_min)))


def seed_finance_jobs_stuck(ctx: AppContext) -> None:
    with ctx.sessions() as session:
        player = _player(ctx, session, "stuck-jobs")
        payments.create_deposit(session, ctx, player, Decimal("50"), "test", "stuck-deposit-funds")
        payout, _ = withdrawals.request_withdrawal(session, ctx, player, Decimal("10"), "bank_transfer",
                                                   "STUCK-IBAN", "stuck-withdraw")
        withdrawals.review(session, ctx.faults, payout.id, "approve")
        withdrawals.start_payout(session, payout.id, "stuck-payout", "mockpsp", "paid")
        card, _ = payments.create_deposit(session, ctx, player, Decimal("30"), "card", "stuck-card-deposit")
        session.flush()
        _backdate(session, payout.id, 50, 45)
        _backdate(session, card.id, 120, 120)
        session.commit()


def seed_deposit_completed_unbooked(ctx: AppContext) -> None:
    with ctx.sessions() as session:
        player = _player(ctx, session, "unbooked-deposit")
        tx, _ = payments.create_deposit(session, ctx, player, Decimal("25"), "card", "unbooked-card-deposit")
        tx.state = "completed"  # the notification's state change, without its ledger movement
        session.flush()
        _backdate(session, tx.id, 180, 179)
        session.commit()


def error_burst(url: str, health_path: str = "/api/health") -> None:
    """The burst: requests to the dialect's health route carrying the burst header, each answered 503."""
    for _ in range(BURST_REQUESTS):
        request = urllib.request.Request(f"{url}{health_path}", headers={BURST_HEADER: "1"})
        try:
            urllib.request.urlopen(request, timeout=5).close()  # loopback: the sandbox's own server
        except urllib.error.HTTPError:
            pass
