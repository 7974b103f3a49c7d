"""Settings: one validated tree read from `MOTCUA_*` environment variables, built once and passed in."""

from __future__ import annotations

import base64
import binascii
import math
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.core import zalo_templates
from workflows.core.dvcqg_config import (
    DEV_DVCQG_PASSWORD,
    DEV_DVCQG_PAYMENT_SECRET,
    DVCQG_EMULATOR_PREFIX,
    DvcqgSettings,
)
from workflows.core.signing_config import SIGNING_EMULATOR_PREFIX, SigningSettings
from workflows.core.zalo_templates import ZaloTemplate

# Development defaults. Outside development/test mode they are refused at start-up.
DEV_SECRET_KEY = "motcua-dev-secret-key-change-me-0123456789abcdef"
DEV_DATA_KEY = "bW90Y3VhLWRldi1kYXRhLWtleS0zMmJ5dGVzLWxvbmchIQ=="  # urlsafe base64 of 32 bytes
DEV_HMAC_KEY = "motcua-dev-hmac-key-change-me"
DEV_ZALO_SECRET = "motcua-dev-zalo-app-secret"
DEV_ZALO_OA_SECRET = "motcua-dev-zalo-oa-secret"
EMULATOR_PREFIX = "/zalo-emulator"  # where the in-process Zalo emulator is mounted (development)


MIN_SECRET_BITS = 256
# Characters of a secret → the smallest usual alphabet holding them all, to estimate its entropy.
_ALPHABETS = (
    (frozenset("0123456789"), 10),
    (frozenset("0123456789abcdef"), 16),
    (frozenset("0123456789ABCDEF"), 16),
    (frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_="), 64),
)


def strong_secret(value: str) -> bool:
    """Whether `value` can hold 32 random bytes: a Fernet key whose 32 bytes vary, or a text whose length
    times the bits of its alphabet reaches 256 bits and that uses at least 12 distinct characters (a
    repeated or patterned text is refused; true randomness cannot be measured, only its absence)."""
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) == 32 and len(value) == 44:
        return len(set(raw)) >= 16
    size = next((n for chars, n in _ALPHABETS if set(value) <= chars), 95)
    return len(set(value)) >= 12 and len(value) * math.log2(size) >= MIN_SECRET_BITS


class DatabaseSettings(BaseModel):
    url: str = Field("sqlite:///var/motcua.db", description="SQLAlchemy URL; sqlite:/// or postgresql+psycopg://")
    echo: bool = False
    pool_size: int = Field(10, ge=1, le=200)
    sqlite_lock_wait_seconds: float = Field(
        30.0, gt=0, le=600, description="SQLite: how long a transaction waits for the write lock before the "
                                        "request is answered 503 (busy, try again)")


class LoginThrottleSettings(BaseModel):
    """Failed logins per account and per client: free attempts, then a doubling wait (2 s, 4 s, …), then
    a lock; failures are forgotten after `forget_after_minutes` without one, or at a correct login."""

    account_free_failures: int = Field(5, ge=1, le=100)
    account_lock_failures: int = Field(10, ge=2, le=1000)
    client_free_failures: int = Field(20, ge=1, le=1000)
    client_lock_failures: int = Field(40, ge=2, le=10000)
    lock_minutes: int = Field(15, ge=1, le=24 * 60)
    forget_after_minutes: int = Field(24 * 60, ge=1)

    @model_validator(mode="after")
    def _lock_after_the_free_failures(self) -> LoginThrottleSettings:
        if self.account_lock_failures <= self.account_free_failures:
            raise ValueError("MOTCUA_AUTH__LOGIN__ACCOUNT_LOCK_FAILURES must exceed ACCOUNT_FREE_FAILURES")
        if self.client_lock_failures <= self.client_free_failures:
            raise ValueError("MOTCUA_AUTH__LOGIN__CLIENT_LOCK_FAILURES must exceed CLIENT_FREE_FAILURES")
        return self


