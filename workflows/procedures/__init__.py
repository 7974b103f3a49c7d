"""The versioned catalogue of administrative procedures (thủ tục hành chính)."""

from workflows.procedures.schemas import ProcedureDetail, ProcedureOut, ProcedurePublic
from workflows.procedures.service import (
    current,
    get_version,
    list_current,
    list_versions,
    spec_of,
    sync_catalogue,
    to_out,
    update_procedure,
)
from workflows.procedures.spec import (
    DATA_DIR,
    ProcedureSpec,
    SupplementPolicy,
    TimeLimit,
    TimeUnit,
    parse_spec,
    read_spec_file,
)

__all__ = [
    "DATA_DIR",
    "ProcedureDetail",
    "ProcedureOut",
    "ProcedurePublic",
    "ProcedureSpec",
    "SupplementPolicy",
    "TimeLimit",
    "TimeUnit",
    "current",
    "get_version",
    "list_current",
    "list_versions",
    "parse_spec",
    "read_spec_file",
    "spec_of",
    "sync_catalogue",
    "to_out",
    "update_procedure",
]
