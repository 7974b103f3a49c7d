"""The front-end build is made (`make` runs `npm ci` and `npm run build` in web/) and served under
/static/build/: the fixed names other pages load, the icon font bpmn.css points at, content types, cache
headers, and nothing outside the build folder. A missing or broken build fails here, not in a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.web.assets import BUILD_DIR
from workflows.core.config import Settings

HINT = "the front-end build is missing: run `make api/web/static/build/.built-stamp` (make test does)"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # No lifespan (no `with`): serving static files needs no database or wiring.
    db = tmp_path_factory.mktemp("assets") / "unused.db"
    app = create_app(Settings(env="test", database={"url": f"sqlite:///{db}"}),  # type: ignore[arg-type]
                     start_background=False)
    yield TestClient(app)


@pytest.mark.parametrize(("name", "media_type", "marker"), [
    ("bpmn-viewer.js", "text/javascript", "MotcuaBpmnViewer"),
    ("bpmn-modeler.js", "text/javascript", "MotcuaModeler"),
    ("quy-trinh.js", "text/javascript", "/quy-trinh/dang-nhap"),
    ("quy-trinh.css", "text/css", ".count-badge"),
    ("bpmn.css", "text/css", ".djs-container"),
])
def test_fixed_bundles_are_built_and_served(client: TestClient, name: str, media_type: str, marker: str) -> None:
    assert (BUILD_DIR / name).is_file(), HINT
    response = client.get(f"/static/build/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["cache-control"] == "no-cache"  # revalidated: a new build is seen at once
    assert response.headers["x-content-type-options"] == "nosniff"
    assert marker in response.text
    again = client.get(f"/static/build/{name}", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_icon_font_is_served_next_to_the_css(client: TestClient) -> None:
    css = client.get("/static/build/bpmn.css").text
    fonts = set(re.findall(r"url\(\"?\./([^\"?#)]+)", css))
    assert any(f.endswith(".woff2") for f in fonts), fonts
    for font in fonts:
        response = client.get(f"/static/build/{font}")
        assert response.status_code == 200, font
        assert response.headers["content-type"].split(";")[0] in {
            "font/woff2", "font/woff", "font/ttf", "application/vnd.ms-fontobject", "image/svg+xml"}
        assert "immutable" in response.headers["cache-control"]


@pytest.mark.parametrize("path", [
    "/static/build/..%2F..%2F..%2Fmain.py",
    "/static/build/%2E%2E%2Fassets.py",
    "/static/build/.built-stamp",
    "/static/build/bpmn-viewer.js.map",
    "/static/build/nothing.js",
    "/static/build/..",
    "/static/build/../assets.py",
])
def test_nothing_else_is_served(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    if response.headers["content-type"].startswith("application/problem+json"):
        assert response.json()["code"] in {"asset_not_found", "not_found"}


def test_build_folder_holds_only_what_the_build_writes() -> None:
    # The stamp make writes after a good build: without it the build did not finish.
    assert (BUILD_DIR / ".built-stamp").is_file(), HINT
    assert Path(__file__).resolve().parents[2] / "api" / "web" / "static" / "build" == BUILD_DIR


@pytest.mark.parametrize("path", ["/quy-trinh/", "/quy-trinh/dang-nhap", "/quy-trinh/karaoke_vu_truong/1",
                                  "/quy-trinh/karaoke_vu_truong/1/sua"])
def test_designer_pages_are_shells_under_a_strict_policy(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style-src-attr")[0]
    assert "<script>" not in response.text and "/static/build/" in response.text


@pytest.mark.parametrize("path", ["/quy-trinh/karaoke_vu_truong/0", "/quy-trinh/a%20b/1/sua",
                                  "/quy-trinh/karaoke_vu_truong/abc"])
def test_designer_pages_refuse_a_bad_key_or_version(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] in {"key", "version"}
