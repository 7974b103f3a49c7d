"""Paying a dossier's fees online (issue 19 part 4): the fee step opens a payment request (`open_for_fee_step`,
from the status operator), the citizen's link starts an attempt on the DVCQG payment platform
(`start_attempt`), the platform's signed callback (`receive_callback`) or an official's check
(`check`) accepts the payment, which completes the fee step `thu_phi` as the system. The clerk's manual
receipt (the task form) stays for cash.

A callback changes something only when its hash is right, it names an attempt we started, the amount is the
request's, the attempt was not already settled, and the platform's QUERY confirms it was paid (a signed
callback is not trusted alone: the secret could leak). Every callback is recorded with its verdict.
The platform client is passed in (`connectors/dvcqg/payment.py`); the caller owns the transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlmodel import Session, col, select, update

from connectors.dvcqg import DvcqgError
from connectors.dvcqg import payment_wire as wire
from engine import Engine
from engine.models import WorkItem
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core.clock import ensure_utc, to_local
from workflows.core.errors import Conflict, NotFound, RateLimited, UpstreamUnavailable
from workflows.documents import service as documents
from workflows.documents.models import DocumentKind
from workflows.dossiers import fees, queries
from workflows.dossiers.models import Dossier
from workflows.dossiers.statuses import SubStatus
from workflows.identity.actor import SYSTEM
from workflows.payments import models as m
from workflows.payments import service as payments
from workflows.procedures.service import get_version
from workflows.process import service as process

FEE_STEP = "thu_phi"
ATTEMPTS_PER_HOUR = 10


class Platform(Protocol):
    partner: str
    secret: str

    def init(self, order: wire.PaymentOrder) -> str: ...
    def query(self, reference: str) -> str | None: ...
    def get_bill(self, reference: str) -> wire.Receipt | None: ...


def fee_items(session: Session, *, dossier: Dossier) -> list[dict[str, Any]] | None:
    """The dossier's fees as declared at intake ([{name, amount}]); None when the facts do not decide them."""
    procedure = get_version(session, version_id=dossier.procedure_version_id)
    chosen = fees.applicable(procedure.fees, dossier.intake_facts)
    if not chosen:
        return None
    return [{"name": str(f.get("name") or "Phí, lệ phí"), "amount": int(f.get("amount") or 0)} for f in chosen]


def open_for_fee_step(session: Session, *, dossier: Dossier, services: DomainServices,
                      now: datetime) -> m.PaymentRequest | None:
    """At the fee step: a payment request with a link, when online payment is enabled and the fee is known."""
    if not services.settings.dvcqg.payment.enabled:
        return None
    items = fee_items(session, dossier=dossier)
    amount = sum(item["amount"] for item in items or [])
    if not items or amount <= 0:
        return None
    return payments.open_request(session, dossier_code=dossier.code, amount=amount, items=items, now=now)


def payable(session: Session, *, dossier: Dossier) -> m.PaymentRequest | None:
    """The request the citizen can pay now: open, and the dossier waits at the fee step."""
    if dossier.status != SubStatus.CHO_NGHIA_VU_TAI_CHINH.value:
        return None
    request = payments.current_request(session, dossier_code=dossier.code)
    return request if request is not None and request.state == m.OPEN else None


@dataclass(frozen=True)
class PaymentPage:
    """What the citizen's payment page shows (no personal data but the applicant's name)."""

    dossier_code: str
    procedure: str
    applicant_name: str
    amount: int
    items: list[dict[str, Any]]
    state: str  # "open" | "paid" | "closed"


