"""The TKPK's decisions on priority problems, kept with their history.

Each decision adds a row with who decided, when and why. The latest row of
an area, year and indicator is the current decision, so changing a decision
keeps the earlier ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.errors import ConfigurationError
from p3bm.storage.schema import priority_decision

DECISIONS = ("accepted", "rejected")


@dataclass(frozen=True)
class Decision:
    """One recorded decision."""

    area: str
    year: int
    indicator: str
    decision: str
    reason: str
    score: float | None
    decided_at: datetime
    decided_by: str

    def to_dict(self) -> dict[str, object]:
        return {
            "area": self.area,
            "year": self.year,
            "indicator": self.indicator,
            "decision": self.decision,
            "reason": self.reason,
            "score": self.score,
            "decided_at": self.decided_at.isoformat(),
            "decided_by": self.decided_by,
        }


def record_decision(
    connection: Connection,
    *,
    area: str,
    year: int,
    indicator: str,
    decision: str,
    reason: str,
    user: str,
    score: float | None = None,
) -> Decision:
    """Store a decision.

    Raises ConfigurationError for an unknown decision, a blank reason or a
    score that is not a finite number.
    """
    if decision not in DECISIONS:
        raise ConfigurationError(
            f"Unknown decision {decision!r}.",
            hint="Use accepted or rejected.",
            indonesian=(
                f"Keputusan {decision!r} tidak dikenal.",
                "Pakai accepted atau rejected.",
            ),
        )
    if score is not None and not (math.isfinite(score) and abs(score) <= 1e9):
        raise ConfigurationError(
            f"The score {score!r} is not a plain number.",
            hint="Give the score the analysis showed, such as 0.62, or none.",
            indonesian=(
                f"Skor {score!r} bukan angka biasa.",
                "Beri skor yang ditunjukkan analisis, misalnya 0.62, atau kosongkan.",
            ),
        )
    if not reason.strip():
        raise ConfigurationError(
            "A decision needs a reason.",
            hint="Say why the TKPK accepts or rejects the problem.",
            indonesian=(
                "Keputusan perlu alasan.",
                "Tulis mengapa TKPK menerima atau menolak masalah ini.",
            ),
        )
    now = datetime.now(UTC)
    connection.execute(
        priority_decision.insert().values(
            area_code=area,
            year=year,
            indicator_code=indicator,
            decision=decision,
            reason=reason.strip(),
            score=score,
            decided_at=now,
            decided_by=user,
        )
    )
    return Decision(area, year, indicator, decision, reason.strip(), score, now, user)


def decision_history(
    connection: Connection, area: str, year: int | None = None
) -> list[Decision]:
    """Return every decision of an area (and year), oldest first."""
    c = priority_decision.c
    query = sa.select(
        c.area_code,
        c.year,
        c.indicator_code,
        c.decision,
        c.reason,
        c.score,
        c.decided_at,
        c.decided_by,
    ).where(c.area_code == area)
    if year is not None:
        query = query.where(c.year == year)
    query = query.order_by(c.id)
    return [Decision(*row) for row in connection.execute(query)]


def current_decisions(history: list[Decision]) -> dict[str, Decision]:
    """Return the latest decision per indicator."""
    latest: dict[str, Decision] = {}
    for item in history:
        latest[item.indicator] = item
    return latest
