"""Secrets never leave the process in clear: the masked Secret type and the redactor."""

from __future__ import annotations

import pytest

from cutover_gate.core.redact import MASK, REDACTOR, Redactor, Secret, redact_dsn


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


def test_a_secret_is_masked_in_repr_str_and_formatting() -> None:
    secret = Secret("s3cr3t-value-for-repr", "CUTOVER_ADMIN_PASSWORD")
    for text in (repr(secret), str(secret), f"{secret}", f"{[secret]}"):
        assert "s3cr3t-value-for-repr" not in text
        assert MASK in text
    assert repr(secret) == "Secret(CUTOVER_ADMIN_PASSWORD=***)"
    assert secret.reveal() == "s3cr3t-value-for-repr"


def test_a_secret_registers_its_value_with_the_global_redactor() -> None:
    Secret("registered-on-construction-991", "X")
    assert REDACTOR.scrub("token registered-on-construction-991 here") == f"token {MASK} here"


def test_secret_truthiness_and_equality() -> None:
    assert not Secret("", "EMPTY")
    assert Secret("same-value-1", "A") == Secret("same-value-1", "B")
    assert Secret("same-value-1", "A") != Secret("other-value-2", "A")
    assert Secret("same-value-1", "A") != "same-value-1"


def test_registered_values_are_scrubbed_longest_first(redactor: Redactor) -> None:
    redactor.register("abcd")
    redactor.register("abcdefgh")
    assert redactor.scrub("x=abcdefgh y=abcd") == f"x={MASK} y={MASK}"


@pytest.mark.parametrize("value", [None, "", "abc"])
def test_empty_or_short_values_are_not_registered(redactor: Redactor, value: str | None) -> None:
    redactor.register(value)
    assert redactor.scrub("abc is a word") == "abc is a word"


