"""The transition table against the drawings: every status change a shipped dossier process can make is in
`workflows/dossiers/transitions.py`, and every entry of the table is drawn in one of them. (That every path
stays inside the table as it runs is checked by the driver on every path of test_paths.py.)"""

from __future__ import annotations

from lxml import etree

from workflows.dossiers.statuses import SubStatus
from workflows.dossiers.transitions import ALLOWED, INITIAL

from .spiff_driver import BPMN_DIR, PROCESSES

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
# Drawn, but the gateway after `tra_ket_qua` never takes it: handing over a refusal letter ends the process
# with status 8 (end_tu_choi); test_paths.py runs that path.
NOT_TAKEN = {(SubStatus.TU_CHOI_GIAI_QUYET, SubStatus.DA_TRA_KET_QUA)}


def status_tasks(process: etree._Element) -> dict[str, SubStatus]:
    found = {}
    for task in process.iterfind(".//bpmn:serviceTask", NS):
        operator = task.find(".//spiffworkflow:serviceTaskOperator[@id='dossier/status']", NS)
        if operator is not None:
            value = operator.find(".//spiffworkflow:parameter[@id='status']", NS).get("value")
            found[task.get("id")] = SubStatus(value.strip("'"))
    return found


def drawn_transitions(filename: str) -> set[tuple[SubStatus, SubStatus]]:
    """(from, to) for every two status tasks joined by a flow (through user tasks, gateways and the boundary
    events on them) with no status task between; conditions are ignored. The start counts as INITIAL, the
    status the dossier is created in."""
    process = etree.parse(str(BPMN_DIR / filename)).find("bpmn:process", NS)
    after: dict[str, list[str]] = {}
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        after.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    for event in process.iterfind(".//bpmn:boundaryEvent", NS):
        after.setdefault(event.get("attachedToRef"), []).append(event.get("id"))
    statuses = status_tasks(process)

    def next_statuses(node: str) -> set[SubStatus]:
        seen, todo, found = set(), list(after.get(node, [])), set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in statuses:
                found.add(statuses[current])
            else:
                todo.extend(after.get(current, []))
        return found

    starts = [e.get("id") for e in process.iterfind("bpmn:startEvent", NS)]
    pairs = {(INITIAL, to) for start in starts for to in next_statuses(start)}
    return pairs | {(statuses[task], to) for task in statuses for to in next_statuses(task)}


def test_the_table_is_what_the_shipped_processes_draw() -> None:
    drawn = set().union(*(drawn_transitions(filename) for filename in PROCESSES.values()))
    table = {(current, to) for current, targets in ALLOWED.items() for to in targets}
    assert drawn - NOT_TAKEN - table == set(), "a status change drawn in a process is missing from the table"
    assert table - drawn == set(), "the table allows a change that no shipped process makes"
    assert drawn >= NOT_TAKEN and not NOT_TAKEN & table
