"""The satisfaction rating table (one row per rated dossier)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflows.core.columns import timestamp as _ts


class SatisfactionRating(SQLModel, table=True):
    """A citizen's rating of a finished dossier (QĐ 766 satisfaction indicator): one per dossier, given
    behind the lookup's second factor. No personal data: the comment is the citizen's own words."""

    __tablename__ = "satisfaction_rating"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", unique=True)  # unique: a second rating is refused
    level: str = Field(max_length=16)  # rat_hai_long | hai_long | khong_hai_long
    criteria: dict[str, str] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    comment: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    rated_at: datetime = _ts(nullable=False, index=True)
