"""Citizen-facing Zalo texts for every step (DOMAIN.md §5), and the ZBS template each falls back to.

Texts carry the name, the dossier code, the procedure, the status and dates — never an ID-card number,
a phone number or an address (DOMAIN.md §6, minimisation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from workflows.core.clock import to_local


@dataclass(frozen=True)
class MessageContext:
    code: str
    name: str
    procedure: str
    agency: str
    department: str
    lookup_url: str
    rating_url: str = ""  # the lookup page opened on the rating form (the final message's link)
    received_at: datetime | None = None
    due_at: datetime | None = None
    new_due_at: datetime | None = None
    time_limit: str = ""
    reason: str = ""
    items: tuple[str, ...] = ()  # what to supplement, one entry per document or point
    contact: str = ""  # whom to ask about a supplement (the desk before acceptance, else the department)
    amount: str = ""
    payment_url: str = ""  # the online payment page of the open fee request (none: pay at the desk)
    result_place: str = ""  # the one-stop desk: "Bộ phận Một cửa, <centre>"
    from_agency: str = ""  # the agency that hands the dossier over (liên thông)
    at: datetime | None = None  # when the event happened


def _day(value: datetime | None) -> str:
    return to_local(value).strftime("%d/%m/%Y") if value else "…"


def _time(value: datetime | None) -> str:
    return to_local(value).strftime("%H giờ %M") if value else "…"


def items_text(items: Sequence[str]) -> str:
    """A list as a citizen reads it: one item per line, each after "- " (never Python's `[...]`)."""
    return "\n".join(f"- {' '.join(str(item).split())}" for item in items if str(item).strip())


def _clause(text: str) -> str:
    """A reason as written by the official, without its closing full stop (the sentence adds one)."""
    return text.strip().rstrip(".").rstrip()


def _supplement(c: MessageContext) -> str:
    listed = items_text(c.items)
    what = f":\n{listed}\n" if listed else " theo Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ đính kèm. "
    return (f"Hồ sơ {c.code} – {c.procedure} cần bổ sung, hoàn thiện{what}Lý do: {_clause(c.reason)}. "
            f"Liên hệ {c.contact or c.department} để được hướng dẫn.")


def _fee(c: MessageContext) -> tuple[str, str, str, str | None]:
    """The fee message: the online payment link when a request is open, else the desk only."""
    due = f"Hồ sơ {c.code} có yêu cầu nộp {c.amount or 'phí, lệ phí theo quy định'}. "
    if c.payment_url:
        return (due + f"Ông/bà có thể thanh toán trực tuyến tại: {c.payment_url} hoặc nộp trực tiếp tại "
                f"{c.result_place}; hồ sơ được tiếp tục giải quyết sau khi nộp.",
                "Yêu cầu thực hiện nghĩa vụ tài chính", "Thanh toán", None)
    return (due + f"Ông/bà vui lòng nộp trực tiếp tại {c.result_place} và nhận biên lai; hồ sơ được tiếp tục "
            "giải quyết sau khi nộp.", "Yêu cầu thực hiện nghĩa vụ tài chính", "Tra cứu hồ sơ", None)


# `Rendered.attach_form` of the message that carries the dossier's signed result (not a form code).
RESULT_ATTACHMENT = "KET_QUA"


@dataclass(frozen=True)
class Rendered:
    text: str
    status_label: str
    cta_text: str
    attach_form: str | None  # the form (or RESULT_ATTACHMENT: the signed result) sent as a file
    cta_url: str = ""  # where the template's button leads (the lookup page, or its rating form)


def render(event: str, c: MessageContext) -> Rendered:
    """The message for `event`; raises KeyError for an unknown event (the operator is validated at deploy)."""
    texts = {
        "NOP_HO_SO": (f"Ông/bà {c.name} đã nộp hồ sơ {c.code} – {c.procedure}. Hồ sơ đang chờ Bộ phận Một cửa "
                      "kiểm tra, tiếp nhận.", "Mới đăng ký", "Tra cứu hồ sơ", None),
        "TIEP_NHAN": (f"Hồ sơ {c.code} – {c.procedure} đã được tiếp nhận lúc {_time(c.received_at)} ngày "
                      f"{_day(c.received_at)}. Thời hạn giải quyết {c.time_limit}; hẹn trả kết quả ngày "
                      f"{_day(c.due_at)}.", "Được tiếp nhận", "Xem Giấy tiếp nhận hồ sơ",
                      "MAU_01"),
        "KHONG_TIEP_NHAN": (f"Hồ sơ {c.code} – {c.procedure} không đủ điều kiện tiếp nhận. Lý do: "
                            f"{_clause(c.reason)}.",
                            "Không được tiếp nhận", "Xem Phiếu từ chối", "MAU_03"),
        "BO_SUNG": (_supplement(c), "Yêu cầu bổ sung giấy tờ", "Xem Phiếu yêu cầu bổ sung", "MAU_02"),
        "PHAN_CONG": (f"Hồ sơ {c.code} đã được chuyển đến {c.department} để thụ lý.", "Đang xử lý",
                      "Xem quá trình xử lý", None),
        "CHUYEN_LIEN_THONG": (f"Hồ sơ {c.code} – {c.procedure} đã được {c.from_agency} chuyển đến {c.agency} "
                              f"để giải quyết theo thẩm quyền. Kết quả được trả tại {c.result_place}.",
                              "Đang xử lý", "Xem quá trình xử lý", None),
        "THAM_DINH": (f"Hồ sơ {c.code} đang được thẩm định.", "Đang xử lý", "Xem quá trình xử lý", None),
        "NGHIA_VU_TAI_CHINH": _fee(c),
        "KY_DUYET": (f"Hồ sơ {c.code} đã được trình lãnh đạo {c.agency} ký duyệt.", "Đang xử lý",
                     "Xem quá trình xử lý", None),
        "DA_CO_KET_QUA": (f"Hồ sơ {c.code} đã có kết quả. Mời ông/bà nhận kết quả tại {c.result_place}.",
                          "Đã xử lý xong", "Tra cứu hồ sơ", RESULT_ATTACHMENT),
        "TRA_KET_QUA": (f"Ông/bà đã nhận kết quả hồ sơ {c.code} ngày {_day(c.at)}. Mời ông/bà đánh "
                        f"giá mức độ hài lòng tại: {c.rating_url or c.lookup_url}", "Đã trả kết quả, mời đánh giá",
                        "Đánh giá mức độ hài lòng", None),
        "TU_CHOI": (f"Hồ sơ {c.code} – {c.procedure} không đủ điều kiện giải quyết. Lý do: "
                    f"{_clause(c.reason)}.", "Dừng xử lý",
                    "Xem văn bản trả lời", "MAU_03"),
        "DUNG_XU_LY": (f"Hồ sơ {c.code} đã dừng giải quyết theo đề nghị của ông/bà ngày {_day(c.at)}.",
                       "Dừng xử lý", "Xem thông báo", "MAU_05"),
        "XIN_LOI": (f"{c.agency} thành thật xin lỗi ông/bà vì hồ sơ {c.code} chưa có kết quả đúng hẹn ngày "
                    f"{_day(c.due_at)} do {_clause(c.reason)}. Hẹn trả kết quả lại ngày {_day(c.new_due_at)}.",
                    "Đang xử lý", "Xem văn bản xin lỗi", "MAU_04"),
    }
    text, status, cta, form = texts[event]
    url = (c.rating_url or c.lookup_url) if event == "TRA_KET_QUA" else c.lookup_url
    if event == "NGHIA_VU_TAI_CHINH" and c.payment_url:
        url = c.payment_url  # the fee template's "Thanh toán" button opens the payment itself
    return Rendered(text=text, status_label=status, cta_text=cta, attach_form=form, cta_url=url)


EVENTS = frozenset(
    {"NOP_HO_SO", "TIEP_NHAN", "KHONG_TIEP_NHAN", "BO_SUNG", "CHUYEN_LIEN_THONG", "PHAN_CONG", "THAM_DINH",
     "NGHIA_VU_TAI_CHINH",
     "KY_DUYET", "DA_CO_KET_QUA", "TRA_KET_QUA", "TU_CHOI", "DUNG_XU_LY", "XIN_LOI"}
)
# What each event tells the citizen, in a word, for the people who put a `zalo/notify` task in a diagram
# (the modeler's template offers these; a test keeps the keys equal to EVENTS).
EVENT_LABELS = {
    "NOP_HO_SO": "Đã nhận hồ sơ nộp trực tuyến",
    "TIEP_NHAN": "Đã tiếp nhận hồ sơ",
    "KHONG_TIEP_NHAN": "Không tiếp nhận hồ sơ",
    "BO_SUNG": "Yêu cầu bổ sung hồ sơ",
    "CHUYEN_LIEN_THONG": "Chuyển hồ sơ liên thông",
    "PHAN_CONG": "Đã phân công thụ lý",
    "THAM_DINH": "Đang thẩm định",
    "NGHIA_VU_TAI_CHINH": "Thực hiện nghĩa vụ tài chính",
    "KY_DUYET": "Trình ký duyệt",
    "DA_CO_KET_QUA": "Đã có kết quả",
    "TRA_KET_QUA": "Đã trả kết quả",
    "TU_CHOI": "Từ chối giải quyết",
    "DUNG_XU_LY": "Dừng xử lý",
    "XIN_LOI": "Thư xin lỗi, hẹn lại ngày trả",
}


def _fit(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def template_data(*, code: str, name: str, status: str, cta_text: str, cta_url: str) -> dict[str, str]:
    """Parameters of the approved ZBS dossier template, cut to Zalo's typed limits (30 characters for names,
    codes and labels; 200 for the link) so a long name never turns a message into a rejected one."""
    return {"ma_ho_so": _fit(code, 30), "ten": _fit(name, 30), "trang_thai": _fit(status, 30),
            "cta_text": _fit(cta_text, 30), "cta_url": cta_url[:200]}
