"""The number register of issued forms: "Số: 15/TNHS" on a Mẫu 01 is the 15th receipt the agency issued
that year. One sequence per agency, year and form, taken with one atomic upsert (as the dossier codes),
so concurrent issues never share a number; a rolled-back issue gives its number back."""

from __future__ import annotations

from sqlmodel import Session

from workflows.core.db import increment
from workflows.documents.context import FormCode
from workflows.dossiers.models import FormNumberSequence

_TABLE = FormNumberSequence.__table__  # type: ignore[attr-defined]

# The symbol after the number (Số …/TNHS); Mẫu 06 and 07 are not numbered (they carry no "Số").
SYMBOLS: dict[FormCode, str] = {
    FormCode.MAU_01: "TNHS",  # tiếp nhận hồ sơ
    FormCode.MAU_02: "HDHS",  # hướng dẫn (bổ sung, hoàn thiện) hồ sơ
    FormCode.MAU_03: "TCHS",  # từ chối hồ sơ
    FormCode.MAU_04: "XLHS",  # xin lỗi
    FormCode.MAU_05: "DGQHS",  # dừng giải quyết hồ sơ
}


def next_number(session: Session, *, agency_code: str, year: int, form: FormCode) -> int:
    """The next number (1, 2, …) of `form` for `agency_code` in `year`, in the caller's transaction."""
    key = {"agency_code": agency_code, "year": year, "form_code": form.value}
    return increment(session, _TABLE, key=key, counter="last")


def issue_number(session: Session, *, agency_code: str, year: int, form: FormCode) -> tuple[str, int] | None:
    """("15/TNHS", 15) for a numbered form, None for Mẫu 06 and 07."""
    symbol = SYMBOLS.get(form)
    if symbol is None:
        return None
    number = next_number(session, agency_code=agency_code, year=year, form=form)
    return f"{number}/{symbol}", number
