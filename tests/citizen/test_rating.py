"""The satisfaction rating through HTTP (rating once, at once and the statistics on both backends; the refusals
and the messages, which query nothing of their own, on PostgreSQL): a finished dossier is rated once behind the
lookup's second factor (201, then 409), a wrong verifier gets the lookup's refusal and its rate limit, an unfinished
dossier 409, bad input a Vietnamese 422 with nothing written; the supervisors' statistics show the QĐ 766
satisfaction indicator; the final message links to the rating and the fee message offers no payment."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from connectors.outbox import OutboxMessage
from tests.citizen.conftest import Login, assert_nothing_personal, intake
from tests.http_api.flows import APPRAISE_OK, ASSIGN, INSPECT, ISSUE, RETURN, REVIEW_OK, SIGN, do
from workflows.audit.models import AuditEntry
from workflows.core.clock import to_local
from workflows.core.db import session_scope
from workflows.core.errors import Conflict
from workflows.documents.context import FormCode
from workflows.ratings import service as rating
from workflows.ratings.models import SatisfactionRating
from workflows.ratings.schemas import RatingIn

# Backend-independent (the HTTP contract, no query of its own): on PostgreSQL, the production database, only.
ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

RATINGS = "/api/v1/public/ratings"
LOOKUP = "/api/v1/public/lookup"
# What each message button promises, and what the page it opens must then show (a form of the dossier, the
# timeline, the rating form). Nothing else may be offered: no payment, no electronic result.
BUTTONS: dict[str, str] = {
    "Tra cứu hồ sơ": "timeline",
    "Xem quá trình xử lý": "timeline",
    "Xem Giấy tiếp nhận hồ sơ": FormCode.MAU_01.title_vi,  # Zalo cuts button labels at 30 characters
    "Xem Phiếu yêu cầu bổ sung": FormCode.MAU_02.title_vi,
    "Xem Phiếu từ chối": FormCode.MAU_03.title_vi,
    "Xem văn bản trả lời": FormCode.MAU_03.title_vi,
    "Xem văn bản xin lỗi": FormCode.MAU_04.title_vi,
    "Xem thông báo": FormCode.MAU_05.title_vi,
    "Đánh giá mức độ hài lòng": "rating",
}
KARAOKE_STEPS = [("phan_cong", ASSIGN), ("kiem_tra_thuc_te", INSPECT), ("tham_dinh", APPRAISE_OK),
                 ("xem_xet", REVIEW_OK), ("ky_duyet", SIGN), ("phat_hanh", ISSUE)]


def issued(client: TestClient, login: Login) -> str:
    """A karaoke dossier whose result is issued and waits at the desk (Đã xử lý xong)."""
    code = str(intake(client, login)["code"])
    for step, data in KARAOKE_STEPS:
        do(client, login, code, step, data)
    return code


def returned(client: TestClient, login: Login) -> str:
    """A karaoke dossier whose result was handed to the citizen (Đã trả kết quả)."""
    code = issued(client, login)
    do(client, login, code, "tra_ket_qua", RETURN)
    return code


def rate(client: TestClient, code: str, verifier: str | None = "5678", **extra: Any) -> Any:
    return client.post(RATINGS, json={"code": code, "verifier": verifier, "level": "hai_long", **extra})


def ratings_in(client: TestClient) -> list[SatisfactionRating]:
    with session_scope(client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
        return list(session.exec(select(SatisfactionRating)).all())


def outbox_payload(client: TestClient, code: str, event: str) -> dict[str, Any]:
    with session_scope(client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.subject_ref == code)).all()
        [payload] = [dict(m.payload) for m in rows if m.payload.get("event") == event]
    return payload


class TestRateOnce:
    def test_rated_once_then_409(self, app_client: TestClient, login: Login) -> None:
        code = returned(app_client, login)
        before = app_client.post(LOOKUP, json={"code": code, "verifier": "5678"}).json()["satisfaction"]
        assert before == {"open": True, "rated": False, "rated_at": None, "level_name": None}

        first = rate(app_client, code, level="rat_hai_long", criteria={"thoi_gian": "rat_hai_long",
                     "thai_do": "hai_long"}, comment="Cán bộ hướng dẫn tận tình.")
        assert first.status_code == 201, first.text
        body = first.json()
        assert (body["code"], body["level"], body["level_name"]) == (code, "rat_hai_long", "Rất hài lòng")
        assert body["message"] == f"Cảm ơn ông/bà đã đánh giá mức độ hài lòng về việc giải quyết hồ sơ {code}."
        assert_nothing_personal(first.text)
        [stored] = ratings_in(app_client)
        assert stored.criteria == {"thoi_gian": "rat_hai_long", "thai_do": "hai_long"}
        assert stored.comment == "Cán bộ hướng dẫn tận tình."

        after = app_client.post(LOOKUP, json={"code": code, "verifier": "2345"}).json()["satisfaction"]
        assert (after["open"], after["rated"], after["level_name"]) == (False, True, "Rất hài lòng")

        again = rate(app_client, code, verifier="2345", level="khong_hai_long")
        assert again.status_code == 409
        assert again.headers["content-type"].startswith("application/problem+json")
        day = to_local(stored.rated_at).strftime("%d/%m/%Y")
        assert again.json()["code"] == "rating_already_given"
        assert again.json()["detail"] == (f"Hồ sơ {code} đã được đánh giá ngày {day}. Mỗi hồ sơ chỉ được đánh "
                                          "giá một lần.")
        assert [r.level for r in ratings_in(app_client)] == ["rat_hai_long"]

    def test_refused_and_withdrawn_dossiers_can_be_rated(self, app_client: TestClient, login: Login) -> None:
        refused = str(intake(app_client, login, accept=False)["code"])
        do(app_client, login, refused, "tiep_nhan", {"quyet_dinh": "tu_choi", "ly_do": "Không thuộc thẩm quyền"})
        withdrawn = str(intake(app_client, login)["code"])
        response = app_client.post(f"/api/v1/dossiers/{withdrawn}/withdraw", json={"reason": "Công dân có đơn rút"},
                                   headers=login("mot_cua"))
        assert response.status_code == 200, response.text
        for code in (refused, withdrawn):
            assert rate(app_client, code, level="khong_hai_long").status_code == 201, code


class TestConcurrentRatings:
    def test_two_at_once_one_is_refused(self, app_client: TestClient, login: Login) -> None:
        code = returned(app_client, login)
        wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
        body = RatingIn(code=code, verifier="5678", level="hai_long")
        outcome: dict[str, str] = {}

        def second() -> None:
            try:
                with session_scope(wiring.db) as session:
                    rating.rate(session, services=wiring.domain, body=body, actor="public:b")
                outcome["second"] = "rated"
            except Conflict as exc:
                outcome["second"] = exc.error_code

        with session_scope(wiring.db) as first:
            rating.rate(first, services=wiring.domain, body=body, actor="public:a")
            thread = threading.Thread(target=second)
            thread.start()
            # The second waits on the first's uncommitted row: on PostgreSQL at the unique key, past its own
            # "not rated yet" check; on SQLite at the write lock.
            deadline = time.monotonic() + 10
            while wiring.db.dialect.name == "postgresql" and time.monotonic() < deadline:
                with wiring.db.connect() as probe:
                    if probe.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                          "AND datname = current_database()")).scalar_one():
                        break
                time.sleep(0.05)
            time.sleep(0.2)
            assert thread.is_alive()
        thread.join(timeout=30)
        assert outcome == {"second": "rating_already_given"}
        assert len(ratings_in(app_client)) == 1


@ON_POSTGRESQL
class TestRefusals:
    def test_wrong_verifier_gets_the_lookups_refusal(self, app_client: TestClient, login: Login) -> None:
        code = returned(app_client, login)
        wrong = rate(app_client, code, verifier="0000")
        unknown = rate(app_client, "H60.22-261124-9999")
        lookup_refusal = app_client.post(LOOKUP, json={"code": code, "verifier": "0000"})
        assert wrong.status_code == unknown.status_code == 404
        assert wrong.json() == unknown.json() == lookup_refusal.json()
        assert wrong.json()["code"] == "lookup_not_found"
        missing = rate(app_client, code, verifier=None)
        assert missing.status_code == 422
        assert missing.json()["errors"] == [{"field": "verifier", "message": "Cần nhập đúng 4 chữ số cuối số điện "
                                             "thoại hoặc số CCCD/CMND của người nộp."}]
        assert ratings_in(app_client) == []
        with session_scope(app_client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
            audited = session.exec(select(AuditEntry).where(AuditEntry.action == "public.rating")).all()
        assert sorted(a.data["result"] for a in audited) == ["refused", "refused"]

    def test_guessing_shares_the_lookups_rate_limit(self, app_client: TestClient, login: Login) -> None:
        code = returned(app_client, login)
        for _ in range(10):  # the lookup budget of one client: 10 a minute
            app_client.post(LOOKUP, json={"code": code, "verifier": "0000"})
        limited = rate(app_client, code)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert "quá nhiều yêu cầu" in limited.json()["detail"]
        assert ratings_in(app_client) == []

    def test_unfinished_dossier_is_409(self, app_client: TestClient, login: Login) -> None:
        in_progress = str(intake(app_client, login)["code"])
        response = rate(app_client, in_progress)
        assert response.status_code == 409
        assert response.json()["code"] == "rating_not_open"
        assert response.json()["detail"] == (f"Hồ sơ {in_progress} chưa kết thúc (trạng thái: Đang xử lý). "
                                             "Ông/bà có thể đánh giá mức độ hài lòng sau khi nhận kết quả.")
        waiting = issued(app_client, login)  # the result waits at the desk: not yet received
        assert rate(app_client, waiting).json()["code"] == "rating_not_open"
        lookup = app_client.post(LOOKUP, json={"code": waiting, "verifier": "5678"}).json()
        assert lookup["satisfaction"]["open"] is False
        assert ratings_in(app_client) == []

    def test_bad_input_is_vietnamese_and_writes_nothing(self, app_client: TestClient, login: Login) -> None:
        code = returned(app_client, login)
        response = rate(app_client, code, level="ok", criteria={"gia_ca": "hai_long", "thai_do": "tot"},
                        comment="x" * 2001)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_failed"  # one code per kind of error
        assert response.json()["errors"] == [
            {"field": "level", "message": "Vui lòng chọn mức độ hài lòng: Rất hài lòng, Hài lòng hoặc Không hài "
                                          "lòng."},
            {"field": "criteria.gia_ca", "message": "Tiêu chí đánh giá không có trong phiếu."},
            {"field": "criteria.thai_do", "message": "Mức đánh giá «Thái độ, tác phong của cán bộ, công chức» "
                                                     "không hợp lệ."},
            {"field": "comment", "message": "Ý kiến tối đa 2000 ký tự."},
        ]
        assert ratings_in(app_client) == []


class TestStatistics:
    def test_the_satisfaction_indicator(self, app_client: TestClient, login: Login) -> None:
        happy, unhappy, silent = (returned(app_client, login) for _ in range(3))
        assert rate(app_client, happy, level="hai_long", criteria={"thai_do": "rat_hai_long"}).status_code == 201
        assert rate(app_client, unhappy, level="khong_hai_long",
                    criteria={"thoi_gian": "khong_hai_long"}).status_code == 201
        in_progress = str(intake(app_client, login)["code"])
        assert silent and in_progress
        response = app_client.get("/api/v1/registers/statistics", params={"from": "2026-11-01", "to": "2026-12-31"},
                                  headers=login("giam_sat"))
        assert response.status_code == 200, response.text
        total = response.json()["total"]["satisfaction"]
        assert total == {
            "very_satisfied": 0, "satisfied": 1, "dissatisfied": 1, "ended": 3, "rated": 2,
            "satisfaction_rate": 50.0, "rated_rate": 66.67,
            "criteria": [
                {"criterion": "huong_dan", "name": "Hướng dẫn, tiếp nhận hồ sơ", "very_satisfied": 0,
                 "satisfied": 0, "dissatisfied": 0},
                {"criterion": "thoi_gian", "name": "Thời gian giải quyết so với giấy hẹn", "very_satisfied": 0,
                 "satisfied": 0, "dissatisfied": 1},
                {"criterion": "thai_do", "name": "Thái độ, tác phong của cán bộ, công chức", "very_satisfied": 1,
                 "satisfied": 0, "dissatisfied": 0},
            ],
        }
        [row] = response.json()["rows"]
        assert row["procedure_code"] == "VHTTDL-KARAOKE" and row["satisfaction"] == total
        other = app_client.get("/api/v1/registers/statistics", params={"from": "2026-11-01", "to": "2026-12-31"},
                               headers=login("lanh_dao_phong_dl"))
        assert other.json()["total"]["satisfaction"]["rated"] == 0  # another department's ratings stay out


@ON_POSTGRESQL
class TestMessages:
    def test_final_message_links_to_the_rating_without_personal_data(
        self, app_client: TestClient, login: Login
    ) -> None:
        code = returned(app_client, login)
        payload = outbox_payload(app_client, code, "TRA_KET_QUA")
        base = app_client.app.state.wiring.settings.public_base_url.rstrip("/")  # type: ignore[attr-defined]
        url = f"{base}/tra-cuu?ma={code}#danh-gia"
        assert payload["text"].endswith(f"Mời ông/bà đánh giá mức độ hài lòng tại: {url}")
        assert payload["template"]["cta_url"] == url
        assert payload["template"]["cta_text"] == "Đánh giá mức độ hài lòng"
        assert payload["template"]["trang_thai"] == "Đã trả kết quả, mời đánh giá"
        assert_nothing_personal(payload["text"] + payload["template"]["cta_url"])  # the template names the citizen
        page = app_client.get(url.removeprefix(base).split("#")[0])
        assert page.status_code == 200 and 'id="danh-gia"' in page.text and f'value="{code}"' in page.text

    def test_fee_message_says_how_to_pay_at_the_desk_when_the_fee_is_not_decided(
            self, app_client: TestClient, login: Login) -> None:
        # No class declared at intake: the fee is not decided, so no online payment is offered (the desk
        # settles it); tests/http_api/test_dvcqg_pay_flow.py covers the link.
        code = str(intake(app_client, login, procedure="VHTTDL-LUU-TRU-1-3-SAO")["code"])
        do(app_client, login, code, "phan_cong", ASSIGN)
        do(app_client, login, code, "tham_dinh", APPRAISE_OK)
        payload = outbox_payload(app_client, code, "NGHIA_VU_TAI_CHINH")
        assert payload["text"] == (
            f"Hồ sơ {code} có yêu cầu nộp 1.500.000 đồng. Ông/bà vui lòng nộp trực tiếp tại Bộ phận Một cửa, "
            "Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang và nhận biên lai; hồ sơ được tiếp tục giải quyết "
            "sau khi nộp.")
        assert payload["template"]["cta_text"] == "Tra cứu hồ sơ"
        assert "Thanh toán" not in str(payload)

    def test_every_button_opens_what_it_names(self, app_client: TestClient, login: Login) -> None:
        refused = str(intake(app_client, login, accept=False)["code"])
        do(app_client, login, refused, "tiep_nhan", {"quyet_dinh": "tu_choi", "ly_do": "Không thuộc thẩm quyền"})
        withdrawn = str(intake(app_client, login, accept=False)["code"])
        do(app_client, login, withdrawn, "tiep_nhan", {"quyet_dinh": "bo_sung", "ly_do": "Thiếu giấy tờ",
                                                       "giay_to_thieu": ["Văn bản nghiệm thu PCCC"]})
        do(app_client, login, withdrawn, "nhan_bo_sung", {"da_bo_sung": True})
        do(app_client, login, withdrawn, "tiep_nhan", {"quyet_dinh": "tiep_nhan"})
        apology = app_client.post(f"/api/v1/dossiers/{withdrawn}/apology", headers=login("chuyen_vien"), json={
            "reason": "cần xin ý kiến Công an tỉnh", "new_due_at": "2026-12-08T17:00:00+07:00"})
        assert apology.status_code == 200, apology.text
        assert app_client.post(f"/api/v1/dossiers/{withdrawn}/withdraw", json={"reason": "Công dân có đơn rút"},
                               headers=login("mot_cua")).status_code == 200
        done = returned(app_client, login)
        seen = set()
        for code in (refused, withdrawn, done):
            shown = app_client.post(LOOKUP, json={"code": code, "verifier": "5678"}).json()
            titles = [d["title"] for d in shown["documents"]]
            with session_scope(app_client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
                payloads = [m.payload for m in session.exec(select(OutboxMessage).where(
                    OutboxMessage.subject_ref == code, OutboxMessage.kind == "dossier_event")).all()]
            for payload in payloads:
                button = payload["template"]["cta_text"]
                promise = BUTTONS.get(button)
                assert promise, f"{payload['event']}: the button {button!r} offers what the page does not show"
                assert app_client.get(payload["template"]["cta_url"].split("#")[0]).status_code == 200
                if promise == "timeline":
                    assert shown["timeline"], code
                elif promise == "rating":
                    assert shown["satisfaction"]["open"], code
                else:
                    assert promise in titles, (payload["event"], titles)
                seen.add(payload["event"])
        assert seen >= {"KHONG_TIEP_NHAN", "BO_SUNG", "TIEP_NHAN", "XIN_LOI", "DUNG_XU_LY",
                        "THAM_DINH", "KY_DUYET", "DA_CO_KET_QUA", "TRA_KET_QUA"}, seen

    def test_the_feedback_answers_button_opens_the_feedback_form(self, app_client: TestClient, login: Login) -> None:
        sent = app_client.post("/api/v1/public/feedback", json={
            "category": "ho_so", "content": "Hồ sơ của tôi đã quá hẹn nhưng chưa có thông báo.",
            "contact_name": "Nguyễn Văn An", "contact_phone": "0912345678"})
        assert sent.status_code == 201, sent.text
        code = sent.json()["code"]
        for user, data in (("mot_cua", {"phan_loai": "ho_so"}), ("lanh_dao_phong", {"chuyen_vien": "chuyen_vien"}),
                           ("chuyen_vien", {"tra_loi": "Hồ sơ sẽ có kết quả trong tuần này."})):
            [task] = app_client.get(f"/api/v1/feedback/{code}", headers=login(user)).json()["open_tasks"]
            done = app_client.post(f"/api/v1/feedback/{code}/tasks/{task['id']}/complete", json={"data": data},
                                   headers=login(user))
            assert done.status_code == 200, done.text
        with session_scope(app_client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
            [message] = session.exec(select(OutboxMessage).where(OutboxMessage.subject_ref == code)).all()
            button = dict(message.payload["template"])
        # The answer travels in the message itself; the page has no answer to show, only the form.
        assert "Hồ sơ sẽ có kết quả trong tuần này." in message.payload["text"]
        assert button["cta_text"] == "Gửi phản ánh, kiến nghị khác"
        assert button["cta_url"].endswith("/tra-cuu#phan-anh")
        assert 'id="form-feedback"' in app_client.get("/tra-cuu").text
