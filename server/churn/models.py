"""A training run: what was learned, from which months, how well it did, and whether
it is the one predicting (docs/churn.md, "Runs")."""

import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from server.extensions import Model
from server.models_base import UTCDateTime, UUIDPk, enum_type, utcnow


class RunStatus(enum.StrEnum):
    ACTIVE = "active"  # predicting now (one per segment)
    RETIRED = "retired"  # was active; a later run replaced it
    NOT_ACTIVATED = "not_activated"  # did no better than the rules alone


class ChurnRun(UUIDPk, Model):
    __tablename__ = "churn_runs"

    # Whose customers it learned from and predicts for: all, individual, organisation.
    segment: Mapped[str] = mapped_column(sa.String(20), index=True)
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus), index=True)
    # Why a run was not activated (a code: worse_than_rules).
    not_activated_reason: Mapped[str | None] = mapped_column(sa.String(40))
    # The months whose features it learned from, and the later ones it was tested on.
    trained_from: Mapped[date]
    trained_to: Mapped[date]
    tested_from: Mapped[date]
    tested_to: Mapped[date]
    window_months: Mapped[int]
    warnings_per_manager: Mapped[int]
    settings: Mapped[dict] = mapped_column(sa.JSON)
    # rows and leavers per split; per model and for the combination and the rules:
    # ROC AUC, precision/recall/lift at k per manager, calibration.
    metrics: Mapped[dict] = mapped_column(sa.JSON)
    importances: Mapped[dict] = mapped_column(sa.JSON)
    rules: Mapped[list[dict]] = mapped_column(sa.JSON)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    # Who started the training (None: the command line).
    created_by = relationship("User", foreign_keys=[created_by_id])
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The fitted models (server/churn/learn.py: Models), pickled; loaded only to predict.
    model: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
