"""Officials' reminder texts (Vietnamese), one title and body per reminder kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from workflows.core.clock import to_local
from workflows.reminders.models import APOLOGY_DUE, DUE_SOON, ESCALATION, OVERDUE


@dataclass(frozen=True)
class ReminderText:
    title: str
    body: str


def when(instant: datetime) -> str:
    """'14:45 ngày 30/04/2026' in Vietnam time."""
    return to_local(instant).strftime("%H:%M ngày %d/%m/%Y")


def render(kind: str, *, code: str, step: str, due_at: datetime, hours_left: float = 0.0,
           handler: str = "") -> ReminderText:
    if kind == DUE_SOON:
        return ReminderText(
            title=f"Sắp đến hạn: {step} — hồ sơ {code}",
            body=(f"Bước «{step}» của hồ sơ {code} đến hạn lúc {when(due_at)} "
                  f"(còn khoảng {hours_left:.1f} giờ làm việc). Đề nghị đồng chí hoàn thành đúng hạn."),
        )
    if kind == OVERDUE:
        return ReminderText(
            title=f"Quá hạn: {step} — hồ sơ {code}",
            body=f"Bước «{step}» của hồ sơ {code} đã quá hạn từ {when(due_at)}. Đề nghị đồng chí xử lý ngay.",
        )
    if kind == ESCALATION:
        return ReminderText(
            title=f"Hồ sơ {code} trễ hạn tại bước {step}",
            body=(f"Bước «{step}» của hồ sơ {code} ({handler or 'chưa giao cán bộ'}) đã quá hạn từ "
                  f"{when(due_at)}. Đề nghị lãnh đạo phòng đôn đốc xử lý."),
        )
    if kind == APOLOGY_DUE:
        return ReminderText(
            title=f"Hồ sơ {code} sắp đến ngày hẹn trả kết quả",
            body=(f"Hồ sơ {code} hẹn trả kết quả lúc {when(due_at)}. Nếu không thể trả đúng hẹn, đề nghị "
                  "lập Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04) gửi tổ chức, cá nhân "
                  "trước thời hạn."),
        )
    raise ValueError(f"unknown reminder kind {kind!r}")


def reassigned(*, code: str, step: str, by: str, reason: str, due_at: datetime | None) -> ReminderText:
    """To the official a division head gave a task to."""
    due = f" Hạn xử lý: {when(due_at)}." if due_at is not None else ""
    return ReminderText(
        title=f"Được giao lại: {step} — hồ sơ {code}",
        body=f"{by} đã giao lại cho đồng chí bước «{step}» của hồ sơ {code}.{due} Lý do: {reason}",
    )


def delegated(*, delegator: str, starts_on: date, ends_on: date, reason: str, tasks: int) -> ReminderText:
    """To the official who stands in for a colleague on leave."""
    return ReminderText(
        title=f"Được ủy quyền xử lý công việc thay {delegator.split(',')[0]}",
        body=(f"{delegator} ủy quyền cho đồng chí xử lý công việc từ ngày {starts_on:%d/%m/%Y} đến hết ngày "
              f"{ends_on:%d/%m/%Y} (hiện có {tasks} công việc). Các công việc này hiển thị trong mục «Của tôi», "
              f"ghi «Thay …». Lý do: {reason}"),
    )
