"""The truth with replicas: two sandbox replicas over ONE database behind the product's own
load balancer (`cutover_proxy.FaultProxy` with two upstreams, round-robin), a real Prometheus scraping each replica
directly. Between two hypercare rounds one replica answers a burst of 5xx and the other restarts.

- With `[metrics] source = "prometheus"` the gate's round (checks/hypercare/promwatch.py) judges the fleet's interval:
  the whole burst is counted over every replica, the restart is no event (increase() sees through it), the round
  FAILs on the 5xx rate.
- With the default `scrape` source the round (checks/hypercare/watch.py) reads /metrics through the balancer: the
  scrape lands on the restarted replica, whose counters are lower than the previous scrape's (taken of whichever
  replica answered then), so the round reports a restart, counts only what that replica served since it, sees no
  5xx at all and PASSes: the same interval misjudged.

Both rounds are the gate run as a user runs it (`pytest -m hypercare`, a subprocess). The balancer takes turns per
request; the gate's requests before its /metrics scrape are counted in the first scrape round, and the test lines the
turn up so that the second round's scrape reaches the restarted replica (the unlucky draw a random balancer makes
half the time), then checks from the balancer's log that it did. Every process the test starts is stopped at its end,
whatever happens; everything listens on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from cutover_proxy import Exchange, FaultProxy
from cutover_sandbox.fault_seeds import BURST_HEADER  # the 5xx control of `error_burst_before_round`

from .conftest import READY, ROOT, SEEDED, GateRun
from .prometheus_support import Server, binaries, free_port, rule_file, start_stack, wait_for
from .test_hypercare import RELEASE_SHA, watch_rounds

PROFILE = ROOT / "fixtures" / "prometheus" / "profile.toml"
BURST = 40
WATCH = "hc_first_6h_watch"
GIT_SHA = "060f1658c0f32b260ef61eddb625805d5849d8b7"


@dataclass
class Replica:
    """One `cutover-sandbox serve` process on a fixed port: the first owns PostgreSQL, the others attach (`--dsn`)."""

    name: str
    port: int
    log_dir: Path
    args: tuple[str, ...] = ()
    server: Server | None = None
    dsn: str = ""
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Replica:
        self.starts += 1
        log = self.log_dir / f"{self.name}-{self.starts}.log"
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}, **SEEDED}
        # the first replica stops its PostgreSQL on SIGTERM: give it the time to
        self.server = Server(self.name, [sys.executable, "-m", "cutover_sandbox", "serve", "--port", str(self.port),
                                         "--git-sha", GIT_SHA, *self.args], log, env=env, grace_s=30.0)
        end = time.monotonic() + 120
        while time.monotonic() < end:
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith(READY):
                    self.dsn = json.loads(line[len(READY):])["dsn"]
                    return self
            if self.server.proc.poll() is not None:
                break
            time.sleep(0.1)
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        self.stop()
        raise AssertionError(f"replica {self.name} did not start\n{tail}")

    def stop(self) -> None:
        """Idempotent: a replica stopped or never started is left as it is."""
        server, self.server = self.server, None
        if server is not None:
            server.stop()


def through(balancer: FaultProxy, n: int, **headers: str) -> list[int]:
    """`n` requests to the platform's health route through the balancer; their statuses."""
    with requests.Session() as session:
        session.trust_env = False  # loopback only, never an environment proxy
        return [session.get(f"{balancer.url}/api/health", headers=headers, timeout=10).status_code for _ in range(n)]


def run_exchanges(balancer: FaultProxy, after: int) -> list[Exchange]:
    return sorted((e for e in balancer.log if e.seq > after), key=lambda e: e.seq)


def last_seq(balancer: FaultProxy) -> int:
    return max((e.seq for e in balancer.log), default=0)


def first_scrape(exchanges: list[Exchange]) -> tuple[int, Exchange]:
    """The gate's /metrics request among a run's exchanges, and how many forwarded requests came before it."""
    forwarded = [e for e in exchanges if e.upstream is not None]
    index = next(i for i, e in enumerate(forwarded) if urlsplit(e.path).path == "/metrics")
    return index, forwarded[index]


