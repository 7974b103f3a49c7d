"""One error format for every error: application/problem+json with a stable `code` and a Vietnamese `detail`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine import errors as engine_errors
from workflows.core.errors import MotcuaError, ValidationFailed
from workflows.core.field_errors import form_errors, request_errors

log = logging.getLogger("motcua.api")

PROBLEM = "application/problem+json"
BUSY_RETRY_AFTER_SECONDS = 5

# Engine errors are generic; the application decides how they look to people.
ENGINE_ERRORS: dict[type[Exception], tuple[int, str]] = {
    engine_errors.DefinitionInvalid: (422, "Tệp BPMN không hợp lệ."),
    engine_errors.DefinitionNotFound: (404, "Không tìm thấy quy trình."),
    engine_errors.InstanceNotFound: (404, "Không tìm thấy phiên bản quy trình của hồ sơ."),
    engine_errors.WorkItemNotFound: (404, "Không tìm thấy công việc."),
    engine_errors.WorkItemNotOpen: (409, "Công việc đã được hoàn thành hoặc không còn mở."),
    engine_errors.ConcurrentModification: (409, "Hồ sơ vừa được người khác cập nhật; vui lòng tải lại."),
    engine_errors.InstanceInIncident: (409, "Hồ sơ đang gặp sự cố xử lý; quản trị viên cần xử lý trước."),
    engine_errors.MessageNotExpected: (409, "Hồ sơ không ở bước có thể nhận yêu cầu này."),
    engine_errors.IncidentNotFound: (404, "Không tìm thấy sự cố."),
    engine_errors.IncidentNotOpen: (409, "Sự cố đã được xử lý."),
}

STATUS_TEXT = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("not_authenticated", "Chưa đăng nhập hoặc phiên đăng nhập đã hết hạn."),
    403: ("forbidden", "Bạn không có quyền thực hiện thao tác này."),
    404: ("not_found", "Không tìm thấy địa chỉ yêu cầu."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    413: ("payload_too_large", "Dữ liệu gửi lên quá lớn."),
    415: ("unsupported_media_type", "Định dạng dữ liệu không được hỗ trợ."),
    429: ("rate_limited", "Bạn đã gửi quá nhiều yêu cầu; vui lòng thử lại sau."),
}


class ProblemHTTPException(StarletteHTTPException):
    """An HTTP-level refusal raised below the routers (a middleware, the body reader) that must look like
    every other error: its own `code` and Vietnamese `detail`. FastAPI re-raises HTTPExceptions met while
    reading a body, where any other exception would become a 400."""

    def __init__(self, status: int, *, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.code = code


def problem(
    status: int, code: str, detail: str, *, errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://motcua.example/errors/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(MotcuaError)
    async def _domain(_: Request, exc: MotcuaError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if getattr(exc, "retry_after", None) is not None:
            headers = {"Retry-After": str(exc.retry_after)}  # type: ignore[attr-defined]
        return problem(exc.status_code, exc.error_code, exc.detail, errors=exc.errors, headers=headers)

    @app.exception_handler(engine_errors.FormDataInvalid)
    async def _form(_: Request, exc: engine_errors.FormDataInvalid) -> JSONResponse:
        # A task form refused: the same kind, code and wording as any other field refused.
        return problem(422, ValidationFailed.code, "Dữ liệu biểu mẫu không hợp lệ.", errors=form_errors(exc.errors))

    @app.exception_handler(engine_errors.EngineError)
    async def _engine(_: Request, exc: engine_errors.EngineError) -> JSONResponse:
        status, detail = next(
            (v for cls, v in ENGINE_ERRORS.items() if isinstance(exc, cls)), (400, "Yêu cầu không hợp lệ.")
        )
        return problem(status, exc.code, detail, errors=exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, ValidationFailed.code, ValidationFailed.default_detail,
                       errors=request_errors(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, ProblemHTTPException):
            return problem(exc.status_code, exc.code, exc.detail, headers=exc.headers)
        code, detail = STATUS_TEXT.get(exc.status_code, ("http_error", "Yêu cầu không thể xử lý."))
        return problem(exc.status_code, code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
        # A number or text the database cannot hold (an id of 30 digits, a NUL character): the request's
        # fault, not ours. The request's transaction is rolled back by the session dependency.
        log.info("value refused by the database: %s", type(exc).__name__)
        return problem(422, "value_out_of_range", "Giá trị gửi lên vượt quá giới hạn cho phép.")

    @app.exception_handler(PoolTimeout)
    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: Exception) -> JSONResponse:
        # SQLite's write lock not had in time (the writer gate's turn or the busy handler), or no pooled
        # connection free: the server is overloaded, not broken. Nothing was written (the transaction never
        # began, or was rolled back); the client may send the same request again.
        if isinstance(exc, PoolTimeout) or "database is locked" in str(exc):
            log.warning("busy: %s %s (%s)", request.method, request.url.path, str(exc).splitlines()[0][:200])
            return problem(503, "busy", "Hệ thống đang bận xử lý nhiều yêu cầu; vui lòng thử lại sau ít giây.",
                           headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "internal_error", "Hệ thống gặp lỗi; vui lòng thử lại sau.")
