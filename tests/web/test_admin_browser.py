"""The supervisors' and administrators' pages of the workspace in headless Chromium (Debian's /usr/bin/chromium
driven by Playwright) against a live server with the Zalo emulator and the relay running, on SQLite.

The situations are made for real: an incident (the document store broken while Mẫu 01 is rendered), overdue
dossiers (the test clock moved a month on), messages Zalo refused (the emulator's fault injection). The pages
must say exactly what the API answered, and retry and resend must work through them. The statistics page's
screenshot goes to docs/images/can-bo-thong-ke.png, the others to tests/artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser import chromium, new_page, require_chromium, shot
from tests.http_api.live import Citizen, live_server, wait_for
from workflows.core.clock import ManualClock
from workflows.core.config import Settings

PASSWORD = "motcua-demo"
HUONG = "Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia đình"
REFUSED = "[zalo -201] Injected error"
STEPS = [
    ("lanh_dao_phong", {"case_officer": "chuyen_vien"}),
    ("chuyen_vien", {"ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Đạt yêu cầu"}),
    ("chuyen_vien", {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện"}),
    ("lanh_dao_phong", {"quyet_dinh": "trinh_ky"}),
    ("lanh_dao_so", {"quyet_dinh": "ky"}),
    ("van_thu", {"so_van_ban": "125/GP-SVHTTDL"}),
    ("mot_cua", {"hinh_thuc_tra": "truc_tiep"}),
]
ADMIN_PAGES = ["Sự cố", "Kết nối Zalo", "Tin nhắn lỗi", "Cán bộ"]
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

require_chromium()


class Api:
    """The officials' calls that set the scene, over HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base

    def headers(self, username: str) -> dict[str, str]:
        response = requests.post(f"{self.base}/api/v1/auth/token", timeout=10,
                                 data={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def intake(self, name: str, *, notify: bool = False) -> str:
        response = requests.post(f"{self.base}/api/v1/dossiers", headers=self.headers("mot_cua"), timeout=30, json={
            "procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "accept": True, "notify_zalo": notify,
            "applicant": {"full_name": name, "phone": "0912345678"}})
        assert response.status_code == 201, response.text
        return str(response.json()["code"])

    def assign(self, code: str) -> None:
        headers = self.headers("lanh_dao_phong")
        tasks = requests.get(f"{self.base}/api/v1/tasks", params={"scope": "all"}, headers=headers, timeout=10)
        task = next(t for t in tasks.json()["items"] if t["dossier_code"] == code)
        done = requests.post(f"{self.base}/api/v1/tasks/{task['id']}/complete", headers=headers, timeout=30,
                             json={"data": {"case_officer": "chuyen_vien"}})
        assert done.status_code == 200, done.text

    def finish(self, code: str) -> None:
        """Every step of the karaoke licence, by the demo officials (README), up to the result handed back."""
        for username, data in STEPS:
            headers = self.headers(username)
            tasks = requests.get(f"{self.base}/api/v1/tasks", params={"scope": "all"}, headers=headers, timeout=10)
            task = next(t for t in tasks.json()["items"] if t["dossier_code"] == code)
            done = requests.post(f"{self.base}/api/v1/tasks/{task['id']}/complete", headers=headers, timeout=30,
                                 json={"data": data})
            assert done.status_code == 200, done.text

    def messages(self, state: str) -> list[dict[str, Any]]:
        response = requests.get(f"{self.base}/api/v1/admin/messages", params={"state": state, "page_size": 100},
                                headers=self.headers("quan_tri"), timeout=10)
        return list(response.json()["items"])

    def faults(self, rate: float, kinds: list[str]) -> None:
        response = requests.post(f"{self.base}/zalo-emulator/faults", json={"rate": rate, "kinds": kinds, "seed": 1},
                                 timeout=5)
        assert response.status_code == 200, response.text


@pytest.fixture
def browser_page() -> Iterator[Page]:
    with chromium() as browser:
        yield new_page(browser, width=1280, height=900)


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/can-bo/")
    page.evaluate("sessionStorage.clear()")
    page.goto(f"{base}/can-bo/#/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("#who-name")).to_be_visible()


def nav(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#nav .nav-item").all_inner_texts()]


def test_supervisor_and_administrator_pages(settings: Settings, clock: ManualClock, db: Any,
                                            browser_page: Page) -> None:
    page = browser_page
    with live_server(settings, clock) as (base, _wiring):
        api = Api(base)
        # An incident: the document store is a file, so Mẫu 01 cannot be written at acceptance.
        store = settings.storage.directory
        shutil.rmtree(store, ignore_errors=True)
        store.write_text("not a directory")
        broken = api.intake("Đỗ Văn Hải")
        store.unlink()  # the cause is fixed before the administrator retries
        # Two dossiers that will be overdue, the first held by its case officer.
        first = api.intake("Nguyễn Văn An")
        api.assign(first)
        second = api.intake("Trần Thị Bình")
        api.finish(api.intake("Lê Văn Cường"))  # decided and handed back before its appointment
        # Messages Zalo refuses: dead at once.
        Citizen(base, "84912345678")
        api.faults(1.0, ["error:-201"])
        refused = [api.intake("Phạm Thị Thu", notify=True), api.intake("Vũ Văn Long", notify=True)]
        dead = wait_for(lambda: len(api.messages("dead")) == 2 and api.messages("dead"))
        assert dead, api.messages("waiting")
        api.faults(0, [])
        clock.advance(timedelta(days=30))
        page.clock.set_fixed_time(clock.now())
        for _ in range(6):  # van_thu mistypes: the next login must wait
            requests.post(f"{base}/api/v1/auth/token", data={"username": "van_thu", "password": "nham-mat-khau"},
                          timeout=10)

        # --- The province's supervisor: statistics and the overdue list, nothing of the administrator's.
        sign_in(page, base, "giam_sat_tinh")
        expect(page.locator("#who-name")).to_have_text("Hà Thị Thanh Tâm")
        entries = nav(page)  # the everyday pages first (the other sections' own), then the supervisors'
        assert entries[-2:] == ["Thống kê", "Hồ sơ quá hạn"] and not set(entries) & set(ADMIN_PAGES), entries
        page.click("#nav [data-section=thong-ke]")
        expect(page.locator("main h1")).to_have_text("Thống kê kết quả giải quyết hồ sơ")
        expect(page.locator("#co-quan option").first).to_have_text("Tất cả cơ quan")
        page.fill("#tu-ngay", "2026-11-01")
        page.fill("#den-ngay", "2026-12-31")
        page.click("#loc-thong-ke button[type=submit]")
        expect(page.locator("#pham-vi")).to_contain_text("Kỳ báo cáo: 01/11/2026 – 31/12/2026 · Phạm vi: Toàn tỉnh")
        karaoke = page.locator("#bang-thong-ke tr[data-row='VHTTDL-KARAOKE']")
        expect(karaoke.locator("td").first).to_contain_text("Cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke")
        expect(karaoke.locator("[data-col=received]")).to_have_text("6")
        expect(karaoke.locator("[data-col=finished_early]")).to_have_text("1")
        expect(karaoke.locator("[data-col=in_progress_late]")).to_have_text("5")
        expect(karaoke.locator("[data-col=on_time_rate]")).to_have_text("16,67%")
        expect(page.locator("#bang-thong-ke tr.subtotal td").first).to_have_text(
            "Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang")
        expect(page.locator("#bang-thong-ke tr.total td").first).to_have_text("Tổng cộng")
        expect(page.locator("#bang-thong-ke tr.total [data-col=received]")).to_have_text("6")
        shot(page, "can-bo-thong-ke")  # docs/images/can-bo-thong-ke.png is a copy of a good one
        page.select_option("#co-quan", "H60.71")  # Ủy ban nhân dân phường Minh Xuân
        page.click("#loc-thong-ke button[type=submit]")
        expect(page.locator("#ket-qua-thong-ke .empty")).to_have_text("Không có hồ sơ nào trong kỳ báo cáo.")

        page.click("#nav [data-section=qua-han]")
        rows = page.locator("#ho-so-qua-han tbody tr")
        expect(rows).to_have_count(5)
        codes = rows.evaluate_all("rows => rows.map(r => r.dataset.code)")
        assert codes[:3] == [broken, first, second], codes
        held = page.locator(f"#ho-so-qua-han tr[data-code='{first}']")
        expect(held.locator("[data-holder]")).to_have_text(HUONG)
        expect(held.locator("a")).to_have_attribute("href", f"#/ho-so/{first}")
        expect(held).to_contain_text("Quá hạn")
        waiting = page.locator(f"#ho-so-qua-han tr[data-code='{second}'] [data-holder]")
        expect(waiting).to_have_text("Chưa có người nhận (Lãnh đạo phòng chuyên môn)")
        expect(page.locator("#tong-qua-han")).to_contain_text("5 hồ sơ đã quá hạn")
        shot(page, "can-bo-qua-han")
        held.locator("a").click()  # the dossier page of the workspace
        expect(page.locator("main h1")).to_have_text(f"Hồ sơ {first}")
        page.goto(f"{base}/can-bo/#/su-co")  # not theirs: the home page instead
        expect(page.locator("main h1")).to_have_text("Hộp công việc")

        # --- The Sở's leader sees the statistics of the Sở.
        sign_in(page, base, "lanh_dao_so")
        page.click("#nav [data-section=thong-ke]")
        expect(page.locator("#pham-vi")).to_contain_text("Phạm vi: Các hồ sơ thuộc thẩm quyền của cơ quan")
        assert page.locator("#co-quan").count() == 0

        # --- The administrator.
        sign_in(page, base, "quan_tri")
        assert nav(page) == ADMIN_PAGES
        expect(page.locator("main h1")).to_have_text("Sự cố xử lý quy trình")
        incident = page.locator("#danh-sach-su-co tr[data-incident]")
        expect(incident).to_have_count(1)
        expect(incident).to_contain_text(broken)
        expect(incident.locator("code")).to_have_text("mau_01")
        incident.locator("button[data-retry]").click()
        expect(page.locator(".confirm p")).to_have_text(
            f"Chạy lại bước “mau_01” của hồ sơ {broken}? Chỉ chạy lại khi đã khắc phục nguyên nhân lỗi.")
        page.click(".confirm [data-confirm=yes]")
        expect(page.locator("#ket-qua-su-co")).to_have_text(
            f"Đã chạy lại thành công: hồ sơ {broken} tiếp tục được xử lý.")
        expect(page.locator("main .empty")).to_have_text("Không có sự cố nào đang chờ xử lý.")

        page.click("#nav [data-section=ket-noi]")
        expect(page.locator("#trang-thai-zalo")).to_have_text("Đã kết nối")
        page.click("#ket-noi-lai")
        link = page.locator("#trang-cap-quyen")
        expect(link).to_have_text("Mở trang cấp quyền của Zalo")
        href = link.get_attribute("href") or ""
        assert "/oauth/v4/oa/permission?" in href
        expect(page.locator("#zalo dd").first).to_contain_text("24/11/2026")  # granted when the server started
        page.goto(href)  # the OA administrator on Zalo's permission page (the emulator's), then back
        page.click("button[value=allow]")
        expect(page.locator("h1")).to_have_text("Đã kết nối Zalo OA")
        page.goto(f"{base}/can-bo/#/ket-noi")
        expect(page.locator("#trang-thai-zalo")).to_have_text("Đã kết nối")
        expect(page.locator("#zalo dd").first).to_contain_text("24/12/2026")  # granted again, a month on
        expect(page.locator("#dvcqg h2")).to_have_text("Đồng bộ Cổng Dịch vụ công quốc gia")

        page.click("#nav [data-section=tin-nhan-loi]")
        expect(page.locator(".tab.active")).to_contain_text("Gửi thất bại")
        expect(page.locator(".tab.active .count")).to_have_text("2")
        listed = page.locator("#danh-sach-tin-nhan tr[data-message]")
        expect(listed).to_have_count(2)
        expect(listed.first.locator(".reason")).to_have_text(REFUSED)
        assert "0912345678" not in page.inner_text("main")
        one = min(m["id"] for m in dead)
        page.click(f"button[data-resend='{one}']")
        expect(page.locator("#ket-qua-gui-lai")).to_have_text(f"Đã đưa tin nhắn #{one} vào hàng đợi để gửi lại.")
        assert wait_for(lambda: one in {m["id"] for m in api.messages("sent")})
        expect(page.locator(".tab.active .count")).to_have_text("1")  # the list as it stands after the resend
        page.click("#gui-lai-tat-ca")
        expect(page.locator(".confirm p")).to_have_text(
            "Gửi lại tất cả 1 tin nhắn “Gửi thất bại”? Chỉ gửi lại khi đã khắc phục nguyên nhân (kết nối Zalo, mẫu tin "
            "nhắn); mỗi tin được đưa lại vào hàng đợi một lần.")
        page.click(".confirm [data-confirm=yes]")
        other = max(m["id"] for m in dead)
        expect(page.locator("#ket-qua-gui-lai")).to_have_text(f"Đã đưa 1 tin nhắn vào hàng đợi để gửi lại: #{other}.")
        assert wait_for(lambda: {one, other} <= {m["id"] for m in api.messages("sent")})
        assert {m["subject"] for m in dead} == set(refused)
        shot(page, "can-bo-tin-nhan-loi")

        page.click("#nav [data-section=can-bo]")
        anh = page.locator("#danh-sach-can-bo tr[data-username=chuyen_vien_2]")
        expect(anh.locator("strong")).to_have_text("Bùi Thị Ngọc Anh")
        anh.locator("[data-action=roles]").click()
        page.check("input[name='roles-chuyen_vien_2'][value=MOT_CUA]")
        page.click("text=Lưu vai trò")
        expect(page.locator("#ket-qua-can-bo")).to_have_text(
            "Đã cập nhật vai trò của Bùi Thị Ngọc Anh: Công chức Bộ phận Một cửa, Chuyên viên thụ lý.")
        anh = page.locator("#danh-sach-can-bo tr[data-username=chuyen_vien_2]")
        expect(anh.locator("[data-roles]")).to_have_attribute("data-roles", "MOT_CUA CHUYEN_VIEN")
        anh.locator("[data-action=disable]").click()
        page.click(".confirm [data-confirm=yes]")
        expect(page.locator("#ket-qua-can-bo")).to_have_text("Đã vô hiệu hóa tài khoản của Bùi Thị Ngọc Anh.")
        expect(page.locator("#danh-sach-can-bo tr[data-username=chuyen_vien_2] [data-state=disabled]")).to_have_text(
            "Đã vô hiệu hóa")
        lan = page.locator("#danh-sach-can-bo tr[data-username=van_thu]")
        expect(lan.locator("[data-state=locked]")).to_contain_text("Tạm khóa đăng nhập đến")
        lan.locator("[data-action=unlock]").click()
        expect(page.locator("#ket-qua-can-bo")).to_have_text("Đã mở khóa đăng nhập cho Hoàng Thị Lan.")
        expect(page.locator("#danh-sach-can-bo tr[data-username=van_thu] [data-state=locked]")).to_have_count(0)

        page.click("#them-can-bo")
        form = page.locator("#tao-can-bo")
        form.locator("[name=full_name]").fill("Nguyễn Thị Mai")
        form.locator("[name=title]").fill("Chuyên viên")
        form.locator("[name=department_code]").select_option("PHONG_QLVH")
        form.locator("[name=username]").fill("chuyen_vien_3")
        form.locator("[name=password]").fill("ngan")
        form.locator("input[name=new-roles][value=CHUYEN_VIEN]").check()
        form.locator("button[type=submit]").click()
        expect(form.locator("[data-field=password] .field-error")).to_have_text(
            "Mật khẩu: phải có ít nhất 8 ký tự.")
        form.locator("[name=password]").fill("mat-khau-ban-dau-2026")
        form.locator("button[type=submit]").click()
        expect(page.locator("#ket-qua-can-bo")).to_have_text(
            "Đã tạo tài khoản cho Nguyễn Thị Mai, Chuyên viên Phòng Quản lý Văn hóa và Gia đình.")
        assert "null" not in page.inner_text("main") and "undefined" not in page.inner_text("main")
        page.set_viewport_size({"width": 800, "height": 1100})  # a tablet held upright
        shot(page, "can-bo-quan-ly-may-tinh-bang")
