"""Opening a dossier's payment request (called by the status operator at the fee step) and recording what
the platform sends; the caller owns the transaction."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from workflows.payments.models import OPEN, PaymentCallback, PaymentRequest


def open_request(session: Session, *, dossier_code: str, amount: int, items: list[dict[str, Any]],
                 now: datetime) -> PaymentRequest:
    """A new request for the dossier's next fee step (round n+1), payable through its own link token."""
    last = session.exec(select(func.max(PaymentRequest.round))
                        .where(PaymentRequest.dossier_code == dossier_code)).one()
    request = PaymentRequest(dossier_code=dossier_code, round=(last or 0) + 1, token=secrets.token_urlsafe(24),
                             amount=amount, items=items, state=OPEN, created_at=now)
    session.add(request)
    session.flush()
    return request


def current_request(session: Session, *, dossier_code: str) -> PaymentRequest | None:
    """The dossier's latest request (the one its link opens), or None."""
    return session.exec(select(PaymentRequest).where(PaymentRequest.dossier_code == dossier_code)
                        .order_by(col(PaymentRequest.round).desc())).first()


def by_token(session: Session, *, token: str) -> PaymentRequest | None:
    if not token or len(token) > 64:
        return None
    return session.exec(select(PaymentRequest).where(PaymentRequest.token == token)).first()


def record_callback(session: Session, *, reference: str, verdict: str, detail: str, body: dict[str, Any],
                    client: str | None, now: datetime) -> PaymentCallback:
    row = PaymentCallback(reference=reference or "", verdict=verdict, detail=detail, body=body,
                          client=client, received_at=now)
    session.add(row)
    session.flush()
    return row
