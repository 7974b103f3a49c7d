"""What every browser test shares: Debian's Chromium driven by Playwright (skipped only when Chromium is absent
and MOTCUA_REQUIRE_BROWSER is not set), a page in Vietnamese on Vietnam time, screenshots in tests/artifacts/,
and a quiet live server (no background jobs) for pages that need no relay."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from api.main import create_app
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.core.db import session_scope
from workflows.seed import seed_all

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
BPMN_DIR = Path(__file__).resolve().parents[1] / "bpmn"


def require_chromium() -> None:
    """Skip the calling test module when Chromium is absent, unless MOTCUA_REQUIRE_BROWSER says it must run
    (CI sets it: the browser tests then fail instead of vanishing)."""
    if not CHROMIUM.exists() and not os.environ.get("MOTCUA_REQUIRE_BROWSER"):
        pytest.skip("Debian's chromium is not installed (make test installs it; MOTCUA_REQUIRE_BROWSER=1 makes "
                    "its absence a failure)", allow_module_level=True)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium, closed on the way out."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser, *, width: int, height: int, scale: float = 1, touch: bool = False) -> Page:
    """A page of its own context (own storage), Vietnamese locale and Vietnam's time zone."""
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale,
                                  has_touch=touch, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    return context.new_page()


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    """A screenshot to tests/artifacts/<name>.png (look at them; good ones are copied to docs/images/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def quiet_server(settings: Settings, clock: ManualClock) -> Iterator[tuple[str, Any]]:
    """The app on a free port with no background jobs, seeded with the demo; yields (base URL, wiring). It
    stops at once on the way out (no waiting for requests in flight) and its wiring is closed, so nothing of
    it works on the next test's database."""
    app = create_app(settings, clock=clock, start_background=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    wiring = app.state.wiring
    try:
        with session_scope(wiring.db) as session:
            seed_all(session, engine=wiring.engine, bpmn_dir=BPMN_DIR, demo=True, hasher=wiring.password_hasher)
        # The server may have cached the working calendar before the seed wrote its days (a job at start-up):
        # 24/11/2026, a working day by the seeded overrides, was then a holiday in one test and not in another.
        wiring.domain.calendars.invalidate()
        yield f"http://127.0.0.1:{port}", wiring
    finally:
        server.should_exit = server.force_exit = True
        thread.join(timeout=10)
        wiring.close()
