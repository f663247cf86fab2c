"""The profile's ledger invariants (`[invariants]`), run at T-0 and in every hypercare round, and what each covered.

An invariant query returns the rows that break it. One that needs the whole ledger can take longer than a check may
at production scale (the sum of every movement of a 5,000,000-entry ledger takes seconds); the profile may then
write it over a scope instead, with the parameters the gate binds:

- `%(since)s`: the start of the window (`[hypercare] invariant_window_hours` back): every row changed since is checked;
- `%(sample_percent)s` and `%(seed)s`: a block sample of the rest (`TABLESAMPLE SYSTEM (%(sample_percent)s::real)
  REPEATABLE (%(seed)s::float8)`), the seed recorded so the same sample can be drawn again.

The evidence says, per invariant, what it covered: the whole ledger, or the window and the sample, and how.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from cutover_gate.core.clock import iso, utcnow
from cutover_gate.target.database import Database

SINCE, SAMPLE, SEED = "%(since)s", "%(sample_percent)s", "%(seed)s"
WHOLE = "whole ledger"


def params(*, window_hours: float, sample_percent: float, now: datetime | None = None, seed: int | None = None
           ) -> dict[str, Any]:
    now = now or utcnow()
    return {"since": now - timedelta(hours=window_hours), "sample_percent": sample_percent,
            "seed": seed if seed is not None else random.randint(1, 2**31 - 1)}


def scope(sql: str, bound: dict[str, Any]) -> str:
    """What an invariant query covers, from the parameters it uses."""
    parts = []
    if SINCE in sql:
        parts.append(f"every row changed since {iso(bound['since'])}")
    if SAMPLE in sql:
        seed = f", REPEATABLE seed {bound['seed']}" if SEED in sql else ""
        parts.append(f"a {bound['sample_percent']:g}% block sample of the rest (TABLESAMPLE SYSTEM{seed})")
    return "sampled: " + " and ".join(parts) if parts else WHOLE


def run(database: Database, bound: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """Each invariant with the rows that break it (empty: it holds), and what each covered."""
    queries = database.profile.invariants()
    return database.invariants(bound), {name: scope(sql, bound) for name, sql in queries.items()}
