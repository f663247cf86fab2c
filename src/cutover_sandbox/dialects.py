"""The API dialects one sandbox can speak: the same business rules, database and faults behind another API.

- `default`: CONTRACT §1, the platform the runbook was written for (`cutover_sandbox.api.routes`);
- `alt`: another platform's API and schema (`cutover_sandbox.api.alt`: other paths, fields, states, error codes,
  webhook shapes, verification and KYC flow, tenants, a registration rate limit, SQL views in schema `alt`);
- `casino`: CONTRACT §1's paths and fields with a real open-source platform's habits (`cutover_sandbox.api.casino`):
  nested error codes `{"detail": {"error_code", "message"}}` (deposit and withdraw with their own idempotency-conflict
  codes), synchronous payouts (and a strict payout webhook: a second "paid" is a 500, "failed" after paid a 409),
  verification confirms answering `200 {"ok": true|false}`, the Adyen path on its own checkout-session route with a
  hex HMAC key, the admin UI's own approve / mark-paid routes, and a risk engine limiting withdrawal requests per hour.

Choose with `cutover-sandbox serve --dialect NAME`, `Sandbox(dialect=NAME)`, or `CUTOVER_SANDBOX_DIALECT=NAME`
(read by `serve` itself, so whoever starts the sandbox needs no option for it). An unknown name is refused at start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

ENV_VAR = "CUTOVER_SANDBOX_DIALECT"
DEFAULT = "default"
ALT = "alt"
CASINO = "casino"
DIALECTS: tuple[str, ...] = (DEFAULT, ALT, CASINO)


class UnknownDialect(ValueError):
    """A dialect name outside `DIALECTS`; the message lists the known ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown dialect: {name}; known dialects: {', '.join(DIALECTS)}")


def parse(name: str | None) -> str:
    """The dialect named (surrounding blanks ignored, any case); empty or None is the default one."""
    wanted = (name or "").strip().lower() or DEFAULT
    if wanted not in DIALECTS:
        raise UnknownDialect((name or "").strip())
    return wanted


def from_env(environ: Mapping[str, str] | None = None) -> str:
    """The dialect named by `CUTOVER_SANDBOX_DIALECT` (validated; unset or empty is the default one)."""
    env = os.environ if environ is None else environ
    return parse(env.get(ENV_VAR))
