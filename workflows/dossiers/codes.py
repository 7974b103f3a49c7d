"""Dossier codes `<agency>-YYMMDD-NNNN` (TT 01/2018 Điều 19): the daily sequence per agency is taken with
one atomic upsert, so concurrent intakes never share a number."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from workflows.core.db import increment
from workflows.core.errors import BadRequest
from workflows.dossiers.models import DossierCodeSequence

_TABLE = DossierCodeSequence.__table__  # type: ignore[attr-defined]


def next_sequence(session: Session, *, agency_code: str, day: date) -> int:
    """Hand out the next number of `day` for `agency_code` (1, 2, …), atomically in the caller's transaction."""
    return increment(session, _TABLE, key={"agency_code": agency_code, "day": day}, counter="last")


def format_code(template: str, *, agency_code: str, day: date, seq: int) -> str:
    """Render the configured template; `{agency}`, `{yymmdd}`, `{yyyymmdd}` and `{seq}` are available."""
    try:
        return template.format(
            agency=agency_code, yymmdd=day.strftime("%y%m%d"), yyyymmdd=day.strftime("%Y%m%d"), seq=seq
        )
    except (KeyError, ValueError, IndexError) as exc:
        raise BadRequest(f"Mẫu mã hồ sơ không hợp lệ: {template}", code="bad_code_template") from exc


def new_code(session: Session, *, template: str, agency_code: str, day: date) -> str:
    return format_code(template, agency_code=agency_code, day=day,
                       seq=next_sequence(session, agency_code=agency_code, day=day))


def is_dossier_code(text: str) -> bool:
    """A loose check for citizen input: agency part, 6 digits, 4+ digits."""
    parts = text.strip().upper().rsplit("-", 2)
    return len(parts) == 3 and parts[0] != "" and parts[1].isdigit() and len(parts[1]) in (6, 8) \
        and parts[2].isdigit() and len(parts[2]) >= 4


__all__ = ["format_code", "is_dossier_code", "new_code", "next_sequence"]
