"""`--plan` lists the lines the selection would run, writes plan.md, runs nothing and sends nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from tests.plugin.conftest import GateProject

FEATURE = """
    @t15
    Feature: smoke

      @t15_api_health
      Scenario: health
        When the target health is read

      @t15_admin_login
      Scenario: login
        Given the check passes
"""


class CountingTarget:
    """A loopback HTTP target that counts the requests it gets and answers each with `200 {}`."""

    def __init__(self) -> None:
        outer = self
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01},
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


@pytest.fixture
def counting_target() -> Iterator[CountingTarget]:
    server = CountingTarget()
    yield server
    server.close()


def test_plan_lists_lines_writes_plan_md_runs_and_sends_nothing(project: GateProject,
                                                                 counting_target: CountingTarget) -> None:
    project.feature("smoke", FEATURE)

    run = project.run("--plan", target=counting_target.url)

    assert run.ret == 0
    run.run.assert_outcomes(deselected=2)
    plan = (project.reports / "plan.md").read_text(encoding="utf-8")
    for text in (plan, run.output):
        assert "| t15_api_health | t15 |" in text
        assert "| t15_admin_login | t15 |" in text
        assert "Nothing was sent to the target." in text
    assert "t0_deposit" not in plan
    assert project.steps_ran() == []
    assert counting_target.requests == 0
    assert not (project.reports / "decision.json").exists()


def test_without_plan_the_same_selection_does_reach_the_target(project: GateProject,
                                                                counting_target: CountingTarget) -> None:
    """The control for the test above: the listener does see the scenario's request when it runs."""
    project.feature("smoke", FEATURE)

    run = project.run(target=counting_target.url)

    run.run.assert_outcomes(passed=2)
    assert "target" in project.steps_ran()
    assert counting_target.requests >= 1


def test_plan_shows_what_the_record_already_satisfies(project: GateProject) -> None:
    project.feature("smoke", FEATURE.replace("When the target health is read", "Given the check passes"))
    project.run("-m", "t15_admin_login")

    run = project.run("--plan", "-m", "t15_api_health")

    assert run.ret == 0
    plan = (project.reports / "plan.md").read_text(encoding="utf-8")
    assert "| t15_api_health | t15 | API health 200 | yes (1 scenario(s)) | - |" in plan
    assert "| t15_admin_login | t15 | Admin login | no | PASS at " in plan
