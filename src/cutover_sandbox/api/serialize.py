"""JSON shapes of the sandbox's records. Amounts are decimal strings with two places ("10.00")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cutover_sandbox.idempotency import money
from cutover_sandbox.models import Admin, PayoutAttempt, Player, Transaction, Wallet


def amount(value: Decimal) -> str:
    return str(money(value))


def transaction(tx: Transaction) -> dict[str, Any]:
    return {
        "id": str(tx.id),
        "tx_id": str(tx.id),
        "player_id": str(tx.player_id),
        "type": tx.type,
        "amount": amount(tx.amount),
        "currency": tx.currency,
        "state": tx.state,
        "method": tx.method,
        "address": tx.address,
        "provider": tx.provider,
        "provider_ref": tx.provider_ref,
        "created_at": tx.created_at.isoformat(),
        "updated_at": tx.updated_at.isoformat(),
    }


def wallet(w: Wallet) -> dict[str, Any]:
    return {"available_real": amount(w.available_real), "held_real": amount(w.held_real),
            "total_real": amount(w.total_real), "currency": w.currency}


def admin(a: Admin) -> dict[str, Any]:
    return {"id": str(a.id), "email": a.email, "role": a.role, "created_at": a.created_at.isoformat()}


def player(p: Player) -> dict[str, Any]:
    return {"id": str(p.id), "tenant_id": p.tenant_id, "email": p.email, "username": p.username, "phone": p.phone,
            "email_verified": p.email_verified, "phone_verified": p.phone_verified, "kyc_status": p.kyc_status}


def payout_attempt(a: PayoutAttempt) -> dict[str, Any]:
    return {"id": str(a.id), "provider": a.provider, "status": a.status, "created_at": a.created_at.isoformat()}
