"""Service-task operators: functions registered by name, called with an OperatorContext and params."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session


@dataclass(frozen=True)
class OperatorContext:
    session: Session
    instance_id: int
    business_key: str
    process_key: str
    element_id: str
    element_name: str | None
    data: dict[str, Any]  # a copy of the task data; changing it changes nothing
    now: datetime
    actor: str | None
    # The data submitted by the user task that led here (a copy), and that task's id. Task data is
    # inherited along the path, so a field of an earlier round (or of another form) is still in `data`;
    # `form` holds this round's submission only. Empty/None when no user task was completed before.
    form: dict[str, Any] = field(default_factory=dict)
    form_step: str | None = None


Operator = Callable[[OperatorContext, dict[str, Any]], "dict[str, Any] | None"]


@dataclass(frozen=True)
class OperatorParam:
    """What a parameter of an operator means, for people who draw the diagram: the modeler's templates show
    `label` and offer `choices` (literal value → label), and deploy validation refuses a quoted literal
    outside `choices` on the element (an expression is left to run time)."""

    name: str
    label: str
    required: bool = True
    choices: Mapping[str, str] | None = None


@dataclass(frozen=True)
class RegisteredOperator:
    name: str
    fn: Operator
    required_params: frozenset[str] = field(default_factory=frozenset)
    label: str | None = None
    params: tuple[OperatorParam, ...] = ()

    def param(self, name: str) -> OperatorParam | None:
        return next((p for p in self.params if p.name == name), None)


class OperatorRegistry:
    """Name -> operator. Filled once by the composition root; read by deploy validation and service tasks."""

    def __init__(self) -> None:
        self._operators: dict[str, RegisteredOperator] = {}

    def register(
        self, name: str, fn: Operator, *, required_params: Iterable[str] = (), label: str | None = None,
        params: Iterable[OperatorParam] = (),
    ) -> None:
        """`params` describe the parameters (their required ones count as `required_params` too); `label`
        names the operator for people (the modeler's service-task templates)."""
        if name in self._operators:
            raise ValueError(f"operator {name!r} is already registered")
        described = tuple(params)
        required = frozenset(required_params) | {p.name for p in described if p.required}
        self._operators[name] = RegisteredOperator(name, fn, required, label=label, params=described)

    def get(self, name: str) -> RegisteredOperator | None:
        return self._operators.get(name)

    def names(self) -> list[str]:
        return sorted(self._operators)

    def all(self) -> list[RegisteredOperator]:
        return [self._operators[name] for name in sorted(self._operators)]
