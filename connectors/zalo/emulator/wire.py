"""How every emulated Zalo endpoint answers: the injected faults first, then the access token, then the
action's data in Zalo's envelope (HTTP 200 {"data", "error": 0, "message"}) or its application error
(HTTP 200 {"error": <negative>, "message"}). Shared by the routers of app.py and articles.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from connectors.zalo.emulator.errors import EmuError
from connectors.zalo.emulator.state import EmulatorState


def ok(state: EmulatorState, data: Any) -> JSONResponse:
    return JSONResponse({"data": data, "error": 0, "message": "Success"},
                        headers={"X-RateLimit-Limit": str(state.rate_limit_per_minute)})


def fail(code: int, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message})


async def answer(state: EmulatorState, request: Request, action: Callable[[], Any], *,
                 business: bool = False) -> Response:
    """Run `action` as Zalo would answer it, after the fault `POST /faults` injected (if any) and the check
    of the request's access token (`business`: the ZBS host's token rules)."""
    fault = state.draw_fault()
    if fault == "http_500":
        return JSONResponse({"message": "Internal Server Error"}, status_code=500)
    if fault == "timeout":  # never processed: the caller gives up first
        await asyncio.sleep(state.fault_timeout_seconds)
        return JSONResponse({"message": "Gateway Timeout"}, status_code=504)
    if fault == "rate_limit":
        return fail(-32, "Your application reached limit call api")
    if fault and fault.startswith("error:"):
        return fail(int(fault.split(":", 1)[1]), "Injected error")
    token = request.headers.get("access_token")
    try:
        state.count_call()
        if fault == "token_expired":
            state.revoke_access_token(token)
        state.check_access_token(token, business=business)
        data = action()
    except EmuError as exc:
        return fail(exc.code, exc.message)
    if fault == "timeout_after_send":  # processed, but the answer comes too late (a create may be doubled)
        await asyncio.sleep(state.fault_timeout_seconds)
    return ok(state, data)


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or {} for anything else (Zalo answers a bad body as missing fields)."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {}
