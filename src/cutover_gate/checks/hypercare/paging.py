"""The fallback when no DSN is given: the withdrawal queue paged through the admin API (the profile's
`calls.withdrawals`, its query filled with {state}, {limit} and {offset}), at most `max_pages` pages of `page_limit`
items per state. A platform holding more than that is read in part, and the view says so: how many it read, how many
the list says there are (the call's `answer.total`, when it declares one), and that it is incomplete. A half-read
queue is never judged complete; stuck deposits cannot be seen at all (the admin API lists withdrawals only).

Each item is read through the call's `item` fields into the gate's own names (tx_id, state, created_at,
updated_at, provider, player_id), whatever the platform calls them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cutover_gate.checks.hypercare import signals as sig
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.finance import API, Listing, QueueView
from cutover_gate.core.clock import parse_time
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret
from cutover_gate.target.client import Response, TargetClient

FIELDS = ("tx_id", "state", "created_at", "updated_at", "provider", "player_id", "amount")
"""The item fields the hypercare rules read, by the gate's own names."""


class PagingError(RuntimeError):
    """The list could not be read (the message names the call and its status; `reason` is its record)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.text())
        self.reason = reason


def _total(resp: Response) -> int | None:
    if resp.spec is None or "total" not in resp.spec.answer:
        return None
    try:
        value = resp.answer("total")
    except CheckFailed:
        return None
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _item(resp: Response, element: dict[str, Any]) -> dict[str, Any]:
    """One list element in the gate's own field names (a field the call does not declare, or the element lacks, is
    absent)."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        try:
            out[name] = resp.item(element, name)
        except KeyError:
            continue
    return out


def read_withdrawals(target: TargetClient, token: Secret, cfg: HypercareConfig, now: datetime
                     ) -> tuple[list[dict[str, Any]], QueueView]:
    """Every withdrawal in a watched state, as far as the page budget goes; closed ones only back to the payout
    lookback (newest first, so a page all older than it ends that state)."""
    path, id_field = target.profile.path("withdrawals"), "tx_id"
    closed = {*cfg.payout_paid_states, *cfg.payout_failed_states}
    lookback = now - timedelta(hours=max(cfg.payout_lookback_hours, cfg.payout_window_minutes / 60))
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    view = QueueView(API, read=0, stuck_deposits=None)
    cut: list[Reason] = []
    for state in dict.fromkeys([*cfg.backlog_states, *cfg.stuck_states, *closed]):
        read, total = 0, None
        for page in range(cfg.max_pages):
            resp = target.call("withdrawals", admin=token, state=state, limit=cfg.page_limit,
                               offset=page * cfg.page_limit)
            if resp.status != 200:
                raise PagingError(Reason.of(N_("GET %(path)s for state %(state)s -> %(status)s"), path=path,
                                            state=state, status=resp.status))
            total = _total(resp) if page == 0 else total
            try:
                batch = [_item(resp, i) for i in resp.items()]
            except CheckFailed as exc:
                raise PagingError(exc.reason) from None
            new = [i for i in batch if str(i.get(id_field)) not in seen]
            seen.update(str(i.get(id_field)) for i in new)
            out.extend(new)
            read += len(batch)
            times = [parse_time(i.get("created_at")) for i in batch]
            old = bool(times) and all(t is not None and t < lookback for t in times)
            if len(batch) < cfg.page_limit or not new or (state in closed and old):
                break
        else:
            cut.append(Reason.of(N_("%(state)s (%(read)s of %(total)s read)"), state=state, read=read, total=total)
                       if total is not None else
                       Reason.of(N_("%(state)s (%(read)s read)"), state=state, read=read))
    view.read = len(out)
    if cut:
        view.complete = False
        view.say(Reason.of(N_("incomplete: read %(read)s withdrawals through the admin API and the page budget "
                              "(%(pages)s pages x %(limit)s) ran out in: %(states)s; backlog, stuck payouts and the "
                              "payout rate cover only what was read: give CUTOVER_DB_DSN to compute them in the "
                              "database"), read=len(out), pages=cfg.max_pages, limit=cfg.page_limit,
                           states=sig.listed(cut)))
    else:
        view.say(Reason.of(N_("read %(read)s withdrawals through the admin API: every page of the watched states"),
                           read=len(out)))
    return out, view


def judge_items(items: list[dict[str, Any]], view: QueueView, target: TargetClient, cfg: HypercareConfig,
                now: datetime, payouts_from: datetime) -> QueueView:
    """Backlog, stuck payouts and payout outcomes from the items read (the same rules the SQL applies)."""
    common: dict[str, Any] = {"now": now, "id_field": "tx_id", "state_field": "state"}
    backlog = sig.overdue(items, states=cfg.backlog_states, minutes=cfg.backlog_sla_minutes,
                          time_field="created_at", **common)
    stuck = sig.overdue(items, states=cfg.stuck_states, minutes=cfg.stuck_minutes, time_field="updated_at",
                        fallback_time_field="created_at", **common)
    view.backlog = Listing(len(backlog), backlog[:cfg.list_limit])
    view.stuck_payouts = Listing(len(stuck), stuck[:cfg.list_limit])
    window = (now - payouts_from).total_seconds() / 60
    view.payouts = sig.payout_rate(items, window_minutes=window, min_sample=cfg.payout_min_sample,
                                   paid_states=cfg.payout_paid_states, failed_states=cfg.payout_failed_states,
                                   time_field="updated_at", provider_field="provider", **common)
    view.players = sorted({str(i["player_id"]) for i in items if i.get("player_id")})
    return view
