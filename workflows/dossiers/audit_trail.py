"""The audit trail, readable (issue 23 item 3; docs/OPERATIONS.md, "The audit trail").

`search` is the supervisors' query: who read, revealed, changed or sent what about the dossiers they
oversee, filtered by dossier, official, action and a period of Vietnam days, newest first. The agency's
supervisor (GIAM_SAT) reads the entries of the dossiers they see (`access.scope`) and the entries without a
dossier written by officials of their agency (searches by ID number, exports); the province's supervisors
(GIAM_SAT_TINH) read everything. Officials are named by full name and title, the caller's login never;
reasons and data pass through `privacy.mask_text`, so an ID or phone number an official typed into a reason
reads masked.

`ACTIONS` names each action for people and says which of the four kinds of processing (Luật 91/2025: read,
reveal, change, send) it is; the citizen's answer (`workflows.lookup.processing`) uses the same table."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from workflows import audit
from workflows.audit.models import AuditEntry
from workflows.core.clock import VN_TZ
from workflows.core.errors import ValidationFailed
from workflows.dossiers import access
from workflows.dossiers.models import Dossier
from workflows.dossiers.schemas import AuditEntryOut
from workflows.identity import naming
from workflows.identity.actor import Actor
from workflows.identity.models import Department, Official, Role
from workflows.privacy import mask_text

READ, REVEAL, CHANGE, SEND, OTHER = "read", "reveal", "change", "send", "other"
KIND_NAMES = {READ: "Xem", REVEAL: "Xem đầy đủ thông tin cá nhân", CHANGE: "Xử lý, thay đổi", SEND: "Gửi",
              OTHER: "Khác"}

ACTIONS: dict[str, tuple[str, str]] = {
    "dossier.read": (READ, "Xem hồ sơ"),
    "document.download": (READ, "Tải giấy tờ của hồ sơ"),
    "dossier.zalo_conversation": (READ, "Đọc hội thoại Zalo của người nộp"),
    "dossier.search_by_id": (READ, "Tìm hồ sơ theo số CCCD/CMND"),
    "register.export": (READ, "Xuất sổ theo dõi hồ sơ (Mẫu 07)"),
    "statistics.report": (READ, "Xem thống kê"),
    "feedback.attachment_read": (READ, "Xem ảnh kèm phản ánh"),
    "audit.search": (READ, "Tra cứu nhật ký truy cập"),
    "public.lookup_code": (READ, "Tra cứu hồ sơ theo mã"),
    "public.lookup_id": (READ, "Tra cứu hồ sơ theo số CCCD/CMND"),
    "public.lookup_name": (READ, "Tra cứu hồ sơ theo họ tên"),
    "public.lookup_own": (READ, "Tra cứu hồ sơ qua Zalo"),
    "public.documents": (READ, "Xem danh sách giấy tờ đã ban hành"),
    "public.document_download": (READ, "Tải giấy tờ đã ban hành"),
    "public.processing": (READ, "Yêu cầu biết thông tin về việc xử lý dữ liệu cá nhân"),
    "personal_data.reveal": (REVEAL, "Xem đầy đủ thông tin cá nhân của người nộp"),
    "dossier.intake": (CHANGE, "Tiếp nhận hồ sơ"),
    "dossier.supplement_online": (CHANGE, "Bổ sung hồ sơ trực tuyến"),
    "task.claim": (CHANGE, "Nhận xử lý công việc"),
    "task.unclaim": (CHANGE, "Trả lại công việc"),
    "task.complete": (CHANGE, "Hoàn thành bước xử lý"),
    "task.reassign": (CHANGE, "Giao lại công việc"),
    "delegation.create": (CHANGE, "Ủy quyền xử lý công việc"),
    "delegation.revoke": (CHANGE, "Thu hồi ủy quyền"),
    "document.upload": (CHANGE, "Đính kèm giấy tờ"),
    "dossier.apology": (CHANGE, "Lập Phiếu xin lỗi và hẹn lại (Mẫu 04)"),
    "dossier.withdraw": (CHANGE, "Rút hồ sơ theo đề nghị của người nộp"),
    "public.rating": (CHANGE, "Đánh giá mức độ hài lòng"),
    "incident.retry": (CHANGE, "Chạy lại bước bị lỗi"),
    "payment.start": (CHANGE, "Bắt đầu thanh toán trực tuyến"),
    "payment.accepted": (CHANGE, "Ghi nhận thanh toán trực tuyến"),
    "dossier.message": (SEND, "Gửi tin nhắn Zalo cho người nộp"),
    "payment.check": (SEND, "Hỏi lại nền tảng thanh toán về giao dịch"),
    "dvcqg.sync.resend": (SEND, "Gửi lại trạng thái hồ sơ lên Cổng Dịch vụ công quốc gia"),
}
MAX_PERIOD_DAYS = 366
# Keys of an entry's data whose values are logins: shown as the official's full name and title.
LOGIN_KEYS = frozenset({"from", "to", "delegate", "on_behalf_of", "official", "username", "case_officer"})


def kind_of(action: str) -> str:
    return ACTIONS.get(action, (OTHER, ""))[0]


def action_name(action: str) -> str:
    return ACTIONS.get(action, (OTHER, action))[1]


def caller_label(session: Session, actor: str) -> str:
    """Who an entry's `actor` is, as people read it: an official by full name and title; the others by kind
    (a citizen's pseudonym, an API key's prefix and the system are not people to name)."""
    if actor.startswith("public:"):
        return "Người dân (tra cứu công khai)"
    if actor.startswith("zalo:"):
        return "Người dân (qua Zalo)"
    if actor.startswith("api_key:") or actor == "dvcqg":
        return "Hệ thống kết nối (khóa API)" if actor != "dvcqg" else "Cổng Dịch vụ công quốc gia"
    if actor in ("system", "cli"):
        return "Hệ thống" if actor == "system" else "Quản trị viên trên máy chủ (dòng lệnh)"
    person = naming.describe(session, username=actor)
    return person.label if person is not None else "Cán bộ (không còn trong danh sách)"


def _masked(session: Session, value: Any, *, key: str = "") -> Any:
    if isinstance(value, str):
        return caller_label(session, value) if key in LOGIN_KEYS and value else mask_text(value)
    if isinstance(value, dict):
        return {k: _masked(session, v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(session, v, key=key) for v in value]
    return value


def period(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[start 00:00, end+1 00:00) in Vietnam time; 422 on `to` for a reversed or too long period."""
    if start and end and (end < start or (end - start).days > MAX_PERIOD_DAYS):
        raise ValidationFailed(errors=[{"field": "to", "message": "Đến ngày: khoảng thời gian không hợp lệ "
                                                                  "(từ ngày trước đến ngày, tối đa 1 năm)."}])
    return (datetime.combine(start, time.min, VN_TZ) if start else None,
            datetime.combine(end + timedelta(days=1), time.min, VN_TZ) if end else None)


