"""E-mail and SMS verification, the casino way: the sends as on the contract (the mock channels show the code in
`debug_code`), the confirms answering success in the body: `200 {"ok": true}` for the right code, `200 {"ok": false,
"reason": "INVALID_CODE"}` for a wrong, used or expired one (never a 4xx for a code; an unknown address is still 404).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cutover_sandbox import verification
from cutover_sandbox.api.deps import FaultsDep, OptionalPlayer, SessionDep, SettingsDep
from cutover_sandbox.api.routes import verify
from cutover_sandbox.errors import ApiError
from cutover_sandbox.verification import Channel

router = APIRouter(prefix="/api/v1/verify", tags=["verify"])
router.add_api_route("/email/send", verify.email_send, methods=["POST"])
router.add_api_route("/sms/send", verify.sms_send, methods=["POST"])

WRONG_CODE = "INVALID_VERIFICATION_CODE"
"""The domain's code for a wrong, used or expired code (`verification.confirm`)."""
INVALID = {"ok": False, "reason": "INVALID_CODE"}


def _confirm(session: SessionDep, settings: SettingsDep, faults: FaultsDep, channel: Channel, target: str, code: str,
             me: OptionalPlayer) -> dict[str, Any]:
    if faults.active("confirm_always_ok_false"):  # FAULT: every confirm fails in the body; nothing is verified
        verification.players(session, channel, target, me)  # an unknown address is still 404
        return dict(INVALID)
    try:
        verification.confirm(session, settings, channel, target, code, me)
    except ApiError as exc:
        if exc.error_code != WRONG_CODE:
            raise
        return dict(INVALID)
    return {"ok": True}


@router.post("/email/confirm")
def email_confirm(body: verify.EmailConfirm, session: SessionDep, settings: SettingsDep, faults: FaultsDep,
                  me: OptionalPlayer) -> dict[str, Any]:
    return _confirm(session, settings, faults, "email", body.email.strip().lower(), body.code, me)


@router.post("/sms/confirm")
def sms_confirm(body: verify.SmsConfirm, session: SessionDep, settings: SettingsDep, faults: FaultsDep,
                me: OptionalPlayer) -> dict[str, Any]:
    return _confirm(session, settings, faults, "sms", body.phone.strip(), body.code, me)
