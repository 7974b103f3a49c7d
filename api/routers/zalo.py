"""Zalo's webhook: the exact bytes and the signature header go to `workflows/zalo/inbound.receive`, in the
request's transaction; replies leave through the outbox after the commit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api.deps import SessionDep, WiringDep
from workflows.zalo import inbound

router = APIRouter(prefix="/api/v1/zalo", tags=["zalo"])

MAX_BODY = inbound.MAX_BODY  # also enforced before the body is read (api/main.py)


async def raw_body(request: Request) -> bytes:
    """The body as received: the signature covers these exact bytes."""
    return await request.body()


@router.post("/webhook", summary="Sự kiện từ Zalo OA (follow, unfollow, tin nhắn, chia sẻ thông tin)",
             responses={400: {"description": "Sự kiện không hợp lệ hoặc quá cũ"},
                        401: {"description": "Sai chữ ký"}})
def webhook(request: Request, raw: Annotated[bytes, Depends(raw_body)], session: SessionDep,
            wiring: WiringDep) -> dict[str, str]:
    status = inbound.receive(session, raw=raw, signature=request.headers.get("X-ZEvent-Signature", ""),
                             services=wiring.domain, engine=wiring.engine)
    return {"status": status}
