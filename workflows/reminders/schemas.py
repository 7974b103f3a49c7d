"""Shapes of officials' in-app notifications."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from workflows.reminders.models import OfficialNotification


class NotificationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 12, "kind": "overdue", "title": "Quá hạn: Thẩm định hồ sơ — hồ sơ H60.22-261124-0001",
        "body": "Bước «Thẩm định hồ sơ» của hồ sơ H60.22-261124-0001 đã quá hạn từ 17:00 ngày 27/11/2026. "
                "Đề nghị đồng chí xử lý ngay.",
        "dossier_code": "H60.22-261124-0001", "task_id": "6f1c…", "created_at": "2026-11-27T10:00:00Z",
        "read_at": None}]})

    id: int
    kind: str  # due_soon | overdue | escalation | apology_due
    title: str
    body: str
    dossier_code: str | None
    task_id: str | None
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, row: OfficialNotification) -> NotificationOut:
        assert row.id is not None
        return cls(id=row.id, kind=row.kind, title=row.title, body=row.body, dossier_code=row.dossier_code,
                   task_id=row.task_id, created_at=row.created_at, read_at=row.read_at)


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    page: int
    page_size: int
