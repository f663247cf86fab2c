"""Password hashing (scrypt) and bearer tokens (JWT, HS256, with an audience per kind of user)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any, Literal

Audience = Literal["admin", "player"]

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, _unb64(digest))


class InvalidToken(Exception):
    pass


def create_token(secret: str, subject: str, audience: Audience, ttl_seconds: int, **claims: Any) -> str:
    now = int(time.time())
    payload = {**claims, "sub": subject, "aud": audience, "iat": now, "exp": now + ttl_seconds}
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = _b64(hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest())
    return f"{header}.{body}.{signature}"


def decode_token(secret: str, token: str, audience: Audience) -> dict[str, Any]:
    """The token's claims; `InvalidToken` if it is malformed, forged, expired or meant for the other audience."""
    try:
        header, body, signature = token.split(".")
        expected = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise InvalidToken("bad signature")
        if json.loads(_unb64(header)).get("alg") != "HS256":
            raise InvalidToken("unexpected algorithm")
        claims = json.loads(_unb64(body))
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidToken("malformed token") from exc
    if not isinstance(claims, dict):
        raise InvalidToken("malformed claims")
    if claims.get("aud") != audience:
        raise InvalidToken("token is for another audience")
    if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
        raise InvalidToken("token expired")
    return claims


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
