"""The citizen's phone sending more than text (test hooks), and Zalo's CDN serving what they sent.

    POST {prefix}/users/{user_id}/send-image      raw image bytes as the body → `user_send_image`
    POST {prefix}/users/{user_id}/send-location   {"latitude", "longitude"}   → `user_send_location`
    POST {prefix}/users/{user_id}/send-event      {"event_name", "message"}   → any other `user_send_*`
    GET  {prefix}/cdn/{token}                     the image, over HTTP, as Zalo's CDN serves it

Payload shapes as ZALO_API.md §8.6: `message.attachments[]` of `{"type", "payload"}`; an image's payload has
`url` and `thumbnail` (absolute URLs to this CDN); a location's `{"coordinates": {"latitude", "longitude"}}`
as strings.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from connectors.timeutil import to_epoch_ms
from connectors.zalo.emulator.errors import EmuError
from connectors.zalo.emulator.state import EmulatorState
from connectors.zalo.emulator.webhooks import WebhookDispatcher

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # the emulator keeps whatever a test sends, within reason


class LocationIn(BaseModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class EventIn(BaseModel):
    event_name: str = Field(pattern=r"^user_send_\w+$")
    message: dict[str, Any] = Field(default_factory=dict)


@dataclass
class Cdn:
    """Images citizens sent, by token (in memory, like the rest of the emulator's state)."""

    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, content: bytes, content_type: str) -> str:
        token = secrets.token_hex(12)
        with self.lock:
            self.files[token] = (content, content_type)
        return token


def build_router(state: EmulatorState, webhooks: WebhookDispatcher) -> APIRouter:
    router = APIRouter()
    cdn = Cdn()

    def user_of(user_id: str) -> Any:
        try:
            return state.interact(state.user(user_id).user_id)
        except EmuError as exc:
            raise HTTPException(404, "no such Zalo user") from exc

    async def emit(name: str, user: Any, message: dict[str, Any]) -> dict[str, Any]:
        event = {"app_id": state.app_id, "user_id_by_app": user.user_id_by_app, "event_name": name,
                 "timestamp": to_epoch_ms(state.now()), "sender": {"id": user.user_id},
                 "recipient": {"id": state.oa_id}, "message": {"msg_id": state.new_message_id(), **message}}
        record = await run_in_threadpool(webhooks.emit, event)
        return {"event": event, "delivery": record["status"]}

    @router.post("/users/{user_id}/send-image")
    async def send_image(user_id: str, request: Request) -> dict[str, Any]:
        content = await request.body()
        if not content or len(content) > MAX_IMAGE_BYTES:
            raise HTTPException(422, "send the image bytes as the body")
        user = user_of(user_id)
        token = cdn.put(content, request.headers.get("content-type") or "image/jpeg")
        url = str(request.url_for("emulator_cdn", token=token))
        return await emit("user_send_image", user, {"text": "", "attachments": [
            {"type": "image", "payload": {"url": url, "thumbnail": url}}]})

    @router.post("/users/{user_id}/send-location")
    async def send_location(user_id: str, body: LocationIn) -> dict[str, Any]:
        user = user_of(user_id)
        return await emit("user_send_location", user, {"text": "", "attachments": [
            {"type": "location", "payload": {"coordinates": {"latitude": str(body.latitude),
                                                             "longitude": str(body.longitude)}}}]})

    @router.post("/users/{user_id}/send-event")
    async def send_event(user_id: str, body: EventIn) -> dict[str, Any]:
        return await emit(body.event_name, user_of(user_id), body.message)

    @router.get("/cdn/{token}", name="emulator_cdn")
    async def image(token: str) -> Response:
        with cdn.lock:
            found = cdn.files.get(token)
        if found is None:
            raise HTTPException(404, "no such image")
        return Response(found[0], media_type=found[1])

    return router
