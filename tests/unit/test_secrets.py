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
