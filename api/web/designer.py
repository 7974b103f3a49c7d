"""The process designers' pages `/quy-trinh/` (issue 21): the BPMN library, a version's diagram with where
its instances wait, and the modeler. Server-rendered shells; the scripts (built from web/src into
/static/build/) sign in with `POST /api/v1/auth/token` and call the JSON API with the token, so these
routes hold no data and need no session of their own: every read and the deploy are authorised by the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.web import WEB_DIR
from workflows.core.config import Settings

# As the citizens' page (api/web/__init__.py), plus what bpmn-js needs and nothing else:
# - style-src-attr 'unsafe-inline': diagram-js positions the canvas layers, overlays, the palette and the
#   direct-editing box with `style="…"` attributes written into markup it builds (not through CSSOM, which
#   CSP does not govern). Style *attributes* only: no <style> element and no inline script is allowed.
# - img-src data:: diagram-js's CSS draws a few icons as data: SVG images.
# - font-src 'self': bpmn-js's icon font, served next to bpmn.css.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
HEADERS = {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
Key = Annotated[str, Path(max_length=200, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")]
Version = Annotated[int, Path(ge=1, le=1_000_000)]


def build_router(settings: Settings) -> APIRouter:
    """The pages' routes, with their template environment (built once, when the app is created)."""
    templates = Environment(loader=FileSystemLoader(WEB_DIR / "templates" / "quy_trinh"),
                            autoescape=select_autoescape(["html"]))
    router = APIRouter(tags=["process designers"], include_in_schema=False)

    def render(name: str, **values: object) -> HTMLResponse:
        html = templates.get_template(name).render(agency_name=settings.agency_name, **values)
        return HTMLResponse(html, headers=HEADERS)

    @router.get("/quy-trinh", response_class=RedirectResponse)
    def root() -> RedirectResponse:
        return RedirectResponse("/quy-trinh/", status_code=308)

    @router.get("/quy-trinh/", response_class=HTMLResponse)
    def library() -> HTMLResponse:
        return render("thu_vien.html", page="library")

    @router.get("/quy-trinh/dang-nhap", response_class=HTMLResponse)
    def sign_in() -> HTMLResponse:
        return render("dang_nhap.html", page="sign-in")

    @router.get("/quy-trinh/{key}/{version}", response_class=HTMLResponse)
    def version_page(key: Key, version: Version) -> HTMLResponse:
        return render("phien_ban.html", page="version", key=key, version=version)

    @router.get("/quy-trinh/{key}/{version}/sua", response_class=HTMLResponse)
    def modeler(key: Key, version: Version) -> HTMLResponse:
        return render("soan_thao.html", page="modeler", key=key, version=version)

    return router
