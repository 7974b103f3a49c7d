"""The DVCQG payment platform (PhienBan 1.0.6), as the province sees it (NATIONAL_PORTAL.md §5a).

    {prefix}/payment/init                      POST  INIT: checks the Bearer token and MaXacThuc, a fresh MaThamChieu
    {prefix}/payment/pay/{id}                  GET   the payer page (Vietnamese)
    {prefix}/payment/pay/{id}                  POST  pay (`action=pay`) or cancel (`action=cancel`): the signed
                                                     callback goes to the province, the payer back to its page;
                                                     `action=pay_lost_callback` pays but the callback is lost
    {prefix}/payment/query                     POST  QUERY: TrangThaiGD "00" paid, "01" pending, "02" failed
    {prefix}/payment/get-bill                  POST  GET_BILL: the e-receipt of a paid transaction (PDF, base64)
    {prefix}/payment/callbacks/{ref}/replay    POST  test hook: the last callback sent again (a duplicate)
    {prefix}/payment/callbacks/{ref}/forge     POST  test hook: {"kind": "bad_hash" | "unpaid_success"}
    {prefix}/payment/transactions              GET   test hook: every transaction

The callback URL and the return URL are those the province registered with its partner account
(`{public_base_url}/api/v1/payments/dvcqg/callback`, `{public_base_url}/thanh-toan/ket-qua`): where the real
platform learns them is unconfirmed. Callbacks are sent from a worker thread (the province may be this very
server, when the emulator is mounted in-process).
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import secrets
from typing import Any

import requests
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from connectors.dvcqg import payment_wire as wire
from connectors.dvcqg.emulator.state import EmulatorState


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF of ASCII `lines` (the emulator's receipt; Helvetica has no Vietnamese glyphs)."""
    text = "BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*" for line in lines
    ) + " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(text)).encode() + b" >>\nstream\n" + text.encode("latin-1") + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def routes(state: EmulatorState, settings: dict[str, Any]) -> APIRouter:
    router = APIRouter()
    secret = str(settings.get("payment_secret", ""))
    partner = str(settings.get("payment_partner_code", ""))
    token = str(settings.get("payment_token", ""))
    province = str(settings.get("public_base_url", "")).rstrip("/")
    callback_url = f"{province}/api/v1/payments/dvcqg/callback"
    transactions: dict[str, dict[str, Any]] = state.extra.setdefault("payments", {})  # MaThamChieu → transaction

    def refused(code: str, message: str, status: int = 200) -> JSONResponse:
        return JSONResponse({"error_code": code, "message": message}, status_code=status)

    async def signed_body(request: Request, order: tuple[str, ...]) -> dict[str, Any] | JSONResponse:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return refused("401", "Mã truy cập (Bearer) không hợp lệ", 401)
        try:
            body = await request.json()
        except ValueError:
            return refused("-1", "Dữ liệu không phải JSON")
        if not isinstance(body, dict) or not wire.verify(body, order, secret):
            return refused("-2", "Sai mã xác thực (MaXacThuc)")
        if body.get("MaDoiTac") != partner:
            return refused("-3", "Mã đối tác không đúng")
        return body

    def send_callback(message: dict[str, Any]) -> dict[str, Any]:
        try:
            response = requests.post(callback_url, json=message, timeout=10)
            answer: dict[str, Any] = {"status": response.status_code, "body": response.text[:500]}
        except requests.RequestException as exc:
            answer = {"status": None, "body": str(exc)}
        state.record(endpoint="payment", service="callback", body=message, reply=answer, outcome="ok")
        return answer

    def callback_for(transaction: dict[str, Any], code: str) -> dict[str, Any]:
        return wire.callback_message(code=code, partner=partner, reference=transaction["reference"],
                                     amount=transaction["amount"], transaction_id=transaction["transaction_id"],
                                     bank="970415", at=state.now(), info=transaction["info"], secret=secret)

    @router.post("/payment/init")
    async def init(request: Request) -> Response:
        body = await signed_body(request, wire.INIT_HASH)
        if isinstance(body, JSONResponse):
            return body
        reference = str(body.get("MaThamChieu", ""))
        with state.lock:
            if not reference or reference in transactions:
                reply = {"error_code": "-4", "message": f"Mã tham chiếu {reference!r} đã được sử dụng"}
                state.record(endpoint="payment", service="INIT", body=body, reply=reply, outcome="refused")
                return JSONResponse(reply)
            pay_id = secrets.token_urlsafe(12)
            transactions[reference] = {
                "id": pay_id, "reference": reference, "amount": int(body.get("SoTien", 0)),
                "info": str(body.get("ThongTinGiaoDich", "")), "receipt": body.get("ThongTinBienLai") or {},
                "state": "pending", "transaction_id": f"GD{secrets.randbelow(10**10):010d}", "callback": None,
                "bill_number": None}
        url = str(request.url_for("payer_page", pay_id=pay_id))
        reply = {"error_code": "0", "message": json.dumps({"UrlThanhToan": url})}
        state.record(endpoint="payment", service="INIT", body=body, reply=reply, outcome="ok")
        return JSONResponse(reply)

    def by_id(pay_id: str) -> dict[str, Any] | None:
        with state.lock:
            return next((t for t in transactions.values() if t["id"] == pay_id), None)

    @router.get("/payment/pay/{pay_id}", name="payer_page")
    async def payer_page(pay_id: str) -> HTMLResponse:
        transaction = by_id(pay_id)
        if transaction is None:
            return HTMLResponse("<p>Không tìm thấy giao dịch.</p>", status_code=404)
        amount = f"{transaction['amount']:,}".replace(",", ".")
        done = transaction["state"] != "pending"
        buttons = "" if done else (
            '<form method="post"><button name="action" value="pay">Thanh toán</button> '
            '<button name="action" value="cancel">Hủy giao dịch</button></form>')
        return HTMLResponse(
            "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Nền tảng thanh toán – "
            "Cổng Dịch vụ công quốc gia</title></head><body><h1>Thanh toán phí, lệ phí</h1>"
            f"<p>Nội dung: {html.escape(transaction['info'])}</p><p>Số tiền: {amount} đồng</p>"
            f"<p>Trạng thái: {html.escape(transaction['state'])}</p>{buttons}</body></html>")

    @router.post("/payment/pay/{pay_id}")
    async def pay(pay_id: str, request: Request) -> Response:
        transaction = by_id(pay_id)
        if transaction is None:
            return HTMLResponse("<p>Không tìm thấy giao dịch.</p>", status_code=404)
        form = await request.form()
        action = str(form.get("action", ""))
        with state.lock:
            if transaction["state"] != "pending":
                return HTMLResponse("<p>Giao dịch đã kết thúc.</p>", status_code=409)
            transaction["state"] = "paid" if action in ("pay", "pay_lost_callback") else "failed"
            if transaction["state"] == "paid":
                transaction["bill_number"] = f"{len([t for t in transactions.values() if t['bill_number']]) + 1:07d}"
        message = callback_for(transaction, wire.SUCCESS if transaction["state"] == "paid" else "24")
        transaction["callback"] = message
        if action != "pay_lost_callback":
            await asyncio.to_thread(send_callback, message)
        return RedirectResponse(f"{province}/thanh-toan/ket-qua?ma_tham_chieu={transaction['reference']}",
                                status_code=303)

    @router.post("/payment/query")
    async def query(request: Request) -> Response:
        body = await signed_body(request, wire.QUERY_HASH)
        if isinstance(body, JSONResponse):
            return body
        transaction = transactions.get(str(body.get("MaThamChieu", "")))
        if transaction is None:
            reply = {"error_code": "-5", "message": "Không tìm thấy giao dịch"}
        else:
            reply = {"error_code": "0", "message": "Thành công", "SoTien": str(transaction["amount"]),
                     "TrangThaiGD": {"paid": "00", "pending": "01"}.get(transaction["state"], "02"),
                     "MaGiaoDich": transaction["transaction_id"]}
        state.record(endpoint="payment", service="QUERY", body=body, reply=reply, outcome="ok")
        return JSONResponse(reply)

    @router.post("/payment/get-bill")
    async def get_bill(request: Request) -> Response:
        body = await signed_body(request, wire.QUERY_HASH)
        if isinstance(body, JSONResponse):
            return body
        transaction = transactions.get(str(body.get("MaThamChieu", "")))
        if transaction is None or transaction["state"] != "paid":
            reply = {"error_code": "-6", "message": "Giao dịch chưa được thanh toán, chưa có biên lai"}
            state.record(endpoint="payment", service="GET_BILL", body=body, reply=reply, outcome="refused")
            return JSONResponse(reply)
        receipt = transaction["receipt"]
        pdf = _pdf(["BIEN LAI THU PHI, LE PHI (DIEN TU)", "Mau so: 01BLP0-001  Ky hieu: TQ-26E",
                    f"So: {transaction['bill_number']}", f"Ma ho so: {receipt.get('MaHoSo', '')}",
                    f"So tien: {transaction['amount']} VND", f"Ma giao dich: {transaction['transaction_id']}"])
        reply = {"error_code": "0", "message": "Thành công", "MauSoBienLai": "01BLP0-001", "KyHieuBienLai": "TQ-26E",
                 "SoBienLai": transaction["bill_number"], "NhaCungCap": "Nền tảng thanh toán DVCQG (giả lập)",
                 "NoiDungBienLai": base64.b64encode(pdf).decode()}
        state.record(endpoint="payment", service="GET_BILL", body=body,
                     reply={k: v for k, v in reply.items() if k != "NoiDungBienLai"}, outcome="ok")
        return JSONResponse(reply)

    @router.post("/payment/callbacks/{reference}/replay")
    async def replay(reference: str) -> dict[str, Any]:
        transaction = transactions.get(reference)
        if transaction is None or transaction["callback"] is None:
            return {"sent": False}
        return {"sent": True, "answer": await asyncio.to_thread(send_callback, dict(transaction["callback"]))}

    @router.post("/payment/callbacks/{reference}/forge")
    async def forge(reference: str, request: Request) -> dict[str, Any]:
        kind = str((await request.json()).get("kind", "bad_hash"))
        transaction = transactions.get(reference) or {
            "reference": reference, "amount": 1, "transaction_id": "GD0000000000", "info": "giả mạo"}
        message = callback_for(transaction, wire.SUCCESS)
        if kind not in ("bad_hash", "tampered_amount", "unpaid_success", "unknown"):
            return {"sent": False, "detail": f"unknown kind {kind!r}"}
        if kind == "bad_hash":
            message = {**message, "MaXacThuc": "0" * 64}
        elif kind == "tampered_amount":
            message = {**message, "SoTien": "1"}  # the hash no longer matches
        return {"sent": True, "answer": await asyncio.to_thread(send_callback, message)}

    @router.get("/payment/transactions")
    async def listing() -> dict[str, Any]:
        with state.lock:
            return {"transactions": [{k: v for k, v in t.items() if k != "receipt"} for t in transactions.values()]}

    return router
