"""The sign-off artifacts (CONTRACT §2) rendered from a ReportContext.

Python derives plain view data (results, filled blanks, where the canary's money is); the layout lives in the
templates, one per artifact under `templates/`, and every sentence in them is a gettext message (`jinja2.ext.i18n`):
the English text is the msgid, the Turkish (runbook.tr.md's, the original) is in `locale/tr/LC_MESSAGES/messages.po`,
compiled in memory when first needed (`core/i18n.py`). Every blank is filled from evidence or says it was not
recorded; every text passes through the redactor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from cutover_gate.checks.preflight.owners import REQUIRED_ROLES, normalise_role
from cutover_gate.config.target_profile import Profile, load_profile
from cutover_gate.core.catalogue import (
    LANGS,
    LINES,
    MONEY_LOOP,
    PHASES,
    T0_MARK_PAID,
    T0_PSP_DEPOSIT,
    T0_WEBHOOK_CLASSIFICATION,
    T0_WEBHOOK_REPLAY,
    T30_SNAPSHOT_TAKEN,
    TRIGGERS,
    TRIGGERS_BY_ID,
    Action,
    Line,
    lines_of,
    mandatory_lines,
    smoke_lines,
)
from cutover_gate.core.i18n import N_, translate, translations
from cutover_gate.core.redact import REDACTOR
from cutover_gate.decide.rules import Verdict
from cutover_gate.evidence import canary_keys
from cutover_gate.evidence.model import LineResult, Result
from cutover_gate.evidence.results import result_of, smoke_result
from cutover_gate.reports.context import ReportContext

TEMPLATES_DIR = Path(__file__).parent / "templates"
ARTIFACTS: tuple[str, ...] = ("decision.md", "checklist.md", "canary_report.md", "comms.md")

SNAPSHOT_KEYS: tuple[str, ...] = ("snapshot_id", "snapshot_path", "created_at", "sha256", "size_bytes")

BALANCE_POINTS: tuple[tuple[str, str, str | None], ...] = (
    ("before", canary_keys.AVAILABLE_BEFORE, canary_keys.HELD_BEFORE),
    ("deposit", canary_keys.AVAILABLE_AFTER_DEPOSIT, None),
    ("withdraw", canary_keys.AVAILABLE_AFTER_WITHDRAW, canary_keys.HELD_AFTER_WITHDRAW),
    ("final", canary_keys.AVAILABLE_FINAL, canary_keys.HELD_FINAL),
    ("ledger", canary_keys.DB_AVAILABLE, canary_keys.DB_HELD),
)
"""Balance snapshots of the canary wallet in loop order: (after which step, available key, held key)."""

WITHDRAW_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("withdraw_paid", "paid"), ("withdraw_payout_failed", "payout_failed"), ("withdraw_rejected", "released"),
    ("withdraw_canceled", "released"), ("withdraw_failed", "released"))
"""The profile's `[states]` keys of a withdrawal that is no longer open, first match wins, and what each means for
the canary's money: `paid` (the amount left the wallet), `payout_failed` (the hold stays until a retry or a reject),
`released` (rejected or canceled: the hold was released). Keys a profile lacks are skipped."""


# --- results ---------------------------------------------------------------------------------------------------


STATUS_WORDS: Mapping[str, str] = {"PASS": N_("PASS"), "FAIL": N_("FAIL"), "WAIVED": N_("WAIVED"),
                                   "NOT_RUN": N_("NOT RUN"), "GO": N_("GO"), "NO-GO": N_("NO-GO"),
                                   "PENDING": N_("PENDING")}
"""Results and verdicts as a person reads them; PASS, FAIL, GO and NO-GO are the runbook's own words in both."""
NOT_RECORDED = N_("(not recorded)")
"""What a blank says when its evidence was not recorded."""


def word(result: Result | str, lang: str = "en") -> str:
    """A result or verdict as a person reads it, in `lang` (English for another language)."""
    value = result.value if isinstance(result, Result | Verdict) else str(result)
    known = STATUS_WORDS.get(value)
    return translate(lang, known) if known is not None else value.replace("_", " ")


