"""Admin and player authentication. Admin and player tokens carry different audiences and never cross over."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cutover_sandbox.api import serialize
from cutover_sandbox.api.deps import CurrentAdmin, FaultsDep, SessionDep, SettingsDep
from cutover_sandbox.core.security import create_token, hash_password, verify_password
from cutover_sandbox.errors import ApiError
from cutover_sandbox.models import Admin, Player, Wallet

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

DEFAULT_TENANT = "default"
Email = Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]


class AdminLogin(BaseModel):
    email: str
    password: str


class PlayerRegister(BaseModel):
    email: Email
    password: Annotated[str, Field(min_length=8, max_length=256)]
    username: Annotated[str, Field(min_length=1, max_length=64)]
    phone: Annotated[str, Field(min_length=4, max_length=32)]
    tenant_id: Annotated[str, Field(min_length=1, max_length=64)] = DEFAULT_TENANT


class PlayerLogin(BaseModel):
    email: str
    password: str
    tenant_id: str = DEFAULT_TENANT


def invalid_credentials() -> ApiError:
    return ApiError(401, "INVALID_CREDENTIALS", "invalid email or password")


@router.post("/login")
def admin_login(body: AdminLogin, session: SessionDep, settings: SettingsDep, faults: FaultsDep) -> dict[str, Any]:
    if faults.active("admin_login_broken"):  # FAULT
        raise ApiError(500, "INTERNAL_ERROR", "internal server error")
    admin = session.scalar(select(Admin).where(Admin.email == body.email.strip().lower()))
    any_password = faults.active("admin_login_any_password")  # FAULT: the password is not checked
    if admin is None or not (any_password or verify_password(body.password, admin.password_hash)):
        raise invalid_credentials()
    token = create_token(settings.jwt_secret, str(admin.id), "admin", settings.token_ttl_seconds, role=admin.role)
    return {"access_token": token, "token_type": "bearer", "admin_role": admin.role,
            "expires_in": settings.token_ttl_seconds}


@router.get("/me")
def admin_me(admin: CurrentAdmin) -> dict[str, Any]:
    return serialize.admin(admin)


@router.post("/player/register")
def player_register(body: PlayerRegister, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    email = body.email.strip().lower()
    taken = session.scalar(select(Player.id).where(Player.tenant_id == body.tenant_id, Player.email == email))
    if taken is not None:
        raise ApiError(400, "PLAYER_EXISTS", "a player with this email already exists")
    player = Player(id=uuid.uuid4(), tenant_id=body.tenant_id, email=email, username=body.username,
                    phone=body.phone.strip(), password_hash=hash_password(body.password), email_verified=False,
                    phone_verified=False, kyc_status="pending")
    session.add(player)
    session.flush()
    session.add(Wallet(player_id=player.id, currency=settings.currency))
    try:
        session.commit()
    except IntegrityError:  # a concurrent registration won the race
        session.rollback()
        raise ApiError(400, "PLAYER_EXISTS", "a player with this email already exists") from None
    return {"player_id": str(player.id), "tenant_id": player.tenant_id}


@router.post("/player/login")
def player_login(body: PlayerLogin, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    player = session.scalar(select(Player).where(Player.tenant_id == body.tenant_id,
                                                 Player.email == body.email.strip().lower()))
    if player is None or not verify_password(body.password, player.password_hash):
        raise invalid_credentials()
    token = create_token(settings.jwt_secret, str(player.id), "player", settings.token_ttl_seconds,
                         tenant_id=player.tenant_id)
    return {"access_token": token, "token_type": "bearer", "user": serialize.player(player)}
