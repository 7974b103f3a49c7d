"""The auth contract over HTTP on both databases: login, refresh, /me, roles, admin endpoints, API keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from api.auth import require_actor
from api.main import create_app
from workflows.core.clock import ManualClock
from workflows.core.config import Settings
from workflows.identity import service
from workflows.identity.actor import Actor
from workflows.identity.models import Role
from workflows.identity.seed import DEMO_OFFICIALS, DEMO_PASSWORD

PROBLEM = "application/problem+json"


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _problem(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


class TestLogin:
    def test_token_shape_and_me(self, client: TestClient) -> None:
        tokens = login(client, "lanh_dao_phong")
        assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 15 * 60
        assert tokens["access_token"] and tokens["refresh_token"]
        me = client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
        assert me.status_code == 200
        assert me.json() == {
            "username": "lanh_dao_phong", "full_name": "Trần Văn Minh", "roles": ["LANH_DAO_PHONG"],
            "department": {"code": "PHONG_QLVH", "name": "Phòng Quản lý Văn hóa và Gia đình"},
            # The workspace names an official by full name and title (issue 21), never by login.
            "title": "Trưởng phòng", "position": "Trưởng phòng Quản lý Văn hóa và Gia đình",
        }

    def test_wrong_password_and_unknown_user(self, client: TestClient) -> None:
        wrong = client.post("/api/v1/auth/token", data={"username": "mot_cua", "password": "sai-mat-khau"})
        unknown = client.post("/api/v1/auth/token", data={"username": "khong_co", "password": "sai-mat-khau"})
        _problem(wrong, 401, "invalid_credentials")
        _problem(unknown, 401, "invalid_credentials")
        assert wrong.json()["detail"] == unknown.json()["detail"]

    def test_no_token_and_garbage_token(self, client: TestClient) -> None:
        _problem(client.get("/api/v1/me"), 401, "not_authenticated")
        _problem(client.get("/api/v1/me", headers=bearer("not.a.jwt")), 401, "invalid_token")

    def test_expired_access_token(self, client: TestClient, clock: ManualClock) -> None:
        tokens = login(client, "mot_cua")
        clock.advance(timedelta(minutes=14))
        assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 200
        clock.advance(timedelta(minutes=2))
        _problem(client.get("/api/v1/me", headers=bearer(tokens["access_token"])), 401, "token_expired")


class TestRefresh:
    def test_rotation(self, client: TestClient, clock: ManualClock) -> None:
        first = login(client, "chuyen_vien")
        clock.advance(timedelta(minutes=30))
        second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert second.status_code == 200
        assert set(second.json()) == {"access_token", "token_type", "expires_in", "refresh_token"}
        assert client.get("/api/v1/me", headers=bearer(second.json()["access_token"])).status_code == 200

    def test_reuse_revokes_the_family_across_requests(self, client: TestClient) -> None:
        first = login(client, "chuyen_vien")
        second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
        reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
        _problem(reuse, 401, "refresh_token_reused")
        # The revocation was committed although the reuse request failed: the successor is dead too.
        after = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
        _problem(after, 401, "refresh_token_reused")

    def test_access_token_is_no_refresh_token(self, client: TestClient) -> None:
        tokens = login(client, "chuyen_vien")
        _problem(client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]}),
                 401, "invalid_token")


class TestAdministration:
    def test_wrong_role_is_forbidden(self, client: TestClient) -> None:
        token = login(client, "chuyen_vien")["access_token"]
        _problem(client.get("/api/v1/officials", headers=bearer(token)), 403, "forbidden")
        body = {"name": "x", "scopes": ["dossiers:read"]}
        _problem(client.post("/api/v1/api-keys", json=body, headers=bearer(token)), 403, "forbidden")

    def test_create_list_and_disable(self, client: TestClient) -> None:
        admin = bearer(login(client, "quan_tri")["access_token"])
        body = {"username": "nguyen_an", "password": "mat-khau-2026", "full_name": "Nguyễn Văn An",
                "department_code": "PHONG_QLDL", "roles": ["CHUYEN_VIEN", "GIAM_SAT"], "title": "Phó Trưởng phòng"}
        created = client.post("/api/v1/officials", json=body, headers=admin)
        assert created.status_code == 201, created.text
        assert (created.json()["title"], created.json()["position"]) == ("Phó Trưởng phòng",
                                                                         "Phó Trưởng phòng Quản lý Du lịch")
        assert created.json()["department"] == {"code": "PHONG_QLDL", "name": "Phòng Quản lý Du lịch"}
        assert created.json()["created_at"].endswith("+07:00")
        _problem(client.post("/api/v1/officials", json=body, headers=admin), 409, "username_taken")
        _problem(client.post("/api/v1/officials", json={**body, "username": "x_y", "roles": ["VUA"]},
                             headers=admin), 422, "validation_failed")

        page = client.get("/api/v1/officials", params={"page": 2, "page_size": 5}, headers=admin).json()
        assert page["total"] == len(DEMO_OFFICIALS) + 1 and page["page"] == 2 and page["page_size"] == 5
        assert len(page["items"]) == 5
        everyone = client.get("/api/v1/officials", params={"page_size": 100}, headers=admin).json()["items"]
        assert [o["username"] for o in everyone] == sorted(o["username"] for o in everyone)
        dl = client.get("/api/v1/officials", params={"department": "PHONG_QLDL"}, headers=admin).json()
        assert {o["username"] for o in dl["items"]} == {"nguyen_an", "mot_cua_dl", "lanh_dao_phong_dl",
                                                        "chuyen_vien_dl"}

        user = login(client, "nguyen_an", "mat-khau-2026")
        assert client.get("/api/v1/me", headers=bearer(user["access_token"])).status_code == 200
        disabled = client.post("/api/v1/officials/nguyen_an/disable", headers=admin)
        assert disabled.status_code == 200 and disabled.json()["disabled"] is True
        # The token issued before is refused at once, and so is its refresh token.
        _problem(client.get("/api/v1/me", headers=bearer(user["access_token"])), 401, "account_disabled")
        refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})
        assert refreshed.status_code == 401
        _problem(client.post("/api/v1/officials/khong_co/disable", headers=admin), 404, "official_not_found")


# A route guarded like dossier intake: role MOT_CUA, or an API key with the scope dossiers:write.
IntakeActor = Annotated[Actor, Depends(require_actor(roles=(Role.MOT_CUA,), scopes=("dossiers:write",)))]


def probe(actor: IntakeActor) -> dict[str, object]:
    return {"kind": actor.kind, "name": actor.username, "actor": actor.qualified_name}


def _probe_app(settings: Settings, clock: ManualClock) -> TestClient:
    app = create_app(settings, clock=clock, start_background=False)
    router = APIRouter()
    router.add_api_route("/probe", probe, methods=["GET"])
    app.include_router(router)
    return TestClient(app)


class TestApiKeys:
    def test_scopes(self, client: TestClient, settings: Settings, clock: ManualClock) -> None:
        admin = bearer(login(client, "quan_tri")["access_token"])
        body = {"name": "Cổng DVC", "scopes": ["dossiers:write"], "department_code": "PHONG_QLVH"}
        writer = client.post("/api/v1/api-keys", headers=admin, json=body)
        body = {"name": "Zalo", "scopes": ["dossiers:read"]}
        reader = client.post("/api/v1/api-keys", headers=admin, json=body)
        assert writer.status_code == reader.status_code == 201
        assert writer.json()["secret"].startswith(writer.json()["prefix"])
        with _probe_app(settings, clock) as probe:
            ok = probe.get("/probe", headers={"X-API-Key": writer.json()["secret"]})
            assert ok.status_code == 200 and ok.json()["kind"] == "api_key"
            _problem(probe.get("/probe", headers={"X-API-Key": reader.json()["secret"]}), 403, "forbidden")
            _problem(probe.get("/probe", headers={"X-API-Key": "mck_forged"}), 401, "invalid_api_key")
            clerk = probe.get("/probe", headers=bearer(login(probe, "mot_cua")["access_token"]))
            assert clerk.json() == {"kind": "official", "name": "mot_cua", "actor": "official:mot_cua"}
            officer = bearer(login(probe, "chuyen_vien")["access_token"])
            _problem(probe.get("/probe", headers=officer), 403, "forbidden")
            _problem(probe.get("/probe"), 401, "not_authenticated")

    def test_openapi_documents_the_auth_routes(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        for path in ("/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/me", "/api/v1/officials",
                     "/api/v1/api-keys"):
            assert path in spec["paths"]
        assert "OAuth2PasswordBearer" in spec["components"]["securitySchemes"]


def test_the_server_makes_the_unknown_user_hash_at_start_up(settings: Settings, clock: ManualClock, db: Any,
                                                           demo: None) -> None:
    """Made at the first unknown-user login instead, that login would cost a hash more than any other."""
    service._DUMMY_HASHES.clear()
    with TestClient(create_app(settings, clock=clock, start_background=False)) as client:
        hasher = client.app.state.wiring.password_hasher  # type: ignore[attr-defined]
        made = dict(service._DUMMY_HASHES)
        response = client.post("/api/v1/auth/token", data={"username": "khong_co_ai", "password": "sai-mat-khau"})
    assert list(made) == [(hasher.memory_cost, hasher.time_cost, hasher.parallelism)]
    assert response.status_code == 401
    assert made == service._DUMMY_HASHES  # the login used the one made at start-up
