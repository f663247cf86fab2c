"""Rollback plan step 4 (runbook §3): after reverting, verify login and the read-only endpoints.

Login reuses the admin login steps (steps/common.py) and the admin profile step (steps/smoke.py). The read-only
reads are all answered before judging, so every endpoint that answers 404/5xx is named, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_bdd import then, when

from cutover_gate.core.catalogue import ROW_MIGRATION_FAILURE, ROW_PAYOUT_WITHDRAW_HTTP_ERROR
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret
from cutover_gate.evidence.recording import Evidence
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import Response, TargetClient

MONEY_READS = ("finance withdrawals list", "payout status", "player wallet")
"""Reads of the payout/withdraw surface: a 404/5xx there is the rollback matrix's `payout_withdraw_http_error`."""


@dataclass
class Read:
    name: str
    url: str
    status: int
    problem: Reason | None = None


@dataclass
class Reads:
    items: list[Read] = field(default_factory=list)
    running_sha: str | None = None
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, resp: Response, problem: Reason | None = None) -> Read:
        if problem is None and resp.status != 200:
            problem = Reason.of(N_("answered %(status)s"), status=resp.status)
        read = Read(name, f"{resp.exchange.method} {resp.exchange.url}", resp.status, problem)
        self.items.append(read)
        return read


def _answer(resp: Response, key: str) -> Any:
    try:
        return resp.answer(key)
    except CheckFailed:
        return None


def _item(resp: Response, element: dict[str, Any], key: str) -> Any:
    try:
        return resp.item(element, key)
    except (CheckFailed, KeyError):
        return None


@when("I read every read-only endpoint", target_fixture="readonly_reads")
@when("tüm salt-okunur endpoint'leri okurum", target_fixture="readonly_reads")
def _(target: TargetClient, admin_token: Secret, evidence: Evidence) -> Reads:
    p = target.profile
    reads = Reads()
    resp = target.call("health")
    status = _answer(resp, "status") if resp.status == 200 else None
    reads.add("health", resp, None if resp.status != 200 or status == p.state("health_ok") else
              Reason.of(N_("answered 200 with status '%(status)s', not '%(wanted)s'"), status=status,
                        wanted=p.state("health_ok")))

    resp = target.call("version")
    sha = _answer(resp, "git_sha") if resp.status == 200 else None
    reads.running_sha = str(sha) if sha else None
    reads.add("version", resp, None if resp.status != 200 or sha else Reason.of(N_("answered 200 without a git_sha")))

    resp = target.call("readiness")
    migrations = _answer(resp, "migrations")
    db_rev, head = _answer(resp, "db_rev"), _answer(resp, "head_rev")
    at_head = migrations == p.state("migrations_ok") and db_rev is not None and db_rev == head
    reads.add("readiness", resp, None if resp.status == 200 and at_head else
              Reason.of(N_("answered %(status)s with migrations '%(migrations)s' (db %(db)s, head %(head)s)"),
                        status=resp.status, migrations=migrations, db=db_rev, head=head))

    reads.add("admin profile", target.call("admin_me", admin=admin_token))
    resp = target.call("dashboard", admin=admin_token)
    body = resp.json() if resp.status == 200 and "json" in resp.headers.get("content-type", "") else None
    reads.add("dashboard", resp, None if resp.status != 200 or (isinstance(body, dict) and body) else
              Reason.of(N_("answered 200 without a summary object")))

    resp = target.call("withdrawals", admin=admin_token)
    items = _answer(resp, "items") if resp.status == 200 else None
    reads.add("finance withdrawals list", resp, None if resp.status != 200 or isinstance(items, list) else
              Reason.of(N_("answered 200 without its list of withdrawals (calls.withdrawals.answer.items)")))
    latest = next((i for i in items or [] if isinstance(i, dict)), None)
    if latest is None:
        reads.notes.append("no withdrawal on the platform: the payout status and player wallet reads were skipped")
    else:
        tx_id, player_id = _item(resp, latest, "tx_id"), _item(resp, latest, "player_id")
        reads.add("payout status", target.call("payout_status", admin=admin_token, tx_id=str(tx_id)))
        if player_id:
            resp = target.call("admin_player_wallet", admin=admin_token, player_id=str(player_id))
            available = _answer(resp, "available") if resp.status == 200 else None
            reads.add("player wallet", resp, None if resp.status != 200 or available is not None else
                      Reason.of(N_("answered 200 without the wallet's balances (calls.admin_player_wallet.answer)")))
    evidence.put("endpoints", {r.name: r.status for r in reads.items})
    evidence.put("running_git_sha", reads.running_sha)
    if reads.notes:
        evidence.put("notes", reads.notes)
    return reads


@then("every read-only endpoint answers")
@then("her salt-okunur endpoint yanıt verir")
def _(readonly_reads: Reads, evidence: Evidence) -> None:
    bad = [r for r in readonly_reads.items if r.problem is not None]
    if not bad:
        return
    money = [r for r in bad if r.name in MONEY_READS and (r.status == 404 or r.status >= 500)]
    if money:
        evidence.trigger(ROW_PAYOUT_WITHDRAW_HTTP_ERROR, Reason.joined(
            Reason.of(N_("%(name)s %(url)s -> %(status)s"), name=r.name, url=r.url, status=r.status) for r in money))
    readiness = next((r.problem for r in bad if r.name == "readiness" and r.status != 200), None)
    if readiness is not None:
        evidence.trigger(ROW_MIGRATION_FAILURE, readiness)
    raise CheckFailed(N_("after the rollback, read-only endpoints fail: %(reads)s"), reads=tuple(
        Reason.of(N_("%(name)s (%(url)s) %(problem)s"), name=r.name, url=r.url, problem=r.problem) for r in bad))


@then("the running release is the previous release")
@then("çalışan sürüm önceki release'tir")
def _(readonly_reads: Reads, gate: Gate, evidence: Evidence) -> None:
    previous = gate.settings.cutover.rollback.previous_sha
    running = readonly_reads.running_sha
    evidence.put("rolled_back_from", gate.settings.release_sha)
    evidence.put("previous_sha", previous or "not set ([rollback] previous_sha in the cutover file): recorded only")
    if not previous:
        return
    if running is None:
        raise CheckFailed(N_("the version endpoint gave no git_sha: cannot tell which release is running"))
    if running.lower() != str(previous).lower():
        if running == gate.settings.release_sha:
            raise CheckFailed(N_("the running release %(running)s is not the previous release %(previous)s (still the "
                                 "release being rolled back)"), running=running, previous=previous)
        raise CheckFailed(N_("the running release %(running)s is not the previous release %(previous)s"),
                          running=running, previous=previous)