class HttpSettings(BaseModel):
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body other than an upload (uploads: the storage limit)")
    docs: bool | None = Field(None, description="Serve /docs and /openapi.json; default: outside production only")
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token of /metrics and /readyz details outside development (an "
                          "administrator's access token works too)")


class Argon2Settings(BaseModel):
    """argon2id's cost of each password hash; the defaults are argon2-cffi's (RFC 9106's second choice, 64 MiB,
    3 passes, 4 lanes). A stored hash keeps the parameters it was made with: a changed setting applies to new
    passwords and rehashes an old one at its owner's next login."""

    memory_kib: int = Field(65536, ge=8, le=4 * 1024 * 1024, description="Memory per hash, KiB")
    time_cost: int = Field(3, ge=1, le=20, description="Passes over the memory")
    parallelism: int = Field(4, ge=1, le=16, description="Lanes (memory_kib must be at least 8 per lane)")


class AuthSettings(BaseModel):
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(7, ge=1, le=90)
    max_concurrent_hashes: int = Field(
        1, ge=1, le=64,
        description="argon2 verifications at once per process, each holding 64 MiB while it runs; logins "
                    "beyond this wait their turn, first come first served. One per process: a verification "
                    "keeps a core busy and `serve --workers N` runs one process per core")
    hash_lock_file: Path | None = Field(
        None, description="A lock file the processes of one server share: they then run one argon2 at a time "
                          "between them (64 MiB in all). `motcua serve --workers N` sets it for its processes")
    login: LoginThrottleSettings = LoginThrottleSettings()
    argon2: Argon2Settings = Argon2Settings()


class CryptoSettings(BaseModel):
    data_key: SecretStr = Field(SecretStr(DEV_DATA_KEY), description="Fernet key encrypting ID and phone numbers")
    hmac_key: SecretStr = Field(SecretStr(DEV_HMAC_KEY), description="Key of the lookup hashes")


class ZaloSettings(BaseModel):
    emulator: bool = Field(True, description="Serve the Zalo emulator under /zalo-emulator and point the client at it")
    emulator_url: str | None = Field(
        None, description="Base URL of a Zalo emulator served on its own (`motcua zalo-emulator`), for several "
                          "server processes, which cannot share the in-process one; development only")
    openapi_base_url: str = "https://openapi.zalo.me"
    business_base_url: str = "https://business.openapi.zalo.me"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    app_id: str = "1000000000000000001"
    app_secret: SecretStr = SecretStr(DEV_ZALO_SECRET)
    oa_secret_key: SecretStr = Field(SecretStr(DEV_ZALO_OA_SECRET), description="Verifies X-ZEvent-Signature")
    oa_id: str = "2000000000000000002"
    timeout_seconds: float = Field(10.0, gt=0, le=60)
    max_attempts: int = Field(8, ge=1, le=50)
    retry_base_seconds: float = Field(5.0, gt=0, description="First retry delay; doubles per attempt, with jitter")
    retry_max_seconds: float = Field(3600.0, gt=0, description="Cap of the retry delay")
    default_template_id: str = Field("400001", description="Approved ZBS template carrying our step messages")
    phone_proof_template_id: str = Field(
        "400010", description="Approved ZBS template (by phone) carrying the one-time code that proves a phone "
                              "shared in Zalo; parameter `otp`")
    template_ids: dict[str, str] = Field(default_factory=dict, description="Event → approved template id")
    templates: dict[str, ZaloTemplate] = Field(
        default_factory=zalo_templates.default_templates,
        description="Kind of event → approved template (id, parameter mapping, events); a kind given in the "
                    "environment or the file replaces only the fields it names")
    templates_file: Path | None = Field(
        None, description="JSON or TOML file of templates by kind, read at start-up over `templates`")
    template_mode: Literal["production", "development"] = Field(
        "production", description="development: Zalo delivers templates only to the OA's and the app's "
                                  "administrators (a pilot, ZALO_API.md §9.3)")
    template_check_on_start: bool = Field(True, description="Check every template with Zalo at start-up")

    @field_validator("templates", mode="before")
    @classmethod
    def _over_the_defaults(cls, value: object) -> object:
        """Each kind given replaces only the fields it names; the other kinds keep their defaults."""
        return zalo_templates.merge_templates(zalo_templates.DEFAULT_TEMPLATES, value)

    @model_validator(mode="after")
    def _read_templates_file(self) -> ZaloSettings:
        if self.templates_file is not None:
            self.templates = zalo_templates.with_file(self.templates, self.templates_file)
        zalo_templates.check_one_kind_per_event(self.templates)
        return self

    # The OA grant (issue 18 part 1; connectors/README.md "Production set-up").
    redirect_uri: str | None = Field(
        None, description="The Official Account Callback URL registered for the app (Zalo redirects the OA "
                          "administrator there); default: MOTCUA_PUBLIC_BASE_URL + /api/v1/zalo/oauth/callback")
    emulator_auto_grant: bool = Field(
        True, description="Development: the emulator grants the app at start-up; false walks the grant as in "
                          "production (POST /api/v1/admin/zalo/grant)")
    grant_ttl_seconds: float = Field(600.0, gt=0, le=3600, description="How long a started grant may complete")
    refresh_backoff_seconds: float = Field(
        60.0, gt=0, description="First wait after a token refresh lost without an answer; doubles per failure")
    refresh_backoff_max_seconds: float = Field(3600.0, gt=0, description="Cap of that wait")

    handover_quiet_minutes: int = Field(
        30, ge=0, le=7 * 24 * 60, description="After an official answers a citizen in Zalo's OA manager, the "
                                              "keyword bot stays quiet for that citizen this long (from the "
                                              "official's last message); 0 never pauses it")

    @property
    def longest_call_seconds(self) -> float:
        """How long one Zalo call can take: requests' timeout bounds the connect and each read, so about
        twice it, plus a second."""
        return 2 * self.timeout_seconds + 1


