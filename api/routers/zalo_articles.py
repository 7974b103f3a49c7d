"""News on Zalo (issue 18 part 8), for administrators (QUAN_TRI, who manage news): publish a news item as an
OA article (a video article with a video file), follow its state, broadcast it to the followers or to a
tag's followers, and list the OA's articles as Zalo has them. The Zalo calls are made by the `zalo_articles`
job (workflows/zalo/article_jobs.py), except the listing, which reads Zalo on demand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile, status

from api.auth import Admin
from api.deps import DomainDep, SessionDep, WiringDep
from connectors.zalo.articles import ArticleApi
from workflows.zalo import articles
from workflows.zalo.article_schemas import OaArticleList, ZaloArticleOut, ZaloBroadcastIn, ZaloBroadcastOut

router = APIRouter(tags=["news"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Chưa đăng nhập"},
    403: {"description": "Cần vai trò Quản trị hệ thống"},
    404: {"description": "Không tìm thấy tin (news_not_found)"},
    422: {"description": "Dữ liệu không hợp lệ"},
}
PUBLISH_ERRORS = {**ERRORS, 409: {"description": "Tin chưa công bố, đang đăng hoặc đã đăng lên Zalo "
                                                 "(news_not_published, zalo_article_in_progress, "
                                                 "zalo_article_already_published)"},
                  413: {"description": "Tệp video quá lớn"}}


@router.post("/api/v1/news/{news_id}/zalo/publish", status_code=status.HTTP_202_ACCEPTED,
             response_model=ZaloArticleOut, responses=PUBLISH_ERRORS,
             summary="Đăng tin lên Zalo OA thành bài viết (kèm tệp video thì thành bài viết video)")
def publish(
    news_id: int, session: SessionDep, admin: Admin, domain: DomainDep,
    cover_url: Annotated[str, Form(min_length=12, max_length=500, pattern=r"^https://\S+$",
                                   description="Ảnh bìa (bài viết) hoặc ảnh đại diện (video), https")],
    author: Annotated[str | None, Form(max_length=50)] = None,
    video: Annotated[UploadFile | None, File(description="MP4 hoặc AVI: đăng thành bài viết video")] = None,
) -> ZaloArticleOut:
    limit = domain.settings.storage.max_upload_bytes
    upload = (video.filename or "", video.file.read(limit + 1)) if video is not None else None
    articles.request_publish(session, news_id=news_id, cover_url=cover_url,
                             author=(author or domain.settings.centre_name)[:50], video=upload, store=domain.store,
                             max_video_bytes=limit, actor=admin.username, now=domain.clock.now())
    return articles.state_of(session, news_id=news_id)


@router.get("/api/v1/news/{news_id}/zalo", response_model=ZaloArticleOut, responses=ERRORS,
            summary="Trạng thái đăng tin lên Zalo (chưa đăng, đang xử lý, đã đăng, lỗi) và các lần gửi")
def zalo_state(news_id: int, session: SessionDep, admin: Admin) -> ZaloArticleOut:
    return articles.state_of(session, news_id=news_id)


@router.post("/api/v1/news/{news_id}/zalo/broadcast", status_code=status.HTTP_202_ACCEPTED,
             response_model=ZaloBroadcastOut,
             responses={**ERRORS, 409: {"description": "Tin chưa được đăng lên Zalo hoặc đang chờ gửi "
                                                       "(zalo_article_not_published, zalo_broadcast_pending)"}},
             summary="Gửi bài viết đã đăng tới người theo dõi OA (tất cả, hoặc những người có một nhãn)")
def broadcast(news_id: int, body: ZaloBroadcastIn, session: SessionDep, admin: Admin,
              domain: DomainDep) -> ZaloBroadcastOut:
    row = articles.request_broadcast(session, news_id=news_id, tag=body.tag, actor=admin.username,
                                     now=domain.clock.now())
    return articles.broadcast_out(row)


@router.get("/api/v1/admin/zalo/articles", response_model=OaArticleList,
            responses=ERRORS,
            summary="Bài viết của OA trên Zalo, kèm tin tương ứng")
def oa_articles(session: SessionDep, admin: Admin, wiring: WiringDep,
                offset: Annotated[int, Query(ge=0, le=10000)] = 0) -> OaArticleList:
    # The sign-in check read the database; end that transaction before the Zalo call, which may read or
    # rotate the stored token on a connection of its own (SQLite's one writer would wait on this one).
    session.commit()
    return articles.oa_articles(session, api=ArticleApi(wiring.zalo), offset=offset)
