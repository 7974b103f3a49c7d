"""What the API shows of an agency."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from workflows.agencies.models import Agency, AgencyKind


class AgencyOut(BaseModel):
    code: str = Field(description="Mã cơ quan trong mã hồ sơ", examples=["H60.22"])
    national_code: str = Field(description="Mã định danh (QĐ 20/2020/QĐ-TTg)", examples=["000.00.22.H60"])
    name: str = Field(examples=["Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang"])
    kind: str = Field(examples=["so"])
    kind_name: str = Field(examples=["Sở, ban, ngành cấp tỉnh"])
    level: str = Field(description="tinh | xa | huyen (đã giải thể)", examples=["tinh"])
    parent_code: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    centre_name: str | None = Field(default=None, description="Nơi đặt Bộ phận Một cửa; không có: không tiếp nhận")
    receives_dossiers: bool
    closed_on: date | None = None

    @classmethod
    def of(cls, agency: Agency) -> AgencyOut:
        kind = AgencyKind(agency.kind)
        return cls(code=agency.code, national_code=agency.national_code, name=agency.name, kind=kind.value,
                   kind_name=kind.label, level=kind.level, parent_code=agency.parent_code, address=agency.address,
                   phone=agency.phone, email=agency.email, centre_name=agency.centre_name,
                   receives_dossiers=agency.receives, closed_on=agency.closed_on)


class ImportOut(BaseModel):
    created: list[str]
    updated: list[str]
