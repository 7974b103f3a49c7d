"""The emulator's ZBS template registry: approved templates with their parameters and length limits."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
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


# Seed templates for the dossier events; the parameter names are those the domain's payload carries.
_DOSSIER_PARAMS = {"ten": 30, "ma_ho_so": 30, "trang_thai": 30, "cta_text": 30, "cta_url": 200}
# Like Zalo: every parameter a template declares must be sent, non-empty (-1122 "Missing parameter: <name>").
_REQUIRED = frozenset(_DOSSIER_PARAMS)
SEED_TEMPLATES = (
    Template("400001", "Cập nhật trạng thái hồ sơ",
             "Kính gửi {ten}. Hồ sơ {ma_ho_so} của Ông/Bà: {trang_thai}. Tra cứu: {cta_url}",
             _DOSSIER_PARAMS, _REQUIRED),
    Template("400002", "Yêu cầu bổ sung hồ sơ",
             "Kính gửi {ten}. Hồ sơ {ma_ho_so} cần bổ sung: {trang_thai}. Chi tiết: {cta_url}",
             _DOSSIER_PARAMS, _REQUIRED),
    Template("400003", "Thông báo có kết quả",
             "Kính gửi {ten}. Hồ sơ {ma_ho_so} đã có kết quả: {trang_thai}. Chi tiết: {cta_url}",
             _DOSSIER_PARAMS, _REQUIRED),
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
    return template.body.format(**values)
