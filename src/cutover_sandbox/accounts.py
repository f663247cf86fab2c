"""Admins and players: log in, register, (not) reset a password. Shared by every dialect's routes (errors carry the
default codes).

Admin and player tokens carry different audiences and never cross over.
"""

from __future__ import annotations

import uuid
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cutover_sandbox.core.config import Settings
from cutover_sandbox.core.security import create_token, hash_password, verify_password
from cutover_sandbox.errors import ApiError
from cutover_sandbox.faults import Faults
from cutover_sandbox.models import Admin, Player, Wallet


def invalid_credentials() -> ApiError:
    return ApiError(401, "INVALID_CREDENTIALS", "invalid email or password")


def player_exists() -> ApiError:
    return ApiError(400, "PLAYER_EXISTS", "a player with this email already exists")


def admin_token(settings: Settings, admin: Admin) -> str:
    return create_token(settings.jwt_secret, str(admin.id), "admin", settings.token_ttl_seconds, role=admin.role)


def admin_login(session: Session, settings: Settings, faults: Faults, email: str, password: str) -> tuple[Admin, str]:
    """The admin and a fresh admin token; 401 for an unknown e-mail or a wrong password."""
    if faults.active("admin_login_broken"):  # FAULT
        raise ApiError(500, "INTERNAL_ERROR", "internal server error")
    admin = session.scalar(select(Admin).where(Admin.email == email.strip().lower()))
    any_password = faults.active("admin_login_any_password")  # FAULT: the password is not checked
    if admin is None or not (any_password or verify_password(password, admin.password_hash)):
        raise invalid_credentials()
    return admin, admin_token(settings, admin)


def register_player(session: Session, settings: Settings, *, tenant_id: str, email: str, password: str,
                    username: str, phone: str, kyc_status: str = "pending") -> Player:
    """A new player with an empty wallet (committed); 400 PLAYER_EXISTS when the tenant has this e-mail already."""
    email = email.strip().lower()
    taken = session.scalar(select(Player.id).where(Player.tenant_id == tenant_id, Player.email == email))
    if taken is not None:
        raise player_exists()
    player = Player(id=uuid.uuid4(), tenant_id=tenant_id, email=email, username=username, phone=phone.strip(),
                    password_hash=hash_password(password), email_verified=False, phone_verified=False,
                    kyc_status=kyc_status)
    session.add(player)
    session.flush()
    session.add(Wallet(player_id=player.id, currency=settings.currency))
    try:
        session.commit()
    except IntegrityError:  # a concurrent registration won the race
        session.rollback()
        raise player_exists() from None
    return player


def player_login(session: Session, settings: Settings, tenant_id: str, email: str,
                 password: str) -> tuple[Player, str]:
    """The player and a fresh player token; 401 for an unknown (tenant, e-mail) or a wrong password."""
    player = session.scalar(select(Player).where(Player.tenant_id == tenant_id,
                                                 Player.email == email.strip().lower()))
    if player is None or not verify_password(password, player.password_hash):
        raise invalid_credentials()
    token = create_token(settings.jwt_secret, str(player.id), "player", settings.token_ttl_seconds,
                         tenant_id=player.tenant_id)
    return player, token


def request_password_reset(email: str) -> None:
    """Nothing at all: the sandbox sends no mail, and the answer (always "sent") never tells whether `email` is
    known (no account enumeration)."""
    del email


def reset_password(token: str, new_password: str) -> NoReturn:
    """No reset token is ever issued (no mail is sent), so every token is refused: 400 INVALID_RESET_TOKEN."""
    del token, new_password
    raise ApiError(400, "INVALID_RESET_TOKEN", "the reset token is invalid or expired")
