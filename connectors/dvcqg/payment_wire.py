"""The wire format of the DVCQG payment platform, PhienBan 1.0.6 (NATIONAL_PORTAL.md §5a; read in Thanh Hóa's
TD.DichVuCong, one implementation): the only module that knows the platform's field names.

Every message carries `MaXacThuc`: the hex SHA-256 of its fields joined by `|` in a fixed order, the partner's
secret last. The order of each message is written once below (`INIT_HASH`, `QUERY_HASH`, `CALLBACK_HASH`).
Unconfirmed (no official specification was found): the receipt fields of GET_BILL's answer
(`MauSoBienLai`, `KyHieuBienLai`, `SoBienLai`, `NoiDungBienLai` as base64 PDF), the field names of QUERY's
answer (`TrangThaiGD`), and where the platform is told our callback and return URLs (registered with the
partner account here, not in INIT). Times are `yyyyMMddHHmmss` with a 24-hour hour, in Vietnam time (TH's
`hh` is a 12-hour bug, not followed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SUCCESS = "00"  # MaLoi of a paid transaction

INIT_HASH = ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "LoaiHinhThanhToan",
             "MaKenhThanhToan", "MaThietBi", "NgonNgu", "MaTienTe", "MaNganHang", "ThongTinGiaoDich",
             "ThoiGianGD", "Ip")
QUERY_HASH = ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "ThoiGianGD")
CALLBACK_HASH = ("LoaiBanTin", "MaLoi", "MaDoiTac", "MaThamChieu", "SoTien", "MaTienTe", "MaGiaoDich",
                 "MaNganHang", "ThoiGianGD", "ThongTinGiaoDich")


def wire_time(moment: datetime) -> str:
    """`yyyyMMddHHmmss` in Vietnam time (an aware datetime)."""
    return moment.astimezone(VN).strftime("%Y%m%d%H%M%S")


def signature(message: dict[str, Any], order: tuple[str, ...], secret: str) -> str:
    """`MaXacThuc` of `message`: SHA-256 hex of its `order` fields (missing ones empty) and the secret, `|`-joined."""
    joined = "|".join([str(message.get(name, "")) for name in order] + [secret])
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def signed(message: dict[str, Any], order: tuple[str, ...], secret: str) -> dict[str, Any]:
    return {**message, "MaXacThuc": signature(message, order, secret)}


def verify(message: dict[str, Any], order: tuple[str, ...], secret: str) -> bool:
    """Whether `message` carries the right `MaXacThuc` (constant-time comparison)."""
    given = str(message.get("MaXacThuc", ""))
    return hmac.compare_digest(given.lower(), signature(message, order, secret))


@dataclass(frozen=True)
class FeeLine:
    name: str
    amount: int


@dataclass(frozen=True)
class PaymentOrder:
    """What the province asks the citizen to pay: one attempt (`reference` is unique per attempt)."""

    reference: str
    amount: int
    description: str
    at: datetime
    client_ip: str
    dossier_code: str
    procedure_code: str
    agency_code: str
    payer_name: str
    fees: tuple[FeeLine, ...]


def init_message(order: PaymentOrder, *, partner: str, version: str, secret: str, account: str, bank: str,
                 account_name: str) -> dict[str, Any]:
    """The `INIT` message, signed, with the receipt data (`ThongTinBienLai`) of the dossier's fees."""
    message = {
        "LoaiBanTin": "INIT", "PhienBan": version, "MaDoiTac": partner, "MaThamChieu": order.reference,
        "SoTien": str(order.amount), "LoaiHinhThanhToan": "PAY", "MaKenhThanhToan": "1", "MaThietBi": "1",
        "NgonNgu": "vi", "MaTienTe": "VND", "MaNganHang": "", "ThongTinGiaoDich": order.description[:255],
        "ThoiGianGD": wire_time(order.at), "Ip": order.client_ip,
        "ThongTinBienLai": {
            "MaDichVu": "2", "MaDVC": order.procedure_code, "MaTTHC": order.procedure_code,
            "MaDonVi": order.agency_code, "MaHoSo": order.dossier_code, "TKThuHuong": account,
            "MaNHThuHuong": bank, "TenTKThuHuong": account_name, "HoTenNguoiNop": order.payer_name,
            "PhiLePhi": [{"TenPhiLePhi": f.name, "SoTien": str(f.amount)} for f in order.fees],
            "DSKhoanNop": [{"NoiDung": f.name, "SoTien": str(f.amount)} for f in order.fees],
        },
    }
    return signed(message, INIT_HASH, secret)


