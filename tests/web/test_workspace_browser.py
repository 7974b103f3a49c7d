"""Issue 21's done-when: the officials' workspace `/can-bo/` in headless Chromium (Debian's /usr/bin/chromium
driven by Playwright) against a live server with the Zalo emulator and the relay running. Each role signs in
through the page and one karaoke dossier (VHTTDL-KARAOKE) goes from intake at the desk to the returned
result through the pages alone — assignment, site inspection, a supplement round, appraisal, review,
signature, issue, return — with the form errors, the 409 of a step completed in another tab, the audited
reveal and a previewed Zalo message on the way; then the citizen's Zalo inbox in the emulator holds exactly
the expected texts. Screenshots go to tests/artifacts/can-bo-*.png (copies in docs/images/)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.browser import chromium, require_chromium
from tests.browser import new_page as browser_page
from tests.browser import shot as browser_shot
from tests.http_api.live import Citizen, live_server, wait_for
from workflows.core.clock import ManualClock
from workflows.core.config import Settings

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]
require_chromium()

PASSWORD = "motcua-demo"
# Who signs in, as the header names them (full name, then title and unit): never by login.
OFFICIALS = {
    "mot_cua": ("Nguyễn Thị Thu Hà",
                "Chuyên viên Bộ phận Một cửa tại Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang"),
    "lanh_dao_phong": ("Trần Văn Minh", "Trưởng phòng Quản lý Văn hóa và Gia đình"),
    "chuyen_vien": ("Lê Thị Hương", "Chuyên viên Phòng Quản lý Văn hóa và Gia đình"),
    "lanh_dao_so": ("Phạm Quốc Hùng", "Phó Giám đốc Sở Văn hóa, Thể thao và Du lịch"),
    "van_thu": ("Hoàng Thị Lan", "Văn thư Văn phòng Sở Văn hóa, Thể thao và Du lịch"),
    "giam_sat": ("Vũ Đức Thắng", "Chánh Văn phòng Văn phòng Sở Văn hóa, Thể thao và Du lịch"),
}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
AGENCY = "Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang"
MESSAGE = "Mời ông/bà mang bản chính CCCD khi đến nhận giấy phép."


@pytest.fixture
def now_clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # Tuesday 09:00 in Hanoi


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


def new_page(browser: Browser, *, tablet: bool = False) -> Page:
    """A desktop page, or the one-stop desk's tablet (1024×768, touch)."""
    page = (browser_page(browser, width=1024, height=768, touch=True) if tablet
            else browser_page(browser, width=1366, height=900))
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "status of 4" not in m.text
            else None)
    page.problems = problems  # type: ignore[attr-defined]
    return page


def shot(page: Page, name: str) -> None:
    browser_shot(page, f"can-bo-{name}")


def sign_in(page: Page, base: str, username: str) -> None:
    if page.locator("#sign-out").is_visible():
        page.click("#sign-out")
    page.goto(f"{base}/can-bo/")
    expect(page.locator("#sign-in-title")).to_have_text("Đăng nhập")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    name, title = OFFICIALS[username]
    expect(page.locator("#who-name")).to_have_text(name)
    expect(page.locator("#who-title")).to_have_text(title)
    assert username not in page.locator("header").inner_text()  # named by name and title, never by login


def open_step(page: Page, base: str, code: str, tab: str = "cua-phong") -> None:
    """From the inbox's tab, the dossier's open step (the row's "Xử lý")."""
    page.goto(f"{base}/can-bo/#/hop-thu/{tab}")
    row = page.locator(f"#inbox tr[data-dossier='{code}']")
    row.get_by_role("link", name="Xử lý").click()
    expect(page.locator("#task-form")).to_be_visible()


def complete(page: Page, code: str, status_name: str) -> None:
    page.click("#complete")
    expect(page.locator("#dossier-head")).to_contain_text(code)
    expect(page.locator("#dossier-status")).to_have_text(status_name)


def citizen_follows(base: str) -> Citizen:
    citizen = Citizen(base, "84912345678")
    citizen.act("follow")
    assert wait_for(lambda: len(citizen.inbox()) >= 2), citizen.inbox()
    assert "Đã xác thực số điện thoại" in citizen.share_and_prove()
    return citizen


