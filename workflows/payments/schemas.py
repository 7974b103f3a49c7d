"""What officials read of a dossier's online payments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AttemptOut(BaseModel):
    reference: str
    state: str
    created_at: datetime
    finished_at: datetime | None


class CallbackOut(BaseModel):
    reference: str
    verdict: str
    detail: str
    received_at: datetime


class PaymentOut(BaseModel):
    round: int
    amount: int
    items: list[dict[str, Any]]
    state: str
    created_at: datetime
    paid_at: datetime | None
    transaction_id: str | None
    receipt: str | None  # "TQ-26E-0000001"
    receipt_document_id: int | None
    receipt_error: str | None
    attempts: list[AttemptOut]
    callbacks: list[CallbackOut]
