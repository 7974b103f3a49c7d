"""Retention over the running system: a dossier closed longer ago than its procedure's retention period is
anonymised by the scheduler's `retention` job (applicant's name, numbers, address, Zalo link and files gone,
statistics fields kept, audited), a dossier closed more recently is not; the dry run changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from api.cli import app as cli
from tests.http_api.flows import APPLICANT, Login, intake
from tests.http_api.test_dossier_walk import complete
from tests.http_api.test_ops_metrics import WALK
from workflows import retention
from workflows.core.clock import ManualClock
from workflows.core.config import Settings

SCAN = b"%PDF-1.4\n% giay phep kinh doanh 008190012345\n%%EOF\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"retention": settings.retention.model_copy(update={"default_years": 1})})


def walk(client: TestClient, login: Login, clock: ManualClock) -> str:
    """A karaoke dossier from intake to returned result, with a scan uploaded."""
    code = intake(client, login)["code"]
    uploaded = client.post(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua"),
                           files={"file": ("giay-to.pdf", SCAN, "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    for user, data in WALK:
        clock.advance(timedelta(hours=2))
        complete(client, login, user, code, data)
    return code


def documents(client: TestClient, login: Login, code: str) -> list[tuple[dict[str, Any], Any]]:
    items = client.get(f"/api/v1/dossiers/{code}/documents", headers=login("mot_cua")).json()["items"]
    return [(item, client.get(f"/api/v1/dossiers/{code}/documents/{item['id']}", headers=login("mot_cua")))
            for item in items]


class TestRetention:
    def test_an_expired_dossier_is_anonymised_and_a_fresh_one_is_not(
        self, app_client: TestClient, login: Login, clock: ManualClock, settings: Settings, db: Any,
    ) -> None:
        wiring = app_client.app.state.wiring  # type: ignore[attr-defined]
        old = walk(app_client, login, clock)
        rated = app_client.post("/api/v1/public/ratings", json={
            "code": old, "verifier": "5678", "level": "hai_long", "comment": "Chị Nhung ở tổ 5 rất hài lòng"})
        assert rated.status_code == 201, rated.text
        clock.advance(timedelta(days=182))  # May 2027
        fresh = walk(app_client, login, clock)
        open_code = intake(app_client, login)["code"]
        clock.advance(timedelta(days=190))  # a year and a week after the first closed, half a year after the second

        listed = retention.run(wiring.db, store=wiring.domain.store, settings=settings.retention, now=clock.now,
                               dry_run=True)
        assert [item.code for item in listed] == [old]
        assert listed[0].years == 1 and listed[0].expires_at <= clock.now()
        detail = app_client.get(f"/api/v1/dossiers/{old}", headers=login("mot_cua")).json()
        assert detail["applicant"]["full_name"] == APPLICANT["full_name"]  # the dry run changed nothing
        files_before = {p.name for p in settings.storage.directory.rglob("*") if p.is_file()}

        assert wiring.scheduler.run_once(retention.JOB) == 1
        assert wiring.scheduler.run_once(retention.JOB) == 0  # done once

        detail = app_client.get(f"/api/v1/dossiers/{old}", headers=login("mot_cua")).json()
        assert detail["applicant"]["full_name"] == "Đã ẩn danh"
        assert detail["applicant"]["id_number"] is None and detail["applicant"]["phone"] is None
        assert detail["applicant"]["address"] is None
        assert detail["status"] == "DA_TRA_KET_QUA" and detail["procedure_code"] == "VHTTDL-KARAOKE"
        assert detail["lateness"] in ("truoc_han", "dung_han")  # the statistics' facts stay
        erased = documents(app_client, login, old)
        assert erased and all(r.status_code == 404 for _, r in erased)
        assert all(r.json()["detail"] == "Tệp này đã được xóa khi hết thời hạn lưu trữ hồ sơ." for _, r in erased)
        files_after = {p.name for p in settings.storage.directory.rglob("*") if p.is_file()}
        assert files_after < files_before

        kept = documents(app_client, login, fresh)
        assert kept and all(r.status_code == 200 for _, r in kept)
        assert SCAN in [r.content for _, r in kept]  # identical content shared with the old dossier stays
        for code in (fresh, open_code):
            applicant = app_client.get(f"/api/v1/dossiers/{code}", headers=login("mot_cua")).json()["applicant"]
            assert applicant["full_name"] == APPLICANT["full_name"] and applicant["phone"] == "0912***678"

        with db.connect() as connection:
            audits = connection.execute(text(
                "SELECT actor, dossier_code, data FROM audit_entry WHERE action = 'retention.anonymise'")).all()
            row = connection.execute(text(
                "SELECT applicant_id_hash, applicant_phone_hash, zalo_user_id, personal_data_erased_at, "
                "returned_at, counted_late FROM dossier WHERE code = :c"), {"c": old}).one()
            rating = connection.execute(text(
                "SELECT r.level, r.comment FROM satisfaction_rating r JOIN dossier d ON d.id = r.dossier_id "
                "WHERE d.code = :c"), {"c": old}).one()
            payloads = connection.execute(text(
                "SELECT payload, recipient_ref FROM outbox_message WHERE subject_ref = :c"), {"c": old}).all()
        assert [(a.actor, a.dossier_code) for a in audits] == [("system", old)]
        assert row.applicant_id_hash is None and row.applicant_phone_hash is None and row.zalo_user_id is None
        assert row.personal_data_erased_at is not None and row.returned_at is not None
        assert payloads
        assert rating.level == "hai_long" and rating.comment is None

        # The command line reads the real clock: nothing of these 2026–2027 test dossiers has expired yet.
        result = CliRunner().invoke(cli, ["retention", "--dry-run"], env={
            "MOTCUA_ENV": "test", "MOTCUA_DATABASE__URL": settings.database.url,
            "MOTCUA_STORAGE__DIRECTORY": str(settings.storage.directory), "MOTCUA_RETENTION__DEFAULT_YEARS": "1"})
        assert result.exit_code == 0, result.output
        assert result.output.strip().endswith("would anonymise 0 dossiers")
        assert all(APPLICANT["full_name"] not in str(p.payload) and p.recipient_ref == "erased" for p in payloads)
