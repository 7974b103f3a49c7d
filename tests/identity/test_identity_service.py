"""Identity services against both databases: passwords, officials, tokens with rotation, API keys, seed."""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt
import pytest
from sqlmodel import Session, select

from workflows.core.clock import ManualClock, ensure_utc
from workflows.core.config import Argon2Settings, AuthSettings
from workflows.core.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from workflows.identity import naming, service, tokens
from workflows.identity.models import ApiKey, Official, RefreshToken, Role
from workflows.identity.seed import DEMO_DEPARTMENTS, DEMO_OFFICIALS, DEMO_PASSWORD, seed_demo

AUTH = AuthSettings()


def _access(session: Session, token: str, now: datetime, settings: AuthSettings = AUTH) -> Official:
    return tokens.official_from_access_token(session, token=token, settings=settings, now=now)


def _refresh(session: Session, token: str, now: datetime) -> tokens.TokenPair:
    return tokens.refresh(session, refresh_token=token, settings=AUTH, now=now)


def _new_official(session: Session, *, username: str, department: str, roles: list[str]) -> Official:
    return service.create_official(
        session, username=username, password="long-enough", full_name="X", department_code=department,
        roles=roles,
    )


@pytest.fixture
def official(session: Session, demo: None) -> Official:
    return service.get_official(session, username="chuyen_vien")


class TestPasswords:
    def test_hash_is_argon2id_and_verifies(self, session: Session, demo: None, clock: ManualClock) -> None:
        created = service.create_official(
            session, username="nguyen_an", password="mat-khau-2026", full_name="Nguyễn Văn An",
            department_code="PHONG_QLVH", roles=[Role.CHUYEN_VIEN], now=clock.now(),
        )
        assert created.password_hash.startswith("$argon2id$")
        assert "mat-khau-2026" not in created.password_hash
        assert service.authenticate(session, username="nguyen_an", password="mat-khau-2026").id == created.id

    def test_the_settings_parameters_hash_new_passwords_and_rehash_old_ones_at_login(
        self, session: Session, demo: None, clock: ManualClock
    ) -> None:
        light = service.password_hasher(Argon2Settings(memory_kib=1024, time_cost=1, parallelism=1))
        created = service.create_official(
            session, username="nguyen_an", password="mat-khau-2026", full_name="Nguyễn Văn An",
            department_code="PHONG_QLVH", roles=[Role.CHUYEN_VIEN], now=clock.now(), hasher=light)
        assert created.password_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
        # The demo accounts were hashed at argon2-cffi's defaults; a login under other settings rehashes.
        before = service.get_official(session, username="chuyen_vien").password_hash
        assert before.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        service.authenticate(session, username="chuyen_vien", password=DEMO_PASSWORD, hasher=light)
        after = service.get_official(session, username="chuyen_vien").password_hash
        assert after.startswith("$argon2id$v=19$m=1024,t=1,p=1$") and after != before
        assert service.authenticate(session, username="chuyen_vien", password=DEMO_PASSWORD, hasher=light)
        with pytest.raises(NotAuthenticated):  # an unknown user is checked against a hash of the same cost
            service.authenticate(session, username="no_such_user", password=DEMO_PASSWORD, hasher=light)
        assert service._dummy_hash(light).startswith("$argon2id$v=19$m=1024,t=1,p=1$")

    def test_unknown_user_and_wrong_password_fail_alike(self, session: Session, demo: None) -> None:
        with pytest.raises(NotAuthenticated) as wrong:
            service.authenticate(session, username="chuyen_vien", password="not-the-password")
        with pytest.raises(NotAuthenticated) as unknown:
            service.authenticate(session, username="no_such_user", password="not-the-password")
        assert wrong.value.error_code == unknown.value.error_code
        assert wrong.value.detail == unknown.value.detail
        assert wrong.value.error_code == "invalid_credentials"

    def test_disabled_official_cannot_log_in(self, session: Session, demo: None) -> None:
        service.disable_official(session, username="van_thu")
        with pytest.raises(NotAuthenticated) as info:
            service.authenticate(session, username="van_thu", password=DEMO_PASSWORD)
        assert info.value.error_code == "account_disabled"

    def test_short_password_is_refused(self, session: Session, demo: None) -> None:
        with pytest.raises(ValidationFailed):
            service.create_official(
                session, username="ngan", password="short", full_name="Ngân", department_code="PHONG_QLVH",
                roles=["CHUYEN_VIEN"],
            )

    def test_set_password_revokes_tokens(
        self, session: Session, official: Official, clock: ManualClock
    ) -> None:
        pair = tokens.issue_tokens(session, official=official, settings=AUTH, now=clock.now())
        service.set_password(session, official=official, password="mat-khau-moi-2026")
        again = service.authenticate(session, username="chuyen_vien", password="mat-khau-moi-2026")
        assert again.id == official.id
        with pytest.raises(NotAuthenticated) as info:
            _access(session, pair.access_token, clock.now())
        assert info.value.error_code == "token_revoked"


