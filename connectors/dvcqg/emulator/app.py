"""The emulator's HTTP surface (development and tests).

    {prefix}/adapter/login          POST  the adapter login ({"username","password"} + `dstcode` header)
    {prefix}/adapter/integration    POST  integration services, dispatched on `service`
    {prefix}/adapter/share          POST  catalogue (shared) services
    {prefix}/ledger                 GET   every call received, in order (test hook)
    {prefix}/faults                 POST  inject faults: {"rate", "kinds", "seed", "services"} (test hook)
    {prefix}/sessions/expire        POST  end every adapter session (test hook)
    {prefix}/indicators             GET   the QĐ 766 indicators computed from the records (indicators.py)
    {prefix}/checks                 POST  {"file_links": bool}: fetch file links on DongBoHoSoMC (test hook)
    {prefix}/catalogue              POST  replace a procedure of the national catalogue (test hook, catalogue.py)
plus the routes of the citizen side (`citizen.py`: submissions DVCQG pushes to the province) and of the
payment platform (`payments.py`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from connectors.dvcqg.emulator import catalogue, citizen, indicators, integration, payments
from connectors.dvcqg.emulator.state import EmulatorState, EmuRefusal

DSTCODE = "VN:GOV:000.00.00.G22:vpcpdvcprovider"


class FaultsIn(BaseModel):
    rate: float = Field(ge=0, le=1)
    kinds: list[str] = Field(default_factory=list)
    seed: int | None = None
    services: list[str] = Field(default_factory=list)


class ChecksIn(BaseModel):
    file_links: bool


def _refused(code: str, message: str) -> dict[str, Any]:
    return {"error_code": code, "message": message}


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise EmuRefusal("-1", "Dữ liệu gửi lên không phải JSON hợp lệ") from None
    if not isinstance(body, dict):
        raise EmuRefusal("-1", "Dữ liệu gửi lên phải là một đối tượng JSON")
    return body


def build_router(state: EmulatorState) -> APIRouter:
    router = APIRouter()

    @router.post("/adapter/login")
    async def login(request: Request) -> JSONResponse:
        try:
            body = await _body(request)
            if request.headers.get("dstcode") != DSTCODE:
                raise EmuRefusal("-1", f"dstcode không hợp lệ (cần {DSTCODE})")
            session = state.login(str(body.get("username", "")), str(body.get("password", "")))
        except EmuRefusal as exc:
            reply = _refused(exc.code, exc.message)
            state.record(endpoint="login", service=None, body={"username": "?"}, reply=reply, outcome="refused")
            return JSONResponse(reply)
        state.record(endpoint="login", service=None, body={"username": body.get("username")},
                     reply={"error_code": 0}, outcome="ok")
        return JSONResponse({"error_code": 0, "message": "Đăng nhập thành công", "session": session})

    async def dispatch(request: Request, endpoint: str, services: dict[str, Any]) -> JSONResponse:
        try:
            body = await _body(request)
        except EmuRefusal as exc:
            return JSONResponse(_refused(exc.code, exc.message))
        service = str(body.get("service", ""))
        fault = state.draw_fault(service)
        if fault == "http_500":
            state.record(endpoint=endpoint, service=service, body=body, reply=None, outcome=fault)
            return JSONResponse({"message": "Internal Server Error"}, status_code=500)
        if fault == "timeout":  # never processed: the caller gives up first
            state.record(endpoint=endpoint, service=service, body=body, reply=None, outcome=fault)
            await asyncio.sleep(state.fault_timeout_seconds)
            return JSONResponse({"message": "Gateway Timeout"}, status_code=504)
        if fault == "error":
            reply = _refused("-9", "Hệ thống đang bận, vui lòng thử lại sau")
            state.record(endpoint=endpoint, service=service, body=body, reply=reply, outcome=fault)
            return JSONResponse(reply)
        try:
            state.check_session(body.get("session"))
            if request.headers.get("dstcode") != DSTCODE:
                raise EmuRefusal("-1", f"dstcode không hợp lệ (cần {DSTCODE})")
            # The province's connection account speaks for the province's agencies (same level-1 code, the
            # right-most part: H60); which agencies an account may name is unconfirmed (NATIONAL_PORTAL.md).
            called = str(body.get("madonvi", ""))
            if called.rsplit(".", 1)[-1] != state.madonvi.rsplit(".", 1)[-1] or called.count(".") != 3:
                raise EmuRefusal("-1", f"madonvi {body.get('madonvi')!r} không khớp tài khoản kết nối")
            handler = services.get(service)
            if handler is None:
                raise EmuRefusal("-1", f"Dịch vụ {service!r} không tồn tại")
            # In a thread: a handler may fetch file links, possibly from the server it is mounted in.
            reply = {"error_code": 0, **(await run_in_threadpool(handler, state, body))}
        except EmuRefusal as exc:
            reply = _refused(exc.code, exc.message)
            state.record(endpoint=endpoint, service=service, body=body, reply=reply, outcome="refused")
            return JSONResponse(reply)
        # Applied: a timeout now loses the answer, not the effect (the outcome of the call is unknown).
        state.record(endpoint=endpoint, service=service, body=body, reply=reply,
                     outcome="timeout_after_apply" if fault == "timeout_after_apply" else "ok")
        if fault == "timeout_after_apply":
            await asyncio.sleep(state.fault_timeout_seconds)
            return JSONResponse({"message": "Gateway Timeout"}, status_code=504)
        return JSONResponse(reply)

    @router.post("/adapter/integration")
    async def integration_call(request: Request) -> JSONResponse:
        return await dispatch(request, "integration", state.services)

    @router.post("/adapter/share")
    async def share_call(request: Request) -> JSONResponse:
        return await dispatch(request, "share", state.share_services)

    @router.get("/ledger")
    async def ledger() -> dict[str, Any]:
        with state.lock:
            return {"entries": list(state.ledger)}

    @router.post("/faults")
    async def faults(body: FaultsIn) -> dict[str, Any]:
        try:
            plan = state.set_faults(rate=body.rate, kinds=tuple(body.kinds), seed=body.seed,
                                    services=tuple(body.services))
        except ValueError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)  # type: ignore[return-value]
        return {"rate": plan.rate, "kinds": list(plan.kinds), "services": list(plan.services)}

    @router.get("/indicators")
    async def indicator_values() -> dict[str, Any]:
        return {"indicators": indicators.compute(state)}

    @router.post("/checks")
    async def checks(body: ChecksIn) -> dict[str, Any]:
        state.check_file_links = body.file_links
        return {"file_links": state.check_file_links}

    @router.post("/sessions/expire")
    async def expire() -> dict[str, Any]:
        state.expire_sessions()
        return {"expired": True}

    return router


def create_app(state: EmulatorState, *, prefix: str, settings: dict[str, Any]) -> FastAPI:
    """`settings`: what the citizen and payment parts need (push URL and key, payment secret...)."""
    app = FastAPI(title="DVCQG emulator", docs_url=None, redoc_url=None, openapi_url=None)
    integration.register(state)
    catalogue.register(state)
    app.include_router(build_router(state), prefix=prefix)
    app.include_router(catalogue.routes(state), prefix=prefix)
    app.include_router(citizen.routes(state, settings), prefix=prefix)
    app.include_router(payments.routes(state, settings), prefix=prefix)
    app.state.dvcqg_emulator = state
    return app
