"""E-mail and SMS verification codes, shared by every dialect's routes (errors carry the default codes).

A code is sent to a target (an e-mail address or a phone number) and confirmed once, within the code's lifetime;
confirming marks the players with that target verified on that channel. What code is sent is the caller's choice:
the default dialect sends a random one (and shows it in the answer), the alt dialect the fixed staging code.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cutover_sandbox.core.config import Settings
from cutover_sandbox.errors import ApiError, not_found
from cutover_sandbox.models import Player, VerificationCode, utcnow

Channel = Literal["email", "sms"]


def random_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def players(session: Session, channel: Channel, target: str, me: Player | None) -> list[Player]:
    """The players with this target on this channel (only `me`, when given); 404 when there is none."""
    column = Player.email if channel == "email" else Player.phone
    query = select(Player).where(column == target)
    if me is not None:
        query = query.where(Player.id == me.id)
    found = list(session.scalars(query))
    if not found:
        raise not_found("player")
    return found


def send(session: Session, channel: Channel, target: str, me: Player | None, code: str) -> None:
    """Record `code` as sent to `target` (committed); 404 when no player (or not `me`) has that target."""
    players(session, channel, target, me)
    session.add(VerificationCode(channel=channel, target=target, code=code))
    session.commit()


def confirm(session: Session, settings: Settings, channel: Channel, target: str, code: str,
            me: Player | None) -> None:
    """Consume a sent, unexpired `code` and mark the target's players verified (committed); 400 otherwise."""
    targets = players(session, channel, target, me)
    since = utcnow() - timedelta(seconds=settings.verification_code_ttl_seconds)
    found = session.scalar(select(VerificationCode).where(
        VerificationCode.channel == channel, VerificationCode.target == target, VerificationCode.code == code.strip(),
        VerificationCode.consumed_at.is_(None), VerificationCode.created_at >= since).limit(1))
    if found is None:
        raise ApiError(400, "INVALID_VERIFICATION_CODE", "the code is wrong, used or expired")
    found.consumed_at = utcnow()
    flag = {"email_verified": True} if channel == "email" else {"phone_verified": True}
    session.execute(update(Player).where(Player.id.in_([p.id for p in targets])).values(**flag))
    session.commit()