class TestCreateOfficial:
    def test_unknown_role(self, session: Session, demo: None) -> None:
        with pytest.raises(ValidationFailed):
            _new_official(session, username="x_user", department="PHONG_QLVH", roles=["GIAM_DOC"])

    def test_duplicate_username(self, session: Session, demo: None) -> None:
        with pytest.raises(Conflict):
            _new_official(session, username="mot_cua", department="PHONG_QLVH", roles=["MOT_CUA"])

    def test_unknown_department(self, session: Session, demo: None) -> None:
        with pytest.raises(NotFound):
            _new_official(session, username="x_user", department="PHONG_XYZ", roles=["MOT_CUA"])


class TestTokens:
    def test_access_token_claims(self, session: Session, official: Official, clock: ManualClock) -> None:
        pair = tokens.issue_tokens(session, official=official, settings=AUTH, now=clock.now())
        claims = jwt.decode(pair.access_token, AUTH.secret_key.get_secret_value(), algorithms=["HS256"],
                            options={"verify_exp": False, "verify_iat": False})
        assert claims["sub"] == str(official.id)
        assert claims["typ"] == "access"
        assert claims["dept"] == official.department_id
        assert claims["roles"] == ["CHUYEN_VIEN"]
        assert claims["ver"] == official.token_version
        assert claims["exp"] - claims["iat"] == AUTH.access_token_minutes * 60 == pair.expires_in
        assert claims["iat"] == int(clock.now().timestamp())
        found = _access(session, pair.access_token, clock.now())
        assert found.id == official.id

    def test_expired_access_token(self, session: Session, official: Official, clock: ManualClock) -> None:
        pair = tokens.issue_tokens(session, official=official, settings=AUTH, now=clock.now())
        later = clock.now() + timedelta(minutes=AUTH.access_token_minutes, seconds=1)
        with pytest.raises(NotAuthenticated) as info:
            _access(session, pair.access_token, later)
        assert info.value.error_code == "token_expired"

    def test_forged_and_misused_tokens(
        self, session: Session, official: Official, clock: ManualClock
    ) -> None:
        pair = tokens.issue_tokens(session, official=official, settings=AUTH, now=clock.now())
        other_key = AuthSettings(secret_key="another-secret-key-0123456789abcdef")  # type: ignore[arg-type]
        for token, settings in [
            (pair.access_token, other_key),  # signed with another key
            (pair.refresh_token, AUTH),  # a refresh token is no access token
            (pair.access_token[:-4] + "AAAA", AUTH),  # tampered signature
        ]:
            with pytest.raises(NotAuthenticated) as info:
                _access(session, token, clock.now(), settings)
            assert info.value.error_code == "invalid_token"

    def test_refresh_rotates(self, session: Session, official: Official, clock: ManualClock) -> None:
        first = tokens.issue_tokens(session, official=official, settings=AUTH, now=clock.now())
        clock.advance(timedelta(minutes=20))
        second = _refresh(session, first.refresh_token, clock.now())
        assert second.refresh_token != first.refresh_token
        assert tokens.official_from_access_token(
            session, token=second.access_token, settings=AUTH, now=clock.now()
        ).id == official.id
        rows = {row.jti: row for row in session.exec(select(RefreshToken)).all()}
        old_jti = jwt.decode(first.refresh_token, options={"verify_signature": False})["jti"]
        new_jti = jwt.decode(second.refresh_token, options={"verify_signature": False})["jti"]
        assert rows[old_jti].revoked_at is not None and rows[old_jti].replaced_by == new_jti
        assert rows[new_jti].revoked_at is None and rows[new_jti].family_id == rows[old_jti].family_id

    def test_reuse_revokes_the_family(self, session: Session, official: Official, clock: ManualClock) -> None:
        first = tokens.issue_tokens(session, official=official, settings=AUTH, now=clock.now())
        other_login = tokens.issue_tokens(session, official=official, settings=AUTH, now=clock.now())
        second = _refresh(session, first.refresh_token, clock.now())
        with pytest.raises(tokens.RefreshTokenReused):
            _refresh(session, first.refresh_token, clock.now())
        with pytest.raises(tokens.RefreshTokenReused):  # the thief's (or owner's) successor is dead too
            _refresh(session, second.refresh_token, clock.now())
        # Another login of the same official is another family and keeps working.
        assert _refresh(session, other_login.refresh_token, clock.now())

    def test_expired_refresh_token(self, session: Session, official: Official, clock: ManualClock) -> None:
        pair = tokens.issue_tokens(session, official=official, settings=AUTH, now=clock.now())
        later = clock.now() + timedelta(days=AUTH.refresh_token_days, seconds=1)
        with pytest.raises(NotAuthenticated) as info:
            _refresh(session, pair.refresh_token, later)
        assert info.value.error_code == "token_expired"

    def test_disable_stops_access_and_refresh(
        self, session: Session, official: Official, clock: ManualClock
    ) -> None:
        pair = tokens.issue_tokens(session, official=official, settings=AUTH, now=clock.now())
        service.disable_official(session, username=official.username, now=clock.now())
        with pytest.raises(NotAuthenticated):
            _access(session, pair.access_token, clock.now())
        with pytest.raises(NotAuthenticated):
            _refresh(session, pair.refresh_token, clock.now())
        rows = session.exec(select(RefreshToken).where(RefreshToken.official_id == official.id)).all()
        assert rows and all(row.revoked_at is not None for row in rows)


