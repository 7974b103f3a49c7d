"""What the field-error tests check in every refusal, and the invalid values they make from a schema
(imported by module name, like flows.py)."""

from __future__ import annotations

import re
from typing import Any

VIETNAMESE = re.compile("[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.IGNORECASE)
# Words of pydantic's, jsonschema's and FastAPI's English messages; none belongs in what a person reads.
ENGLISH = re.compile(
    r"\b(should|required|field|input|valid|invalid|expected|error|allowed|property|properties|must|is not|"
    r"decode|value|string|integer|number|boolean|array|object|characters?|items?|greater|less|match|"
    r"pattern|format|missing|extra|type)\b",
    re.IGNORECASE,
)


def english_in(text: str) -> str | None:
    """Why `text` is not Vietnamese a person could read, or None. Quoted names (“…”) are not judged."""
    unquoted = re.sub(r"“[^”]*”", "", text)
    if not VIETNAMESE.search(unquoted):
        return f"no Vietnamese letter in {text!r}"
    found = ENGLISH.search(unquoted)
    return f"English {found.group(0)!r} in {text!r}" if found else None


def problems_of(response: Any, *, what: str) -> list[str]:
    """Everything wrong with a field refusal: not 422, not the one code, English or unlabelled text."""
    if response.status_code != 422:
        return [f"{what}: status {response.status_code} {response.text[:300]}"]
    body = response.json()
    out = []
    if body.get("code") != "validation_failed":
        out.append(f"{what}: code {body.get('code')!r}")
    if not response.headers["content-type"].startswith("application/problem+json"):
        out.append(f"{what}: content-type {response.headers['content-type']}")
    for text in [body.get("detail", ""), *(e.get("message", "") for e in body.get("errors", []))]:
        reason = english_in(str(text))
        if reason:
            out.append(f"{what}: {reason}")
    if not body.get("errors"):
        out.append(f"{what}: no field named")
    return out


def bad_values(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    """(kind, value) pairs that `schema` refuses: wrong type, out of range, too long/short, bad format…"""
    schema = non_null(schema)
    kind = schema.get("type")
    out: list[tuple[str, Any]] = []
    if "enum" in schema or "const" in schema:
        out.append(("enum", False if schema.get("const") is True else "khong_hop_le"))
    if kind == "string":
        if schema.get("format") not in ("date", "date-time"):  # a number is a Unix time to pydantic
            out.append(("type", 12345))
        if schema.get("minLength"):
            out.append(("min_length", ""))
        if schema.get("maxLength"):
            out.append(("max_length", "x" * (int(schema["maxLength"]) + 1)))
        if schema.get("pattern"):
            out.append(("pattern", "@@ @@"))
        if schema.get("format") in ("date", "date-time"):
            out.append(("format", "24/11/2026"))
    elif kind in ("integer", "number"):
        out.append(("type", "abc"))
        if kind == "integer":
            out.append(("type", 1.5))
        if "minimum" in schema:
            out.append(("minimum", schema["minimum"] - 1))
        if "maximum" in schema:
            out.append(("maximum", schema["maximum"] + 1))
    elif kind == "boolean":
        out.append(("type", "có lẽ"))
    elif kind == "array":
        out.append(("type", "không phải danh sách"))
        if schema.get("minItems"):
            out.append(("min_items", []))
        if schema.get("maxItems"):
            out.append(("max_items", ["x"] * (int(schema["maxItems"]) + 1)))
        items = schema.get("items")
        if isinstance(items, dict):
            out += [(f"item {k}", [v]) for k, v in bad_values(items) if not k.startswith("item")][:3]
    elif kind == "object":
        out.append(("type", "không phải đối tượng"))
    return out


def non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an `anyOf: [X, {type: null}]`."""
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}} if len(options) == 1 else schema
