"""alt: members register (into an existing tenant, rate limited), log in, and verify their mail and mobile.

A member registered here is KYC-verified from the start (the platform's onboarding does KYC before it creates the
account), so there is no KYC route; deposits and cashouts still need the mail and the mobile verified. The staging
mail and SMS providers are stubbed: every code sent is the fixed `CUTOVER_VERIFY_CODE`, and no answer shows it.

`password_reset_router` (mounted under the fault `password_reset_routes`, no defect: real platforms have these
routes, listed in /openapi.json): `POST /v2/members/request-password-reset {"mail"}` answers 202 `{"status": "SENT"}`
whether or not the mail is known; `POST /v2/members/reset-password {"token","pass"}` answers 400
`RESET_TOKEN_REJECTED` for any token (no mail is sent, so no token exists). Neither changes anything.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from cutover_sandbox import accounts, verification
from cutover_sandbox.api.alt import serialize
from cutover_sandbox.api.deps import OptionalPlayer, SessionDep, SettingsDep
from cutover_sandbox.errors import ApiError
from cutover_sandbox.models import Tenant
from cutover_sandbox.ratelimit import SlidingWindow

router = APIRouter(prefix="/v2/members", tags=["members"])
password_reset_router = APIRouter(prefix="/v2/members", tags=["members"])

Mail = Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
TenantId = Annotated[str, Field(min_length=1, max_length=64)]


class Registration(BaseModel):
    mail: Mail
    password: Annotated[str, Field(min_length=8, max_length=256, alias="pass")]
    handle: Annotated[str, Field(min_length=1, max_length=64)]
    mobile: Annotated[str, Field(min_length=4, max_length=32)]
    tenant: TenantId


class Login(BaseModel):
    mail: str
    password: Annotated[str, Field(alias="pass")]
    tenant: TenantId


class VerifyRequest(BaseModel):
    channel: verification.Channel
    target: str


class VerifyConfirm(VerifyRequest):
    code: str


class ResetRequest(BaseModel):
    mail: str


class PasswordReset(BaseModel):
    token: str
    password: Annotated[str, Field(alias="pass")]


def registration_limit(request: Request) -> None:
    """At most `register_rate_limit` registrations per client per `register_rate_window_seconds`; then 429."""
    limiter: SlidingWindow = request.app.state.register_limit
    wait = limiter.hit(request.client.host if request.client else "unknown")
    if wait:
        raise ApiError(429, "RATE_LIMITED", f"too many registrations; retry in {wait} s",
                       headers={"Retry-After": str(wait)})


def _known_tenant(session: Session, tenant: str) -> str:
    if session.get(Tenant, tenant) is None:
        raise ApiError(400, "UNKNOWN_TENANT", f"tenant {tenant!r} does not exist")
    return tenant


def _target(channel: verification.Channel, target: str) -> str:
    return target.strip().lower() if channel == "email" else target.strip()


@router.post("", status_code=201, dependencies=[Depends(registration_limit)])
def register(body: Registration, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    member = accounts.register_player(session, settings, tenant_id=_known_tenant(session, body.tenant),
                                      email=body.mail, password=body.password, username=body.handle,
                                      phone=body.mobile, kyc_status="verified")
    return {"member": {"uid": str(member.id), "tenant": member.tenant_id, "kyc": member.kyc_status.upper()}}


@router.post("/sessions")
def login(body: Login, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    member, token = accounts.player_login(session, settings, _known_tenant(session, body.tenant), body.mail,
                                          body.password)
    return {"session": {"token": token, "kind": "Bearer", "ttl": settings.token_ttl_seconds},
            "member": serialize.member(member)}


@router.post("/verify", status_code=202)
def send_code(body: VerifyRequest, session: SessionDep, settings: SettingsDep,
              me: OptionalPlayer) -> dict[str, Any]:
    verification.send(session, body.channel, _target(body.channel, body.target), me, settings.verify_code)
    return {"channel": body.channel, "status": "SENT"}


@router.post("/verify/confirm")
def confirm_code(body: VerifyConfirm, session: SessionDep, settings: SettingsDep,
                 me: OptionalPlayer) -> dict[str, Any]:
    verification.confirm(session, settings, body.channel, _target(body.channel, body.target), body.code, me)
    return {"channel": body.channel, "verified": True}


@password_reset_router.post("/request-password-reset", status_code=202)
def request_password_reset(body: ResetRequest) -> dict[str, Any]:
    accounts.request_password_reset(body.mail)
    return {"status": "SENT"}


@password_reset_router.post("/reset-password")
def reset_password(body: PasswordReset) -> dict[str, Any]:
    accounts.reset_password(body.token, body.password)
