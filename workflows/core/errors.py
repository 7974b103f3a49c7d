"""The one error hierarchy of the application. Each error carries its HTTP status, a stable English
`code` and a Vietnamese `detail` for people; the API turns them into problem+json."""

from __future__ import annotations

from typing import Any, ClassVar


class MotcuaError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    default_detail: ClassVar[str] = "Yêu cầu không hợp lệ."

    def __init__(
        self, detail: str | None = None, *, code: str | None = None, errors: list[dict[str, Any]] | None = None
    ) -> None:
        self.detail = detail or self.default_detail
        self.error_code = code or self.code
        self.errors = errors or []
        super().__init__(self.detail)


class BadRequest(MotcuaError):
    pass


class ValidationFailed(MotcuaError):
    status_code = 422
    code = "validation_failed"
    default_detail = "Dữ liệu gửi lên không hợp lệ."


class NotAuthenticated(MotcuaError):
    status_code = 401
    code = "not_authenticated"
    default_detail = "Chưa đăng nhập hoặc phiên đăng nhập đã hết hạn."


class Forbidden(MotcuaError):
    status_code = 403
    code = "forbidden"
    default_detail = "Bạn không có quyền thực hiện thao tác này."


class NotFound(MotcuaError):
    status_code = 404
    code = "not_found"
    default_detail = "Không tìm thấy."


class Conflict(MotcuaError):
    status_code = 409
    code = "conflict"
    default_detail = "Trạng thái đã thay đổi; vui lòng tải lại và thử lại."


class PayloadTooLarge(MotcuaError):
    status_code = 413
    code = "payload_too_large"
    default_detail = "Tệp hoặc dữ liệu gửi lên quá lớn."


class RateLimited(MotcuaError):
    status_code = 429
    code = "rate_limited"
    default_detail = "Bạn đã gửi quá nhiều yêu cầu; vui lòng thử lại sau."


class UpstreamRefused(MotcuaError):
    """An external system (e.g. DVCQG) answered with a refusal we cannot act on."""

    status_code = 502
    code = "upstream_refused"
    default_detail = "Hệ thống bên ngoài từ chối yêu cầu."


class UpstreamUnavailable(MotcuaError):
    """An external system (e.g. DVCQG) could not be reached or did not answer usably; try again later."""

    status_code = 503
    code = "upstream_unavailable"
    default_detail = "Hệ thống bên ngoài tạm thời không phản hồi; vui lòng thử lại sau."
