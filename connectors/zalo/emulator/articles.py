"""The emulator's OA articles, article videos, follower tags and the article broadcast (the protocol of
connectors/zalo/articles.py, whose docstring cites the sources), with Zalo's envelope and codes.

Zalo processes uploads and articles asynchronously; here a video is "being converted" (status 3) for
`video_delay` after its upload and an article answers -214 "Article is being processed" for `article_delay`
after its creation, both on the emulator's clock (a manual clock in tests). The test hook
`POST {prefix}/articles/processing {"video_seconds", "article_seconds"}` changes the delays.

A broadcast delivers the article to every follower matching the target. Emulated users have no age, gender
or city, so any target reaches all followers; the broadcasts are recorded (`GET {prefix}/broadcasts`).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from connectors.timeutil import to_epoch_ms, utc
from connectors.zalo.emulator import wire
from connectors.zalo.emulator.errors import EmuError
from connectors.zalo.emulator.state import EmulatorState

VIDEO_MAX_BYTES = 50 * 1024 * 1024  # "tối đa 50 MB" in a public integration's upload form [UNCONFIRMED]


@dataclass
class EmuVideo:
    token: str
    filename: str
    size: int
    uploaded_at: datetime
    video_id: str


@dataclass
class EmuArticle:
    token: str
    article_id: str
    kind: str
    body: dict[str, Any]
    created_at: datetime


@dataclass
class ArticleWorld:
    """Articles, videos and tags of the emulated OA (guarded by the emulator state's lock)."""

    state: EmulatorState
    video_delay: timedelta = timedelta(seconds=30)
    article_delay: timedelta = timedelta(seconds=10)
    videos: dict[str, EmuVideo] = field(default_factory=dict)
    articles: dict[str, EmuArticle] = field(default_factory=dict)  # by token
    tags: dict[str, set[str]] = field(default_factory=dict)  # tag → user ids
    broadcasts: list[dict[str, Any]] = field(default_factory=list)

    def _now(self) -> datetime:
        return utc(self.state.now())

    def prepare_video(self, *, filename: str, content: bytes) -> dict[str, Any]:
        with self.state.lock:
            if not re.search(r"\.(mp4|avi)$", filename.lower()):
                raise EmuError(-201, "file is invalid!")
            if len(content) > VIDEO_MAX_BYTES:
                raise EmuError(-210, "Parameter exceeds allowable limit")
            token = secrets.token_urlsafe(24)
            self.videos[token] = EmuVideo(token, filename, len(content), self._now(), secrets.token_hex(16))
            return {"token": token}

    def verify_video(self, token: str) -> dict[str, Any]:
        with self.state.lock:
            video = self.videos.get(token)
            if video is None:
                raise EmuError(-201, "token is invalid!")
            elapsed = self._now() - video.uploaded_at
            ready = elapsed >= self.video_delay
            percent = 100 if ready else int(100 * elapsed / self.video_delay) if self.video_delay else 100
            return {"video_id": video.video_id, "video_name": video.filename, "video_size": video.size,
                    "status": 1 if ready else 3, "convert_percent": percent,
                    "status_message": "Đã xử lý xong" if ready else "Video đang được chuyển đổi"}

    def create_article(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            kind = body.get("type")
            if kind not in ("normal", "video"):
                raise EmuError(-201, "type is invalid!")
            title = str(body.get("title") or "")
            if not 1 <= len(title) < 150:  # Zalo refuses exactly 150 too (a public integration's logs)
                raise EmuError(-201, "title allow 1 to 150 characters")
            if len(str(body.get("description") or "")) >= 300:
                raise EmuError(-201, "description allow 0 to 300 characters")
            if kind == "normal":
                cover = body.get("cover") if isinstance(body.get("cover"), dict) else {}
                if cover.get("cover_type") != "photo" or not str(cover.get("photo_url") or "").startswith("http"):
                    raise EmuError(-201, "cover value is invalid")
                if not isinstance(body.get("body"), list) or not body["body"]:
                    raise EmuError(-201, "body is invalid!")
            else:
                if not any(v.video_id == body.get("video_id") for v in self.videos.values()):
                    raise EmuError(-201, "video_id is invalid!")
                if not str(body.get("avatar") or "").startswith("http"):
                    raise EmuError(-201, "avatar is invalid!")
            token = secrets.token_urlsafe(32)
            self.articles[token] = EmuArticle(token, self.state.new_message_id(), kind, dict(body), self._now())
            return {"token": token}

    def verify_article(self, token: str) -> dict[str, Any]:
        with self.state.lock:
            article = self.articles.get(token)
            if article is None:
                raise EmuError(-201, "token is invalid!")
            if self._now() - article.created_at < self.article_delay:
                raise EmuError(-214, "Article is being processed")
            return {"id": article.article_id}

    def _processed(self) -> list[EmuArticle]:
        now = self._now()
        done = [a for a in self.articles.values() if now - a.created_at >= self.article_delay]
        return sorted(done, key=lambda a: a.created_at, reverse=True)

    def _media(self, article: EmuArticle) -> dict[str, Any]:
        body = article.body
        cover = (body.get("cover") or {}).get("photo_url") if article.kind == "normal" else body.get("avatar")
        return {"id": article.article_id, "type": article.kind, "title": body.get("title"),
                "description": body.get("description", ""), "author": body.get("author", ""),
                "thumb": cover, "status": body.get("status", "show"), "total_view": 0, "total_share": 0,
                "create_date": to_epoch_ms(article.created_at), "update_date": to_epoch_ms(article.created_at),
                "link_view": f"https://zalo.me/{self.state.oa_id}/article/{article.article_id}"}

    def slice(self, *, offset: int, limit: int, kind: str) -> dict[str, Any]:
        with self.state.lock:
            if kind not in ("normal", "video"):
                raise EmuError(-201, "type accept only 2 value normal and video.")
            if limit > 10:
                raise EmuError(-201, "maximum limit is 10")
            medias = [self._media(a) for a in self._processed() if a.kind == kind]
            return {"medias": medias[max(offset, 0): max(offset, 0) + max(limit, 0)], "total": len(medias)}

    def detail(self, article_id: str) -> dict[str, Any]:
        with self.state.lock:
            for article in self._processed():
                if article.article_id == article_id:
                    return self._media(article) | {"body": article.body.get("body", []),
                                                   "video_id": article.body.get("video_id")}
            raise EmuError(-201, "id is invalid!")

    def tag_follower(self, user_id: str, tag: str) -> dict[str, Any]:
        with self.state.lock:
            self.state.user(user_id)
            if not tag or len(tag) > 100:
                raise EmuError(-201, "tag_name is invalid!")
            self.tags.setdefault(tag, set()).add(user_id)
            return {}

    def followers(self, query: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            offset, count = int(query.get("offset") or 0), int(query.get("count") or 15)
            if count > 50 or offset > 9951:
                raise EmuError(-210, "Parameter exceeds allowable limit")
            tag = query.get("tag_name")
            users = [u for u in self.state.users.values() if u.followed
                     and (not tag or u.user_id in self.tags.get(str(tag), set()))]
            page = users[offset: offset + count]
            return {"total": len(users), "count": len(page), "offset": offset,
                    "users": [{"user_id": u.user_id} for u in page]}

    def broadcast(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            recipient = body.get("recipient") if isinstance(body.get("recipient"), dict) else {}
            if not isinstance(recipient.get("target"), dict):
                raise EmuError(-201, "recipient is invalid!")
            attachment = ((body.get("message") or {}).get("attachment") or {})
            elements = (attachment.get("payload") or {}).get("elements") or []
            element = elements[0] if len(elements) == 1 and isinstance(elements[0], dict) else {}
            if element.get("media_type") != "article":
                raise EmuError(-201, "elements is invalid!")  # broadcast carries articles only (§4.1)
            article = next((a for a in self._processed() if a.article_id == element.get("attachment_id")), None)
            if article is None:
                raise EmuError(-201, "attachment_id is invalid!")
            message_id = self.state.new_message_id()
            reached = [u for u in self.state.users.values() if u.followed]
            for user in reached:
                user.inbox.append({"message_id": message_id, "sent_at": self._now().isoformat(), "type": "article",
                                   "channel": "broadcast", "article_id": article.article_id,
                                   "text": article.body.get("title")})
                self.state.stats["messages"] += 1
            self.broadcasts.append({"message_id": message_id, "article_id": article.article_id,
                                    "target": recipient["target"], "user_ids": [u.user_id for u in reached]})
            return {"message_id": message_id}


class ProcessingIn(BaseModel):
    video_seconds: float | None = Field(None, ge=0, le=86400)
    article_seconds: float | None = Field(None, ge=0, le=86400)


def build_router(world: ArticleWorld) -> APIRouter:
    """The article endpoints of openapi.zalo.me and the test hooks, to include under the emulator's prefix;
    the injected faults of `POST /faults` apply here as on the other endpoints."""
    state = world.state
    router = APIRouter()

    async def api(request: Request, action: Any) -> Response:
        return await wire.answer(state, request, action)

    body_of = wire.json_body

    @router.post("/openapi/v2.0/article/upload_video/preparevideo")
    async def prepare_video(request: Request) -> Response:
        part = (await request.form()).get("file")
        if part is None or isinstance(part, str):
            return await api(request, lambda: _raise(EmuError(-201, "file is invalid!")))
        content = await part.read()
        return await api(request, lambda: world.prepare_video(filename=part.filename or "video", content=content))

    @router.get("/openapi/v2.0/article/upload_video/verify")
    async def verify_video(request: Request, token: str = "") -> Response:
        token = token or request.headers.get("token", "")  # the Java SDK sends it as a header
        return await api(request, lambda: world.verify_video(token))

    @router.post("/openapi/v2.0/article/create")
    async def create(request: Request) -> Response:
        body = await body_of(request)
        return await api(request, lambda: world.create_article(body))

    @router.post("/openapi/v2.0/article/verify")
    async def verify(request: Request) -> Response:
        body = await body_of(request)
        return await api(request, lambda: world.verify_article(str(body.get("token") or "")))

    @router.get("/openapi/v2.0/article/getslice")
    async def getslice(request: Request, offset: int = 0, limit: int = 5, type: str = "normal") -> Response:
        return await api(request, lambda: world.slice(offset=offset, limit=limit, kind=type))

    @router.get("/openapi/v2.0/article/getdetail")
    async def getdetail(request: Request, id: str = "") -> Response:
        return await api(request, lambda: world.detail(id))

    @router.post("/openapi/v2.0/oa/tag/tagfollower")
    async def tag_follower(request: Request) -> Response:
        body = await body_of(request)
        return await api(request, lambda: world.tag_follower(str(body.get("user_id") or ""),
                                                             str(body.get("tag_name") or "")))

    @router.get("/openapi/v2.0/oa/tag/gettagsofoa")
    async def tags(request: Request) -> Response:
        return await api(request, lambda: sorted(world.tags))

    @router.get("/openapi/v3.0/oa/user/getlist")
    async def getlist(request: Request, data: str = "{}") -> Response:
        try:
            query = json.loads(data)
        except ValueError:
            query = None
        if not isinstance(query, dict):
            return await api(request, lambda: _raise(EmuError(-201, "data is invalid!")))
        return await api(request, lambda: world.followers(query))

    @router.post("/openapi/v2.0/oa/message")
    async def broadcast(request: Request) -> Response:
        body = await body_of(request)
        recipient = body.get("recipient") if isinstance(body.get("recipient"), dict) else {}
        if "user_id" in recipient:  # the v2 free-form message to a user is shut down (ZALO_API.md §4.1)
            return await api(request, lambda: _raise(EmuError(
                -240, "MessageV2 API has been shut down, please switch to MessageV3")))
        return await api(request, lambda: world.broadcast(body))

    @router.post("/articles/processing")
    async def processing(body: ProcessingIn) -> dict[str, float]:
        with state.lock:
            if body.video_seconds is not None:
                world.video_delay = timedelta(seconds=body.video_seconds)
            if body.article_seconds is not None:
                world.article_delay = timedelta(seconds=body.article_seconds)
            return {"video_seconds": world.video_delay.total_seconds(),
                    "article_seconds": world.article_delay.total_seconds()}

    @router.get("/broadcasts")
    async def broadcasts() -> list[dict[str, Any]]:
        with state.lock:
            return [dict(b) for b in world.broadcasts]

    return router


def _raise(exc: Exception) -> Any:
    raise exc
