"""Real Prometheus and Alertmanager servers for the alerting tests, started on loopback (free ports) with the
configurations written into a tmp dir, and always stopped (terminate, then kill).

- Prometheus scrapes the sandbox every second (job "sandbox"), evaluates every second, loads a rule file of
  `fixtures/prometheus/` (a variant: rules dropped, `for:` shortened) and pushes to the Alertmanager when one is
  attached.
- Alertmanager routes everything to a `webhook_configs` receiver posting to a loopback HTTP server the test runs
  (`WebhookSink`), or to a receiver with no integration ("null").

The binaries are Debian's `prometheus` and `prometheus-alertmanager` (`alertmanager` elsewhere); without them the
tests skip and say why (.ci/run installs them).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "fixtures" / "prometheus"
JOB = "sandbox"


def binaries() -> tuple[str, str]:
    """The Prometheus and Alertmanager programs, or skip saying which is missing."""
    prometheus = shutil.which("prometheus")
    alertmanager = shutil.which("alertmanager") or shutil.which("prometheus-alertmanager")
    missing = [name for name, path in (("prometheus", prometheus), ("prometheus-alertmanager", alertmanager))
               if path is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (Debian: apt-get install {' '.join(missing)}; .ci/run "
                    "installs them): no real server to prove alerting against")
    assert prometheus is not None and alertmanager is not None
    return prometheus, alertmanager


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0, log: Path | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log and log.exists() else ""
    raise AssertionError(f"{what} not within {timeout:g} s\n{tail}")


class Server:
    """A server process a test started; `stop()` terminates it, then kills it."""

    def __init__(self, name: str, args: Sequence[str], log: Path, *, env: Mapping[str, str] | None = None,
                 grace_s: float = 10.0) -> None:
        self.name, self.log, self.grace_s = name, log, grace_s
        self._out = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(list(args), stdout=self._out, stderr=subprocess.STDOUT, cwd=log.parent,
                                     stdin=subprocess.DEVNULL, env=None if env is None else dict(env))

    def stop(self) -> None:
        """SIGTERM, `grace_s` to end, then SIGKILL; idempotent."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=self.grace_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if not self._out.closed:
            self._out.close()


class WebhookSink:
    """A loopback HTTP server Alertmanager's webhook receiver posts to; it keeps every notification."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with contextlib.suppress(ValueError):
                    received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/alerts"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def alertnames(self) -> set[str]:
        return {str(a.get("labels", {}).get("alertname")) for n in self.received for a in n.get("alerts", [])}

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._server.server_close()


def rule_file(directory: Path, source: str, *, drop: Sequence[str] = (), durations: Mapping[str, str] | None = None,
              extra: Sequence[Mapping[str, Any]] = ()) -> Path:
    """A variant of a rule file of fixtures/prometheus/: alerts dropped, `for:` replaced per alert, rules added."""
    data = yaml.safe_load((RULES / source).read_text(encoding="utf-8"))
    for group in data["groups"]:
        group["rules"] = [r for r in group["rules"] if r.get("alert") not in drop]
        for rule in group["rules"]:
            if durations and rule.get("alert") in durations:
                rule["for"] = durations[rule["alert"]]
    data["groups"][0]["rules"].extend(dict(r) for r in extra)
    out = directory / "rules.yml"
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


MONITORING_VARIANTS: Mapping[str, Mapping[str, Any]] = {
    "alert_rule_missing": {"drop": ["WebhookFailures"]},
    "alert_rule_broken": {"source": "broken-expression.rules.yml"},
    "alertmanager_detached": {"alertmanager": None},
    "alerts_go_nowhere": {"alertmanager": "null"},
    "critical_alert_firing": {"extra": [{"alert": "HighErrorRate", "expr": "vector(1)",
                                         "labels": {"job": JOB, "severity": "critical"}}]},
}
"""How the stack beside the sandbox honours each fault of the catalogue's monitoring layer
(`cutover_sandbox.faults.of_monitoring`): the keyword arguments of the `stacks` fixture's start."""


