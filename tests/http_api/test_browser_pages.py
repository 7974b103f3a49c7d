"""Two pages in headless Chromium (Debian's /usr/bin/chromium driven by Playwright) with every request to a
host other than 127.0.0.1 refused, as on a machine with no internet: the API docs (`/docs`, Swagger UI
served from a package) and the Zalo emulator's phone page (`/zalo-emulator/phone`) used for a demo end to
end. Screenshots go to tests/artifacts/. Skipped only when Chromium is absent and MOTCUA_REQUIRE_BROWSER is
not set."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from live import live_server
from playwright.sync_api import Page, Route, expect

from tests.browser import chromium, new_page, require_chromium, shot
from workflows.core.clock import ManualClock
from workflows.core.config import Settings

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]
require_chromium()


@pytest.fixture
def offline_page() -> Iterator[tuple[Page, list[str]]]:
    """A page whose requests to anything but 127.0.0.1 are aborted; the list collects those refused."""
    refused: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort("internetdisconnected")

    with chromium() as browser:
        page = new_page(browser, width=1280, height=900)
        page.context.route("**/*", only_local)
        yield page, refused


def test_api_docs_render_offline(
    settings: Settings, clock: ManualClock, db: Any, offline_page: tuple[Page, list[str]]
) -> None:
    page, refused = offline_page
    with live_server(settings, clock) as (base, _wiring):
        page.goto(f"{base}/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("motcua")
        operations = page.locator(".opblock")
        expect(operations.first).to_be_visible(timeout=15000)
        assert operations.count() > 40
        expect(page.locator(".opblock-summary-path[data-path='/api/v1/dossiers']").first).to_be_visible()
        # An operation opens with its parameters and its Vietnamese error description.
        page.locator(".opblock-summary-path[data-path='/api/v1/tasks/{task_id}/complete']").first.click()
        expect(page.locator(".opblock.is-open")).to_contain_text("task_id")
        shot(page, "docs-offline")
        assert refused == [], f"the docs page reached outside: {refused}"
        assert requests.get(f"{base}/redoc", timeout=5).status_code == 404


def test_emulator_phone_page_demo(
    settings: Settings, clock: ManualClock, db: Any, offline_page: tuple[Page, list[str]]
) -> None:
    page, refused = offline_page
    with live_server(settings, clock) as (base, _wiring):
        page.goto(f"{base}/zalo-emulator/phone")
        expect(page.locator("h1")).to_have_text("Điện thoại công dân")

        # A citizen's phone is created and follows the OA: the welcome arrives in the inbox.
        page.fill("#new-phone", "84912345678")
        page.fill("#new-name", "Nguyễn Thị Hồng Nhung")
        page.click("#new-user button[type=submit]")
        expect(page.locator("#new-status")).to_have_text(
            "Đã tạo người dùng Nguyễn Thị Hồng Nhung (+84912345678).")
        card = page.locator(".phone[data-phone='84912345678']")
        expect(card.locator(".name")).to_have_text("Nguyễn Thị Hồng Nhung")
        card.locator("button.follow").click()
        expect(card.locator(".status")).to_have_text("Đã quan tâm OA.")
        expect(card.locator(".follow-state")).to_have_text("đang quan tâm OA")
        expect(card.locator(".inbox li").first).to_be_visible(timeout=15000)

        # It shares its phone number, then a dossier with that phone is received at the counter.
        card.locator(".submit-info input[name=name]").fill("Nguyễn Thị Hồng Nhung")
        card.locator(".submit-info input[name=phone]").fill("84912345678")
        card.locator(".submit-info button").click()
        expect(card.locator(".status")).to_have_text("Đã gửi thông tin cho OA.")
        # A shared phone is proven first: the one-time code Zalo delivers to the number's owner is sent back.
        otp = card.locator(".inbox li").filter(has_text="Mã xác thực liên kết Zalo")
        expect(otp).to_have_count(1, timeout=20000)
        digits = re.search(r"\b(\d{6})\b", otp.inner_text())
        assert digits, otp.inner_text()
        card.locator(".send-text input[name=text]").fill(digits.group(1))
        card.locator(".send-text button").click()
        expect(card.locator(".inbox li").filter(has_text="Đã xác thực số điện thoại")).to_have_count(
            1, timeout=20000)
        code = _intake(base)
        received = card.locator(".inbox li").filter(has_text=code).filter(has_text="đã được tiếp nhận")
        expect(received).to_have_count(1, timeout=20000)

        # The receipt (Mẫu 01) is in the inbox as a file that downloads.
        link = card.locator(".inbox a.file").first
        expect(link).to_contain_text("Tải tệp: ", timeout=20000)
        with page.expect_download() as download_info:
            link.click()
        path = download_info.value.path()
        assert Path(path).read_bytes().startswith(b"%PDF")

        # A text sent from the phone reaches the OA's bot, whose answer comes back.
        before = card.locator(".inbox li").count()
        card.locator(".send-text input[name=text]").fill(f"{code} 5678")
        card.locator(".send-text button").click()
        expect(card.locator(".status")).to_have_text("Đã gửi tin nhắn.")
        expect(card.locator(".inbox li")).to_have_count(before + 1, timeout=20000)
        answer = card.locator(".inbox li").last
        expect(answer.locator(".text")).to_contain_text(code)
        expect(answer.locator(".text")).not_to_contain_text("vui lòng nhắn kèm")
        expect(answer.locator(".text")).to_contain_text("Quá trình xử lý")
        shot(page, "zalo-emulator-phone")
        assert refused == [], f"the phone page reached outside: {refused}"


def _intake(base: str) -> str:
    token = requests.post(f"{base}/api/v1/auth/token", data={"username": "mot_cua", "password": "motcua-demo"},
                          timeout=10).json()["access_token"]
    response = requests.post(f"{base}/api/v1/dossiers", headers={"Authorization": f"Bearer {token}"}, timeout=30,
                             json={"procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "notify_zalo": True,
                                   "accept": True, "applicant": {"full_name": "Nguyễn Thị Hồng Nhung",
                                                                 "phone": "0912345678"}})
    assert response.status_code == 201, response.text
    return str(response.json()["code"])
