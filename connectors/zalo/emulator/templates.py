"""The emulator's ZBS template registry: approved templates with their parameters, length limits and buttons.

A button's title is part of the registered template (ZBS fixes it at registration, ZALO_API.md §9.7: ≤ 2 CTA
buttons, title 5–30 characters); only its URL may carry a parameter (`cta_url`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from connectors.zalo.emulator.errors import EmuError


@dataclass
class Template:
    template_id: str
    name: str
    body: str
    params: dict[str, int]  # name → max length
    required: frozenset[str]
    status: str = "ENABLE"
    uid_allowed: bool = True
    buttons: tuple[str, ...] = ()  # the registered buttons' titles
    types: dict[str, str] = field(default_factory=dict)  # name → Zalo type; STRING when not named


# Seed templates for the dossier events; the parameter names are those the domain's payload carries (the
# mapping of workflows/core/config.py DEFAULT_TEMPLATES). The button's title is the template's, not data.
_DOSSIER_PARAMS = {"ten": 30, "ma_ho_so": 30, "trang_thai": 30, "cta_url": 200}
# Like Zalo: every parameter a template declares must be sent, non-empty (-1122 "Missing parameter: <name>").
_REQUIRED = frozenset(_DOSSIER_PARAMS)


def _dossier(template_id: str, name: str, body: str, button: str) -> Template:
    return Template(template_id, name, body, dict(_DOSSIER_PARAMS), _REQUIRED, buttons=(button,))


SEED_TEMPLATES = (
    _dossier("400001", "Cập nhật trạng thái hồ sơ",
             "Kính gửi {ten}. Hồ sơ {ma_ho_so} của Ông/Bà: {trang_thai}. Tra cứu: {cta_url}", "Tra cứu hồ sơ"),
    _dossier("400002", "Yêu cầu bổ sung hồ sơ",
             "Kính gửi {ten}. Hồ sơ {ma_ho_so} cần bổ sung: {trang_thai}. Chi tiết: {cta_url}",
             "Xem yêu cầu bổ sung"),
    _dossier("400003", "Thông báo có kết quả",
             "Kính gửi {ten}. Hồ sơ {ma_ho_so} đã có kết quả: {trang_thai}. Chi tiết: {cta_url}", "Xem kết quả"),
    _dossier("400004", "Xác nhận tiếp nhận hồ sơ",
             "Kính gửi {ten}. Hồ sơ {ma_ho_so} của Ông/Bà: {trang_thai}. Giấy tiếp nhận: {cta_url}",
             "Xem Giấy tiếp nhận"),
    _dossier("400005", "Thông báo từ chối, trả lại hồ sơ",
             "Kính gửi {ten}. Hồ sơ {ma_ho_so} của Ông/Bà: {trang_thai}. Văn bản trả lời: {cta_url}",
             "Xem văn bản trả lời"),
    _dossier("400006", "Nhắc hạn hồ sơ",
             "Kính gửi {ten}. Hồ sơ {ma_ho_so} của Ông/Bà sắp đến hạn: {trang_thai}. Chi tiết: {cta_url}",
             "Tra cứu hồ sơ"),
    _dossier("400007", "Thông báo hẹn lại ngày trả kết quả",
             "Kính gửi {ten}. Hồ sơ {ma_ho_so} của Ông/Bà: {trang_thai}. Văn bản xin lỗi, hẹn lại: {cta_url}",
             "Xem văn bản xin lỗi"),
    _dossier("400008", "Yêu cầu nộp phí, lệ phí",
             "Kính gửi {ten}. Hồ sơ {ma_ho_so} của Ông/Bà: {trang_thai}. Thanh toán: {cta_url}", "Thanh toán"),
    # A one-time code (parameter type OTP, ≤ 10 characters, ZALO_API.md §9.7), sent by phone only.
    Template("400010", "Mã xác thực số điện thoại",
             "Mã xác thực liên kết Zalo với hồ sơ hành chính của Ông/Bà là {otp}. Mã có hiệu lực 10 phút. "
             "Không cung cấp mã này cho người khác. Nếu Ông/Bà không yêu cầu, vui lòng bỏ qua tin nhắn này.",
             {"otp": 10}, frozenset({"otp"}), uid_allowed=False),
)
DEFAULT_TEMPLATE_ID = "400001"


def render(template: Template, data: Any) -> str:
    if not isinstance(data, dict):
        raise EmuError(-111, "Template data is empty")
    values = {name: unicodedata.normalize("NFC", str(data.get(name, ""))) for name in template.params}
    for name in template.required:
        if not values[name]:
            raise EmuError(-1122, f"Missing parameter: {name}")
    for name, limit in template.params.items():
        if len(values[name]) > limit:
            raise EmuError(-1121, f"Parameter exceeds max length: {name}")
    # A placeholder whose parameter was renamed (a test hook) renders empty, as ZBS would show the edit.
    return template.body.format_map(_Blank(values))


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""
