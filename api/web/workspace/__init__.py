"""The officials' workspace `/can-bo/`: one server-rendered shell page plus plain JavaScript calling the same
JSON API as Swagger or curl (no second back end, no build step, no CDN, no inline script).

How it is put together (static files under `static/`, served from `/can-bo/static/<name>` only when listed
in `ASSETS`):

- `api.js` — `window.Motcua.api`: every call to `/api/v1/…` with the bearer token kept in sessionStorage,
  one refresh through `/auth/refresh` on a 401, then back to the sign-in form; errors thrown as `ApiError`
  carrying the problem's Vietnamese `detail` and its per-field `errors` (`validation_failed`).
- `shell.js` — `window.Motcua.shell`: the sign-in form, the layout (the official's full name and title,
  never the login), the navigation, the hash router (`#/<section>/<argument>`) and small DOM helpers.
- one file per section, each calling `Motcua.shell.section({...})` once when loaded.

**Adding a section** (the navigation is data): write `static/<name>.js` calling

    Motcua.shell.section({id: "thong-ke", label: "Thống kê", roles: ["GIAM_SAT", "LANH_DAO_SO"],
                          nav: true, render: async (main, arg) => { ... }});

and add one `Section` to `SECTIONS` below (its script is then whitelisted and loaded, in order, after the
shell). `roles` decides who sees the entry in the navigation and may open it (the API still decides what
they may do); `nav: false` makes a page reached only by links (`#/ho-so/<code>`); the first section in
`SECTIONS` that the official's roles allow is their home. Helpers shared by several sections go in their
own file listed in `LIBRARIES` (loaded before the sections).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.deps import SettingsDep
from workflows.core.errors import NotFound

WEB_DIR = Path(__file__).resolve().parent
JS = "text/javascript; charset=utf-8"


@dataclass(frozen=True)
class Section:
    """One entry of the workspace: the JS file that registers it (`static/<script>`)."""

    script: str


# Libraries first (the API module, the shell, shared helpers), then the sections in navigation order.
LIBRARIES: tuple[str, ...] = ("api.js", "shell.js", "schema-form.js")
SECTIONS: tuple[Section, ...] = (
    Section("hop-thu.js"),     # Hộp công việc: mine, to claim, the department's (every working role)
    Section("tiep-nhan.js"),   # Tiếp nhận hồ sơ at the desk (MOT_CUA)
    Section("ho-so.js"),       # Hồ sơ: the department's dossiers, and one dossier's page (#/ho-so/<code>)
    Section("cong-viec.js"),   # Xử lý công việc: one task's generated form (#/cong-viec/<id>)
)
# Supervisors' and administrators' pages (issue 21 item 5), after the everyday work: their shared helpers, then
# the sections in navigation order.
LIBRARIES += ("quan-tri-chung.js",)
SECTIONS += (
    Section("thong-ke.js"),      # Thống kê: on-time statistics per agency and procedure (supervisors)
    Section("qua-han.js"),       # Hồ sơ quá hạn: the overdue list, who holds each (supervisors)
    Section("su-co.js"),         # Sự cố: incidents, retry (QUAN_TRI)
    Section("ket-noi.js"),       # Kết nối Zalo: the OA connection, reconnect; DVCQG sync failures (QUAN_TRI)
    Section("tin-nhan-loi.js"),  # Tin nhắn lỗi: messages by state, resend one or all (QUAN_TRI)
    Section("can-bo-ql.js"),     # Cán bộ: officials, roles, disable, enable, unlock (QUAN_TRI)
)
# bpmn.css and bpmn-viewer.js come from the designer's npm build (`/static/build/…`), not from here.
ASSETS: dict[str, str] = {
    "can-bo.css": "text/css; charset=utf-8",
    "quan-tri.css": "text/css; charset=utf-8",
    **{name: JS for name in LIBRARIES},
    **{section.script: JS for section in SECTIONS},
}
# Only our own origin; no inline script, no <style> element. As the designers' pages (api/web/designer.py),
# for the diagram's bpmn-js viewer: style *attributes* (diagram-js writes them into the markup it builds),
# data: icons in its CSS and its icon font. blob: for the PDFs opened with the official's token; frames none:
# the workspace holds an official's session and must not be overlaid by another site.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; frame-src 'self' blob:; "
    "object-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# The diagram viewer from the front-end build (`make` builds web/ into api/web/static/build/): an IIFE that
# defines window.MotcuaBpmnViewer; the dossier page draws no diagram without it.
BUILD_SCRIPTS: tuple[str, ...] = ("/static/build/bpmn-viewer.js",)
BUILD_STYLES: tuple[str, ...] = ("/static/build/bpmn.css",)
HEADERS = {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def build_router() -> APIRouter:
    """The workspace's routes with their template environment (built once, when the app is created)."""
    templates = Environment(loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=select_autoescape(["html"]))
    router = APIRouter(tags=["officials' workspace"], include_in_schema=False)

    @router.get("/can-bo")
    def bare() -> RedirectResponse:
        return RedirectResponse("/can-bo/", status_code=308)

    @router.get("/can-bo/", response_class=HTMLResponse)
    def page(settings: SettingsDep) -> HTMLResponse:
        scripts = [*BUILD_SCRIPTS, *(f"/can-bo/static/{name}" for name in LIBRARIES),
                   *(f"/can-bo/static/{s.script}" for s in SECTIONS)]
        html = templates.get_template("can_bo.html").render(agency_name=settings.agency_name, scripts=scripts,
                                                             styles=BUILD_STYLES)
        return HTMLResponse(html, headers=HEADERS)

    @router.get("/can-bo/static/{name}")
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise NotFound("Không tìm thấy tệp.", code="asset_not_found")
        return FileResponse(WEB_DIR / "static" / name, media_type=ASSETS[name],
                            headers={"Cache-Control": "no-cache"})

    return router
