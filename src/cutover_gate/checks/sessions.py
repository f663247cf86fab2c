"""The writes that open the run's sessions, declared once (checks/declared.py): the admin's logins and the canary's
login or, never in prod, its registration. steps/common.py and checks/canary.py make them; the plan lists them."""

from __future__ import annotations

from cutover_gate.checks.declared import Write
from cutover_gate.config.settings import GateSettings

ADMIN_LOGIN_CHECK = Write("admin_login", "the admin login check")
"""T-15's login check; its token is the run's admin session."""
WRONG_PASSWORD = Write("admin_login", "a wrong password must be refused")
ADMIN_SESSION = Write("admin_login", "the run's admin session (one login)", guard="one login for the run")
CANARY_LOGIN = Write("player_login", "the pre-provisioned canary logs in")

REGISTERED = "the run's canary is registered and verified (never in prod)"
NEVER_IN_PROD = "never in prod; once for the run"
REGISTER = Write("player_register", REGISTERED, guard=NEVER_IN_PROD)
VERIFY_SEND = Write("{send}", REGISTERED, guard=NEVER_IN_PROD)
VERIFY_CONFIRM = Write("{confirm}", REGISTERED, guard=NEVER_IN_PROD)
REGISTERED_LOGIN = Write("player_login", REGISTERED, guard=NEVER_IN_PROD)
KYC_REVIEW = Write("kyc_review", REGISTERED, guard=NEVER_IN_PROD)


def canary_writes(settings: GateSettings) -> list[tuple[Write, dict[str, str]]]:
    """What provisioning the run's canary writes (checks/canary.py's `provision_canary`): the pre-provisioned one's
    login, else its registration, each verification channel's send and confirm, its login and its KYC review."""
    if settings.canary.email and settings.canary_password is not None:
        return [(CANARY_LOGIN, {})]
    flows = settings.profile.flows
    out: list[tuple[Write, dict[str, str]]] = [(REGISTER, {})]
    if flows.verification.mode != "none":
        for spec in flows.verification.channels.values():
            out += [(VERIFY_SEND, {"send": spec.send}), (VERIFY_CONFIRM, {"confirm": spec.confirm})]
    out.append((REGISTERED_LOGIN, {}))
    if flows.kyc.mode != "none":
        out.append((KYC_REVIEW, {}))
    return out
