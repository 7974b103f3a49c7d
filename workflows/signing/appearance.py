"""Where a visible digital signature goes on a page and what it says: light, so that the forms' renderer can
leave room for a signature and print its stamp without importing the signing machinery (pyHanko)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workflows.core.clock import to_local

MM = 72 / 25.4  # PDF points per millimetre


@dataclass(frozen=True)
class SignatureBox:
    """Where the visible signature goes: page index (0-based) and a rectangle in millimetres from the page's
    top-left corner (the way fpdf2 lays the form out), with the page height to turn it into PDF points."""

    page: int
    x: float
    y: float
    width: float
    height: float
    page_height: float

    def points(self) -> tuple[int, int, int, int]:
        bottom = self.page_height - self.y - self.height
        return (round(self.x * MM), round(bottom * MM), round((self.x + self.width) * MM),
                round((self.page_height - self.y) * MM))


def stamp_lines(*, name: str, title: str, organization: str, at: datetime) -> list[str]:
    """What the visible signature says, in Vietnam time: printed by the form's renderer inside the signing
    box (fpdf2 shapes Vietnamese well; pyHanko's own stamp text does not), before the signature is made with
    the same time as its signing time."""
    local = to_local(at)
    lines = [f"Ký bởi: {name}"]
    if title:
        lines.append(f"Chức vụ: {title}")
    if organization:
        lines.append(f"Cơ quan: {organization}")
    lines.append(f"Thời gian ký: {local:%H:%M:%S} ngày {local:%d/%m/%Y}")
    return lines
