"""The citizens' page in headless Chromium (Debian's /usr/bin/chromium driven by Playwright) against a real
server on SQLite: lookup by code, by ID number and by name, the timeline, refusals, a feedback round trip.
Screenshots go to tests/artifacts/ (look at them). Skipped only when Chromium is absent and
MOTCUA_REQUIRE_BROWSER is not set."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from connectors.outbox import OutboxMessage
from tests.browser import chromium, new_page, quiet_server, require_chromium, shot
from tests.citizen.conftest import APPLICANT, PASSWORD, assert_nothing_personal
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.core.db import session_scope

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]
require_chromium()


@pytest.fixture
def server(settings: Settings, clock: ManualClock, db: Any) -> Iterator[tuple[str, Any]]:
    with quiet_server(settings, clock) as running:
        yield running


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium() as browser:
        yield new_page(browser, width=390, height=844, scale=2)


def official(http: httpx.Client, username: str) -> dict[str, str]:
    token = http.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD}).json()[
        "access_token"
    ]
    return {"Authorization": f"Bearer {token}"}


def answer_feedback(http: httpx.Client, code: str) -> None:
    for user, data in (
        ("mot_cua", {"phan_loai": "ho_so"}),
        ("lanh_dao_phong", {"chuyen_vien": "chuyen_vien"}),
        ("chuyen_vien", {"tra_loi": "Sở đã kiểm tra, hồ sơ sẽ có kết quả trong tuần này."}),
    ):
        headers = official(http, user)
        [task] = http.get(f"/api/v1/feedback/{code}", headers=headers).json()["open_tasks"]
        response = http.post(
            f"/api/v1/feedback/{code}/tasks/{task['id']}/complete", json={"data": data}, headers=headers
        )
        assert response.status_code == 200, response.text


def test_lookup_three_ways_and_feedback(server: tuple[str, Any], page: Page) -> None:
    base, wiring = server
    http = httpx.Client(base_url=base, timeout=30)
    body = {
        "procedure_code": "VHTTDL-KARAOKE",
        "channel": "counter",
        "applicant": APPLICANT,
        "notify_zalo": True,
        "accept": True,
    }
    created = http.post("/api/v1/dossiers", json=body, headers=official(http, "mot_cua"))
    assert created.status_code == 201, created.text
    code = created.json()["code"]

    # 1. The QR link prefills the code; a wrong, then a missing verifier are refused clearly.
    page.goto(f"{base}/tra-cuu?ma={code}")
    expect(page.locator("#code")).to_have_value(code)
    page.fill("#verifier", "0000")
    page.click("#form-code button[type=submit]")
    expect(page.locator("#lookup-error")).to_contain_text("Không tìm thấy hồ sơ")
    shot(page, "01-sai-xac-minh")
    page.fill("#verifier", "")
    page.click("#form-code button[type=submit]")
    expect(page.locator("#lookup-error")).to_contain_text("4 chữ số cuối")

    # 2. By code: the timeline.
    page.fill("#verifier", "5678")
    page.click("#form-code button[type=submit]")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Đang xử lý")
    expect(timeline).to_contain_text("Nguyễn T** H*** N****")
    expect(timeline.locator("ol.timeline li")).to_have_count(2)
    expect(timeline).to_contain_text("Tiếp nhận hồ sơ")
    assert_nothing_personal(timeline.inner_text())
    shot(page, "02-tra-cuu-ma-ho-so")

    # 3. By ID number + phone digits, then open the dossier's timeline from the list.
    page.click(".mode[data-mode=id]")
    page.fill("#id_number", APPLICANT["id_number"])
    page.fill("#phone_last4", "5678")
    page.click("#form-id button[type=submit]")
    expect(page.locator("#id-results")).to_contain_text(code)
    shot(page, "03-tra-cuu-cccd")
    page.locator("#id-results .list-item").first.click()
    expect(page.locator("#timeline")).to_contain_text("Quá trình xử lý")

    # 4. By name, narrowed by procedure and date: masked.
    page.click(".mode[data-mode=name]")
    page.fill("#full_name", APPLICANT["full_name"])
    page.select_option("#procedure_code", "VHTTDL-KARAOKE")
    page.fill("#received_on", "2026-11-24")
    page.click("#form-name button[type=submit]")
    results = page.locator("#name-results")
    expect(results).to_contain_text(code[:-4] + "****")
    assert code not in results.inner_text()
    shot(page, "04-tra-cuu-ho-ten")

    # 5. Feedback: sent from the page, answered by officials, queued for the citizen's Zalo.
    page.click(".tab[data-tab=phan-anh]")
    page.select_option("#category", "ho_so")
    page.fill("#content", "Tôi muốn biết khi nào hồ sơ karaoke của tôi có kết quả.")
    page.fill("#fb_dossier_code", code)
    page.fill("#contact_name", "Nguyễn Văn An")
    page.fill("#contact_phone", "0912345678")
    page.click("#form-feedback button[type=submit]")
    expect(page.locator("#feedback-ok")).to_contain_text("PAKN-261124-")
    shot(page, "05-phan-anh")
    feedback_code = page.locator("#feedback-ok").inner_text().split("kiến nghị ")[1].split(".")[0]
    answer_feedback(http, feedback_code)
    with session_scope(wiring.db) as session:
        [message] = session.exec(
            select(OutboxMessage).where(OutboxMessage.subject_ref == feedback_code)
        ).all()
        assert message.kind == "feedback_answer" and "trong tuần này" in message.payload["text"]

    # 6. Services and news tabs render from the API.
    page.click(".tab[data-tab=dich-vu]")
    expect(page.locator("#service-list details").first).to_be_visible()
    page.locator("#service-list details").first.click()
    shot(page, "06-dich-vu-cong")
    page.click(".tab[data-tab=tin-tuc]")
    expect(page.locator("#news-list")).to_contain_text("Chưa có tin tức")

    # 7. A flood of lookups is refused with the time to wait.
    page.click(".tab[data-tab=tra-cuu]")
    page.click(".mode[data-mode=code]")
    page.fill("#code", code)
    page.fill("#verifier", "5678")
    for _ in range(12):
        page.click("#form-code button[type=submit]")
        expect(page.locator("#form-code button[type=submit]")).to_be_enabled()
    expect(page.locator("#lookup-error")).to_contain_text("quá nhiều yêu cầu")
    shot(page, "07-qua-nhieu-yeu-cau")


def test_a_guide_card_names_its_kind_once(server: tuple[str, Any], page: Page) -> None:
    # Issue 16 item 8: a guide titled "Hướng dẫn …" read "Hướng dẫn: Hướng dẫn …"; the kind is now a label
    # beside the date, the title is the one written.
    base, _wiring = server
    http = httpx.Client(base_url=base, timeout=30)
    created = http.post("/api/v1/news", headers=official(http, "quan_tri"), json={
        "kind": "guide", "title": "Hướng dẫn nộp hồ sơ cấp phép karaoke", "summary": "Các giấy tờ cần chuẩn bị",
        "published": True})
    assert created.status_code == 201, created.text
    page.goto(f"{base}/tra-cuu")
    page.click(".tab[data-tab=tin-tuc]")
    card = page.locator("#news-list article").first
    expect(card.locator("h3")).to_have_text("Hướng dẫn nộp hồ sơ cấp phép karaoke")
    expect(card.locator(".muted").first).to_contain_text("Hướng dẫn · ")
    assert "Hướng dẫn: Hướng dẫn" not in card.inner_text()
