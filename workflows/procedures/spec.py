"""The content of one procedure version, validated: what a data file or an administrator's edit
must satisfy before it becomes a version of the catalogue."""

from __future__ import annotations

import hashlib
import json
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workflows.calendar.working import HOURS_PER_WORKING_DAY
from workflows.core.errors import ValidationFailed
from workflows.core.field_errors import request_errors

DATA_DIR = Path(__file__).resolve().parent / "data"

# Step keys and their order in every process (docs/BPMN_CONVENTIONS.md).
STEP_ORDER: tuple[str, ...] = (
    "tiep_nhan", "nhan_bo_sung", "phan_cong", "tham_dinh", "kiem_tra_thuc_te", "thu_phi", "xem_xet",
    "ky_duyet", "phat_hanh", "tra_ket_qua",
)
ROLES: frozenset[str] = frozenset({"MOT_CUA", "LANH_DAO_PHONG", "CHUYEN_VIEN", "LANH_DAO_SO", "VAN_THU"})
PROCESS_KEYS: frozenset[str] = frozenset({"mot_cua_chuan", "karaoke_vu_truong"})


class TimeUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WORKING_HOURS = "working_hours"


UNIT_WORDS = {TimeUnit.WORKING_DAYS: "ngày làm việc", TimeUnit.CALENDAR_DAYS: "ngày",
              TimeUnit.WORKING_HOURS: "giờ làm việc"}


class SupplementPolicy(StrEnum):
    """After a supplement during appraisal: `pause` extends the appointment by the working time
    spent waiting (QĐ 766 formula); `restart` counts the full period again from the complete dossier."""

    PAUSE = "pause"
    RESTART = "restart"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TimeLimit(_Strict):
    value: int = Field(ge=1, le=365)
    unit: TimeUnit

    @property
    def working_hours_bound(self) -> float:
        """The most working hours the period can hold (a calendar week has five working days)."""
        if self.unit is TimeUnit.WORKING_HOURS:
            return float(self.value)
        if self.unit is TimeUnit.WORKING_DAYS:
            return float(self.value * HOURS_PER_WORKING_DAY)
        return self.value * 5 / 7 * HOURS_PER_WORKING_DAY


class SpecError(ValueError):
    """A rule of the procedure data broken; `detail` is the Vietnamese message the administrator reads
    (workflows.core.field_errors words a validator's error by its `detail`)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class IntakeField(_Strict):
    """A fact the applicant declares at intake that decides which fee applies (the number of karaoke rooms,
    the kind of area): `integer` (at least `min`) or `choice` (one key of `choices`, key → label)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1)
    kind: Literal["integer", "choice"]
    choices: dict[str, str] = {}
    min: int = 0

    @model_validator(mode="after")
    def _choices(self) -> IntakeField:
        if (self.kind == "choice") != bool(self.choices):
            raise SpecError(f"Thông tin khai khi tiếp nhận “{self.key}”: có danh sách lựa chọn khi và chỉ khi loại là "
                            "“choice”")
        return self


class Fee(_Strict):
    name: str = Field(min_length=1)
    amount: int | None = Field(default=None, ge=0, description="VND; null when set elsewhere (see condition)")
    condition: str = ""
    # When the fee applies, on the facts declared at intake: a choice key, or [lowest] / [lowest, highest]
    # (inclusive) for an integer. Empty: the fee does not depend on declared facts.
    when: dict[str, str | list[int]] = {}


class DocumentRequirement(_Strict):
    name: str = Field(min_length=1)
    kind: Literal["original", "copy", "certified_copy"]
    count: int = Field(default=1, ge=1, le=20)


class Competence(_Strict):
    """Who decides: a provincial agency (`level` "tinh", `agency` its code) or "the commune where …" (`level`
    "xa": the applicant names the commune at intake, by default the commune whose desk received it);
    `unit` is the key of the department that handles it in that agency (`Department.unit_key`)."""

    level: Literal["tinh", "xa"]
    agency: str | None = Field(default=None, pattern=r"^[A-Z][0-9A-Z.]{1,39}$")
    unit: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,31}$")

    @model_validator(mode="after")
    def _agency(self) -> Competence:
        if (self.level == "tinh") != (self.agency is not None):
            raise SpecError("Thẩm quyền cấp tỉnh nêu mã cơ quan (agency); cấp xã thì không (xã nơi …)")
        return self


class Step(_Strict):
    step: str
    role: str
    hours: float = Field(ge=0, le=2000)

    @model_validator(mode="after")
    def _known(self) -> Step:
        if self.step not in STEP_ORDER:
            raise SpecError(f"Bước “{self.step}” không có trong quy trình")
        if self.role not in ROLES:
            raise SpecError(f"Vai trò “{self.role}” không tồn tại")
        return self


