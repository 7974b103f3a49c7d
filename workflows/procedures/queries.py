"""The procedure catalogue as citizens read it (Dịch vụ công): documents, fees, time limit, where to
submit."""

from __future__ import annotations

from sqlmodel import Session

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


def where_to_submit(agency_name: str, centre_name: str) -> str:
    return (
        f"Nộp trực tiếp tại Bộ phận Một cửa – {centre_name} "
        f"(quầy của {agency_name}), "
        "qua dịch vụ bưu chính công ích, hoặc trực tuyến trên Cổng Dịch vụ công."
    )


def public_catalogue(
    session: Session, *, agency_name: str, centre_name: str, query: str | None = None,
) -> list[PublicProcedure]:
    """Current procedures, optionally filtered by words of the name or field (accents ignored)."""
    where = where_to_submit(agency_name, centre_name)
    items = [public_procedure(v, where=where) for v in list_current(session)]
    if not query:
        return items
    words = search_key(query).split()
    return [p for p in items if all(w in search_key(f"{p.name} {p.field} {p.code}") for w in words)]
