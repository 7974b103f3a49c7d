"""What changed between two versions of a BPMN definition, element by element (by id), for people: the
process designers' page shows it before a deploy and on each version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
# A node's incoming/outgoing repeat its flows' sourceRef/targetRef, which the flows themselves carry: left
# out so adding a flow reports the flow, not every node it touches.
_SKIPPED_CHILDREN = {f"{{{BPMN}}}incoming", f"{{{BPMN}}}outgoing"}
_ASPECTS = {"extensionElements": "extension", "conditionExpression": "condition", "documentation": "documentation",
            "flowNodeRef": "lane_members", "timerEventDefinition": "event", "messageEventDefinition": "event",
            "script": "script"}


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    type: str  # BPMN local name: userTask, serviceTask, sequenceFlow, lane…
    name: str | None
    aspects: tuple[str, ...] = ()  # for a changed element: name, attributes, extension, condition, …


@dataclass
class DefinitionDiff:
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # only the drawing changed (position, size, waypoints)


def process_key(content: bytes) -> str | None:
    """The id of the first executable process (the process key), or None when the XML has none."""
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError:
        return None
    for process in root.iter(f"{{{BPMN}}}process"):
        if process.get("isExecutable", "false").lower() == "true" and process.get("id"):
            return str(process.get("id"))
    return None


def diff(old: bytes, new: bytes) -> DefinitionDiff:
    """Elements added, removed and changed from `old` to `new` (both well-formed BPMN XML), by id."""
    before, after = _elements(old), _elements(new)
    result = DefinitionDiff()
    for element_id, (kind, name, signature) in after.items():
        if element_id not in before:
            result.added.append(ElementChange(element_id, kind, name))
            continue
        old_kind, old_name, old_signature = before[element_id]
        if signature != old_signature or kind != old_kind:
            aspects = _aspects(old_signature, signature)
            if kind != old_kind:
                aspects = ("type", *aspects)
            result.changed.append(ElementChange(element_id, kind, name, aspects or ("other",)))
    result.removed = [ElementChange(i, k, n) for i, (k, n, _) in before.items() if i not in after]
    old_shapes, new_shapes = _shapes(old), _shapes(new)
    result.moved = sorted(i for i, bounds in new_shapes.items()
                          if i in old_shapes and old_shapes[i] != bounds and i in before and i in after)
    return result


def _elements(content: bytes) -> dict[str, tuple[str, str | None, dict[str, Any]]]:
    root = etree.fromstring(content, _parser())
    found: dict[str, tuple[str, str | None, dict[str, Any]]] = {}
    for element in root.iter(f"{{{BPMN}}}*"):
        element_id = element.get("id")
        if not element_id or element is root:
            continue
        qname = etree.QName(element)
        attributes = {k: v for k, v in element.attrib.items() if k not in ("id", "name")}
        parts: dict[str, Any] = {"name": (element.get("name") or "").strip(), "attributes": attributes}
        for child in element:
            if not isinstance(child.tag, str) or child.tag in _SKIPPED_CHILDREN or child.get("id") and \
                    etree.QName(child).namespace == BPMN and etree.QName(child).localname not in _ASPECTS:
                continue  # a child with an id of its own is compared on its own
            aspect = _ASPECTS.get(etree.QName(child).localname, "other")
            parts.setdefault(aspect, []).append(etree.tostring(child, method="c14n"))
        if "lane_members" in parts:  # a lane's members are a set: the modeler may write them in another order
            parts["lane_members"] = sorted(parts["lane_members"])
        found[element_id] = (qname.localname, element.get("name"), parts)
    return found


def _aspects(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    keys = list(dict.fromkeys([*old, *new]))
    return tuple(k for k in keys if old.get(k) != new.get(k))


def _shapes(content: bytes) -> dict[str, tuple[Any, ...]]:
    root = etree.fromstring(content, _parser())
    shapes: dict[str, tuple[Any, ...]] = {}
    for shape in root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge"):
        points = tuple((p.get("x"), p.get("y"), p.get("width"), p.get("height"))
                       for p in shape.iter(f"{{{DC}}}Bounds", f"{{{DI}}}waypoint"))
        if shape.get("bpmnElement"):
            shapes[str(shape.get("bpmnElement"))] = points
    return shapes


def _parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
