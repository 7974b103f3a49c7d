"""What a person reads when a field is refused: one Vietnamese sentence per field, naming the field by its
label, for the two validators the application uses:

- pydantic (request bodies, query and path parameters of the API): `request_errors(exc.errors())`; labels
  come from LABELS below (a dotted path first, then the field's own name);
- JSON Schema (the form of a BPMN user task): `form_errors(items)` over the structured items that
  `engine.steps.validate_form` produces; labels come from each property's `title` in the schema.

Both give `[{"field": "a.b.0", "message": "<Nhãn>: <điều cần sửa>."}]`; the API sends them under one code,
`validation_failed`. Nothing here is English: an unknown error type still reads "giá trị không hợp lệ"."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Labels of the API's request fields, as the forms that send them call them.
LABELS: dict[str, str] = {
    "agency": "Cơ quan giải quyết",
    "body": "Dữ liệu gửi lên",
    "accept": "Tiếp nhận ngay",
    "address": "Địa chỉ",
    "applicant": "Người nộp hồ sơ",
    "applicant.full_name": "Họ và tên người nộp",
    "applicant.id_number": "Số định danh cá nhân/CCCD của người nộp",
    "applicant.kind": "Loại người nộp",
    "applicant.phone": "Số điện thoại của người nộp",
    "attachment_id": "Mã ảnh, tệp đính kèm",
    "author": "Tác giả",
    "authorization": "Giấy ủy quyền",
    "category": "Lĩnh vực phản ánh",
    "changes": "Nội dung thay đổi",
    "channel": "Kênh nộp hồ sơ",
    "client_id": "Mã ứng dụng",
    "client_secret": "Khóa bí mật của ứng dụng",
    "code": "Mã hồ sơ",
    "comment": "Ý kiến",
    "competent_agency_code": "Cơ quan giải quyết",
    "contact_name": "Họ và tên người liên hệ",
    "contact_phone": "Số điện thoại liên hệ",
    "content": "Nội dung",
    "count": "Số lượng",
    "cover_url": "Ảnh bìa",
    "criteria": "Tiêu chí đánh giá",
    "data": "Dữ liệu biểu mẫu",
    "day": "Ngày",
    "department": "Mã phòng",
    "department_code": "Mã phòng tiếp nhận",
    "document_id": "Mã tài liệu",
    "documents": "Thành phần hồ sơ",
    "documents.kind": "Loại bản giấy tờ",
    "documents.name": "Tên giấy tờ",
    "dossier_code": "Mã hồ sơ",
    "due_before": "Hạn trước ngày",
    "email": "Thư điện tử",
    "expected_version": "Phiên bản dự kiến",
    "facts": "Thông tin khai khi tiếp nhận",
    "fields": "Thông tin cần xem",
    "file": "Tệp",
    "fingerprint": "Mã xác nhận bản xem trước",
    "from": "Từ ngày",
    "full_name": "Họ và tên",
    "grant_type": "Kiểu cấp quyền",
    "group_by": "Nhóm theo",
    "to_official": "Cán bộ nhận việc",
    "delegate": "Cán bộ được ủy quyền",
    "delegation_id": "Mã ủy quyền",
    "starts_on": "Ủy quyền từ ngày",
    "ends_on": "Ủy quyền đến ngày",
    "to_version": "Phiên bản quy trình chuyển đến",
    "mapping": "Ánh xạ bước cũ sang bước mới",
    "dry_run": "Chạy thử",
    "batch_size": "Số hồ sơ mỗi đợt",
    "migration_id": "Mã đợt chuyển phiên bản",
    "official": "Cán bộ",
    "action": "Hành động",
    "id_number": "Số định danh cá nhân/CCCD",
    "incident_id": "Mã sự cố",
    "include_closed": "Kể cả cơ quan đã giải thể",
    "item_id": "Mã mục đồng bộ",
    "key": "Mã quy trình",
    "kind": "Loại",
    "legal_ref": "Căn cứ pháp lý",
    "level": "Mức độ hài lòng",
    "limit": "Số kết quả tối đa",
    "ma": "Mã hồ sơ",
    "message_id": "Mã tin nhắn",
    "name": "Tên",
    "national_status": "Trạng thái theo quy định",
    "new_due_at": "Ngày hẹn trả mới",
    "news_id": "Mã tin",
    "note": "Ghi chú",
    "notification_id": "Mã thông báo",
    "notify_zalo": "Nhận thông báo qua Zalo",
    "offset": "Vị trí bắt đầu",
    "overdue": "Quá hạn",
    "page": "Trang",
    "page_size": "Số dòng mỗi trang",
    "password": "Mật khẩu",
    "phone": "Số điện thoại",
    "phone_last4": "4 chữ số cuối số điện thoại",
    "position": "Chức vụ",
    "procedure_code": "Mã thủ tục",
    "procedure_codes": "Các thủ tục cập nhật",
    "published": "Công bố",
    "q": "Từ khóa",
    "reason": "Lý do",
    "received_on": "Ngày nộp hồ sơ",
    "refresh_token": "Mã làm mới phiên đăng nhập",
    "representative": "Người đại diện",
    "representative.full_name": "Họ và tên người đại diện",
    "representative.phone": "Số điện thoại người đại diện",
    "result_delivery": "Hình thức nhận kết quả",
    "roles": "Vai trò",
    "scope": "Phạm vi",
    "scopes": "Phạm vi quyền",
    "sort": "Thứ tự sắp xếp",
    "state": "Trạng thái tin nhắn",
    "status": "Trạng thái",
    "summary": "Tóm tắt",
    "tag": "Nhãn người theo dõi",
    "task_id": "Mã công việc",
    "text": "Nội dung tin nhắn",
    "title": "Tiêu đề",
    "to": "Đến ngày",
    "unit_name": "Đơn vị (ghi trên biểu mẫu)",
    "unread": "Chưa đọc",
    "username": "Tên đăng nhập",
    "verifier": "Thông tin xác minh",
    "version": "Phiên bản",
    "video": "Tệp video",
    "video_url": "Đường dẫn video",
    "year": "Năm",
}

_SOURCES = ("body", "query", "path", "form", "header", "cookie")
_DATE = "phải là ngày hợp lệ, dạng NNNN-TT-NN (ví dụ 2026-11-24)"
_DATETIME = "phải là thời điểm hợp lệ, dạng ISO 8601 có múi giờ (ví dụ 2026-12-04T17:00:00+07:00)"
_INVALID = "giá trị không hợp lệ"
_TYPES = {
    "string": "phải là chuỗi ký tự", "boolean": "phải là đúng hoặc sai (true/false)",
    "integer": "phải là số nguyên", "number": "phải là số", "array": "phải là danh sách",
    "object": "phải là một đối tượng JSON", "null": "phải để trống",
}
# pydantic error type → the problem, in Vietnamese (ctx values are filled in by _pydantic_problem).
_PYDANTIC: dict[str, str] = {
    "missing": "bắt buộc, chưa được nhập",
    "string_type": _TYPES["string"], "string_unicode": _TYPES["string"], "string_sub_type": _TYPES["string"],
    "int_type": _TYPES["integer"], "int_parsing": _TYPES["integer"], "int_from_float": _TYPES["integer"],
    "int_parsing_size": "là số quá lớn", "finite_number": "phải là số hữu hạn",
    "float_type": _TYPES["number"], "float_parsing": _TYPES["number"],
    "decimal_type": _TYPES["number"], "decimal_parsing": _TYPES["number"],
    "bool_type": _TYPES["boolean"], "bool_parsing": _TYPES["boolean"],
    "list_type": _TYPES["array"], "tuple_type": _TYPES["array"], "set_type": _TYPES["array"],
    "dict_type": _TYPES["object"], "model_type": _TYPES["object"], "model_attributes_type": _TYPES["object"],
    "date_type": _DATE, "date_parsing": _DATE, "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE, "date_past": "phải là ngày trong quá khứ",
    "date_future": "phải là ngày trong tương lai",
    "datetime_type": _DATETIME, "datetime_parsing": _DATETIME, "datetime_from_date_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME, "timezone_aware": _DATETIME,
    "string_pattern_mismatch": "không đúng định dạng",
    "json_invalid": "không phải JSON hợp lệ", "json_type": "không phải JSON hợp lệ",
    "none_required": "phải để trống", "uuid_parsing": "không phải mã UUID hợp lệ",
    "url_parsing": "không phải đường dẫn hợp lệ", "url_scheme": "không phải đường dẫn hợp lệ",
}


def label(path: Sequence[str | int]) -> str:
    """The label of a request field: its dotted path without list indexes, then its own name, then the
    name itself quoted; a list index is told as "(mục N)"."""
    names = [str(p) for p in path if not isinstance(p, int)]
    if not names:
        return LABELS["body"]
    text = LABELS.get(".".join(names[-2:])) or LABELS.get(names[-1]) or f"Trường “{names[-1]}”"
    indexes = [p for p in path if isinstance(p, int)]
    return f"{text} (mục {indexes[-1] + 1})" if indexes else text


def request_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """pydantic/FastAPI validation errors → `[{field, message}]`, one per field, in Vietnamese."""
    out: dict[str, str] = {}
    for error in errors:
        loc = [p for p in error.get("loc", ()) if p not in _SOURCES] if error.get("loc") else []
        if error.get("type") == "json_invalid":
            loc = []  # the position of the syntax error is not a field
        field = ".".join(str(p) for p in loc) or "body"
        out.setdefault(field, f"{_request_subject(error, loc)}: {_pydantic_problem(error)}.")
    return [{"field": field, "message": message} for field, message in out.items()]


def _request_subject(error: Mapping[str, Any], loc: list[Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return f"Trường “{loc[-1]}”" if loc else LABELS["body"]
    return label(loc)


def _pydantic_problem(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return "không thuộc biểu mẫu này"
    if kind in ("literal_error", "enum"):
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", ""))) or [str(ctx.get("expected", ""))]
        return f"{_INVALID}; chọn một trong: {_quoted(options)}"
    if kind == "value_error":
        detail = getattr(ctx.get("error"), "detail", None)  # a MotcuaError raised by a validator says it
        return str(detail).rstrip(".") if detail else _INVALID
    bounded = _bounded(kind, ctx)
    return bounded or _PYDANTIC.get(kind, _INVALID)


def _quoted(options: Iterable[Any]) -> str:
    return ", ".join(f"“{option}”" for option in options)


def _bounded(kind: str, ctx: Mapping[str, Any]) -> str | None:
    if kind == "string_too_short":
        n = int(ctx.get("min_length", 1))
        return "không được để trống" if n <= 1 else f"phải có ít nhất {n} ký tự"
    if kind == "string_too_long":
        return f"không được dài quá {ctx.get('max_length')} ký tự"
    if kind == "too_short":
        return f"phải có ít nhất {ctx.get('min_length')} mục"
    if kind == "too_long":
        return f"không được quá {ctx.get('max_length')} mục"
    comparisons = {"greater_than_equal": ("ge", "lớn hơn hoặc bằng"), "greater_than": ("gt", "lớn hơn"),
                   "less_than_equal": ("le", "nhỏ hơn hoặc bằng"), "less_than": ("lt", "nhỏ hơn")}
    if kind in comparisons:
        key, words = comparisons[kind]
        return f"phải {words} {ctx.get(key)}"
    return None


# --- task forms (JSON Schema) ------------------------------------------------------------------------------

_FORMATS = {"date": _DATE, "date-time": _DATETIME, "email": "không phải địa chỉ thư điện tử hợp lệ"}


def form_errors(items: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Structured JSON Schema errors of a task form (engine.steps.validate_form: field, rule, label,
    expected, choices) → `[{field, message}]` in Vietnamese, naming each field by its schema title."""
    return [{"field": str(item.get("field") or "data"), "message": form_message(item)} for item in items]