def page(session: Session, *, token: str) -> tuple[PaymentPage, m.PaymentRequest, Dossier]:
    request = payments.by_token(session, token=token)
    dossier = queries.dossier_by_code(session, request.dossier_code) if request else None
    if request is None or dossier is None:
        raise NotFound("Không tìm thấy yêu cầu thanh toán.", code="payment_not_found")
    procedure = get_version(session, version_id=dossier.procedure_version_id)
    state = request.state if request.state == m.PAID or payable(session, dossier=dossier) is request else "closed"
    return (PaymentPage(dossier_code=dossier.code, procedure=procedure.name, applicant_name=dossier.applicant_name,
                        amount=request.amount, items=list(request.items), state=state), request, dossier)


def start_attempt(session: Session, *, token: str, platform: Platform, services: DomainServices,
                  client_ip: str) -> str:
    """A new attempt (a fresh MaThamChieu) for the request of `token`; the platform's payment page."""
    _, request, dossier = page(session, token=token)
    if payable(session, dossier=dossier) is not request:
        raise Conflict("Yêu cầu thanh toán này đã được thanh toán hoặc không còn hiệu lực.",
                       code="payment_not_payable")
    now = services.clock.now()
    recent = [a for a in attempts_of(session, request=request) if ensure_utc(a.created_at) > now - timedelta(hours=1)]
    if len(recent) >= ATTEMPTS_PER_HOUR:  # each attempt is an INIT on the platform: bound them per request
        raise RateLimited("Ông/bà đã mở trang thanh toán nhiều lần trong một giờ; vui lòng thử lại sau.",
                          code="payment_attempts_exceeded")
    procedure = get_version(session, version_id=dossier.procedure_version_id)
    reference = f"TQ{to_local(now):%y%m%d%H%M%S}{secrets.token_hex(5).upper()}"
    order = wire.PaymentOrder(
        reference=reference, amount=request.amount, description=f"Nộp phí, lệ phí hồ sơ {dossier.code}",
        at=now, client_ip=client_ip, dossier_code=dossier.code,
        procedure_code=procedure.national_code or procedure.code,
        agency_code=services.settings.dvcqg.adapter.madonvi, payer_name=dossier.applicant_name,
        fees=tuple(wire.FeeLine(name=i["name"], amount=int(i["amount"])) for i in request.items))
    try:
        url = platform.init(order)
    except DvcqgError as exc:
        raise UpstreamUnavailable("Nền tảng thanh toán của Cổng Dịch vụ công quốc gia tạm thời không phản hồi. "
                                 "Ông/bà vui lòng thử lại sau hoặc nộp trực tiếp tại Bộ phận Một cửa.",
                                 code="payment_platform_unavailable") from exc
    session.add(m.PaymentAttempt(request_id=request.id or 0, reference=reference, url=url, created_at=now))
    audit.record(session, actor="citizen", action="payment.start", at=now, dossier_code=dossier.code,
                 data={"reference": reference, "amount": request.amount})
    session.flush()
    return url


def outcome(session: Session, *, reference: str) -> tuple[str, str | None]:
    """The return page's answer for an attempt: ("paid" | "failed" | "pending" | "unknown", dossier code)."""
    attempt = session.exec(select(m.PaymentAttempt).where(m.PaymentAttempt.reference == reference[:64])).first()
    if attempt is None:
        return "unknown", None
    request = session.get(m.PaymentRequest, attempt.request_id)
    state = {m.SUCCEEDED: "paid", m.FAILED: "failed"}.get(attempt.state, "pending")
    return state, request.dossier_code if request else None


