"""The alt dialect's vocabulary: its names for the domain's kinds, states, accounts, error codes and deposit methods.

The domain (payments, withdrawals, ledger) keeps its own names; these tables translate on the way out (answers) and
in (query filters, request values). The views of migration 0003 spell the same tables in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping

from cutover_sandbox.payments import Method
from cutover_sandbox.withdrawals import PayoutStatus, ReviewAction

KINDS: Mapping[str, str] = {"deposit": "TOPUP", "withdrawal": "CASHOUT"}
DEPOSIT_STATES: Mapping[str, str] = {"created": "NEW", "pending_provider": "AWAITING_PSP", "completed": "SETTLED",
                                     "failed": "FAILED"}
WITHDRAWAL_STATES: Mapping[str, str] = {"requested": "PENDING_REVIEW", "approved": "APPROVED",
                                        "payout_pending": "DISPATCHED", "paid": "SETTLED",
                                        "payout_failed": "DISPATCH_FAILED", "rejected": "DECLINED",
                                        "canceled": "CANCELLED"}
WITHDRAWAL_STATES_IN: Mapping[str, str] = {alt: domain for domain, alt in WITHDRAWAL_STATES.items()}
ACCOUNTS: Mapping[str, str] = {"player_available": "FREE", "player_held": "LOCKED", "psp_clearing": "PSP_RECEIVABLE",
                               "payout_clearing": "PAYOUT_TRANSIT"}
REASONS: Mapping[str, str] = {"deposit_credit": "TOPUP_CREDIT", "withdraw_hold": "CASHOUT_LOCK",
                              "withdraw_release": "CASHOUT_UNLOCK", "payout_settle": "CASHOUT_SETTLE"}

VERDICTS: Mapping[str, ReviewAction] = {"ACCEPT": "approve", "DECLINE": "reject"}
OUTCOMES: Mapping[str, PayoutStatus] = {"SUCCESS": "paid", "FAILURE": "failed"}
"""The payout webhook's outcome -> the domain's payout status."""
OUTCOMES_OUT: Mapping[str, str] = {domain: alt for alt, domain in OUTCOMES.items()}
ACTIONS: Mapping[str, str] = {"approve": "accept", "reject": "decline", "mark paid": "settle", "pay out": "dispatch"}
"""The domain's withdrawal actions, as an illegal transition's detail names them."""

CHANNELS: Mapping[str, Method] = {
    "card": Method("stripe", synchronous=True),  # the card PSP authorises and captures in the call: SETTLED at once
    "checkout": Method("stripe"),                # the card PSP's hosted checkout: its signed webhook settles it
    "bank": Method("adyen"),                     # a bank transfer through the acquirer: its signed webhook settles it
    "instant": Method(),                         # staging test channel: no PSP, settles at once
}
"""The top-up channels (stored as the transaction's method)."""

ERRORS: Mapping[str, tuple[str, str | None]] = {
    # domain error code -> (alt code, alt detail; None keeps the domain's message)
    "IDEMPOTENCY_KEY_REQUIRED": ("IDEMPOTENCY_KEY_MISSING", "an X-Request-Id header is required"),
    "IDEMPOTENCY_KEY_INVALID": ("IDEMPOTENCY_KEY_INVALID", "the X-Request-Id is longer than 255 characters"),
    "IDEMPOTENCY_KEY_REUSE_CONFLICT": ("IDEMPOTENCY_CONFLICT", "this X-Request-Id was used with a different request"),
    "ILLEGAL_TRANSACTION_STATE_TRANSITION": ("ILLEGAL_TRANSITION", None),
    "KYC_REQUIRED_FOR_WITHDRAWAL": ("KYC_REQUIRED", None),
    "INSUFFICIENT_FUNDS": ("INSUFFICIENT_FUNDS", "the free balance is lower than the sum"),
    "INVALID_CREDENTIALS": ("BAD_CREDENTIALS", "invalid login or secret"),
    "AUTH_REQUIRED": ("UNAUTHENTICATED", None),
    "INVALID_TOKEN": ("SESSION_INVALID", None),
    "PLAYER_EXISTS": ("MEMBER_EXISTS", "a member with this mail already exists"),
    "PLAYER_NOT_FOUND": ("MEMBER_NOT_FOUND", "member not found"),
    "TRANSACTION_NOT_FOUND": ("NOT_FOUND", "no such ref"),
    "EMAIL_NOT_VERIFIED": ("MAIL_UNVERIFIED", None),
    "PHONE_NOT_VERIFIED": ("MOBILE_UNVERIFIED", None),
    "UNSUPPORTED_PAYMENT_METHOD": ("CHANNEL_UNSUPPORTED", None),
    "INVALID_VERIFICATION_CODE": ("CODE_REJECTED", None),
    "WEBHOOK_SIGNATURE_MISSING": ("SIGNATURE_MISSING", None),
    "WEBHOOK_SIGNATURE_INVALID": ("SIGNATURE_INVALID", None),
    "WEBHOOK_TIMESTAMP_INVALID": ("SIGNATURE_EXPIRED", None),
    "INVALID_PAYLOAD": ("MALFORMED_PAYLOAD", None),
    "ADMIN_EXISTS": ("OPERATOR_EXISTS", None),
    "MISSING_IDS": ("REFS_MISSING", "the callback names neither a member with a sum nor a ref"),
    "INVALID_AMOUNT": ("SUM_INVALID", "the sum is not a positive decimal"),
    "INVALID_RESET_TOKEN": ("RESET_TOKEN_REJECTED", None),
    "INTERNAL_ERROR": ("INTERNAL", None),
}
VALIDATION_FAILED = "VALIDATION_FAILED"


def tx_status(kind: str, state: str) -> str:
    """The alt status of a domain transaction of `kind` (deposit | withdrawal) in `state`."""
    table = DEPOSIT_STATES if kind == "deposit" else WITHDRAWAL_STATES
    return table.get(state, state.upper())


def error(code: str, message: str) -> tuple[str, str]:
    """(alt code, alt detail) of a domain error."""
    alt_code, detail = ERRORS.get(code, (code, None))
    return alt_code, detail or message
