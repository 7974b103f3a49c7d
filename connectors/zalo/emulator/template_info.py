"""The emulator's ZBS template surface beyond sending: template info (ZALO_API.md §9.6), development mode
(§9.3: only the app's or the OA's administrators receive), delivery events with our `tracking_id` (§9.8),
and test hooks to disable a template, change its parameters or name the testers.

    GET  {prefix}/business/template/info/v2?template_id=   Zalo's answer: status, listParams, listButtons…
    GET  {prefix}/templates                                 (test hook) the registered templates
    POST {prefix}/templates/{template_id}                   (test hook) {"status", "params", "required",
                                                             "types", "rename"}
    POST {prefix}/testers                                   (test hook) {"user_id"}: an OA administrator
    POST {prefix}/users/{user_id}/seen                      (test hook) the user reads the OA's messages
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from connectors.timeutil import to_epoch_ms, utc
from connectors.zalo.emulator.errors import EmuError
from connectors.zalo.emulator.state import EmulatorState
from connectors.zalo.emulator.templates import Template
from connectors.zalo.emulator.webhooks import WebhookDispatcher

# ZALO_API.md §10.2 (S-SPEC quoting Zalo's ZNS error table): -127 "test template only to admins".
NOT_A_TESTER = -127


class TemplateDesk:
    """Per emulator: who may receive a development-mode template (the OA's and the app's administrators)."""

    def __init__(self) -> None:
        self.testers: set[str] = set()
        self.lock = threading.Lock()


_DESKS: WeakKeyDictionary[EmulatorState, TemplateDesk] = WeakKeyDictionary()


def desk_for(state: EmulatorState) -> TemplateDesk:
    with state.lock:
        return _DESKS.setdefault(state, TemplateDesk())


def template_info(state: EmulatorState, template_id: str) -> dict[str, Any]:
    """`template/info/v2` as Zalo answers it (fields per §9.6; parameter shape as Zalo's gateways relay it:
    {name, require, type, maxLength, minLength, acceptNull})."""
    with state.lock:
        template = state.templates.get(str(template_id))
        if template is None:
            raise EmuError(-109, "Template id is invalid")
        return {
            "templateId": template.template_id, "templateName": template.name, "status": template.status,
            "listParams": [{"name": name, "require": name in template.required,
                            "type": template.types.get(name, "STRING"), "maxLength": limit, "minLength": 0,
                            "acceptNull": name not in template.required}
                           for name, limit in template.params.items()],
            "listButtons": [{"type": 1, "title": title, "content": "cta_url"} for title in template.buttons],
            "timeout": 7_200_000, "previewUrl": f"https://zns.oa.zalo.me/znspreview/{template.template_id}",
            "templateQuality": "HIGH", "templateTag": "TRANSACTION", "price": "300",
        }


def send_template(state: EmulatorState, webhooks: WebhookDispatcher, body: dict[str, Any], *,
                  by_phone: bool, send: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """A template send (by user id or by phone): development mode only to testers (-127 for anyone else),
    then the send itself through `send` (the sending rules' `send_template`: night window, quotas, wallet),
    then Zalo's delivery event naming `msg_id` and our `tracking_id`."""
    template_id = str(body.get("template_id") or "")
    tracking_id = str(body.get("tracking_id") or "")[:48]
    phone = str(body.get("phone") or "") if by_phone else None
    user_id = None if by_phone else str(body.get("user_id") or "")
    if body.get("mode") == "development":
        with state.lock:
            uid = state.by_phone.get((phone or "").removeprefix("+")) if by_phone else user_id
        with desk_for(state).lock:
            allowed = uid in desk_for(state).testers
        if not allowed:
            raise EmuError(NOT_A_TESTER, "Development mode only sends to the administrators of the app or the OA")
    data = send(template_id=template_id, data=body.get("template_data"), user_id=user_id, phone=phone)
    message_id = str(data.get("msg_id") or data.get("message_id"))
    recipient = (phone or "").removeprefix("+") if by_phone else str(user_id)
    with state.lock:
        now = to_epoch_ms(utc(state.now()))
        user = state.users[state.by_phone[recipient] if by_phone else str(user_id)]
        entry = next(m for m in reversed(user.inbox) if m["message_id"] == message_id)
        template = state.templates[template_id]
        # The citizen sees the registered buttons: their titles are the template's, the URL its parameter.
        link = str((body.get("template_data") or {}).get("cta_url") or "")
        entry.update(tracking_id=tracking_id, mode=str(body.get("mode") or "production"),
                     buttons=[{"title": title, "url": link} for title in template.buttons])
    # Queued: the dispatcher's thread posts it, signed, after this answer (as Zalo reports delivery later).
    webhooks.emit({"event_name": "user_received_message", "app_id": state.app_id, "timestamp": now,
                   "sender": {"id": state.oa_id}, "recipient": {"id": recipient},
                   "message": {"delivery_time": now, "msg_id": message_id, "tracking_id": tracking_id}})
    return data


class TemplateChangeIn(BaseModel):
    status: str | None = Field(None, description="ENABLE, PENDING_REVIEW, REJECT, DISABLE")
    params: dict[str, int] | None = Field(None, description="Parameter name → max length (replaces them all)")
    required: list[str] | None = Field(None, description="Required parameters; default: every parameter")
    types: dict[str, str] | None = None
    rename: dict[str, str] | None = Field(None, description="Old parameter name → new (the body follows)")


class TesterIn(BaseModel):
    user_id: str


class SeenIn(BaseModel):
    msg_ids: list[str] | None = None


def _describe(template: Template) -> dict[str, Any]:
    return {"template_id": template.template_id, "name": template.name, "status": template.status,
            "params": dict(template.params), "required": sorted(template.required),
            "types": dict(template.types), "buttons": list(template.buttons)}


def build_router(state: EmulatorState, webhooks: WebhookDispatcher) -> APIRouter:
    router = APIRouter()

    @router.get("/templates")
    async def templates() -> list[dict[str, Any]]:
        with state.lock:
            return [_describe(t) for t in state.templates.values()]

    @router.post("/templates/{template_id}")
    async def change_template(template_id: str, body: TemplateChangeIn) -> dict[str, Any]:
        """What an OA administrator (or Zalo's review) does in ZBS: disable a template, edit its parameters."""
        with state.lock:
            template = state.templates.get(template_id)
            if template is None:
                raise HTTPException(404, "no such template")
            # A copy: the seed templates are shared by every emulator built from them.
            template = state.templates[template_id] = dataclasses.replace(template, params=dict(template.params),
                                                                           types=dict(template.types))
            if body.status is not None:
                template.status = body.status.upper()
            if body.params is not None:
                template.params = dict(body.params)
                template.required = frozenset(body.required if body.required is not None else body.params)
            elif body.required is not None:
                template.required = frozenset(body.required)
            if body.types is not None:
                template.types = dict(body.types)
            for old, new in (body.rename or {}).items():
                if old in template.params:
                    template.params = {new if k == old else k: v for k, v in template.params.items()}
                    template.required = frozenset(new if k == old else k for k in template.required)
                    template.body = template.body.replace("{" + old + "}", "{" + new + "}")
            return _describe(template)

    @router.post("/testers")
    async def add_tester(body: TesterIn) -> dict[str, Any]:
        try:
            state.user(body.user_id)
        except EmuError as exc:
            raise HTTPException(404, "no such Zalo user") from exc
        desk = desk_for(state)
        with desk.lock:
            desk.testers.add(body.user_id)
            return {"testers": sorted(desk.testers)}

    @router.post("/users/{user_id}/seen")
    async def seen(user_id: str, body: SeenIn | None = None) -> dict[str, Any]:
        """The user opens the chat: Zalo's `user_seen_message` names the OA's messages read (`msg_ids`)."""
        with state.lock:
            try:
                user = state.user(user_id)
            except EmuError as exc:
                raise HTTPException(404, "no such Zalo user") from exc
            ids = body.msg_ids if body and body.msg_ids else [m["message_id"] for m in user.inbox]
            event = {"event_name": "user_seen_message", "app_id": state.app_id,
                     "timestamp": to_epoch_ms(utc(state.now())), "sender": {"id": state.oa_id},
                     "recipient": {"id": user.user_id}, "message": {"msg_ids": ids}}
        record = await run_in_threadpool(webhooks.emit, event)
        return {"event": event, "delivery": record["status"]}

    return router
