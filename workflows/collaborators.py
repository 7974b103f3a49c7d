"""The collaborators the dossier domain needs, built once in the wiring and passed to services/operators."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from sqlmodel import Session

from workflows.calendar import WorkingCalendar, load_calendar
from workflows.core.clock import Clock
from workflows.core.config import Settings
from workflows.documents.storage import FileStore
from workflows.privacy import PersonalDataCipher


@dataclass
class CalendarProvider:
    """Caches the working calendar; admins' edits call `invalidate()`, other processes refresh within `ttl`."""

    settings: Settings
    ttl_seconds: float = 60.0
    _cached: WorkingCalendar | None = field(default=None, init=False)
    _loaded_at: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def get(self, session: Session, *, year: int) -> WorkingCalendar:
        with self._lock:
            fresh = time.monotonic() - self._loaded_at < self.ttl_seconds
            if self._cached is None or not fresh:
                self._cached = load_calendar(session, settings=self.settings.calendar,
                                             years=range(year - 1, year + 3))
                self._loaded_at = time.monotonic()
            return self._cached

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None


@dataclass
class DomainServices:
    settings: Settings
    clock: Clock
    cipher: PersonalDataCipher
    calendars: CalendarProvider
    store: FileStore

    def lookup_url(self, code: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/tra-cuu?ma={code}"

    def rating_url(self, code: str) -> str:
        """The lookup page opened on its rating form; the citizen types the verifier (nothing personal here)."""
        return f"{self.settings.public_base_url.rstrip('/')}/tra-cuu?ma={quote(code, safe='')}#danh-gia"
