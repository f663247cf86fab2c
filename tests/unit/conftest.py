"""Fixtures shared by the unit tests that need a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cutover_sandbox.pg import PgCluster, PgError


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    """A throwaway cluster for the module (its role has CREATEDB and no superuser), skipped when none can start."""
    try:
        pg = PgCluster().start()
    except PgError as exc:
        pytest.skip(f"no PostgreSQL to start: {exc}")
    try:
        yield pg
    finally:
        pg.stop()
