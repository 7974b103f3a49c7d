"""Where a dossier goes (issue 20): the receiving point and the competent agency are separate. The desk that
received it (its department and agency) starts the dossier code and hands the result back; the procedure's
competence names the agency that decides and the unit (department) that handles it there, whichever desk
received it. A procedure without competence (a catalogue from before agencies) is decided by the desk's
own agency and department."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from workflows.agencies.models import Agency
from workflows.core.errors import ValidationFailed
from workflows.identity.models import Department
from workflows.procedures.models import ProcedureVersion

DESK_UNIT = "MOT_CUA"  # the unit key of an agency's one-stop desk (a commune's TTPVHCC)


@dataclass(frozen=True)
class Route:
    received_agency_code: str
    received_department: Department
    agency_code: str  # the competent agency
    department: Department  # its handling department


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code="no_competent_agency", errors=[{"field": field, "message": message}])


def competent_agency(session: Session, *, procedure: ProcedureVersion, desk_agency: str,
                     chosen: str | None, field: str = "competent_agency_code") -> str:
    """The code of the agency that decides `procedure` for a dossier received at `desk_agency`; `chosen` is
    the commune the applicant named for a commune-level procedure (else the receiving commune)."""
    competence = procedure.competence
    if competence is None:
        if chosen and chosen != desk_agency:
            raise _refuse(field, "Cơ quan giải quyết: thủ tục này do cơ quan tiếp nhận giải quyết.")
        return desk_agency
    if competence["level"] == "tinh":
        if chosen and chosen != competence["agency"]:
            raise _refuse(field, f"Cơ quan giải quyết: thủ tục này do cơ quan {competence['agency']} giải quyết.")
        return str(competence["agency"])
    code = chosen or desk_agency
    agency = session.get(Agency, code)
    if agency is None or agency.level != "xa" or agency.closed_on is not None:
        raise _refuse(field, "Cơ quan giải quyết: thủ tục cấp xã cần nêu xã, phường giải quyết (mã cơ quan "
                             "của Ủy ban nhân dân xã, phường đang hoạt động).")
    return code


def handling_department(session: Session, *, procedure: ProcedureVersion, agency_code: str,
                        desk: Department, field: str = "procedure_code") -> Department:
    competence = procedure.competence
    if competence is None:
        return desk
    department = session.exec(select(Department).where(
        Department.agency_code == agency_code, Department.unit_key == competence["unit"])).first()
    if department is None:
        agency = session.get(Agency, agency_code)
        name = agency.name if agency is not None else agency_code
        raise _refuse(field, f"Thủ tục hành chính: {name} chưa có phòng, ban ({competence['unit']}) giải quyết "
                             "thủ tục này; quản trị viên cần cấu hình.")
    return department


def route(session: Session, *, procedure: ProcedureVersion, desk: Department,
          chosen_agency: str | None = None, field: str = "competent_agency_code") -> Route:
    """The route of a dossier of `procedure` received at `desk` (the receiving official's or key's
    department); 422 naming `field` when no agency or department can decide it."""
    desk_agency = session.get(Agency, desk.agency_code)
    if desk_agency is not None and desk_agency.closed_on is not None:
        raise _refuse("department_code", f"Phòng tiếp nhận: {desk_agency.name} đã giải thể, không tiếp nhận hồ sơ.")
    agency_code = competent_agency(session, procedure=procedure, desk_agency=desk.agency_code,
                                   chosen=chosen_agency, field=field)
    department = handling_department(session, procedure=procedure, agency_code=agency_code, desk=desk)
    return Route(received_agency_code=desk.agency_code, received_department=desk, agency_code=agency_code,
                 department=department)


def desk_of(session: Session, *, agency_code: str) -> Department | None:
    """The one-stop desk department of an agency (unit MOT_CUA), if it has one."""
    return session.exec(select(Department).where(Department.agency_code == agency_code,
                                                 Department.unit_key == DESK_UNIT)).first()