def intake(page: Page, base: str) -> str:
    page.goto(f"{base}/can-bo/#/tiep-nhan")
    page.select_option("#procedure", label="Cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke")
    page.fill("#applicant-id", "008190012345")
    page.fill("#applicant-phone", "0912345678")
    page.fill("#applicant-email", "an.nguyen@")
    page.select_option("#fact-dia_ban", "thanh_pho_thi_xa")
    page.fill("#fact-so_phong", "5")
    expect(page.locator("#fee")).to_have_text(
        "Phí, lệ phí: 6.000.000 đồng (Tại thành phố, thị xã: từ 04 đến 05 phòng).")
    # Checked before sending, in the server's words; then the server's own refusal, on its field.
    page.click("#accept")
    expect(page.locator("[data-error='applicant.full_name']")).to_have_text(
        "Họ và tên người nộp: bắt buộc, chưa được nhập.")
    page.fill("#applicant-name", "Nguyễn Văn An")
    page.click("#accept")
    expect(page.locator("[data-error='applicant.email']")).to_have_text("Thư điện tử: không đúng định dạng.")
    page.fill("#applicant-email", "")
    page.set_input_files("#scans", files=[{"name": "don-de-nghi.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    shot(page, "tiep-nhan")
    page.click("#accept")
    done = page.locator("#intake-done")
    expect(done).to_contain_text("Đã tiếp nhận hồ sơ H60.22-261124-")
    expect(done).to_contain_text("Hẹn trả kết quả: 17:00 01/12/2026.")
    code = page.inner_text("#new-code")
    with page.expect_popup() as receipt:
        page.click("#print-receipt")
    assert receipt.value.url.startswith("blob:")  # Mẫu 01, fetched with the official's token
    receipt.value.close()
    return code


class TestWorkspaceWalk:
    def test_karaoke_dossier_from_intake_to_result(
        self, settings: Settings, now_clock: ManualClock, db: Any, browser: Browser
    ) -> None:
        with live_server(settings, now_clock) as (base, _wiring):
            citizen = citizen_follows(base)
            desk = new_page(browser, tablet=True)

            # 1. The desk receives and accepts the dossier on its tablet; Mẫu 01 is printed at once.
            sign_in(desk, base, "mot_cua")
            code = intake(desk, base)

            # The dossier page: the applicant masked; the reveal needs a reason and shows the numbers here only.
            desk.goto(f"{base}/can-bo/#/ho-so/{code}")
            expect(desk.locator("#applicant-phone")).to_have_text("0912***678")
            expect(desk.locator("#applicant-id")).to_have_text("0081****2345")
            desk.click("#reveal-form button[type=submit]")
            expect(desk.locator("#reveal-error")).to_have_text("Lý do: phải có ít nhất 5 ký tự.")
            desk.fill("#reveal-reason", "Đối chiếu CCCD với bản chính")
            desk.click("#reveal-form button[type=submit]")
            expect(desk.locator("#applicant-phone")).to_have_text("0912345678")
            expect(desk.locator("#revealed")).to_have_text("Đã hiện đầy đủ; lần xem này đã được ghi nhật ký.")
            assert "0912345678" not in desk.url
            expect(desk.locator("#forms [data-form='MAU_01']")).to_contain_text(
                "Mẫu 01 – Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
            expect(desk.locator("#documents")).to_contain_text("don-de-nghi.pdf")

            # 2. The division head: the inbox's tabs and counts; claim, then assign by name.
            office = new_page(browser)
            sign_in(office, base, "lanh_dao_phong")
            expect(office.locator("[data-count='cua-toi']")).to_have_text("0")
            expect(office.locator("[data-count='cho-nhan']")).to_have_text("1")
            office.click("[data-tab='cho-nhan']")
            row = office.locator(f"#inbox tr[data-dossier='{code}']")
            expect(row).to_contain_text("Phân công thụ lý")
            expect(row).to_contain_text("Nguyễn Văn An")
            expect(row).to_contain_text("Chờ phân công thụ lý")
            row.get_by_role("button", name="Nhận việc").click()
            expect(office.locator("[data-count='cua-toi']")).to_have_text("1")
            expect(office.locator("[data-count='cho-nhan']")).to_have_text("0")
            office.click("[data-tab='cua-toi']")
            office.select_option("#filter-status", "CHO_PHAN_CONG")
            expect(office.locator(f"#inbox tr[data-dossier='{code}']")).to_be_visible()
            shot(office, "hop-thu")
            office.select_option("#filter-status", "")
            open_step(office, base, code, tab="cua-toi")
            office.click("#complete")
            expect(office.locator("#f-case_officer-error")).to_have_text(
                "Chuyên viên thụ lý (tên đăng nhập): bắt buộc, chưa được nhập.")
            office.get_by_label("Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia đình").check()
            office.fill("#f-ghi_chu", "Kiểm tra thực tế trong tuần")
            complete(office, code, "Đang kiểm tra thực tế")

            # 3. The case officer inspects, then asks for a supplement.
            officer = new_page(browser)
            sign_in(officer, base, "chuyen_vien")
            expect(officer.locator("[data-count='cua-toi']")).to_have_text("1")
            open_step(officer, base, code, tab="cua-toi")
            officer.fill("#f-ngay_kiem_tra", "2026-11-25")
            officer.check("#f-dat_yeu_cau")
            officer.fill("#f-bien_ban", "Cơ sở đạt yêu cầu về phòng hát, cách âm, chiếu sáng")
            complete(officer, code, "Đang thẩm định")
            open_step(officer, base, code, tab="cua-toi")
            expect(officer.locator("#f-ly_do")).to_be_hidden()  # asked for only with a supplement or refusal
            officer.check("input[name=quyet_dinh][value=bo_sung]")
            expect(officer.locator("#f-ly_do")).to_be_visible()
            shot(officer, "cong-viec")
            officer.click("#complete")
            # The same messages the server gives for the same data, on their fields.
            task_id = officer.url.rsplit("/", 1)[-1]
            server = server_errors(base, "chuyen_vien", task_id, {"quyet_dinh": "bo_sung"})
            assert server == {"ly_do": "Lý do: bắt buộc, chưa được nhập.",
                              "noi_dung_bo_sung": "Nội dung cần bổ sung, hoàn thiện: bắt buộc, chưa được nhập."}
            for field, message in server.items():
                expect(officer.locator(f"#f-{field}-error")).to_have_text(message)
            officer.fill("#f-ly_do", "Thiếu bản vẽ mặt bằng")
            officer.fill("#f-noi_dung_bo_sung", "Bản vẽ mặt bằng các phòng hát")
            complete(officer, code, "Chờ bổ sung hồ sơ")

            # 4. The desk receives the supplement: upload it, complete the step; the same step open in a
            # second tab then answers plainly that someone else completed it.
            desk.goto(f"{base}/can-bo/#/ho-so/{code}")
            desk.set_input_files("#upload-file", files=[
                {"name": "ban-ve-mat-bang.pdf", "mimeType": "application/pdf", "buffer": PDF}])
            desk.fill("#upload-note", "Bản vẽ bổ sung")
            desk.click("#upload-form button[type=submit]")
            expect(desk.locator("#documents")).to_contain_text("ban-ve-mat-bang.pdf")
            # The procedure's diagram (bpmn-js from the front-end build) with the current step highlighted.
            expect(desk.locator("#diagram .djs-element.highlight[data-element-id='nhan_bo_sung']")).to_have_count(1)
            expect(desk.locator("#diagram .djs-element.highlight")).to_have_count(1)
            desk.locator("#process").scroll_into_view_if_needed()
            shot(desk, "ho-so-bo-sung")
            second = new_page(browser)
            sign_in(second, base, "mot_cua")
            open_step(second, base, code)
            open_step(desk, base, code)
            desk.check("#f-da_bo_sung")
            complete(desk, code, "Đang thẩm định")
            second.check("#f-da_bo_sung")
            second.click("#complete")
            expect(second.locator("#task-status")).to_have_text(
                "Công việc này đã được cán bộ khác xử lý trước. Hồ sơ đã chuyển sang bước tiếp theo; "
                "vui lòng mở lại hộp công việc.")
            second.context.close()

            # 5. Appraisal, review, signature, issue.
            open_step(officer, base, code, tab="cua-toi")
            officer.check("input[name=quyet_dinh][value=dat]")
            complete(officer, code, "Chờ lãnh đạo phòng xem xét")
            open_step(office, base, code)
            office.check("input[name=quyet_dinh][value=trinh_ky]")
            complete(office, code, "Chờ lãnh đạo ký duyệt")
            director = new_page(browser)
            sign_in(director, base, "lanh_dao_so")
            open_step(director, base, code)
            director.check("input[name=quyet_dinh][value=ky]")
            complete(director, code, "Chờ văn thư phát hành")
            expect(director.locator("#reveal-form")).to_have_count(0)  # heads sign on the masked file
            clerk = new_page(browser)
            sign_in(clerk, base, "van_thu")
            open_step(clerk, base, code)
            clerk.fill("#f-so_van_ban", "125/GP-SVHTTDL")
            clerk.fill("#f-ngay_ban_hanh", "2026-11-27")
            complete(clerk, code, "Đã có kết quả")

            # 6. The desk writes to the applicant (previewed), then hands the result back.
            desk.goto(f"{base}/can-bo/#/ho-so/{code}")
            desk.fill("#message-text", MESSAGE)
            desk.click("#message-preview-button")
            expect(desk.locator("#preview-text")).to_have_text(f"[{AGENCY}] Về hồ sơ {code}: {MESSAGE}")
            desk.click("#message-send")
            expect(desk.locator("#messages")).to_contain_text(MESSAGE)
            open_step(desk, base, code)
            desk.check("input[name=hinh_thuc_tra][value=truc_tiep]")
            complete(desk, code, "Đã trả kết quả")
            timeline = desk.locator("#timeline")
            for step in ("Tiếp nhận hồ sơ", "Phân công thụ lý", "Thẩm định hồ sơ", "Trả kết quả"):
                expect(timeline).to_contain_text(step)
            expect(timeline.locator(".badge.on").first).to_have_text("Đúng hạn")

            # 7. A supervisor follows the dossier, read-only.
            sign_in(office, base, "giam_sat")
            office.goto(f"{base}/can-bo/#/ho-so/{code}")
            expect(office.locator("#dossier-status")).to_have_text("Đã trả kết quả")
            expect(office.locator("#reveal-form")).to_have_count(0)
            expect(office.locator("#message-form")).to_have_count(0)

            # 8. The citizen's Zalo inbox: one message per step, the receipt as a file, the official's words.
            expected = expected_inbox(code, base)
            got = wait_for(lambda: (about(citizen.inbox(), code) == expected) or None, timeout=30)
            assert got, about(citizen.inbox(), code)
            desk.goto(f"{base}/can-bo/#/ho-so/{code}")
            expect(desk.locator("#messages .message-status").first).to_have_text("Đã gửi")
            shot(desk, "ho-so")
            for page in (desk, office, officer, director, clerk):
                assert not page.problems, page.problems  # type: ignore[attr-defined]


def server_errors(base: str, username: str, task_id: str, data: dict[str, Any]) -> dict[str, str]:
    """The server's field messages for `data` on the task (a refusal changes nothing)."""
    token = requests.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD},
                          timeout=10).json()["access_token"]
    response = requests.post(f"{base}/api/v1/tasks/{task_id}/complete", json={"data": data}, timeout=10,
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422, response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def about(messages: list[dict[str, Any]], code: str) -> list[str]:
    """The citizen's messages about the dossier: texts, and files by name."""
    out = []
    for m in messages:
        text = "file " + str((m.get("file") or {}).get("filename", "")) if m["type"] == "file" else str(m.get("text"))
        if code in text:
            out.append(re.sub(r"\s+", " ", text))
    return out


def expected_inbox(code: str, base: str) -> list[str]:
    """What the citizen reads, in order: each step the process announces, Mẫu 01, Mẫu 02 and the signed result
    as files, the official's message signed with the agency, the invitation to rate."""
    procedure = "Cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke"
    return [
        f"Hồ sơ {code} – {procedure} đã được tiếp nhận lúc 09 giờ 00 ngày 24/11/2026. Thời hạn giải quyết 05 ngày "
        "làm việc; hẹn trả kết quả ngày 01/12/2026.",
        f"file mau_01-{code}.pdf",
        f"Hồ sơ {code} đang được thẩm định.",
        f"Hồ sơ {code} – {procedure} cần bổ sung, hoàn thiện: - Bản vẽ mặt bằng các phòng hát Lý do: Thiếu bản vẽ "
        "mặt bằng. Liên hệ Phòng Quản lý Văn hóa và Gia đình để được hướng dẫn.",
        f"file mau_02-{code}.pdf",
        f"Hồ sơ {code} đang được thẩm định.",
        f"Hồ sơ {code} đã được trình lãnh đạo {AGENCY} ký duyệt.",
        f"Hồ sơ {code} đã có kết quả. Mời ông/bà nhận kết quả tại Bộ phận Một cửa, Trung tâm Phục vụ hành chính "
        "công tỉnh Tuyên Quang.",
        f"file ket-qua-{code}.pdf",
        f"[{AGENCY}] Về hồ sơ {code}: {MESSAGE}",
        f"Ông/bà đã nhận kết quả hồ sơ {code} ngày 24/11/2026. Mời ông/bà đánh giá mức độ hài lòng tại: "
        f"{base}/tra-cuu?ma={code}#danh-gia",
    ]