@pytest.mark.parametrize(("text", "expected"), [
    ("postgresql://gate:pw-Very$ecret@db.internal:5432/prod", f"postgresql://gate:{MASK}@db.internal:5432/prod"),
    ("dsn=postgresql+psycopg://u:p@localhost/x ok", f"dsn=postgresql+psycopg://u:{MASK}@localhost/x ok"),
    ("http://host:8080/path", "http://host:8080/path"),
])
def test_dsn_passwords_are_scrubbed(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.scrub(text) == expected
    assert redact_dsn(text) == expected


def test_bearer_tokens_and_signature_headers_are_scrubbed(redactor: Redactor) -> None:
    assert redactor.scrub("Authorization: Bearer eyJhbGciOi.J9x-_y") == f"Authorization: Bearer {MASK}"
    assert redactor.scrub("bearer abc123") == f"bearer {MASK}"
    sig = "t=1700000000,v1=" + "ab12" * 16
    assert redactor.scrub(f"Stripe-Signature: {sig}") == f"Stripe-Signature: t=1700000000,v1={MASK}"  # ts is public


def test_sensitive_json_keys_are_masked_and_error_code_is_kept(redactor: Redactor) -> None:
    body = {
        "password": "hunter2", "access_token": "tok", "Authorization": "Bearer x", "Idempotency-Key": "k-1",
        "api_key": "sk_live_x", "X-Webhook-Signature": "ab", "dsn": "postgresql://a:b@c/d", "debug_code": "123456",
        "code": "654321", "error_code": "INVALID_CREDENTIALS", "message": "bad login", "detail": None,
        "nested": [{"secret": "s", "status": "ok"}], "empty_token": "",
    }
    out = redactor.scrub_obj(body)
    for key in ("password", "access_token", "Authorization", "Idempotency-Key", "api_key", "X-Webhook-Signature",
                "dsn", "debug_code", "code"):
        assert out[key] == MASK, key
    assert out["error_code"] == "INVALID_CREDENTIALS"
    assert out["message"] == "bad login"
    assert out["detail"] is None
    assert out["empty_token"] == ""
    assert out["nested"] == [{"secret": MASK, "status": "ok"}]
    assert body["password"] == "hunter2"  # a copy: the input is untouched


def test_scrub_obj_scrubs_strings_tuples_and_secret_objects(redactor: Redactor) -> None:
    redactor.register("inner-secret-77")
    out = redactor.scrub_obj({"note": "has inner-secret-77", "pair": ("inner-secret-77", 3),
                              "obj": Secret("another-one-88", "Y"), "n": 5})
    assert out == {"note": f"has {MASK}", "pair": [MASK, 3], "obj": MASK, "n": 5}


# --- masking keys on what a value is, not on substrings of field names ----------------------------------------


@pytest.mark.parametrize("key", ["token_type", "tokens_used", "webhook_signature_enforced", "signature_verified",
                                 "WEBHOOK_SIGNATURE_ENFORCED", "expires_in", "admin_role", "key", "keyword"])
def test_fields_that_only_mention_a_credential_stay_readable(redactor: Redactor, key: str) -> None:
    assert redactor.scrub_obj({key: "bearer"}) == {key: "bearer"}


@pytest.mark.parametrize("key", ["access_token", "accessToken", "refresh_token", "token", "hmacSignature",
                                 "Stripe-Signature", "Set-Cookie", "Proxy-Authorization", "client_secret",
                                 "ADYEN_HMAC_KEY", "JWT_SECRET", "CUTOVER_DB_DSN", "idempotency_key", "x-api-key"])
def test_fields_that_hold_a_credential_are_masked(redactor: Redactor, key: str) -> None:
    assert redactor.scrub_obj({key: "opaque-value"}) == {key: MASK}


def test_a_login_answer_keeps_its_token_type_and_masks_the_token(redactor: Redactor) -> None:
    answer = {"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "token_type": "bearer",
              "admin_role": "super_admin"}
    assert redactor.scrub_obj(answer) == {"access_token": MASK, "token_type": "bearer", "admin_role": "super_admin"}


def test_one_time_codes_are_masked_by_their_value_error_codes_are_not(redactor: Redactor) -> None:
    out = redactor.scrub_obj({"code": "654321", "otp_hint": 123456, "debug_code": "A1B2C3",
                              "error_code": "1234", "status_code": 4001, "currency_code": "TRY",
                              "nested": {"code": "INVALID_CREDENTIALS"}})
    assert out == {"code": MASK, "otp_hint": MASK, "debug_code": MASK, "error_code": "1234", "status_code": 4001,
                   "currency_code": "TRY", "nested": {"code": "INVALID_CREDENTIALS"}}


def test_step_wording_about_tokens_is_kept_and_real_tokens_are_masked(redactor: Redactor) -> None:
    for text in ("Then the admin receives a bearer token", "O zaman admin bir bearer token alır",
                 "a bearer scheme is used"):
        assert redactor.scrub(text) == text
    assert redactor.scrub("Authorization: Bearer abcdefghijklmnopqrstuvwxyz") == f"Authorization: Bearer {MASK}"
    assert redactor.scrub("Bearer 7f3a9c") == f"Bearer {MASK}"


def test_credentials_are_recognised_by_their_shape_in_free_text(redactor: Redactor) -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.sig-Nature_1"
    assert redactor.scrub(f"login answered {jwt} ok") == f"login answered {MASK} ok"
    assert redactor.scrub("STRIPE_API_KEY=sk_live_51Habcdefgh1234 set") == f"STRIPE_API_KEY={MASK} set"
    assert redactor.scrub("secret whsec_abcdEFGH1234 rotated") == f"secret {MASK} rotated"
    assert redactor.scrub("the key starts with sk_live_") == "the key starts with sk_live_"


def test_only_strings_are_credentials_nested_objects_are_scrubbed_item_by_item(redactor: Redactor) -> None:
    evidence = {"t0_webhook_signature": {"payout_missing_answer": 400, "note": "Bearer abc.def-123"},
                "admin_me_without_token": 401, "token": True, "password": "hunter2"}
    assert redactor.scrub_obj(evidence) == {
        "t0_webhook_signature": {"payout_missing_answer": 400, "note": f"Bearer {MASK}"},
        "admin_me_without_token": 401, "token": True, "password": MASK}
