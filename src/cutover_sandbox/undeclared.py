"""What the undeclared routes some faults mount do, shared by both dialects (errors carry the default codes; the alt
dialect translates them). None of these routes is listed in /openapi.json:

- `undeclared_seed_route`: `seed_player` creates a verified player and credits it 1,000.00 through a real deposit (a
  balanced ledger movement), for anyone who asks;
- `generic_provider_webhook`: `generic_callback` applies an unsigned PSP callback of any provider: it credits the
  player it names with the amount it names, or completes the pending deposit it names; 400 `MISSING_IDS` otherwise;
- `webhook_shape_first`: `check_paypal` judges a PayPal-like callback's body shape before its signature, and never
  accepts one (no PayPal secret exists): a healthy route that moves no money, but only a caller who knows its payload
  ever reaches the signature check.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NoReturn

from sqlalchemy.orm import Session

from cutover_sandbox import accounts, inbound, ledger, payments
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.errors import ApiError, not_found
from cutover_sandbox.idempotency import money, request_hash
from cutover_sandbox.models import Player, Transaction

SEED_CREDIT = Decimal("1000.00")
SEED_METHOD = "ci_seed"
SEED_METHODS: Mapping[str, payments.Method] = {SEED_METHOD: payments.Method()}
PAYPAL_SIGNATURE_HEADER = "PAYPAL-TRANSMISSION-SIG"
MAX_AMOUNT = Decimal("1e15")

CallbackOutcome = Literal["credited", "completed", "ignored"]


def seed_player(session: Session, ctx: AppContext, tenant_id: str) -> tuple[Player, Transaction]:
    """A new, verified player of `tenant_id` credited SEED_CREDIT by a completed deposit (committed)."""
    tag = uuid.uuid4().hex[:12]
    player = accounts.register_player(session, ctx.settings, tenant_id=tenant_id,
                                      email=f"ci-seed-{tag}@seed.sandbox.invalid",
                                      password=secrets.token_urlsafe(16), username=f"ci-seed-{tag}",
                                      phone=f"+1999{int(tag, 16) % 10**7:07d}", kyc_status="verified")
    player.email_verified = player.phone_verified = True
    tx, _ = payments.create_deposit(session, ctx, player, SEED_CREDIT, SEED_METHOD, f"ci-seed-{tag}",
                                    methods=SEED_METHODS)
    session.commit()
    return player, tx


def _object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; {} when it is none."""
    try:
        payload = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _named(payload: Mapping[str, Any], *keys: str) -> Any:
    return next((payload[key] for key in keys if payload.get(key) not in (None, "")), None)


def _uuid(value: Any, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise not_found(what) from None


def _amount(value: Any) -> Decimal:
    try:
        amount = money(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        amount = Decimal(0)
    if not amount.is_finite() or not Decimal(0) < amount < MAX_AMOUNT:
        raise ApiError(400, "INVALID_AMOUNT", "the amount is not a positive decimal")
    return amount


def generic_callback(session: Session, ctx: AppContext, provider: str, raw: bytes) -> CallbackOutcome:
    """Apply an unsigned callback (the caller commits): `player_id`/`user_id` + `amount` credit that player's wallet
    as a completed deposit; else `transaction_id`/`tx_id` completes that pending deposit (a completed one is left as
    it is); else 400 MISSING_IDS. 404 for an unknown player or transaction."""
    payload = _object(raw)
    player_ref, tx_ref = _named(payload, "player_id", "user_id"), _named(payload, "transaction_id", "tx_id")
    if player_ref is not None and payload.get("amount") is not None:
        return _credit(session, ctx, provider, _uuid(player_ref, "player"), _amount(payload["amount"]))
    if tx_ref is not None:
        return _complete(session, ctx, _uuid(tx_ref, "transaction"))
    raise ApiError(400, "MISSING_IDS", "the callback names neither a player with an amount nor a transaction")


def _credit(session: Session, ctx: AppContext, provider: str, player_id: uuid.UUID,
            amount: Decimal) -> CallbackOutcome:
    if session.get(Player, player_id) is None:
        raise not_found("player")
    wallet = ledger.lock_wallet(session, player_id)
    provider = provider[:32]
    tx = Transaction(id=uuid.uuid4(), player_id=player_id, type="deposit", amount=amount, currency=wallet.currency,
                     state="created", method=provider, idempotency_key=f"callback-{uuid.uuid4().hex}",
                     request_hash=request_hash(amount=amount, method=provider), provider=provider)
    session.add(tx)
    session.flush()
    ledger.credit_deposit(session, wallet, tx, ctx.faults)
    tx.state = "completed"
    return "credited"


def _complete(session: Session, ctx: AppContext, tx_id: uuid.UUID) -> CallbackOutcome:
    located = ledger.lock_transaction(session, tx_id)
    if located is None or located[0].type != "deposit":
        raise not_found()
    tx, wallet = located
    if tx.state != "pending_provider":
        return "ignored"
    ledger.credit_deposit(session, wallet, tx, ctx.faults)
    tx.state = "completed"
    return "completed"


def check_paypal(raw: bytes, signature: str | None) -> NoReturn:
    """The body's shape first (400 INVALID_PAYLOAD unless `event_type` "PAYMENT.*" and `resource` with an `id`), then
    the signature header: 401 WEBHOOK_SIGNATURE_MISSING without one, 401 WEBHOOK_SIGNATURE_INVALID for any (no
    PayPal secret exists, so no signature is ever right)."""
    payload = _object(raw)
    event_type, resource = payload.get("event_type"), payload.get("resource")
    if not (isinstance(event_type, str) and event_type.startswith("PAYMENT.") and isinstance(resource, dict)
            and resource.get("id") not in (None, "")):
        raise ApiError(400, "INVALID_PAYLOAD", "not a PayPal payment event")
    if not (signature or "").strip():
        raise inbound.missing(401)
    raise inbound.invalid(401)