def receive_callback(session: Session, *, body: dict[str, Any], platform: Platform, engine: Engine,
                     services: DomainServices, client: str | None) -> m.PaymentCallback:
    """Judge and record one callback; only an accepted one changes the dossier (see the module docstring)."""
    now = services.clock.now()
    callback, genuine = wire.read_callback(body, secret=platform.secret)

    def verdict(name: str, detail: str) -> m.PaymentCallback:
        return payments.record_callback(session, reference=callback.reference, verdict=name, detail=detail,
                                        body=body, client=client, now=now)

    if not genuine or callback.partner != platform.partner:
        return verdict(m.BAD_HASH, "Sai mã xác thực (MaXacThuc) hoặc mã đối tác: không xử lý.")
    attempt = session.exec(select(m.PaymentAttempt)
                           .where(m.PaymentAttempt.reference == callback.reference)).first()
    request = session.get(m.PaymentRequest, attempt.request_id) if attempt else None
    if attempt is None or request is None:
        return verdict(m.UNKNOWN_REFERENCE, f"Không có giao dịch mang mã tham chiếu {callback.reference}.")
    if callback.amount != request.amount:
        return verdict(m.AMOUNT_MISMATCH, f"Số tiền {callback.amount} khác số phải nộp {request.amount}.")
    if attempt.state != m.STARTED:
        return verdict(m.DUPLICATE, f"Giao dịch {callback.reference} đã được ghi nhận trước đó.")
    if not callback.paid:
        settled = _settle(session, attempt=attempt, state=m.FAILED, now=now)
        return verdict(m.FAILED_PAYMENT if settled else m.DUPLICATE,
                       f"Thanh toán không thành công (mã lỗi {callback.code}).")
    try:
        confirmed = platform.query(callback.reference)
    except DvcqgError:
        confirmed = None
    if confirmed != "paid":
        return verdict(m.UNCONFIRMED, "Nền tảng thanh toán chưa xác nhận giao dịch đã thanh toán (QUERY): "
                                      "chờ kiểm tra lại.")
    if not accept(session, attempt=attempt, request=request, transaction_id=callback.transaction_id,
                  platform=platform, engine=engine, services=services):
        return verdict(m.DUPLICATE, f"Giao dịch {callback.reference} đã được ghi nhận trước đó.")
    return verdict(m.ACCEPTED, f"Đã thanh toán {request.amount} đồng (mã giao dịch {callback.transaction_id}).")


def _settle(session: Session, *, attempt: m.PaymentAttempt, state: str, now: datetime) -> bool:
    """Move a started attempt to `state` with one conditional UPDATE: of two concurrent callbacks, exactly one
    wins (PostgreSQL and SQLite alike)."""
    changed = session.execute(update(m.PaymentAttempt)
                              .where(col(m.PaymentAttempt.id) == attempt.id,
                                     col(m.PaymentAttempt.state) == m.STARTED)
                              .values(state=state, finished_at=now)).rowcount
    session.refresh(attempt)
    return bool(changed)


def accept(session: Session, *, attempt: m.PaymentAttempt, request: m.PaymentRequest, transaction_id: str,
           platform: Platform, engine: Engine, services: DomainServices) -> bool:
    """Record the payment and complete the fee step; False (nothing done) when it was settled already."""
    now = services.clock.now()
    if not _settle(session, attempt=attempt, state=m.SUCCEEDED, now=now):
        return False
    request.state, request.paid_at = m.PAID, now
    request.paid_reference, request.transaction_id = attempt.reference, transaction_id
    _fetch_receipt(session, request=request, platform=platform, services=services, now=now)
    dossier = queries.dossier_by_code(session, request.dossier_code)
    if dossier is None:
        raise LookupError(f"payment request {request.id} names no dossier")
    dossier.paid_online = True
    session.add_all([request, dossier])
    audit.record(session, actor="system", action="payment.accepted", at=now, dossier_code=dossier.code,
                 data={"reference": attempt.reference, "amount": request.amount, "transaction": transaction_id})
    item = session.exec(select(WorkItem).where(WorkItem.business_key == dossier.code, WorkItem.state == "open",
                                               WorkItem.element_id == FEE_STEP)).first()
    if item is not None:
        process.complete(session, engine=engine, services=services, actor=SYSTEM, work_item_id=item.id,
                         data={"da_nop": True, "so_bien_lai": receipt_label(request)})
    session.flush()
    return True


