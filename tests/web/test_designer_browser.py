"""The process designers' pages in headless Chromium (Debian's /usr/bin/chromium driven by Playwright)
against a real server on SQLite: sign in, the library, a version with where its dossiers wait, then the
modeler: add a user task, see bpmnlint's error on it, fix it, see the server's validation on an element,
fix that, deploy, and find the new version in the library. Screenshots go to tests/artifacts/
(docs/images/quy-trinh-*.png are copies of good ones). No page may break its Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import chromium, new_page, quiet_server, require_chromium
from tests.browser import shot as full_shot
from tests.citizen.conftest import APPLICANT, PASSWORD
from workflows.core.clock import ManualClock
from workflows.core.config import Settings

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]
require_chromium()

PROCESS = "phan_anh_kien_nghi"  # the smallest diagram: three lanes, a few steps


@pytest.fixture
def server(settings: Settings, clock: ManualClock, db: Any) -> Iterator[tuple[str, Any]]:
    with quiet_server(settings, clock) as running:
        yield running


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium() as browser:
        # A desktop; the layout also serves a landscape tablet (the side column moves under the canvas).
        yield new_page(browser, width=1440, height=900)


def shot(page: Page, name: str) -> None:
    full_shot(page, name, full_page=False)  # the screen as a designer sees it: the canvas scrolls itself


def _flow_point(page: Page, flow_id: str) -> tuple[float, float]:
    """Where a sequence flow's first segment's middle is on the screen (the canvas's own coordinates)."""
    point = page.evaluate(
        """(id) => {
          const m = window.MotcuaModeler.modeler;
          const flow = m.get('elementRegistry').get(id);
          const [a, b] = flow.waypoints;
          const box = m.get('canvas').viewbox();
          const rect = document.querySelector('#canvas').getBoundingClientRect();
          return [rect.left + ((a.x + b.x) / 2 - box.x) * box.scale, rect.top + ((a.y + b.y) / 2 - box.y) * box.scale];
        }""",
        flow_id,
    )
    return float(point[0]), float(point[1])


def test_design_lint_fix_deploy_and_find_it(server: tuple[str, Any], page: Page) -> None:
    base, _ = server
    http = httpx.Client(base_url=base, timeout=30)
    token = http.post("/api/v1/auth/token", data={"username": "mot_cua", "password": PASSWORD}).json()
    created = http.post("/api/v1/dossiers", headers={"Authorization": f"Bearer {token['access_token']}"}, json={
        "procedure_code": "VHTTDL-KARAOKE", "channel": "counter", "applicant": APPLICANT, "accept": True})
    assert created.status_code == 201, created.text
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: violations.append(f"page error: {e}"))

    # 1. The library needs a sign-in; a designer signs in and is sent back.
    page.goto(f"{base}/quy-trinh/")
    expect(page).to_have_url(f"{base}/quy-trinh/dang-nhap?tiep=%2Fquy-trinh%2F")
    page.fill("#username", "quan_tri")
    page.fill("#password", "sai-mat-khau")
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("#sign-in-error")).to_be_visible()
    page.fill("#password", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    expect(page).to_have_url(f"{base}/quy-trinh/")
    karaoke = page.locator("section.process[data-key=karaoke_vu_truong]")
    expect(karaoke.locator("td[data-waiting='karaoke_vu_truong/1']")).to_have_text("1")
    expect(page.locator(f"section.process[data-key={PROCESS}] tr[data-version='1']")).to_be_visible()
    shot(page, "quy-trinh-thu-vien")

    # 2. A version: its diagram, and the karaoke dossier waiting at the assignment step.
    karaoke.locator("a", has_text="Phiên bản 1").click()
    expect(page.locator(".count-badge[data-element=phan_cong]")).to_have_text("1")
    expect(page.locator("#waiting-summary")).to_contain_text("1 hồ sơ đang chạy")
    expect(page.locator("#changes")).to_contain_text("Phiên bản đầu tiên")
    shot(page, "quy-trinh-phien-ban")

    # 3. The modeler: drop a task on a flow inside a lane, make it a user task.
    page.goto(f"{base}/quy-trinh/{PROCESS}/1/sua")
    expect(page.locator("#lint-status")).to_contain_text("bpmnlint: 0 lỗi")
    flow_id = "f2"  # the desk's classification → the division head's assignment, in the desk's lane
    before = set(page.evaluate("() => window.MotcuaModeler.modeler.get('elementRegistry').getAll().map(e => e.id)"))
    # Make room after the flow's start (the space tool), then drop a task on the flow: bpmn-js splits it.
    x, y = _flow_point(page, flow_id)
    page.click(".djs-palette .entry.bpmn-icon-space-tool")
    page.mouse.move(x, y + 45)
    page.mouse.down()
    page.mouse.move(x + 60, y + 45)
    page.mouse.move(x + 140, y + 45)
    page.mouse.up()
    page.click(".djs-palette .entry.bpmn-icon-task")
    x, y = _flow_point(page, flow_id)
    page.mouse.move(x - 5, y)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.keyboard.press("Escape")  # leave the label editor bpmn-js opens on a new element
    [task_id] = page.evaluate(
        "(before) => window.MotcuaModeler.modeler.get('elementRegistry')"
        ".filter(e => e.type === 'bpmn:Task' && !before.includes(e.id)).map(e => e.id)", list(before))
    page.click(".djs-context-pad .entry[data-action=replace]")
    page.click(".djs-popup .entry[data-id=replace-with-user-task]")
    task_id = page.evaluate("() => window.MotcuaModeler.modeler.get('selection').get()[0].id")

    # 4. bpmnlint: the new step has no name — on the element and in the list.
    lint_item = page.locator(f"#problems li.lint[data-element='{task_id}']")
    expect(lint_item).to_contain_text("Phần tử chưa có tên")
    expect(page.locator(f".djs-overlays[data-container-id='{task_id}'] .bjsl-icon-error")).to_be_visible()
    expect(page.locator("#prop-id")).to_have_value(task_id)  # still selected: its template form is open
    expect(page.locator("#prop-role")).not_to_be_disabled()
    shot(page, "quy-trinh-soan-thao-loi")

    # 5. Fix it in the template form: a name; then a form schema the server refuses, shown on the element.
    page.fill("#prop-name", "Kiểm tra bổ sung")
    expect(lint_item).to_have_count(0)
    expect(page.locator("#lint-status")).to_contain_text("bpmnlint: 0 lỗi")
    page.fill("#prop-formJsonSchema", '{"type": 5}')
    page.locator("#prop-formJsonSchema").blur()
    page.click("#check")
    server_item = page.locator(f"#problems li.server[data-element='{task_id}']")
    expect(server_item).to_contain_text("formJsonSchema không phải JSON Schema hợp lệ")
    expect(page.locator(f".server-badge[data-element='{task_id}']")).to_be_visible()
    expect(page.locator("#changes")).to_contain_text("Kiểm tra bổ sung")
    page.click("#deploy")
    expect(page.locator("#modeler-error")).to_contain_text("Máy chủ chưa nhận sơ đồ")
    page.fill("#prop-formJsonSchema",
              '{"type": "object", "properties": {"ghi_chu": {"type": "string", "title": "Ghi chú"}}}')
    page.locator("#prop-formJsonSchema").blur()

    # 6. Deploy: version 2, with what changed; the library lists it.
    page.click("#deploy")
    expect(page.locator("#deployed")).to_contain_text("Đã triển khai phiên bản 2")
    expect(page.locator("#problems")).to_contain_text("Không có lỗi")
    page.evaluate("(id) => { const m = window.MotcuaModeler.modeler; "
                  "m.get('selection').select(m.get('elementRegistry').get(id)); }", task_id)
    expect(page.locator("#prop-name")).to_have_value("Kiểm tra bổ sung")
    expect(page.locator("#changes .change-list.changed")).not_to_contain_text("CHUYEN_VIEN")  # members are a set
    shot(page, "quy-trinh-soan-thao")
    page.click("#deployed a[href='/quy-trinh/']")
    expect(page.locator(f"section.process[data-key={PROCESS}] tr[data-version='2']")).to_contain_text("mới nhất")
    page.click(f"section.process[data-key={PROCESS}] tr[data-version='2'] a >> text=Phiên bản 2")
    expect(page.locator("#changes .change-list.added")).to_contain_text("Kiểm tra bổ sung")
    assert not violations, violations
