"""The audit trail. `audit.record(...)` is the only writer of `AuditEntry`."""

from workflows.audit.service import record

__all__ = ["record"]
