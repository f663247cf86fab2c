"""Round trips on the sequential path: what a remote platform's latency costs the gate.

    python bench/bench_round_trips.py [--latency-ms 200] [--marker "t60 or t30 or t15 or t0"] [--repeat 3] [--trace]

A sandbox behind the product's fault proxy; the gate runs its phases through the proxy once as it is and once with
`--latency-ms` added to every request, both with a canary the run registers (a bare run, as the README's) and with one
provisioned beforehand, as in prod (its login alone). Printed: discovery's requests and time against the sandbox
directly, then for each run the requests made (by method), the calls on the sequential path (the longest chain of
requests each sent after the previous one was answered: what latency multiplies), with and without discovery's lanes
(its surveys run beside everything from the first scenario on, so their ~30 rounds of 8 OPTIONS make a chain of their
own that no scenario waits for but the one that judges it), and both wall times. Concurrent reads are off that path;
every write stays on it, one after the other. Each is run `--repeat` times and the fastest counts: CPU load on the
machine only ever adds time. The span from the first request to the last answer is printed too: it leaves pytest's
start and the reports out, the steadier figure. `--trace` lists the requests on the slow run's sequential path without
discovery's lanes.
"""

from __future__ import annotations

import argparse
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gate import ROOT, _env, sandbox

from cutover_gate.checks import discovery
from cutover_gate.config import route_catalogue
from cutover_gate.config.target_profile import load_profile
from cutover_gate.core.redact import Secret
from cutover_gate.target.client import TargetClient
from cutover_proxy import FaultProxy
from cutover_proxy.recording import Exchange


def critical_chain(log: list[Exchange]) -> list[Exchange]:
    """The longest chain of requests where each starts after the one before it was answered."""
    spans = sorted(((datetime.fromisoformat(e.at.replace("Z", "+00:00")).timestamp(), e.duration_ms / 1000, e)
                    for e in log), key=lambda span: span[0])
    depth: list[int] = []
    ends: list[float] = []
    parent: list[int | None] = []
    for start, took, _ in spans:
        before = [(d, i) for i, (d, end) in enumerate(zip(depth, ends, strict=True)) if end <= start + 0.0005]
        best = max(before, default=(0, None))
        depth.append(1 + best[0])
        parent.append(best[1])
        ends.append(start + took)
    if not depth:
        return []
    at: int | None = max(range(len(depth)), key=depth.__getitem__)
    chain = []
    while at is not None:
        chain.append(spans[at][2])
        at = parent[at]
    return chain[::-1]


def span_of(log: list[Exchange]) -> float:
    """From the first request the target got to the last answer: the run's talking time."""
    times = [(datetime.fromisoformat(e.at.replace("Z", "+00:00")).timestamp(), e.duration_ms / 1000) for e in log]
    return max(start + took for start, took in times) - min(start for start, _ in times) if times else 0.0


def sequential_path(log: list[Exchange]) -> int:
    return len(critical_chain(log))


def off_discovery(log: list[Exchange], surveyed: set[str]) -> list[Exchange]:
    """The requests but discovery's survey OPTIONS (its candidates and controls), which run in their own lanes beside
    the scenarios: each lane is a chain of its own that no scenario waits for but the one that judges it."""
    return [e for e in log if not (e.method == "OPTIONS" and (e.path.split("?")[0] in surveyed
                                                              or "cutover-gate-control-" in e.path))]


def run(url: str, dsn: str, marker: str, canary: dict[str, str] | None = None) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--reports-dir={tmp}/reports",
               f"--target-url={url}", "--env-name=staging", f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}",
               "-m", marker]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=_env({"CUTOVER_DB_DSN": dsn, **(canary or {})}),
                              capture_output=True, text=True, check=False)
        return time.perf_counter() - start, proc.returncode


