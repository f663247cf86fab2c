"""Production-scale data for bench_hypercare.py, generated inside PostgreSQL (generate_series, no row leaves it).

1,000,000 transactions over 90 days, 50,000 players with 20 each (9 deposits, 11 withdrawals), booked in the ledger
as the sandbox books them (cutover_sandbox/ledger.py), plus game rounds (bet/win movements without a transaction) up
to 5,000,000 ledger entries; the wallets are the ledger's sums, so every invariant holds. The last ~2 hours hold
open withdrawals (some past the backlog SLA, some payouts stuck) and PSP deposits still pending.

Secondary indexes and foreign keys are dropped during the load and made again afterwards, as a bulk load does;
their definitions are read from the catalogue first, so what is rebuilt is exactly what the migrations made.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg

TRANSACTIONS = 1_000_000
LEDGER_ENTRIES = 5_000_000
PLAYERS = TRANSACTIONS // 20
SPAN_S = 90 * 24 * 3600
RECENT = 1_000  # the newest transactions (~2.2 h at this rate) hold the open states
TABLES = ("transactions", "ledger_movements", "ledger_entries", "wallets", "players")

PLAYERS_SQL = f"""
INSERT INTO players (id, tenant_id, email, username, phone, password_hash, email_verified, phone_verified, kyc_status,
                     created_at)
SELECT md5('p' || p)::uuid, 'default', 'p' || p || '@bench.invalid', 'p' || p, '+90' || (5000000000 + p), '!', true,
       true, 'verified', now() - interval '100 days'
FROM generate_series(1, {PLAYERS}) AS p"""

TRANSACTIONS_SQL = f"""
INSERT INTO transactions (id, player_id, type, amount, currency, state, method, address, idempotency_key,
                          request_hash, provider, provider_ref, created_at, updated_at)
SELECT md5('tx' || i)::uuid, md5('p' || (((i - 1) / 20) % {PLAYERS} + 1))::uuid, kind, amount, 'USD', state, method,
       CASE WHEN kind = 'withdrawal' THEN 'IBAN-' || i END, 'k' || i, 'h', provider, NULL, created,
       CASE WHEN state IN ('requested', 'approved') THEN created
            WHEN state = 'payout_pending' THEN created + interval '1 minute'
            ELSE created + make_interval(mins => (i % 30)::int) END
FROM (
  SELECT i, k, recent, kind, created,
         CASE WHEN kind = 'deposit' THEN 100 + (i % 100) ELSE 10 + (i % 40) END::numeric(18, 2) AS amount,
         CASE WHEN kind = 'deposit' THEN CASE WHEN k % 2 = 1 THEN 'card' ELSE 'test' END ELSE 'bank_transfer' END
           AS method,
         CASE
           WHEN kind = 'deposit' AND k = 0 THEN 'failed'
           WHEN kind = 'deposit' AND recent AND k = 1 THEN 'pending_provider'
           WHEN kind = 'deposit' THEN 'completed'
           WHEN k = 9 THEN 'rejected'
           WHEN recent AND k = 10 THEN 'requested'
           WHEN recent AND k = 11 THEN 'approved'
           WHEN recent AND k = 12 THEN 'payout_pending'
           WHEN i % 1000 = 14 THEN 'payout_failed'
           ELSE 'paid' END AS state,
         CASE
           WHEN kind = 'deposit' THEN CASE WHEN k % 2 = 1 THEN 'stripe' ELSE 'internal' END
           WHEN recent AND k IN (10, 11) THEN NULL
           WHEN k % 2 = 0 THEN 'mockpsp' END AS provider
  FROM (
    SELECT i, (i - 1) % 20 AS k, i > {TRANSACTIONS - RECENT} AS recent,
           CASE WHEN (i - 1) % 20 < 9 THEN 'deposit' ELSE 'withdrawal' END AS kind,
           now() - make_interval(secs => ({TRANSACTIONS} - i) * {SPAN_S / TRANSACTIONS}) AS created
    FROM generate_series(1, {TRANSACTIONS}) AS i) AS base) AS tx"""

# every transaction's movements, as the sandbox books them: (kind, prefix of the id, when, which transactions)
MOVEMENTS_SQL = """
INSERT INTO ledger_movements (id, kind, tx_id, external_event_id, created_at)
SELECT md5(m.prefix || t.idempotency_key)::uuid, m.kind, t.id, NULL,
       CASE WHEN m.kind = 'withdraw_hold' THEN t.created_at ELSE t.updated_at END
FROM transactions t
JOIN (VALUES ('deposit_credit', 'dc', 'deposit'), ('withdraw_hold', 'wh', 'withdrawal'),
             ('withdraw_release', 'wr', 'withdrawal'), ('payout_settle', 'ws', 'withdrawal'))
     AS m(kind, prefix, type) ON m.type = t.type
WHERE (m.kind = 'deposit_credit' AND t.state = 'completed')
   OR m.kind = 'withdraw_hold'
   OR (m.kind = 'withdraw_release' AND t.state = 'rejected')
   OR (m.kind = 'payout_settle' AND t.state = 'paid')"""

ENTRIES_SQL = """
INSERT INTO ledger_entries (movement_id, account, player_id, amount, currency)
SELECT md5(m.prefix || t.idempotency_key)::uuid, leg.account,
       CASE WHEN leg.account LIKE 'player_%' THEN t.player_id END, leg.sign * t.amount, 'USD'
