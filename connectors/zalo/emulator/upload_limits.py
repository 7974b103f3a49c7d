"""The emulator's upload rules (ZALO_API.md §5) and their test hook.

    upload/image  JPG, PNG up to 1 MB                    else -201 "file is invalid!" / -210
    upload/file   PDF, DOC, DOCX (and CSV) up to 5 MB    else -201 "file is invalid!" / -210

-201 "<field> is invalid!" and -210 "Parameter exceeds allowable limit" are Zalo's codes for a bad parameter
and one over its limit (§10.1). CSV is accepted as S-SPEC and S-MSG list it (§5). The limits are Zalo's by
default; `POST {prefix}/media-limits` lowers (or restores) them, for the tests of a client whose own limits
are not Zalo's today (Zalo changes its limits without notice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import APIRouter
from pydantic import BaseModel, Field

from connectors.zalo.emulator.errors import EmuError

MB = 1024 * 1024
IMAGE_NAME = re.compile(r"\.(jpe?g|png)$")
FILE_NAME = re.compile(r"\.(pdf|docx?|csv)$")
INVALID_FILE = (-201, "file is invalid!")
TOO_LARGE = (-210, "Parameter exceeds allowable limit")


@dataclass
class MediaLimits:
    image_max_bytes: int = 1 * MB
    file_max_bytes: int = 5 * MB


def check_image(limits: MediaLimits, filename: str, content: bytes) -> None:
    """What upload/image refuses, with Zalo's code."""
    if not IMAGE_NAME.search(filename.lower()):
        raise EmuError(*INVALID_FILE)
    if len(content) > limits.image_max_bytes:
        raise EmuError(*TOO_LARGE)


def check_file(limits: MediaLimits, filename: str, content: bytes) -> None:
    """What upload/file refuses, with Zalo's code (images included: they go through upload/image)."""
    if not FILE_NAME.search(filename.lower()):
        raise EmuError(*INVALID_FILE)
    if len(content) > limits.file_max_bytes:
        raise EmuError(*TOO_LARGE)


class HoldsLimits(Protocol):
    """The emulator's state as this module sees it (state.py imports this module, not the reverse)."""

    lock: Any
    media_limits: MediaLimits


class MediaLimitsIn(BaseModel):
    image_max_bytes: int | None = Field(None, ge=1)
    file_max_bytes: int | None = Field(None, ge=1)


def build_router(state: HoldsLimits) -> APIRouter:
    """The test hook: `POST /media-limits` sets the limits given (absent ones back to Zalo's)."""
    router = APIRouter(include_in_schema=False)

    @router.post("/media-limits")
    async def set_limits(body: MediaLimitsIn) -> dict[str, Any]:
        default = MediaLimits()
        with state.lock:
            state.media_limits = MediaLimits(
                image_max_bytes=body.image_max_bytes or default.image_max_bytes,
                file_max_bytes=body.file_max_bytes or default.file_max_bytes)
            return {"image_max_bytes": state.media_limits.image_max_bytes,
                    "file_max_bytes": state.media_limits.file_max_bytes}

    return router