def provisioned_canary(target: TargetClient) -> dict[str, str]:
    """What an operator does before a prod cutover, through the profile's calls: a canary registered, verified and
    KYC-approved beforehand, given to the gate as CUTOVER_CANARY_EMAIL / CUTOVER_CANARY_PASSWORD."""
    env = _env()
    nonce = secrets.token_hex(4)
    email, password, phone = f"bench-canary-{nonce}@ops.invalid", f"Bench-{nonce}-pass", f"+9055513{nonce[:5]}"
    target.call("player_register", email=email, password=password, username=f"bench{nonce}", phone=phone,
                tenant="default").ok("register")
    for send, confirm, address in (("verify_email_send", "verify_email_confirm", email),
                                   ("verify_sms_send", "verify_sms_confirm", phone)):
        code = target.call(send, address=address).ok(send).answer("code")
        target.call(confirm, address=address, code=code).ok(confirm)
    login = target.call("player_login", email=email, password=password, tenant="default").ok("login")
    admin = target.call("admin_login", email=env["CUTOVER_ADMIN_EMAIL"], password=env["CUTOVER_ADMIN_PASSWORD"])
    token = Secret(str(admin.ok("admin login").answer("token")), "admin token")
    target.call("kyc_review", admin=token, player_id=login.answer("player_id")).ok("KYC review")
    return {"CUTOVER_CANARY_EMAIL": email, "CUTOVER_CANARY_PASSWORD": password}


def latency_cost(info: dict[str, str], args: argparse.Namespace, canary: dict[str, str] | None) -> None:
    """The gate's phases through the proxy as it is, then with `--latency-ms` added to every request."""
    profile = load_profile(None)
    surveyed = {*route_catalogue.seed_candidates(profile), *route_catalogue.callback_candidates(profile)}
    figures, spans = {}, {}
    for label, latency in (("healthy", 0.0), (f"+{args.latency_ms:g} ms per call", args.latency_ms)):
        walls, talking = [], []
        for _ in range(max(args.repeat, 1)):
            with FaultProxy(info["url"]) as proxy:
                if latency:
                    proxy.latency(latency)
                wall, code = run(proxy.url, info["dsn"], args.marker, canary)
                walls.append(wall)
                log = list(proxy.log)
                talking.append(span_of(log))
        wall = min(walls)
        figures[label], spans[label] = wall, min(talking)
        methods = Counter(e.method for e in log)
        options = sum(1 for e in log if e.method == "OPTIONS")
        print(f"  {label:<22} wall {wall:6.2f} s (fastest of {len(walls)})  exit {code}  requests {len(log)} "
              f"({', '.join(f'{m} {n}' for m, n in methods.most_common())})  OPTIONS (discovery and probes) "
              f"{options}  sequential path {sequential_path(log)} calls, "
              f"{sequential_path(off_discovery(log, surveyed))} without discovery's lanes")
        if args.trace and latency:
            for entry in critical_chain(off_discovery(log, surveyed)):
                print(f"    {entry.at[11:23]}  {entry.method:<7} {entry.path.split('?')[0]}  {entry.outcome}")
    healthy, slow = figures.values()
    print(f"  latency cost: +{slow - healthy:.2f} s for +{args.latency_ms:g} ms per call "
          f"(= {(slow - healthy) / (args.latency_ms / 1000):.0f} round trips on the sequential path); between the "
          f"first request and the last answer (pytest's start and the reports left out): "
          f"+{spans[list(spans)[1]] - spans['healthy']:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--marker", default="t60 or t30 or t15 or t0")
    parser.add_argument("--trace", action="store_true", help="list the requests on the slow run's sequential path")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each; the fastest counts (CPU noise only ever adds time)")
    args = parser.parse_args()
    with sandbox() as (_boot, info):
        profile = load_profile(None)
        target = TargetClient(info["url"], profile)
        for label, paths in (("seed/bootstrap/test/debug", route_catalogue.seed_candidates(profile)),
                             ("PSP callbacks", route_catalogue.callback_candidates(profile))):
            start = time.perf_counter()
            found = discovery.survey(target, paths)
            print(f"discovery of {label:<26} {found.requests:4d} OPTIONS (bound {profile.model.discovery.max_requests}"
                  f", {profile.model.discovery.concurrency} in flight) in {time.perf_counter() - start:5.2f} s "
                  "against the sandbox")
        target.close()
        print("a canary the run registers (a bare run, as the README's):")
        latency_cost(info, args, None)
        operator = TargetClient(info["url"], profile)
        try:
            canary = provisioned_canary(operator)
        finally:
            operator.close()
        print("a canary provisioned beforehand (as in prod: its login alone):")
        latency_cost(info, args, canary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
