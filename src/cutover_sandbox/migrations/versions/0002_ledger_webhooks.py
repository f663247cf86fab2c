"""Double-entry ledger, payout attempts and webhook events.

Revision ID: 0002_ledger_webhooks
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_ledger_webhooks"
down_revision: str | None = "0001_core"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(18, 2)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payout_attempts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tx_id", sa.Uuid(), sa.ForeignKey("transactions.id"), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_payout_attempts_tx_id", "payout_attempts", ["tx_id"])
    op.create_table(
        "ledger_movements",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("tx_id", sa.Uuid(), nullable=True),
        sa.Column("external_event_id", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_ledger_movements_tx_id", "ledger_movements", ["tx_id"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("movement_id", sa.Uuid(), sa.ForeignKey("ledger_movements.id"), nullable=False),
        sa.Column("account", sa.String(32), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
    )
    op.create_index("ix_ledger_entries_movement_id", "ledger_entries", ["movement_id"])
    op.create_index("ix_ledger_entries_player_id", "ledger_entries", ["player_id"])
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("provider_event_id", sa.Text(), nullable=False),
        sa.Column("tx_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("raw", JSONB(), nullable=False),
        sa.UniqueConstraint("provider", "provider_event_id", name="uq_webhook_events_provider_event"),
    )


def downgrade() -> None:
    op.drop_table("webhook_events")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_movements")
    op.drop_table("payout_attempts")
