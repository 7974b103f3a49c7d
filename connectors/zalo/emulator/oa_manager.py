"""The OA's outgoing events (ZALO_API.md §8.5–8.6): Zalo echoes every message the OA sends as an
`oa_send_*` webhook event — `sender.id` the OA, `recipient.id` the user, `message.msg_id` the id the send
call answered with — whether the app sent it through the API or an administrator typed it in Zalo's OA
manager (chat.zalo.me / oa.zalo.me). This module builds those echoes and serves the test hook that plays
an OA administrator answering a user:

    POST {prefix}/users/{user_id}/oa-reply  {"text": "...", "admin_id": "..."}

The echo of a request-for-information card is not documented anywhere we found: none is sent for it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from connectors.timeutil import to_epoch_ms, utc
from connectors.zalo.emulator.errors import EmuError
from connectors.zalo.emulator.state import EmulatorState, EmuUser
from connectors.zalo.emulator.webhooks import WebhookDispatcher

DEFAULT_ADMIN_ID = "5100000000000000001"


class OaReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    admin_id: str = DEFAULT_ADMIN_ID


def keep(into: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
    """`data` (a send's answer), also appended to `into`: the route echoes it once the answer is built."""
    into.append(data)
    return data


def echo_sent(state: EmulatorState, webhooks: WebhookDispatcher, data: dict[str, Any]) -> None:
    """Emit the echo of an API send that Zalo answered with `data` (`message_id`, `user_id`)."""
    with state.lock:
        user = state.users.get(str(data.get("user_id") or ""))
        entry = next((m for m in reversed(user.inbox) if m.get("message_id") == data.get("message_id")),
                     None) if user else None
        event = echo_event(state, user, entry) if user and entry else None
    if event is not None:
        webhooks.emit(event)


def echo_event(state: EmulatorState, user: EmuUser, entry: dict[str, Any],
               admin_id: str | None = None) -> dict[str, Any] | None:
    """The `oa_send_*` event of one message in the user's inbox; None for a kind Zalo is not known to echo."""
    kind = entry.get("type")
    message: dict[str, Any] = {"msg_id": entry["message_id"]}
    if entry.get("text"):
        message["text"] = entry["text"]
    if kind == "text":
        name = "oa_send_text"
    elif kind in ("image", "file"):
        file = entry.get("file") or {}
        url = f"/files/{file.get('token', '')}"  # served by the emulator under its prefix
        payload = ({"url": url, "thumbnail": url} if kind == "image" else
                   {"url": url, "name": file.get("filename", ""), "size": str(file.get("size", 0)),
                    "type": str(file.get("filename", "")).rsplit(".", 1)[-1].lower()})
        name = f"oa_send_{kind}"
        message["attachments"] = [{"type": kind, "payload": payload}]
    else:
        return None
    sender: dict[str, Any] = {"id": state.oa_id}
    if admin_id:
        sender["admin_id"] = admin_id
    return {"app_id": state.app_id, "oa_id": state.oa_id, "user_id_by_app": user.user_id_by_app,
            "event_name": name, "timestamp": to_epoch_ms(state.now()), "sender": sender,
            "recipient": {"id": user.user_id}, "message": message}


def build_router(state: EmulatorState, webhooks: WebhookDispatcher) -> APIRouter:
    router = APIRouter()

    @router.post("/users/{user_id}/oa-reply")
    async def oa_reply(user_id: str, body: OaReplyIn) -> dict[str, Any]:
        """An OA administrator answers the user from the OA manager: the message lands in the user's inbox
        (channel `oa_manager`) and Zalo sends the signed `oa_send_text` echo to the webhook. The manager
        keeps the customer-service window: 409 for a user who has not interacted within it."""
        with state.lock:
            try:
                user = state.user(user_id)
            except EmuError as exc:
                raise HTTPException(404, "no such Zalo user") from exc
            now = utc(state.now())
            if user.last_interaction_at is None or now - user.last_interaction_at > state.cs_window:
                raise HTTPException(409, "the user has not interacted with the OA within the window")
            entry = {"message_id": state.new_message_id(), "sent_at": now.isoformat(), "type": "text",
                     "channel": "oa_manager", "text": body.text, "admin_id": body.admin_id}
            user.inbox.append(entry)
            state.stats["messages"] += 1
            event = echo_event(state, user, entry, admin_id=body.admin_id)
        assert event is not None
        record = await run_in_threadpool(webhooks.emit, event)
        return {"message_id": entry["message_id"], "event": event, "delivery": record["status"]}

    return router
