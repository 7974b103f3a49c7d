"""The agency tree: import from a CSV file (what an administrator exports from the province's list), list,
look up, and the names people read (the agency resolving a dossier, the desk that received it).

The CSV has the header `code,national_code,name,kind,parent_code,address,phone,email,centre_name,closed_on`
(`workflows/agencies/data/tuyen_quang_demo.csv` is the demo). An import is all or nothing: every row is
checked first and the errors name the row and the column; existing agencies are updated, none is deleted
(a former agency is closed with `closed_on`, its dossiers keep pointing at it)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from workflows.agencies.models import Agency, AgencyKind
from workflows.core.errors import NotFound, ValidationFailed

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_FILE = DATA_DIR / "tuyen_quang_demo.csv"
COLUMNS = ("code", "national_code", "name", "kind", "parent_code", "address", "phone", "email", "centre_name",
           "closed_on")
MAX_ROWS = 5000  # a province has a few hundred agencies
CODE_RE = re.compile(r"^[A-Z][0-9A-Z]{1,4}(\.[0-9A-Z]{1,6}){0,3}$")
# QĐ 20/2020/QĐ-TTg: V1V2V3.Z1Z2.Y1Y2.<level 1>, level 1 right-most (H60 a province, G09 a ministry).
NATIONAL_CODE_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")


@dataclass(frozen=True)
class ImportResult:
    created: list[str]
    updated: list[str]


def _error(line: int, column: str, message: str) -> dict[str, str]:
    return {"field": f"rows[{line}].{column}", "message": f"Dòng {line}, cột “{column}”: {message}"}


def parse_csv(text: str) -> list[dict[str, str]]:
    """The rows of an agency CSV (UTF-8, with or without BOM), header checked; 422 naming what is wrong."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed("Tệp danh sách cơ quan thiếu cột.", errors=[
            {"field": "file", "message": f"Tệp danh sách cơ quan: thiếu cột {', '.join(missing)}."}])
    rows = [{k: (v or "").strip() for k, v in row.items() if k in COLUMNS} for row in reader]
    if not rows or len(rows) > MAX_ROWS:
        raise ValidationFailed("Tệp danh sách cơ quan không có dòng nào hoặc quá nhiều dòng.", errors=[
            {"field": "file", "message": f"Tệp danh sách cơ quan: cần từ 1 đến {MAX_ROWS} dòng."}])
    return rows


def _check(rows: list[dict[str, str]], known: set[str]) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    codes = [r["code"] for r in rows]
    national = [r["national_code"] for r in rows]
    all_codes = known | set(codes)
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        if not CODE_RE.match(row["code"]):
            errors.append(_error(line, "code", "mã cơ quan không đúng dạng (ví dụ H60.22)."))
        elif codes.count(row["code"]) > 1:
            errors.append(_error(line, "code", f"mã {row['code']} xuất hiện nhiều lần."))
        if not NATIONAL_CODE_RE.match(row["national_code"]):
            errors.append(_error(line, "national_code", "mã định danh phải theo QĐ 20/2020/QĐ-TTg (ví dụ "
                                                        "000.00.22.H60)."))
        elif national.count(row["national_code"]) > 1:
            errors.append(_error(line, "national_code", f"mã định danh {row['national_code']} xuất hiện nhiều lần."))
        if not row["name"] or len(row["name"]) > 255:
            errors.append(_error(line, "name", "tên cơ quan bắt buộc, tối đa 255 ký tự."))
        if row["kind"] not in AgencyKind.__members__.values():
            kinds = ", ".join(k.value for k in AgencyKind)
            errors.append(_error(line, "kind", f"loại cơ quan không hợp lệ; chọn một trong: {kinds}."))
        if row["parent_code"] and (row["parent_code"] not in all_codes or row["parent_code"] == row["code"]):
            errors.append(_error(line, "parent_code", f"không có cơ quan cấp trên mã {row['parent_code']}."))
        if row["closed_on"]:
            try:
                date.fromisoformat(row["closed_on"])
            except ValueError:
                errors.append(_error(line, "closed_on", "ngày giải thể phải có dạng NNNN-TT-NN."))
        for column, limit in (("address", 500), ("phone", 32), ("email", 255), ("centre_name", 255)):
            if len(row[column]) > limit:
                errors.append(_error(line, column, f"tối đa {limit} ký tự."))
    return errors


