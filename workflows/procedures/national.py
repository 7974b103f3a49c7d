"""Refreshing the procedure catalogue from the national database (CSDLQG về TTHC, DVCQG `LayThuTuc`).

For each current procedure with a `national_code`, the national record is fetched and compared with our
current version, field by field: the name, the time limit, the fees and the dossier components. `preview`
shows the differences (nothing is written) with a fingerprint of exactly what was shown; `apply` fetches
again, refuses (409) unless the fingerprint is the same (so nothing applies that the administrator did not
see), then writes version n+1 of each chosen procedure through the ordinary versioning
(`service.update_procedure`) and audits it. A DVCQG failure is an UpstreamUnavailable (503) or
UpstreamRefused (502) before anything is written; the caller owns the transaction.

What is taken from the national record when applied:
- `name` ← TENTTHC;
- `time_limit` ← THOIGIANGIAIQUYET and DONVITINH (connectors/dvcqg/catalogue.py maps the unit);
- `fees` ← PHILEPHI: name, amount, condition (MOTA); a fee equal in name and condition to one of ours keeps
  our `when` rule;
- `documents` ← THANHPHANHOSO: a component named as one of ours keeps our entry; a new one is an
  "original" when SOBANCHINH > 0, else a "copy", with the larger count.
Result codes (KETQUATHUCHIEN) and agencies are read but not compared: our catalogue does not hold them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import Session

from connectors.dvcqg import DvcqgAuthFailed, DvcqgClient, DvcqgRefused, DvcqgUnavailable
from connectors.dvcqg.catalogue import CatalogueWireError, NationalProcedure, parse_procedure
from workflows.audit import service as audit
from workflows.core.clock import Clock
from workflows.core.errors import Conflict, UpstreamRefused, UpstreamUnavailable, ValidationFailed
from workflows.procedures import service
from workflows.procedures.models import ProcedureVersion
from workflows.procedures.spec import UNIT_WORDS, parse_spec

UNIT_LABELS = {unit.value: word for unit, word in UNIT_WORDS.items()}
LABELS = {"name": "Tên thủ tục", "time_limit": "Thời hạn giải quyết", "fees": "Phí, lệ phí",
          "documents": "Thành phần hồ sơ"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str  # Vietnamese
    ours: str
    national: str


@dataclass(frozen=True)
class ProcedureChanges:
    procedure_code: str
    national_code: str
    version: int
    changes: list[FieldChange]
    problem: str | None  # why the national record cannot be applied (then `changes` may be empty)
    new_values: dict[str, Any]  # what `apply` would write (not shown)


@dataclass(frozen=True)
class CataloguePreview:
    procedures: list[ProcedureChanges]
    fingerprint: str


def _fee_text(fee: dict[str, Any]) -> str:
    amount = "chưa có mức thu" if fee.get("amount") is None else f"{fee['amount']:,}".replace(",", ".") + " đồng"
    condition = f" ({fee['condition']})" if fee.get("condition") else ""
    return f"{fee['name']}{condition}: {amount}"


def _doc_text(doc: dict[str, Any]) -> str:
    return doc["name"]


def _national_values(version: ProcedureVersion, national: NationalProcedure) -> dict[str, Any]:
    """Our content's fields as the national record would set them."""
    ours_fees = {(f["name"], f.get("condition", "")): f for f in version.fees}
    fees = []
    for fee in national.fees:
        when = ours_fees.get((fee.name, fee.description), {}).get("when") or {}
        fees.append({"name": fee.name, "amount": fee.amount, "condition": fee.description,
                     **({"when": when} if when else {})})
    ours_docs = {d["name"]: d for d in version.documents}
    documents = []
    for component in national.components:
        if component.name in ours_docs:
            documents.append(ours_docs[component.name])
        else:
            kind = "original" if component.originals > 0 else "copy"
            documents.append({"name": component.name, "kind": kind,
                              "count": max(1, component.originals, component.copies)})
    return {"name": national.name,
            "time_limit": {"value": national.time_limit_value, "unit": national.time_limit_unit},
            "fees": fees, "documents": documents}


def _compare(version: ProcedureVersion, new: dict[str, Any]) -> list[FieldChange]:
    changes = []
    if version.name != new["name"]:
        changes.append(FieldChange("name", LABELS["name"], version.name, new["name"]))
    ours_limit = (version.time_limit_value, version.time_limit_unit)
    if ours_limit != (new["time_limit"]["value"], new["time_limit"]["unit"]):
        changes.append(FieldChange(
            "time_limit", LABELS["time_limit"], f"{ours_limit[0]} {UNIT_LABELS[ours_limit[1]]}",
            f"{new['time_limit']['value']} {UNIT_LABELS[new['time_limit']['unit']]}"))

    def fee_key(fee: dict[str, Any]) -> tuple[str, int | None, str]:
        return (fee["name"], fee.get("amount"), fee.get("condition", ""))

    if [fee_key(f) for f in version.fees] != [fee_key(f) for f in new["fees"]]:
        changes.append(FieldChange("fees", LABELS["fees"], "; ".join(_fee_text(f) for f in version.fees),
                                   "; ".join(_fee_text(f) for f in new["fees"])))
    if [d["name"] for d in version.documents] != [d["name"] for d in new["documents"]]:
        changes.append(FieldChange("documents", LABELS["documents"],
                                   "; ".join(_doc_text(d) for d in version.documents),
                                   "; ".join(_doc_text(d) for d in new["documents"])))
    return changes


