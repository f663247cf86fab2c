"""Email and SMS verification. The sandbox's mock channels expose the code in the answer (`debug_code`)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select, update

from cutover_sandbox.api.deps import OptionalPlayer, SessionDep, SettingsDep
from cutover_sandbox.errors import ApiError, not_found
from cutover_sandbox.models import Player, VerificationCode, utcnow

router = APIRouter(prefix="/api/v1/verify", tags=["verify"])

Channel = Literal["email", "sms"]


class EmailSend(BaseModel):
    email: str


class EmailConfirm(BaseModel):
    email: str
    code: str


class SmsSend(BaseModel):
    phone: str


class SmsConfirm(BaseModel):
    phone: str
    code: str


def _players(session: SessionDep, channel: Channel, target: str, me: Player | None) -> list[Player]:
    column = Player.email if channel == "email" else Player.phone
    query = select(Player).where(column == target)
    if me is not None:
        query = query.where(Player.id == me.id)
    players = list(session.scalars(query))
    if not players:
        raise not_found("player")
    return players


def _send(session: SessionDep, channel: Channel, target: str, me: Player | None) -> dict[str, Any]:
    _players(session, channel, target, me)
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(VerificationCode(channel=channel, target=target, code=code))
    session.commit()
    return {"status": "sent", "channel": channel, "debug_code": code}


def _confirm(session: SessionDep, settings: SettingsDep, channel: Channel, target: str, code: str,
             me: Player | None) -> dict[str, Any]:
    players = _players(session, channel, target, me)
    since = utcnow() - timedelta(seconds=settings.verification_code_ttl_seconds)
    found = session.scalar(select(VerificationCode).where(
        VerificationCode.channel == channel, VerificationCode.target == target, VerificationCode.code == code.strip(),
        VerificationCode.consumed_at.is_(None), VerificationCode.created_at >= since))
    if found is None:
        raise ApiError(400, "INVALID_VERIFICATION_CODE", "the code is wrong, used or expired")
    found.consumed_at = utcnow()
    flag = {"email_verified": True} if channel == "email" else {"phone_verified": True}
    session.execute(update(Player).where(Player.id.in_([p.id for p in players])).values(**flag))
    session.commit()
    return {"status": "verified", "channel": channel}


@router.post("/email/send")
def email_send(body: EmailSend, session: SessionDep, me: OptionalPlayer) -> dict[str, Any]:
    return _send(session, "email", body.email.strip().lower(), me)


@router.post("/email/confirm")
def email_confirm(body: EmailConfirm, session: SessionDep, settings: SettingsDep, me: OptionalPlayer) -> dict[str, Any]:
    return _confirm(session, settings, "email", body.email.strip().lower(), body.code, me)


@router.post("/sms/send")
def sms_send(body: SmsSend, session: SessionDep, me: OptionalPlayer) -> dict[str, Any]:
    return _send(session, "sms", body.phone.strip(), me)


@router.post("/sms/confirm")
def sms_confirm(body: SmsConfirm, session: SessionDep, settings: SettingsDep, me: OptionalPlayer) -> dict[str, Any]:
    return _confirm(session, settings, "sms", body.phone.strip(), body.code, me)
