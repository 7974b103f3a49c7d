"""The emulator's OAuth host (oauth.zaloapp.com, ZALO_API.md §3): the OA permission page an OA administrator
approves, the token endpoint, and test hooks that break the tokens the way production does.

    GET  {prefix}/oauth/v4/oa/permission   the consent page (§3.2): app_id, redirect_uri, code_challenge, state
    POST {prefix}/oauth/v4/oa/permission   the administrator's decision; "allow" redirects to
                                            redirect_uri?code=…&oa_id=…&state=… (the code bound to the challenge)
    POST {prefix}/oauth/v4/oa/access_token the token endpoint (§3.3–§3.4); the S256 verifier is checked there
    POST {prefix}/tokens/kill-refresh      every refresh token becomes used (a dead refresh token)
    POST {prefix}/tokens/expire-access     every access token is dropped (the next call answers -216/-124)
    POST {prefix}/tokens/answer-delay      the token endpoint answers `seconds` late, after consuming
    GET  {prefix}/tokens/stats             refresh attempts and code exchanges seen by the token endpoint

Like Zalo, the page refuses an unknown app (-14002) and, when the emulator knows the app's registered
callback (`callback_url`), a redirect_uri outside it (-14003, "Invalid redirect uri": S-SPEC, ZALO_API.md
§3.6); a `code_challenge` must be a base64url SHA-256 (43 characters). `state` is handed back unchanged:
checking it is the application's part.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from connectors.zalo.emulator.state import EmulatorState

_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass
class OAuthControls:
    """What tests may tell the OAuth host, and what it saw."""

    callback_url: str | None = None
    answer_delay_seconds: float = 0.0
    refresh_attempts: int = 0
    code_exchanges: int = 0


class DelayIn(BaseModel):
    seconds: float = Field(ge=0, le=120)


def build_router(state: EmulatorState, controls: OAuthControls) -> APIRouter:
    router = APIRouter()

    def refuse(code: int, name: str) -> HTMLResponse:
        return HTMLResponse(_page("Lỗi", f"<p>{code}: {escape(name)}</p>"), status_code=400)

    def check(app_id: str, redirect_uri: str, code_challenge: str | None) -> HTMLResponse | None:
        if app_id != state.app_id:
            return refuse(-14002, "Invalid appId")
        if controls.callback_url and not redirect_uri.startswith(controls.callback_url):
            return refuse(-14003, "Invalid redirect uri")
        if code_challenge and not _CHALLENGE.fullmatch(code_challenge):
            return refuse(-14021, "Invalid code challenge")  # our code: Zalo's is undocumented (§3.6)
        return None

    @router.get("/oauth/v4/oa/permission", response_class=HTMLResponse)
    async def permission(request: Request, app_id: str = "", redirect_uri: str = "",
                         code_challenge: str | None = None) -> Response:
        refused = check(app_id, redirect_uri, code_challenge)
        if refused is not None:
            return refused
        fields = {"app_id": app_id, "redirect_uri": redirect_uri, "code_challenge": code_challenge or "",
                  "state": request.query_params.get("state", "")}
        hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">' for k, v in fields.items())
        body = (f"<p>Ứng dụng <b>{escape(app_id)}</b> xin quyền quản lý Official Account <b>{escape(state.oa_id)}"
                f"</b> (gửi tin nhắn, đọc thông tin người quan tâm).</p>"
                f'<form method="post" action="permission">{hidden}'
                '<button name="decision" value="allow">Cho phép</button> '
                '<button name="decision" value="deny">Từ chối</button></form>')
        return HTMLResponse(_page("Cấp quyền cho ứng dụng", body))

    @router.post("/oauth/v4/oa/permission")
    async def decide(request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        redirect_uri = form.get("redirect_uri", "")
        refused = check(form.get("app_id", ""), redirect_uri, form.get("code_challenge") or None)
        if refused is not None:
            return refused
        if form.get("decision") != "allow":
            return HTMLResponse(_page("Đã từ chối", "<p>Ứng dụng không được cấp quyền.</p>"))
        query = {"code": state.issue_authorization_code(form.get("code_challenge") or None), "oa_id": state.oa_id}
        if form.get("state"):
            query["state"] = form["state"]
        return RedirectResponse(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(query)}",
                                status_code=302)

    @router.post("/oauth/v4/oa/access_token")
    async def access_token(request: Request) -> Response:
        fault = state.draw_fault()
        if fault == "http_500":
            return JSONResponse({"message": "Internal Server Error"}, status_code=500)
        if fault == "timeout":
            await asyncio.sleep(state.fault_timeout_seconds)
            return JSONResponse({"message": "Gateway Timeout"}, status_code=504)
        form = {key: str(value) for key, value in (await request.form()).items()}
        with state.lock:
            if form.get("grant_type") == "refresh_token":
                controls.refresh_attempts += 1
            elif form.get("grant_type") == "authorization_code":
                controls.code_exchanges += 1
        answer = state.token_grant(secret_key=request.headers.get("secret_key"), form=form)
        if controls.answer_delay_seconds:  # processed (a refresh token consumed), answered late
            await asyncio.sleep(controls.answer_delay_seconds)
        return JSONResponse(answer)

    @router.post("/tokens/kill-refresh")
    async def kill_refresh() -> dict[str, int]:
        with state.lock:
            for token, (expires, _) in list(state.refresh_tokens.items()):
                state.refresh_tokens[token] = (expires, True)
            return {"killed": len(state.refresh_tokens)}

    @router.post("/tokens/expire-access")
    async def expire_access() -> dict[str, int]:
        with state.lock:
            count = len(state.access_tokens)
            state.access_tokens.clear()
            return {"expired": count}

    @router.post("/tokens/answer-delay")
    async def answer_delay(body: DelayIn) -> dict[str, float]:
        controls.answer_delay_seconds = body.seconds
        return {"seconds": body.seconds}

    @router.get("/tokens/stats")
    async def token_stats() -> dict[str, Any]:
        with state.lock:
            return {"refresh_attempts": controls.refresh_attempts, "code_exchanges": controls.code_exchanges,
                    "refreshes": state.stats["refreshes"]}

    return router


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Zalo — {escape(title)}</title>'
            f"</head><body><h1>{escape(title)}</h1>{body}</body></html>")
