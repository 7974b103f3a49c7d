"""Query parameter types shared by routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BeforeValidator

from workflows.dossiers.statuses import SubStatus

# A dossier sub-status filter: one of `SubStatus` (an unknown one is a 422 naming `status`, not an empty
# list), and an empty `?status=` is no filter, as the workspace and API.md's `?status=&…` use it.
StatusFilter = Annotated[
    SubStatus | None, BeforeValidator(lambda value: value or None),
    Query(alias="status", description="The dossier's sub-status (DossierOut.status); empty: all"),
]