def receipt_label(request: m.PaymentRequest) -> str:
    """What the fee step's "Số biên lai" records: the e-receipt's series and number, else the transaction."""
    if request.receipt_number:
        return f"{request.receipt_series}-{request.receipt_number}" if request.receipt_series else \
            request.receipt_number
    return f"GD {request.transaction_id or request.paid_reference}"[:64]


def _fetch_receipt(session: Session, *, request: m.PaymentRequest, platform: Platform, services: DomainServices,
                   now: datetime) -> None:
    """GET_BILL and store the e-receipt; a failure is kept in `receipt_error` (an official's check fetches it
    again) and never undoes the payment."""
    try:
        receipt = platform.get_bill(request.paid_reference or "")
    except DvcqgError as exc:
        request.receipt_error = f"Chưa lấy được biên lai điện tử: {exc}"
        return
    if receipt is None:
        request.receipt_error = "Nền tảng thanh toán chưa trả biên lai điện tử."
        return
    document = documents.store_document(
        session, store=services.store, dossier_code=request.dossier_code, kind=DocumentKind.RECEIPT,
        filename=f"bien-lai-{receipt.series}-{receipt.number}.pdf", media_type="application/pdf",
        content=receipt.pdf, created_by="system", now=now, note="Biên lai điện tử thu phí, lệ phí")
    request.receipt_form, request.receipt_series, request.receipt_number = receipt.form, receipt.series, receipt.number
    request.receipt_provider, request.receipt_document_id, request.receipt_error = receipt.provider, document.id, None


def check(session: Session, *, dossier: Dossier, platform: Platform, engine: Engine, services: DomainServices,
          actor: str) -> m.PaymentRequest | None:
    """An official's re-check with the platform: a started attempt QUERY says is paid is accepted (a lost
    callback), a failed one closed; a paid request without its receipt fetches it again."""
    request = payments.current_request(session, dossier_code=dossier.code)
    if request is None:
        raise NotFound("Hồ sơ chưa có yêu cầu thanh toán trực tuyến.", code="payment_not_found")
    now = services.clock.now()
    try:
        for attempt in attempts_of(session, request=request):
            if attempt.state != m.STARTED:
                continue
            state = platform.query(attempt.reference)
            if state == "paid" and request.state == m.OPEN:
                accept(session, attempt=attempt, request=request, transaction_id="", platform=platform,
                       engine=engine, services=services)
            elif state == "failed":
                _settle(session, attempt=attempt, state=m.FAILED, now=now)
    except DvcqgError as exc:
        raise UpstreamUnavailable("Nền tảng thanh toán tạm thời không phản hồi; chưa kiểm tra được.",
                                 code="payment_platform_unavailable") from exc
    if request.state == m.PAID and request.receipt_document_id is None:
        _fetch_receipt(session, request=request, platform=platform, services=services, now=now)
        session.add(request)
    audit.record(session, actor=actor, action="payment.check", at=now, dossier_code=dossier.code)
    session.flush()
    return request


def attempts_of(session: Session, *, request: m.PaymentRequest) -> list[m.PaymentAttempt]:
    return list(session.exec(select(m.PaymentAttempt).where(m.PaymentAttempt.request_id == request.id)
                             .order_by(col(m.PaymentAttempt.id))).all())


def overview(session: Session, *, dossier: Dossier) -> list[dict[str, Any]]:
    """Every payment request of the dossier with its attempts and the callbacks about them (officials)."""
    requests = session.exec(select(m.PaymentRequest).where(m.PaymentRequest.dossier_code == dossier.code)
                            .order_by(col(m.PaymentRequest.round))).all()
    out = []
    for request in requests:
        attempts = attempts_of(session, request=request)
        references = [a.reference for a in attempts]
        callbacks = session.exec(select(m.PaymentCallback).where(col(m.PaymentCallback.reference).in_(references))
                                 .order_by(col(m.PaymentCallback.id))).all() if references else []
        out.append({"request": request, "attempts": attempts, "callbacks": list(callbacks)})
    return out
