"""Approved ZBS templates: which one carries each event, how its parameters are filled, and whether Zalo's
registered template still matches (ZALO_API.md §9.6 template info, §9.7 parameter rules).

A `TemplateSpec` names one template registered in Zalo Business Services: its id, the events it carries and
its parameter mapping (Zalo's parameter name → the field of the message payload's `template` that fills it).
`TemplateBook.resolve` turns a payload into the `template_data` sent: only the mapped parameters, so a field
the payload carries for other uses (the button's title, `cta_text`) never travels. Button titles are part of
the registered template in ZBS, not parameters.

`check_template` compares what Zalo's template-info API says of a template with its spec and lists the
mismatches in Vietnamese, for the administrator who must fix the template in ZBS or the mapping here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.zalo.errors import ZaloError, ZaloTokenError

# The fields a message payload's `template` carries (workflows/notifications/texts.template_data and the
# phone proof's one-time code), with the longest value each may hold: a Zalo parameter mapped to one must
# accept at least that many characters (§9.7: names, codes and labels 30, URLs 200, OTP 10).
FIELD_LIMITS: Mapping[str, int] = {"ten": 30, "ma_ho_so": 30, "trang_thai": 30, "cta_url": 200, "otp": 10}
# Fields that name a button: never sent, a button's title is fixed when the template is registered in ZBS.
BUTTON_FIELDS = frozenset({"cta_text"})
# Our values are text: Zalo's parameter type for them is STRING (listParams[].type, as Zalo's template-info
# answers it, e.g. {"name": "otp", "type": "STRING", "maxLength": 10, "require": true}).
TEXT_TYPES = frozenset({"STRING", ""})
ENABLE = "ENABLE"
UNKNOWN = "UNKNOWN"  # the check could not ask Zalo
TEMPLATE_ID_INVALID = -109  # ZALO_API.md §10.2: "template id invalid"


@dataclass(frozen=True)
class TemplateSpec:
    """One registered template: `params` maps each Zalo parameter name to the payload field filling it."""

    kind: str
    template_id: str
    params: Mapping[str, str]
    events: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TemplateCheck:
    """What Zalo says of one configured template: its `status` there (`ENABLE`, `DISABLE`, …, `UNKNOWN`
    when Zalo could not be asked) and the problems that would make a send fail, in Vietnamese."""

    kind: str
    template_id: str
    status: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == ENABLE and not self.problems


class TemplateBook:
    """The templates of the OA. The template of an event is, in order: the id the payload names, the
    per-event override (`event_ids`), the spec listing the event, the default id. Its parameters come from
    the spec registered under that id; a template without a spec gets the payload's fields as they are,
    buttons left out."""

    def __init__(self, specs: Iterable[TemplateSpec] = (), *, default_template_id: str | None = None,
                 event_ids: Mapping[str, str] | None = None) -> None:
        self.specs = tuple(specs)
        self.default_template_id = default_template_id
        self._event_ids = dict(event_ids or {})
        self._by_id = {spec.template_id: spec for spec in self.specs}
        self._by_event = {event: spec for spec in self.specs for event in spec.events}

    def template_id_for(self, event: str, *, named: str | None = None) -> str | None:
        spec = self._by_event.get(event)
        return named or self._event_ids.get(event) or (spec.template_id if spec else None) or self.default_template_id

    def resolve(self, *, event: str, fields: Mapping[str, Any],
                named: str | None = None) -> tuple[str, dict[str, Any]] | None:
        """(template id, template_data) for a payload of `event`; None when no template is configured."""
        template_id = self.template_id_for(event, named=named)
        if not template_id:
            return None
        spec = self._by_id.get(template_id)
        if spec is None:
            return template_id, {k: v for k, v in fields.items() if k not in BUTTON_FIELDS}
        return template_id, {param: fields.get(source, "") for param, source in spec.params.items()}

    def to_check(self) -> list[TemplateSpec]:
        """Every template a message may go with: the specs, and the default or per-event ids without one
        (checked with the payload's own field names)."""
        extra = [self.default_template_id, *self._event_ids.values()]
        identity = {name: name for name in FIELD_LIMITS if name != "otp"}
        loose = [TemplateSpec(kind="mac_dinh", template_id=tid, params=identity)
                 for tid in dict.fromkeys(t for t in extra if t and t not in self._by_id)]
        return [*self.specs, *loose]


def check_template(spec: TemplateSpec, info: Mapping[str, Any]) -> TemplateCheck:
    """Compare Zalo's template info (`status`, `listParams[] {name, require, type, maxLength}`) with the
    spec: the template must be enabled, every required parameter mapped, every mapped parameter known to
    Zalo, of text type and long enough for the field that fills it."""
    status = str(info.get("status") or UNKNOWN).upper()
    problems: list[str] = []
    if status != ENABLE:
        problems.append(f"Mẫu tin {spec.template_id} đang ở trạng thái {status} trên Zalo, chưa gửi được "
                        "(cần trạng thái ENABLE: đã được duyệt và đang bật).")
    zalo_params = {str(p.get("name")): p for p in info.get("listParams") or [] if isinstance(p, Mapping)}
    for name, param in zalo_params.items():
        if _truthy(param.get("require")) and name not in spec.params:
            problems.append(f"Tham số bắt buộc «{name}» của mẫu tin {spec.template_id} chưa được ánh xạ "
                            "tới trường nào của tin nhắn.")
    for name, source in spec.params.items():
        param = zalo_params.get(name)
        if param is None:
            problems.append(f"Tham số «{name}» trong cấu hình không có trong mẫu tin {spec.template_id} "
                            "trên Zalo.")
            continue
        limit = FIELD_LIMITS.get(source)
        if limit is None:
            problems.append(f"Tham số «{name}» được ánh xạ tới trường «{source}», nhưng tin nhắn không có "
                            f"trường này (các trường có: {', '.join(FIELD_LIMITS)}).")
            continue
        kind = str(param.get("type") or "").upper()
        if kind not in TEXT_TYPES:
            problems.append(f"Tham số «{name}» có kiểu {kind} trên Zalo, trong khi trường «{source}» là "
                            "chuỗi ký tự (cần kiểu STRING).")
        max_length = _int_or_none(param.get("maxLength"))
        if max_length is not None and max_length < limit:
            problems.append(f"Tham số «{name}» chỉ nhận tối đa {max_length} ký tự, trong khi trường "
                            f"«{source}» có thể dài tới {limit} ký tự.")
    return TemplateCheck(kind=spec.kind, template_id=spec.template_id, status=status, problems=problems)


def check_unavailable(spec: TemplateSpec, error: ZaloError) -> TemplateCheck:
    """The check of a template Zalo would not describe: unknown to Zalo (-109), or not asked at all."""
    if error.code == TEMPLATE_ID_INVALID:
        return TemplateCheck(kind=spec.kind, template_id=spec.template_id, status="NOT_FOUND", problems=[
            f"Zalo không tìm thấy mẫu tin {spec.template_id} (mã lỗi -109): kiểm tra mã mẫu tin trong cấu hình."])
    if isinstance(error, ZaloTokenError):
        why = "OA chưa cấp quyền cho ứng dụng hoặc mã truy cập không còn dùng được (quản trị viên cần cấp quyền lại)"
    else:
        why = f"Zalo không trả lời được ({error}), sẽ kiểm tra lại khi có yêu cầu"
    return TemplateCheck(kind=spec.kind, template_id=spec.template_id, status=UNKNOWN, problems=[
        f"Chưa kiểm tra được mẫu tin {spec.template_id} với Zalo: {why}."])


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
