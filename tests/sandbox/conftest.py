"""Fixtures for the sandbox's own tests: one real PostgreSQL cluster per session and sandboxes on fresh databases.

Every sandbox and the cluster are stopped by the fixtures, also when a test fails.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cutover_sandbox.pg import PgCluster
from cutover_sandbox.server import Sandbox

from .alt_support import ALT_SETTINGS, ALT_SETTINGS_QUIET, AltApi
from .casino_support import CASINO_SETTINGS, CASINO_SETTINGS_QUIET, CasinoApi
from .sandbox_support import DEFAULT_SETTINGS_QUIET, Api

_db_names = itertools.count()


@pytest.fixture(scope="session")
def cluster() -> Iterator[PgCluster]:
    with PgCluster() as pg:
        yield pg


def _start(cluster: PgCluster, faults: tuple[str, ...], **kwargs: Any) -> Sandbox:
    dsn = cluster.create_database(f"sb_{next(_db_names)}")
    kwargs.setdefault("dialect", "default")  # whatever CUTOVER_SANDBOX_DIALECT says
    return Sandbox(faults=list(faults), dsn=dsn, **kwargs).start()


@pytest.fixture(scope="session")
def api(cluster: PgCluster) -> Iterator[Api]:
    """A healthy sandbox shared by the session (every test makes its own players)."""
    sandbox = _start(cluster, ())
    try:
        yield Api(sandbox)
    finally:
        sandbox.stop()


@pytest.fixture
def make_api(cluster: PgCluster) -> Iterator[Callable[..., Api]]:
    """Start a sandbox with the given faults on a fresh database; stopped at the end of the test."""
    started: list[Sandbox] = []

    def make(*faults: str, **kwargs: Any) -> Api:
        sandbox = _start(cluster, faults, **kwargs)
        started.append(sandbox)
        return Api(sandbox)

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture(scope="session")
def quiet_api(cluster: PgCluster) -> Iterator[Api]:
    """A healthy sandbox whose mock PSP waits an hour: the tests deliver the PSP's webhooks themselves."""
    sandbox = _start(cluster, (), settings=DEFAULT_SETTINGS_QUIET)
    try:
        yield Api(sandbox)
    finally:
        sandbox.stop()


# -- the alt dialect ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def alt_api(cluster: PgCluster) -> Iterator[AltApi]:
    """A healthy alt sandbox shared by the session (every test makes its own members)."""
    sandbox = _start(cluster, (), dialect="alt", settings=ALT_SETTINGS)
    try:
        yield AltApi(sandbox)
    finally:
        sandbox.stop()


@pytest.fixture(scope="session")
def quiet_alt_api(cluster: PgCluster) -> Iterator[AltApi]:
    """A healthy alt sandbox whose mock PSP waits an hour: the tests deliver the PSP's webhooks themselves."""
    sandbox = _start(cluster, (), dialect="alt", settings=ALT_SETTINGS_QUIET)
    try:
        yield AltApi(sandbox)
    finally:
        sandbox.stop()


@pytest.fixture
def make_alt_api(cluster: PgCluster) -> Iterator[Callable[..., AltApi]]:
    """Start an alt sandbox with the given faults on a fresh database; stopped at the end of the test."""
    started: list[Sandbox] = []

    def make(*faults: str, **kwargs: Any) -> AltApi:
        kwargs.setdefault("settings", ALT_SETTINGS)
        sandbox = _start(cluster, faults, dialect="alt", **kwargs)
        started.append(sandbox)
        return AltApi(sandbox)

    yield make
    for sandbox in started:
        sandbox.stop()


# -- the casino dialect ------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def casino_api(cluster: PgCluster) -> Iterator[CasinoApi]:
    """A healthy casino sandbox shared by the session (every test makes its own players)."""
    sandbox = _start(cluster, (), dialect="casino", settings=CASINO_SETTINGS)
    try:
        yield CasinoApi(sandbox)
    finally:
        sandbox.stop()


@pytest.fixture(scope="session")
def quiet_casino_api(cluster: PgCluster) -> Iterator[CasinoApi]:
    """A healthy casino sandbox whose mock PSP waits an hour: the tests deliver the PSP's webhooks themselves."""
    sandbox = _start(cluster, (), dialect="casino", settings=CASINO_SETTINGS_QUIET)
    try:
        yield CasinoApi(sandbox)
    finally:
        sandbox.stop()


@pytest.fixture
def make_casino_api(cluster: PgCluster) -> Iterator[Callable[..., CasinoApi]]:
    """Start a casino sandbox with the given faults on a fresh database; stopped at the end of the test."""
    started: list[Sandbox] = []

    def make(*faults: str, **kwargs: Any) -> CasinoApi:
        kwargs.setdefault("settings", CASINO_SETTINGS)
        sandbox = _start(cluster, faults, dialect="casino", **kwargs)
        started.append(sandbox)
        return CasinoApi(sandbox)

    yield make
    for sandbox in started:
        sandbox.stop()
