"""The citizens' online submission page `/nop-ho-so-truc-tuyen`: the procedures the province offers online,
then for one of them a form built from its schema (its documents as file inputs, its intake fields, the
applicant, the Zalo consent). The form posts (JavaScript, no CDN, no inline script) to
`POST /api/v1/public/online-dossiers` and shows the code or the Vietnamese field errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.deps import SessionDep, SettingsDep
from api.web import CSP
from workflows.dossiers import online

WEB_DIR = Path(__file__).resolve().parent
HEADERS = {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def build_router() -> APIRouter:
    templates = Environment(loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=select_autoescape(["html"]))
    router = APIRouter(tags=["citizens"], include_in_schema=False)

    @router.get("/nop-ho-so-truc-tuyen", response_class=HTMLResponse)
    def page(session: SessionDep, settings: SettingsDep,
             thu_tuc: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
        procedures = online.procedures_online(session)
        chosen = next((p for p in procedures if p.code == thu_tuc), None) if thu_tuc else None
        html = templates.get_template("nop_ho_so.html").render(
            agency_name=settings.agency_name, procedures=procedures, procedure=chosen,
            unknown=bool(thu_tuc and not chosen))
        return HTMLResponse(html, headers=HEADERS)

    @router.get("/nop-ho-so-truc-tuyen/static/nop-ho-so.js")
    def script() -> FileResponse:
        return FileResponse(WEB_DIR / "static" / "nop-ho-so.js", media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "public, max-age=300"})

    return router