class SchedulerSettings(BaseModel):
    enabled: bool = Field(True, description="Run the jobs inside the server process")
    timer_interval_seconds: float = Field(1.0, gt=0)
    reminder_interval_seconds: float = Field(60.0, gt=0)
    outbox_interval_seconds: float = Field(0.5, gt=0)
    zalo_articles_interval_seconds: float = Field(10.0, gt=0, description="News on Zalo: publication steps")
    outbox_lease_seconds: float = Field(
        300.0, gt=0, description="A message claimed by a relay that died is sent again after this lease")


class StorageSettings(BaseModel):
    directory: Path = Path("var/files")
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1)


class RetentionSettings(BaseModel):
    """How long a closed dossier keeps its applicant's personal data (docs/OPERATIONS.md "Backups and
    retention"): years from its closing, per procedure code or the default; procedures whose records are kept
    permanently are never erased. The periods come from the province's list of records retention periods
    (Luật Lưu trữ 33/2024/QH15); the default below is a placeholder until the province confirms it."""

    enabled: bool = Field(True, description="Run the retention job in the scheduler")
    default_years: int = Field(10, ge=1, le=100, description="Years after closing when no procedure period applies")
    years: dict[str, int] = Field(default_factory=dict, description="Procedure code → years after closing")
    permanent: list[str] = Field(default_factory=list, description="Procedure codes kept permanently")
    interval_seconds: float = Field(3600.0, gt=0, description="How often the job looks for expired dossiers")
    batch: int = Field(100, ge=1, le=10000, description="Dossiers anonymised per job run at most")

    @field_validator("years")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        for code, years in value.items():
            if years < 1:
                raise ValueError(f"MOTCUA_RETENTION__YEARS: {code} must keep its data at least 1 year")
        return value


