"""Payment tables. No personal number is stored: the payer is the dossier's applicant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflows.core.columns import timestamp as _ts

OPEN, PAID = "open", "paid"  # a request's states
STARTED, SUCCEEDED, FAILED = "started", "paid", "failed"  # an attempt's states

# Verdicts of a received callback. Only ACCEPTED changes anything.
ACCEPTED = "accepted"
BAD_HASH = "bad_hash"
UNKNOWN_REFERENCE = "unknown_reference"
AMOUNT_MISMATCH = "amount_mismatch"
DUPLICATE = "duplicate"
FAILED_PAYMENT = "failed_payment"
UNCONFIRMED = "unconfirmed"  # a signed "paid" the platform's QUERY does not confirm


class PaymentRequest(SQLModel, table=True):
    """What the applicant is asked to pay at one fee step of a dossier; `token` is the link's opaque key."""

    __tablename__ = "payment_request"
    __table_args__ = (sa.UniqueConstraint("dossier_code", "round", name="uq_payment_request_round"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_code: str = Field(max_length=64, index=True)
    round: int = Field(default=1)
    token: str = Field(max_length=64, unique=True, index=True)
    amount: int
    items: list[dict[str, Any]] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    state: str = Field(default=OPEN, max_length=16)
    created_at: datetime = _ts(nullable=False)
    paid_at: datetime | None = _ts()
    paid_reference: str | None = Field(default=None, max_length=64)
    transaction_id: str | None = Field(default=None, max_length=64)
    receipt_form: str | None = Field(default=None, max_length=32)
    receipt_series: str | None = Field(default=None, max_length=32)
    receipt_number: str | None = Field(default=None, max_length=32)
    receipt_provider: str | None = Field(default=None, max_length=64)
    receipt_document_id: int | None = Field(default=None)
    receipt_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


class PaymentAttempt(SQLModel, table=True):
    """One INIT on the platform; `reference` (MaThamChieu) is unique per attempt."""

    __tablename__ = "payment_attempt"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="payment_request.id", index=True)
    reference: str = Field(max_length=64, unique=True, index=True)
    state: str = Field(default=STARTED, max_length=16)
    url: str | None = Field(default=None, max_length=1000)
    created_at: datetime = _ts(nullable=False)
    finished_at: datetime | None = _ts()


class PaymentCallback(SQLModel, table=True):
    """Every callback received, whatever it was: its raw body and the verdict (what it changed, if anything)."""

    __tablename__ = "payment_callback"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=64, index=True)
    verdict: str = Field(max_length=24, index=True)
    detail: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    body: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    client: str | None = Field(default=None, max_length=64)
    received_at: datetime = _ts(nullable=False)
