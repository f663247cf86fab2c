"""Email and SMS verification. The sandbox's mock channels expose the code in the answer (`debug_code`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from cutover_sandbox import verification
from cutover_sandbox.api.deps import OptionalPlayer, SessionDep, SettingsDep
from cutover_sandbox.models import Player
from cutover_sandbox.verification import Channel

router = APIRouter(prefix="/api/v1/verify", tags=["verify"])


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


def _send(session: SessionDep, channel: Channel, target: str, me: Player | None) -> dict[str, Any]:
    code = verification.random_code()
    verification.send(session, channel, target, me, code)
    return {"status": "sent", "channel": channel, "debug_code": code}


def _confirm(session: SessionDep, settings: SettingsDep, channel: Channel, target: str, code: str,
             me: Player | None) -> dict[str, Any]:
    verification.confirm(session, settings, channel, target, code, me)
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
