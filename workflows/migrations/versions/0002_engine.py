"""Engine tables: process_definition, process_instance, work_item, incident.

Revision ID: 0002_engine
Revises: 0001_base
Create Date: 2026-11-24
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002_engine"
down_revision = "0001_base"
branch_labels = None
depends_on = None


def _str(length: int) -> sqlmodel.AutoString:
    return sqlmodel.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "process_definition",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", _str(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", _str(64), nullable=False),
        sa.Column("filename", _str(300), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("key", "version", name="uq_process_definition_key_version"),
        sa.UniqueConstraint("key", "sha256", name="uq_process_definition_key_sha256"),
    )
    op.create_index("ix_process_definition_key", "process_definition", ["key"])

    op.create_table(
        "process_instance",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("definition_id", sa.Integer(), sa.ForeignKey("process_definition.id"), nullable=False),
        sa.Column("process_key", _str(200), nullable=False),
        sa.Column("business_key", _str(200), nullable=False),
        sa.Column("status", _str(20), nullable=False),
        sa.Column("state_json", sa.Text(), nullable=False),
        sa.Column("serializer_version", _str(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("next_timer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    )
    for column in ("definition_id", "process_key", "business_key", "status", "next_timer_at"):
        op.create_index(f"ix_process_instance_{column}", "process_instance", [column])

    op.create_table(
        "work_item",
        sa.Column("id", _str(36), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=False),
        sa.Column("business_key", _str(200), nullable=False),
        sa.Column("process_key", _str(200), nullable=False),
        sa.Column("element_id", _str(200), nullable=False),
        sa.Column("name", _str(300), nullable=True),
        sa.Column("title", _str(300), nullable=True),
        sa.Column("lane", _str(100), nullable=True),
        sa.Column("form_schema", sa.JSON(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("assignee", _str(200), nullable=True),
        sa.Column("state", _str(20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", _str(200), nullable=True),
    )
    for column in ("instance_id", "business_key", "lane", "assignee", "state", "due_at"):
        op.create_index(f"ix_work_item_{column}", "work_item", [column])

    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=False),
        sa.Column("element_id", _str(200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", _str(200), nullable=True),
    )
    op.create_index("ix_incident_instance_id", "incident", ["instance_id"])


def downgrade() -> None:
    op.drop_table("incident")
    op.drop_table("work_item")
    op.drop_table("process_instance")
    op.drop_table("process_definition")
