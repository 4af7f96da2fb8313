"""Teams: a lead leads a team of managers."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import Model
from server.models_base import Timestamps, UUIDPk, Versioned


class Team(UUIDPk, Versioned, Timestamps, Model):
    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # The lead lets the team's managers see their rank in "My numbers".
    show_rank: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    members = relationship("User", back_populates="team", order_by="User.username")

    def __repr__(self) -> str:
        return f"<Team {self.name}>"
