"""Service-task operators: functions registered by name, called with an OperatorContext and params."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
class RegisteredOperator:
    name: str
    fn: Operator
    required_params: frozenset[str] = field(default_factory=frozenset)


class OperatorRegistry:
    """Name -> operator. Filled once by the composition root; read by deploy validation and service tasks."""

    def __init__(self) -> None:
        self._operators: dict[str, RegisteredOperator] = {}

    def register(self, name: str, fn: Operator, *, required_params: Iterable[str] = ()) -> None:
        if name in self._operators:
            raise ValueError(f"operator {name!r} is already registered")
        self._operators[name] = RegisteredOperator(name, fn, frozenset(required_params))

    def get(self, name: str) -> RegisteredOperator | None:
        return self._operators.get(name)

    def names(self) -> list[str]:
        return sorted(self._operators)
