"""Indexes for hypercare's time windows and the ledger invariants at production scale.

The gate's profile SQL (`[sql] hc_*`, `recon_*`, `[invariants]`) asks for transactions of a type in some states older
or newer than a time (backlog by created_at; stuck jobs, payout outcomes and failed payouts by updated_at), for the
movements booked in a window, the wallets changed in one, and each transaction's external-event movements (kind,
tx_id): without these indexes each of those reads the whole table.

Revision ID: 0004_hypercare_indexes
Revises: 0003_tenants_alt_views
"""

from __future__ import annotations

from alembic import op

revision = "0004_hypercare_indexes"
down_revision: str | None = "0003_tenants_alt_views"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_transactions_type_state_created_at", "transactions", ["type", "state", "created_at"])
    op.create_index("ix_transactions_type_state_updated_at", "transactions", ["type", "state", "updated_at"])
    op.create_index("ix_ledger_movements_created_at", "ledger_movements", ["created_at"])
    op.create_index("ix_ledger_movements_kind_tx_id", "ledger_movements", ["kind", "tx_id"])
    op.create_index("ix_wallets_updated_at", "wallets", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_wallets_updated_at", table_name="wallets")
    op.drop_index("ix_ledger_movements_kind_tx_id", table_name="ledger_movements")
    op.drop_index("ix_ledger_movements_created_at", table_name="ledger_movements")
    op.drop_index("ix_transactions_type_state_updated_at", table_name="transactions")
    op.drop_index("ix_transactions_type_state_created_at", table_name="transactions")
