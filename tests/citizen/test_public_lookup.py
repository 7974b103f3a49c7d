"""Public lookup, the three ways, through HTTP on both backends: what is shown, what is refused, the rate
limit, the audit trail, and that nothing personal leaves in any answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from tests.citizen.conftest import APPLICANT, KARAOKE, Login, assert_nothing_personal, intake
from workflows.audit.models import AuditEntry
from workflows.core.clock import ManualClock
from workflows.core.db import session_scope

LOOKUP = "/api/v1/public/lookup"


def audit_rows(client: TestClient, action: str) -> list[AuditEntry]:
    with session_scope(client.app.state.wiring.db) as session:  # type: ignore[attr-defined]
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


class TestLookupByCode:
    def test_timeline_with_phone_or_id_digits(self, app_client: TestClient, dossier: dict[str, Any]) -> None:
        for verifier in ("5678", "2345"):  # last 4 of the phone, of the ID number
            response = app_client.post(LOOKUP, json={"code": dossier["code"], "verifier": verifier})
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["code"] == dossier["code"]
            assert body["applicant_name"] == "Nguyễn T** H*** N****"
            assert (
                body["national_status"] == dossier["national_status"] == 4
                and body["status_name"] == "Đang xử lý"
            )
            assert body["due_at"] is not None and body["procedure_code"] == KARAOKE
            assert [t["step"] for t in body["timeline"]][:2] == ["nop_ho_so", "tiep_nhan"]
            assert body["timeline"][0]["unit"] == "Tổ chức, cá nhân"
            assert_nothing_personal(response.text)
            # Officials' names stay out of the public timeline (units only).
            assert "Nguyễn Thị Thu Hà" not in response.text

    def test_wrong_verifier_and_unknown_code_are_the_same_refusal(
        self,
        app_client: TestClient,
        dossier: dict[str, Any],
    ) -> None:
        wrong = app_client.post(LOOKUP, json={"code": dossier["code"], "verifier": "0000"})
        unknown = app_client.post(LOOKUP, json={"code": "H60.22-261124-9999", "verifier": "5678"})
        assert wrong.status_code == unknown.status_code == 404
        assert wrong.json() == unknown.json()
        assert wrong.json()["code"] == "lookup_not_found"
        assert "4 chữ số cuối" in wrong.json()["detail"]
        assert wrong.headers["content-type"].startswith("application/problem+json")

    def test_missing_or_malformed_verifier(self, app_client: TestClient, dossier: dict[str, Any]) -> None:
        missing = app_client.post(LOOKUP, json={"code": dossier["code"]})
        assert missing.status_code == 422 and missing.json()["code"] == "validation_failed"
        assert "4 chữ số cuối" in missing.json()["detail"]
        malformed = app_client.post(LOOKUP, json={"code": dossier["code"], "verifier": "12a4"})
        assert malformed.status_code == 422 and malformed.json()["code"] == "validation_failed"

    def test_every_lookup_is_audited_without_personal_data(
        self,
        app_client: TestClient,
        dossier: dict[str, Any],
    ) -> None:
        app_client.post(LOOKUP, json={"code": dossier["code"], "verifier": "5678"})
        app_client.post(LOOKUP, json={"code": dossier["code"], "verifier": "1111"})
        rows = audit_rows(app_client, "public.lookup_code")
        assert [r.data["result"] for r in rows] == ["found", "refused"]
        assert all(r.actor.startswith("public:") and "testclient" not in r.actor for r in rows)
        assert_nothing_personal(repr([(r.actor, r.data, r.reason) for r in rows]))


class TestLookupById:
    def test_own_dossiers_with_phone_digits(self, app_client: TestClient, login: Login) -> None:
        first, second = intake(app_client, login), intake(app_client, login, accept=False)
        other = intake(app_client, login, applicant={**APPLICANT, "id_number": "001089012345"})
        response = app_client.post(
            f"{LOOKUP}/by-id", json={"id_number": "0081 9001 2345", "phone_last4": "5678"}
        )
        assert response.status_code == 200, response.text
        codes = [d["code"] for d in response.json()["items"]]
        assert sorted(codes) == sorted([first["code"], second["code"]]) and other["code"] not in codes
        assert_nothing_personal(response.text)

    def test_wrong_missing_or_invalid_second_factor(
        self, app_client: TestClient, dossier: dict[str, Any]
    ) -> None:
        wrong = app_client.post(f"{LOOKUP}/by-id", json={"id_number": "008190012345", "phone_last4": "2345"})
        assert wrong.status_code == 404 and wrong.json()["code"] == "lookup_not_found"
        missing = app_client.post(f"{LOOKUP}/by-id", json={"id_number": "008190012345"})
        assert missing.status_code == 422 and missing.json()["code"] == "validation_failed"
        invalid = app_client.post(f"{LOOKUP}/by-id", json={"id_number": "12345", "phone_last4": "5678"})
        assert invalid.status_code == 422 and "12 chữ số" in invalid.json()["detail"]
        assert_nothing_personal(wrong.text + missing.text + invalid.text)


class TestLookupByName:
    def test_needs_procedure_and_date_and_masks(
        self, app_client: TestClient, dossier: dict[str, Any]
    ) -> None:
        bare = app_client.post(f"{LOOKUP}/by-name", json={"full_name": APPLICANT["full_name"]})
        assert bare.status_code == 422 and bare.json()["code"] == "validation_failed"
        response = app_client.post(
            f"{LOOKUP}/by-name",
            json={
                "full_name": "nguyen thi hong NHUNG",
                "procedure_code": KARAOKE,
                "received_on": "2026-11-24",
            },
        )
        assert response.status_code == 200, response.text
        [match] = response.json()["items"]
        assert match["code_hint"] == dossier["code"][:-4] + "****"
        assert match["applicant_name"] == "Nguyễn T** H*** N****" and match["status_name"] == "Đang xử lý"
        assert dossier["code"] not in response.text
        assert_nothing_personal(response.text)
        other_day = app_client.post(
            f"{LOOKUP}/by-name",
            json={
                "full_name": APPLICANT["full_name"],
                "procedure_code": KARAOKE,
                "received_on": "2026-11-23",
            },
        )
        assert other_day.json()["items"] == []

    def test_at_most_five(self, app_client: TestClient, login: Login) -> None:
        for _ in range(6):
            intake(app_client, login, accept=False)
        response = app_client.post(
            f"{LOOKUP}/by-name",
            json={
                "full_name": APPLICANT["full_name"],
                "procedure_code": KARAOKE,
                "received_on": "2026-11-24",
            },
        )
        assert len(response.json()["items"]) == 5 and response.json()["truncated"] is True


class TestRateLimit:
    def test_flood_is_refused_with_retry_after_then_admitted(
        self,
        app_client: TestClient,
        dossier: dict[str, Any],
        clock: ManualClock,
    ) -> None:
        # Guesses at another code: 10 wrong guesses on this dossier would spend its own budget (hours).
        statuses = [
            app_client.post(LOOKUP, json={"code": "H60.22-261124-9999", "verifier": "0000"}).status_code
            for _ in range(10)
        ]
        assert statuses == [404] * 10
        refused = app_client.post(LOOKUP, json={"code": dossier["code"], "verifier": "5678"})
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited" and "thử lại sau" in refused.json()["detail"]
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 120
        # Other kinds of lookup share the client's budget.
        assert (
            app_client.post(
                f"{LOOKUP}/by-id", json={"id_number": "008190012345", "phone_last4": "5678"}
            ).status_code
            == 429
        )
        clock.advance(timedelta(seconds=wait))
        assert app_client.post(LOOKUP, json={"code": dossier["code"], "verifier": "5678"}).status_code == 200

    def test_limits_are_per_client(self, app_client: TestClient, dossier: dict[str, Any]) -> None:
        for _ in range(11):
            app_client.post(LOOKUP, json={"code": "H60.22-261124-9999", "verifier": "0000"})
        other = TestClient(app_client.app, client=("203.0.113.7", 50000))
        response = other.post(LOOKUP, json={"code": dossier["code"], "verifier": "5678"})
        assert response.status_code == 200, response.text
