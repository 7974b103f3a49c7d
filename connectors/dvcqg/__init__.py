"""The national portal (Cổng Dịch vụ công quốc gia, DVCQG) connector: the adapter client (`client.py`), the
wire format of the integration services (`wire.py`), the payment platform, and a development emulator.

Only this package knows DVCQG's field names and envelopes: the domain hands it neutral records, so the
province's official specification can replace the wire modules without touching the domain."""

from connectors.dvcqg.client import AdapterState, DvcqgClient
from connectors.dvcqg.errors import DvcqgAuthFailed, DvcqgError, DvcqgRefused, DvcqgUnavailable

__all__ = ["AdapterState", "DvcqgAuthFailed", "DvcqgClient", "DvcqgError", "DvcqgRefused", "DvcqgUnavailable"]