class ProcedureSpec(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9.\-]{1,63}$")
    national_code: str | None = None
    name: str = Field(min_length=1)
    field: str = Field(min_length=1)
    authority: str = Field(min_length=1)
    level: str = Field(min_length=1)
    time_limit: TimeLimit
    fees: list[Fee] = []
    intake_fields: list[IntakeField] = []
    documents: list[DocumentRequirement] = Field(min_length=1)
    result: str = Field(min_length=1)
    legal_basis: str = Field(min_length=1)
    supplement_policy: SupplementPolicy
    has_financial_obligation: bool
    requires_site_inspection: bool
    process_key: str
    steps: list[Step] = Field(min_length=1)
    competence: Competence | None = None  # None: the agency of the receiving desk decides (before issue 20)

    @model_validator(mode="after")
    def _coherent(self) -> ProcedureSpec:
        if self.process_key not in PROCESS_KEYS:
            raise SpecError(f"Quy trình “{self.process_key}” không tồn tại")
        keys = [s.step for s in self.steps]
        if len(set(keys)) != len(keys):
            raise SpecError("Một bước xuất hiện hai lần")
        if keys != sorted(keys, key=STEP_ORDER.index):
            raise SpecError(f"Các bước phải theo thứ tự {', '.join(STEP_ORDER)}")
        if keys[0] != "tiep_nhan":
            raise SpecError("Bước đầu tiên phải là tiep_nhan")
        if ("thu_phi" in keys) != self.has_financial_obligation:
            raise SpecError("Có bước thu_phi khi và chỉ khi has_financial_obligation là true")
        if ("kiem_tra_thuc_te" in keys) != self.requires_site_inspection:
            raise SpecError("Có bước kiem_tra_thuc_te khi và chỉ khi requires_site_inspection là true")
        _check_fee_conditions(self.fees, self.intake_fields)
        total = sum(s.hours for s in self.steps)
        if total > self.time_limit.working_hours_bound:
            raise SpecError(
                f"Các bước cộng lại {total:g} giờ làm việc, quá thời hạn giải quyết "
                f"({self.time_limit.value} {UNIT_WORDS[self.time_limit.unit]})"
            )
        return self

    def sha256(self) -> str:
        """Digest of the canonical JSON of the content: equal content, equal digest. Fee conditions and
        intake fields count only when present, so procedures without them keep their digest."""
        content = self.model_dump(mode="json")
        if not content["intake_fields"]:
            del content["intake_fields"]
        for fee in content["fees"]:
            if not fee["when"]:
                del fee["when"]
        if content["competence"] is None:
            del content["competence"]
        text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _check_fee_conditions(fees: list[Fee], fields: list[IntakeField]) -> None:
    by_key = {f.key: f for f in fields}
    for fee in fees:
        for key, wanted in fee.when.items():
            declared = by_key.get(key)
            if declared is None:
                raise SpecError(f"Điều kiện phí theo “{key}”, không phải thông tin khai khi tiếp nhận")
            if declared.kind == "choice" and (not isinstance(wanted, str) or wanted not in declared.choices):
                raise SpecError(f"Điều kiện phí {key}={wanted!r} không thuộc các lựa chọn")
            if declared.kind == "integer" and (isinstance(wanted, str) or not 1 <= len(wanted) <= 2):
                raise SpecError(f"Điều kiện phí theo “{key}” phải là [thấp nhất] hoặc [thấp nhất, cao nhất]")


def parse_spec(data: dict[str, object]) -> ProcedureSpec:
    """Validate content; failures become ValidationFailed with one error per field (Vietnamese detail)."""
    try:
        return ProcedureSpec.model_validate(data)
    except ValidationError as exc:
        # A rule over the whole procedure has no field of its own: it is reported on "procedure".
        errors = [{**e, "field": "procedure" if e["field"] == "body" else e["field"]}
                  for e in request_errors(exc.errors())]
        raise ValidationFailed("Thông tin thủ tục hành chính không hợp lệ.", errors=errors) from exc


def read_spec_file(path: Path) -> ProcedureSpec:
    """One `<code>.toml` data file; the file name must be the code."""
    with path.open("rb") as handle:
        spec = parse_spec(tomllib.load(handle))
    if spec.code != path.stem:
        raise ValidationFailed(
            f"Tệp {path.name} phải mang tên theo mã thủ tục {spec.code}.",
            errors=[{"field": "code", "message": f"Mã thủ tục: tên tệp “{path.stem}” khác mã “{spec.code}”."}],
        )
    return spec
