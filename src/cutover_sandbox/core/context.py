"""What one running sandbox app shares between requests: settings, faults, database, mock PSP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cutover_sandbox.core.config import Settings
from cutover_sandbox.faults import Faults

if TYPE_CHECKING:
    from cutover_sandbox.psp import MockPSP


@dataclass
class AppContext:
    settings: Settings
    faults: Faults
    engine: Engine
    sessions: sessionmaker[Session]
    psp: MockPSP
    dialect: str = "default"
    """The API this sandbox speaks (`cutover_sandbox.dialects`)."""
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
