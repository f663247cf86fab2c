"""Request dependencies, as `Annotated[...]` aliases (full-stack-fastapi-template style)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from cutover_sandbox.core.config import Settings
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.core.security import Audience, InvalidToken, decode_token
from cutover_sandbox.errors import ApiError
from cutover_sandbox.faults import Faults
from cutover_sandbox.models import Admin, Player


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_settings(ctx: ContextDep) -> Settings:
    return ctx.settings


def get_faults(ctx: ContextDep) -> Faults:
    return ctx.faults


SettingsDep = Annotated[Settings, Depends(get_settings)]
FaultsDep = Annotated[Faults, Depends(get_faults)]


def get_session(ctx: ContextDep) -> Iterator[Session]:
    with ctx.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "AUTH_REQUIRED", "a bearer token is required")
    return token.strip()


def _subject(settings: Settings, authorization: str | None, audience: Audience) -> uuid.UUID:
    try:
        claims = decode_token(settings.jwt_secret, _bearer(authorization), audience)
        return uuid.UUID(str(claims["sub"]))
    except (InvalidToken, KeyError, ValueError):
        raise ApiError(401, "INVALID_TOKEN", "the token is invalid or expired") from None


User = TypeVar("User", Admin, Player)


def _bearer_of(model: type[User], session: Session, settings: Settings, authorization: str | None,
               audience: Audience) -> User:
    found = session.get(model, _subject(settings, authorization, audience))
    if found is None:
        raise ApiError(401, "INVALID_TOKEN", "the token is invalid or expired")
    return found


def _first_admin(session: Session) -> Admin:
    admin = session.scalars(select(Admin).order_by(Admin.created_at)).first()
    if admin is None:
        raise ApiError(401, "INVALID_TOKEN", "no admin to act for")
    return admin


def get_current_admin(session: SessionDep, settings: SettingsDep, faults: FaultsDep,
                      authorization: Annotated[str | None, Header()] = None) -> Admin:
    if faults.active("admin_routes_open") and not authorization:  # FAULT: no token at all passes as the admin
        return _first_admin(session)
    if faults.active("player_token_admin_access"):  # FAULT: any valid token passes, a player's acts as the admin
        try:
            return _bearer_of(Admin, session, settings, authorization, "admin")
        except ApiError:
            _bearer_of(Player, session, settings, authorization, "player")
            return _first_admin(session)
    return _bearer_of(Admin, session, settings, authorization, "admin")


def get_current_player(session: SessionDep, settings: SettingsDep,
                       authorization: Annotated[str | None, Header()] = None) -> Player:
    return _bearer_of(Player, session, settings, authorization, "player")


def get_optional_player(session: SessionDep, settings: SettingsDep,
                        authorization: Annotated[str | None, Header()] = None) -> Player | None:
    if not authorization:
        return None
    return get_current_player(session, settings, authorization)


CurrentAdmin = Annotated[Admin, Depends(get_current_admin)]
CurrentPlayer = Annotated[Player, Depends(get_current_player)]
OptionalPlayer = Annotated[Player | None, Depends(get_optional_player)]


def require_idempotency_key(idempotency_key: Annotated[str | None, Header()] = None) -> str:
    key = (idempotency_key or "").strip()
    if not key:
        raise ApiError(400, "IDEMPOTENCY_KEY_REQUIRED", "an Idempotency-Key header is required")
    if len(key) > 255:
        raise ApiError(400, "IDEMPOTENCY_KEY_INVALID", "the Idempotency-Key is longer than 255 characters")
    return key


IdempotencyKey = Annotated[str, Depends(require_idempotency_key)]


async def read_raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(read_raw_body)]


def path_uuid(value: str, what: str = "transaction") -> uuid.UUID:
    """A UUID path parameter; anything else is simply not found (404), never a validation error."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(404, f"{what.upper()}_NOT_FOUND", f"{what} not found") from None
