"""The emulator's demo page: every citizen's phone in one browser tab (`{prefix}/phone`).

Plain HTML and a little JavaScript shipped with the package (no CDN, no build step). The page only calls
the emulator's own test hooks (`users`, `users/{id}/follow`, `…/submit-info`, `…/send-text`, `inbox`,
`files/{token}`) with relative URLs, so it works wherever the emulator is mounted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from connectors.zalo.emulator.state import EmulatorState

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {
    "phone": ("phone.html", "text/html; charset=utf-8"),
    "phone.js": ("phone.js", "text/javascript; charset=utf-8"),
    "phone.css": ("phone.css", "text/css; charset=utf-8"),
}
# Only this origin: the page works with the network to anything else cut.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'"


def build_router(state: EmulatorState) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for name, (filename, media_type) in ASSETS.items():
        router.add_api_route(f"/{name}", _serve(filename, media_type), methods=["GET"])

    @router.get("/users", include_in_schema=True)
    def users() -> list[dict[str, Any]]:
        """Every Zalo account on the emulator, for the page's list of phones."""
        with state.lock:
            return [{"user_id": u.user_id, "phone": u.phone, "display_name": u.display_name,
                     "followed": u.followed, "messages": len(u.inbox)} for u in state.users.values()]

    return router


def _serve(filename: str, media_type: str) -> Any:
    def serve() -> FileResponse:
        return FileResponse(STATIC / filename, media_type=media_type,
                            headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"})
    return serve
