"""The procedure catalogue as citizens read it (Dịch vụ công): documents, fees, time limit, where to
submit."""

from __future__ import annotations

from sqlmodel import Session, select

from workflows.agencies.models import Agency
from workflows.core.text import search_key
from workflows.procedures.models import ProcedureVersion
from workflows.procedures.schemas import PublicProcedure
from workflows.procedures.service import list_current

UNITS = {"working_days": "ngày làm việc", "calendar_days": "ngày", "working_hours": "giờ làm việc"}
KINDS = {"original": "bản chính", "copy": "bản sao", "certified_copy": "bản sao có chứng thực"}


def _fee(fee: dict[str, object]) -> str:
    amount = fee.get("amount")
    text = (
        f"{fee.get('name')}: {int(amount):,} đồng".replace(",", ".")
        if isinstance(amount, int)
        else f"{fee.get('name')}"
    )
    return f"{text} ({fee['condition']})" if fee.get("condition") else text


def public_procedure(version: ProcedureVersion, *, where: str) -> PublicProcedure:
    return PublicProcedure(
        code=version.code,
        name=version.name,
        field=version.field,
        authority=version.authority,
        time_limit=f"{version.time_limit_value} {UNITS.get(version.time_limit_unit, 'ngày')}",
        fees=[_fee(f) for f in version.fees] or ["Không thu phí, lệ phí"],
        documents=[
            f"{d['name']} ({KINDS.get(str(d.get('kind')), d.get('kind'))}, {d.get('count', 1)} bản)"
            for d in version.documents
        ],
        result=version.result,
        where_to_submit=where,
    )


COMMUNE_CENTRES = "Trung tâm Phục vụ hành chính công của bất kỳ xã, phường nào trong tỉnh"


def where_to_submit(agency_name: str, centre_name: str, *, level: str = "tinh") -> str:
    """Where a citizen submits: a provincial procedure at the provincial centre's desk of the agency (or any
    commune's centre, which forwards it), a commune-level one at any commune's centre (issue 20)."""
    if level == "xa":
        return (f"Nộp trực tiếp tại {COMMUNE_CENTRES} (hồ sơ được chuyển đến xã, phường có thẩm quyền giải quyết) "
                "hoặc qua dịch vụ bưu chính công ích.")
    return (
        f"Nộp trực tiếp tại Bộ phận Một cửa – {centre_name} "
        f"(quầy của {agency_name}) hoặc tại {COMMUNE_CENTRES}, "
        "qua dịch vụ bưu chính công ích, hoặc trực tuyến trên Cổng Dịch vụ công."
    )


def public_catalogue(
    session: Session, *, agency_name: str, centre_name: str, query: str | None = None,
) -> list[PublicProcedure]:
    """Current procedures, optionally filtered by words of the name or field (accents ignored)."""
    names = {a.code: a.name for a in session.exec(select(Agency)).all()}

    def where(version: ProcedureVersion) -> str:
        competence = version.competence or {}
        return where_to_submit(names.get(competence.get("agency") or "", agency_name), centre_name,
                               level=competence.get("level", "tinh"))

    items = [public_procedure(v, where=where(v)) for v in list_current(session)]
    if not query:
        return items
    words = search_key(query).split()
    return [p for p in items if all(w in search_key(f"{p.name} {p.field} {p.code}") for w in words)]
