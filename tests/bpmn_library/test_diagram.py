"""Diagram layout (bpmndi) of the library: what bpmn.io / Camunda Modeler need to draw the processes."""

from __future__ import annotations

import pytest
from lxml import etree

from .spiff_driver import BPMN_DIR, PROCESSES

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FLOW_NODES = {"startEvent", "endEvent", "boundaryEvent", "userTask", "serviceTask", "exclusiveGateway",
              "intermediateCatchEvent", "intermediateThrowEvent", "scriptTask", "subProcess"}


class Box:
    def __init__(self, bounds):
        self.x, self.y, self.w, self.h = (float(bounds.get(k)) for k in ("x", "y", "width", "height"))

    def contains(self, px, py, tol=0.0):
        return self.x - tol <= px <= self.x + self.w + tol and self.y - tol <= py <= self.y + self.h + tol

    def on_border(self, px, py, tol=2.0):
        return self.contains(px, py, tol) and not Box.inner(self, tol).contains(px, py)

    @staticmethod
    def inner(box, tol):
        copy = Box.__new__(Box)
        copy.x, copy.y, copy.w, copy.h = box.x + tol, box.y + tol, box.w - 2 * tol, box.h - 2 * tol
        return copy

    def overlaps(self, other):
        return (self.x < other.x + other.w and other.x < self.x + self.w
                and self.y < other.y + other.h and other.y < self.y + self.h)

    @property
    def center(self):
        return self.x + self.w / 2, self.y + self.h / 2


@pytest.fixture(scope="module", params=sorted(PROCESSES))
def doc(request):
    tree = etree.parse(str(BPMN_DIR / PROCESSES[request.param]))
    process = tree.find("bpmn:process", NS)
    shapes = {s.get("bpmnElement"): s for s in tree.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    nodes = {el.get("id"): etree.QName(el).localname for el in process
             if etree.QName(el).localname in FLOW_NODES}
    boxes = {key: Box(s.find("dc:Bounds", NS)) for key, s in shapes.items()
             if s.find("dc:Bounds", NS) is not None}
    return {"tree": tree, "process": process, "shapes": shapes, "edges": edges, "nodes": nodes,
            "boxes": boxes}


def test_plane_shows_the_collaboration_with_a_horizontal_pool(doc):
    tree = doc["tree"]
    collaboration = tree.find("bpmn:collaboration", NS)
    participant = collaboration.find("bpmn:participant", NS)
    assert participant.get("processRef") == doc["process"].get("id")
    assert tree.find(".//bpmndi:BPMNPlane", NS).get("bpmnElement") == collaboration.get("id")
    assert doc["shapes"][participant.get("id")].get("isHorizontal") == "true"


def test_every_flow_node_has_a_shape_with_bounds(doc):
    assert set(doc["nodes"]) <= set(doc["boxes"])
    for node_id, kind in doc["nodes"].items():
        box = doc["boxes"][node_id]
        assert box.w > 0 and box.h > 0
        if kind in ("userTask", "serviceTask"):
            assert (box.w, box.h) == (100, 80)
        if kind == "exclusiveGateway":
            assert doc["shapes"][node_id].get("isMarkerVisible") == "true"


def test_no_two_flow_nodes_overlap(doc):
    boxes = [(n, doc["boxes"][n]) for n, kind in doc["nodes"].items() if kind != "boundaryEvent"]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            assert not box_a.overlaps(box_b), f"{a} overlaps {b}"


def test_boundary_events_sit_on_their_task_border(doc):
    for be in doc["process"].findall("bpmn:boundaryEvent", NS):
        task = doc["boxes"][be.get("attachedToRef")]
        assert task.on_border(*doc["boxes"][be.get("id")].center), be.get("id")


def test_every_sequence_flow_has_an_edge_from_source_to_target(doc):
    flows = doc["process"].findall("bpmn:sequenceFlow", NS)
    assert {f.get("id") for f in flows} == set(doc["edges"])
    for flow in flows:
        waypoints = doc["edges"][flow.get("id")].findall("di:waypoint", NS)
        points = [(float(p.get("x")), float(p.get("y"))) for p in waypoints]
        assert len(points) >= 2
        assert doc["boxes"][flow.get("sourceRef")].contains(*points[0], tol=2), flow.get("id")
        assert doc["boxes"][flow.get("targetRef")].contains(*points[-1], tol=2), flow.get("id")
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            assert x1 == x2 or y1 == y2, f"{flow.get('id')} has a diagonal segment"


def test_lanes_are_stacked_swimlanes_holding_their_nodes(doc):
    lanes = doc["process"].findall("bpmn:laneSet/bpmn:lane", NS)
    pool = doc["boxes"][doc["tree"].find("bpmn:collaboration/bpmn:participant", NS).get("id")]
    refs = [r.text for lane in lanes for r in lane.findall("bpmn:flowNodeRef", NS)]
    assert sorted(refs) == sorted(doc["nodes"]), "every flow node is in exactly one lane"
    lane_boxes = [doc["boxes"][lane.get("id")] for lane in lanes]
    for lane, box in zip(lanes, lane_boxes, strict=True):
        assert doc["shapes"][lane.get("id")].get("isHorizontal") == "true"
        assert box.x > pool.x and box.x + box.w == pool.x + pool.w
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            where = f"{ref.text} is drawn outside {lane.get('name')}"
            assert box.contains(*doc["boxes"][ref.text].center), where
    assert lane_boxes[0].y == pool.y
    for upper, lower in zip(lane_boxes, lane_boxes[1:], strict=False):
        assert upper.y + upper.h == lower.y
    assert lane_boxes[-1].y + lane_boxes[-1].h == pool.y + pool.h
    for node_id in doc["nodes"]:
        box = doc["boxes"][node_id]
        assert pool.contains(box.x, box.y) and pool.contains(box.x + box.w, box.y + box.h)
