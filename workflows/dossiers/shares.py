"""Each agency's part of a dossier (issue 20): where the steps of a lane run (the desk's steps where the dossier
was received, every other step in the competent agency: `access.works_where`), and each agency's share of
the time limit, the hours of its steps in the procedure's internal process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from workflows.collaborators import DomainServices
from workflows.dossiers import access, forms
from workflows.dossiers.models import Dossier


@dataclass(frozen=True)
class AgencyShare:
    """One agency's part of a dossier: what it does and the working hours of its steps."""

    code: str
    name: str
    part: str  # "tiep_nhan_tra_ket_qua" (the receiving desk) | "giai_quyet" (the competent agency) | both
    hours: float


def where_lane_works(dossier: Dossier, lane: str | None) -> str:
    """The agency where a step of `lane` runs for `dossier`."""
    return dossier.received_agency_code if lane in access.DESK_LANES else dossier.agency_code


def shares(session: Session, *, dossier: Dossier, steps: Sequence[Mapping[str, Any]],
           services: DomainServices) -> list[AgencyShare]:
    """Each agency's share of the time limit, from the procedure's internal process (`ProcedureVersion.steps`),
    the receiving agency first; one share when the desk's agency also decides."""
    hours: dict[str, float] = {}
    for step in steps:
        code = where_lane_works(dossier, str(step.get("role")))
        hours[code] = hours.get(code, 0.0) + float(step.get("hours") or 0)
    hours.setdefault(dossier.received_agency_code, 0.0)
    hours.setdefault(dossier.agency_code, 0.0)
    same = dossier.received_agency_code == dossier.agency_code
    ordered = [dossier.received_agency_code] + ([] if same else [dossier.agency_code])
    parts = {dossier.received_agency_code: "tiep_nhan_tra_ket_qua", dossier.agency_code: "giai_quyet"}
    return [AgencyShare(code=code, name=forms.agency_name(session, code=code, services=services),
                        part="tiep_nhan_giai_quyet" if same else parts[code], hours=hours[code]) for code in ordered]
