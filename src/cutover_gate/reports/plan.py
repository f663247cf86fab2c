"""Plan mode: which checklist lines the selection would run and which the record already satisfies, every write the
run would make (method, path, amount, why), and the guards in force. Nothing is sent to the target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from cutover_gate.checks.discovery import declared_paths
from cutover_gate.checks.writes import planned_writes
from cutover_gate.config import route_catalogue
from cutover_gate.config.settings import GateSettings
from cutover_gate.core.catalogue import LINES, LINES_BY_ID, T60_BOOTSTRAP_DISABLED
from cutover_gate.evidence.history import CutoverRecord, RecordError
from cutover_gate.evidence.model import LineResult


@dataclass(frozen=True)
class PlannedScenario:
    nodeid: str
    lines: tuple[str, ...]
    example: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


def guards(settings: GateSettings) -> list[str]:
    c = settings.canary
    out = [f"environment: {settings.env_name}",
           f"amount cap: no canary call moves more than {c.max_amount:.2f} (deposit {c.deposit_amount:.2f}, "
           f"withdraw {c.withdraw_amount:.2f})",
           "runbook order: T-60 -> T-30 -> T-15 -> T-0; a mandatory FAIL of an earlier phase (in this run or on "
           "record) blocks every later scenario that changes data",
           "circuit breaker: once the target is shown unreachable, every later call and scenario is refused at once; "
           "a money call or a validly signed event with no answer blocks every later writer (an OPTIONS, an empty or "
           "unsigned body with no answer blocks nothing)",
           "routes that must be disabled are probed with OPTIONS, never sent a body",
           f"kit budget: at most {settings.cutover.kit_budget.withdrawals} kit withdrawals and "
           f"{settings.cutover.kit_budget.amount:.2f} in all ([kit_budget]); a probe beyond it does not run",
           "an unsigned or wrongly signed probe whose answer proves nothing may be followed by its correctly signed "
           "twin (declared routes with a known secret only), for the same completed canary transaction"]
    out.append("restore drill (t30_restore_drill): never in prod; elsewhere it creates one scratch database "
               "cutover_drill_<UTC>_<hex> on the restore server (CUTOVER_RESTORE_DSN), never the target's own "
               "database, and always drops it; it also drops scratch databases of earlier, killed drills once "
               "they are over 6 hours old")
    if settings.env_name == "prod":
        out += ["prod: no canary is registered (the pre-provisioned one logs in)",
                "prod: webhook probes target the canary's completed transactions; no forged event funds anything"]
    else:
        out += [f"{settings.env_name}: a canary may be registered once for the run; the webhook kit may fund itself"]
    return out


def describe(settings: GateSettings, scenarios: Sequence[PlannedScenario]) -> str:
    selected: dict[str, list[str]] = {}
    for scenario in scenarios:
        for lid in scenario.lines:
            selected.setdefault(lid, []).append(scenario.nodeid)
    recorded: dict[str, LineResult] = {}
    note = ""
    if settings.release_sha:
        try:
            recorded, _ = CutoverRecord.load(settings.reports_dir).results_for(settings.release_sha,
                                                                               settings.record_windows)
        except RecordError as exc:
            note = f"(record unreadable: {exc})"
    else:
        note = "(no release SHA pinned: nothing can be satisfied from the record)"
    out = [f"# Cutover plan - release {settings.release_sha or '(not pinned)'}, target "
           f"{settings.target_name}", ""]
    if note:
        out += [note, ""]
    out += ["| line | phase | title | will run | in record |", "|---|---|---|---|---|"]
    for line in LINES:
        if line.id not in selected and line.id not in recorded:
            continue
        rec = recorded.get(line.id)
        in_record = f"{rec.result.value} at {rec.at}" if rec else "-"
        runs = f"yes ({len(selected[line.id])} scenario(s))" if line.id in selected else "no"
        out.append(f"| {line.id} | {line.phase} | {LINES_BY_ID[line.id].title(settings.lang)} | {runs} | {in_record} |")
    writes = planned_writes(settings, (((*s.lines, *s.tags), s.example) for s in scenarios))
    out += ["", f"## Writes the run would make ({len(writes)})", "", "| # | method | path | amount | why |",
            "|---|---|---|---|---|"]
    out += [f"| {n} | {w.method} | `{w.path}` | {w.amount or '-'} | {w.why} |" for n, w in enumerate(writes, 1)]
    out += ["", *discovery_section(settings, scenarios)]
    out += ["", "## Guards in force", "", *(f"- {g}" for g in guards(settings)), "",
            "Nothing was sent to the target."]
    return "\n".join(out)


def discovery_section(settings: GateSettings, scenarios: Sequence[PlannedScenario]) -> list[str]:
    """The bodiless OPTIONS discovery sends, per line: how many at most, under which prefixes, bounded how."""
    p = settings.profile
    tags = {t for s in scenarios for t in (*s.lines, *s.tags)}
    d = p.model.discovery
    rows = []
    if T60_BOOTSTRAP_DISABLED in tags:
        declared = declared_paths(p.probe("disabled_endpoints"))
        seed = list(dict.fromkeys([*declared, *route_catalogue.seed_candidates(p)]))
        rows.append(f"| t60_bootstrap_disabled | {len(seed)} | the declared disabled endpoints and the catalogue's "
                    f"seed, bootstrap, test and debug shapes; e.g. `{seed[0] if seed else '-'}` |")
    if "undeclared_routes" in tags:
        hooks = route_catalogue.callback_candidates(p)
        rows.append(f"| t0_webhook_signature | {len(hooks)} | the catalogue's PSP callback shapes, {{provider}} = "
                    f"{', '.join(route_catalogue.providers(p))}; e.g. `{hooks[0] if hooks else '-'}` |")
    if not rows:
        return []
    prefixes = ", ".join(f"`{x or '/'}`" for x in route_catalogue.prefixes(p))
    return ["## Discovery probes (OPTIONS, no body)", "",
            f"Under the API prefixes {prefixes}, after one control OPTIONS on a path that cannot exist under each; "
            f"at most {d.concurrency} in flight and {d.max_requests} per scenario; 429 is waited out. Each route "
            "found is listed in the evidence; a webhook-like one then gets the unsigned events of the writes above.",
            "", "| line | at most | what |", "|---|---|---|", *rows]


def write_plan(config: pytest.Config, settings: GateSettings, scenarios: Sequence[PlannedScenario]) -> None:
    """Show the plan in the terminal and write plan.md."""
    text = describe(settings, scenarios)
    config.get_terminal_writer().line(text)
    (settings.reports_dir / "plan.md").write_text(text + "\n", encoding="utf-8")
