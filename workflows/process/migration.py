"""Migrating running instances to another version of their process (issue 23): a dry run that says, per
instance, whether it can move and why not; applying, in batches, each instance whole or not at all (its own
savepoint around the engine's optimistic-locked save), with an audit entry per instance moved and a
migration record of what became of each. Instances that cannot move keep running on their version.

The engine decides what can move (`engine/migration.py`); this module checks the mapping against the
versions, words the reasons for people and keeps the records. Functions flush, never commit: `after_batch`
lets a caller that owns its transactions (the CLI) commit between batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlmodel import Session, col, select

from engine import Engine, MigrationCheck, MigrationProblem
from engine.errors import ConcurrentModification
from engine.store import as_utc
from workflows import audit
from workflows.core.errors import NotFound, ValidationFailed
from workflows.identity import naming
from workflows.identity.actor import Actor
from workflows.process.models import InstanceMigration, InstanceMigrationItem
from workflows.process.schemas import (
    InstanceMigrationOut,
    MigrationOut,
    MigrationPlanOut,
    MigrationSummaryOut,
    ReasonOut,
    StepMoveOut,
)

AUDIT_ACTION = "process.instance_migrated"


def plan(
    session: Session, *, engine: Engine, key: str, to_version: int | None, mapping: dict[str, str]
) -> MigrationPlanOut:
    """The dry run: every unfinished instance of `key` on another version than the target (the latest when
    `to_version` is None), whether it can move with `mapping`, and why not. Nothing is written."""
    target = _target(session, engine=engine, key=key, to_version=to_version, mapping=mapping)
    instances = [_out(check, outcome="movable" if check.movable else "refused")
                 for check in (engine.check_migration(session, instance_id=i, to_version=target, mapping=mapping)
                               for i in engine.migration_candidates(session, key=key, to_version=target))]
    movable = sum(1 for i in instances if i.outcome == "movable")
    return MigrationPlanOut(key=key, to_version=target, mapping=mapping, total=len(instances), movable=movable,
                            refused=len(instances) - movable, instances=instances)


def apply(
    session: Session, *, engine: Engine, actor: Actor, key: str, to_version: int | None, mapping: dict[str, str],
    batch_size: int = 50, after_batch: Callable[[], None] | None = None,
) -> MigrationOut:
    """Move every unfinished instance of `key` that can move to the target version, `batch_size` at a time.
    Each instance is moved in its own savepoint: whole, or (refused, or changed by someone meanwhile, or
    failed) not at all, staying on its version. An audit entry `process.instance_migrated` per instance moved;
    the migration record keeps every instance's outcome. `after_batch` runs after each batch (the CLI commits
    there, so a long migration holds no lock for long and what was done stays done)."""
    target = _target(session, engine=engine, key=key, to_version=to_version, mapping=mapping)
    person = naming.describe(session, username=actor.username)
    record = InstanceMigration(process_key=key, to_version=target, mapping=mapping, batch_size=batch_size,
                               actor=actor.username, actor_label=person.label if person else actor.display_name,
                               started_at=engine.now())
    session.add(record)
    session.flush()
    assert record.id is not None
    for batch in _batches(engine.migration_candidates(session, key=key, to_version=target), batch_size):
        for instance_id in batch:
            outcome, check = _move(session, engine=engine, instance_id=instance_id, to_version=target,
                                   mapping=mapping)
            out = _out(check, outcome=outcome)
            session.add(InstanceMigrationItem(
                migration_id=record.id, instance_id=instance_id, business_key=check.business_key,
                from_version=check.from_version, outcome=outcome, reasons=[r.model_dump() for r in out.reasons],
                steps=[s.model_dump() for s in out.steps], dropped=list(out.dropped), at=engine.now()))
            record.total += 1
            setattr(record, outcome, getattr(record, outcome) + 1)
            if outcome == "moved":
                audit.record(session, actor=actor.username, action=AUDIT_ACTION, at=engine.now(),
                             dossier_code=check.business_key, data={
                                 "migration_id": record.id, "instance_id": instance_id, "process_key": key,
                                 "from_version": check.from_version, "to_version": target,
                                 "steps": [s.model_dump() for s in out.steps], "dropped": list(out.dropped)})
        session.flush()
        if after_batch is not None:
            after_batch()
    record.finished_at = engine.now()
    session.flush()
    return get(session, key=key, migration_id=record.id)


def history(session: Session, *, key: str) -> list[MigrationSummaryOut]:
    """The migrations applied to `key`, newest first."""
    stmt = (select(InstanceMigration).where(InstanceMigration.process_key == key)
            .order_by(col(InstanceMigration.id).desc()))
    return [_summary(m) for m in session.exec(stmt)]


def get(session: Session, *, key: str, migration_id: int) -> MigrationOut:
    """One migration with what became of each instance; 404 when `key` has no such migration."""
    record = session.get(InstanceMigration, migration_id)
    if record is None or record.process_key != key:
        raise NotFound("Không tìm thấy lần chuyển phiên bản này.", code="migration_not_found")
    items = session.exec(select(InstanceMigrationItem).where(InstanceMigrationItem.migration_id == migration_id)
                         .order_by(col(InstanceMigrationItem.id))).all()
    instances = [InstanceMigrationOut(
        instance_id=i.instance_id, business_key=i.business_key, from_version=i.from_version, outcome=i.outcome,
        reasons=[ReasonOut(**r) for r in i.reasons], steps=[StepMoveOut(**s) for s in i.steps],
        dropped=list(i.dropped)) for i in items]
    return MigrationOut(**_summary(record).model_dump(), instances=instances)


# ---- internals -------------------------------------------------------------------------------------------


def _target(session: Session, *, engine: Engine, key: str, to_version: int | None, mapping: dict[str, str]) -> int:
    """The target version (404 when the key or version does not exist); 422 naming `mapping.<id>` when the
    mapping names an element no other version has, or maps to one the target lacks."""
    target = engine.definition(session, key=key, version=to_version)
    new_ids = engine.element_ids(session, key=key, version=target.version)
    old_ids: set[str] = set()
    for definition in engine.definitions(session):
        if definition.key == key and definition.version != target.version:
            old_ids |= engine.element_ids(session, key=key, version=definition.version)
    errors: list[dict[str, Any]] = []
    for old, new in mapping.items():
        if old not in old_ids:
            errors.append({"field": f"mapping.{old}", "message": f"Phần tử «{old}» không có trong phiên bản nào "
                                                                  f"khác phiên bản {target.version} của quy trình."})
        elif new not in new_ids:
            errors.append({"field": f"mapping.{old}", "message": f"Phần tử «{new}» không có trong phiên bản "
                                                                  f"{target.version}."})
    if errors:
        raise ValidationFailed("Ánh xạ phần tử không hợp lệ.", errors=errors)
    return target.version


def _move(
    session: Session, *, engine: Engine, instance_id: int, to_version: int, mapping: dict[str, str]
) -> tuple[str, MigrationCheck]:
    savepoint = session.begin_nested()
    try:
        check = engine.migrate(session, instance_id=instance_id, to_version=to_version, mapping=mapping)
    except ConcurrentModification:
        savepoint.rollback()
        check = engine.check_migration(session, instance_id=instance_id, to_version=to_version, mapping=mapping)
        return "failed", _with(check, MigrationProblem("changed_meanwhile"))
    except Exception as exc:  # noqa: BLE001 - one instance failing must not stop the batch; it stays where it was
        savepoint.rollback()
        check = engine.check_migration(session, instance_id=instance_id, to_version=to_version, mapping=mapping)
        return "failed", _with(check, MigrationProblem("failed", detail=f"{type(exc).__name__}: {exc}"))
    savepoint.commit()
    return ("moved" if check.movable else "refused"), check


def _with(check: MigrationCheck, problem: MigrationProblem) -> MigrationCheck:
    return MigrationCheck(**{**check.__dict__, "problems": (*check.problems, problem), "steps": ()})


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _out(check: MigrationCheck, *, outcome: str) -> InstanceMigrationOut:
    return InstanceMigrationOut(
        instance_id=check.instance_id, business_key=check.business_key, from_version=check.from_version,
        outcome=outcome, reasons=[ReasonOut(code=p.code, element_id=p.element_id, message=reason(p, check))
                                  for p in check.problems],
        steps=[StepMoveOut(from_element=a, to_element=b) for a, b in check.steps], dropped=list(check.dropped))


def reason(problem: MigrationProblem, check: MigrationCheck) -> str:
    """Why the instance does not move, as the administrator reads it."""
    element = f"«{problem.element_name}» ({problem.element_id})" if problem.element_name else \
        f"«{problem.element_id}»"
    texts = {
        "element_missing": f"Đang chờ ở bước {element}: phiên bản {check.to_version} không có phần tử này và "
                           f"ánh xạ không chỉ sang phần tử nào.",
        "timer": f"Đang chờ hẹn giờ {element}: chuyển phiên bản sẽ tính lại thời gian chờ từ đầu nên không "
                 f"chuyển.",
        "subprocess": f"Đang chạy trong quy trình con {element}: chưa hỗ trợ chuyển phiên bản khi đang ở quy "
                      f"trình con.",
        "incident": "Đang có sự cố xử lý chưa được giải quyết: cần xử lý sự cố trước khi chuyển.",
        "type_changed": f"Bước {element} được ánh xạ sang «{problem.detail}» là phần tử loại khác.",
        "changed_meanwhile": "Hồ sơ vừa được xử lý trong lúc chuyển nên chưa chuyển; hãy chạy lại việc chuyển.",
    }
    return texts.get(problem.code, f"Không chuyển được do lỗi khi chuyển trạng thái quy trình "
                                   f"({problem.detail or problem.code}).")


def _summary(record: InstanceMigration) -> MigrationSummaryOut:
    assert record.id is not None
    return MigrationSummaryOut(
        id=record.id, key=record.process_key, to_version=record.to_version, mapping=dict(record.mapping),
        batch_size=record.batch_size, actor_label=record.actor_label,
        started_at=as_utc(record.started_at) or record.started_at, finished_at=as_utc(record.finished_at),
        total=record.total, moved=record.moved, refused=record.refused, failed=record.failed)
