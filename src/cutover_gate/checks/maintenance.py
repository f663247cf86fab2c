"""The maintenance window (runbook B.1 "enable the maintenance page / block ingress", B.4 "open traffic", rollback
steps 1 and 5), judged from one public call the profile names (`[maintenance] call`).

While the window is open the route answers with the maintenance page: the profile's `status` and, when the profile
gives one, its `marker` in the body. Once traffic is open the platform serves the route itself: any answer that is
not the maintenance page, not a 404 (a probe route the platform does not have proves nothing) and not a 5xx (a 401
to the gate's call without credentials is the platform answering).
"""

from __future__ import annotations

from dataclasses import dataclass

from cutover_gate.config.target_profile import Profile
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason


@dataclass(frozen=True)
class MaintenanceProbe:
    path: str
    status: int
    marker: str

    def is_page(self, status: int, body: str) -> bool:
        """The answer is the maintenance page."""
        return status == self.status and (not self.marker or self.marker in body)

    def page_problem(self, status: int, body: str) -> Reason | None:
        """Why the answer is not the maintenance page (None when it is)."""
        if self.is_page(status, body):
            return None
        if status == self.status:
            return Reason.of(N_("%(path)s answered %(status)s without the maintenance marker '%(marker)s': not the "
                                "maintenance page"), path=self.path, status=status, marker=self.marker)
        if self.marker:
            return Reason.of(N_("%(path)s answered %(status)s, not the maintenance page (%(page)s with %(marker)s): "
                                "ingress is not blocked"), path=self.path, status=status, page=self.status,
                             marker=repr(self.marker))
        return Reason.of(N_("%(path)s answered %(status)s, not the maintenance page (%(page)s): ingress is not "
                            "blocked"), path=self.path, status=status, page=self.status)

    def open_problem(self, status: int, body: str) -> Reason | None:
        """Why traffic is not open (None when the platform serves the route)."""
        if self.is_page(status, body):
            return Reason.of(N_("%(path)s still answers with the maintenance page (%(status)s): traffic is not open"),
                             path=self.path, status=status)
        if status >= 500:
            return Reason.of(N_("%(path)s answered %(status)s: the platform does not serve the public route"),
                             path=self.path, status=status)
        if status == 404:
            return Reason.of(N_("%(path)s answered 404: not a route of this platform, so it proves nothing about "
                                "traffic (the profile's [maintenance] call)"), path=self.path)
        return None


def probe_of(profile: Profile) -> MaintenanceProbe | None:
    """The profile's maintenance probe; None when the profile names none (an empty `[maintenance] call`)."""
    section = profile.model.maintenance
    if not section.call:
        return None
    return MaintenanceProbe(profile.path(section.call), section.status, section.marker)