def payment_url(reply: dict[str, Any]) -> str | None:
    """`UrlThanhToan` from INIT's answer (`message` is a JSON string holding it); None when refused."""
    if str(reply.get("error_code", "")).strip() not in ("0", "00"):
        return None
    try:
        inner = json.loads(str(reply.get("message") or "{}"))
    except ValueError:
        return None
    url = inner.get("UrlThanhToan") if isinstance(inner, dict) else None
    return str(url) if url else None


def query_message(kind: str, *, reference: str, at: datetime, partner: str, version: str,
                  secret: str) -> dict[str, Any]:
    """A signed `QUERY` or `GET_BILL` message about attempt `reference`."""
    message = {"LoaiBanTin": kind, "PhienBan": version, "MaDoiTac": partner, "MaThamChieu": reference,
               "ThoiGianGD": wire_time(at)}
    return signed(message, QUERY_HASH, secret)


@dataclass(frozen=True)
class Callback:
    """The platform's notice of an attempt's outcome, as received."""

    reference: str
    code: str  # MaLoi: "00" paid
    amount: int | None
    transaction_id: str
    bank: str
    at: str
    partner: str

    @property
    def paid(self) -> bool:
        return self.code == SUCCESS


def read_callback(body: dict[str, Any], *, secret: str) -> tuple[Callback, bool]:
    """The callback's fields and whether its `MaXacThuc` is right (check it before anything else)."""
    try:
        amount: int | None = int(str(body.get("SoTien", "")))
    except ValueError:
        amount = None
    callback = Callback(reference=str(body.get("MaThamChieu", ""))[:64], code=str(body.get("MaLoi", ""))[:8],
                        amount=amount, transaction_id=str(body.get("MaGiaoDich", ""))[:64],
                        bank=str(body.get("MaNganHang", ""))[:32], at=str(body.get("ThoiGianGD", ""))[:20],
                        partner=str(body.get("MaDoiTac", ""))[:64])
    return callback, verify(body, CALLBACK_HASH, secret)


def callback_message(*, code: str, partner: str, reference: str, amount: int, transaction_id: str, bank: str,
                     at: datetime, info: str, secret: str) -> dict[str, Any]:
    """A signed callback (the platform side; the emulator sends it)."""
    message = {"LoaiBanTin": "PAY", "MaLoi": code, "MaDoiTac": partner, "MaThamChieu": reference,
               "SoTien": str(amount), "MaTienTe": "VND", "MaGiaoDich": transaction_id, "MaNganHang": bank,
               "ThoiGianGD": wire_time(at), "ThongTinGiaoDich": info}
    return signed(message, CALLBACK_HASH, secret)


@dataclass(frozen=True)
class Receipt:
    """The e-receipt (biên lai điện tử) of a paid attempt, from GET_BILL."""

    form: str  # MauSoBienLai
    series: str  # KyHieuBienLai
    number: str  # SoBienLai
    provider: str
    pdf: bytes


def read_bill(reply: dict[str, Any]) -> Receipt | None:
    """The receipt in GET_BILL's answer; None when the platform has none (yet)."""
    if str(reply.get("error_code", "")).strip() not in ("0", "00"):
        return None
    try:
        pdf = base64.b64decode(str(reply.get("NoiDungBienLai", "")), validate=True)
    except (binascii.Error, ValueError):
        return None
    if not pdf.startswith(b"%PDF") or not reply.get("SoBienLai"):
        return None
    return Receipt(form=str(reply.get("MauSoBienLai", ""))[:32], series=str(reply.get("KyHieuBienLai", ""))[:32],
                   number=str(reply.get("SoBienLai", ""))[:32], provider=str(reply.get("NhaCungCap", ""))[:64],
                   pdf=pdf)


def query_state(reply: dict[str, Any]) -> str | None:
    """QUERY's verdict: "paid", "failed", "pending", or None when the answer is not understood."""
    if str(reply.get("error_code", "")).strip() not in ("0", "00"):
        return None
    state = str(reply.get("TrangThaiGD", ""))
    return {"00": "paid", "01": "pending"}.get(state, "failed" if state else None)
