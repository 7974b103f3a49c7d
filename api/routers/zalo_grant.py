"""The OA grant (issue 18 part 1): administrators start Zalo's permission flow and see the connection; Zalo
sends the OA administrator's browser back to the callback, which completes the grant."""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.auth import Admin
from api.deps import ClockDep, SessionDep, WiringDep
from connectors.zalo.connection import read_state
from workflows.zalo import grant

router = APIRouter(tags=["administration"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Chưa đăng nhập"}, 403: {"description": "Cần vai trò Quản trị hệ thống"},
}
GRANTED_PAGE = ("Đã kết nối Zalo OA", "Ứng dụng đã được cấp quyền gửi tin nhắn thay mặt Zalo OA {oa}. Các tin "
                "nhắn đang chờ sẽ được gửi ngay. Bạn có thể đóng trang này.")
FAILED_PAGE = ("Chưa kết nối được Zalo OA", "Zalo không chấp nhận mã cấp quyền ({error}). Quản trị viên hãy "
               "bắt đầu lại việc cấp quyền (POST /api/v1/admin/zalo/grant hoặc lệnh motcua zalo-grant).")


@router.post("/api/v1/admin/zalo/grant", response_model=grant.ZaloGrantOut, responses=ERRORS,
             summary="Bắt đầu cấp quyền cho ứng dụng trên Zalo OA (đường dẫn trang cấp quyền của Zalo)")
def start_grant(session: SessionDep, admin: Admin, wiring: WiringDep, clock: ClockDep) -> grant.ZaloGrantOut:
    settings = wiring.settings
    return grant.begin_grant(session, client=wiring.zalo, cipher=wiring.cipher,
                             redirect_uri=settings.zalo_redirect_uri, actor=admin.username, now=clock.now(),
                             ttl=timedelta(seconds=settings.zalo.grant_ttl_seconds))


@router.get("/api/v1/admin/zalo", response_model=grant.ZaloConnectionOut, responses=ERRORS,
            summary="Trạng thái kết nối Zalo OA (granted, not_granted, refresh_failed)")
def connection(session: SessionDep, admin: Admin, clock: ClockDep) -> grant.ZaloConnectionOut:
    return grant.connection_out(read_state(session.connection()), now=clock.now())


@router.get("/api/v1/zalo/oauth/callback", response_class=HTMLResponse, tags=["zalo"],
            summary="Zalo chuyển quản trị viên OA về đây sau khi cấp quyền (Official Account Callback URL)",
            responses={400: {"description": "Tham số state không hợp lệ, hết hạn hoặc đã dùng"},
                       422: {"description": "Thiếu code hoặc state"},
                       502: {"description": "Zalo không chấp nhận mã cấp quyền"}})
def callback(
    session: SessionDep, wiring: WiringDep, clock: ClockDep,
    code: Annotated[str | None, Query(max_length=1000)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    outcome = grant.complete_grant(session, client=wiring.zalo, tokens=wiring.tokens, cipher=wiring.cipher,
                                   code=code, state=state, now=clock.now())
    if not outcome.ok:
        title, text = FAILED_PAGE
        return _page(title, text.format(error=outcome.error or ""), status=502)
    session.commit()  # the pair first, then the relay: the messages that waited for it go now
    wiring.notify_relay()
    title, text = GRANTED_PAGE
    return _page(title, text.format(oa=wiring.settings.oa_name))


def _page(title: str, text: str, *, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{escape(title)}"
                        f"</title></head><body><h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>",
                        status_code=status)
