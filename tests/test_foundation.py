"""The skeleton: settings refuse default secrets in production; migrations run on both backends; errors
come as problem+json."""

from __future__ import annotations

import secrets

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import inspect

from api.main import create_app
from workflows.core.config import Settings

DVCQG_PRODUCTION = {"emulator": False, "adapter": {"password": "adapter-password-of-the-province"},
                    "payment": {"secret": "payment-platform-secret-key"}}


class TestSettings:
    def test_production_refuses_the_dvcqg_emulator_and_its_development_secrets(self) -> None:
        strong = {"auth": {"secret_key": secrets.token_urlsafe(32)},
                  "crypto": {"data_key": Fernet.generate_key().decode(), "hmac_key": secrets.token_hex(32)},
                  "zalo": {"emulator": False, "app_secret": "s" * 20, "oa_secret_key": "o" * 20}}
        with pytest.raises(ValidationError, match="DVCQG emulator"):
            Settings(env="production", **strong)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="MOTCUA_DVCQG__ADAPTER__PASSWORD"):
            Settings(env="production", dvcqg={"emulator": False}, **strong)  # type: ignore[arg-type]

    def test_production_refuses_default_secrets(self) -> None:
        with pytest.raises(ValidationError) as info:
            Settings(env="production", zalo={"emulator": False})
        assert "MOTCUA_AUTH__SECRET_KEY" in str(info.value)

    def test_production_accepts_real_secrets(self) -> None:
        settings = Settings(
            env="production",
            auth={"secret_key": secrets.token_urlsafe(32)},
            crypto={"data_key": Fernet.generate_key().decode(), "hmac_key": secrets.token_hex(32)},
            zalo={"emulator": False, "app_secret": "s" * 20, "oa_secret_key": "o" * 20},
            dvcqg=DVCQG_PRODUCTION,
            http={"metrics_token": secrets.token_urlsafe(32)},
        )
        assert settings.env == "production"
        assert not settings.docs_enabled and not settings.operations_open

    @pytest.mark.parametrize(("field", "value", "variable"), [
        ("auth", {"secret_key": "a"}, "MOTCUA_AUTH__SECRET_KEY"),
        ("auth", {"secret_key": "x" * 48}, "MOTCUA_AUTH__SECRET_KEY"),
        ("auth", {"secret_key": secrets.token_urlsafe(16)}, "MOTCUA_AUTH__SECRET_KEY"),
        ("crypto", {"hmac_key": secrets.token_hex(16)}, "MOTCUA_CRYPTO__HMAC_KEY"),
        ("crypto", {"data_key": "A" * 43 + "="}, "MOTCUA_CRYPTO__DATA_KEY"),
        ("http", {"metrics_token": "prometheus"}, "MOTCUA_HTTP__METRICS_TOKEN"),
    ])
    def test_production_refuses_short_or_patterned_secrets_naming_the_variable(
        self, field: str, value: dict[str, str], variable: str,
    ) -> None:
        strong: dict[str, dict[str, object]] = {
            "auth": {"secret_key": secrets.token_urlsafe(32)},
            "crypto": {"data_key": Fernet.generate_key().decode(), "hmac_key": secrets.token_urlsafe(32)},
            "zalo": {"emulator": False, "app_secret": "s" * 20, "oa_secret_key": "o" * 20},
            "dvcqg": DVCQG_PRODUCTION,
            "http": {},
        }
        strong[field] = {**strong[field], **value}
        with pytest.raises(ValidationError) as info:
            Settings(env="production", **strong)  # type: ignore[arg-type]
        message = str(info.value)
        assert "production needs at least 32 random bytes in: " + variable in message
        assert message.count("MOTCUA_") == 1  # only the weak one is named

    def test_nested_environment_variables(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MOTCUA_DATABASE__URL", "sqlite:///var/other.db")
        monkeypatch.setenv("MOTCUA_ZALO__TIMEOUT_SECONDS", "3.5")
        settings = Settings()
        assert settings.database.url == "sqlite:///var/other.db"
        assert settings.zalo.timeout_seconds == 3.5


    def test_the_outbox_lease_must_outlast_a_zalo_call(self) -> None:
        with pytest.raises(ValidationError, match="OUTBOX_LEASE_SECONDS"):
            Settings(zalo={"timeout_seconds": 10}, scheduler={"outbox_lease_seconds": 20})
        assert Settings(zalo={"timeout_seconds": 1}, scheduler={"outbox_lease_seconds": 6})

class TestMigrations:
    def test_schema_matches_models(self, db) -> None:  # type: ignore[no-untyped-def]
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
        from sqlmodel import SQLModel

        with db.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        assert "alembic_version" in inspect(db).get_table_names()


class TestApp:
    def test_health_and_problem_json(self, settings: Settings) -> None:
        with TestClient(create_app(settings, start_background=False)) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            assert client.get("/readyz").status_code == 200
            missing = client.get("/no-such-path")
            assert missing.status_code == 404
            assert missing.headers["content-type"].startswith("application/problem+json")
            assert missing.json()["code"] == "not_found"
            assert client.get("/openapi.json").status_code == 200


class TestOpenApi:
    def test_every_operation_is_summarised_and_every_json_body_has_examples(self, settings: Settings) -> None:
        spec = create_app(settings, start_background=False).openapi()
        schemas = spec["components"]["schemas"]
        missing = []
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                assert operation.get("summary"), f"{method.upper()} {path} has no summary"
                body = operation.get("requestBody", {}).get("content", {}).get("application/json")
                if body is None:
                    continue
                schema = schemas[body["schema"]["$ref"].split("/")[-1]]
                if "examples" not in schema and not any("examples" in p for p in schema.get("properties", {}).values()):
                    missing.append(f"{method.upper()} {path}")
        assert missing == []
