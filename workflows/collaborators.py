"""The collaborators the domain needs, built once in the wiring and passed to services/operators, and the
shape of the after-step hooks among them (what each domain does after an engine step of its processes;
`workflows.process` calls them, `workflows.wiring.after_step_hooks` says which runs for which process)."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from sqlmodel import Session

from engine import StepResult
from workflows.calendar import WorkingCalendar, load_calendar
from workflows.core.clock import Clock
from workflows.core.config import Settings
from workflows.documents.storage import FileStore
from workflows.identity.actor import Actor
from workflows.privacy import PersonalDataCipher
from workflows.signing import load_signers
from workflows.signing.base import DocumentSigner


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


@dataclass(frozen=True)
class Step:
    """One engine step as its after-step hook sees it: what the engine did, in whose name and when."""

    result: StepResult
    actor: Actor
    now: datetime
    form: Mapping[str, Any] = field(default_factory=dict)  # the completed work item's form data (complete only)
    due_at: datetime | None = None  # the completed work item's due time, read before it closed


class AfterStep(Protocol):
    """What a domain does after every engine step of its processes, in the step's transaction."""

    def __call__(self, session: Session, *, step: Step, services: DomainServices) -> None: ...


@dataclass(frozen=True)
class AfterStepHooks:
    """The after-step function of each process key; `default` for every other key (the dossier processes,
    whose keys are the procedure catalogue's data). Filled in one place, `workflows.wiring.after_step_hooks`."""

    by_key: Mapping[str, AfterStep]
    default: AfterStep | None = None

    def for_key(self, process_key: str) -> AfterStep | None:
        return self.by_key.get(process_key, self.default)


@dataclass
class DomainServices:
    settings: Settings
    clock: Clock
    cipher: PersonalDataCipher
    calendars: CalendarProvider
    store: FileStore
    after_step: AfterStepHooks  # required: a composition that forgot the hooks must fail, not skip them
    signer: DocumentSigner | None = None  # built from the settings on first use when the wiring gives none

    def document_signer(self) -> DocumentSigner:
        """The one signer of the documents we issue (`MOTCUA_SIGNING__BACKEND`)."""
        if self.signer is None:
            self.signer = load_signers().build_signer(self.settings)  # pyHanko loads on the first signature
        return self.signer

    def verify_url(self, code: str) -> str:
        """The page where anyone holding a document we issued checks it (the QR code of a signed result)."""
        return f"{self.settings.public_base_url.rstrip('/')}/xac-minh?ma={quote(code, safe='')}"

    def lookup_url(self, code: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/tra-cuu?ma={code}"

    def payment_url(self, token: str) -> str:
        """The citizen's payment page of one fee request (an opaque token: no code, nothing personal)."""
        return f"{self.settings.public_base_url.rstrip('/')}/thanh-toan/{token}"

    def rating_url(self, code: str) -> str:
        """The lookup page opened on its rating form; the citizen types the verifier (nothing personal here)."""
        return f"{self.settings.public_base_url.rstrip('/')}/tra-cuu?ma={quote(code, safe='')}#danh-gia"