class TestApiKeys:
    def test_secret_is_shown_once_and_stored_hashed(
        self, session: Session, demo: None, clock: ManualClock
    ) -> None:
        key, secret = service.create_api_key(
            session, name="Cổng DVC tỉnh", scopes=["dossiers:write", "dossiers:read"],
            department_code="PHONG_QLVH", now=clock.now(),
        )
        stored = session.get(ApiKey, key.id)
        assert stored is not None and secret not in repr(stored.model_dump())
        assert secret.startswith(stored.prefix)
        clock.advance(timedelta(hours=1))
        principal = service.api_key_actor(session, secret=secret, now=clock.now())
        assert principal.kind == "api_key" and principal.has_scopes("dossiers:write")
        assert not principal.has_scopes("tasks:write") and not principal.has_role(Role.MOT_CUA)
        assert principal.department_id == key.department_id is not None
        assert ensure_utc(stored.last_used_at) == clock.now()  # type: ignore[arg-type]

    def test_unknown_and_revoked_keys(self, session: Session, demo: None, clock: ManualClock) -> None:
        key, secret = service.create_api_key(
            session, name="Zalo menu", scopes=["dossiers:read"], now=clock.now()
        )
        with pytest.raises(NotAuthenticated):
            service.api_key_actor(session, secret=secret + "x", now=clock.now())
        service.revoke_api_key(session, key=key, now=clock.now())
        with pytest.raises(NotAuthenticated):
            service.api_key_actor(session, secret=secret, now=clock.now())

    def test_invalid_scope(self, session: Session, demo: None) -> None:
        with pytest.raises(ValidationFailed):
            service.create_api_key(session, name="x", scopes=["everything"])


class TestSeed:
    def test_one_official_per_role_and_idempotent(self, session: Session, demo: None) -> None:
        officials = session.exec(select(Official)).all()
        assert {o.username for o in officials} == {row[0] for row in DEMO_OFFICIALS}
        assert {role for o in officials for role in o.roles} == {role.value for role in Role}
        assert seed_demo(session) == []
        assert len(session.exec(select(Official)).all()) == len(officials)
        for username in ("quan_tri", "chuyen_vien_dl"):
            logged_in = service.authenticate(session, username=username, password=DEMO_PASSWORD)
            assert logged_in.username == username
        departments = [service.department_of(session, official=o) for o in officials]
        assert {d.code for d in departments} == {row[0] for row in DEMO_DEPARTMENTS}
        # The Sở, the province's office and centre, and two communes (issue 20), each department in its agency.
        assert {d.agency_code for d in departments} == {"H60.22", "H60.01", "H60.50", "H60.71", "H60.72"}
        assert {d.unit_key for d in departments if d.agency_code == "H60.71"} == {"MOT_CUA", "VHXH"}

    def test_officials_read_by_full_name_title_and_unit(self, session: Session, demo: None) -> None:
        labels = {username: naming.describe(session, username=username) for username in
                  ("mot_cua", "chuyen_vien", "lanh_dao_phong", "lanh_dao_so")}
        assert {u: p.label for u, p in labels.items() if p} == {
            "mot_cua": "Nguyễn Thị Thu Hà, Chuyên viên Bộ phận Một cửa tại Trung tâm Phục vụ hành chính công tỉnh "
                       "Tuyên Quang",
            "chuyen_vien": "Lê Thị Hương, Chuyên viên Phòng Quản lý Văn hóa và Gia đình",
            "lanh_dao_phong": "Trần Văn Minh, Trưởng phòng Quản lý Văn hóa và Gia đình",
            "lanh_dao_so": "Phạm Quốc Hùng, Phó Giám đốc Sở Văn hóa, Thể thao và Du lịch",
        }
        assert labels["chuyen_vien"] and labels["chuyen_vien"].unit_phone == "0207 3822 356"
        assert naming.describe(session, username="system") is None

    def test_a_database_seeded_before_titles_gets_them(self, session: Session, demo: None) -> None:
        official = session.exec(select(Official).where(Official.username == "chuyen_vien")).one()
        official.title = None
        session.add(official)
        session.flush()
        assert seed_demo(session) == []
        session.refresh(official)
        assert official.title == "Chuyên viên"
