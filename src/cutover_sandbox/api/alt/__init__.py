"""The alt dialect: the same platform (domain code, database, migrations, faults) behind another platform's API.

`cutover-sandbox serve --dialect alt` or `CUTOVER_SANDBOX_DIALECT=alt`. It differs from CONTRACT §1 the way a real
platform does: other paths, fields, states and error codes; a deposit channel that completes synchronously; a payout
webhook that wants an admin bearer besides its signature; a fixed verification code absent from every answer; KYC done
at onboarding (no KYC route); tenants that must exist; a registration rate limit; SQL views in schema `alt`; other env
variable names (`fixtures/env/alt.prod.env`).

Errors are `{"code": ..., "detail": ...}` (`names.ERRORS`; 422 is `VALIDATION_FAILED`). Bearer tokens as on the
contract (`Authorization: Bearer`). Writes that move money carry `X-Request-Id`, the idempotency key: same key + same
body -> the same transaction, no second effect; another body -> 409 `IDEMPOTENCY_CONFLICT`; none -> 400
`IDEMPOTENCY_KEY_MISSING`. Sums are decimal strings ("10.00"), `ccy` the currency.

| call | answer |
|---|---|
| `GET /status/health` | `{"state":"UP","env"}`; anything but `UP` is unhealthy |
| `GET /status/ready` | `{"ready","checks":{"db","schema"},"schema":{"applied","expected"}}` (1) |
| `GET /status/build` | `{"commit":"<40 hex>","built_at","release","env"}` |
| `GET /internal/metrics` | Prometheus, labels `route`, `verb`, `code` (2) |
| `POST /v2/backoffice/sessions {"login","secret"}` | `{"session":{"token","kind":"Bearer"},...}`; 401 (12) |
| `GET /v2/backoffice/whoami` | `{"operator":{"uid","login","role","since"}}`; 401 without a valid token |
| `GET /v2/backoffice/overview` | the dashboard: `{"members","cashouts","topups","funds","as_of"}` |
| `GET /v2/backoffice/members/{uid}/funds` | `{"member","funds":{"free","locked","ccy"}}` |
| `OPTIONS /v2/payouts/dispatch` | 405: the payouts router is mounted (404 when it is missing) |
| `POST /v2/payouts/dispatch {"cashout_ref","psp","simulate"}` | as `.../cashouts/{ref}/dispatch` |
| `GET /v2/payouts/{ref}` | `{"payout":{"ref","phase":<cashout status>,"psp","attempts",...}}`; 404 |
| `POST /v2/members {"mail","pass","handle","mobile","tenant"}` | 201 `{"member":{"uid","tenant","kyc"}}` (3) |
| `POST /v2/members/sessions {"mail","pass","tenant"}` | `{"session":{"token","kind","ttl"},"member":{"uid",...}}` (3) |
| `POST /v2/members/verify {"channel","target"}` | 202 `{"channel","status":"SENT"}`: no code (4) |
| `POST /v2/members/verify/confirm {"channel","target","code"}` | `{"channel","verified":true}` (4) |
| `GET /v2/me/funds` | `{"funds":{"free","locked","total","ccy"}}` |
| `GET /v2/me/activity?kind=&size=&skip=` | `{"entries":[{"ref","kind","status","sum","ccy",...}],"page"}` |
| `POST /v2/me/topups {"value","channel"}` + id | `{"txn":{"ref","kind":"TOPUP","status",...},"replayed"}` (5) |
| `POST /v2/me/cashouts {"value","channel","destination"}` + id | `{"txn":{"status":"PENDING_REVIEW"},"funds"}` (6) |
| `GET /v2/backoffice/cashouts?status=&member=&size=&skip=` | `{"data":[<row>],"page":{"total","size","skip"}}` (7) |
| `POST /v2/backoffice/cashouts/{ref}/decision {"verdict","note"}` | `{"txn":{"status":"APPROVED",...}}` (8) |
| `POST /v2/backoffice/cashouts/{ref}/settle {"note"}` | `{"txn":{"status":"SETTLED",...}}`: locked −v, once |
| `POST /v2/backoffice/cashouts/{ref}/dispatch {"psp","simulate"}` + id | `{"txn","attempt","replayed"}` (9) |
| `POST /v2/hooks/payout-result {"cashout_ref","psp","event_id","outcome"}` | an admin bearer AND a signature (10) |
| `POST /v2/hooks/cards` (a Stripe event) | `X-Card-Signature: t=<ts>,v1=<hex>`, the Stripe scheme (11) |
| `POST /v2/hooks/acquirer {"batch":[<Adyen item>]}` | `additionalData.hmacSignature`, the Adyen scheme (11) |

1. 200 with `{"ready":true,"checks":{"db":"up","schema":"current"},"schema":{"applied":<rev>,"expected":<head>}}`;
   503 with `schema` `behind` (a known older revision) or `failed` (an unknown one), or `db` `down`.
2. `http_requests_total{route,verb,code}` with code `2xx`/`4xx`/`5xx`, `http_request_duration_seconds{route,verb}`.
3. The tenant must exist (seeded from `CUTOVER_TENANTS`, default `casino-eu` and `casino-tr`): else 400
   `{"code":"UNKNOWN_TENANT","detail":"tenant 'x' does not exist"}`. A second registration of a mail is 400
   `MEMBER_EXISTS`; more than `CUTOVER_REGISTER_RATE_LIMIT` (3) registrations per client in
   `CUTOVER_REGISTER_RATE_WINDOW_SECONDS` (60) is 429 `RATE_LIMITED` with `Retry-After: <seconds>`. Wrong password:
   401 `BAD_CREDENTIALS`. `kyc` is `VERIFIED`: a member is KYC-verified at registration, and there is no KYC route
   at all (404).
4. `channel` is `email` or `sms`, `target` the mail or the mobile. Every code sent is the fixed staging code
   `CUTOVER_VERIFY_CODE` (default `424242`; the gate reads the same variable); a code confirms once, after it was
   sent; else 400 `CODE_REJECTED`.
5. Channels (`names.CHANNELS`): `card` is charged synchronously through the card PSP and answers `SETTLED` (the ledger
   is credited before the answer; no webhook); `checkout` (the card PSP's hosted checkout) and `bank` (through the
   acquirer) answer `AWAITING_PSP` until their PSP's signed webhook; `instant` is the test channel (no PSP). Top-ups
   need the mail and the mobile verified (403 `MAIL_UNVERIFIED` / `MOBILE_UNVERIFIED`); other channels: 400
   `CHANNEL_UNSUPPORTED`.
6. free −v, locked +v. 403 `KYC_REQUIRED` / `MAIL_UNVERIFIED` / `MOBILE_UNVERIFIED`; 400 `INSUFFICIENT_FUNDS`. "id" in
   the table is the `X-Request-Id` header. Activity is newest first, `kind` `TOPUP` | `CASHOUT`.
7. A row: `{"ref","member","sum","ccy","status","opened_at","changed_at","psp"}`; `status` filters by cashout status
   (comma-separated), `member` by member uid.
8. `verdict` `ACCEPT` or `DECLINE` (DECLINE unlocks the sum); a repeat is a no-op; an illegal one is 409
   `{"code":"ILLEGAL_TRANSITION","detail":"cannot decline a cashout in status SETTLED"}`.
9. `psp` defaults to the mock PSP (`mockpsp`), which reports `simulate` (`SUCCESS` default, or `FAILURE`) through the
   payout webhook; a payout to any other psp waits for that provider's webhook.
10. `Authorization: Bearer <admin token>` (401 `UNAUTHENTICATED` without, `SESSION_INVALID` for a member's) AND
   `X-Sig-Timestamp: <unix s>` + `X-Sig: hex(HMAC_SHA256(payout secret, "<ts>." + raw body))` within ±300 s: 400
   `SIGNATURE_MISSING`, 401 `SIGNATURE_INVALID` / `SIGNATURE_EXPIRED`. `outcome` `SUCCESS` | `FAILURE`. Answer
   `{"ack":true,"replayed":false,"result":"PROCESSED"}`; a replayed `event_id` answers `"replayed":true` and moves
   nothing.
11. The card PSP's `checkout.session.completed` (`client_reference_id=<ref>`) settles a `checkout` top-up once; bad:
    400. The acquirer's `AUTHORISATION` settles the `bank` top-up `merchantReference` once; bad: 401. Replays answer
    `"replayed":true`.
12. A wrong login or secret: 401 `{"code":"BAD_CREDENTIALS","detail":...}`.

Mounted only under their faults: `POST /v2/backoffice/bootstrap` (`bootstrap_endpoint_open`),
`POST /v2/ops/debug/reset-funds` (`debug_route_mounted`), `POST /v2/hooks/psp2/callback` (`unsigned_callback_route`),
and, none of them in /openapi.json: `POST /v2/ci/seed` (`undeclared_seed_route`: an open route that creates a member
credited 1,000.00, 201; OPTIONS 405), `POST /v2/payments/webhook/{provider}` (`generic_provider_webhook`: unsigned;
`{"player_id"|"user_id","amount"}` credits that member, `{"transaction_id"|"tx_id"}` settles an `AWAITING_PSP` top-up,
answering 200 `{"ack":true,"result":"CREDITED"|"SETTLED"|"IGNORED"}`; neither: 400 `REFS_MISSING`),
`POST /v2/webhooks/paypal` (`webhook_shape_first`, healthy: 400 `MALFORMED_PAYLOAD` unless `{"event_type":"PAYMENT.*",
"resource":{"id"}}`, then 401 `SIGNATURE_MISSING` without `PAYPAL-TRANSMISSION-SIG`, `SIGNATURE_INVALID` with any).
Listed in /openapi.json, no defect: `POST /v2/members/request-password-reset {"mail"}` (202 `{"status":"SENT"}`) and
`POST /v2/members/reset-password {"token","pass"}` (400 `RESET_TOKEN_REJECTED`) (`password_reset_routes`). App-wide
(both dialects): `openapi_hidden` serves no /openapi.json (404; no defect); `catch_all_200` answers a path no route
matches (any method) 200 with an HTML app shell, while a route still answers 405 and a missing record 404.
Every defect of the catalogue breaks the alt equivalent of what it breaks on the default dialect.

States. Cashout: `PENDING_REVIEW -> APPROVED -> [DISPATCHED] -> SETTLED`; `DISPATCHED -> DISPATCH_FAILED ->
DISPATCHED` (retry) or `DECLINED`; `PENDING_REVIEW -> DECLINED | CANCELLED`. Top-up: `NEW -> AWAITING_PSP -> SETTLED |
FAILED`.

SQL: schema `alt`, views over the default tables in alt names (migration 0003, run by both dialects):
`alt.accounts(owner, free, locked, ccy, changed_at)`; `alt.postings(id, batch, account, owner, delta, ccy)` with
accounts `FREE`, `LOCKED`, `PSP_RECEIVABLE`, `PAYOUT_TRANSIT`; `alt.batches(id, reason, txn, external_ref, booked_at)`
with reasons `TOPUP_CREDIT`, `CASHOUT_LOCK`, `CASHOUT_UNLOCK`, `CASHOUT_SETTLE`; `alt.txns(ref, member, kind, status,
sum, ccy, channel, psp, opened_at, changed_at)`; `alt.hook_events(id, psp, event_id, txn, result, received_at)`;
`alt.schema_version(applied)`.

The mock PSP delivers to these webhook routes (`wire.py`), the payout result with the platform's service token: an
admin token of the seeded admin, minted at each delivery.
"""
