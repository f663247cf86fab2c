"""Core tables: admins, players, verification codes, wallets, transactions.

Revision ID: 0001_core
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_core"
down_revision: str | None = None
branch_labels = None
depends_on = None

MONEY = sa.Numeric(18, 2)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "admins",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "players",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("email_verified", sa.Boolean(), nullable=False),
        sa.Column("phone_verified", sa.Boolean(), nullable=False),
        sa.Column("kyc_status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "email", name="uq_players_tenant_email"),
    )
    op.create_table(
        "verification_codes",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("target", sa.String(320), nullable=False),
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("consumed_at", TS, nullable=True),
    )
    op.create_index("ix_verification_codes_target", "verification_codes", ["target"])
    op.create_table(
        "wallets",
        sa.Column("player_id", sa.Uuid(), sa.ForeignKey("players.id"), primary_key=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("available_real", MONEY, nullable=False),
        sa.Column("held_real", MONEY, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "transactions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("player_id", sa.Uuid(), sa.ForeignKey("players.id"), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=True),
        sa.Column("provider_ref", sa.String(255), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("player_id", "type", "idempotency_key", name="uq_transactions_idempotency"),
    )
    op.create_index("ix_transactions_player_id", "transactions", ["player_id"])
    op.create_index("ix_transactions_created_at", "transactions", ["created_at"])


def downgrade() -> None:
    op.drop_table("transactions")
    op.drop_table("wallets")
    op.drop_table("verification_codes")
    op.drop_table("players")
    op.drop_table("admins")
