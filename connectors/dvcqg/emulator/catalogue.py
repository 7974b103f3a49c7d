"""Catalogue services of the national procedure database (CSDLQG về TTHC) under the share endpoint:
`LayThuTuc`, `LayDanhSachTTHC` (NATIONAL_PORTAL.md §1.2). To be served from fixtures."""

from __future__ import annotations

from connectors.dvcqg.emulator.state import EmulatorState


def register(state: EmulatorState) -> None:
    """Register the catalogue handlers in `state.share_services` (none yet)."""