FROM transactions t
JOIN (VALUES ('deposit_credit', 'dc', 'deposit'), ('withdraw_hold', 'wh', 'withdrawal'),
             ('withdraw_release', 'wr', 'withdrawal'), ('payout_settle', 'ws', 'withdrawal'))
     AS m(kind, prefix, type) ON m.type = t.type
JOIN (VALUES ('deposit_credit', 'player_available', 1), ('deposit_credit', 'psp_clearing', -1),
             ('withdraw_hold', 'player_available', -1), ('withdraw_hold', 'player_held', 1),
             ('withdraw_release', 'player_held', -1), ('withdraw_release', 'player_available', 1),
             ('payout_settle', 'player_held', -1), ('payout_settle', 'payout_clearing', 1))
     AS leg(kind, account, sign) ON leg.kind = m.kind
WHERE (m.kind = 'deposit_credit' AND t.state = 'completed')
   OR m.kind = 'withdraw_hold'
   OR (m.kind = 'withdraw_release' AND t.state = 'rejected')
   OR (m.kind = 'payout_settle' AND t.state = 'paid')"""

GAME_MOVEMENTS_SQL = """
INSERT INTO ledger_movements (id, kind, tx_id, external_event_id, created_at)
SELECT md5('g' || j)::uuid, CASE WHEN j %% 2 = 1 THEN 'bet' ELSE 'win' END, NULL, NULL,
       now() - make_interval(secs => (%(n)s - j) * %(step)s)
FROM generate_series(1, %(n)s) AS j"""

# a bet and the win after it move the same amount: a player's game rounds net to zero
GAME_ENTRIES_SQL = f"""
INSERT INTO ledger_entries (movement_id, account, player_id, amount, currency)
SELECT md5('g' || j)::uuid, leg.account, CASE WHEN leg.account = 'player_available' THEN
         md5('p' || (((j - 1) / 2) %% {PLAYERS} + 1))::uuid END,
       leg.sign * (CASE WHEN j %% 2 = 1 THEN -1 ELSE 1 END) * (5 + ((j - 1) / 2) %% 20)::numeric(18, 2), 'USD'
FROM generate_series(1, %(n)s) AS j
CROSS JOIN (VALUES ('player_available', 1), ('house', -1)) AS leg(account, sign)"""

# a wallet is the sum of its player's entries, last changed by its player's latest movement
WALLETS_SQL = """
INSERT INTO wallets (player_id, currency, available_real, held_real, updated_at)
SELECT p.id, 'USD', coalesce(l.available, 0), coalesce(l.held, 0), coalesce(l.changed, p.created_at)
FROM players p LEFT JOIN (
  SELECT e.player_id, sum(e.amount) FILTER (WHERE e.account = 'player_available') AS available,
         sum(e.amount) FILTER (WHERE e.account = 'player_held') AS held, max(m.created_at) AS changed
  FROM ledger_entries e JOIN ledger_movements m ON m.id = e.movement_id
  WHERE e.player_id IS NOT NULL GROUP BY e.player_id) l ON l.player_id = p.id"""


def _secondary_indexes(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """(name, definition) of every index of the loaded tables that backs no constraint."""
    return [(str(name), str(definition)) for name, definition in conn.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""", (list(TABLES),))]


def _foreign_keys(conn: psycopg.Connection[Any]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of every foreign key of the loaded tables."""
    return [(str(table), str(name), str(definition)) for table, name, definition in conn.execute(
        """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
           WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)""", (list(TABLES),))]


def seed(dsn: str) -> dict[str, Any]:
    """Load the data; returns the row counts and the time each stage took."""
    timings: dict[str, float] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        indexes, keys = _secondary_indexes(conn), _foreign_keys(conn)
        for table, name, _ in keys:
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')

        def stage(label: str, sql: str, params: dict[str, Any] | None = None) -> None:
            started = time.perf_counter()
            conn.execute(sql, params)
            timings[label] = time.perf_counter() - started

        stage("players", PLAYERS_SQL)
        stage("transactions", TRANSACTIONS_SQL)
        stage("movements", MOVEMENTS_SQL)
        stage("entries", ENTRIES_SQL)
        booked = int(conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0])  # type: ignore[index]
        games = max(0, (LEDGER_ENTRIES - booked) // 2)
        step = SPAN_S / max(games, 1)
        stage("game movements", GAME_MOVEMENTS_SQL, {"n": games, "step": step})
        stage("game entries", GAME_ENTRIES_SQL, {"n": games})
        stage("wallets", WALLETS_SQL)
        started = time.perf_counter()
        for _, definition in indexes:
            conn.execute(definition)
        timings["indexes"] = time.perf_counter() - started
        started = time.perf_counter()
        for table, name, definition in keys:
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        timings["foreign keys"] = time.perf_counter() - started
        for table in TABLES:  # what autovacuum does on a live database: statistics and the visibility map
            stage(f"vacuum {table}", f"VACUUM (ANALYZE) {table}")
        counts = {table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
                  for table in TABLES}
    return {"counts": counts, "timings": timings, "indexes": [name for name, _ in indexes]}
