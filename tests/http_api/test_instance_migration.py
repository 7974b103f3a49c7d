"""Migrating running instances (issue 23): the karaoke process gets a version 2 in which the site inspection
(`kiem_tra_thuc_te`) is removed and the review step is renamed (`xem_xet` → `xem_xet_trinh_ky`). Over dossiers
at different steps, a dry run says which can move (the one waiting at the inspection cannot, and why); applying
moves the others, each with an audit entry and its outcome in the migration record; the moved dossiers go on to
their result on version 2, the other on version 1. A dossier saved by someone else while it moves stays where it
was (PostgreSQL: SQLite has one writer). `motcua migrate-instances` does the same. Only the administrator may.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import event, text
from sqlmodel import select
from typer.testing import CliRunner

from api.cli import app as cli
from engine.diff import BPMN
from engine.models import ProcessDefinition, ProcessInstance
from tests.http_api.conftest import BPMN_DIR
from tests.http_api.flows import (
    ACCEPT,
    APPRAISE_OK,
    ASSIGN,
    INSPECT,
    ISSUE,
    RETURN,
    REVIEW_OK,
    SIGN,
    current_step,
    do,
    dossier,
    intake,
)
from workflows.audit.models import AuditEntry
from workflows.core.db import session_scope

Login = Callable[[str], dict[str, str]]
BASE = "/api/v1/process-definitions/karaoke_vu_truong/migrations"
KARAOKE = (BPMN_DIR / "karaoke_vu_truong.bpmn").read_bytes()
MAPPING = {"xem_xet": "xem_xet_trinh_ky"}
NOT_ADMIN = ("mot_cua", "lanh_dao_phong", "chuyen_vien", "lanh_dao_so", "van_thu", "giam_sat", "giam_sat_tinh")


def without_step(xml: bytes, step: str) -> bytes:
    """The diagram with user task `step` taken out: the flow into it goes to where it led; its boundary
    events, their flows, its lane entry and its drawing go with it."""
    root = etree.fromstring(xml)
    flows = list(root.iter(f"{{{BPMN}}}sequenceFlow"))
    by_id = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    [into] = [f for f in flows if f.get("targetRef") == step]
    [out] = [f for f in flows if f.get("sourceRef") == step]
    after = by_id[out.get("targetRef")]
    into.set("targetRef", str(after.get("id")))
    for ref in after.iter(f"{{{BPMN}}}incoming"):
        if ref.text == out.get("id"):
            ref.text = into.get("id")
    gone = {step, out.get("id")}
    for boundary in root.iter(f"{{{BPMN}}}boundaryEvent"):
        if boundary.get("attachedToRef") == step:
            gone |= {boundary.get("id")} | {f.get("id") for f in flows if f.get("sourceRef") == boundary.get("id")}
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        ref = etree.QName(element).localname in ("flowNodeRef", "incoming", "outgoing") and element.text in gone
        if ref or element.get("id") in gone or element.get("bpmnElement") in gone:
            element.getparent().remove(element)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def renamed(xml: bytes, old: str, new: str) -> bytes:
    return xml.replace(f'"{old}"'.encode(), f'"{new}"'.encode()).replace(f">{old}<".encode(), f">{new}<".encode())


VERSION_2 = renamed(without_step(KARAOKE, "kiem_tra_thuc_te"), "xem_xet", "xem_xet_trinh_ky")


def _dossiers_at_three_steps(client: TestClient, login: Login) -> tuple[str, str, str]:
    assigning = intake(client, login)["code"]
    do(client, login, assigning, "tiep_nhan", ACCEPT)
    inspecting = intake(client, login)["code"]
    do(client, login, inspecting, "tiep_nhan", ACCEPT)
    do(client, login, inspecting, "phan_cong", ASSIGN)
    reviewing = intake(client, login)["code"]
    for step, data in (("tiep_nhan", ACCEPT), ("phan_cong", ASSIGN), ("kiem_tra_thuc_te", INSPECT),
                       ("tham_dinh", APPRAISE_OK)):
        do(client, login, reviewing, step, data)
    return assigning, inspecting, reviewing


def _deploy_version_2(client: TestClient, login: Login) -> None:
    deployed = client.post("/api/v1/process-definitions", headers=login("quan_tri"),
                           files={"file": ("karaoke_vu_truong.bpmn", VERSION_2, "application/xml")})
    assert deployed.status_code == 201, deployed.text
    assert deployed.json()["version"] == 2


def _versions(client: TestClient) -> dict[str, int]:
    with session_scope(client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
        rows = session.exec(select(ProcessInstance.business_key, ProcessDefinition.version)
                            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)).all()
        return {str(k): int(v) for k, v in rows}


def _by_code(instances: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["business_key"]: i for i in instances}


def test_dry_run_then_apply_over_a_mix_of_dossiers(app_client: TestClient, login: Login) -> None:
    assigning, inspecting, reviewing = _dossiers_at_three_steps(app_client, login)
    review_task = current_step(app_client, login, reviewing)
    _deploy_version_2(app_client, login)

    dry = app_client.post(BASE, headers=login("quan_tri"), json={"mapping": MAPPING})
    assert dry.status_code == 200, dry.text
    plan = dry.json()
    assert (plan["dry_run"], plan["to_version"], plan["total"], plan["movable"], plan["refused"]) == (
        True, 2, 3, 2, 1)
    found = _by_code(plan["instances"])
    assert found[assigning]["outcome"] == "movable" and found[assigning]["reasons"] == []
    assert {"from_element": "phan_cong", "to_element": "phan_cong"} in found[assigning]["steps"]
    assert found[reviewing]["outcome"] == "movable"
    assert {"from_element": "xem_xet", "to_element": "xem_xet_trinh_ky"} in found[reviewing]["steps"]
    assert found[reviewing]["dropped"] == ["kiem_tra_thuc_te"]  # done on v1; v2 has no such step
    assert found[inspecting]["outcome"] == "refused"
    assert found[inspecting]["reasons"] == [{
        "code": "element_missing", "element_id": "kiem_tra_thuc_te",
        "message": "Đang chờ ở bước «Kiểm tra thực tế cơ sở» (kiem_tra_thuc_te): phiên bản 2 không có phần tử "
                   "này và ánh xạ không chỉ sang phần tử nào."}]
    assert _versions(app_client) == {assigning: 1, inspecting: 1, reviewing: 1}  # a dry run writes nothing
    assert app_client.get(BASE, headers=login("quan_tri")).json()["items"] == []

    applied = app_client.post(BASE, headers=login("quan_tri"),
                              json={"mapping": MAPPING, "dry_run": False, "batch_size": 2})
    assert applied.status_code == 201, applied.text
    record = applied.json()
    assert (record["total"], record["moved"], record["refused"], record["failed"]) == (3, 2, 1, 0)
    assert record["actor_label"] == ("Đỗ Mạnh Cường, Chuyên viên công nghệ thông tin Văn phòng Sở Văn hóa, Thể thao "
                                     "và Du lịch")
    assert record["mapping"] == MAPPING and record["batch_size"] == 2 and record["finished_at"]
    outcomes = {k: v["outcome"] for k, v in _by_code(record["instances"]).items()}
    assert outcomes == {assigning: "moved", inspecting: "refused", reviewing: "moved"}
    assert _by_code(record["instances"])[inspecting]["reasons"][0]["code"] == "element_missing"
    assert _versions(app_client) == {assigning: 2, inspecting: 1, reviewing: 2}

    listed = app_client.get(BASE, headers=login("quan_tri")).json()["items"]
    assert [(m["id"], m["moved"], m["refused"]) for m in listed] == [(record["id"], 2, 1)]
    again = app_client.get(f"{BASE}/{record['id']}", headers=login("quan_tri"))
    assert again.status_code == 200 and again.json()["instances"] == record["instances"]

    with session_scope(app_client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "process.instance_migrated")).all()
        audited = {e.dossier_code: e for e in entries}
    assert set(audited) == {assigning, reviewing}
    entry = audited[reviewing]
    assert entry.actor == "quan_tri"
    assert (entry.data["migration_id"], entry.data["from_version"], entry.data["to_version"]) == (record["id"], 1, 2)
    assert {"from_element": "xem_xet", "to_element": "xem_xet_trinh_ky"} in entry.data["steps"]

    # The open step kept its task (id, due time) and now reads as the element of version 2.
    moved_task = current_step(app_client, login, reviewing)
    assert moved_task["task_id"] == review_task["task_id"] and moved_task["due_at"] == review_task["due_at"]
    assert moved_task["step"] == "xem_xet_trinh_ky" and moved_task["role"] == "LANH_DAO_PHONG"

    # What moved goes on on version 2 (no site inspection; the renamed review), the other on version 1.
    for step, data in (("xem_xet_trinh_ky", REVIEW_OK), ("ky_duyet", SIGN), ("phat_hanh", ISSUE),
                       ("tra_ket_qua", RETURN)):
        do(app_client, login, reviewing, step, data)
    for step, data in (("phan_cong", ASSIGN), ("tham_dinh", APPRAISE_OK), ("xem_xet_trinh_ky", REVIEW_OK),
                       ("ky_duyet", SIGN), ("phat_hanh", ISSUE), ("tra_ket_qua", RETURN)):
        do(app_client, login, assigning, step, data)
    for step, data in (("kiem_tra_thuc_te", INSPECT), ("tham_dinh", APPRAISE_OK), ("xem_xet", REVIEW_OK),
                       ("ky_duyet", SIGN), ("phat_hanh", ISSUE), ("tra_ket_qua", RETURN)):
        do(app_client, login, inspecting, step, data)
    for code in (assigning, inspecting, reviewing):
        assert dossier(app_client, login, code)["status"] == "DA_TRA_KET_QUA", code
    assert _versions(app_client) == {assigning: 2, inspecting: 1, reviewing: 2}


def test_a_second_run_finds_only_what_stayed_and_bad_mappings_are_named(app_client: TestClient,
                                                                          login: Login) -> None:
    assigning, inspecting, reviewing = _dossiers_at_three_steps(app_client, login)
    _deploy_version_2(app_client, login)
    # Without the mapping the dossier under review cannot move either: version 2 has no `xem_xet`.
    plain = app_client.post(BASE, headers=login("quan_tri"), json={}).json()
    assert {k: v["outcome"] for k, v in _by_code(plain["instances"]).items()} == {
        assigning: "movable", inspecting: "refused", reviewing: "refused"}
    assert _by_code(plain["instances"])[reviewing]["reasons"][0]["element_id"] == "xem_xet"

    first = app_client.post(BASE, headers=login("quan_tri"), json={"mapping": MAPPING, "dry_run": False}).json()
    assert first["moved"] == 2
    second = app_client.post(BASE, headers=login("quan_tri"), json={"mapping": MAPPING}).json()
    assert [i["business_key"] for i in second["instances"]] == [inspecting]
    # Back to version 1 is a migration like any other: the dossier at the renamed step goes back mapped.
    back = app_client.post(BASE, headers=login("quan_tri"),
                           json={"to_version": 1, "mapping": {"xem_xet_trinh_ky": "xem_xet"}}).json()
    assert {i["business_key"]: i["outcome"] for i in back["instances"]} == {assigning: "movable",
                                                                            reviewing: "movable"}

    bad = app_client.post(BASE, headers=login("quan_tri"),
                          json={"mapping": {"xem_xet": "khong_co", "khong_ton_tai": "tham_dinh"}})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert sorted((e["field"], e["message"]) for e in bad.json()["errors"]) == [
        ("mapping.khong_ton_tai", "Phần tử «khong_ton_tai» không có trong phiên bản nào khác phiên bản 2 của "
                                  "quy trình."),
        ("mapping.xem_xet", "Phần tử «khong_co» không có trong phiên bản 2.")]
    assert app_client.post(BASE, headers=login("quan_tri"), json={"to_version": 9}).status_code == 404
    assert app_client.post("/api/v1/process-definitions/khong_co/migrations", headers=login("quan_tri"),
                           json={}).status_code == 404
    assert app_client.get(f"{BASE}/999", headers=login("quan_tri")).status_code == 404
    assert app_client.post(BASE, headers=login("quan_tri"), json={"batch_size": 0}).status_code == 422


def test_only_the_administrator_migrates(app_client: TestClient, login: Login) -> None:
    _deploy_version_2(app_client, login)
    for role in NOT_ADMIN:
        for method, url, body in (("POST", BASE, {"dry_run": False}), ("GET", BASE, None), ("GET", f"{BASE}/1", None)):
            refused = app_client.request(method, url, headers=login(role), json=body)
            assert refused.status_code == 403, (role, method, url)
            assert "Quản trị" in refused.json()["detail"]
    assert app_client.post(BASE, json={}).status_code == 401
    assert app_client.get(BASE, headers=login("quan_tri")).json()["items"] == []


def test_the_operators_command_does_the_same(app_client: TestClient, login: Login, database_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assigning, inspecting, reviewing = _dossiers_at_three_steps(app_client, login)
    _deploy_version_2(app_client, login)
    monkeypatch.setenv("MOTCUA_DATABASE__URL", database_url)
    monkeypatch.setenv("MOTCUA_ENV", "development")
    runner = CliRunner()

    dry = runner.invoke(cli, ["migrate-instances", "karaoke_vu_truong", "--map", "xem_xet=xem_xet_trinh_ky"])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.strip().splitlines()
    assert lines[-1] == "dry run: 2 can move, 1 cannot, of 3"
    assert (f"{inspecting}: refused (v1 → v2): Đang chờ ở bước «Kiểm tra thực tế cơ sở» (kiem_tra_thuc_te): "
            f"phiên bản 2 không có phần tử này và ánh xạ không chỉ sang phần tử nào.") in lines
    assert f"{assigning}: movable (v1 → v2)" in lines
    assert _versions(app_client) == {assigning: 1, inspecting: 1, reviewing: 1}

    bad = runner.invoke(cli, ["migrate-instances", "karaoke_vu_truong", "--map", "xem_xet=khong_co"])
    assert bad.exit_code == 1 and "mapping.xem_xet: Phần tử «khong_co» không có trong phiên bản 2." in bad.output
    assert runner.invoke(cli, ["migrate-instances", "karaoke_vu_truong", "--map", "xem_xet"]).exit_code == 2
    absent = runner.invoke(cli, ["migrate-instances", "khong_co"])
    assert absent.exit_code == 1 and "Không tìm thấy quy trình hoặc phiên bản này." in absent.output

    applied = runner.invoke(cli, ["migrate-instances", "karaoke_vu_truong", "--map", "xem_xet=xem_xet_trinh_ky",
                                  "--apply", "--batch-size", "1"])
    assert applied.exit_code == 0, applied.output
    assert applied.output.strip().splitlines()[-1].endswith(": 2 moved, 1 refused, 0 failed of 3")
    assert _versions(app_client) == {assigning: 2, inspecting: 1, reviewing: 2}
    [record] = app_client.get(BASE, headers=login("quan_tri")).json()["items"]
    assert record["actor_label"] == "Quản trị viên (dòng lệnh trên máy chủ)" and record["batch_size"] == 1
    with session_scope(app_client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
        actors = session.exec(select(AuditEntry.actor).where(AuditEntry.action == "process.instance_migrated")).all()
    assert sorted(actors) == ["cli", "cli"]
    do(app_client, login, reviewing, "xem_xet_trinh_ky", REVIEW_OK)  # and it goes on, on version 2


def test_a_dossier_changed_while_it_moves_stays_where_it_was(app_client: TestClient, login: Login,
                                                             backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: nobody can save between the migration's read and save")
    assigning, inspecting, reviewing = _dossiers_at_three_steps(app_client, login)
    _deploy_version_2(app_client, login)
    db = app_client.app.state.wiring.db  # type: ignore[attr-defined]
    bumped: list[int] = []

    def someone_else_saves_first(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        # Another worker commits a step of the first dossier between the migration's read and its save.
        if bumped or not statement.lstrip().upper().startswith("UPDATE PROCESS_INSTANCE"):
            return
        bumped.append(0)  # before our own UPDATE below passes through here
        with db.connect() as other:
            other.execute(text("UPDATE process_instance SET version = version + 1 WHERE business_key = :k"),
                          {"k": assigning})
            other.commit()

    event.listen(db, "before_cursor_execute", someone_else_saves_first)
    try:
        applied = app_client.post(BASE, headers=login("quan_tri"), json={"mapping": MAPPING, "dry_run": False})
    finally:
        event.remove(db, "before_cursor_execute", someone_else_saves_first)
    assert applied.status_code == 201, applied.text
    record = applied.json()
    assert (record["moved"], record["refused"], record["failed"]) == (1, 1, 1), record
    failed = _by_code(record["instances"])[assigning]
    assert failed["outcome"] == "failed" and failed["steps"] == []
    assert failed["reasons"] == [{"code": "changed_meanwhile", "element_id": None,
                                  "message": "Hồ sơ vừa được xử lý trong lúc chuyển nên chưa chuyển; hãy chạy lại "
                                             "việc chuyển."}]
    assert _versions(app_client) == {assigning: 1, inspecting: 1, reviewing: 2}
    do(app_client, login, assigning, "phan_cong", ASSIGN)  # still on version 1: the site inspection comes next
    assert current_step(app_client, login, assigning)["step"] == "kiem_tra_thuc_te"
