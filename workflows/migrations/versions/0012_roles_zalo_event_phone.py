"""zalo_event: phone numbers kept in clear by delivery events of templates sent by phone are masked.

A delivery receipt names the phone as its recipient (ZALO_API.md §9.8); it was stored as `user_id` and in
the dedupe key. New rows hold the keyed hash (api/routers/zalo.py); the data key is not at hand here, so
rows already written get the masked number (`8491****678`). They are pruned after the replay window.

Revision ID: 0012_roles_zalo_event_phone
Revises: 0011_task_list_indexes
Create Date: 2026-12-04
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0012_roles_zalo_event_phone"
down_revision = "0011_task_list_indexes"
branch_labels = None
depends_on = None

_PHONE = re.compile(r"\+?84\d{9,10}|0\d{9,10}")


def _mask(phone: str) -> str:
    digits = phone.lstrip("+")
    digits = "84" + digits[1:] if digits.startswith("0") else digits
    return digits[:4] + "*" * (len(digits) - 7) + digits[-3:]


def upgrade() -> None:
    connection = op.get_bind()
    events = sa.table("zalo_event", sa.column("id", sa.Integer), sa.column("user_id", sa.String),
                      sa.column("event_key", sa.String))
    rows = connection.execute(sa.select(events.c.id, events.c.user_id, events.c.event_key)).all()
    for row in rows:
        if row.user_id is None or not _PHONE.fullmatch(row.user_id):
            continue
        masked = _mask(row.user_id)
        connection.execute(events.update().where(events.c.id == row.id).values(
            user_id=masked, event_key=row.event_key.replace(row.user_id, masked)))


def downgrade() -> None:
    pass  # the numbers are not kept anywhere to put back
