"""The `agency` table: one row per agency of the province's tree (UBND tỉnh, its Sở and offices, the
provincial service centre, the communes and wards), loaded as data (`workflows/agencies/service.py`)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflows.core.columns import timestamp as _ts


class AgencyKind(StrEnum):
    """What an agency is; the Vietnamese label is what officials read (`label`)."""

    UBND_TINH = "ubnd_tinh"
    SO = "so"  # Sở, ban, ngành and offices of the province (Văn phòng UBND tỉnh included)
    TTPVHCC_TINH = "ttpvhcc_tinh"
    UBND_XA = "ubnd_xa"
    UBND_PHUONG = "ubnd_phuong"
    HUYEN_CU = "huyen_cu"  # a former district (closed on 1/7/2025), kept for its old dossiers

    @property
    def label(self) -> str:
        return KIND_LABELS[self]

    @property
    def level(self) -> str:
        """`tinh` or `xa`: the two levels of local government since 1/7/2025 (a former district: `huyen`)."""
        if self in (AgencyKind.UBND_XA, AgencyKind.UBND_PHUONG):
            return "xa"
        return "huyen" if self is AgencyKind.HUYEN_CU else "tinh"


KIND_LABELS = {
    AgencyKind.UBND_TINH: "Ủy ban nhân dân tỉnh",
    AgencyKind.SO: "Sở, ban, ngành cấp tỉnh",
    AgencyKind.TTPVHCC_TINH: "Trung tâm Phục vụ hành chính công tỉnh",
    AgencyKind.UBND_XA: "Ủy ban nhân dân xã",
    AgencyKind.UBND_PHUONG: "Ủy ban nhân dân phường",
    AgencyKind.HUYEN_CU: "Huyện (đã giải thể)",
}


class Agency(SQLModel, table=True):
    """`code` is the short code our dossier codes carry (`H60.22-261205-0001`); `national_code` the mã định
    danh of QĐ 20/2020/QĐ-TTg (`000.00.22.H60`) the national portal knows. `centre_name` is where the
    agency's one-stop desk sits (the provincial centre for a Sở, the commune's own TTPVHCC); an agency
    without one receives no dossier. A closed agency (`closed_on`) keeps its dossiers but receives none."""

    __tablename__ = "agency"

    code: str = Field(primary_key=True, max_length=40)
    national_code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=255)
    kind: str = Field(max_length=16)
    parent_code: str | None = Field(default=None, max_length=40, index=True)
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=255)
    centre_name: str | None = Field(default=None, max_length=255)
    closed_on: date | None = Field(default=None, sa_column=sa.Column(sa.Date, nullable=True))
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)

    @property
    def level(self) -> str:
        return AgencyKind(self.kind).level

    @property
    def receives(self) -> bool:
        return self.centre_name is not None and self.closed_on is None
