"""Generic BPMN runtime over SpiffWorkflow 3.2.0 (imports nothing else of ours). See README.md."""

from engine.engine import Engine
from engine.migration import MigrationCheck, MigrationProblem
from engine.operators import OperatorContext, OperatorParam, OperatorRegistry
from engine.steps import validate_form
from engine.store import work_item
from engine.views import DeployResult, IncidentView, StepResult, WorkItemView

__all__ = [
    "DeployResult",
    "Engine",
    "IncidentView",
    "MigrationCheck",
    "MigrationProblem",
    "OperatorContext",
    "OperatorParam",
    "OperatorRegistry",
    "StepResult",
    "WorkItemView",
    "validate_form",
    "work_item",
]
