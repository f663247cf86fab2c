"""JSON shapes of the alt dialect. Sums are decimal strings with two places ("10.00"), states in alt names."""

from __future__ import annotations

from typing import Any

from cutover_sandbox.api.alt import names
from cutover_sandbox.api.serialize import amount
from cutover_sandbox.models import Admin, PayoutAttempt, Player, Transaction, Wallet


def txn(tx: Transaction) -> dict[str, Any]:
    return {
        "ref": str(tx.id),
        "kind": names.KINDS.get(tx.type, tx.type.upper()),
        "member": str(tx.player_id),
        "sum": amount(tx.amount),
        "ccy": tx.currency,
        "status": names.tx_status(tx.type, tx.state),
        "channel": tx.method,
        "destination": tx.address,
        "psp": tx.provider,
        "psp_ref": tx.provider_ref,
        "opened_at": tx.created_at.isoformat(),
        "changed_at": tx.updated_at.isoformat(),
    }


def activity_entry(tx: Transaction) -> dict[str, Any]:
    full = txn(tx)
    return {key: full[key] for key in ("ref", "kind", "status", "sum", "ccy", "channel", "opened_at", "changed_at")}


def cashout_row(tx: Transaction) -> dict[str, Any]:
    full = txn(tx)
    return {key: full[key] for key in ("ref", "member", "sum", "ccy", "status", "opened_at", "changed_at", "psp")}


def funds(w: Wallet, *, total: bool = True) -> dict[str, Any]:
    out = {"free": amount(w.available_real), "locked": amount(w.held_real)}
    if total:
        out["total"] = amount(w.total_real)
    return {**out, "ccy": w.currency}


def operator(a: Admin) -> dict[str, Any]:
    return {"uid": str(a.id), "login": a.email, "role": a.role.upper(), "since": a.created_at.isoformat()}


def member(p: Player) -> dict[str, Any]:
    return {"uid": str(p.id), "tenant": p.tenant_id, "mail": p.email, "handle": p.username, "mobile": p.phone,
            "mail_verified": p.email_verified, "mobile_verified": p.phone_verified,
            "kyc": p.kyc_status.upper()}


def attempt(a: PayoutAttempt) -> dict[str, Any]:
    outcome = names.OUTCOMES_OUT.get(a.status, a.status.upper())
    return {"id": str(a.id), "psp": a.provider, "outcome": outcome, "opened_at": a.created_at.isoformat()}
