"""Zalo's Article API, video upload, follower tags and the article broadcast: the wire protocol, nothing more.

Sources (ZALO_API.md has no article section; these are the official SDKs and public integrations):
- `POST /v2.0/article/upload_video/preparevideo` (multipart `file`) → `data.token`; then
  `GET /v2.0/article/upload_video/verify` with that token → `data.video_id`, `status`, `convert_percent`,
  `status_message` — zalo-java-sdk UploadVideoForArticle / CheckStatusVideo, ZaloDotNetSDK
  VerifyUploadVideoForArticle. The SDK sends the token as a header, the .NET SDK and two public
  integrations as a query parameter; we send the query parameter. Status 1 = ready and 3 = being converted
  come from a public Odoo integration; any other status is taken as failed [UNCONFIRMED].
- `POST /v2.0/article/create` → `data.token` (not yet the id: Zalo processes the article asynchronously);
  `POST /v2.0/article/verify {"token"}` → `data.id` once processed, error -214 "Article is being processed"
  before that (ZALO_API.md §10.1) — zalo-java-sdk CreateNormalArticle / CreateVideoArticle / GetArticleId,
  zalo-php-sdk ARTICLE_CREATE_URL / ARTICLE_GETID_URL.
  A normal article: `type "normal"`, `title`, `author`, `cover {cover_type "photo", photo_url, status}`,
  `description`, `body` (paragraphs `text` / `image` / `video`), `status`, `comment`. A video article:
  `type "video"`, `title`, `description`, `video_id`, `avatar` (the thumbnail URL), `status`, `comment`.
  Limits seen in a public integration's logs: title "1 to 150 characters" and description 300, yet a title
  of exactly 150 (description 300) is refused, so we cut below; a cover is mandatory ("cover value is
  invalid").
- `GET /v2.0/article/getslice?offset&limit&type` (limit ≤ 10, type `normal`|`video`) → `data.medias`,
  `data.total`; `GET /v2.0/article/getdetail?id` → the article (`link_view` is its public link, from a
  single public integration [UNCONFIRMED]) — zalo-java-sdk GetListArticle / GetArticleInfo.
- Tags (ZALO_API.md §6.3): `POST /v2.0/oa/tag/tagfollower {"user_id", "tag_name"}` (creates the tag),
  `GET /v2.0/oa/tag/gettagsofoa`; followers of a tag: `GET /v3.0/oa/user/getlist?data={offset, count ≤ 50,
  tag_name}` (§6.2).
- Broadcast (ZALO_API.md §4.1, §4.2): `POST /v2.0/oa/message` with `recipient.target` (`ages`, `gender`,
  `locations`, `cities`, `platform` in zalo-java-sdk SendBroadcastMessage) and a media template whose one
  element is `{"media_type": "article", "attachment_id": <article id>}`. No source shows a tag among the
  target's keys: a broadcast "to a tag" is therefore made by us, one customer-service message per tagged
  follower (see workflows/zalo/article_jobs.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from connectors.zalo.client import ZaloClient
from connectors.zalo.errors import ZaloError

ARTICLE_PROCESSING = -214  # "Article is being processed" (ZALO_API.md §10.1, S-PYPI)
ARTICLE_QUOTA = -223  # "OA has not authorized this API / OA reached article quota" (ZALO_API.md §10.1)
VIDEO_READY, VIDEO_CONVERTING = 1, 3
SLICE_LIMIT = 10  # getslice refuses more ("maximum limit is 10")
FOLLOWER_PAGE = 50  # user/getlist `count` at most 50 (§6.2)
TITLE_MAX, DESCRIPTION_MAX, AUTHOR_MAX = 149, 299, 50  # see above: 150 and 300 themselves are refused


@dataclass(frozen=True)
class VideoStatus:
    video_id: str
    status: int
    percent: int
    message: str

    @property
    def ready(self) -> bool:
        return self.status == VIDEO_READY and bool(self.video_id)

    @property
    def converting(self) -> bool:
        """Still being converted (status 3, or 0 before conversion starts); any other status is a failure."""
        return not self.ready and self.status in (0, VIDEO_CONVERTING)


@dataclass(frozen=True)
class ArticleApi:
    """The article endpoints over a `ZaloClient` (its token handling, timeouts and error classes)."""

    client: ZaloClient

    # --- video ---------------------------------------------------------------------------------------------

    def prepare_video(self, filename: str, content: bytes) -> str:
        """Upload an MP4/AVI for a video article; returns the upload token to verify."""
        files = {"file": (filename, content, "video/mp4" if filename.lower().endswith(".mp4") else "video/avi")}
        return str(self.client.call_openapi("POST", "/v2.0/article/upload_video/preparevideo",
                                            files=files)["token"])

    def video_status(self, token: str) -> VideoStatus:
        data = self.client.call_openapi("GET", "/v2.0/article/upload_video/verify", params={"token": token})
        return VideoStatus(video_id=str(data.get("video_id") or ""), status=int(data.get("status") or 0),
                           percent=int(data.get("convert_percent") or 0),
                           message=str(data.get("status_message") or ""))

    # --- articles ------------------------------------------------------------------------------------------

    def create_normal(self, *, title: str, author: str, cover_url: str, description: str,
                      paragraphs: list[dict[str, str]]) -> str:
        """Create a normal article shown at once (`status "show"`); returns the token to verify."""
        body = {"type": "normal", "title": title[:TITLE_MAX], "author": author[:AUTHOR_MAX],
                "cover": {"cover_type": "photo", "photo_url": cover_url, "status": "show"},
                "description": description[:DESCRIPTION_MAX], "body": paragraphs,
                "status": "show", "comment": "show"}
        return str(self.client.call_openapi("POST", "/v2.0/article/create", json_body=body)["token"])

    def create_video(self, *, title: str, description: str, video_id: str, avatar_url: str) -> str:
        body = {"type": "video", "title": title[:TITLE_MAX], "description": description[:DESCRIPTION_MAX],
                "video_id": video_id, "avatar": avatar_url, "status": "show", "comment": "show"}
        return str(self.client.call_openapi("POST", "/v2.0/article/create", json_body=body)["token"])

    def verify_article(self, token: str) -> str | None:
        """The article id once Zalo has processed the article, None while it is processing (-214)."""
        try:
            data = self.client.call_openapi("POST", "/v2.0/article/verify", json_body={"token": token})
        except ZaloError as exc:
            if exc.code == ARTICLE_PROCESSING:
                return None
            raise
        return str(data.get("id") or "") or None

    def detail(self, article_id: str) -> dict[str, Any]:
        return self.client.call_openapi("GET", "/v2.0/article/getdetail", params={"id": article_id})

    def list_slice(self, *, kind: str, offset: int = 0, limit: int = SLICE_LIMIT) -> tuple[list[dict[str, Any]], int]:
        """One page of the OA's articles of `kind` ("normal" | "video"), newest first, and the total."""
        data = self.client.call_openapi("GET", "/v2.0/article/getslice", params={
            "offset": str(offset), "limit": str(min(limit, SLICE_LIMIT)), "type": kind})
        medias = [m for m in data.get("medias") or [] if isinstance(m, dict)]
        return medias, int(data.get("total") or len(medias))

    # --- tags and broadcast --------------------------------------------------------------------------------

    def tag_follower(self, user_id: str, tag: str) -> None:
        self.client.call_openapi("POST", "/v2.0/oa/tag/tagfollower", json_body={"user_id": user_id, "tag_name": tag})

    def tags(self) -> list[str]:
        data = self.client.call_openapi("GET", "/v2.0/oa/tag/gettagsofoa")
        return [str(t) for t in data.get("items") or []]

    def followers_with_tag(self, tag: str, *, max_pages: int = 200) -> list[str]:
        """Every follower carrying `tag`, paging 50 at a time (the offset cap of §6.2 bounds this at 10,000)."""
        found: list[str] = []
        for page in range(max_pages):
            query = {"offset": page * FOLLOWER_PAGE, "count": FOLLOWER_PAGE, "tag_name": tag, "is_follower": True}
            data = self.client.call_openapi("GET", "/v3.0/oa/user/getlist", params={"data": json.dumps(query)})
            users = [u for u in data.get("users") or [] if isinstance(u, dict)]
            found += [str(u["user_id"]) for u in users if u.get("user_id")]
            if len(users) < FOLLOWER_PAGE:
                break
        return found

    def broadcast(self, article_id: str, target: dict[str, Any] | None = None) -> str:
        """Broadcast the article to the followers matching `target` (all followers when empty); returns
        Zalo's `message_id`. Whether Zalo accepts an empty target is [UNCONFIRMED]."""
        element = {"media_type": "article", "attachment_id": article_id}
        body = {"recipient": {"target": target or {}}, "message": {"attachment": {"type": "template", "payload": {
            "template_type": "media", "elements": [element]}}}}
        return str(self.client.call_openapi("POST", "/v2.0/oa/message", json_body=body).get("message_id") or "")
