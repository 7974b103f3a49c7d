"""A process that asks for a status change outside the transition table (workflows/dossiers/transitions.py):
the service task becomes an incident whose reason names both statuses in Vietnamese, the dossier keeps its
status, and a retry meets the same refusal."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from flows import APPLICANT, Login, dossier

PROCEDURE = "VHTTDL-LU-HANH-NOI-DIA"  # process_key mot_cua_chuan: a new version of it runs the jump
DEFINITIONS = "/api/v1/process-definitions"
NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs" '
      'targetNamespace="http://bpmn.io/schema/bpmn"')


def status_task(element: str, status: str) -> str:
    return f"""<bpmn:serviceTask id="{element}" name="{element}"><bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="dossier/status"><spiffworkflow:parameters>
        <spiffworkflow:parameter id="status" type="str" value="'{status}'"/>
      </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>"""


def jumping_bpmn(first: str, second: str) -> bytes:
    """mot_cua_chuan that sets `first`, then `second` at the task `nhay`, then ends."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}>
  <bpmn:process id="mot_cua_chuan" isExecutable="true">
    <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="dau"/>
    {status_task("dau", first)}<bpmn:sequenceFlow id="f2" sourceRef="dau" targetRef="nhay"/>
    {status_task("nhay", second)}<bpmn:sequenceFlow id="f3" sourceRef="nhay" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.mark.parametrize(("first", "second", "kept", "reason"), [
    ("DA_TIEP_NHAN", "DA_TRA_KET_QUA", ("DA_TIEP_NHAN", 2),
     "Không được chuyển hồ sơ từ trạng thái “Đã tiếp nhận” sang “Đã trả kết quả”."),
    ("KHONG_TIEP_NHAN", "DA_TIEP_NHAN", ("KHONG_TIEP_NHAN", 3),
     "Không được chuyển hồ sơ từ trạng thái “Không tiếp nhận” sang “Đã tiếp nhận”."),
])
def test_a_refused_status_change_in_a_process_is_an_incident_and_the_dossier_keeps_its_status(
    app_client: TestClient, login: Login, first: str, second: str, kept: tuple[str, int], reason: str,
) -> None:
    deployed = app_client.post(DEFINITIONS, headers=login("quan_tri"), files={
        "file": ("mot_cua_chuan.bpmn", jumping_bpmn(first, second), "application/xml")})
    assert deployed.status_code == 201 and deployed.json()["version"] == 2, deployed.text
    response = app_client.post("/api/v1/dossiers", headers=login("mot_cua"), json={
        "procedure_code": PROCEDURE, "channel": "counter", "applicant": APPLICANT})
    assert response.status_code == 201, response.text  # never a 500: the dossier is kept
    code = response.json()["code"]
    detail = dossier(app_client, login, code)
    assert (detail["status"], detail["national_status"]) == kept
    incident = detail["incident"]
    assert incident and incident["element_id"] == "nhay" and reason in incident["reason"], incident
    listed = app_client.get("/api/v1/incidents", headers=login("quan_tri")).json()["items"]
    assert [(i["dossier_code"], i["element_id"]) for i in listed] == [(code, "nhay")]

    retried = app_client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=login("quan_tri"))
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "incident"  # the table still refuses: a new incident, nothing moved
    after = dossier(app_client, login, code)
    assert (after["status"], after["national_status"]) == kept
    assert after["incident"]["id"] != incident["id"] and reason in after["incident"]["reason"]
