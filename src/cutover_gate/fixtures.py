"""The fixtures the step modules use: the gate session, the target client, the database, the evidence recorder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from cutover_gate.config.settings import GateSettings
from cutover_gate.core.redact import Secret
from cutover_gate.evidence.recording import Evidence
from cutover_gate.run import RUN, recorder_of
from cutover_gate.target.client import TargetClient
from cutover_gate.target.database import Database
from cutover_gate.target.sandbox import SandboxBootError, SandboxInfo, boot_sandbox


@dataclass
class Gate:
    settings: GateSettings
    url: str
    dsn: Secret | None
    sandbox: SandboxInfo | None = None

    def __repr__(self) -> str:  # reports (Allure step parameters) show this: the target, nothing else
        return f"Gate(target={self.url!r}, env={self.settings.env_name!r}, release={self.settings.release_sha!r})"


def gate_from(settings: GateSettings, info: SandboxInfo | None) -> Gate:
    if info is not None:
        dsn_env = os.environ.get("CUTOVER_DB_DSN")
        return Gate(settings, info.url.rstrip("/"), Secret(dsn_env or info.dsn, "CUTOVER_DB_DSN"), info)
    assert settings.target_url is not None
    return Gate(settings, settings.target_url, settings.secret("db_dsn"))


@pytest.fixture(scope="session")
def gate(request: pytest.FixtureRequest) -> Iterator[Gate]:
    """The target of the session: the given URL, the sandbox the xdist controller booted, or one booted here."""
    run = request.config.stash[RUN]
    settings = run.settings
    if not settings.embedded:
        yield gate_from(settings, None)
        return
    if run.boot_error is not None:
        raise SandboxBootError(run.boot_error)
    if run.sandbox_info is not None:
        yield gate_from(settings, run.sandbox_info)
        return
    box, info = boot_sandbox(settings)
    try:
        yield gate_from(settings, info)
    finally:
        box.stop()


@pytest.fixture(scope="session")
def target(gate: Gate, request: pytest.FixtureRequest) -> Iterator[TargetClient]:
    client = TargetClient(gate.url, gate.settings.profile, breaker=request.config.stash[RUN].breaker)
    yield client
    client.close()


@pytest.fixture
def evidence(request: pytest.FixtureRequest, target: TargetClient) -> Iterator[Evidence]:
    ev = Evidence(recorder_of(request.node))
    previous = target.on_exchange
    target.on_exchange = lambda ex: ev.http(ex.to_json())
    yield ev
    target.on_exchange = previous


@pytest.fixture(scope="session")
def database(gate: Gate) -> Database:
    return Database(gate.dsn, gate.settings.profile)