def test_prometheus_judges_the_fleet_and_a_scrape_through_the_balancer_misjudges_the_same_interval(
        gate: Callable[..., GateRun], tmp_path: Path) -> None:
    binaries()  # skip, saying why, without the servers (CI installs them)
    with contextlib.ExitStack() as cleanup:
        # the first replica owns the database and honours the 5xx control; the second attaches to its database
        a = Replica("a", free_port(), tmp_path, ("--fault", "error_burst_before_round"))
        cleanup.callback(a.stop)
        a.start()
        b = Replica("b", free_port(), tmp_path, ("--dsn", a.dsn))
        cleanup.callback(b.stop)
        b.start()
        balancer = cleanup.enter_context(FaultProxy([a.url, b.url]))
        replicas = [urlsplit(a.url).netloc, urlsplit(b.url).netloc]
        stack = start_stack(tmp_path / "monitoring", [a.url, b.url], alertmanager=None,
                            rules=rule_file(tmp_path, "runbook-alerts.rules.yml"))
        cleanup.callback(stack.stop)

        assert through(balancer, 40) == [200] * 40  # traffic on both replicas, 20 each
        assert {e.upstream for e in balancer.log} == {a.url, b.url}
        warm = time.time()
        wait_for(lambda: stack.scraped(replicas, after=warm), "both replicas scraped after the traffic")

        env = {**SEEDED, "CUTOVER_DB_DSN": a.dsn}
        common = ("-m", "hypercare", "-k", "watch_round", "--target-url", balancer.url, "--env-name", "staging",
                  f"--release-sha={RELEASE_SHA}")
        scrape_reports, prom_reports = tmp_path / "scrape-reports", tmp_path / "prometheus-reports"
        prom_env = {**env, "CUTOVER_PROMETHEUS_URL": stack.prometheus_url}

        # round 1 of each source, before anything happens
        mark = last_seq(balancer)
        first = gate(scrape_reports, *common, env=env)
        assert first.line(WATCH)["result"] in ("PASS", "FAIL"), first.output[-3000:]  # A's start-up burst may count
        before_scrape, _ = first_scrape(run_exchanges(balancer, mark))
        first_prom = gate(prom_reports, *common, f"--profile={PROFILE}", env=prom_env)
        (first_prom_round,) = watch_rounds(first_prom)  # read now: the next run rewrites the record
        assert first_prom_round["interval"]["source"] == "prometheus", first_prom.output[-3000:]

        # the interval: replica A answers a burst of 5xx (B serves its share of the same requests), B restarts
        statuses = through(balancer, 2 * BURST, **{BURST_HEADER: "1"})
        assert sorted(statuses) == [200] * BURST + [503] * BURST, statuses
        burst = time.time()
        wait_for(lambda: stack.scraped(replicas, after=burst), "both replicas scraped after the burst")
        b.stop()  # what a replica serves after its last scrape dies with it, for Prometheus too
        b.start()
        assert through(balancer, 10) == [200] * 10
        quiet = time.time()
        wait_for(lambda: stack.scraped(replicas, after=quiet), "both replicas scraped after the restart")

        # round 2, Prometheus: the fleet's interval
        second_prom = gate(prom_reports, *common, f"--profile={PROFILE}", env=prom_env)
        prom_round = watch_rounds(second_prom)[-1]
        prom_line = second_prom.line(WATCH)
        shown = (prom_line["message"], prom_round, second_prom.output[-3000:])
        assert prom_line["result"] == "FAIL" and "5xx rate" in prom_line["message"], shown
        assert "by Prometheus over [" in prom_line["message"], shown
        interval = prom_round["interval"]
        assert interval["source"] == "prometheus" and interval["basis"] == "previous_round", shown
        assert interval["from"] == first_prom_round["at"], shown
        # the whole burst, not half of it nor none: increase() extrapolates to the range's ends, a little over
        assert 0.9 * BURST <= interval["errors_5xx"] <= 1.5 * BURST, shown
        assert interval["requests"] >= 2 * BURST, shown  # both replicas' share of the burst: the fleet's volume
        assert interval["error_rate"] > 0.1 and prom_round["restart"] is None, shown  # the restart is no event
        findings = second_prom.line(WATCH)["evidence"]["findings"]
        assert not [f for f in findings if f["check"] == "restart"], findings

        # round 2, scrape through the balancer: line the turn up so that its scrape reaches the restarted replica
        probe = last_seq(balancer)
        through(balancer, 1)
        (probed,) = run_exchanges(balancer, probe)
        following = b.url if probed.upstream == a.url else a.url  # whose turn the gate's first request is
        if (following == b.url) != (before_scrape % 2 == 0):
            through(balancer, 1)
        mark = last_seq(balancer)
        second = gate(scrape_reports, *common, env=env)
        _, scraped = first_scrape(run_exchanges(balancer, mark))
        assert scraped.upstream == b.url, (
            "precondition: the gate's requests before its scrape changed in number between the rounds, so the "
            f"scrape reached {scraped.upstream}, not the restarted replica {b.url}")
        scrape_round = watch_rounds(second)[-1]
        scrape_line = second.line(WATCH)
        shown = (scrape_line["message"], scrape_round, second.output[-3000:])
        assert scrape_line["result"] == "PASS", shown  # the misjudgement: 40 5xx on the fleet, a clean round
        assert scrape_round["restart"] and scrape_round["interval"]["basis"] == "previous_round", shown
        assert scrape_round["interval"]["errors_5xx"] == 0 and scrape_round["spike"] is None, shown
        assert scrape_round["interval"]["requests"] < interval["requests"] / 2, shown  # one replica, since its start
        assert "the platform restarted" in second.line(WATCH)["message"] or any(
            f["check"] == "restart" for f in second.line(WATCH)["evidence"]["findings"]), shown
    assert a.server is None and b.server is None and balancer.dead
