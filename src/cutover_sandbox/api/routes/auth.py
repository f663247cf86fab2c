"""Admin and player authentication. Admin and player tokens carry different audiences and never cross over.

`password_reset_router` (mounted under the fault `password_reset_routes`, which is no defect: real platforms have these
routes) requests a reset (202 "sent", whether or not the e-mail is known) and refuses every reset token (400
INVALID_RESET_TOKEN): the sandbox sends no mail, so no token exists. Neither changes anything.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cutover_sandbox import accounts
from cutover_sandbox.api import serialize
from cutover_sandbox.api.deps import CurrentAdmin, FaultsDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
password_reset_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

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


class ResetRequest(BaseModel):
    email: str


class PasswordReset(BaseModel):
    token: str
    new_password: str


@router.post("/login")
def admin_login(body: AdminLogin, session: SessionDep, settings: SettingsDep, faults: FaultsDep) -> dict[str, Any]:
    admin, token = accounts.admin_login(session, settings, faults, body.email, body.password)
    return {"access_token": token, "token_type": "bearer", "admin_role": admin.role,
            "expires_in": settings.token_ttl_seconds}


@router.get("/me")
def admin_me(admin: CurrentAdmin) -> dict[str, Any]:
    return serialize.admin(admin)


@router.post("/player/register")
def player_register(body: PlayerRegister, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    player = accounts.register_player(session, settings, tenant_id=body.tenant_id, email=body.email,
                                      password=body.password, username=body.username, phone=body.phone)
    return {"player_id": str(player.id), "tenant_id": player.tenant_id}


@router.post("/player/login")
def player_login(body: PlayerLogin, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    player, token = accounts.player_login(session, settings, body.tenant_id, body.email, body.password)
    return {"access_token": token, "token_type": "bearer", "user": serialize.player(player)}


@password_reset_router.post("/request-password-reset", status_code=202)
def request_password_reset(body: ResetRequest) -> dict[str, Any]:
    accounts.request_password_reset(body.email)
    return {"status": "sent"}


@password_reset_router.post("/reset-password")
def reset_password(body: PasswordReset) -> dict[str, Any]:
    accounts.reset_password(body.token, body.new_password)
