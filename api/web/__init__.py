"""The citizens' page `/tra-cuu` (opened by the OA menu in Zalo's web view and by the QR on forms) and the
verification page `/xac-minh` (the QR on signed results):
server-rendered HTML plus a little JavaScript calling the public JSON API; no build step."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.deps import SettingsDep
from workflows.core.errors import NotFound
from workflows.ratings.schemas import CRITERIA, LEVELS

WEB_DIR = Path(__file__).resolve().parent
ASSETS = {"tra-cuu.css": "text/css; charset=utf-8", "tra-cuu.js": "text/javascript; charset=utf-8",
          "xac-minh.js": "text/javascript; charset=utf-8"}
# The page talks only to its own origin; no inline scripts, no third-party content but guide videos' links.
# frame-ancestors 'none': the OA menu's `oa.open.url` button and the QR on the forms open the page top-level
# (Zalo's in-app browser, or the phone's browser), never inside a frame (ZALO_API.md §4.7 "open URL"; only a Zalo Mini
# App would embed, and none is built). Allowing any framer would let another site overlay the page and
# catch the citizen's second factor (clickjacking).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def build_router() -> APIRouter:
    """The page's routes, with their template environment (built once, when the app is created)."""
    templates = Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=select_autoescape(["html"])
    )
    router = APIRouter(tags=["citizens"], include_in_schema=False)

    @router.get("/tra-cuu", response_class=HTMLResponse)
    def page(settings: SettingsDep, ma: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
        # `ma` (the dossier code, printed as a QR on the receipt) only prefills the form: it is not personal
        # data. Verifiers are never accepted from the URL.
        html = templates.get_template("tra_cuu.html").render(
            agency_name=settings.agency_name, code=ma or "", levels=LEVELS, criteria=CRITERIA)
        return HTMLResponse(
            html,
            headers={
                "Content-Security-Policy": CSP,
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-store",
            },
        )

    @router.get("/xac-minh", response_class=HTMLResponse)
    def verify_page(settings: SettingsDep, ma: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
        """Where the QR code of a signed document leads: upload the PDF, read whether it is ours and intact
        (`POST /api/v1/public/verify`). `ma` only names the dossier the QR was printed for."""
        html = templates.get_template("xac_minh.html").render(agency_name=settings.agency_name, code=ma or "")
        return HTMLResponse(html, headers={"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer",
                                           "Cache-Control": "no-store"})

    @router.get("/tra-cuu/static/{name}")
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise NotFound("Không tìm thấy tệp.", code="asset_not_found")
        return FileResponse(
            WEB_DIR / "static" / name,
            media_type=ASSETS[name],
            headers={"Cache-Control": "public, max-age=300"},
        )

    return router
