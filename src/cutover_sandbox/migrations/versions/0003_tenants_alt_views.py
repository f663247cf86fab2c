"""Tenants, and schema `alt`: the alt dialect's read-only layout of the same data, as views.

Both dialects run this revision (views cost nothing and hold no data): the default dialect's tables stay exactly as
they are (the default profile queries them), and the alt dialect's SQL reads these views, which speak alt names:

| view                                                                   | over                |
|------------------------------------------------------------------------|---------------------|
| `alt.accounts(owner, free, locked, ccy, changed_at)`                   | `wallets`           |
| `alt.postings(id, batch, account, owner, delta, ccy)`                  | `ledger_entries`    |
| `alt.batches(id, reason, txn, external_ref, booked_at)`                | `ledger_movements`  |
| `alt.txns(ref, member, kind, status, sum, ccy, channel, psp, opened_at, changed_at)` | `transactions` |
| `alt.hook_events(id, psp, event_id, txn, result, received_at)`         | `webhook_events`    |
| `alt.schema_version(applied)`                                          | `alembic_version`   |

The names are those of `cutover_sandbox.api.alt.names` (a test holds the two together); they are spelled out here
because a revision must not change when the code does.

Revision ID: 0003_tenants_alt_views
Revises: 0002_ledger_webhooks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_tenants_alt_views"
down_revision: str | None = "0002_ledger_webhooks"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

KINDS = {"deposit": "TOPUP", "withdrawal": "CASHOUT"}
DEPOSIT_STATES = {"created": "NEW", "pending_provider": "AWAITING_PSP", "completed": "SETTLED", "failed": "FAILED"}
WITHDRAWAL_STATES = {"requested": "PENDING_REVIEW", "approved": "APPROVED", "payout_pending": "DISPATCHED",
                     "paid": "SETTLED", "payout_failed": "DISPATCH_FAILED", "rejected": "DECLINED",
                     "canceled": "CANCELLED"}
ACCOUNTS = {"player_available": "FREE", "player_held": "LOCKED", "psp_clearing": "PSP_RECEIVABLE",
            "payout_clearing": "PAYOUT_TRANSIT"}
REASONS = {"deposit_credit": "TOPUP_CREDIT", "withdraw_hold": "CASHOUT_LOCK", "withdraw_release": "CASHOUT_UNLOCK",
           "payout_settle": "CASHOUT_SETTLE"}


def _case(column: str, mapping: dict[str, str], when: str = "") -> str:
    """A CASE mapping each known value; anything unknown comes out upper-cased, never NULL."""
    arms = " ".join(f"WHEN {when}{column} = '{old}' THEN '{new}'" for old, new in mapping.items())
    return f"CASE {arms} ELSE upper({column}) END"


def _status() -> str:
    deposit = " ".join(f"WHEN t.type = 'deposit' AND t.state = '{old}' THEN '{new}'"
                       for old, new in DEPOSIT_STATES.items())
    withdrawal = " ".join(f"WHEN t.type = 'withdrawal' AND t.state = '{old}' THEN '{new}'"
                          for old, new in WITHDRAWAL_STATES.items())
    return f"CASE {deposit} {withdrawal} ELSE upper(t.state) END"


VIEWS = {
    "accounts": """SELECT w.player_id AS owner, w.available_real AS free, w.held_real AS locked, w.currency AS ccy,
                          w.updated_at AS changed_at FROM wallets w""",
    "postings": f"""SELECT e.id, e.movement_id AS batch, {_case('e.account', ACCOUNTS)} AS account,
                           e.player_id AS owner, e.amount AS delta, e.currency AS ccy FROM ledger_entries e""",
    "batches": f"""SELECT m.id, {_case('m.kind', REASONS)} AS reason, m.tx_id AS txn,
                          m.external_event_id AS external_ref, m.created_at AS booked_at
                   FROM ledger_movements m""",
    "txns": f"""SELECT t.id AS ref, t.player_id AS member, {_case('t.type', KINDS)} AS kind, {_status()} AS status,
                       t.amount AS sum, t.currency AS ccy, t.method AS channel, t.provider AS psp,
                       t.created_at AS opened_at, t.updated_at AS changed_at FROM transactions t""",
    "hook_events": """SELECT h.id, h.provider AS psp, h.provider_event_id AS event_id, h.tx_id AS txn,
                             upper(h.status) AS result, h.received_at FROM webhook_events h""",
    "schema_version": "SELECT a.version_num AS applied FROM alembic_version a",
}


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.execute("CREATE SCHEMA alt")
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW alt.{name} AS {query}")


def downgrade() -> None:
    op.execute("DROP SCHEMA alt CASCADE")
    op.drop_table("tenants")
