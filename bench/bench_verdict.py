"""Time to verdict under faults below the application: figures only (no assertions).

    python bench/bench_verdict.py [--runs 1] [--only NAME ...]

One standalone sandbox (`cutover-sandbox serve --port 0`) serves the whole bench; per scenario a fresh
`cutover_proxy.FaultProxy` stands in front of it with the scenario's fault, and the gate runs as a subprocess,
`pytest -m "t15 or t0" --target-url=<proxy> --env-name=staging --cutover-file=fixtures/cutover.toml
--reports-dir=<tmp>`, with the sandbox's credentials and its DSN in the environment (SQL goes to PostgreSQL
directly; only the HTTP traffic crosses the proxy).

Measured: seconds from the subprocess start until `decision.json` first exists (polled every 20 ms), seconds until the
process exits, the decision and exit code, how many checklist lines are FAIL / NOT_RUN, the reports dir's size, what
the proxy saw (requests and their outcomes), and how many of the run's secrets (the CUTOVER_*_PASSWORD, _SECRET and
_KEY values, the DSN password) appear in the proxy's JSONL recording.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cutover_proxy import FaultProxy

ROOT = Path(__file__).resolve().parents[1]
READY = "CUTOVER_SANDBOX_READY "
RELEASE = "060f1658c0f32b260ef61eddb625805d5849d8b7"
WITHDRAW = "/api/v1/player/wallet/withdraw"
REVIEW = r"/api/v1/finance/withdrawals/.*/review"

SCENARIOS: tuple[tuple[str, str, Callable[[FaultProxy], object]], ...] = (
    ("healthy", "pass-through", lambda p: None),
    ("dead from the start", "die() before the run", lambda p: p.die()),
    ("dies mid-canary", f"die_after(1, path={WITHDRAW})", lambda p: p.die_after(1, path=WITHDRAW)),
    ("hung withdraw", f"hang(POST {WITHDRAW})", lambda p: p.hang(method="POST", path=WITHDRAW)),
    ("5xx burst on approve", f"status(503, count=5, POST {REVIEW})",
     lambda p: p.status(503, count=5, method="POST", path=REVIEW)),
)


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CUTOVER_", "RELEASE_SHA", "PYTEST_"))}
    for line in (ROOT / "fixtures" / "sandbox.env").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    env.update(extra or {})
    return env


@contextmanager
def sandbox() -> Iterator[dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "cutover_sandbox", "serve", "--port", "0", "--git-sha", RELEASE],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env())
    assert proc.stdout is not None
    info: dict[str, str] = {}
    try:
        for line in proc.stdout:
            if line.startswith(READY):
                info = json.loads(line[len(READY):])
                break
        if not info:
            raise SystemExit("sandbox did not start")
        yield info
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        proc.stdout.close()


@dataclass
class Run:
    scenario: str
    to_verdict: float | None
    to_exit: float
    decision: str
    code: int
    fails: list[str] = field(default_factory=list)
    not_run: int = 0
    triggers: list[str] = field(default_factory=list)
    size_kb: float = 0.0
    seen: Counter[str] = field(default_factory=Counter)
    leaks: int = 0
    """How many of the run's secrets appear in the proxy's recording (must be 0)."""


def _size_kb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1024


def _secrets(env: dict[str, str]) -> list[str]:
    values = [v for k, v in env.items() if k.startswith("CUTOVER_") and k.endswith(("PASSWORD", "SECRET", "KEY"))]
    password = urlsplit(env.get("CUTOVER_DB_DSN", "")).password
    return values + ([password] if password else [])


def gate_run(name: str, fault: Callable[[FaultProxy], object], sandbox_url: str, dsn: str, tmp: Path) -> Run:
    reports, recording = tmp / "reports", tmp / "proxy.jsonl"
    env = _env({"CUTOVER_DB_DSN": dsn})
    with FaultProxy(sandbox_url, record=recording) as proxy:
        fault(proxy)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "t15 or t0",
               f"--target-url={proxy.url}", "--env-name=staging",
               f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}", f"--reports-dir={reports}"]
        decision_file = reports / "decision.json"
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        to_verdict = None
        while proc.poll() is None:
            if to_verdict is None and decision_file.exists():
                to_verdict = time.perf_counter() - start
            time.sleep(0.02)
            if time.perf_counter() - start > 900:
                proc.kill()
        to_exit = time.perf_counter() - start
        if to_verdict is None and decision_file.exists():
            to_verdict = to_exit  # written in the last poll interval
        seen = Counter(str(e.outcome) for e in proxy.log)
    run = Run(name, to_verdict, to_exit, "(none)", proc.returncode, seen=seen)
    recorded = recording.read_text(encoding="utf-8") if recording.exists() else ""
    run.leaks = sum(1 for secret in _secrets(env) if secret in recorded)
    if decision_file.exists():
        decision = json.loads(decision_file.read_text(encoding="utf-8"))
        run.decision = decision["decision"]
        run.fails = [c["id"] for c in decision["checklist"] if c["result"] == "FAIL"]
        run.not_run = sum(1 for c in decision["checklist"] if c["result"] == "NOT_RUN")
        run.triggers = [f"{t['row']}:{t['action']}" for t in decision.get("triggers", [])]
    if reports.exists():
        run.size_kb = _size_kb(reports)
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per scenario")
    parser.add_argument("--only", nargs="*", default=None, help="scenario names to run (default: all)")
    args = parser.parse_args()
    scenarios = [s for s in SCENARIOS if not args.only or s[0] in args.only]
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; gate: pytest -m \"t15 or t0\" "
          "--env-name=staging through a fresh FaultProxy per run")
    runs: list[tuple[str, Run]] = []
    with sandbox() as info:
        for name, what, fault in scenarios:
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory() as tmp:
                    runs.append((what, gate_run(name, fault, info["url"], info["dsn"], Path(tmp))))
    print()
    print(f"{'scenario':<22} {'to verdict':>10} {'to exit':>8}  {'decision':<8} {'exit':>4} {'FAIL':>4} "
          f"{'NOT_RUN':>7} {'reports':>9}  proxy saw")
    for _what, r in runs:
        verdict = f"{r.to_verdict:8.2f} s" if r.to_verdict is not None else "      none"
        seen = ", ".join(f"{k} x{v}" for k, v in sorted(r.seen.items())) or "nothing (refused)"
        print(f"{r.scenario:<22} {verdict:>10} {r.to_exit:6.2f} s  {r.decision:<8} {r.code:>4} {len(r.fails):>4} "
              f"{r.not_run:>7} {r.size_kb:7.0f} KB  {sum(r.seen.values())} requests: {seen}")
    print()
    for what, r in runs:
        print(f"{r.scenario} [{what}]")
        print(f"  FAIL: {', '.join(r.fails) or '-'}")
        print(f"  triggers: {', '.join(r.triggers) or '-'}")
        print(f"  secrets found in the proxy's recording: {r.leaks}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
