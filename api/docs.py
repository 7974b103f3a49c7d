"""The interactive API documentation (`/docs`) served wholly from this server: Swagger UI's script and
style come from the `swagger-ui-bundle-v2` package, so the docs work on a machine with no internet (the
default FastAPI page loads them from a CDN and stays blank offline). ReDoc is not offered: it has no
packaged build."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"


def install(app: FastAPI, *, docs_url: str = DOCS_URL) -> None:
    """Add `docs_url` (Swagger UI) and its assets to `app`, built with `docs_url=None, redoc_url=None`."""
    assets_url = f"{docs_url}/assets"
    oauth2_url = f"{docs_url}/oauth2-redirect"
    app.mount(assets_url, StaticFiles(directory=swagger_ui_path), name="swagger-ui-assets")

    @app.get(docs_url, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{assets_url}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets_url}/swagger-ui.css",
            swagger_favicon_url=f"{assets_url}/favicon-32x32.png",
            oauth2_redirect_url=oauth2_url,
        )

    @app.get(oauth2_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
