"""The fee that applies to one dossier, from the facts the applicant declared at intake (the number of
karaoke rooms, the kind of area) and the conditions of the procedure's fee table (`Fee.when`)."""

from __future__ import annotations

from typing import Any

from workflows.core.errors import ValidationFailed


def check_facts(fields: list[dict[str, Any]], facts: dict[str, Any]) -> dict[str, Any]:
    """The declared facts, checked against the procedure's intake fields; ValidationFailed names each bad
    one as `facts.<key>` with a Vietnamese message naming its label. Facts may be left out."""
    by_key = {f["key"]: f for f in fields}
    errors = []
    for key, value in facts.items():
        field = by_key.get(key)
        if field is None:
            known = ", ".join(f"“{f['key']}” ({f['label']})" for f in fields) or "không có"
            errors.append({"field": f"facts.{key}",
                           "message": f"Thủ tục này không có thông tin kê khai “{key}” (có: {known})."})
        elif field["kind"] == "integer":
            minimum = int(field.get("min") or 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                errors.append({"field": f"facts.{key}",
                               "message": f"{field['label']} phải là số nguyên từ {minimum} trở lên."})
        elif value not in field["choices"]:
            options = ", ".join(f"“{k}” ({label})" for k, label in field["choices"].items())
            errors.append({"field": f"facts.{key}", "message": f"{field['label']} phải là một trong: {options}."})
    if errors:
        raise ValidationFailed("Thông tin kê khai để tính phí, lệ phí không hợp lệ.", errors=errors)
    return dict(facts)


def applicable(fees: list[dict[str, Any]], facts: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The fees whose conditions the facts meet (fees without conditions always apply); None when the
    facts do not decide: a fact a condition needs was not declared, nothing matches, or the table has
    several fees and no conditions to choose by (its conditions are only text)."""
    facts = facts or {}
    needed = {key for fee in fees for key in (fee.get("when") or {})}
    if not needed:
        return fees if len(fees) == 1 else None
    if not needed <= facts.keys():
        return None
    chosen = [fee for fee in fees if _meets(fee.get("when") or {}, facts)]
    return chosen or None


def basis_text(fields: list[dict[str, Any]], facts: dict[str, Any] | None) -> str:
    """ "Địa bàn kinh doanh: Thành phố, thị xã; Số phòng hát: 5": the declared facts as people read them."""
    parts = []
    for field in fields:
        if field["key"] in (facts or {}):
            value = facts[field["key"]]  # type: ignore[index]
            parts.append(f"{field['label']}: {field.get('choices', {}).get(value, value)}")
    return "; ".join(parts)


def _meets(conditions: dict[str, Any], facts: dict[str, Any]) -> bool:
    for key, wanted in conditions.items():
        value = facts.get(key)
        if isinstance(wanted, list):
            if not isinstance(value, int) or value < wanted[0] or (len(wanted) > 1 and value > wanted[1]):
                return False
        elif value != wanted:
            return False
    return True
