"""Online payment of fees: the citizen's payment page and its return page, the platform's callback, and the
officials' view and re-check of a dossier's payments. The rules are `workflows/dossiers/payments.py`'s."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict

from api.auth import ActorDep
from api.clients import client_address
from api.deps import DomainDep, EngineDep, SessionDep, SettingsDep, WiringDep
from api.web import CSP, WEB_DIR
from connectors.dvcqg.payment import PaymentPlatform
from workflows.dossiers import payments, service
from workflows.dossiers.access import Action
from workflows.payments import models as m
from workflows.payments.schemas import AttemptOut, CallbackOut, PaymentOut

MAX_CALLBACK_BYTES = 16 * 1024  # a callback is a dozen short fields
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
OUTCOMES = {
    "paid": "Thanh toán thành công. Hồ sơ sẽ được tiếp tục giải quyết; biên lai điện tử được lưu cùng hồ sơ.",
    "failed": "Thanh toán không thành công. Ông/bà có thể thanh toán lại bằng đường liên kết đã nhận hoặc nộp "
              "trực tiếp tại Bộ phận Một cửa.",
    "pending": "Giao dịch đang được xử lý. Ông/bà vui lòng tra cứu hồ sơ sau ít phút để biết kết quả.",
    "unknown": "Không tìm thấy giao dịch thanh toán.",
}


class CallbackIn(BaseModel):
    """The platform's callback as sent: its fields are kept exactly (the hash is over their text)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "LoaiBanTin": "PAY", "MaLoi": "00", "MaDoiTac": "TUYENQUANG", "MaThamChieu": "TQ261207090000A1B2C3D4E5",
        "SoTien": "1500000", "MaTienTe": "VND", "MaGiaoDich": "GD0000000042", "MaNganHang": "970415",
        "ThoiGianGD": "20261207090500", "ThongTinGiaoDich": "Nộp phí, lệ phí hồ sơ H60.22-261207-0001",
        "MaXacThuc": "<sha256 hex>"}]})


async def get_platform(wiring: WiringDep) -> PaymentPlatform:  # no I/O: no turn in the thread pool
    return wiring.payments


PlatformDep = Annotated[PaymentPlatform, Depends(get_platform)]


def money(amount: int) -> str:
    return f"{amount:,} đồng".replace(",", ".")


def build_router() -> APIRouter:
    templates = Environment(loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=select_autoescape(["html"]))
    router = APIRouter()

    @router.get("/thanh-toan/ket-qua", response_class=HTMLResponse, include_in_schema=False)
    def result_page(session: SessionDep, settings: SettingsDep,
                    ma_tham_chieu: Annotated[str, Query(max_length=64)] = "") -> HTMLResponse:
        state, code = payments.outcome(session, reference=ma_tham_chieu)
        html = templates.get_template("thanh_toan_ket_qua.html").render(
            agency_name=settings.agency_name, message=OUTCOMES[state], code=code)
        return HTMLResponse(html, headers=PAGE_HEADERS)

    @router.get("/thanh-toan/{token}", response_class=HTMLResponse, include_in_schema=False)
    def payment_page(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
        page, _, _ = payments.page(session, token=token)
        html = templates.get_template("thanh_toan.html").render(
            agency_name=settings.agency_name, page=page, money=money,
            desk=f"Bộ phận Một cửa, {settings.centre_name}")
        return HTMLResponse(html, headers=PAGE_HEADERS)

    @router.post("/thanh-toan/{token}", include_in_schema=False)
    def start_payment(token: str, request: Request, session: SessionDep, domain: DomainDep,
                      platform: PlatformDep, settings: SettingsDep) -> RedirectResponse:
        url = payments.start_attempt(session, token=token, platform=platform, services=domain,
                                     client_ip=client_address(request, trusted_proxies=settings.trusted_proxies))
        return RedirectResponse(url, status_code=303)

    @router.post("/api/v1/payments/dvcqg/callback", tags=["payments"],
                 summary="Thông báo kết quả thanh toán từ Nền tảng thanh toán DVCQG")
    def callback(body: CallbackIn, request: Request, session: SessionDep,
                 domain: DomainDep, engine: EngineDep, platform: PlatformDep,
                 settings: SettingsDep) -> dict[str, str]:
        """Every callback is recorded with its verdict; only an accepted one changes the dossier (hash first)."""
        row = payments.receive_callback(session, body=body.model_dump(), platform=platform, engine=engine,
                                        services=domain,
                                        client=client_address(request, trusted_proxies=settings.trusted_proxies))
        return {"error_code": "00" if row.verdict == m.ACCEPTED else "-1", "message": row.detail,
                "verdict": row.verdict}

    return router


officials = APIRouter(prefix="/api/v1/dossiers", tags=["payments"])


@officials.get("/{code}/payments", response_model=list[PaymentOut], summary="Thanh toán trực tuyến của hồ sơ")
def list_payments(code: str, session: SessionDep, actor: ActorDep) -> list[PaymentOut]:
    dossier = service.get_by_code(session, code=code, actor=actor)
    return [_out(entry) for entry in payments.overview(session, dossier=dossier)]


@officials.post("/{code}/payments/check", response_model=list[PaymentOut],
                summary="Kiểm tra lại thanh toán với Nền tảng thanh toán DVCQG")
def check_payments(code: str, session: SessionDep, actor: ActorDep, domain: DomainDep, engine: EngineDep,
                   platform: PlatformDep) -> list[PaymentOut]:
    dossier = service.get_by_code(session, code=code, actor=actor, action=Action.PAYMENT_CHECK)
    payments.check(session, dossier=dossier, platform=platform, engine=engine, services=domain,
                   actor=actor.username)
    return [_out(entry) for entry in payments.overview(session, dossier=dossier)]


def _out(entry: dict[str, Any]) -> PaymentOut:
    request: m.PaymentRequest = entry["request"]
    return PaymentOut(
        round=request.round, amount=request.amount, items=list(request.items), state=request.state,
        created_at=request.created_at, paid_at=request.paid_at, transaction_id=request.transaction_id,
        receipt=payments.receipt_label(request) if request.receipt_number else None,
        receipt_document_id=request.receipt_document_id, receipt_error=request.receipt_error,
        attempts=[AttemptOut.model_validate(a, from_attributes=True) for a in entry["attempts"]],
        callbacks=[CallbackOut.model_validate(c, from_attributes=True) for c in entry["callbacks"]])
