"""Settings of the OA's approved ZBS templates (issue 18, "Templates"), read by `ZaloSettings.templates`:
one template per kind of event, with its id, its parameter mapping (Zalo's parameter name → field of the
message payload's `template`) and the events it carries. A kind given in the environment
(`MOTCUA_ZALO__TEMPLATES`, JSON) or in the file (`MOTCUA_ZALO__TEMPLATES_FILE`, JSON or TOML) replaces only
the fields it names; the other kinds keep the defaults below."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from pydantic import BaseModel, Field

# The demo's templates, as the emulator registers them (connectors/zalo/emulator/templates.py). A province
# registers its own in ZBS and sets their ids (connectors/README.md, "Production set-up: templates").
_DOSSIER_PARAMS = {"ten": "ten", "ma_ho_so": "ma_ho_so", "trang_thai": "trang_thai", "cta_url": "cta_url"}
DEFAULT_TEMPLATES: dict[str, dict[str, object]] = {
    "cap_nhat": {"template_id": "400001", "params": _DOSSIER_PARAMS, "events": []},  # any other event
    "tiep_nhan": {"template_id": "400004", "params": _DOSSIER_PARAMS, "events": ["TIEP_NHAN"]},
    "bo_sung": {"template_id": "400002", "params": _DOSSIER_PARAMS, "events": ["BO_SUNG"]},
    "ket_qua": {"template_id": "400003", "params": _DOSSIER_PARAMS, "events": ["DA_CO_KET_QUA", "TRA_KET_QUA"]},
    "tu_choi": {"template_id": "400005", "params": _DOSSIER_PARAMS,
                "events": ["KHONG_TIEP_NHAN", "TU_CHOI", "DUNG_XU_LY"]},
    "nhac_han": {"template_id": "400006", "params": _DOSSIER_PARAMS, "events": ["NHAC_HAN"]},
    "xin_loi": {"template_id": "400007", "params": _DOSSIER_PARAMS, "events": ["XIN_LOI"]},
    # Its button "Thanh toán" opens cta_url: the payment page when online payment is offered.
    "nghia_vu": {"template_id": "400008", "params": _DOSSIER_PARAMS, "events": ["NGHIA_VU_TAI_CHINH"]},
    "xac_thuc": {"template_id": "400010", "params": {"otp": "otp"}, "events": []},  # the phone proof's code
}


class ZaloTemplate(BaseModel):
    """One approved ZBS template: its id, Zalo's parameter name → the payload field filling it, the events
    it carries. Button titles are fixed in the registered template: never a parameter."""

    template_id: str = Field(min_length=1, max_length=64)
    params: dict[str, str] = Field(description="Zalo parameter name → message payload field (ten, ma_ho_so, "
                                               "trang_thai, cta_url; otp for the phone proof)")
    events: list[str] = Field(default_factory=list, description="Events sent with this template")


def default_templates() -> dict[str, ZaloTemplate]:
    return {kind: ZaloTemplate.model_validate(spec) for kind, spec in DEFAULT_TEMPLATES.items()}


def merge_templates(base: dict[str, dict[str, object]], given: object) -> object:
    """`given` (kind → fields) over `base`, field by field within a kind; anything but a dict as given."""
    if not isinstance(given, dict):
        return given
    merged: dict[str, object] = {kind: dict(spec) for kind, spec in base.items()}
    for kind, spec in given.items():
        spec = spec.model_dump() if isinstance(spec, BaseModel) else spec
        previous = merged.get(str(kind))
        merged[str(kind)] = {**previous, **spec} if isinstance(previous, dict) and isinstance(spec, dict) else spec
    return merged


def with_file(templates: dict[str, ZaloTemplate], path: Path) -> dict[str, ZaloTemplate]:
    """The templates with those of a JSON or TOML file (`.toml`) laid over them."""
    raw = path.read_bytes()
    loaded = tomllib.loads(raw.decode("utf-8")) if path.suffix == ".toml" else json.loads(raw)
    merged = merge_templates({kind: spec.model_dump() for kind, spec in templates.items()}, loaded)
    if not isinstance(merged, dict):
        raise ValueError(f"MOTCUA_ZALO__TEMPLATES_FILE: {path} must hold an object of templates by kind")
    return {kind: ZaloTemplate.model_validate(spec) for kind, spec in merged.items()}


def check_one_kind_per_event(templates: dict[str, ZaloTemplate]) -> None:
    """Which template an event goes with must not depend on the order of the kinds: ValueError naming them."""
    owners: dict[str, list[str]] = {}
    for kind, spec in templates.items():
        for event in spec.events:
            owners.setdefault(event, []).append(kind)
    twice = {event: kinds for event, kinds in owners.items() if len(kinds) > 1}
    if twice:
        raise ValueError("MOTCUA_ZALO__TEMPLATES: an event belongs to one kind only: " + "; ".join(
            f"{event} in {', '.join(kinds)}" for event, kinds in sorted(twice.items())))