class CalendarSettings(BaseModel):
    morning_start: time = time(7, 30)
    morning_end: time = time(11, 30)
    afternoon_start: time = time(13, 30)
    afternoon_end: time = time(17, 0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOTCUA_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    env: Literal["development", "test", "production"] = "development"
    agency_code: str = Field("H60.22", description="Agency code of the dossier numbers (mã đơn vị)")
    # The names people read, kept here only: the agency that resolves the dossiers (forms, its messages),
    # the centre whose one-stop desk receives them, and the Zalo Official Account the citizen follows.
    agency_name: str = Field("Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang",
                             description="Agency resolving the dossiers (forms' header, its messages)")
    centre_name: str = Field("Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang",
                             description="Centre whose Bộ phận Một cửa receives dossiers and returns results")
    oa_name: str = Field("Chính quyền số tỉnh Tuyên Quang", description="Name of the Zalo Official Account")
    public_base_url: str = Field("http://127.0.0.1:8000", description="Base of links sent to citizens")
    dossier_code_format: str = "{agency}-{yymmdd}-{seq:04d}"
    database: DatabaseSettings = DatabaseSettings()
    auth: AuthSettings = AuthSettings()
    crypto: CryptoSettings = CryptoSettings()
    zalo: ZaloSettings = ZaloSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    storage: StorageSettings = StorageSettings()
    calendar: CalendarSettings = CalendarSettings()
    retention: RetentionSettings = RetentionSettings()
    http: HttpSettings = HttpSettings()
    dvcqg: DvcqgSettings = DvcqgSettings()
    signing: SigningSettings = SigningSettings()
    max_task_depth: int = Field(600, ge=50, le=950, description="Task-tree depth past which an instance is halted")
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="Reverse proxies (addresses or networks) whose X-Forwarded-For names the client; from "
                    "any other peer the header is ignored. None by default", max_length=64)

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Settings:
        # The relay starts no Zalo call later than the lease's end less the longest a call can take.
        if self.scheduler.outbox_lease_seconds <= self.zalo.longest_call_seconds:
            raise ValueError("MOTCUA_SCHEDULER__OUTBOX_LEASE_SECONDS must exceed twice "
                             "MOTCUA_ZALO__TIMEOUT_SECONDS plus one second")
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.env != "production":
            return self
        defaults = {
            "MOTCUA_AUTH__SECRET_KEY": (self.auth.secret_key, DEV_SECRET_KEY),
            "MOTCUA_CRYPTO__DATA_KEY": (self.crypto.data_key, DEV_DATA_KEY),
            "MOTCUA_CRYPTO__HMAC_KEY": (self.crypto.hmac_key, DEV_HMAC_KEY),
            "MOTCUA_ZALO__APP_SECRET": (self.zalo.app_secret, DEV_ZALO_SECRET),
            "MOTCUA_ZALO__OA_SECRET_KEY": (self.zalo.oa_secret_key, DEV_ZALO_OA_SECRET),
        }
        weak = [name for name, (value, default) in defaults.items() if value.get_secret_value() == default]
        if weak:
            raise ValueError(f"production refuses the development defaults of: {', '.join(weak)}")
        short = [name for name, value in self._own_secrets().items() if not strong_secret(value)]
        if short:
            raise ValueError(
                f"production needs at least {MIN_SECRET_BITS // 8} random bytes in: {', '.join(short)} (e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'; a data key: Fernet.generate_key())")
        if self.zalo.emulator or self.zalo.emulator_url:
            raise ValueError("production cannot run against the Zalo emulator (MOTCUA_ZALO__EMULATOR=false, "
                             "no MOTCUA_ZALO__EMULATOR_URL)")
        if self.dvcqg.emulator or self.dvcqg.emulator_url:
            raise ValueError("production cannot run against the DVCQG emulator (MOTCUA_DVCQG__EMULATOR=false, "
                             "no MOTCUA_DVCQG__EMULATOR_URL)")
        if self.dvcqg.adapter.password.get_secret_value() == DEV_DVCQG_PASSWORD or \
                self.dvcqg.payment.secret.get_secret_value() == DEV_DVCQG_PAYMENT_SECRET:
            raise ValueError("production refuses the development defaults of: MOTCUA_DVCQG__ADAPTER__PASSWORD, "
                             "MOTCUA_DVCQG__PAYMENT__SECRET")
        remote = self.signing.remote
        if self.signing.backend == "remote" and (remote.emulator or remote.emulator_url):
            raise ValueError("production cannot sign through the remote signing emulator "
                             "(MOTCUA_SIGNING__REMOTE__EMULATOR=false, no MOTCUA_SIGNING__REMOTE__EMULATOR_URL)")
        return self

    def _own_secrets(self) -> dict[str, str]:
        """The secrets we choose ourselves (Zalo's are issued by Zalo, whatever their length)."""
        secrets = {
            "MOTCUA_AUTH__SECRET_KEY": self.auth.secret_key.get_secret_value(),
            "MOTCUA_CRYPTO__HMAC_KEY": self.crypto.hmac_key.get_secret_value(),
        }
        for index, key in enumerate(k.strip() for k in self.crypto.data_key.get_secret_value().split(",")):
            secrets["MOTCUA_CRYPTO__DATA_KEY" + (f" (key {index + 1})" if index else "")] = key
        if self.http.metrics_token is not None:
            secrets["MOTCUA_HTTP__METRICS_TOKEN"] = self.http.metrics_token.get_secret_value()
        return secrets

    @property
    def signing_auto_provision(self) -> bool:
        """Whether a missing development CA or official's certificate is created on first use."""
        auto = self.signing.auto_provision
        return auto if auto is not None else self.env != "production"

    @property
    def signing_trusts_dev_ca(self) -> bool:
        trust = self.signing.trust_dev_ca
        return trust if trust is not None else self.env != "production"

    @property
    def remote_signing_base_url(self) -> str:
        """Where the remote signing client calls: the emulator (its own server or the in-process one) or the
        provider."""
        remote = self.signing.remote
        if remote.emulator_url:
            return remote.emulator_url.rstrip("/")
        if remote.emulator:
            return self.public_base_url.rstrip("/") + SIGNING_EMULATOR_PREFIX
        return remote.url.rstrip("/")

    @property
    def docs_enabled(self) -> bool:
        """Whether /docs and /openapi.json are served: as set, else everywhere but production."""
        return self.http.docs if self.http.docs is not None else self.env != "production"

    @property
    def operations_open(self) -> bool:
        """/metrics and /readyz details without a token: development only."""
        return self.is_development

    @property
    def emulator_base_url(self) -> str | None:
        """Where the development Zalo emulator answers: its own server, the in-process one, or none."""
        if self.zalo.emulator_url:
            return self.zalo.emulator_url.rstrip("/")
        if self.zalo.emulator:
            return self.public_base_url.rstrip("/") + EMULATOR_PREFIX
        return None

    @property
    def dvcqg_emulator_base_url(self) -> str | None:
        """Where the development DVCQG emulator answers: its own server, the in-process one, or none."""
        if self.dvcqg.emulator_url:
            return self.dvcqg.emulator_url.rstrip("/")
        if self.dvcqg.emulator:
            return self.public_base_url.rstrip("/") + DVCQG_EMULATOR_PREFIX
        return None

    @property
    def dvcqg_adapter_url(self) -> str:
        """The adapter the client logs in to: the emulator's in development, the province's otherwise."""
        base = self.dvcqg_emulator_base_url
        return f"{base}/adapter" if base else self.dvcqg.adapter.url.rstrip("/")

    @property
    def dvcqg_payment_url(self) -> str:
        """The payment platform: the emulator's in development, the configured one otherwise."""
        base = self.dvcqg_emulator_base_url
        return f"{base}/payment" if base else self.dvcqg.payment.url.rstrip("/")

    @property
    def zalo_redirect_uri(self) -> str:
        """Where Zalo sends the OA administrator back with the authorization code (our callback)."""
        return self.zalo.redirect_uri or f"{self.public_base_url.rstrip('/')}/api/v1/zalo/oauth/callback"

    @property
    def is_development(self) -> bool:
        return self.env == "development"
