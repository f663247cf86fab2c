"""Pages of transactions, newest first: the player's history and the finance queue, for every dialect."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cutover_sandbox.models import Transaction


def where(*, type: str | None = None, states: Iterable[str] | None = None,
          player_id: uuid.UUID | None = None) -> list[Any]:
    """The filters of a page: a transaction type, any of some states, one player's (None: no filter)."""
    clauses: list[Any] = []
    if type:
        clauses.append(Transaction.type == type)
    if states is not None:
        clauses.append(Transaction.state.in_(list(states)))
    if player_id is not None:
        clauses.append(Transaction.player_id == player_id)
    return clauses


def page(session: Session, clauses: list[Any], limit: int, offset: int) -> tuple[list[Transaction], int]:
    """(the transactions of the page, how many match in all)."""
    rows = session.scalars(select(Transaction).where(*clauses)
                           .order_by(Transaction.created_at.desc(), Transaction.id.desc()).limit(limit).offset(offset))
    total = session.scalar(select(func.count()).select_from(Transaction).where(*clauses))
    return list(rows), int(total or 0)
