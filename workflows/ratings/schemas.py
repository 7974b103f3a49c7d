"""The rating form (the portal's three-level scale, its criteria) and the satisfaction indicator's shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from workflows.core.clock import VnDateTime
from workflows.lookup.schemas import LookupByCodeIn

LEVELS: dict[str, str] = {"rat_hai_long": "Rất hài lòng", "hai_long": "Hài lòng", "khong_hai_long": "Không hài lòng"}
CRITERIA: dict[str, str] = {
    "huong_dan": "Hướng dẫn, tiếp nhận hồ sơ",
    "thoi_gian": "Thời gian giải quyết so với giấy hẹn",
    "thai_do": "Thái độ, tác phong của cán bộ, công chức",
}
COMMENT_MAX = 2000


class RatingIn(LookupByCodeIn):
    """The dossier code and the lookup's second factor, the overall level, optional levels per criterion
    and an optional comment. Values are checked by `rate` so that every refusal reads in Vietnamese."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True,
        json_schema_extra={"examples": [{"code": "H60.22-261124-0001", "verifier": "5678", "level": "hai_long",
                                         "criteria": {"thoi_gian": "rat_hai_long"}, "comment": "Cán bộ nhiệt tình."}]},
    )
    level: str = Field(default="", max_length=32, description="rat_hai_long | hai_long | khong_hai_long")
    criteria: dict[str, str] = Field(default_factory=dict, description="huong_dan | thoi_gian | thai_do → level")
    comment: str | None = Field(default=None, description=f"Ý kiến (tối đa {COMMENT_MAX} ký tự)")


class RatingCreated(BaseModel):
    code: str
    level: str
    level_name: str
    rated_at: VnDateTime
    message: str



class LevelCounts(BaseModel):
    very_satisfied: int = 0
    satisfied: int = 0
    dissatisfied: int = 0


class CriterionCounts(LevelCounts):
    criterion: str
    name: str


class Satisfaction(LevelCounts):
    """QĐ 766 satisfaction indicator over the dossiers that ended in the period (result returned, refused,
    stopped): how many were rated, at which level, and the share rated "Rất hài lòng" or "Hài lòng"."""

    ended: int = 0
    rated: int = 0
    satisfaction_rate: float | None = Field(None, description="(Rất hài lòng + Hài lòng) ÷ đã đánh giá × 100")
    rated_rate: float | None = Field(None, description="Đã đánh giá ÷ hồ sơ đã kết thúc × 100")
    criteria: list[CriterionCounts] = Field(default_factory=list)
