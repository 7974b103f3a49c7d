"""Dossier tables: the dossier with its (encrypted) applicant, the daily code sequence, the control log
(Phiếu kiểm soát quá trình) and the audit trail of officials' reads and actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflows.core.columns import timestamp as _ts


class Dossier(SQLModel, table=True):
    __tablename__ = "dossier"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    # The competent agency (DonViXuLy) and its department that resolve the dossier (the procedure's
    # competence); the receiving point is separate (issue 20): the agency whose desk received it (its code
    # starts the dossier code) and that desk's department, which also hands the result back.
    agency_code: str = Field(max_length=40, index=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    received_agency_code: str = Field(max_length=40, index=True)
    received_department_id: int = Field(foreign_key="department.id", index=True)
    # Where the dossier is now, for a liên thông dossier whose steps run in several agencies.
    current_agency_code: str = Field(max_length=40)
    procedure_version_id: int = Field(foreign_key="procedure_version.id")
    procedure_code: str = Field(max_length=64, index=True)
    process_key: str = Field(max_length=100)
    instance_id: int | None = Field(default=None, index=True)
    channel: str = Field(max_length=16)
    status: str = Field(max_length=32, index=True)
    national_status: int = Field(index=True)

    applicant_kind: str = Field(default="person", max_length=16)
    applicant_name: str = Field(max_length=255)
    applicant_name_search: str = Field(max_length=255, index=True)  # lower-case, unaccented
    applicant_id_enc: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    applicant_id_hash: str | None = Field(default=None, max_length=64, index=True)
    applicant_phone_enc: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    applicant_phone_hash: str | None = Field(default=None, max_length=64, index=True)
    applicant_email_enc: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    applicant_address_enc: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    representative_enc: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    documents: list[dict[str, Any]] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    # Where the applicant registered at intake to receive the result (Mẫu 01 item 6); None: at the desk.
    result_delivery: str | None = Field(default=None, max_length=16)
    # Facts declared at intake that decide the fee ({"so_phong": 5, "dia_ban": "thanh_pho_thi_xa"}).
    intake_facts: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))

    notify_zalo: bool = Field(default=False)
    zalo_consent_at: datetime | None = _ts()
    zalo_user_id: str | None = Field(default=None, max_length=64, index=True)
    # Paid on the DVCQG payment platform (DuocThanhToanTrucTuyen); the payment itself is workflows/payments.
    paid_online: bool = Field(default=False)

    submitted_at: datetime = _ts(nullable=False)
    accepted_at: datetime | None = _ts()
    due_at: datetime | None = _ts(index=True)
    original_due_at: datetime | None = _ts()
    calendar_version: str | None = Field(default=None, max_length=32)
    paused_at: datetime | None = _ts()
    paused_hours: float = Field(default=0.0)
    supplement_count: int = Field(default=0)
    supplement_override_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    counted_late: bool = Field(default=False)
    apology_count: int = Field(default=0)
    finished_at: datetime | None = _ts(index=True)
    returned_at: datetime | None = _ts()
    result_number: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=100)
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
    # Online submission (issue 19): pushed by DVCQG (its MaHoSo is our code), the applicant's DVCQG account
    # authenticated with VNeID (TaiKhoanDuocXacThucVoiVNeID), and that account's TechID (MaDoiTuong).
    submitted_on_dvcqg: bool = Field(default=False)
    vneid_verified: bool = Field(default=False)
    applicant_tech_id: str | None = Field(default=None, max_length=64)
    dvcqg_push_sha256: str | None = Field(default=None, max_length=64)  # the push's content: a repeat is a no-op
    # When the retention job anonymised the applicant's personal data (workflows/retention.py); None: not yet.
    personal_data_erased_at: datetime | None = _ts(index=True)

    __table_args__ = (
        sa.Index("ix_dossier_department_status", "department_id", "status"),
        sa.Index("ix_dossier_name_procedure", "applicant_name_search", "procedure_code"),
    )


class DossierCodeSequence(SQLModel, table=True):
    """The daily sequence per agency: `last` is the highest number handed out for that day."""

    __tablename__ = "dossier_code_sequence"

    agency_code: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True)
    last: int = Field(default=0)


class FormNumberSequence(SQLModel, table=True):
    """The number register of issued forms: per agency, per year and per form, `last` is the highest
    number handed out (Mẫu 01 "Số: 15/TNHS" is the 15th receipt of the year)."""

    __tablename__ = "form_number_sequence"

    agency_code: str = Field(primary_key=True, max_length=40)
    year: int = Field(primary_key=True)
    form_code: str = Field(primary_key=True, max_length=16)
    last: int = Field(default=0)


class ControlLogEntry(SQLModel, table=True):
    """One append-only row per hand-over (Mẫu 06): from whom, to whom, when, the step's due time."""

    __tablename__ = "control_log"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    step: str = Field(max_length=64)
    step_name: str = Field(max_length=255)
    from_actor: str | None = Field(default=None, max_length=255)
    from_unit: str | None = Field(default=None, max_length=255)
    to_actor: str | None = Field(default=None, max_length=255)
    to_unit: str | None = Field(default=None, max_length=255)
    at: datetime = _ts(nullable=False)
    due_at: datetime | None = _ts()
    on_time: bool | None = Field(default=None)
    note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