def one_line(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _stamps(results: Mapping[str, LineResult], line_ids: Iterable[str]) -> list[str]:
    return [at for lid in line_ids if lid in results and (at := results[lid].at)]


def last_at(results: Mapping[str, LineResult], line_ids: Iterable[str]) -> str | None:
    return max(_stamps(results, line_ids), default=None)


def first_at(results: Mapping[str, LineResult], line_ids: Iterable[str]) -> str | None:
    return min(_stamps(results, line_ids), default=None)


# --- view data -------------------------------------------------------------------------------------------------


def line_row(ctx: ReportContext, line: Line) -> dict[str, Any]:
    res = ctx.results.get(line.id)
    result = res.result if res else Result.NOT_RUN
    return {
        "id": line.id,
        "title": line.title(ctx.lang),
        "result": word(result, ctx.lang),
        "checked": result.ok,
        "at": res.at if res else None,
        "message": one_line(res.said(ctx.lang)) if res and result is not Result.PASS else "",
        "ref": ctx.refs.get(line.id),
        "children": [],
    }


def checklist_sections(ctx: ReportContext) -> dict[int, list[dict[str, Any]]]:
    """Rows per runbook section; the smoke sub-lines nest under a derived `go_live_smoke.sh` row."""
    sections: dict[int, list[dict[str, Any]]] = {}
    smoke: dict[str, Any] | None = None
    for line in LINES:
        rows = sections.setdefault(line.section, [])
        if line.parent != "smoke":
            rows.append(line_row(ctx, line))
            continue
        if smoke is None:
            result = smoke_result(ctx.results)
            smoke = {"id": "smoke", "title": "", "result": word(result, ctx.lang), "checked": result.ok, "message": "",
                     "at": last_at(ctx.results, (sub.id for sub in smoke_lines())), "ref": None, "children": []}
            rows.append(smoke)
        smoke["children"].append(line_row(ctx, line))
    return sections


def owners_view(owners: Mapping[str, Any]) -> dict[str, str | None]:
    named: dict[str, str] = {}
    for role, person in owners.items():
        text = "" if person is None else str(person).strip()
        if text:
            named.setdefault(normalise_role(role), text)
    return {role: named.get(role) for role in REQUIRED_ROLES}


def filled(mapping: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """`mapping` with every key of `keys` present (None when not recorded), for StrictUndefined templates."""
    out: dict[str, Any] = dict.fromkeys(keys)
    out.update(mapping)
    return out


@cache
def default_profile() -> Profile:
    return load_profile(None)


def withdraw_outcome(state: Any, profile: Profile, paid: Iterable[str] = ()) -> str | None:
    """What a withdrawal's `state` means for its money (a value of WITHDRAW_OUTCOMES), None while it is open;
    `paid` adds state names known to be the profile's paid one (what the platform showed after a mark-paid PASS)."""
    if state in (None, ""):
        return None
    if str(state) in paid:
        return "paid"
    names: Mapping[str, Any] = profile.data.get("states", {})
    for key, outcome in WITHDRAW_OUTCOMES:
        if key in names and str(state) in profile.states(key):
            return outcome
    return None


def where_the_money_is(canary: Mapping[str, Any], profile: Profile | None = None,
                       paid: Iterable[str] = ()) -> dict[str, Any]:
    """The canary wallet's last recorded balances and its withdrawal (open or not), for a loop that stopped."""
    after, available, held = None, None, None
    for point, available_key, held_key in BALANCE_POINTS:
        if held_key and canary.get(held_key) not in (None, ""):
            held = canary[held_key]
        if canary.get(available_key) not in (None, ""):
            after, available = point, canary[available_key]
    state = canary.get(canary_keys.LAST_WITHDRAW_STATE) or canary.get(canary_keys.PAID_STATE) \
        or canary.get(canary_keys.APPROVE_STATE)
    return {"after": after, "available": available, "held": held,
            "withdraw_tx_id": canary.get(canary_keys.WITHDRAW_TX_ID), "withdraw_state": state,
            "withdraw_outcome": withdraw_outcome(state, profile or default_profile(), paid),
            "deposit_tx_id": canary.get(canary_keys.DEPOSIT_TX_ID),
            "deposit_state": canary.get(canary_keys.DEPOSIT_STATE)}


def canary_result(results: Mapping[str, LineResult]) -> Result:
    """The canary's own result: PASS when all five money-loop lines are PASS, NOT_RUN when none ran, else FAIL."""
    loop = [result_of(results, lid) for lid in MONEY_LOOP]
    if all(r is Result.PASS for r in loop):
        return Result.PASS
    return Result.NOT_RUN if all(r is Result.NOT_RUN for r in loop) else Result.FAIL


def decision_causes(ctx: ReportContext) -> list[tuple[str, str]]:
    """Why the run's decision is not GO, as (kind, what) pairs: `fail` per FAIL line and `trigger` per
    IMMEDIATE_ROLLBACK row raised (NO-GO); `not_run` (the mandatory lines not yet PASS) and `unpinned` (PENDING)."""
    verdict = ctx.decision.decision
    if verdict is Verdict.NO_GO:
        rows = dict.fromkeys(t.row for t in ctx.decision.triggers if t.action == Action.IMMEDIATE_ROLLBACK.value)
        return [("fail", line.id) for line in LINES if result_of(ctx.results, line.id) is Result.FAIL] \
            + [("trigger", row) for row in rows]
    if verdict is Verdict.PENDING:
        missing = [line.id for line in mandatory_lines() if not result_of(ctx.results, line.id).ok]
        return ([("not_run", ", ".join(missing))] if missing else []) \
            + ([] if ctx.release_sha else [("unpinned", "")])
    return []


def canary_view(ctx: ReportContext) -> dict[str, Any]:
    canary = filled(ctx.canary(), canary_keys.CANARY_KEYS)
    results = ctx.results
    steps = [{"id": lid, "result": word(result_of(results, lid), ctx.lang),
              "at": results[lid].at if lid in results else None} for lid in MONEY_LOOP]
    t0_lines = [line.id for line in lines_of("t0")]
    failed = [line_row(ctx, line) for line in lines_of("t0") if result_of(results, line.id) is Result.FAIL]
    not_run = [lid for lid in MONEY_LOOP if result_of(results, lid) is Result.NOT_RUN]
    result = canary_result(results)
    paid = [str(canary[canary_keys.PAID_STATE])] if result_of(results, T0_MARK_PAID) is Result.PASS \
        and canary[canary_keys.PAID_STATE] else []
    return {
        "ev": canary,
        "steps": steps,
        "executed_at": first_at(results, t0_lines),
        "result": result.value,
        "result_word": word(result, ctx.lang),
        # the canary alone says FAIL -> NO-GO; any other pair with a decision that is not GO needs its reason
        "differs": result is not Result.FAIL and ctx.decision.decision is not Verdict.GO,
        "causes": decision_causes(ctx),
        "failed": failed,
        "not_run": not_run,
        # only a loop that started and stopped before settlement leaves money somewhere on the way
        "money": where_the_money_is(canary, ctx.profile, paid) if result is Result.FAIL else None,
        "deposit_webhook": result_of(results, T0_PSP_DEPOSIT) is Result.PASS,
        "payout_webhook": canary[canary_keys.PAYOUT_WEBHOOK_VERIFIED] is True
        or result_of(results, T0_WEBHOOK_CLASSIFICATION) is Result.PASS,
        "idempotency": result_of(results, T0_WEBHOOK_REPLAY) is Result.PASS
        and canary[canary_keys.DEPOSIT_REPLAY_SAME_TX] is True,
        "webhook_results": {lid: word(result_of(results, lid), ctx.lang)
                            for lid in (T0_PSP_DEPOSIT, T0_WEBHOOK_CLASSIFICATION, T0_WEBHOOK_REPLAY)},
    }


def triggers_view(ctx: ReportContext) -> list[dict[str, Any]]:
    return [{"row": t.row, "title": TRIGGERS_BY_ID[t.row].title(ctx.lang) if t.row in TRIGGERS_BY_ID else t.row,
             "action": t.action, "observed_at": t.observed_at, "decide_by": t.decide_by,
             "evidence": one_line(t.said(ctx.lang)), "line": t.line} for t in ctx.decision.triggers]


def phases_view(ctx: ReportContext) -> list[dict[str, Any]]:
    rows = []
    for phase in PHASES:
        result = Result(ctx.decision.phases.get(phase, Result.NOT_RUN.value))
        rows.append({"phase": phase, "result": word(result, ctx.lang),
                     "at": last_at(ctx.results, (line.id for line in lines_of(phase)))})
    return rows


def completion_view(ctx: ReportContext) -> dict[str, Any] | None:
    """The go-live completion criteria (runbook "Go-live completion criteria"), when the run computed them."""
    done = ctx.completion
    if done is None:
        return None
    return {"status": done.status, "criteria": [{"id": c.id, "title": c.title(ctx.lang), "holds": c.holds,
                                                  "detail": one_line(c.detail.text(ctx.lang))} for c in done.criteria]}


def base_view(ctx: ReportContext) -> dict[str, Any]:
    """What every template gets."""
    mandatory = [line for line in LINES if line.mandatory and line.phase in PHASES]
    stamps = [e.at for e in ctx.events] + [r.at for r in ctx.results.values() if r.at]
    return {
        "verdict": ctx.decision.decision.value,
        "verdict_word": word(ctx.decision.decision, ctx.lang),
        "not_run_word": word(Result.NOT_RUN, ctx.lang),
        "release_sha": ctx.release_sha,
        "target": ctx.target,
        "env": ctx.env_name.upper(),
        "lang": ctx.lang,
        "decider": ctx.decider,
        "executor": ctx.executor,
        "run_id": ctx.run_id,
        "generated_at": ctx.decision.generated_at,
        "started_at": min(stamps) if stamps else None,
        "plan": ctx.plan,
        "phases": phases_view(ctx),
        "triggers": triggers_view(ctx),
        "matrix": [{"row": row.id, "title": row.title(ctx.lang), "action": row.action.value,
                    "observed": any(t.row == row.id for t in ctx.decision.triggers)} for row in TRIGGERS],
        "reasons": [one_line(r.text(ctx.lang)) for r in ctx.decision.reasons],
        "failed_lines": [line_row(ctx, line) for line in LINES if result_of(ctx.results, line.id) is Result.FAIL],
        "pending_lines": [line_row(ctx, line) for line in mandatory if not result_of(ctx.results, line.id).ok],
        "sections": checklist_sections(ctx),
        "hypercare_ran": any(line.id in ctx.results for line in lines_of("hypercare")),
        "rollback_ran": any(line.id in ctx.results for line in lines_of("rollback")),
        "owners": owners_view(ctx.owners),
        "snapshot": filled(ctx.evidence(T30_SNAPSHOT_TAKEN), SNAPSHOT_KEYS),
        "canary": canary_view(ctx),
        "completion": completion_view(ctx),
    }


# --- templates -------------------------------------------------------------------------------------------------


def _value(value: Any, na: str) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return na
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _code(value: Any, na: str) -> str:
    text = _value(value, na)
    return text if text == na else f"`{text}`"


def _link(path: Any, na: str) -> str:
    text = _value(path, na)
    return text if text == na else f"[{text}]({text})"


def _cell(value: Any) -> str:
    """A markdown table cell: one line, pipes escaped."""
    return one_line(str(value)).replace("|", "\\|")


def i18n_environment(lang: str, **options: Any) -> jinja2.Environment:
    """A jinja environment speaking `lang`: `{% trans %}`, `_()` and `pgettext()` from its catalogue."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, **options)
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    return env


@cache
def environment(lang: str) -> jinja2.Environment:
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}; expected one of {', '.join(LANGS)}")
    env = i18n_environment(lang, loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
                           autoescape=False,  # markdown, not HTML
                           keep_trailing_newline=True)
    na = translate(lang, NOT_RECORDED)
    env.filters["v"] = lambda value: _value(value, na)
    env.filters["code"] = lambda value: _code(value, na)
    env.filters["link"] = lambda value: _link(value, na)
    env.filters["cell"] = _cell
    env.filters["status"] = lambda value: word(value, lang)
    # the catalogue's line names for the templates (`ids.T0_DEPOSIT`): a misspelt one fails the render
    env.globals["ids"] = {line.id.upper(): line.id for line in LINES}
    return env


def render_all(ctx: ReportContext) -> dict[str, str]:
    """decision.md, checklist.md, canary_report.md and comms.md in `ctx.lang`, redacted."""
    env = environment(ctx.lang)
    view = base_view(ctx)
    return {name: REDACTOR.scrub(env.get_template(f"{name}.j2").render(view)) for name in ARTIFACTS}
