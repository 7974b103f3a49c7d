"""The emulator's HTTP surface: Zalo's three hosts under path prefixes, and the citizen's phone.

    {prefix}/openapi/...   stands in for https://openapi.zalo.me
    {prefix}/business/...  stands in for https://business.openapi.zalo.me
    {prefix}/oauth/...     stands in for https://oauth.zaloapp.com
    {prefix}/users, /inbox, /files/{token}, /faults, /grant, /stats, /webhook-deliveries   (test hooks)
    {prefix}/rules, /clock   Zalo's sending rules (quota, wallet, night) and the emulator's time (rules.py)
    {prefix}/templates, /testers, /users/{id}/seen   template test hooks (template_info.py)
    {prefix}/media-limits   the limits of upload/file and upload/image, lowered by tests (upload_limits.py)
    {prefix}/tokens/...    break the tokens as production does (oauth.py, with the OAuth host)
    {prefix}/users/{user_id}/oa-reply   an OA administrator answering from the OA manager (oa_manager.py)
    {prefix}/phone         every citizen's phone in a browser tab, for demos (phone.py)
    {prefix}/users/{id}/send-image|send-location|send-event, /cdn/{token}   photos and more (media.py)

Application errors are HTTP 200 {"error": <negative>, "message": ...}, as Zalo answers them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from connectors.timeutil import to_epoch_ms
from connectors.zalo.emulator import oa_manager, template_info, wire
from connectors.zalo.emulator.articles import ArticleWorld
from connectors.zalo.emulator.articles import build_router as build_articles_router
from connectors.zalo.emulator.errors import EmuError
from connectors.zalo.emulator.media import build_router as build_media_router
from connectors.zalo.emulator.oauth import OAuthControls
from connectors.zalo.emulator.oauth import build_router as build_oauth_router
from connectors.zalo.emulator.phone import build_router as build_phone_router
from connectors.zalo.emulator.rules import SendingRules
from connectors.zalo.emulator.rules import build_router as build_rules_router
from connectors.zalo.emulator.state import EmulatorState
from connectors.zalo.emulator.upload_limits import build_router as build_upload_limits_router
from connectors.zalo.emulator.webhooks import WebhookDispatcher


class FaultsIn(BaseModel):
    rate: float = Field(0.0, ge=0, le=1)
    kinds: list[str] = []
    seed: int | None = None
    stall_seconds: float | None = Field(None, gt=0, le=120, description="How long an injected timeout stalls")


class NewUserIn(BaseModel):
    phone: str | None = None
    display_name: str | None = None


class TextIn(BaseModel):
    text: str


class SubmitInfoIn(BaseModel):
    phone: str | None = None
    name: str | None = None
    address: str | None = None


def build_router(state: EmulatorState, webhooks: WebhookDispatcher, rules: SendingRules) -> APIRouter:
    router = APIRouter()

    json_body = wire.json_body

    async def api(request: Request, action: Callable[[], Any], *, business: bool = False) -> Response:
        return await wire.answer(state, request, action, business=business)

    # --- openapi.zalo.me ----------------------------------------------------------------------------------

    @router.post("/openapi/v3.0/oa/message/cs")
    async def message_cs(request: Request) -> Response:
        body = await json_body(request)
        sent: list[dict[str, Any]] = []
        response = await api(request, lambda: oa_manager.keep(sent, rules.send_cs(body)))
        for data in sent:  # Zalo echoes the OA's own messages as `oa_send_*` events (oa_manager.py)
            await run_in_threadpool(oa_manager.echo_sent, state, webhooks, data)
        return response

    @router.post("/openapi/v3.0/oa/message/template")
    async def message_template_uid(request: Request) -> Response:
        body = await json_body(request)
        return await api(request, lambda: template_info.send_template(state, webhooks, body, by_phone=False,
                                                                      send=rules.send_template))

    @router.post("/openapi/v2.0/oa/upload/image")
    async def upload_image(request: Request) -> Response:
        form = await request.form()
        part = form.get("file")
        if part is None or isinstance(part, str):
            return await api(request, lambda: _raise(EmuError(-201, "file is invalid!")))
        content = await part.read()
        return await api(request, lambda: state.upload_image(
            filename=part.filename or "image", content=content, content_type=part.content_type or ""))

    @router.post("/openapi/v2.0/oa/upload/file")
    async def upload_file(request: Request) -> Response:
        form = await request.form()
        part = form.get("file")
        if part is None or isinstance(part, str):
            return await api(request, lambda: _raise(EmuError(-201, "file is invalid!")))
        content = await part.read()
        return await api(request, lambda: state.upload(
            filename=part.filename or "file", content=content, content_type=part.content_type or ""))

    @router.get("/openapi/v3.0/oa/user/detail")
    async def user_detail(request: Request, data: str = "") -> Response:
        return await api(request, lambda: state.user_detail(_data_param(data).get("user_id", "")))

    @router.get("/openapi/v2.0/oa/conversation")
    async def conversation(request: Request, data: str = "") -> Response:
        query = _data_param(data)
        return await api(request, lambda: state.conversation(
            str(query.get("user_id") or ""), offset=int(query.get("offset") or 0), count=int(query.get("count") or 5)))

    @router.post("/openapi/v3.0/oa/quota/message")
    async def user_quota(request: Request) -> Response:
        body = await json_body(request)
        return await api(request, lambda: state.user_quota(str(body.get("user_id") or "")))

    # --- business.openapi.zalo.me -------------------------------------------------------------------------

    @router.post("/business/message/template")
    async def message_template_phone(request: Request) -> Response:
        body = await json_body(request)
        return await api(request, lambda: template_info.send_template(state, webhooks, body, by_phone=True,
                                                                      send=rules.send_template),
                         business=True)

    @router.get("/business/template/info/v2")
    async def template_info_v2(request: Request, template_id: str = "") -> Response:
        return await api(request, lambda: template_info.template_info(state, template_id), business=True)

    # --- oauth.zaloapp.com: oauth.py ---------------------------------------------------------------------

    # --- the citizen's phone and the test hooks -----------------------------------------------------------

    @router.post("/users")
    async def create_user(body: NewUserIn | None = None) -> dict[str, Any]:
        body = body or NewUserIn()
        try:
            user = state.create_user(phone=body.phone, display_name=body.display_name)
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from exc
        return {"user_id": user.user_id, "phone": user.phone, "display_name": user.display_name}

    async def emit(event: dict[str, Any]) -> dict[str, Any]:
        record = await run_in_threadpool(webhooks.emit, event)
        return {"event": event, "delivery": record["status"]}

    def known(user_id: str) -> Any:
        try:
            return state.user(user_id)
        except EmuError as exc:
            raise HTTPException(404, "no such Zalo user") from exc

    def management_event(name: str, user: Any) -> dict[str, Any]:
        return {"oa_id": state.oa_id, "follower": {"id": user.user_id}, "user_id_by_app": user.user_id_by_app,
                "event_name": name, "source": "oa_profile", "app_id": state.app_id,
                "timestamp": to_epoch_ms(state.now())}

    def user_event(name: str, user: Any, **extra: Any) -> dict[str, Any]:
        return {"app_id": state.app_id, "user_id_by_app": user.user_id_by_app, "event_name": name,
                "timestamp": to_epoch_ms(state.now()), "sender": {"id": user.user_id},
                "recipient": {"id": state.oa_id}, **extra}

    @router.post("/users/{user_id}/follow")
    async def follow(user_id: str) -> dict[str, Any]:
        user = state.interact(known(user_id).user_id, follow=True)
        return await emit(management_event("follow", user))

    @router.post("/users/{user_id}/unfollow")
    async def unfollow(user_id: str) -> dict[str, Any]:
        user = state.interact(known(user_id).user_id, follow=False)
        return await emit(management_event("unfollow", user))

    @router.post("/users/{user_id}/send-text")
    async def send_text(user_id: str, body: TextIn) -> dict[str, Any]:
        user = state.interact(known(user_id).user_id)
        message = {"msg_id": state.new_message_id(), "text": body.text}
        return await emit(user_event("user_send_text", user, message=message))

    @router.post("/users/{user_id}/submit-info")
    async def submit_info(user_id: str, body: SubmitInfoIn) -> dict[str, Any]:
        user = known(user_id)
        info = {"name": body.name or user.display_name, "phone": body.phone or user.phone,
                "address": body.address or "", "city": "", "district": "", "ward": ""}
        user = state.interact(user.user_id, shared=info)
        return await emit(user_event("user_submit_info", user, info={
            "name": info["name"], "phone": info["phone"],
            "full_address": {"user_address": info["address"], "user_ward": "", "user_city": ""}}))

    @router.get("/inbox")
    async def inbox(request: Request, user_id: str | None = None, phone: str | None = None) -> dict[str, Any]:
        try:
            user = state.inbox(user_id=user_id, phone=phone)
        except KeyError as exc:
            raise HTTPException(404, "no such Zalo user") from exc
        with state.lock:
            messages = [dict(m) for m in user.inbox]
        for message in messages:
            if message.get("file"):
                message["file"] = dict(message["file"], download_path=request.url_for(
                    "emulator_file", token=message["file"]["token"]).path)
        return {"user_id": user.user_id, "phone": user.phone, "display_name": user.display_name,
                "followed": user.followed, "messages": messages}

    @router.get("/files/{token}", name="emulator_file")
    async def file(token: str) -> Response:
        upload = state.uploads.get(token)
        if upload is None:
            raise HTTPException(404, "no such file")
        return Response(upload.content, media_type=upload.content_type or "application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{upload.filename}"'})

    @router.post("/faults")
    async def faults(body: FaultsIn) -> dict[str, Any]:
        try:
            plan = state.set_faults(rate=body.rate, kinds=body.kinds, seed=body.seed)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        if body.stall_seconds is not None:
            state.fault_timeout_seconds = body.stall_seconds
        return {"rate": plan.rate, "kinds": list(plan.kinds), "seed": plan.seed,
                "stall_seconds": state.fault_timeout_seconds}

    @router.post("/grant")
    async def grant() -> dict[str, Any]:
        """The consent screen in one call: an authorization code for the token endpoint (no PKCE)."""
        return {"code": state.issue_authorization_code(), "oa_id": state.oa_id}

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        with state.lock:
            return dict(state.stats)

    @router.get("/webhook-deliveries")
    async def deliveries() -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items()} for r in webhooks.deliveries]

    return router


def _raise(exc: Exception) -> Any:
    raise exc


def _data_param(raw: str) -> dict[str, Any]:
    # OA GET endpoints take one query parameter `data` holding a JSON object (§2.3).
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {k: str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def create_app(state: EmulatorState, webhooks: WebhookDispatcher, *, prefix: str,
               rules: SendingRules, callback_url: str | None = None) -> FastAPI:
    # No Swagger page of its own: FastAPI's loads from a CDN, and nothing here may need the internet. The
    # emulator's wire protocol is Zalo's (ZALO_API.md); its page for people is `/phone`.
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        webhooks.close()  # served on its own; mounted in our app, that app's lifespan closes it

    app = FastAPI(title="Zalo emulator", docs_url=None, redoc_url=None, openapi_url=f"{prefix}/openapi.json",
                  lifespan=lifespan)
    app.include_router(build_router(state, webhooks, rules), prefix=prefix)
    app.include_router(build_rules_router(rules), prefix=prefix)  # Zalo's sending rules (rules.py)
    app.include_router(build_phone_router(state), prefix=prefix)
    app.include_router(oa_manager.build_router(state, webhooks), prefix=prefix)
    app.include_router(build_media_router(state, webhooks), prefix=prefix)  # photos, locations, CDN
    app.include_router(template_info.build_router(state, webhooks), prefix=prefix)
    app.state.articles = ArticleWorld(state)  # OA articles, videos, tags, broadcast (articles.py)
    app.include_router(build_articles_router(app.state.articles), prefix=prefix)
    app.include_router(build_upload_limits_router(state), prefix=prefix)
    app.include_router(build_oauth_router(state, OAuthControls(callback_url=callback_url)), prefix=prefix)
    app.state.emulator = state
    app.state.rules = rules
    app.state.webhooks = webhooks
    return app
