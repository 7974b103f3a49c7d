"""The province's agencies (issue 20): the `agency` table; a department's unit key; a dossier's receiving
point (agency and department) kept apart from the competent agency, and where it is now; a procedure's
competence. Existing data is carried over: every agency code the departments name becomes an agency (named
by the deployment's settings, `MOTCUA_AGENCY_NAME`, when it is the configured one), a department coded
PHONG_<unit> gets that unit key, and every dossier was received where it is resolved.

Revision ID: 0027_agencies
Revises: 0026_dvcqg_payments
Create Date: 2026-12-05
"""

import os
import re
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0027_agencies"
down_revision = "0026_dvcqg_payments"
branch_labels = None
depends_on = None

DEFAULT_CODE = "H60.22"
DEFAULT_NAME = "Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang"
DEFAULT_CENTRE = "Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang"


def _national(code: str) -> str:
    """QĐ 20/2020 form of a short code (H60.22 → 000.00.22.H60); the administrator's import corrects it."""
    head, _, tail = code.partition(".")
    if re.fullmatch(r"[A-Z]\d{2}", head) and re.fullmatch(r"\d{1,2}", tail or "0"):
        return f"000.00.{(tail or '0').zfill(2)}.{head}"
    return f"000.00.00.{head[:3]}"


def upgrade() -> None:
    agency = op.create_table(
        "agency",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("national_code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(40), nullable=True, index=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(255), nullable=True),
        sa.Column("centre_name", sa.String(255), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    bind = op.get_bind()
    codes = [row[0] for row in bind.execute(sa.text("SELECT DISTINCT agency_code FROM department"))]
    configured = os.environ.get("MOTCUA_AGENCY_CODE", DEFAULT_CODE)
    now = datetime.now(UTC)
    rows, seen = [], set()
    for code in codes:
        national = _national(code)
        if national in seen:  # two unusual codes folding to one identifier: keep them apart
            national = f"000.{len(seen):02d}.00.{code[:3]}"
        seen.add(national)
        own = code == configured
        rows.append({"code": code, "national_code": national, "kind": "so", "created_at": now, "updated_at": now,
                     "name": os.environ.get("MOTCUA_AGENCY_NAME", DEFAULT_NAME) if own else code,
                     "centre_name": os.environ.get("MOTCUA_CENTRE_NAME", DEFAULT_CENTRE)})
    if rows:
        op.bulk_insert(agency, rows)

    with op.batch_alter_table("department") as batch:
        batch.add_column(sa.Column("unit_key", sa.String(32), nullable=True))
        batch.create_index("ix_department_agency_code", ["agency_code"])

    # Departments coded PHONG_<unit> (the convention so far) get that unit: the catalogue's procedures name
    # their handling unit by it (competence.unit), so an upgraded installation keeps routing its dossiers.
    op.execute("UPDATE department SET unit_key = substr(code, 7) WHERE code LIKE 'PHONG!_%' ESCAPE '!' "
               "AND length(code) <= 38")
    with op.batch_alter_table("procedure_version") as batch:
        batch.add_column(sa.Column("competence", sa.JSON(), nullable=True))

    with op.batch_alter_table("dossier") as batch:
        batch.add_column(sa.Column("received_agency_code", sa.String(40), nullable=True))
        batch.add_column(sa.Column("received_department_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("current_agency_code", sa.String(40), nullable=True))
    op.execute("UPDATE dossier SET received_agency_code = agency_code, received_department_id = department_id, "
               "current_agency_code = agency_code")
    with op.batch_alter_table("dossier") as batch:
        batch.alter_column("received_agency_code", existing_type=sa.String(40), nullable=False)
        batch.alter_column("received_department_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("current_agency_code", existing_type=sa.String(40), nullable=False)
        batch.create_foreign_key("fk_dossier_received_department_id_department", "department",
                                 ["received_department_id"], ["id"])
        batch.create_index("ix_dossier_received_agency_code", ["received_agency_code"])
        batch.create_index("ix_dossier_received_department_id", ["received_department_id"])
        batch.create_index("ix_dossier_agency_code", ["agency_code"])


def downgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.drop_index("ix_dossier_agency_code")
        batch.drop_index("ix_dossier_received_department_id")
        batch.drop_index("ix_dossier_received_agency_code")
        batch.drop_constraint("fk_dossier_received_department_id_department", type_="foreignkey")
        batch.drop_column("current_agency_code")
        batch.drop_column("received_department_id")
        batch.drop_column("received_agency_code")
    with op.batch_alter_table("procedure_version") as batch:
        batch.drop_column("competence")
    with op.batch_alter_table("department") as batch:
        batch.drop_index("ix_department_agency_code")
        batch.drop_column("unit_key")
    op.drop_table("agency")