def form_message(item: Mapping[str, Any]) -> str:
    rule = str(item.get("rule", ""))
    field = str(item.get("field") or "")
    title = item.get("label") or (f"Trường “{field.split('.')[-1]}”" if field else LABELS["data"])
    index = next((int(p) for p in reversed(field.split(".")) if p.isdigit()), None)
    subject = f"{title} (mục {index + 1})" if index is not None else str(title)
    if rule == "additionalProperties":
        return f"Trường “{field.split('.')[-1]}”: không thuộc biểu mẫu này."
    return f"{subject}: {_form_problem(rule, item.get('expected'), item.get('choices'))}."


def _form_problem(rule: str, expected: Any, choices: Any) -> str:
    if rule == "required":
        return "bắt buộc, chưa được nhập"
    if rule == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        return " hoặc ".join(_TYPES.get(str(k), _INVALID) for k in kinds)
    if rule == "enum":
        options = choices or [v if isinstance(v, str) else json.dumps(v) for v in expected or []]
        return f"{_INVALID}; chọn một trong: {_quoted(options)}"
    if rule == "const":
        return "cần được xác nhận" if expected is True else f"phải là {json.dumps(expected, ensure_ascii=False)}"
    if rule == "format":
        return _FORMATS.get(str(expected), "không đúng định dạng")
    limits = {
        "minLength": "không được để trống" if expected == 1 else f"phải có ít nhất {expected} ký tự",
        "maxLength": f"không được dài quá {expected} ký tự",
        "minItems": f"phải có ít nhất {expected} mục", "maxItems": f"không được quá {expected} mục",
        "minimum": f"phải lớn hơn hoặc bằng {expected}", "maximum": f"phải nhỏ hơn hoặc bằng {expected}",
        "exclusiveMinimum": f"phải lớn hơn {expected}", "exclusiveMaximum": f"phải nhỏ hơn {expected}",
        "pattern": "không đúng định dạng", "uniqueItems": "không được có mục trùng nhau",
    }
    return limits.get(rule, _INVALID)
