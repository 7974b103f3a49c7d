"""The workspace shell `/can-bo/`: one page with a strict CSP and no inline script, its scripts whitelisted,
every listed asset present."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.web import workspace


class TestShell:
    def test_page_is_served_with_a_strict_policy(self, app_client: TestClient) -> None:
        response = app_client.get("/can-bo/")
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
        # Style attributes only, for the diagram's viewer (as the designers' pages): never inline script.
        assert [p for p in csp.split(";") if "unsafe" in p] == [" style-src-attr 'unsafe-inline'"]
        assert response.headers["cache-control"] == "no-store"
        html = response.text
        assert "<script>" not in html and " style=" not in html  # no inline script or style
        scripts = re.findall(r'<script src="([^"]+)"', html)
        assert scripts[:3] == ["/static/build/bpmn-viewer.js", "/can-bo/static/api.js", "/can-bo/static/shell.js"]
        for src in scripts:
            assert app_client.get(src).status_code == 200, src

    def test_bare_path_redirects(self, app_client: TestClient) -> None:
        response = app_client.get("/can-bo", follow_redirects=False)
        assert response.status_code == 308 and response.headers["location"] == "/can-bo/"

    def test_only_listed_assets(self, app_client: TestClient) -> None:
        for name in workspace.ASSETS:
            assert app_client.get(f"/can-bo/static/{name}").status_code == 200, name
        for name in ("__init__.py", "..%2F__init__.py", "can_bo.html"):
            response = app_client.get(f"/can-bo/static/{name}")
            assert response.status_code == 404
            assert response.headers["content-type"].startswith("application/problem+json")
