"""Deposits: instant test deposits, PSP deposits completed by a verified PSP webhook, and synchronous PSP charges.

A deposit method is internal (completes at once, no PSP), asynchronous (the PSP's signed webhook completes it later)
or synchronous (the PSP confirms the charge within the request: the ledger is credited before the answer).
Each dialect names its own methods (`DEFAULT_METHODS`; the alt dialect's channels in `cutover_sandbox.api.alt`).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from cutover_sandbox import ledger
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.errors import ApiError, idempotency_conflict
from cutover_sandbox.idempotency import money, request_hash
from cutover_sandbox.models import Player, Transaction, WebhookEvent

log = logging.getLogger("cutover_sandbox.payments")


@dataclass(frozen=True)
class Method:
    provider: str | None = None
    """The PSP (`stripe`, `adyen`), or None for an internal method that completes at once."""
    synchronous: bool = False
    """The PSP confirms the charge in the request itself (no webhook)."""


DEFAULT_METHODS: Mapping[str, Method] = {"test": Method(), "card": Method("stripe"), "stripe": Method("stripe"),
                                         "adyen": Method("adyen")}

EventOutcome = Literal["processed", "replay", "ignored", "unknown_transaction", "amount_mismatch"]


def require_verified_contact(player: Player, doing: str = "depositing") -> None:
    if not player.email_verified:
        raise ApiError(403, "EMAIL_NOT_VERIFIED", f"verify the email address before {doing}")
    if not player.phone_verified:
        raise ApiError(403, "PHONE_NOT_VERIFIED", f"verify the phone number before {doing}")


def create_deposit(session: Session, ctx: AppContext, player: Player, amount: Decimal, method: str,
                   key: str, methods: Mapping[str, Method] = DEFAULT_METHODS) -> tuple[Transaction, bool]:
    """The deposit for this Idempotency-Key, and whether it was created now (else it is a replay).

    A synchronous method's charge is made here, through the PSP, and credited before this returns; an asynchronous
    one is left `pending_provider` (the caller asks the PSP for it once the transaction is committed)."""
    require_verified_contact(player)
    if method not in methods:
        raise ApiError(400, "UNSUPPORTED_PAYMENT_METHOD", f"method {method!r} is not supported")
    amount = money(amount)
    fingerprint = request_hash(amount=amount, method=method)
    wallet = ledger.lock_wallet(session, player.id)  # serialises this player's money requests
    existing = session.scalar(select(Transaction).where(
        Transaction.player_id == player.id, Transaction.type == "deposit", Transaction.idempotency_key == key))
    if existing is not None:
        if existing.request_hash != fingerprint:
            raise idempotency_conflict()
        if ctx.faults.active("deposit_double_credit_on_replay") and existing.state == "completed":  # FAULT
            ledger.credit_deposit(session, wallet, existing, ctx.faults)
        return existing, False
    provider = methods[method].provider
    tx = Transaction(id=uuid.uuid4(), player_id=player.id, type="deposit", amount=amount, currency=wallet.currency,
                     state="created", method=method, idempotency_key=key, request_hash=fingerprint,
                     provider=provider or "internal",
                     provider_ref="cs_test_" + secrets.token_hex(12) if provider == "stripe" else None)
    session.add(tx)
    session.flush()
    if provider is None:
        ledger.credit_deposit(session, wallet, tx, ctx.faults)
        tx.state = "completed"
        return tx, True
    tx.state = "pending_provider"
    if methods[method].synchronous:
        charge_ref = ctx.psp.charge(str(tx.id), provider, tx.amount, tx.currency)
        if charge_ref is not None:  # None: the PSP did not confirm; the deposit stays pending_provider
            ledger.credit_deposit(session, wallet, tx, ctx.faults, external_event_id=charge_ref)
            tx.state = "completed"
            tx.provider_ref = charge_ref
    return tx, True


def record_event(session: Session, provider: str, event_id: str, tx_id: uuid.UUID | None, raw: dict[str, object],
                 status: str) -> WebhookEvent | None:
    """Insert the webhook event; None when this (provider, event id) was already received (a replay)."""
    inserted = session.scalar(
        insert(WebhookEvent)
        .values(id=uuid.uuid4(), provider=provider, provider_event_id=event_id, tx_id=tx_id, status=status, raw=raw)
        .on_conflict_do_nothing(index_elements=["provider", "provider_event_id"])
        .returning(WebhookEvent.id)
    )
    return None if inserted is None else session.get(WebhookEvent, inserted)


def complete_deposit(session: Session, ctx: AppContext, provider: str, event_id: str, tx_ref: str,
                     amount_minor: int | None, currency: str | None, success: bool,
                     raw: dict[str, object], provider_ref: str | None = None) -> EventOutcome:
    """Apply one verified PSP deposit event exactly once."""
    tx_id = _uuid(tx_ref)
    located = ledger.lock_transaction(session, tx_id) if tx_id else None
    if located is None or located[0].type != "deposit":
        return "replay" if record_event(session, provider, event_id, None, raw, "unknown_transaction") is None \
            else "unknown_transaction"
    tx, wallet = located
    event = record_event(session, provider, event_id, tx.id, raw, "received")
    if event is None:
        if ctx.faults.active("webhook_replay_double_effect") and success:  # FAULT: the replay credits again
            ledger.credit_deposit(session, wallet, tx, ctx.faults, external_event_id=event_id)
        return "replay"
    if amount_minor is not None and (amount_minor != int(tx.amount * 100)
                                     or (currency or "").upper() != tx.currency.upper()):
        event.status = "amount_mismatch"
        return "amount_mismatch"
    if tx.state != "pending_provider" or tx.provider != provider:
        event.status = "ignored"
        return "ignored"
    if success:
        ledger.credit_deposit(session, wallet, tx, ctx.faults, external_event_id=event_id)
        tx.state = "completed"
    else:
        tx.state = "failed"
    tx.provider_ref = provider_ref or tx.provider_ref
    event.status = "processed"
    return "processed"


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None