def alertmanager_config(receiver: str, sink_url: str) -> dict[str, Any]:
    receivers: list[dict[str, Any]] = [{"name": "null"}]
    if receiver == "webhook":
        receivers.append({"name": "hook", "webhook_configs": [{"url": sink_url, "send_resolved": False}]})
    return {"route": {"receiver": "hook" if receiver == "webhook" else "null", "group_by": ["alertname"],
                      "group_wait": "0s", "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": receivers}


@dataclass
class Stack:
    prometheus_url: str
    alertmanager_url: str | None
    sink: WebhookSink | None
    servers: list[Server] = field(default_factory=list)

    def api(self, path: str, **params: str) -> Any:
        resp = requests.get(f"{self.prometheus_url}{path}", params=params, timeout=5)
        resp.raise_for_status()
        return resp.json()["data"]

    def firing(self, alertname: str) -> bool:
        return any(a["labels"].get("alertname") == alertname and a["state"] == "firing"
                   for a in self.api("/api/v1/alerts")["alerts"])

    def scraped(self, targets: Sequence[str], after: float = 0.0) -> bool:
        """Every target (host:port) up, in a scrape taken after `after` (a Unix time; 0: any scrape)."""
        def by_instance(query: str) -> dict[str, float]:
            return {s["metric"].get("instance"): float(s["value"][1])
                    for s in self.api("/api/v1/query", query=query)["result"]}

        up = by_instance(f'up{{job="{JOB}"}}')
        taken = by_instance(f'timestamp(up{{job="{JOB}"}})')  # each target's latest scrape (a selector: its time)
        return all(up.get(t) == 1 and taken.get(t, 0.0) > after for t in targets)

    def stop(self) -> None:
        """Every server of the stack, Prometheus first (idempotent: a test may stop it early)."""
        for server in reversed(self.servers):
            server.stop()
        if self.sink is not None:
            self.sink.stop()


def start_stack(directory: Path, target_url: str | Sequence[str], *, rules: Path, alertmanager: str | None = "webhook"
                ) -> Stack:
    """Prometheus scraping `target_url` (or each of several: replicas, job "sandbox" all) with `rules`, and an
    Alertmanager ("webhook", "null") or none; returns once Prometheus scraped every target, evaluated every rule and
    (when attached) found its Alertmanager."""
    prometheus, am_binary = binaries()
    targets = [urlsplit(url).netloc for url in ([target_url] if isinstance(target_url, str) else target_url)]
    directory.mkdir(parents=True, exist_ok=True)
    stack = Stack(prometheus_url="", alertmanager_url=None, sink=None)
    try:
        config: dict[str, Any] = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
            "rule_files": [str(rules)],
            "scrape_configs": [{"job_name": JOB, "static_configs": [{"targets": targets}]}]}
        if alertmanager is not None:
            stack.sink = WebhookSink()
            am_port = free_port()
            am_dir = directory / "alertmanager"
            am_dir.mkdir(exist_ok=True)
            (am_dir / "alertmanager.yml").write_text(
                yaml.safe_dump(alertmanager_config(alertmanager, stack.sink.url)), encoding="utf-8")
            stack.servers.append(Server("alertmanager", [
                am_binary, f"--config.file={am_dir / 'alertmanager.yml'}", f"--storage.path={am_dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="], am_dir / "log.txt"))
            stack.alertmanager_url = f"http://127.0.0.1:{am_port}"
            wait_for(lambda: requests.get(f"{stack.alertmanager_url}/-/ready", timeout=1).ok, "Alertmanager ready",
                     log=am_dir / "log.txt")
            config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]}
        port = free_port()
        prom_dir = directory / "prometheus"
        prom_dir.mkdir(exist_ok=True)
        (prom_dir / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        log = prom_dir / "log.txt"
        stack.servers.append(Server("prometheus", [
            prometheus, f"--config.file={prom_dir / 'prometheus.yml'}", f"--storage.tsdb.path={prom_dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}"], log))
        stack.prometheus_url = f"http://127.0.0.1:{port}"
        wait_for(lambda: requests.get(f"{stack.prometheus_url}/-/ready", timeout=1).ok, "Prometheus ready", log=log)
        wait_for(lambda: stack.scraped(targets), "the sandbox scraped", log=log)
        wait_for(lambda: all(not r["lastEvaluation"].startswith("0001") for g in stack.api("/api/v1/rules")["groups"]
                             for r in g["rules"]), "every rule evaluated", log=log)
        if alertmanager is not None:
            wait_for(lambda: bool(stack.api("/api/v1/alertmanagers")["activeAlertmanagers"]),
                     "Alertmanager discovered", log=log)
    except BaseException:
        stack.stop()
        raise
    return stack


def traffic(stack: Stack, target_url: str) -> None:
    """Requests to the target until Prometheus counts an increase of them (a series' first sample is no increase)."""
    def counted() -> bool:
        requests.get(f"{target_url}/api/health", timeout=5)
        query = f'sum(increase(http_requests_total{{job="{JOB}",handler!="/metrics"}}[1m]))'
        result = stack.api("/api/v1/query", query=query)["result"]
        return bool(result) and float(result[0]["value"][1]) > 0

    wait_for(counted, "the sandbox's requests counted by Prometheus")


@contextlib.contextmanager
def blackhole() -> Iterator[str]:
    """An address that takes connections and never answers (a hung server): only a deadline gets out of it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