def _fetch(client: DvcqgClient, national_code: str) -> dict[str, Any]:
    try:
        return client.call("LayThuTuc", {"maTTHC": national_code}, share=True)
    except (DvcqgUnavailable, DvcqgAuthFailed) as exc:
        raise UpstreamUnavailable(
            "Không kết nối được Cổng Dịch vụ công quốc gia để lấy thông tin thủ tục "
            f"{national_code}; chưa có thay đổi nào được ghi. Vui lòng thử lại sau.",
            code="dvcqg_unavailable") from exc
    except DvcqgRefused as exc:
        raise UpstreamRefused(
            f"Cổng Dịch vụ công quốc gia từ chối trả thông tin thủ tục {national_code} "
            f"(mã lỗi {exc.code}: {exc.message}); chưa có thay đổi nào được ghi.",
            code="dvcqg_refused") from exc


def _check(version: ProcedureVersion, new: dict[str, Any]) -> str | None:
    """Why the national values cannot make a valid version of ours (e.g. a time limit shorter than our
    steps), or None."""
    content = {**service.spec_of(version).model_dump(mode="json"), **new}
    try:
        parse_spec(content)
    except ValidationFailed as exc:
        reasons = "; ".join(str(e["message"]).removeprefix("Dữ liệu gửi lên: ") for e in exc.errors) or exc.detail
        return f"Không áp dụng được thông tin quốc gia: {reasons}"
    return None


def preview(session: Session, *, client: DvcqgClient) -> CataloguePreview:
    """The differences between each current procedure with a national code and its national record; writes
    nothing. Raises UpstreamUnavailable / UpstreamRefused when DVCQG cannot answer."""
    rows: list[ProcedureChanges] = []
    for version in service.list_current(session):
        if not version.national_code:
            continue
        reply = _fetch(client, version.national_code)
        try:
            national = parse_procedure(reply)
        except CatalogueWireError as exc:
            rows.append(ProcedureChanges(version.code, version.national_code, version.version, [], str(exc), {}))
            continue
        new = _national_values(version, national)
        changes = _compare(version, new)
        problem = _check(version, new) if changes else None
        rows.append(ProcedureChanges(version.code, version.national_code, version.version, changes, problem,
                                     new if changes else {}))
    return CataloguePreview(procedures=rows, fingerprint=_fingerprint(rows))


def _fingerprint(rows: Sequence[ProcedureChanges]) -> str:
    shown = [{"code": r.procedure_code, "version": r.version, "national_code": r.national_code,
              "changes": [asdict(c) for c in r.changes], "problem": r.problem} for r in rows]
    text = json.dumps(shown, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def apply(
    session: Session, *, client: DvcqgClient, fingerprint: str, procedure_codes: Sequence[str], actor: str,
    clock: Clock,
) -> list[ProcedureVersion]:
    """Write the national values of `procedure_codes` as new versions, if the national catalogue and ours
    still give the preview the administrator saw (`fingerprint`); audited. Returns the new versions."""
    current = preview(session, client=client)
    if current.fingerprint != fingerprint:
        raise Conflict("Danh mục thủ tục quốc gia hoặc danh mục của Trung tâm đã thay đổi sau khi xem trước; "
                       "vui lòng xem lại các thay đổi rồi áp dụng.", code="catalogue_changed")
    by_code = {r.procedure_code: r for r in current.procedures}
    errors = []
    for index, code in enumerate(procedure_codes):
        row = by_code.get(code)
        if row is None or not row.changes:
            errors.append({"field": f"procedure_codes.{index}",
                           "message": f"Các thủ tục cập nhật: thủ tục {code} không có thay đổi nào để áp dụng."})
        elif row.problem:
            errors.append({"field": f"procedure_codes.{index}",
                           "message": f"Các thủ tục cập nhật: {row.problem.rstrip('.')}."})
    if not procedure_codes:
        errors.append({"field": "procedure_codes", "message": "Các thủ tục cập nhật: chọn ít nhất một thủ tục."})
    if errors:
        raise ValidationFailed("Không áp dụng được các thay đổi đã chọn.", errors=errors)
    written = []
    for code in dict.fromkeys(procedure_codes):
        row = by_code[code]
        version = service.update_procedure(session, code=code, changes=row.new_values,
                                           actor=f"{actor}: cập nhật từ CSDLQG về TTHC", clock=clock)
        audit.record(session, actor=actor, action="procedure.national_refresh", at=clock.now(),
                     data={"procedure_code": code, "national_code": row.national_code,
                           "from_version": row.version, "to_version": version.version,
                           "fields": [c.field for c in row.changes]})
        written.append(version)
    return written
