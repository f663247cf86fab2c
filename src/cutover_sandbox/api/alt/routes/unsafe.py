"""alt: routes that must never be mounted in production, each mounted only under its fault (like the default
dialect's `bootstrap` and `debug` modules):

- `bootstrap_endpoint_open`: `POST /v2/backoffice/bootstrap {"login","secret"}` creates an operator, unauthenticated;
- `debug_route_mounted`: `POST /v2/ops/debug/reset-funds`, an undeclared maintenance route (found in /openapi.json);
- `unsigned_callback_route`: `POST /v2/hooks/psp2/callback`, a second PSP's callback that checks no signature.

The last two move no money; what they prove is that the gate finds routes nobody declared.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from cutover_sandbox.api.deps import RawBody, SessionDep
from cutover_sandbox.core.security import hash_password
from cutover_sandbox.errors import ApiError
from cutover_sandbox.models import Admin

bootstrap_router = APIRouter(prefix="/v2/backoffice", tags=["bootstrap"])
debug_router = APIRouter(prefix="/v2/ops/debug", tags=["debug"])
callback_router = APIRouter(prefix="/v2/hooks/psp2", tags=["webhooks"])


class Bootstrap(BaseModel):
    login: str
    secret: str


@bootstrap_router.post("/bootstrap", status_code=201)
def bootstrap(body: Bootstrap, session: SessionDep) -> dict[str, Any]:
    login = body.login.strip().lower()
    if session.scalar(select(Admin.id).where(Admin.email == login)) is not None:
        raise ApiError(400, "ADMIN_EXISTS", "an operator with this login already exists")
    admin = Admin(id=uuid.uuid4(), email=login, password_hash=hash_password(body.secret), role="super_admin")
    session.add(admin)
    session.commit()
    return {"operator": {"uid": str(admin.id), "role": admin.role.upper()}}


@debug_router.post("/reset-funds")
def reset_funds() -> dict[str, Any]:
    return {"would_reset": True, "dry_run": True}


@callback_router.post("/callback")
def psp2_callback(raw: RawBody) -> dict[str, Any]:
    return {"ack": True, "bytes": len(raw)}
