"""The versioned procedure catalogue: data files → `procedure_version` rows, admin edits, look-ups.

A version is immutable. Changing content (in the data file or through `update_procedure`) adds
version n+1 and marks the previous one inactive; old versions stay readable for the dossiers that
froze them. Content identity is the sha256 of the validated content."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workflows.core.clock import Clock, SystemClock
from workflows.core.db import memo
from workflows.core.errors import Conflict, NotFound, ValidationFailed
from workflows.procedures.models import ProcedureVersion
from workflows.procedures.schemas import ProcedureDetail
from workflows.procedures.spec import DATA_DIR, ProcedureSpec, parse_spec, read_spec_file

CATALOGUE_ACTOR = "catalogue"
_MERGED_FIELDS = frozenset({"time_limit"})


def sync_catalogue(
    session: Session, *, directory: Path = DATA_DIR, clock: Clock | None = None
) -> list[ProcedureVersion]:
    """Import every `<code>.toml` of `directory`; returns the current version of each code.

    Content already imported once (same sha256 as any version of the code) adds nothing, so an
    administrator's later edit survives restarts; a changed file becomes version n+1."""
    now = (clock or SystemClock()).now()
    result: list[ProcedureVersion] = []
    for path in sorted(directory.glob("*.toml")):
        spec = read_spec_file(path)
        versions = _versions(session, code=spec.code)
        digest = spec.sha256()
        if any(v.sha256 == digest for v in versions):
            active = [v for v in versions if v.active]
            result.append(active[-1] if active else next(v for v in versions if v.sha256 == digest))
            continue
        result.append(_add_version(session, spec=spec, versions=versions, actor=CATALOGUE_ACTOR, now=now))
    return result


def current(session: Session, *, code: str) -> ProcedureVersion:
    """The active version of `code`."""
    version = session.exec(
        select(ProcedureVersion).where(ProcedureVersion.code == code, col(ProcedureVersion.active).is_(True))
    ).first()
    if version is None:
        raise NotFound(f"Không tìm thấy thủ tục hành chính có mã {code}.", code="procedure_not_found")
    return version


def list_current(session: Session) -> list[ProcedureVersion]:
    statement = (
        select(ProcedureVersion).where(col(ProcedureVersion.active).is_(True)).order_by(col(ProcedureVersion.code))
    )
    return list(session.exec(statement).all())


def list_versions(session: Session, *, code: str) -> list[ProcedureVersion]:
    versions = _versions(session, code=code)
    if not versions:
        raise NotFound(f"Không tìm thấy thủ tục hành chính có mã {code}.", code="procedure_not_found")
    return versions


def get_version(session: Session, *, version_id: int) -> ProcedureVersion:
    version = memo(session, "procedure_version", version_id, lambda: session.get(ProcedureVersion, version_id))
    if version is None:
        raise NotFound("Không tìm thấy phiên bản thủ tục hành chính.", code="procedure_version_not_found")
    return version


def spec_of(version: ProcedureVersion) -> ProcedureSpec:
    """The validated content of a stored version (e.g. to render it, or to edit it)."""
    return ProcedureSpec.model_validate(_content(version))


def to_out(version: ProcedureVersion) -> ProcedureDetail:
    """The API shape of a stored version (API.md fields plus steps, policy and version data)."""
    return ProcedureDetail.from_version(version)


def update_procedure(
    session: Session, *, code: str, changes: Mapping[str, Any], actor: str, clock: Clock | None = None
) -> ProcedureVersion:
    """An administrator's edit: `changes` replaces top-level fields (`time_limit` is merged). Valid new
    content becomes version n+1; content equal to the current version returns it unchanged."""
    active = session.exec(
        select(ProcedureVersion)
        .where(ProcedureVersion.code == code, col(ProcedureVersion.active).is_(True))
        .with_for_update()
    ).first()
    if active is None:
        raise NotFound(f"Không tìm thấy thủ tục hành chính có mã {code}.", code="procedure_not_found")
    data = _content(active)
    unknown = sorted(set(changes) - set(data))
    if unknown:
        raise ValidationFailed(
            "Có trường không được phép sửa.",
            errors=[{"field": name, "message": "Trường không tồn tại."} for name in unknown],
        )
    if changes.get("code", code) != code:
        raise ValidationFailed(
            "Không được đổi mã thủ tục.", errors=[{"field": "code", "message": "Mã thủ tục là cố định."}]
        )
    for name, value in changes.items():
        if name in _MERGED_FIELDS and isinstance(value, Mapping):
            data[name] = {**data[name], **value}
        else:
            data[name] = value
    spec = parse_spec(data)
    if spec.sha256() == active.sha256:
        return active
    now = (clock or SystemClock()).now()
    return _add_version(session, spec=spec, versions=_versions(session, code=code), actor=actor, now=now)


def _versions(session: Session, *, code: str) -> list[ProcedureVersion]:
    statement = (
        select(ProcedureVersion).where(ProcedureVersion.code == code).order_by(col(ProcedureVersion.version))
    )
    return list(session.exec(statement).all())


def _add_version(
    session: Session, *, spec: ProcedureSpec, versions: list[ProcedureVersion], actor: str, now: datetime
) -> ProcedureVersion:
    for old in versions:
        if old.active:
            old.active = False
            session.add(old)
    content = spec.model_dump(mode="json")
    time_limit = content.pop("time_limit")
    row = ProcedureVersion(
        **content,
        version=(versions[-1].version + 1) if versions else 1,
        time_limit_value=time_limit["value"],
        time_limit_unit=time_limit["unit"],
        sha256=spec.sha256(),
        active=True,
        created_at=now,
        created_by=actor,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        # Two writers raced for the same version number; the caller's transaction is lost anyway.
        raise Conflict(
            f"Thủ tục {spec.code} vừa được cập nhật bởi người khác; vui lòng tải lại và thử lại.",
            code="procedure_version_conflict",
        ) from exc
    return row


def _content(version: ProcedureVersion) -> dict[str, Any]:
    return {
        "code": version.code,
        "national_code": version.national_code,
        "name": version.name,
        "field": version.field,
        "authority": version.authority,
        "level": version.level,
        "time_limit": {"value": version.time_limit_value, "unit": version.time_limit_unit},
        "fees": version.fees,
        "intake_fields": version.intake_fields or [],
        "documents": version.documents,
        "result": version.result,
        "legal_basis": version.legal_basis,
        "supplement_policy": version.supplement_policy,
        "has_financial_obligation": version.has_financial_obligation,
        "requires_site_inspection": version.requires_site_inspection,
        "process_key": version.process_key,
        "steps": version.steps,
        "competence": version.competence,
    }
