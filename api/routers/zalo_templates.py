"""The OA's approved ZBS templates (issue 18, "Templates"): administrators see the configured templates
with their parameter mapping and the last check, and check them against Zalo on demand."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from api.auth import Admin
from api.deps import SessionDep, WiringDep
from workflows.zalo import templates
from workflows.zalo.templates import TemplateReportOut, TemplatesOut

router = APIRouter(prefix="/api/v1/admin/zalo/templates", tags=["administration"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Chưa đăng nhập"}, 403: {"description": "Cần vai trò Quản trị hệ thống"},
}


@router.get("", response_model=TemplatesOut, responses=ERRORS,
            summary="Mẫu tin Zalo (ZBS) theo loại sự kiện, ánh xạ tham số và kết quả kiểm tra gần nhất")
def list_templates(wiring: WiringDep, admin: Admin) -> TemplatesOut:
    return templates.configured(wiring.templates)


@router.post("/check", response_model=TemplateReportOut, responses=ERRORS,
             summary="Kiểm tra ngay các mẫu tin với Zalo (trạng thái, tham số)")
async def check_templates(wiring: WiringDep, admin: Admin, session: SessionDep) -> TemplateReportOut:
    # The request's transaction (the caller's authentication) ends before the Zalo calls: no database lock
    # is held while Zalo answers (the token store reads on its own connection).
    await run_in_threadpool(session.commit)
    report = await run_in_threadpool(wiring.templates.check)  # one Zalo call per template
    return templates.report_out(report)
