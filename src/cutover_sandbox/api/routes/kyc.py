"""KYC review (admin): approving a player's documents makes the player KYC-verified."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from cutover_sandbox.api.deps import CurrentAdmin, SessionDep, path_uuid
from cutover_sandbox.errors import not_found
from cutover_sandbox.models import Player

router = APIRouter(prefix="/api/v1/kyc", tags=["kyc"])

KYC_STATUS = {"approved": "verified", "rejected": "rejected"}


class KycReview(BaseModel):
    status: Literal["approved", "rejected"]
    reason: str | None = None


@router.post("/documents/{player_id}/review")
def review_documents(player_id: str, body: KycReview, _admin: CurrentAdmin, session: SessionDep) -> dict[str, Any]:
    player = session.get(Player, path_uuid(player_id, "player"))
    if player is None:
        raise not_found("player")
    player.kyc_status = KYC_STATUS[body.status]
    session.commit()
    return {"player_id": str(player.id), "kyc_status": player.kyc_status, "status": body.status}
