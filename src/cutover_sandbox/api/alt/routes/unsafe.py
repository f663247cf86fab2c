"""alt: routes that must never be mounted in production, each mounted only under its fault (like the default
dialect's `bootstrap` and `debug` modules):

- `bootstrap_endpoint_open`: `POST /v2/backoffice/bootstrap {"login","secret"}` creates an operator, unauthenticated;
- `debug_route_mounted`: `POST /v2/ops/debug/reset-funds`, an undeclared maintenance route (found in /openapi.json);
- `unsigned_callback_route`: `POST /v2/hooks/psp2/callback`, a second PSP's callback that checks no signature;
- `undeclared_seed_route`: `POST /v2/ci/seed`, unauthenticated and NOT in /openapi.json: it creates a member and
  credits it 1,000.00 (201); OPTIONS answers 405;
- `generic_provider_webhook`: `POST /v2/payments/webhook/{provider}`, any provider's callback, unsigned and NOT in
  /openapi.json: it credits a member or settles an awaiting top-up (`cutover_sandbox.undeclared`), answering
  `{"ack": true, "result": "CREDITED" | "SETTLED" | "IGNORED"}`; else 400 `REFS_MISSING`.

The debug and psp2 routes move no money; what they prove is that the gate finds routes nobody declared. The seed and
generic callback routes move real money: only a gate that never POSTs to them stays harmless.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from cutover_sandbox import undeclared
from cutover_sandbox.api.alt import serialize
from cutover_sandbox.api.deps import ContextDep, RawBody, SessionDep, SettingsDep
from cutover_sandbox.core.security import hash_password
from cutover_sandbox.errors import ApiError
from cutover_sandbox.models import Admin

bootstrap_router = APIRouter(prefix="/v2/backoffice", tags=["bootstrap"])
debug_router = APIRouter(prefix="/v2/ops/debug", tags=["debug"])
callback_router = APIRouter(prefix="/v2/hooks/psp2", tags=["webhooks"])
seed_router = APIRouter(prefix="/v2/ci", tags=["ci"])
generic_webhook_router = APIRouter(prefix="/v2/payments/webhook", tags=["webhooks"])
CALLBACK_RESULTS = {"credited": "CREDITED", "completed": "SETTLED", "ignored": "IGNORED"}


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


@seed_router.post("/seed", status_code=201, include_in_schema=False)
def ci_seed(session: SessionDep, ctx: ContextDep, settings: SettingsDep) -> dict[str, Any]:
    tenant = settings.tenants[0] if settings.tenants else "default"
    member, tx = undeclared.seed_player(session, ctx, tenant)
    return {"member": {"uid": str(member.id), "mail": member.email, "tenant": member.tenant_id},
            "txn": serialize.txn(tx)}


@generic_webhook_router.post("/{provider}", include_in_schema=False)
def provider_webhook(provider: str, raw: RawBody, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    outcome = undeclared.generic_callback(session, ctx, provider, raw)
    session.commit()
    return {"ack": True, "result": CALLBACK_RESULTS[outcome]}
