"""Administrators' edits of reference data (procedure versions, the working-day calendar) and the
unlocking of officials locked out by failed logins."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status

from api.auth import Admin
from api.deps import DomainDep, SessionDep, WiringDep
from workflows.calendar import service as calendar_service
from workflows.calendar.schemas import CalendarDayIn, CalendarDayOut
from workflows.identity import roster, throttle
from workflows.identity.schemas import DepartmentOut, UnlockOut
from workflows.procedures import service as procedures
from workflows.procedures.schemas import ProcedureChanges, ProcedureOut

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])


@router.put("/procedures/{code}", response_model=ProcedureOut, summary="Sửa thủ tục (tạo phiên bản mới)")
def edit_procedure(code: str, body: ProcedureChanges, session: SessionDep, admin: Admin) -> ProcedureOut:
    version = procedures.update_procedure(session, code=code, changes=body.changes,
                                          actor=f"{admin.username}: {body.reason}")
    return procedures.to_out(version)


@router.get("/calendar/{year}", response_model=list[CalendarDayOut], summary="Các ngày điều chỉnh lịch làm việc")
def calendar_days(year: int, session: SessionDep, admin: Admin) -> list[CalendarDayOut]:
    return [CalendarDayOut.model_validate(d, from_attributes=True)
            for d in calendar_service.list_calendar_days(session, year=year)]


@router.put("/calendar/days/{day}", response_model=CalendarDayOut, summary="Đặt ngày nghỉ / ngày làm bù")
def set_day(day: date, body: CalendarDayIn, session: SessionDep, admin: Admin, domain: DomainDep) -> CalendarDayOut:
    row = calendar_service.set_calendar_day(session, day=day, kind=body.kind, legal_ref=body.legal_ref,
                                            note=body.note, actor=admin.username, clock=domain.clock)
    domain.calendars.invalidate()  # deadlines computed from now on use the edited calendar
    return CalendarDayOut.model_validate(row, from_attributes=True)


@router.delete("/calendar/days/{day}", status_code=status.HTTP_204_NO_CONTENT, summary="Xóa ngày điều chỉnh")
def delete_day(day: date, session: SessionDep, admin: Admin, domain: DomainDep) -> None:
    calendar_service.delete_calendar_day(session, day=day)
    domain.calendars.invalidate()


@router.get("/departments", response_model=list[DepartmentOut],
            summary="Các phòng, ban (chọn khi tạo cán bộ), kèm cơ quan")
def list_departments(session: SessionDep, admin: Admin) -> list[DepartmentOut]:
    return roster.departments(session)


@router.post("/officials/{username}/unlock", response_model=UnlockOut,
             summary="Mở khóa đăng nhập của cán bộ (sau nhiều lần đăng nhập sai)",
             responses={404: {"description": "Không có cán bộ này (official_not_found)"}})
def unlock_official(username: str, session: SessionDep, admin: Admin, wiring: WiringDep) -> UnlockOut:
    was_locked = throttle.unlock(session, username=username, actor=admin.username, now=wiring.clock.now(),
                                 secret=wiring.settings.crypto.hmac_key.get_secret_value())
    return UnlockOut(username=username, was_locked=was_locked)
