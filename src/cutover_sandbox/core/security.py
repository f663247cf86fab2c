"""Password hashing (scrypt) and bearer tokens (JWT, HS256 with PyJWT, an audience per kind of user)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any, Literal

import jwt

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
    return jwt.encode(payload, secret, algorithm="HS256")


def decode_token(secret: str, token: str, audience: Audience) -> dict[str, Any]:
    """The token's claims; `InvalidToken` if it is malformed, forged, expired or meant for the other audience."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=audience,
                            options={"require": ["exp", "aud", "sub"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if not isinstance(claims, dict):
        raise InvalidToken("malformed claims")
    return claims


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
