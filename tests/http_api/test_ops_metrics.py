"""/metrics over HTTP after a dossier walk: the business figures (dossiers by status and lateness, open and
overdue tasks per department, outbox rows per channel and state, the national sync, step latency) match the
database; the endpoint is for operators only; no dossier code or personal data is in a scrape; the alert
rules and the Grafana dashboard name only metrics that a real scrape has."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import text

from tests.http_api.flows import APPLICANT, Login, intake
from tests.http_api.test_dossier_walk import complete
from workflows.core.clock import ManualClock
from workflows.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "prometheus-scrape-token-0123456789abcdef"
WALK = [
    ("mot_cua", {"quyet_dinh": "tiep_nhan"}),
    ("lanh_dao_phong", {"case_officer": "chuyen_vien"}),
    ("chuyen_vien", {"ngay_kiem_tra": "2026-11-25", "dat_yeu_cau": True, "bien_ban": "Đạt yêu cầu"}),
    ("chuyen_vien", {"quyet_dinh": "dat", "ly_do": "Đủ điều kiện cấp phép"}),
    ("lanh_dao_phong", {"quyet_dinh": "trinh_ky", "y_kien": "Đồng ý trình ký"}),
    ("lanh_dao_so", {"quyet_dinh": "ky", "y_kien": "Đồng ý"}),
    ("van_thu", {"so_van_ban": "125/GP-SVHTTDL", "ngay_ban_hanh": "2026-11-27"}),
    ("mot_cua", {"hinh_thuc_tra": "truc_tiep"}),
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"http": settings.http.model_copy(update={"metrics_token": SecretStr(TOKEN)})})


def scrape(client: TestClient) -> tuple[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    """The scrape's text and its samples; a family without samples (no incident yet) is there by its name."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        samples[(family.name, (("", "family"),))] = 0.0
        samples.update({(s.name, tuple(sorted(s.labels.items()))): s.value for s in family.samples})
    return response.text, samples


def total(samples: dict[tuple[str, Any], float], name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items()
               if n == name and ls != (("", "family"),) and labels.items() <= dict(ls).items())


def metric_names(samples: dict[tuple[str, Any], float]) -> set[str]:
    """Every sample name and the family each belongs to (a histogram's `_bucket`, `_count`, `_sum`)."""
    names = {n for n, _ in samples}
    return names | {re.sub(r"_(bucket|count|sum|total|created)$", "", n) for n in names}


class TestMetrics:
    def test_business_figures_match_the_database(
        self, app_client: TestClient, login: Login, clock: ManualClock, db: Any,
    ) -> None:
        assert app_client.get("/metrics").status_code == 401
        refused = app_client.get("/metrics", headers=login("mot_cua"))
        assert refused.status_code == 403
        assert "Chỉ người vận hành" in refused.json()["detail"]
        _, before = scrape(app_client)
        steps_before = total(before, "motcua_step_duration_seconds_count")

        walked = intake(app_client, login)["code"]
        for user, data in WALK:
            clock.advance(timedelta(hours=2))
            complete(app_client, login, user, walked, data)
        waiting = intake(app_client, login)["code"]
        complete(app_client, login, "mot_cua", waiting, {"quyet_dinh": "tiep_nhan"})
        clock.advance(timedelta(days=14))  # the second dossier's appointment and its step's due time pass
        app_client.app.state.wiring.scheduler.run_once("timers")  # type: ignore[attr-defined]

        body, samples = scrape(app_client)
        with db.connect() as connection:
            by_status = dict(connection.execute(text("SELECT status, count(*) FROM dossier GROUP BY status")).all())
            open_items = connection.execute(text("SELECT count(*) FROM work_item WHERE state = 'open'")).scalar()
            outbox = connection.execute(text(
                "SELECT channel, status, count(*) FROM outbox_message GROUP BY channel, status")).all()
            waiting_status = connection.execute(text("SELECT status FROM dossier WHERE code = :c"),
                                                {"c": waiting}).scalar()
            department = connection.execute(text(
                "SELECT d.code FROM dossier x JOIN department d ON d.id = x.department_id WHERE x.code = :c"),
                {"c": waiting}).scalar()

        assert {s: int(total(samples, "motcua_dossiers", status=s)) for s in by_status} == by_status
        assert total(samples, "motcua_dossiers", status="DA_TRA_KET_QUA", lateness="ket_thuc") == 1
        assert total(samples, "motcua_dossiers", status=waiting_status, lateness="qua_han") == 1
        assert total(samples, "motcua_tasks_open") == open_items
        assert open_items and open_items >= 1
        assert total(samples, "motcua_tasks_overdue", department=department, lane="LANH_DAO_PHONG") == 1
        zalo_rows = sum(n for channel, _, n in outbox if channel == "zalo")
        assert zalo_rows > 0 and total(samples, "motcua_outbox_channel_messages", channel="zalo") == zalo_rows
        assert total(samples, "motcua_step_duration_seconds_count") - steps_before == len(WALK) + 1
        assert total(samples, "motcua_step_duration_seconds_bucket", step="tiep_nhan", le="+Inf") >= 2
        assert total(samples, "motcua_incidents_open") == 0
        assert ("motcua_scheduler_backlog", (("kind", "timers_due"),)) in samples
        assert ("motcua_dvcqg_sync_messages", (("state", "dead"),)) in samples
        # Bounded labels: no dossier code, no name, no number of the applicant.
        for secret in (walked, waiting, APPLICANT["full_name"], APPLICANT["id_number"], APPLICANT["phone"]):
            assert secret not in body

        # The paging rules and the dashboard name only metrics this scrape has.
        names = metric_names(samples)
        rules = yaml.safe_load((ROOT / "docs/prometheus/alerts.yml").read_text(encoding="utf-8"))
        exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
        assert {rule["alert"] for group in rules["groups"] for rule in group["rules"]} >= {
            "ZaloOaConnectionLost", "ZaloTokenRefreshFailing", "OutboxDeadMessages", "ProcessIncidentsOpen",
            "TimerBacklog", "DvcqgSyncFailing"}
        dashboard = json.loads((ROOT / "docs/grafana/motcua.json").read_text(encoding="utf-8"))
        exprs += [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
        used = {name for expr in exprs for name in re.findall(r"\bmotcua_[a-z_]+", expr)}
        assert used and used <= names, used - names
