"""Settings of the national portal (Cổng Dịch vụ công quốc gia, DVCQG) connection: the VPCP adapter the
province logs in to, the status sync, the dossiers DVCQG pushes to us, and the payment platform
(NATIONAL_PORTAL.md). Read as `MOTCUA_DVCQG__*`; one section per part so each is set up on its own."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

DVCQG_EMULATOR_PREFIX = "/dvcqg-emulator"  # where the in-process DVCQG emulator is mounted (development)
DEV_DVCQG_PASSWORD = "motcua-dev-dvcqg-adapter-password"
DEV_DVCQG_PUSH_KEY = "motcua-dev-dvcqg-push-key-0123456789abcdef"
DEV_DVCQG_PAYMENT_SECRET = "motcua-dev-dvcqg-payment-secret"


class DvcqgAdapterSettings(BaseModel):
    """The XrdAdapter (or the LGSP route) through which the province calls DVCQG (NATIONAL_PORTAL.md §1.1)."""

    url: str = Field("https://adapter.invalid", description="ADAPTER_URL given by the province (not the emulator)")
    auth_path: str = Field("/login", description="Login path under the adapter URL (auth_endpoint)")
    integration_path: str = Field("/integration", description="Integration services path (integration_endpoint)")
    share_path: str = Field("/share", description="Catalogue (shared) services path (share_endpoint)")
    dstcode: str = Field("VN:GOV:000.00.00.G22:vpcpdvcprovider", description="The `dstcode` header of every call")
    username: str = Field("000.00.22.H60", description="The adapter account (in the one example seen: the "
                                                       "agency's mã định danh)")
    password: SecretStr = SecretStr(DEV_DVCQG_PASSWORD)
    madonvi: str = Field("000.00.22.H60", description="Our agency's mã định danh, sent as `madonvi`; DVCQG "
                                                      "checks dossier codes against it")
    timeout_seconds: float = Field(15.0, gt=0, le=120)


class DvcqgSyncSettings(BaseModel):
    """Every national status change and hand-over sent to DVCQG through the outbox (channel `dvcqg`)."""

    enabled: bool = Field(True, description="Sync dossiers to DVCQG (false: nothing is queued)")
    max_attempts: int = Field(12, ge=1, le=100)
    retry_base_seconds: float = Field(10.0, gt=0)
    retry_max_seconds: float = Field(3600.0, gt=0)
    link_ttl_hours: float = Field(168.0, gt=0, description="How long a file link sent to DVCQG can be fetched "
                                                           "(signed at each send)")


class DvcqgInboundSettings(BaseModel):
    """Dossiers citizens submit on DVCQG, pushed to `POST /api/v1/dvcqg/dossiers` by the adapter."""

    emulator_push_key: SecretStr = Field(
        SecretStr(DEV_DVCQG_PUSH_KEY), description="Development: the API key the emulator pushes with (seeded "
                                                   "as the adapter's key)")
    max_file_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest file fetched from a push")
    department_code: str | None = Field(
        "PHONG_QLVH", description="Department receiving online dossiers when the adapter's API key is bound to "
                                  "none, and those sent from our own citizen page (its one-stop clerks see them)")


class DvcqgPaymentSettings(BaseModel):
    """The DVCQG payment platform (PhienBan 1.0.6, NATIONAL_PORTAL.md §5a)."""

    enabled: bool = Field(True, description="Offer online payment at the fee step")
    url: str = Field("https://payment.invalid", description="Payment platform base URL (not the emulator)")
    version: str = "1.0.6"
    partner_code: str = Field("TUYENQUANG", description="MaDoiTac issued by the platform")
    secret: SecretStr = Field(SecretStr(DEV_DVCQG_PAYMENT_SECRET), description="Key of the MaXacThuc hashes")
    bearer_token: SecretStr = Field(SecretStr("motcua-dev-payment-token"), description="Bearer token of calls")
    beneficiary_account: str = Field("3761.0.1058562", description="TKThuHuong (the agency's revenue account)")
    beneficiary_bank: str = Field("970415", description="MaNHThuHuong")
    beneficiary_name: str = Field("Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang", description="TenTKThuHuong")


class DvcqgSettings(BaseModel):
    emulator: bool = Field(True, description="Serve the DVCQG emulator under /dvcqg-emulator and point the "
                                             "adapter and payment URLs at it (development)")
    emulator_url: str | None = Field(None, description="Base URL of a DVCQG emulator served on its own "
                                                       "(`motcua dvcqg-emulator`); development only")
    adapter: DvcqgAdapterSettings = DvcqgAdapterSettings()
    sync: DvcqgSyncSettings = DvcqgSyncSettings()
    inbound: DvcqgInboundSettings = DvcqgInboundSettings()
    payment: DvcqgPaymentSettings = DvcqgPaymentSettings()