def _scope(actor: Actor) -> Any:
    if actor.has_role(*access.PROVINCE_ROLES):
        return sa.true()
    agency_officials = (select(Official.username).join(Department, col(Department.id) == col(Official.department_id))
                        .where(Department.agency_code == (actor.agency_code or "")))
    return sa.or_(col(AuditEntry.dossier_code).in_(select(Dossier.code).where(access.scope(actor))),
                  sa.and_(col(AuditEntry.dossier_code).is_(None), col(AuditEntry.actor).in_(agency_officials)))


def search(
    session: Session, *, actor: Actor, now: datetime, dossier_code: str | None = None, official: str | None = None,
    action: str | None = None, start: date | None = None, end: date | None = None, page: int = 1,
    page_size: int = 50,
) -> tuple[list[AuditEntryOut], int]:
    """Entries the supervisor `actor` may read under the filters, newest first. `action` is an action
    ("personal_data.reveal") or its family ("task"); the query itself is audited (`audit.search`)."""
    since, until = period(start, end)
    where: list[Any] = [_scope(actor)]
    if dossier_code:
        where.append(AuditEntry.dossier_code == dossier_code.strip().upper())
    if official:
        where.append(AuditEntry.actor == official.strip())
    if action:
        where.append(sa.or_(AuditEntry.action == action, col(AuditEntry.action).startswith(action + ".")))
    if since is not None:
        where.append(col(AuditEntry.at) >= since)
    if until is not None:
        where.append(col(AuditEntry.at) < until)
    total = session.exec(select(func.count()).select_from(AuditEntry).where(*where)).one()
    rows = session.exec(select(AuditEntry).where(*where)
                        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
                        .offset((page - 1) * page_size).limit(page_size)).all()
    items = [AuditEntryOut(id=r.id or 0, at=r.at, action=r.action, action_name=action_name(r.action),
                       kind=kind_of(r.action), kind_name=KIND_NAMES[kind_of(r.action)],
                       by=caller_label(session, r.actor), dossier_code=r.dossier_code,
                       reason=mask_text(r.reason) if r.reason else None, data=_masked(session, r.data or {}))
             for r in rows]
    # The read of the trail is itself evidence.
    audit.record(session, actor=actor.username, action="audit.search", at=now, dossier_code=None,
                 data={"dossier_code": dossier_code, "official": official, "action": action,
                       "from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
                       "results": int(total)})
    return items, int(total)


def unit_and_role(session: Session, username: str) -> tuple[str, str]:
    """The unit an official works in and the roles they hold, for the citizen (no name)."""
    official = session.exec(select(Official).where(Official.username == username)).first()
    if official is None:
        return "Cơ quan giải quyết", ""
    department = session.get(Department, official.department_id)
    roles = ", ".join(role.label for role in Role if role.value in (official.roles or []))
    return (official.unit_name or (department.name if department else "")), roles
