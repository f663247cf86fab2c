"""The canary report's evidence keys, declared once: the steps write them (steps/canary.py and the T-0 steps that
feed the report), the decision requires some of them (decide/derived.py), the reports fill the canary report from them
(reports/render.py)."""

from __future__ import annotations

from typing import Final

CANARY_PLAYER_ID: Final = "canary_player_id"
CANARY_EMAIL: Final = "canary_email"
KYC_STATUS: Final = "kyc_status"
CURRENCY: Final = "currency"
DEPOSIT_AMOUNT: Final = "deposit_amount"
DEPOSIT_METHOD: Final = "deposit_method"
DEPOSIT_TX_ID: Final = "deposit_tx_id"
DEPOSIT_STATE: Final = "deposit_state"
AVAILABLE_BEFORE: Final = "available_before"
HELD_BEFORE: Final = "held_before"
AVAILABLE_AFTER_DEPOSIT: Final = "available_after_deposit"
DEPOSIT_REPLAY_SAME_TX: Final = "deposit_replay_same_tx"
WITHDRAW_AMOUNT: Final = "withdraw_amount"
WITHDRAW_TX_ID: Final = "withdraw_tx_id"
AVAILABLE_AFTER_WITHDRAW: Final = "available_after_withdraw"
HELD_AFTER_WITHDRAW: Final = "held_after_withdraw"
APPROVE_ANSWER_STATE: Final = "approve_answer_state"
APPROVE_STATE: Final = "approve_state"
APPROVED_AT: Final = "approved_at"
PAID_ANSWER_STATE: Final = "paid_answer_state"
PAID_STATE: Final = "paid_state"
PAID_AT: Final = "paid_at"
PAYOUT_REF: Final = "payout_ref"
AVAILABLE_FINAL: Final = "available_final"
HELD_FINAL: Final = "held_final"
EXPECTED_AVAILABLE: Final = "expected_available"
EXPECTED_HELD: Final = "expected_held"
DB_AVAILABLE: Final = "db_available"
DB_HELD: Final = "db_held"
LEDGER_REFS: Final = "ledger_refs"
LAST_WITHDRAW_STATE: Final = "last_withdraw_state"
PAYOUT_WEBHOOK_VERIFIED: Final = "payout_webhook_verified"
FOOTPRINT: Final = "footprint"

CANARY_KEYS: Final[tuple[str, ...]] = (
    CANARY_PLAYER_ID, CANARY_EMAIL, KYC_STATUS, CURRENCY, DEPOSIT_AMOUNT, DEPOSIT_METHOD, DEPOSIT_TX_ID, DEPOSIT_STATE,
    AVAILABLE_BEFORE, HELD_BEFORE, AVAILABLE_AFTER_DEPOSIT, DEPOSIT_REPLAY_SAME_TX, WITHDRAW_AMOUNT, WITHDRAW_TX_ID,
    AVAILABLE_AFTER_WITHDRAW, HELD_AFTER_WITHDRAW, APPROVE_ANSWER_STATE, APPROVE_STATE, APPROVED_AT, PAID_ANSWER_STATE,
    PAID_STATE, PAID_AT, PAYOUT_REF, AVAILABLE_FINAL, HELD_FINAL, EXPECTED_AVAILABLE, EXPECTED_HELD, DB_AVAILABLE,
    DB_HELD, LEDGER_REFS, LAST_WITHDRAW_STATE, PAYOUT_WEBHOOK_VERIFIED, FOOTPRINT,
)
"""Every key the canary report is filled from (reports/render.py), in loop order."""

REPORT_FIELDS: Final[tuple[str, ...]] = (
    CANARY_PLAYER_ID, DEPOSIT_TX_ID, WITHDRAW_TX_ID, APPROVED_AT, PAID_AT, HELD_FINAL, AVAILABLE_FINAL,
)
"""The fields without which checklist line "Canary report completed" cannot PASS."""
