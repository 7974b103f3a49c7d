"""The rating as a citizen does it, in headless Chromium against a live server with the Zalo emulator: the
final message's button (a ZBS template, the interaction window having closed) opens the lookup page on the
rating form; the citizen types the verifier, rates, and a second visit shows the rating given. Also from
the lookup page itself, for a refused dossier. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser import ARTIFACTS, chromium, new_page, require_chromium, shot
from tests.http_api.live import Citizen, live_server, wait_for
from workflows.core.clock import ManualClock
from workflows.core.config import Settings

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]
require_chromium()

STEPS = [
    ("lanh_dao_phong", {"case_officer": "chuyen_vien"}),
    ("chuyen_vien", {"ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Đạt yêu cầu"}),
    ("chuyen_vien", {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện"}),
    ("lanh_dao_phong", {"quyet_dinh": "trinh_ky"}),
    ("lanh_dao_so", {"quyet_dinh": "ky"}),
    ("van_thu", {"so_van_ban": "125/GP-SVHTTDL"}),
]


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium() as browser:
        yield new_page(browser, width=390, height=844, scale=2)


@pytest.fixture
def now_clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))


class Desk:
    """The officials, through the API."""

    def __init__(self, base: str) -> None:
        self.base = base

    def headers(self, username: str) -> dict[str, str]:
        response = requests.post(f"{self.base}/api/v1/auth/token", timeout=10,
                                 data={"username": username, "password": "motcua-demo"})
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def intake(self, phone: str, *, accept: bool = True) -> str:
        response = requests.post(f"{self.base}/api/v1/dossiers", headers=self.headers("mot_cua"), timeout=30, json={
            "procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "notify_zalo": True, "accept": accept,
            "applicant": {"full_name": "Nguyễn Văn An", "phone": phone, "id_number": "008190012345"}})
        assert response.status_code == 201, response.text
        return str(response.json()["code"])

    def step(self, username: str, code: str, data: dict[str, Any]) -> None:
        headers = self.headers(username)
        tasks = requests.get(f"{self.base}/api/v1/tasks", params={"scope": "all"}, headers=headers,
                             timeout=10).json()["items"]
        task = next(t for t in tasks if t["dossier_code"] == code)
        response = requests.post(f"{self.base}/api/v1/tasks/{task['id']}/complete", json={"data": data},
                                 headers=headers, timeout=30)
        assert response.status_code == 200, response.text


def rate_on_page(page: Page, *, verifier: str, level: str, criterion: str | None = None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.fill("#verifier", verifier)
    page.click("#form-code button[type=submit]")
    form = page.locator("#danh-gia")
    expect(form).to_be_visible()
    expect(form).to_contain_text("Đánh giá mức độ hài lòng")
    form.get_by_label(level, exact=True).first.check()
    if criterion:
        form.locator("details.criteria summary").click()
        form.locator("fieldset[data-criterion=thai_do]").get_by_label(criterion, exact=True).check()
    page.fill("#rating-comment", "Cán bộ hướng dẫn tận tình.")
    form.screenshot(path=str(ARTIFACTS / "09-phieu-danh-gia.png"))
    form.locator("button[type=submit]").click()


def test_the_final_messages_button_opens_a_page_where_rating_works(
    settings: Settings, now_clock: ManualClock, db: Any, page: Page
) -> None:
    with live_server(settings, now_clock) as (base, _wiring):
        citizen = Citizen(base, "84912345678")
        citizen.act("follow")
        citizen.act("submit-info", {"phone": citizen.phone_84, "name": "Nguyễn Văn An"})
        desk = Desk(base)
        code = desk.intake("0912345678")
        for username, data in STEPS:
            desk.step(username, code, data)
        now_clock.advance(timedelta(days=8))  # the interaction window closed: the final message is a template
        desk.step("mot_cua", code, {"hinh_thuc_tra": "truc_tiep"})
        [final] = wait_for(lambda: [m for m in citizen.inbox() if m["type"] == "template"
                                    and code in str(m.get("text")) and "đánh giá" in str(m.get("text"))])
        button = final["template_data"]
        assert "cta_text" not in button  # the button's title is the registered template's, not a parameter
        assert final["template_id"] == "400003"  # the result template (TRA_KET_QUA)
        assert button["trang_thai"] == "Đã trả kết quả, mời đánh giá"
        assert button["cta_url"] == f"{base}/tra-cuu?ma={code}#danh-gia"

        page.goto(button["cta_url"])
        expect(page.locator("#code")).to_have_value(code)
        expect(page.locator("#rating-hint")).to_be_visible()
        rate_on_page(page, verifier="5678", level="Hài lòng", criterion="Rất hài lòng")
        expect(page.locator("#rating-done")).to_have_text(
            f"Cảm ơn ông/bà đã đánh giá mức độ hài lòng về việc giải quyết hồ sơ {code}.")
        expect(page.locator("#danh-gia")).to_be_hidden()
        shot(page, "10-danh-gia-hai-long")

        page.goto(button["cta_url"])  # a second visit: the rating is shown, no form is offered
        page.fill("#verifier", "2345")
        page.click("#form-code button[type=submit]")
        expect(page.locator("#rating-done")).to_contain_text(f"Ông/bà đã đánh giá hồ sơ {code}: Hài lòng (ngày ")
        expect(page.locator("#danh-gia")).to_be_hidden()

        statistics = requests.get(f"{base}/api/v1/registers/statistics", headers=desk.headers("giam_sat"),
                                  params={"from": "2026-11-01", "to": "2026-12-31"}, timeout=10).json()
        assert statistics["total"]["satisfaction"]["satisfied"] == 1


def test_rating_a_refused_dossier_from_the_lookup_page(
    settings: Settings, now_clock: ManualClock, db: Any, page: Page
) -> None:
    with live_server(settings, now_clock) as (base, _wiring):
        desk = Desk(base)
        code = desk.intake("0912345678", accept=False)
        in_progress = desk.intake("0912345678")
        page.goto(f"{base}/tra-cuu")
        page.fill("#code", in_progress)
        page.fill("#verifier", "5678")
        page.click("#form-code button[type=submit]")
        expect(page.locator("#timeline")).to_contain_text("Đang xử lý")
        expect(page.locator("#danh-gia")).to_be_hidden()  # nothing to rate before the end

        desk.step("mot_cua", code, {"quyet_dinh": "tu_choi", "ly_do": "Không thuộc thẩm quyền"})
        page.fill("#code", code)
        page.click("#form-code button[type=submit]")
        expect(page.locator("#timeline")).to_contain_text("Không được tiếp nhận")
        # The refusal slip the message's button names ("Xem Phiếu từ chối") is listed and downloads as a PDF.
        slip = page.locator("#timeline ul.documents button", has_text="Phiếu từ chối tiếp nhận giải quyết hồ sơ")
        with page.expect_download() as download:
            slip.click()
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
        form = page.locator("#danh-gia")
        form.locator("button[type=submit]").click()
        expect(page.locator("#rating-error")).to_have_text("Vui lòng chọn mức độ hài lòng.")
        form.get_by_label("Không hài lòng", exact=True).first.check()
        form.locator("button[type=submit]").click()
        expect(page.locator("#rating-done")).to_contain_text("Cảm ơn ông/bà đã đánh giá")
        shot(page, "11-danh-gia-tu-choi")
