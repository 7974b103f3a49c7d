"""Administrators manage news and guide videos (role QUAN_TRI); citizens read them under /public/news."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.auth import Admin
from api.deps import DomainDep, SessionDep
from workflows.news import service as news
from workflows.news.schemas import NewsIn, NewsList, NewsOut

router = APIRouter(prefix="/api/v1/news", tags=["news"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Chưa đăng nhập"},
    403: {"description": "Cần vai trò Quản trị hệ thống"},
    404: {"description": "Không tìm thấy tin"},
}


@router.get("", response_model=NewsList, responses=ERRORS, summary="Tất cả tin (kể cả chưa đăng)")
def list_all(session: SessionDep, admin: Admin) -> NewsList:
    return NewsList(items=[news.to_out(i) for i in news.all_items(session)])


@router.post("", status_code=201, response_model=NewsOut, responses=ERRORS, summary="Thêm tin tức/hướng dẫn")
def create(body: NewsIn, session: SessionDep, admin: Admin, domain: DomainDep) -> NewsOut:
    return news.to_out(news.create(session, body=body, actor=admin.username, clock=domain.clock))


@router.put("/{news_id}", response_model=NewsOut, responses=ERRORS, summary="Sửa tin tức/hướng dẫn")
def update(news_id: int, body: NewsIn, session: SessionDep, admin: Admin, domain: DomainDep) -> NewsOut:
    return news.to_out(
        news.update(session, news_id=news_id, body=body, actor=admin.username, clock=domain.clock)
    )


@router.delete("/{news_id}", status_code=204, responses=ERRORS, summary="Xóa tin tức/hướng dẫn")
def delete(news_id: int, session: SessionDep, admin: Admin, domain: DomainDep) -> Response:
    news.delete(session, news_id=news_id, actor=admin.username, clock=domain.clock)
    return Response(status_code=204)
