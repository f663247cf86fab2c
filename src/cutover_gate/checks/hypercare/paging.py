"""The fallback when no DSN is given: the withdrawal queue paged through the admin API, at most `max_pages` pages of
`page_limit` items per state. A platform holding more than that is read in part, and the view says so: how many it
read, how many the list says there are (its `total_field`, when it has one), and that it is incomplete. A half-read
queue is never judged complete; stuck deposits cannot be seen at all (the admin API lists withdrawals only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from cutover_gate.checks.hypercare import signals as sig
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.checks.hypercare.finance import API, Listing, QueueView
from cutover_gate.config.target_profile import dig
from cutover_gate.core.clock import parse_time
from cutover_gate.core.redact import Secret
from cutover_gate.target.client import TargetClient


class PagingError(RuntimeError):
    """The list could not be read (the message names the call and its status)."""


def _total(body: Any, cfg: HypercareConfig) -> int | None:
    if not cfg.total_field:
        return None
    try:
        value = dig(body, cfg.total_field)
    except KeyError:
        return None
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def read_withdrawals(target: TargetClient, token: Secret, cfg: HypercareConfig, now: datetime
                     ) -> tuple[list[dict[str, Any]], QueueView]:
    """Every withdrawal in a watched state, as far as the page budget goes; closed ones only back to the payout
    lookback (newest first, so a page all older than it ends that state)."""
    p = target.profile
    path, id_field = p.path("withdrawals"), p.field("withdrawal_item_id")
    closed = {*cfg.payout_paid_states, *cfg.payout_failed_states}
    lookback = now - timedelta(hours=max(cfg.payout_lookback_hours, cfg.payout_window_minutes / 60))
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    view = QueueView(API, read=0, stuck_deposits=None)
    cut: list[str] = []
    for state in dict.fromkeys([*cfg.backlog_states, *cfg.stuck_states, *closed]):
        read, total = 0, None
        for page in range(cfg.max_pages):
            query = urlencode({cfg.state_param: state, cfg.limit_param: cfg.page_limit,
                               cfg.offset_param: page * cfg.page_limit})
            resp = target.get(f"{path}?{query}", token=token)
            if resp.status != 200:
                raise PagingError(f"GET {path}?{cfg.state_param}={state} -> {resp.status}")
            total = _total(resp.json(), cfg) if page == 0 else total
            batch = [i for i in resp.field(p.field("list_items")) if isinstance(i, dict)]
            new = [i for i in batch if str(i.get(id_field)) not in seen]
            seen.update(str(i.get(id_field)) for i in new)
            out.extend(new)
            read += len(batch)
            times = [parse_time(i.get(cfg.created_field)) for i in batch]
            old = bool(times) and all(t is not None and t < lookback for t in times)
            if len(batch) < cfg.page_limit or not new or (state in closed and old):
                break
        else:
            of = f" of {total}" if total is not None else ""
            cut.append(f"{state} ({read}{of} read)")
    view.read = len(out)
    if cut:
        view.complete = False
        view.note = (f"incomplete: read {len(out)} withdrawals through the admin API and the page budget "
                     f"({cfg.max_pages} pages x {cfg.page_limit}) ran out in: {', '.join(cut)}; backlog, stuck "
                     "payouts and the payout rate cover only what was read: give CUTOVER_DB_DSN to compute them "
                     "in the database")
    else:
        view.note = f"read {len(out)} withdrawals through the admin API: every page of the watched states"
    return out, view


def judge_items(items: list[dict[str, Any]], view: QueueView, target: TargetClient, cfg: HypercareConfig,
                now: datetime, payouts_from: datetime) -> QueueView:
    """Backlog, stuck payouts and payout outcomes from the items read (the same rules the SQL applies)."""
    p = target.profile
    common: dict[str, Any] = {"now": now, "id_field": p.field("withdrawal_item_id"),
                              "state_field": p.field("tx_state")}
    backlog = sig.overdue(items, states=cfg.backlog_states, minutes=cfg.backlog_sla_minutes,
                          time_field=cfg.created_field, **common)
    stuck = sig.overdue(items, states=cfg.stuck_states, minutes=cfg.stuck_minutes, time_field=cfg.updated_field,
                        fallback_time_field=cfg.created_field, **common)
    view.backlog = Listing(len(backlog), backlog[:cfg.list_limit])
    view.stuck_payouts = Listing(len(stuck), stuck[:cfg.list_limit])
    window = (now - payouts_from).total_seconds() / 60
    view.payouts = sig.payout_rate(items, window_minutes=window, min_sample=cfg.payout_min_sample,
                                   paid_states=cfg.payout_paid_states, failed_states=cfg.payout_failed_states,
                                   time_field=cfg.updated_field, provider_field=cfg.provider_field, **common)
    view.players = sorted({str(i[cfg.player_field]) for i in items if i.get(cfg.player_field)})
    return view