def import_rows(session: Session, *, rows: list[dict[str, str]], now: datetime) -> ImportResult:
    """Create or update every agency of `rows` (parsed by `parse_csv`), or nothing when one is wrong."""
    existing = {a.code: a for a in session.exec(select(Agency)).all()}
    errors = _check(rows, set(existing))
    taken = {a.national_code: a.code for a in existing.values()}
    for line, row in enumerate(rows, start=2):
        owner = taken.get(row["national_code"])
        if owner is not None and owner != row["code"]:
            errors.append(_error(line, "national_code", f"mã định danh đã thuộc cơ quan {owner}."))
    if errors:
        raise ValidationFailed("Danh sách cơ quan có dòng không hợp lệ; chưa nhập dòng nào.", errors=errors)
    created, updated = [], []
    for row in rows:
        agency = existing.get(row["code"])
        if agency is None:
            agency = Agency(code=row["code"], national_code=row["national_code"], name=row["name"], kind=row["kind"],
                            created_at=now, updated_at=now)
            created.append(row["code"])
        else:
            updated.append(row["code"])
        agency.national_code, agency.name, agency.kind = row["national_code"], row["name"], row["kind"]
        agency.parent_code = row["parent_code"] or None
        agency.address, agency.phone = row["address"] or None, row["phone"] or None
        agency.email, agency.centre_name = row["email"] or None, row["centre_name"] or None
        agency.closed_on = date.fromisoformat(row["closed_on"]) if row["closed_on"] else None
        agency.updated_at = now
        session.add(agency)
    session.flush()
    return ImportResult(created=created, updated=updated)


def import_file(session: Session, *, path: Path, now: datetime) -> ImportResult:
    return import_rows(session, rows=parse_csv(path.read_text(encoding="utf-8")), now=now)


def list_agencies(session: Session, *, include_closed: bool = True, kind: str | None = None) -> list[Agency]:
    """Every agency, parents before their children, each level by code."""
    query = select(Agency)
    if not include_closed:
        query = query.where(col(Agency.closed_on).is_(None))
    if kind:
        query = query.where(Agency.kind == kind)
    agencies = list(session.exec(query.order_by(col(Agency.code))).all())
    by_parent: dict[str | None, list[Agency]] = {}
    codes = {a.code for a in agencies}
    for agency in agencies:
        by_parent.setdefault(agency.parent_code if agency.parent_code in codes else None, []).append(agency)
    ordered: list[Agency] = []

    def walk(parent: str | None) -> None:
        for child in by_parent.get(parent, []):
            ordered.append(child)
            walk(child.code)

    walk(None)
    return ordered


def get_agency(session: Session, *, code: str) -> Agency:
    agency = session.get(Agency, code)
    if agency is None:
        raise NotFound(f"Không tìm thấy cơ quan có mã {code}.", code="agency_not_found")
    return agency


def find(session: Session, code: str | None) -> Agency | None:
    return session.get(Agency, code) if code else None


def desk_name(agency: Agency | None, *, fallback: str) -> str:
    """Where the citizen goes for the agency's one-stop desk: "Bộ phận Một cửa, <centre>"."""
    centre = agency.centre_name if agency is not None and agency.centre_name else fallback
    return f"Bộ phận Một cửa, {centre}"


__all__ = ["COLUMNS", "DEMO_FILE", "ImportResult", "desk_name", "find", "get_agency",
           "import_file", "import_rows", "list_agencies", "parse_csv"]
