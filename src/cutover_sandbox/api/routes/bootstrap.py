"""`POST /api/v1/admin/bootstrap`: creates an admin with no authentication at all.

Mounted ONLY under the fault `bootstrap_endpoint_open` (a healthy sandbox answers 404): it is the kind of
first-run endpoint that must be disabled before go-live.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from cutover_sandbox.api.deps import SessionDep
from cutover_sandbox.core.security import hash_password
from cutover_sandbox.errors import ApiError
from cutover_sandbox.models import Admin

router = APIRouter(prefix="/api/v1/admin", tags=["bootstrap"])


class Bootstrap(BaseModel):
    email: str
    password: str


@router.post("/bootstrap")
def bootstrap(body: Bootstrap, session: SessionDep) -> dict[str, Any]:
    email = body.email.strip().lower()
    if session.scalar(select(Admin.id).where(Admin.email == email)) is not None:
        raise ApiError(400, "ADMIN_EXISTS", "an admin with this email already exists")
    admin = Admin(id=uuid.uuid4(), email=email, password_hash=hash_password(body.password), role="super_admin")
    session.add(admin)
    session.commit()
    return {"admin_id": str(admin.id), "role": admin.role}
