"""The casino dialect: CONTRACT §1's paths, fields, states and tables with a real open-source casino platform's habits.

`cutover-sandbox serve --dialect casino` or `CUTOVER_SANDBOX_DIALECT=casino`. Everything not listed here is the
contract's (`cutover_sandbox.api.routes`, reused as is), over the same domain modules, database and faults.

1. Errors are nested: `{"detail": {"error_code": CODE, "message": TEXT}}` with the contract's statuses and codes
   (`errors.py`), except the idempotency conflicts: `409 DEPOSIT_IDEMPOTENCY_CONFLICT` on deposits (the Adyen session
   included), `409 WITHDRAW_IDEMPOTENCY_CONFLICT` on withdrawals (the payout keeps the contract's
   `IDEMPOTENCY_KEY_REUSE_CONFLICT`). Validation is `422 VALIDATION_ERROR`; an unknown path `404 NOT_FOUND`.
2. Payouts are synchronous (`cutover_sandbox.settlement`): `POST /api/v1/finance/withdrawals/{tx_id}/payout` (and
   `POST /api/v1/payouts/initiate`) + Idempotency-Key on an approved withdrawal answers `200 {"transaction": {"id",
   "state": "paid", ...}, "payout": {...}, "replay": false}`, held -a and a `payout_settle` movement exactly as
   mark-paid (`{"simulate": "failed"}`, or a failing PSP: `payout_failed`, still held). The mock PSP sends no payout
   webhook. The signed payout webhook route is there, strict: `paid` for a paid withdrawal -> 500
   `INTERNAL_ERROR` (the settlement guard), `failed` for a paid one -> 409 `ILLEGAL_TRANSACTION_STATE_TRANSITION`.
   `mark-paid` is the contract's.
3. `POST /api/v1/verify/email/confirm` and `/verify/sms/confirm` answer success in the body: `200 {"ok": true}`, or
   `200 {"ok": false, "reason": "INVALID_CODE"}` for a wrong code (never a 4xx for a code).
4. Adyen has its own deposit route: `POST /api/v1/payments/adyen/checkout/session {"amount"}` (player bearer +
   Idempotency-Key) -> `200 {"transaction": {"id", "type": "deposit", "amount", "currency", "state":
   "pending_provider", ...}, "replay"}`, completed only by Adyen's signed notification on
   `POST /api/v1/payments/adyen/webhook`. The deposit route refuses `method: "adyen"` with
   `400 METHOD_NOT_SUPPORTED`; `test` and `card` work as on the contract.
5. The admin UI's own routes beside the finance API: `POST /api/v1/withdrawals/{tx_id}/approve` and
   `POST /api/v1/withdrawals/{tx_id}/mark-paid` (admin bearer, no body) -> `200 {"transaction": {"id", "state"}}`,
   with the effects of review-approve and mark-paid (`routes/backoffice.py`).
6. A risk engine (`cutover_sandbox.risk`): a player's withdrawal requests beyond `CASINO_RISK_WITHDRAWALS_PER_HOUR`
   (default 12) in the last hour are refused `403 RISK_BLOCK`, moving nothing.
7. The Adyen HMAC key is hex, as Adyen issues it (64 hex characters, hex-decoded as Adyen's libraries do): the
   `CUTOVER_ADYEN_HMAC_KEY` text when it is hex, else `sha256(text).hexdigest()` (`adyen.py`); the sandbox's
   settings carry the key in effect.

Its own faults (`Fault.dialects == ("casino",)`): `admin_ui_payout_500`, `sync_payout_keeps_hold`,
`confirm_always_ok_false`, `risk_engine_strict`; the catalogue says which others hold here too.
"""
